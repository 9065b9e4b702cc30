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
  data dir (two SSH sessions) never lose each other's changes.  A write waits
  at most :attr:`StateStore.write_wait` seconds (10 s unless the caller says
  otherwise; the reader uses 0.2 s) for a lock another process holds, then
  raises :class:`StateBusyError`; :meth:`StateStore.retry_while_busy` (for a
  worker thread) tries again each time the lock is released.  A lock held
  while the store opens never makes it read-only: the write path is set up
  at the first write that gets the lock.
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
``marks(id, read, starred, ...)`` and ``tags(id, tag, added_at)`` directly;
``read`` and ``starred`` are ``0``/``1`` integers and every id with any state
has a ``marks`` row.

Every change keeps its time, so that two copies of the state (two machines)
can be merged field by field, the later change winning (see
:meth:`StateStore.changes`, :meth:`StateStore.merge` and
:mod:`digest_tui.sync`).  Each tag of a paper is its own field: adding it
stamps ``tags.added_at``, removing it leaves a row in
``tag_removals(id, tag, removed_at)`` (schema v2), so that a merge can tell
"removed on the other machine" from "never added there".

This module is part of the core and must not import Textual.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import ClassVar, NamedTuple, TypeVar

from digest_tui import fsutil

__all__ = [
    "DB_FILENAME",
    "FIELDS",
    "MIGRATIONS",
    "Change",
    "Mark",
    "StateBusyError",
    "StateCorruptError",
    "StateError",
    "StateStore",
]

_T = TypeVar("_T")

DB_FILENAME = "state.sqlite3"
BUSY_TIMEOUT_S = 10.0
_CHUNK = 500  # ids per IN (...) query; far below SQLite's variable limit


class Mark(NamedTuple):
    """Everything the user has recorded about one paper."""

    id: str
    read: bool = False
    read_at: float | None = None  # unix time of the last change to `read`
    starred: bool = False
    starred_at: float | None = None  # unix time of the last change to `starred`
    note: str | None = None
    note_at: float | None = None  # unix time of the last change to `note`
    tags: frozenset[str] = frozenset()


#: The fields a :class:`Change` can carry, in the order :meth:`StateStore.changes` lists them.
FIELDS = ("read", "starred", "note", "tag")


class Change(NamedTuple):
    """One field of one paper set to a value at a time (unix seconds).

    ``field`` is one of :data:`FIELDS`.  ``value`` is a bool for ``read``,
    ``starred`` and ``tag`` (present or removed), ``str | None`` for ``note``
    (None: no note).  ``tag`` names the tag when ``field == "tag"``.
    """

    id: str
    field: str
    value: bool | str | None
    at: float
    tag: str | None = None


class StateError(Exception):
    """A problem with the state database, as one readable line naming the file."""


class StateBusyError(StateError):
    """Another process holds the write lock: nothing was saved, try again later."""


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


def _migrate_to_v2(conn: sqlite3.Connection) -> None:
    """Record when a tag was removed, so a merge can tell removed from never added."""
    conn.execute(
        """
        CREATE TABLE tag_removals (
            id TEXT NOT NULL,
            tag TEXT NOT NULL,
            removed_at REAL NOT NULL,
            PRIMARY KEY (id, tag)
        )
        """
    )


def _migrate_to_v3(conn: sqlite3.Connection) -> None:
    """A change log: each paper whose marks or tags change gets the next
    sequence number (kept by triggers, so every writer, any process, feeds
    it), and a reader reloads only what changed since the number it saw."""
    conn.execute("CREATE TABLE changelog (id TEXT PRIMARY KEY, seq INTEGER NOT NULL)")
    conn.execute("CREATE INDEX changelog_seq ON changelog(seq)")
    bump = (
        "INSERT INTO changelog (id, seq) VALUES ({ref}.id,"
        " (SELECT coalesce(max(seq), 0) + 1 FROM changelog))"
        " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq"
    )
    for name, event, table, ref in (
        ("marks_insert", "INSERT", "marks", "NEW"),
        ("marks_update", "UPDATE", "marks", "NEW"),
        ("tags_insert", "INSERT", "tags", "NEW"),
        ("tags_delete", "DELETE", "tags", "OLD"),
    ):
        conn.execute(
            f"CREATE TRIGGER changelog_{name} AFTER {event} ON {table}"
            f" BEGIN {bump.format(ref=ref)}; END"
        )


