"""The user's own state: which papers are read or starred, tags and notes.

This is the one irreplaceable thing digest-tui keeps (digests can be fetched
again, months of reading cannot), so the store is deliberately conservative:

* It lives in its own SQLite database, ``state.sqlite3`` inside the data dir
  the caller passes, keyed by versionless arXiv id ("2005.10825",
  "quant-ph/9802028").  The caller normalises ids; the store treats them as
  opaque non-empty strings.
* WAL journal mode with ``synchronous=FULL``: every change is committed (and
  fsynced) before the method returns, so an acknowledged write survives a
  crash of the process or of the machine.  Read-modify-write operations run in
  ``BEGIN IMMEDIATE`` transactions, so two digest-tui processes on the same
  data dir (two SSH sessions) never lose each other's changes; lock waits are
  bounded by a 10 s busy timeout.
* A file that is not a database, or fails ``PRAGMA quick_check`` when opened,
  is never emptied or overwritten: it is renamed (with its ``-wal``/``-shm``)
  to ``state.sqlite3.corrupt-YYYYmmdd-HHMMSS`` and :class:`StateCorruptError`
  is raised naming both paths.  To start fresh, the caller simply constructs
  :class:`StateStore` again on the same data dir: the corrupt file is out of
  the way, so a new empty database is created.
* If the database cannot be written (read-only data dir or file, a database
  written by a newer digest-tui) the store opens read-only: reads work,
  :attr:`StateStore.readonly` is true, :attr:`StateStore.readonly_reason` says
  why, and every write raises :class:`StateError` ``"cannot save: <reason>
  (<path>)"``.  A write that fails part-way (disk full) is rolled back
  completely and raises the same kind of error.
* The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` is
  the ordered list of upgrade steps (index ``i`` upgrades version ``i`` to
  ``i + 1``).  Adding version 2 means appending one function.  Before an
  existing database is upgraded a copy is saved next to it as
  ``state.sqlite3.pre-vN``.

Other modules may ``ATTACH`` the database read-only and query
``marks(id, read, starred, ...)`` directly; ``read`` and ``starred`` are
``0``/``1`` integers and every id with any state has a ``marks`` row.

This module is part of the core and must not import Textual.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import ClassVar

__all__ = [
    "DB_FILENAME",
    "MIGRATIONS",
    "Mark",
    "StateCorruptError",
    "StateError",
    "StateStore",
]

DB_FILENAME = "state.sqlite3"
BUSY_TIMEOUT_S = 10.0
_CHUNK = 500  # ids per IN (...) query; far below SQLite's variable limit


@dataclass(frozen=True, slots=True)
class Mark:
    """Everything the user has recorded about one paper."""

    id: str
    read: bool = False
    read_at: float | None = None  # unix time of the last change to `read`
    starred: bool = False
    starred_at: float | None = None  # unix time of the last change to `starred`
    note: str | None = None
    note_at: float | None = None  # unix time of the last change to `note`
    tags: frozenset[str] = frozenset()


class StateError(Exception):
    """A problem with the state database, as one readable line naming the file."""


class StateCorruptError(StateError):
    """The database file was damaged and has been moved aside (see ``moved_to``)."""

    def __init__(self, message: str, path: Path, moved_to: Path | None) -> None:
        super().__init__(message)
        self.path = path
        self.moved_to = moved_to


# --------------------------------------------------------------------------- schema

Migration = Callable[[sqlite3.Connection], None]


def _migrate_to_v1(conn: sqlite3.Connection) -> None:
    """The initial schema."""
    conn.execute(
        """
        CREATE TABLE marks (
            id TEXT PRIMARY KEY,
            read INTEGER NOT NULL DEFAULT 0,
            read_at REAL,
            starred INTEGER NOT NULL DEFAULT 0,
            starred_at REAL,
            note TEXT,
            note_at REAL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE tags (
            id TEXT NOT NULL,
            tag TEXT NOT NULL,
            added_at REAL,
            PRIMARY KEY (id, tag)
        )
        """
    )
    conn.execute("CREATE INDEX marks_read ON marks(read) WHERE read = 1")
    conn.execute("CREATE INDEX marks_starred ON marks(starred) WHERE starred = 1")
    conn.execute("CREATE INDEX tags_tag ON tags(tag)")


#: Ordered upgrade steps; ``MIGRATIONS[i]`` takes a version-``i`` database to
#: version ``i + 1``.  Each runs inside the one transaction that also bumps
#: ``user_version``, so a failed upgrade leaves the database untouched.
MIGRATIONS: tuple[Migration, ...] = (_migrate_to_v1,)


# --------------------------------------------------------------------------- errors

_CORRUPT_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_READONLY_CODES = frozenset(
    {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH}
)


def _primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def _is_corrupt(exc: sqlite3.Error) -> bool:
    if _primary_code(exc) in _CORRUPT_CODES:
        return True
    text = str(exc).lower()
    return "file is not a database" in text or "malformed" in text


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    code = _primary_code(exc) if isinstance(exc, sqlite3.Error) else None
    if code == sqlite3.SQLITE_BUSY:
        return f"database is locked by another process for over {BUSY_TIMEOUT_S:g} s"
    return text.splitlines()[0]


# --------------------------------------------------------------------------- store


class StateStore:
    """Read/write access to ``state.sqlite3`` in a data dir; safe across threads.

    All methods take an internal lock, so the store can be shared by worker
    threads.  Every write is a committed transaction by the time it returns.
    """

    MIGRATIONS: ClassVar[tuple[Migration, ...]] = MIGRATIONS
    SCHEMA_VERSION: ClassVar[int] = len(MIGRATIONS)

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.SCHEMA_VERSION = len(cls.MIGRATIONS)

    def __init__(
        self,
        data_dir: Path,
        *,
        readonly: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.path: Path = self.data_dir / DB_FILENAME
        self._clock = clock
        self._lock = threading.RLock()
        self._local_commits = 0
        self._closed = False
        self._readonly_reason: str | None = "opened read-only" if readonly else None
        self._conn = self._open(readonly)

    # ---------------------------------------------------------------- opening

    def _open(self, readonly: bool) -> sqlite3.Connection:
        if not readonly:
            try:
                self.data_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self._readonly_reason = f"cannot create data dir: {exc.strerror or exc}"
        if self._readonly_reason is None:
            conn = self._try_open_readwrite()
            if conn is not None:
                return conn
        return self._open_readonly()

    def _connect(self, target: str, *, uri: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(
            target,
            timeout=BUSY_TIMEOUT_S,
            isolation_level=None,
            check_same_thread=False,
            uri=uri,
        )
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        return conn

    def _try_open_readwrite(self) -> sqlite3.Connection | None:
        """Open, configure and migrate; None (with a reason) if only reads are possible."""
        existed = self.path.exists()
        if existed:
            self._precheck()
            if not os.access(self.path, os.W_OK):
                # SQLite would open it and only fail at the first write.
                self._readonly_reason = "the database file is read-only"
                return None
        try:
            conn = self._connect(str(self.path))
        except sqlite3.Error as exc:
            self._readonly_reason = _reason(exc)
            return None
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"could not enable WAL (journal_mode={mode})")
            # Probe for write access without changing anything.
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            self._migrate(conn, existed)
        except sqlite3.Error as exc:
            conn.close()
            if _is_corrupt(exc):
                self._move_aside(exc)
            self._readonly_reason = _reason(exc)
            return None
        except BaseException:
            conn.close()
            raise
        return conn

    def _precheck(self) -> None:
        """Check an existing file through a read-only connection.

        A read-write connection would, on close, checkpoint or delete the
        ``-wal`` file of a damaged database; a read-only one leaves every byte
        as it was, so a damaged file is moved aside exactly as found.  Errors
        other than corruption are left for the real open to report.
        """
        try:
            conn = self._connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error:
            return
        try:
            self._check_integrity(conn)
        except sqlite3.Error as exc:
            conn.close()
            if _is_corrupt(exc):
                self._move_aside(exc)
            return
        conn.close()

    def _open_readonly(self) -> sqlite3.Connection:
        """A read-only connection to the existing db, or an empty in-memory one."""
        if not self.path.exists():
            return self._open_empty()
        uri = self.path.resolve().as_uri()
        last: sqlite3.Error | None = None
        # mode=ro needs the -shm/-wal files to exist or be creatable; if the dir
        # is read-only and they are gone (clean close), read the file as
        # immutable instead (it then holds everything, the WAL was checkpointed).
        for query in ("mode=ro", "mode=ro&immutable=1"):
            try:
                conn = self._connect(f"{uri}?{query}", uri=True)
            except sqlite3.Error as exc:
                last = exc
                continue
            try:
                self._check_integrity(conn)
                conn.execute("PRAGMA query_only = ON")
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version == 0:
                    # An empty file (e.g. creation failed part-way): nothing to read.
                    conn.close()
                    return self._open_empty()
                return conn
            except sqlite3.Error as exc:
                conn.close()
                if _is_corrupt(exc):
                    self._move_aside(exc)
                last = exc
            except BaseException:
                conn.close()
                raise
        assert last is not None
        raise StateError(f"cannot open state database: {_reason(last)} ({self.path})")

    def _open_empty(self) -> sqlite3.Connection:
        """Nothing to read: there never was any state here.  Serve an empty,
        read-only store so callers can still run; writes explain why not."""
        conn = self._connect(":memory:")
        for step in self.MIGRATIONS:
            step(conn)
        conn.execute("PRAGMA query_only = ON")
        if self._readonly_reason == "opened read-only":
            self._readonly_reason = "opened read-only and no state database exists yet"
        return conn

    def _check_integrity(self, conn: sqlite3.Connection) -> None:
        rows = conn.execute("PRAGMA quick_check").fetchall()
        if [r[0] for r in rows] != ["ok"]:
            first = str(rows[0][0]) if rows else "no result"
            raise sqlite3.DatabaseError(f"database disk image is malformed: {first}")

    def _migrate(self, conn: sqlite3.Connection, existed: bool) -> None:
        target = self.SCHEMA_VERSION
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > target:
            raise sqlite3.OperationalError(
                f"database schema v{version} is newer than this digest-tui supports (v{target})"
            )
        if version == target:
            return
        if existed and version > 0:
            self._backup(conn, version)
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have migrated.
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            for number in range(version, target):
                self.MIGRATIONS[number](conn)
                conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _backup(self, conn: sqlite3.Connection, version: int) -> None:
        dest = self.path.with_name(f"{DB_FILENAME}.pre-v{version + 1}")
        if dest.exists():
            return
        tmp = dest.with_name(dest.name + ".tmp")
        out = sqlite3.connect(str(tmp))
        try:
            conn.backup(out)
        finally:
            out.close()
        os.replace(tmp, dest)

    def _move_aside(self, exc: sqlite3.Error) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        dest = self.path.with_name(f"{DB_FILENAME}.corrupt-{stamp}")
        n = 1
        while dest.exists():
            dest = self.path.with_name(f"{DB_FILENAME}.corrupt-{stamp}-{n}")
            n += 1
        try:
            os.rename(self.path, dest)
        except OSError as err:
            raise StateCorruptError(
                f"state database {self.path} is damaged ({_reason(exc)}) and could not be "
                f"moved aside ({err.strerror or err}); it was left untouched",
                self.path,
                None,
            ) from exc
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                try:
                    os.rename(side, dest.with_name(dest.name + suffix))
                except OSError:
                    pass
        raise StateCorruptError(
            f"state database {self.path} is damaged ({_reason(exc)}); moved it to {dest} "
            f"and will start a new one next time",
            self.path,
            dest,
        ) from exc

    # ---------------------------------------------------------------- lifecycle

    @property
    def readonly(self) -> bool:
        return self._readonly_reason is not None

    @property
    def readonly_reason(self) -> str | None:
        return self._readonly_reason

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "ro" if self.readonly else "rw"
        return f"StateStore({str(self.path)!r}, {mode})"

    # ---------------------------------------------------------------- plumbing

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise StateError(f"state store is closed ({self.path})")
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise StateError(f"cannot read state: {_reason(exc)} ({self.path})") from exc

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: all of it is committed, or none of it."""
        with self._lock:
            if self._closed:
                raise StateError(f"state store is closed ({self.path})")
            if self._readonly_reason is not None:
                raise StateError(f"cannot save: {self._readonly_reason} ({self.path})")
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StateError(f"cannot save: {_reason(exc)} ({self.path})") from exc
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                if isinstance(exc, sqlite3.Error):
                    raise StateError(f"cannot save: {_reason(exc)} ({self.path})") from exc
                raise
            self._local_commits += 1

    @staticmethod
    def _check_id(paper_id: str) -> str:
        if not isinstance(paper_id, str) or not paper_id.strip():
            raise ValueError(f"paper id must be a non-empty string, not {paper_id!r}")
        return paper_id

    @staticmethod
    def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
        for start in range(0, len(ids), _CHUNK):
            yield ids[start : start + _CHUNK]

    def _load_many(self, conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, Mark]:
        rows: dict[str, tuple[object, ...]] = {}
        tags: dict[str, set[str]] = {}
        for chunk in self._chunks(ids):
            marks_sql = (
                "SELECT id, read, read_at, starred, starred_at, note, note_at FROM marks "
                f"WHERE id IN ({','.join('?' * len(chunk))})"
            )
            for row in conn.execute(marks_sql, tuple(chunk)):
                rows[row[0]] = row
            tags_sql = f"SELECT id, tag FROM tags WHERE id IN ({','.join('?' * len(chunk))})"
            for pid, tag in conn.execute(tags_sql, tuple(chunk)):
                tags.setdefault(pid, set()).add(tag)
        return {pid: _mark_from_row(row, tags.get(pid)) for pid, row in rows.items()}

    def _load(self, conn: sqlite3.Connection, paper_id: str) -> Mark:
        return self._load_many(conn, [paper_id]).get(paper_id) or Mark(paper_id)

    def _current_read(self, conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, bool]:
        found: dict[str, bool] = {}
        for chunk in self._chunks(ids):
            sql = f"SELECT id, read FROM marks WHERE id IN ({','.join('?' * len(chunk))})"
            for pid, read in conn.execute(sql, tuple(chunk)):
                found[pid] = bool(read)
        return {pid: found.get(pid, False) for pid in ids}

    def _write_flag(
        self, conn: sqlite3.Connection, column: str, ids: Iterable[str], value: bool
    ) -> None:
        """Set read/starred (and its timestamp) for ids; callers pass only real changes."""
        assert column in ("read", "starred")
        conn.executemany(
            f"INSERT INTO marks (id, {column}, {column}_at) VALUES (?, ?, ?) "
            f"ON CONFLICT(id) DO UPDATE SET {column} = excluded.{column}, "
            f"{column}_at = excluded.{column}_at",
            [(pid, int(value), self._clock()) for pid in ids],
        )

    def _set_flag(self, column: str, paper_id: str, value: bool | None) -> Mark:
        """Set (or toggle, if value is None) one flag in a single transaction."""
        pid = self._check_id(paper_id)
        with self._writing() as conn:
            row = conn.execute(f"SELECT {column} FROM marks WHERE id = ?", (pid,)).fetchone()
            old = bool(row[0]) if row else False
            new = (not old) if value is None else bool(value)
            if new != old:
                self._write_flag(conn, column, [pid], new)
            return self._load(conn, pid)

    # ---------------------------------------------------------------- reads

    def get(self, paper_id: str) -> Mark:
        """The state of one paper; ``Mark(paper_id)`` if nothing was ever recorded."""
        pid = self._check_id(paper_id)
        with self._reading() as conn:
            return self._load(conn, pid)

    def get_many(self, ids: Iterable[str]) -> dict[str, Mark]:
        """Marks for those of ``ids`` that have any recorded state (others are absent)."""
        unique = list(dict.fromkeys(ids))
        with self._reading() as conn:
            conn.execute("BEGIN")  # one consistent snapshot across chunks
            try:
                return self._load_many(conn, unique)
            finally:
                conn.execute("COMMIT")

    def all_marks(self) -> dict[str, Mark]:
        """Every paper with recorded state."""
        with self._reading() as conn:
            conn.execute("BEGIN")
            try:
                tags: dict[str, set[str]] = {}
                for pid, tag in conn.execute("SELECT id, tag FROM tags"):
                    tags.setdefault(pid, set()).add(tag)
                rows = conn.execute(
                    "SELECT id, read, read_at, starred, starred_at, note, note_at FROM marks"
                ).fetchall()
            finally:
                conn.execute("COMMIT")
        return {row[0]: _mark_from_row(row, tags.get(row[0])) for row in rows}

    def ids_where(self, *, read: bool | None = None, starred: bool | None = None) -> set[str]:
        """Ids with recorded state matching the given flags (None = either)."""
        clauses: list[str] = []
        params: list[int] = []
        if read is not None:
            clauses.append("read = ?")
            params.append(int(read))
        if starred is not None:
            clauses.append("starred = ?")
            params.append(int(starred))
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._reading() as conn:
            return {row[0] for row in conn.execute(f"SELECT id FROM marks{where}", params)}

    def ids_with_tag(self, tag: str) -> set[str]:
        with self._reading() as conn:
            return {row[0] for row in conn.execute("SELECT id FROM tags WHERE tag = ?", (tag,))}

    def all_tags(self) -> dict[str, int]:
        """Every tag in use and how many papers carry it."""
        with self._reading() as conn:
            return dict(conn.execute("SELECT tag, COUNT(*) FROM tags GROUP BY tag ORDER BY tag"))

    def data_version(self) -> int:
        """A number that changes whenever the stored state changes.

        It grows when another connection or process commits (SQLite's
        ``PRAGMA data_version``) and when this store commits, so a reader can
        poll it cheaply and reload only when it differs from the last value.
        """
        with self._reading() as conn:
            other = int(conn.execute("PRAGMA data_version").fetchone()[0])
            return other + self._local_commits

    # ---------------------------------------------------------------- writes

    def set_read(self, paper_id: str, read: bool = True) -> Mark:
        """Mark read/unread; ``read_at`` moves only when the value changes."""
        return self._set_flag("read", paper_id, read)

    def set_starred(self, paper_id: str, starred: bool = True) -> Mark:
        return self._set_flag("starred", paper_id, starred)

    def toggle_read(self, paper_id: str) -> Mark:
        return self._set_flag("read", paper_id, None)

    def toggle_starred(self, paper_id: str) -> Mark:
        return self._set_flag("starred", paper_id, None)

    def set_read_many(self, ids: Sequence[str], read: bool = True) -> dict[str, bool]:
        """Set ``read`` on many papers in one transaction.

        Returns the previous value for each id (False if it had no state), to
        hand to :meth:`restore_read` for undo.
        """
        unique = [self._check_id(pid) for pid in dict.fromkeys(ids)]
        with self._writing() as conn:
            previous = self._current_read(conn, unique)
            self._write_flag(conn, "read", [p for p in unique if previous[p] != read], read)
        return previous

    def restore_read(self, previous: Mapping[str, bool]) -> None:
        """Undo :meth:`set_read_many`: put each id's ``read`` back, in one transaction."""
        ids = [self._check_id(pid) for pid in previous]
        with self._writing() as conn:
            current = self._current_read(conn, ids)
            for value in (True, False):
                changed = [p for p in ids if bool(previous[p]) == value and current[p] != value]
                self._write_flag(conn, "read", changed, value)

    def set_note(self, paper_id: str, note: str | None) -> Mark:
        """Set the note; ``None`` or a blank string removes it."""
        pid = self._check_id(paper_id)
        value = note if note is not None and note.strip() else None
        with self._writing() as conn:
            row = conn.execute("SELECT note FROM marks WHERE id = ?", (pid,)).fetchone()
            if (row[0] if row else None) != value:
                conn.execute(
                    "INSERT INTO marks (id, note, note_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET note = excluded.note, "
                    "note_at = excluded.note_at",
                    (pid, value, self._clock()),
                )
            return self._load(conn, pid)

    def add_tag(self, paper_id: str, tag: str) -> Mark:
        """Add a tag (surrounding whitespace stripped; must not be empty)."""
        pid = self._check_id(paper_id)
        clean = _clean_tag(tag)
        with self._writing() as conn:
            conn.execute("INSERT INTO marks (id) VALUES (?) ON CONFLICT(id) DO NOTHING", (pid,))
            conn.execute(
                "INSERT INTO tags (id, tag, added_at) VALUES (?, ?, ?) "
                "ON CONFLICT(id, tag) DO NOTHING",
                (pid, clean, self._clock()),
            )
            return self._load(conn, pid)

    def remove_tag(self, paper_id: str, tag: str) -> Mark:
        pid = self._check_id(paper_id)
        clean = _clean_tag(tag)
        with self._writing() as conn:
            conn.execute("DELETE FROM tags WHERE id = ? AND tag = ?", (pid, clean))
            return self._load(conn, pid)


def _clean_tag(tag: str) -> str:
    clean = tag.strip() if isinstance(tag, str) else ""
    if not clean:
        raise ValueError(f"tag must be a non-empty string, not {tag!r}")
    return clean


def _mark_from_row(row: Sequence[object], tags: set[str] | None) -> Mark:
    pid, read, read_at, starred, starred_at, note, note_at = row
    return Mark(
        id=str(pid),
        read=bool(read),
        read_at=_opt_float(read_at),
        starred=bool(starred),
        starred_at=_opt_float(starred_at),
        note=None if note is None else str(note),
        note_at=_opt_float(note_at),
        tags=frozenset(tags) if tags else frozenset(),
    )


def _opt_float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