def _migrate_to_v4(conn: sqlite3.Connection) -> None:
    """The reader's own memory, next to the marks: ``reader_meta`` (key ->
    value, e.g. when the reader was last closed) and ``seen_versions`` (the
    arXiv version of a paper when the user starred it, so a newer version
    can be flagged).  Neither feeds the change log nor a sync: they are this
    machine's, not marks."""
    conn.execute("CREATE TABLE reader_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("CREATE TABLE seen_versions (id TEXT PRIMARY KEY, version INTEGER NOT NULL)")


#: Ordered upgrade steps; ``MIGRATIONS[i]`` takes a version-``i`` database to
#: version ``i + 1``.  Each runs inside the one transaction that also bumps
#: ``user_version``, so a failed upgrade leaves the database untouched.
MIGRATIONS: tuple[Migration, ...] = (
    _migrate_to_v1,
    _migrate_to_v2,
    _migrate_to_v3,
    _migrate_to_v4,
)


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


def _is_busy(exc: BaseException) -> bool:
    code = _primary_code(exc) if isinstance(exc, sqlite3.Error) else None
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _reason(exc: BaseException, wait: float = BUSY_TIMEOUT_S) -> str:
    text = str(exc).strip() or type(exc).__name__
    if _is_busy(exc):
        return f"database is locked by another process (waited {wait:g} s)"
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
        write_wait: float = BUSY_TIMEOUT_S,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.path: Path = self.data_dir / DB_FILENAME
        self._clock = clock
        self._lock = threading.RLock()
        self._local_commits = 0
        self._closed = False
        self._readonly_reason: str | None = "opened read-only" if readonly else None
        #: Seconds a write waits for another process's lock before StateBusyError.
        self.write_wait = write_wait
        self._setup_pending = False  # the write probe and migration still to do
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
            self._set_wait(conn, self.write_wait)
            try:
                self._setup_writes(conn, existed)
            except sqlite3.Error as exc:
                if not (existed and _is_busy(exc)):
                    raise
                # Another process is writing: readable now, writable later.
                self._setup_pending = True
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

    def _setup_writes(self, conn: sqlite3.Connection, existed: bool) -> None:
        """Probe for write access without changing anything, then migrate."""
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        self._migrate(conn, existed)

    @staticmethod
    def _set_wait(conn: sqlite3.Connection, seconds: float) -> None:
        conn.execute(f"PRAGMA busy_timeout = {max(0, int(seconds * 1000))}")

    @property
    def _checked_path(self) -> Path:
        return self.path.with_name(DB_FILENAME + ".checked")

    def _file_stamp(self) -> str | None:
        """The database file's identity, size and change time, when it is
        closed (no write-ahead log beside it); else None."""
        try:
            if os.path.lexists(f"{self.path}-wal"):
                return None
            st = os.stat(self.path)
        except OSError:
            return None
        return f"{st.st_dev} {st.st_ino} {st.st_size} {st.st_mtime_ns}"

    def _unchanged_since_clean_close(self) -> bool:
        """Whether the file is as this class left it at its last clean close
        (then it was checked when opened and written only through SQLite)."""
        stamp = self._file_stamp()
        if stamp is None:
            return False
        try:
            return self._checked_path.read_bytes().decode("utf-8", "replace").strip() == stamp
        except OSError:
            return False

    def _precheck(self) -> None:
        """Check an existing file through a read-only connection.

        A read-write connection would, on close, checkpoint or delete the
        ``-wal`` file of a damaged database; a read-only one leaves every byte
        as it was, so a damaged file is moved aside exactly as found.  Errors
        other than corruption are left for the real open to report.

        ``PRAGMA quick_check`` reads the whole file (0.5 s for a million
        marks), so it is skipped when the file is exactly as the last clean
        close left it: any other write, a crash or a copy changes its stamp.
        """
        if self._unchanged_since_clean_close():
            return
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
        try:
            dest = fsutil.move_aside(self.path, "corrupt")
        except OSError as err:
            raise StateCorruptError(
                f"state database {self.path} is damaged ({_reason(exc)}) and could not be "
                f"moved aside ({err.strerror or err}); it was left untouched",
                self.path,
                None,
            ) from exc
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
                if not self.readonly:
                    self._stamp_clean_close()

    def _stamp_clean_close(self) -> None:
        """Say how the file was left (see :meth:`_precheck`); never raises."""
        stamp = self._file_stamp()
        if stamp is None:  # another connection still has it open
            return
        with suppress(OSError):
            fsutil.atomic_write_text(self._checked_path, stamp + "\n")

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
    def _writing(self, *, count_noop: bool = True) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: all of it is committed, or none of it.

        With ``count_noop=False`` a transaction that changed no row leaves
        :meth:`data_version` as it was.
        """
        with self._lock:
            if self._closed:
                raise StateError(f"state store is closed ({self.path})")
            if self._readonly_reason is not None:
                raise StateError(f"cannot save: {self._readonly_reason} ({self.path})")
            conn = self._conn
            try:
                self._set_wait(conn, self.write_wait)
                if self._setup_pending:
                    self._setup_writes(conn, True)
                    self._setup_pending = False
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                message = f"cannot save: {_reason(exc, self.write_wait)} ({self.path})"
                if _is_busy(exc):
                    raise StateBusyError(message) from exc
                raise StateError(message) from exc
            before = conn.total_changes
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
                    message = f"cannot save: {_reason(exc, self.write_wait)} ({self.path})"
                    if _is_busy(exc):
                        raise StateBusyError(message) from exc
                    raise StateError(message) from exc
                raise
            if count_noop or conn.total_changes != before:
                self._local_commits += 1

    def retry_while_busy(self, write: Callable[[], _T], *, timeout: float = 60.0) -> _T:
        """``write()``, tried again each time another process's lock is released.

        For a worker thread: the waiting happens on a connection of its own,
        outside the store's lock, so other threads read and write meanwhile.
        Raises :class:`StateBusyError` when the lock is still held after
        ``timeout`` seconds, and any other error of ``write`` at once.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                return write()
            except StateBusyError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                self._wait_for_lock(min(left, 1.0))

    def _wait_for_lock(self, seconds: float) -> None:
        """Return when the write lock is free (or after ``seconds``), holding nothing."""
        try:
            conn = sqlite3.connect(str(self.path), timeout=seconds, isolation_level=None)
        except sqlite3.Error:
            return
        try:
            self._set_wait(conn, seconds)
            conn.execute("BEGIN IMMEDIATE")  # SQLite's busy handler does the waiting
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        finally:
            conn.close()

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
            return _ids_joined(conn, where, params)

    def read_among(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that are marked read."""
        unique = list(dict.fromkeys(ids))
        found: set[str] = set()
        with self._reading() as conn:
            for chunk in self._chunks(unique):
                marks = ",".join("?" * len(chunk))
                # "+read": by the primary key, not by a scan of the read index.
                sql = f"SELECT id FROM marks WHERE id IN ({marks}) AND +read = 1"
                found.update(r[0] for r in conn.execute(sql, list(chunk)))
        return found

    def read_snapshot(self) -> tuple[int, set[str]]:
        """The newest change number and every read id, as of one moment
        (see :meth:`changed_since` for what changed after it)."""
        with self._reading() as conn:
            conn.execute("BEGIN")
            try:
                seq = int(conn.execute("SELECT coalesce(max(seq), 0) FROM changelog").fetchone()[0])
                read = _ids_joined(conn, " WHERE read = 1", [])
            finally:
                conn.execute("COMMIT")
        return seq, read

    def ids_with_tag(self, tag: str) -> set[str]:
        with self._reading() as conn:
            return {row[0] for row in conn.execute("SELECT id FROM tags WHERE tag = ?", (tag,))}

    def all_tags(self) -> dict[str, int]:
        """Every tag in use and how many papers carry it."""
        with self._reading() as conn:
            return dict(conn.execute("SELECT tag, COUNT(*) FROM tags GROUP BY tag ORDER BY tag"))

    def change_seq(self) -> int:
        """The newest number of the change log (see :meth:`changed_since`)."""
        with self._reading() as conn:
            return int(conn.execute("SELECT coalesce(max(seq), 0) FROM changelog").fetchone()[0])

    def changed_since(self, seq: int) -> tuple[int, dict[str, Mark]]:
        """The marks of the papers changed after change number ``seq``, and
        the newest number: a reload reads what changed, not every mark."""
        with self._reading() as conn:
            conn.execute("BEGIN")
            try:
                rows = conn.execute(
                    "SELECT id, seq FROM changelog WHERE seq > ? ORDER BY seq", (seq,)
                ).fetchall()
                ids = [r[0] for r in rows]
                newest = max((int(r[1]) for r in rows), default=seq)
                found = self._load_many(conn, ids)
            finally:
                conn.execute("COMMIT")
        return newest, {i: found.get(i) or Mark(i) for i in ids}

    def data_version(self) -> int:
        """A number that changes whenever the stored state changes.

        It grows when another connection or process commits (SQLite's
        ``PRAGMA data_version``) and when this store commits, so a reader can
        poll it cheaply and reload only when it differs from the last value.
        """
        with self._reading() as conn:
            other = int(conn.execute("PRAGMA data_version").fetchone()[0])
            return other + self._local_commits

    def last_closed(self) -> float | None:
        """When a reader on this machine was last closed (unix time), or None."""
        with self._reading() as conn:
            row = conn.execute("SELECT value FROM reader_meta WHERE key = 'last_closed'").fetchone()
        try:
            return float(row[0]) if row else None
        except (TypeError, ValueError):
            return None

    def seen_versions(self, ids: Iterable[str]) -> dict[str, int]:
        """The version each paper had when it was starred (ids never seen are absent)."""
        unique = list(dict.fromkeys(ids))
        found: dict[str, int] = {}
        with self._reading() as conn:
            for chunk in self._chunks(unique):
                sql = (
                    "SELECT id, version FROM seen_versions"
                    f" WHERE id IN ({','.join('?' * len(chunk))})"
                )
                found.update((i, int(v)) for i, v in conn.execute(sql, tuple(chunk)))
        return found

    # ---------------------------------------------------------------- writes

    def set_last_closed(self, at: float | None = None) -> None:
        """Remember that the reader closes now (or at ``at``)."""
        value = repr(float(self._clock() if at is None else at))
        with self._writing(count_noop=False) as conn:
            conn.execute(
                "INSERT INTO reader_meta (key, value) VALUES ('last_closed', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (value,),
            )

    def remember_versions(self, versions: Mapping[str, int]) -> None:
        """Remember the version of each paper the user has seen starred."""
        rows = [(self._check_id(i), int(v)) for i, v in versions.items()]
        if not rows:
            return
        with self._writing(count_noop=False) as conn:
            conn.executemany(
                "INSERT INTO seen_versions (id, version) VALUES (?, ?)"
                " ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                rows,
            )

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
            added = conn.execute(
                "INSERT INTO tags (id, tag, added_at) VALUES (?, ?, ?) "
                "ON CONFLICT(id, tag) DO NOTHING",
                (pid, clean, self._clock()),
            ).rowcount
            if added:
                conn.execute("DELETE FROM tag_removals WHERE id = ? AND tag = ?", (pid, clean))
            return self._load(conn, pid)

    def remove_tag(self, paper_id: str, tag: str) -> Mark:
        """Remove a tag; the time of the removal is kept for :meth:`merge`."""
        pid = self._check_id(paper_id)
        clean = _clean_tag(tag)
        with self._writing() as conn:
            removed = conn.execute(
                "DELETE FROM tags WHERE id = ? AND tag = ?", (pid, clean)
            ).rowcount
            if removed:
                conn.execute(
                    "INSERT INTO tag_removals (id, tag, removed_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(id, tag) DO UPDATE SET removed_at = excluded.removed_at",
                    (pid, clean, self._clock()),
                )
            return self._load(conn, pid)

    # ---------------------------------------------------------------- merging

    def changes(self) -> list[Change]:
        """The last change of every field of every paper, with its time.

        Sorted by id, then ``read``, ``starred``, ``note``, then tags by name.
        Fields never changed (no time recorded) are left out.  A tag present
        without a time (possible only in a database edited by hand) is given
        time 0.  This is what :mod:`digest_tui.sync` writes to a file.
        """
        with self._reading() as conn:
            conn.execute("BEGIN")
            try:
                rows = conn.execute(
                    "SELECT id, read, read_at, starred, starred_at, note, note_at FROM marks"
                ).fetchall()
                # A v1 database opened read-only has no tag_removals table.
                removals = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tag_removals'"
                ).fetchone()
                tag_rows = conn.execute(
                    "SELECT id, tag, 1, added_at FROM tags"
                    + (
                        " UNION ALL SELECT id, tag, 0, removed_at FROM tag_removals"
                        if removals
                        else ""
                    )
                ).fetchall()
            finally:
                conn.execute("COMMIT")
        out: list[Change] = []
        for pid, read, read_at, starred, starred_at, note, note_at in rows:
            if read_at is not None:
                out.append(Change(pid, "read", bool(read), float(read_at)))
            if starred_at is not None:
                out.append(Change(pid, "starred", bool(starred), float(starred_at)))
            if note_at is not None:
                out.append(Change(pid, "note", None if note is None else str(note), float(note_at)))
        for pid, tag, present, at in tag_rows:
            out.append(Change(pid, "tag", bool(present), 0.0 if at is None else float(at), tag))
        order = {name: i for i, name in enumerate(FIELDS)}
        out.sort(key=lambda c: (c.id, order[c.field], c.tag or ""))
        return out

    def merge_field(
        self,
        paper_id: str,
        field: str,
        value: bool | str | None,
        at: float,
        *,
        tag: str | None = None,
    ) -> bool:
        """Apply one change made elsewhere if it is newer than ours (see :meth:`merge`)."""
        return bool(self.merge([Change(paper_id, field, value, at, tag)]))

    def merge(self, changes: Iterable[Change]) -> set[str]:
        """Apply changes made elsewhere, each only where it is the later one.

        For every field the change with the later time wins, compared at
        microsecond resolution (the precision of the sync file).  On equal
        times with different values the greater value wins (True over False,
        a note over no note, then the note that sorts last), so two machines
        merging each other's changes always end with the same state.  A change
        that wins is stored with its own time, so merging the same changes
        again writes nothing (and :meth:`data_version` does not move).

        All in one transaction: every change is applied, or (on an error)
        none.  Returns the ids of the papers whose stored state changed.
        """
        items = [_checked_change(c) for c in changes]
        if not items:
            return set()
        ids = list(dict.fromkeys(c.id for c in items))
        updated: set[str] = set()
        with self._writing(count_noop=False) as conn:
            local = self._field_states(conn, ids)
            for change in items:
                key = (change.id, change.field, change.tag or "")
                if not _wins(change, local.get(key)):
                    continue
                self._apply(conn, change)
                local[key] = (_micros(change.at), change.value)
                updated.add(change.id)
        return updated

    def _field_states(
        self, conn: sqlite3.Connection, ids: Sequence[str]
    ) -> dict[tuple[str, str, str], tuple[int, bool | str | None]]:
        """(id, field, tag) -> (time in microseconds, value) for timed fields of ids."""
        found: dict[tuple[str, str, str], tuple[int, bool | str | None]] = {}
        for chunk in self._chunks(ids):
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT id, read, read_at, starred, starred_at, note, note_at FROM marks "
                f"WHERE id IN ({marks})"
            )
            for pid, read, read_at, starred, starred_at, note, note_at in conn.execute(
                sql, tuple(chunk)
            ):
                if read_at is not None:
                    found[(pid, "read", "")] = (_micros(read_at), bool(read))
                if starred_at is not None:
                    found[(pid, "starred", "")] = (_micros(starred_at), bool(starred))
                if note_at is not None:
                    found[(pid, "note", "")] = (_micros(note_at), note)
            sql = (
                f"SELECT id, tag, 1, added_at FROM tags WHERE id IN ({marks}) UNION ALL "
                f"SELECT id, tag, 0, removed_at FROM tag_removals WHERE id IN ({marks})"
            )
            for pid, tag, present, at in conn.execute(sql, (*chunk, *chunk)):
                found[(pid, "tag", tag)] = (0 if at is None else _micros(at), bool(present))
        return found

    @staticmethod
    def _apply(conn: sqlite3.Connection, change: Change) -> None:
        pid, at = change.id, change.at
        if change.field in ("read", "starred", "note"):
            column = change.field
            value = int(bool(change.value)) if column != "note" else change.value
            conn.execute(
                f"INSERT INTO marks (id, {column}, {column}_at) VALUES (?, ?, ?) "
                f"ON CONFLICT(id) DO UPDATE SET {column} = excluded.{column}, "
                f"{column}_at = excluded.{column}_at",
                (pid, value, at),
            )
            return
        tag = change.tag
        conn.execute("INSERT INTO marks (id) VALUES (?) ON CONFLICT(id) DO NOTHING", (pid,))
        if change.value:
            conn.execute("DELETE FROM tag_removals WHERE id = ? AND tag = ?", (pid, tag))
            conn.execute(
                "INSERT INTO tags (id, tag, added_at) VALUES (?, ?, ?) "
                "ON CONFLICT(id, tag) DO UPDATE SET added_at = excluded.added_at",
                (pid, tag, at),
            )
        else:
            conn.execute("DELETE FROM tags WHERE id = ? AND tag = ?", (pid, tag))
            conn.execute(
                "INSERT INTO tag_removals (id, tag, removed_at) VALUES (?, ?, ?) "
                "ON CONFLICT(id, tag) DO UPDATE SET removed_at = excluded.removed_at",
                (pid, tag, at),
            )


def _micros(at: object) -> int:
    """A unix time as whole microseconds (the resolution merges compare at)."""
    return round(float(at) * 1_000_000)  # type: ignore[arg-type]


def _rank(value: bool | str | None) -> tuple[int, str]:
    if value is None or value is False:
        return (0, "")
    if value is True:
        return (1, "")
    return (1, value)


def _wins(change: Change, local: tuple[int, bool | str | None] | None) -> bool:
    """Whether an incoming change replaces the local state of its field."""
    if local is None:
        return True
    at, value = _micros(change.at), change.value
    if at != local[0]:
        return at > local[0]
    return value != local[1] and _rank(value) > _rank(local[1])


def _checked_change(change: Change) -> Change:
    """Validate a change from outside and normalise its value."""
    StateStore._check_id(change.id)
    at = change.at
    if not isinstance(at, (int, float)) or isinstance(at, bool) or not 0 <= at < 1e12:
        raise ValueError(f"change time must be a unix time, not {at!r}")
    if change.field in ("read", "starred"):
        if not isinstance(change.value, bool):
            raise ValueError(f"{change.field} must be True or False, not {change.value!r}")
        return change
    if change.field == "note":
        note = change.value
        if note is not None and not isinstance(note, str):
            raise ValueError(f"note must be a string or None, not {note!r}")
        if isinstance(note, str) and not note.strip():
            return Change(change.id, "note", None, at)
        return change
    if change.field == "tag":
        if not isinstance(change.value, bool):
            raise ValueError(f"tag value must be True or False, not {change.value!r}")
        return Change(change.id, "tag", change.value, at, _clean_tag(change.tag or ""))
    raise ValueError(f"unknown field {change.field!r} (known: {', '.join(FIELDS)})")


def _clean_tag(tag: str) -> str:
    clean = tag.strip() if isinstance(tag, str) else ""
    if not clean:
        raise ValueError(f"tag must be a non-empty string, not {tag!r}")
    return clean


def _ids_joined(conn: sqlite3.Connection, where: str, params: Sequence[object]) -> set[str]:
    """The ids of ``marks`` rows matching ``where``, read as one string split
    here, not a row a paper (a million read ids in 0.96 s instead of 1.47 s).
    Ids are arXiv ids: never a line break."""
    sql = f"SELECT group_concat(id, char(10)) FROM marks{where}"
    joined = conn.execute(sql, list(params)).fetchone()[0]
    return set(joined.split("\n")) if joined else set()


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
