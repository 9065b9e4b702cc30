"""The library index: every paper of a set of digest folders, in SQLite.

The index is a cache.  It lives under the platformdirs cache dir, one
database per set of digest roots, and can be deleted at any time: the next
open parses the files again.  The user's own state (read, starred, notes)
lives elsewhere (:mod:`digest_tui.state`) and is only *attached* read-only
here, so queries can say ``is:starred``.

Re-opening is incremental: a file whose size and mtime are unchanged is not
read; a changed file is parsed again and replaces its old appearances; a
file that disappeared loses its appearances, and papers left with none are
dropped.  A new :data:`digest_tui.parsing.PARSER_VERSION` re-parses all.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import sqlite3
import threading
import time
import types
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from digest_tui.models import Appearance, Paper, ParseResult, ParseWarning
from digest_tui.query import SORTS, Query, WatchList, parse_query

SCHEMA_VERSION = 5
AUTHOR_SEP = "\n"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (
    fid INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    hash TEXT NOT NULL,
    parser_version INTEGER NOT NULL,
    format TEXT,
    date TEXT,
    category TEXT,
    entries INTEGER NOT NULL DEFAULT 0,
    papers INTEGER NOT NULL DEFAULT 0,
    warnings TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS papers (
    pid INTEGER PRIMARY KEY,
    arxiv_id TEXT NOT NULL UNIQUE,
    version INTEGER,
    title TEXT NOT NULL,
    authors TEXT NOT NULL DEFAULT '',
    abstract TEXT NOT NULL DEFAULT '',
    categories TEXT NOT NULL DEFAULT '',
    primary_category TEXT,
    pdf_url TEXT,
    abs_url TEXT,
    published TEXT,
    updated TEXT,
    comment TEXT,
    journal_ref TEXT,
    doi TEXT,
    extras TEXT NOT NULL DEFAULT '',
    sort_date TEXT NOT NULL DEFAULT '',
    -- The TeX forms of title and abstract when they differ from the text
    -- shown ('' otherwise), and author -> affiliation as JSON ('' for none).
    title_tex TEXT NOT NULL DEFAULT '',
    abstract_tex TEXT NOT NULL DEFAULT '',
    affiliations TEXT NOT NULL DEFAULT ''
);
-- What the full-text index holds: the text and the TeX forms, so a search
-- for either finds the paper ("ℓ₀" and "ell_0").
CREATE VIEW IF NOT EXISTS papers_fts_text AS
    SELECT pid, title || ' ' || title_tex AS title, authors,
           abstract || ' ' || abstract_tex AS abstract, categories FROM papers;
-- A narrow copy of what filters without words read, in display order: the
-- whole list of 200,000 papers is read from it in tens of milliseconds.
CREATE INDEX IF NOT EXISTS papers_scan ON papers (pid, arxiv_id, categories);
CREATE TABLE IF NOT EXISTS appearances (
    fid INTEGER NOT NULL REFERENCES files (fid) ON DELETE CASCADE,
    pid INTEGER NOT NULL,
    date TEXT,
    category TEXT,
    line INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (fid, position)
);
CREATE INDEX IF NOT EXISTS appearances_pid ON appearances (pid, date);
CREATE INDEX IF NOT EXISTS appearances_date ON appearances (date, pid);
CREATE VIRTUAL TABLE IF NOT EXISTS papers_fts USING fts5 (
    title, authors, abstract, categories,
    content='papers_fts_text', content_rowid='pid',
    tokenize="unicode61 remove_diacritics 2"
);
"""

_FTS_COLUMNS = ("title", "authors", "abstract", "categories")
_PAPER_COLUMNS = (
    "arxiv_id",
    "version",
    "title",
    "authors",
    "abstract",
    "categories",
    "primary_category",
    "pdf_url",
    "abs_url",
    "published",
    "updated",
    "comment",
    "journal_ref",
    "doi",
    "extras",
    "title_tex",
    "abstract_tex",
    "affiliations",
)
_TITLE, _ABSTRACT = _PAPER_COLUMNS.index("title"), _PAPER_COLUMNS.index("abstract")
_TITLE_TEX, _ABSTRACT_TEX = _PAPER_COLUMNS.index("title_tex"), _PAPER_COLUMNS.index("abstract_tex")
# Columns that come from the same digest as the column they go with.
_COMPANIONS = {
    _PAPER_COLUMNS.index(a): _PAPER_COLUMNS.index(b)
    for a, b in (("title", "title_tex"), ("abstract", "abstract_tex"), ("authors", "affiliations"))
}


class LibraryError(Exception):
    """A problem opening the index, as one readable line."""


@dataclass(slots=True)
class FileReport:
    """What the index knows of one file."""

    path: str
    format: str | None
    entries: int
    papers: int
    warnings: list[str]


@dataclass(slots=True)
class ScanReport:
    files_seen: int = 0
    files_parsed: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    files_skipped: int = 0  # not digests
    papers_added: int = 0
    warnings: list[ParseWarning] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.files_parsed or self.files_removed)


@dataclass(slots=True, frozen=True)
class Row:
    """What the paper list shows of one paper."""

    pid: int
    id: str
    title: str
    first_author: str | None
    n_authors: int
    date: str
    category: str | None


@dataclass(slots=True)
class SearchResult:
    """Papers matching a query, in display order (pids, see :func:`order_key`).

    ``sort`` is the order the pids are in (one of :data:`digest_tui.query.SORTS`);
    only the digest order groups rows by digest day.
    """

    pids: array[int]
    query: Query
    sort: str = "digest"

    def __len__(self) -> int:
        return len(self.pids)

    @property
    def dates(self) -> list[str]:
        """The digest date of each row; built on demand (prefer :meth:`day_starts`)."""
        return [date_of_key(pid) for pid in self.pids]

    def day_starts(self) -> list[int]:
        """Indices of the rows that begin a digest day, found by bisection:
        a few thousand steps for years of digests, whatever the row count.
        Empty for any other order than the digest order (no day separators)."""
        if self.sort != "digest":
            return []
        pids = self.pids
        starts: list[int] = []
        i, n = 0, len(pids)
        shift = FID_BITS + POS_BITS
        while i < n:
            starts.append(i)
            i = bisect.bisect_left(pids, ((pids[i] >> shift) + 1) << shift, i + 1)
        return starts

    def date_at(self, index: int) -> str:
        """The digest date of row ``index``."""
        return date_of_key(self.pids[index])


# A paper's pid is its place in the default order: newest digest first, then
# the digest's file, then the paper's place in it.  ``ORDER BY pid`` is that
# order with no sort, a full-text match can be read in order and stopped after
# one screen, and a first open (newest files first) only ever appends.  A paper
# listed by several digests takes the key of the newest (and is renumbered
# when that changes).
_DAY0 = dt.date(1900, 1, 1).toordinal()
POS_BITS, FID_BITS, DAY_BITS = 22, 18, 16
MAX_POS = (1 << POS_BITS) - 1
MAX_FID = (1 << FID_BITS) - 1
MAX_DAY = (1 << DAY_BITS) - 1


def _day_number(date: str | None) -> int:
    """Days since 1899-12-31 (1 and up), or 0 for no date."""
    if not date:
        return 0
    try:
        day = dt.date.fromisoformat(date[:10]).toordinal() - _DAY0 + 1
    except ValueError:
        return 0
    return min(max(day, 0), MAX_DAY)


def order_key(date: str | None, fid: int, position: int) -> int:
    """The pid of a paper first listed at ``position`` of file ``fid`` dated ``date``."""
    return (
        ((MAX_DAY - _day_number(date)) << (FID_BITS + POS_BITS))
        | (min(fid, MAX_FID) << POS_BITS)
        | min(position, MAX_POS)
    )


@functools.lru_cache(maxsize=65536)
def _date_of_day(day: int) -> str:
    return "" if day == 0 else dt.date.fromordinal(day + _DAY0 - 1).isoformat()


def date_of_key(pid: int) -> str:
    """The digest date (ISO) a pid sorts under; "" for undated digests."""
    return _date_of_day(MAX_DAY - (pid >> (FID_BITS + POS_BITS)))


def index_path_for(cache_dir: Path, roots: Sequence[Path]) -> Path:
    """One index per set of roots, so opening another folder never drops this one."""
    key = "\n".join(sorted(str(r.resolve()) for r in roots))
    digest = hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()
    return cache_dir / f"index-{digest}.sqlite3"


def _hidden(name: str) -> bool:
    return name.startswith(".")


def walk(roots: Iterable[Path]) -> Iterator[tuple[str, int, int]]:
    """Yield ``(path, size, mtime_ns)`` for every regular file under ``roots``.

    Hidden files and folders (``.git``) are skipped.  Paths given directly are
    taken as they are, hidden or not.
    """
    seen: set[str] = set()
    for root in roots:
        try:
            st = root.stat()
        except OSError:
            continue
        if not root.is_dir():
            path = str(root.resolve())
            if path not in seen:
                seen.add(path)
                yield path, st.st_size, st.st_mtime_ns
            continue
        stack = [str(root.resolve())]
        while stack:
            folder = stack.pop()
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            subdirs = []
            for entry in entries:
                if _hidden(entry.name):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=True):
                        subdirs.append(entry.path)
                    elif entry.is_file(follow_symlinks=True):
                        if entry.path in seen:
                            continue
                        seen.add(entry.path)
                        est = entry.stat(follow_symlinks=True)
                        yield entry.path, est.st_size, est.st_mtime_ns
                except OSError:
                    continue
            stack.extend(reversed(subdirs))


def _parsing() -> types.ModuleType:
    """The parsers, imported when a file is first parsed (not at start-up)."""
    from digest_tui import parsing

    return parsing


def _read_and_parse(path: str) -> tuple[str, str, ParseResult]:
    """Read one file, hash it and parse it (runs in worker processes too)."""
    parsing = _parsing()
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        result = ParseResult(source=path, format=None)
        result.warnings.append(ParseWarning(path, 1, f"cannot read: {exc.strerror or exc}"))
        return path, "", result
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    return path, digest, parsing.parse_bytes(data, path)


def _join_authors(authors: Sequence[str]) -> str:
    return AUTHOR_SEP.join(authors)


def _paper_values(p: Paper) -> tuple[object, ...]:
    return (
        p.id,
        p.version,
        p.title,
        _join_authors(p.authors),
        p.abstract,
        " ".join(p.categories),
        p.primary_category,
        p.pdf_url,
        p.abs_url,
        p.published,
        p.updated,
        p.comment,
        p.journal_ref,
        p.doi,
        json.dumps(p.extras, ensure_ascii=False) if p.extras else "",
        p.title_tex or "",
        p.abstract_tex or "",
        json.dumps(p.affiliations, ensure_ascii=False) if p.affiliations else "",
    )


def _fts_values(values: Sequence[object]) -> tuple[object, ...]:
    """Title, authors, abstract, categories as ``papers_fts_text`` gives them."""
    return (
        f"{values[_TITLE]} {values[_TITLE_TEX]}",
        values[_TITLE + 1],
        f"{values[_ABSTRACT]} {values[_ABSTRACT_TEX]}",
        values[_ABSTRACT + 1],
    )


def _load_extras(text: str) -> dict[str, str]:
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _merge(old: Sequence[object], new: Sequence[object]) -> tuple[object, ...]:
    """Combine what two digests say of one paper (values in ``_PAPER_COLUMNS``
    order): the newer version wins, and a field one lacks is taken from the other."""
    old_version = int(old[1] or 0)  # type: ignore[call-overload]
    new_version = int(new[1] or 0)  # type: ignore[call-overload]
    prefer_new = bool(new_version >= old_version)
    merged: list[object] = []
    for i, name in enumerate(_PAPER_COLUMNS):
        o, n = old[i], new[i]
        if name == "version":
            merged.append(max(old_version, new_version) or None)
        elif n in (None, ""):
            merged.append(o)
        elif o in (None, ""):
            merged.append(n)
        else:
            merged.append(n if prefer_new else o)
    for lead, companion in _COMPANIONS.items():  # e.g. the TeX of the title kept
        merged[companion] = new[companion] if merged[lead] == new[lead] else old[companion]
    return tuple(merged)


class _IdLookup:
    """arXiv id -> pid looked up in the index, for scans that touch few files."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._new: dict[str, int] = {}

    def get(self, arxiv_id: str) -> int | None:
        if arxiv_id in self._new:
            return self._new[arxiv_id]
        row = self._conn.execute("SELECT pid FROM papers WHERE arxiv_id=?", (arxiv_id,)).fetchone()
        return None if row is None else int(row[0])

    def __setitem__(self, arxiv_id: str, pid: int) -> None:
        self._new[arxiv_id] = pid

    def pop(self, arxiv_id: str, default: int | None = None) -> int | None:
        """Forget an id this scan dropped (the index itself no longer has it)."""
        return self._new.pop(arxiv_id, default)


class Library:
    """The parsed index of one set of digest roots.

    Thread-safe: one connection guarded by a lock, so the reader's workers can
    share it.  ``state_db`` (the user's state database) is attached read-only
    as ``st`` for ``is:`` and ``tag:`` queries when it exists.  :attr:`watch`
    is what ``is:watched`` matches (the config's watch list; may be replaced
    at any time).
    """

    def __init__(
        self,
        index_path: Path,
        roots: Sequence[Path],
        *,
        state_db: Path | None = None,
        watch: WatchList | None = None,
    ) -> None:
        self.path = index_path
        self.roots = [Path(r) for r in roots]
        self.state_db = state_db
        self.watch: WatchList = watch if watch is not None else WatchList()
        # Reads and writes use separate connections, and every thread reading
        # at the same moment gets a connection of its own from a small pool:
        # with WAL, the screen is never blocked by a search, a count or a scan
        # running in a worker.
        self._write_lock = threading.RLock()
        self._writer_conn: sqlite3.Connection | None = None
        self._pool_lock = threading.Lock()
        self._pool: list[sqlite3.Connection] = []
        self._all_readers: list[sqlite3.Connection] = []
        self._attached: set[int] = set()  # id() of readers with the state attached
        self._closed = False
        first = self._open()
        self._all_readers.append(first)
        self._pool.append(first)

    # -- opening -------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=10.0
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # a cache: speed over durability
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-65536")
        return conn

    def _open(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = None
        try:
            conn = self._connect()
            ok = self._schema_ok(conn)
        except sqlite3.DatabaseError:
            ok = False
        if not ok:
            # A corrupt or old index is a cache: throw it away and rebuild.
            if conn is not None:
                conn.close()
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.unlink(str(self.path) + suffix)
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    raise LibraryError(f"cannot reset index {self.path}: {exc}") from exc
            try:
                conn = self._connect()
            except sqlite3.Error as exc:
                raise LibraryError(f"cannot open index {self.path}: {exc}") from exc
        assert conn is not None
        conn.executescript(_SCHEMA)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        self._attach_state(conn)
        return conn

    @contextlib.contextmanager
    def _read(self, *, needs_state: bool = False) -> Iterator[sqlite3.Connection]:
        """A reader connection for this thread's query, back to the pool after."""
        if self._closed:
            raise LibraryError(f"index {self.path} is closed")
        with self._pool_lock:
            conn = self._pool.pop() if self._pool else None
        if conn is None:
            conn = self._connect()
            self._attach_state(conn)
            with self._pool_lock:
                self._all_readers.append(conn)
        if needs_state and id(conn) not in self._attached:
            self._attach_state(conn)  # the state database may be newer than this connection
        try:
            yield conn
        finally:
            with self._pool_lock:
                self._pool.append(conn)

    @staticmethod
    def _schema_ok(conn: sqlite3.Connection) -> bool:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if not tables:
            return True  # new
        if "meta" not in tables:
            return False
        row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None or row[0] != str(SCHEMA_VERSION):
            return False
        return True

    def _attach_state(self, conn: sqlite3.Connection) -> None:
        if self.state_db is None or not self.state_db.exists():
            return
        uri = self.state_db.resolve().as_uri() + "?mode=ro"
        try:
            conn.execute("ATTACH DATABASE ? AS st", (uri,))
            self._attached.add(id(conn))
        except sqlite3.Error:
            pass

    @property
    def _writer(self) -> sqlite3.Connection:
        if self._writer_conn is None:
            self._writer_conn = self._connect()
        return self._writer_conn

    def close(self) -> None:
        with self._write_lock:
            if self._writer_conn is not None:
                self._writer_conn.close()
                self._writer_conn = None
        with self._pool_lock:
            self._closed = True
            for conn in self._all_readers:
                conn.close()
            self._all_readers.clear()
            self._pool.clear()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scanning ------------------------------------------------------------

    def scan(
        self,
        progress: Callable[[int, int], None] | None = None,
        *,
        workers: int | None = None,
        on_batch: Callable[[ScanReport], None] | None = None,
    ) -> ScanReport:
        """Bring the index up to date with the files under the roots.

        Changed files are parsed newest path first (digest repositories name
        their files by date) and committed in batches, so a reader can show
        the newest digests while older ones are still being indexed:
        ``on_batch`` is called after each commit.  On a first open the
        full-text index is built once at the end (:attr:`fts_ready` is False
        until then; text queries fall back to slower substring matching).
        Scans run one at a time; reads go on meanwhile.
        """
        with self._write_lock:
            return self._scan(progress, workers, on_batch)

    def _scan(
        self,
        progress: Callable[[int, int], None] | None,
        workers: int | None,
        on_batch: Callable[[ScanReport], None] | None,
    ) -> ScanReport:
        started = time.perf_counter()
        report = ScanReport()
        with self._write_lock:
            known = {
                r[0]: (r[1], r[2], r[3], r[4])
                for r in self._writer.execute(
                    "SELECT path, size, mtime_ns, parser_version, fid FROM files"
                )
            }
        parser_version = _parsing().PARSER_VERSION
        on_disk: dict[str, tuple[int, int]] = {}
        changed: list[str] = []
        for path, size, mtime in walk(self.roots):
            on_disk[path] = (size, mtime)
            old = known.get(path)
            if old and old[0] == size and old[1] == mtime and old[2] == parser_version:
                report.files_unchanged += 1
            else:
                changed.append(path)
        report.files_seen = len(on_disk)
        removed = [known[p][3] for p in known if p not in on_disk]
        if not changed and not removed:
            report.seconds = time.perf_counter() - started
            return report
        changed.sort(reverse=True)

        total = len(changed)
        if progress:
            progress(0, total)
        with self._write_lock:
            if removed:
                self._remove_files(removed)
                report.files_removed = len(removed)
            ids: dict[str, int] | _IdLookup
            if total > 20:
                ids = {r[0]: r[1] for r in self._writer.execute("SELECT arxiv_id, pid FROM papers")}
            else:  # a new morning's digest: look ids up one by one
                ids = _IdLookup(self._writer)
            empty = self._writer.execute("SELECT 1 FROM papers LIMIT 1").fetchone() is None
            defer_fts = empty and total > 50
            if defer_fts:
                self._set_meta("fts_ready", "0")
        batch: list[tuple[str, int, int, str, ParseResult]] = []
        batch_papers = 0
        last_commit = time.perf_counter()
        done = 0

        def flush() -> None:
            nonlocal batch, batch_papers, last_commit
            with self._write_lock:
                added = self._store_batch(batch, ids, defer_fts)
            report.papers_added += added
            batch, batch_papers = [], 0
            last_commit = time.perf_counter()
            if progress:
                progress(done, total)
            if on_batch:
                on_batch(report)

        for path, digest, result in self._parse_all(changed, workers):
            done += 1
            size, mtime = on_disk[path]
            report.files_parsed += 1
            if result.format is None:
                report.files_skipped += 1
            report.warnings.extend(result.warnings)
            batch.append((path, size, mtime, digest, result))
            batch_papers += len(result.papers)
            # Small first batches put the newest digests on screen at once.
            limit = 200 if report.papers_added < 1000 else 20_000
            if batch_papers >= limit or time.perf_counter() - last_commit > 1.0:
                flush()
        if batch:
            flush()
        if defer_fts:
            with self._write_lock:
                self._writer.execute("INSERT INTO papers_fts (papers_fts) VALUES ('rebuild')")
                self._set_meta("fts_ready", "1")
        report.seconds = time.perf_counter() - started
        return report

    @property
    def fts_ready(self) -> bool:
        """False while a first index is still building its full-text index."""
        with self._read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key='fts_ready'").fetchone()
        return row is None or row[0] == "1"

    def _set_meta(self, key: str, value: str) -> None:
        self._writer.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @staticmethod
    def _parse_all(paths: list[str], workers: int | None) -> Iterator[tuple[str, str, ParseResult]]:
        if workers is None:
            workers = min(os.cpu_count() or 1, 4) if len(paths) >= 64 else 1
        if workers <= 1:
            for path in paths:
                yield _read_and_parse(path)
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            yield from pool.map(_read_and_parse, paths, chunksize=4)

    def _remove_files(self, fids: list[int]) -> None:
        conn = self._writer
        conn.execute("BEGIN")
        try:
            affected: set[int] = set()
            for fid in fids:
                affected.update(
                    r[0] for r in conn.execute("SELECT pid FROM appearances WHERE fid=?", (fid,))
                )
                conn.execute("DELETE FROM appearances WHERE fid=?", (fid,))
                conn.execute("DELETE FROM files WHERE fid=?", (fid,))
            self._refresh_papers(affected)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _store_batch(
        self,
        batch: list[tuple[str, int, int, str, ParseResult]],
        ids: dict[str, int] | _IdLookup,
        defer_fts: bool,
    ) -> int:
        """Replace everything the index knew of some files, in one transaction.

        ``ids`` maps arXiv ids to pids and is kept up to date.  Returns the
        number of papers new to the index.
        """
        conn = self._writer
        added = 0
        conn.execute("BEGIN")
        try:
            for path, size, mtime, digest, result in batch:
                added += self._store_file(path, size, mtime, digest, result, ids, defer_fts)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return added

    def _store_file(
        self,
        path: str,
        size: int,
        mtime: int,
        digest: str,
        result: ParseResult,
        ids: dict[str, int] | _IdLookup,
        defer_fts: bool,
    ) -> int:
        conn = self._writer
        warnings = "\n".join(f"{w.line}\t{w.message}" for w in result.warnings)
        meta = (
            size,
            mtime,
            digest,
            _parsing().PARSER_VERSION,
            result.format,
            result.date,
            result.category,
            result.entries,
            len(result.papers),
            warnings,
        )
        row = conn.execute("SELECT fid FROM files WHERE path=?", (path,)).fetchone()
        if row is not None:
            fid = int(row[0])
            # Forget what this file said before; papers it alone listed go away
            # (most come straight back below), the others take their order key
            # from their remaining digests, so no key of this file is in use.
            old = [r[0] for r in conn.execute("SELECT pid FROM appearances WHERE fid=?", (fid,))]
            conn.execute("DELETE FROM appearances WHERE fid=?", (fid,))
            dropped = self._refresh_papers(old, ids, defer_fts)
            conn.execute(
                "UPDATE files SET size=?, mtime_ns=?, hash=?, parser_version=?,"
                " format=?, date=?, category=?, entries=?, papers=?, warnings=?"
                " WHERE fid=?",
                (*meta, fid),
            )
        else:
            cur = conn.execute(
                "INSERT INTO files (path, size, mtime_ns, hash, parser_version, format,"
                " date, category, entries, papers, warnings)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (path, *meta),
            )
            fid = int(cur.lastrowid or 0)
            dropped = set()
            if fid > MAX_FID:
                raise LibraryError(f"index {self.path} is full: delete it to rebuild")
        new_rows: list[tuple[object, ...]] = []
        pending: dict[int, int] = {}  # pid -> index in new_rows
        appearance_rows: list[tuple[object, ...]] = []
        affected: set[int] = set()
        for paper in result.papers:
            values = _paper_values(paper)
            first = paper.appearances[0] if paper.appearances else None
            date = (first.date if first else None) or result.date
            pos = first.position if first else 0
            if pos > MAX_POS:
                continue  # beyond four million entries in one file
            pid = ids.get(paper.id)
            if pid is None:
                pid = order_key(date, fid, pos)
                ids[paper.id] = pid
                pending[pid] = len(new_rows)
                new_rows.append((pid, *values, date or ""))
            elif pid in pending:  # listed twice in this file: the first place counts
                i = pending[pid]
                merged = _merge(new_rows[i][1 : 1 + len(_PAPER_COLUMNS)], values)
                new_rows[i] = (pid, *merged, new_rows[i][-1])
            else:
                self._update_paper(pid, values, defer_fts)
                affected.add(pid)
            for ap in paper.appearances:
                appearance_rows.append(
                    (
                        fid,
                        pid,
                        ap.date or result.date,
                        ap.category or result.category,
                        ap.line,
                        ap.position,
                    )
                )
        cols = ", ".join(_PAPER_COLUMNS)
        marks = ", ".join("?" for _ in range(len(_PAPER_COLUMNS) + 2))
        conn.executemany(
            f"INSERT INTO papers (pid, {cols}, sort_date) VALUES ({marks})",
            new_rows,
        )
        if not defer_fts:
            conn.executemany(
                "INSERT INTO papers_fts (rowid, title, authors, abstract, categories)"
                " VALUES (?,?,?,?,?)",
                [(r[0], *_fts_values(r[1:])) for r in new_rows],
            )
        conn.executemany(
            "INSERT OR REPLACE INTO appearances (fid, pid, date, category, line, position)"
            " VALUES (?,?,?,?,?,?)",
            appearance_rows,
        )
        # Papers already known elsewhere may now be listed first by this file.
        self._refresh_papers(affected, ids, defer_fts)
        return sum(1 for r in new_rows if r[1] not in dropped)

    def _update_paper(self, pid: int, values: tuple[object, ...], defer_fts: bool) -> None:
        """Merge what another digest says of a paper already in the index."""
        conn = self._writer
        old = conn.execute(
            "SELECT " + ", ".join(_PAPER_COLUMNS) + " FROM papers WHERE pid=?", (pid,)
        ).fetchone()
        if old is None:
            return
        merged = _merge(tuple(old), values)
        if merged != tuple(old):
            if not defer_fts:
                self._fts_delete(pid, tuple(old))
            sets = ", ".join(f"{c}=?" for c in _PAPER_COLUMNS)
            conn.execute(f"UPDATE papers SET {sets} WHERE pid=?", (*merged, pid))
            if not defer_fts:
                self._fts_insert(pid, merged)

    def _fts_insert(self, pid: int, values: Sequence[object]) -> None:
        self._writer.execute(
            "INSERT INTO papers_fts (rowid, title, authors, abstract, categories)"
            " VALUES (?,?,?,?,?)",
            (pid, *_fts_values(values)),
        )

    def _fts_delete(self, pid: int, values: Sequence[object]) -> None:
        self._writer.execute(
            "INSERT INTO papers_fts (papers_fts, rowid, title, authors, abstract, categories)"
            " VALUES ('delete',?,?,?,?,?)",
            (pid, *_fts_values(values)),
        )

    def _refresh_papers(
        self,
        pids: Iterable[int],
        ids: dict[str, int] | _IdLookup | None = None,
        defer_fts: bool = False,
    ) -> set[str]:
        """Give papers whose appearances changed the order key of their first
        place in the newest digest listing them; drop papers no digest lists
        (their arXiv ids are returned)."""
        conn = self._writer
        dropped: set[str] = set()
        select = "SELECT " + ", ".join(_PAPER_COLUMNS) + " FROM papers WHERE pid=?"
        for pid in pids:
            best = conn.execute(
                "SELECT a.date, a.fid, a.position FROM appearances a WHERE a.pid=?"
                " ORDER BY COALESCE(a.date, '') DESC, a.fid, a.position LIMIT 1",
                (pid,),
            ).fetchone()
            key = None if best is None else order_key(best[0], best[1], best[2])
            if key == pid:
                continue
            old = conn.execute(select, (pid,)).fetchone()
            if old is None:
                continue
            if not defer_fts:
                self._fts_delete(pid, tuple(old))
            if key is None:
                conn.execute("DELETE FROM papers WHERE pid=?", (pid,))
                dropped.add(old[0])
                if ids is not None:
                    ids.pop(old[0], None)
                continue
            conn.execute(
                "UPDATE papers SET pid=?, sort_date=? WHERE pid=?", (key, best[0] or "", pid)
            )
            conn.execute("UPDATE appearances SET pid=? WHERE pid=?", (key, pid))
            if not defer_fts:
                self._fts_insert(key, tuple(old))
            if ids is not None:
                ids[old[0]] = key
        return dropped

    # -- reading -------------------------------------------------------------

    def is_empty(self) -> bool:
        """True when no paper is indexed (cheaper than ``count() == 0``)."""
        with self._read() as conn:
            return conn.execute("SELECT 1 FROM papers LIMIT 1").fetchone() is None

    def count(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT count(*) FROM papers").fetchone()[0])

    def file_reports(self) -> list[FileReport]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT path, format, entries, papers, warnings FROM files ORDER BY path"
            ).fetchall()
        reports = []
        for r in rows:
            warnings = [
                f"{r['path']}:{w.split(chr(9), 1)[0]}: {w.split(chr(9), 1)[-1]}"
                for w in r["warnings"].splitlines()
            ]
            reports.append(FileReport(r["path"], r["format"], r["entries"], r["papers"], warnings))
        return reports

    def search(
        self, query: Query | str = "", *, limit: int | None = None, sort: str = "digest"
    ) -> SearchResult:
        """Papers matching ``query`` (the filter language), newest digest first.

        ``sort`` is one of :data:`digest_tui.query.SORTS`: ``"digest"`` (the
        default), ``"date"`` (newest published first), ``"title"`` (A to Z) or
        ``"id"`` (newest arXiv id first).  Another value raises ``ValueError``.
        """
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r} (use {', '.join(SORTS)})")
        q = parse_query(query) if isinstance(query, str) else query
        fts = self.fts_ready
        watch = self.watch
        pids: array[int] = array("q")
        with self._read(needs_state=q.needs_state) as conn:
            sql, params = q.select_sql(
                state_available=id(conn) in self._attached,
                fts=fts,
                limit=limit,
                watch=watch,
                sort=sort,
            )
            cur = conn.execute(sql, params)
            while batch := cur.fetchmany(8192):
                pids.extend(r[0] for r in batch)
        return SearchResult(pids, q, sort)

    def count_matching(self, query: Query | str) -> int:
        """How many papers match ``query``, without listing them."""
        q = parse_query(query) if isinstance(query, str) else query
        fts = self.fts_ready
        with self._read(needs_state=q.needs_state) as conn:
            sql, params = q.select_sql(
                state_available=id(conn) in self._attached, fts=fts, watch=self.watch
            )
            return int(conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0])

    def rows(self, pids: Sequence[int]) -> dict[int, Row]:
        """List rows for some papers (the visible page of the list)."""
        out: dict[int, Row] = {}
        pid_list = list(pids)
        with self._read() as conn:
            for start in range(0, len(pid_list), 500):
                chunk = pid_list[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for r in conn.execute(
                    "SELECT pid, arxiv_id, title, authors, sort_date, primary_category"
                    f" FROM papers WHERE pid IN ({marks})",
                    chunk,
                ):
                    authors = r["authors"].split(AUTHOR_SEP) if r["authors"] else []
                    out[r["pid"]] = Row(
                        r["pid"],
                        r["arxiv_id"],
                        r["title"],
                        authors[0] if authors else None,
                        len(authors),
                        r["sort_date"],
                        r["primary_category"],
                    )
        return out

    def pid_of(self, arxiv_id: str) -> int | None:
        with self._read() as conn:
            row = conn.execute("SELECT pid FROM papers WHERE arxiv_id=?", (arxiv_id,)).fetchone()
        return None if row is None else int(row[0])

    def paper(self, pid: int) -> Paper | None:
        papers = self.papers([pid])
        return papers[0] if papers else None

    def papers(self, pids: Sequence[int]) -> list[Paper]:
        """Full papers with their appearances, in the order of ``pids``."""
        found: dict[int, Paper] = {}
        pid_list = list(pids)
        with self._read() as conn:
            for start in range(0, len(pid_list), 500):
                chunk = pid_list[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for r in conn.execute(
                    "SELECT pid, " + ", ".join(_PAPER_COLUMNS) + " FROM papers"
                    f" WHERE pid IN ({marks})",
                    chunk,
                ):
                    found[r["pid"]] = Paper(
                        id=r["arxiv_id"],
                        version=r["version"],
                        title=r["title"],
                        authors=r["authors"].split(AUTHOR_SEP) if r["authors"] else [],
                        abstract=r["abstract"],
                        categories=r["categories"].split() if r["categories"] else [],
                        primary_category=r["primary_category"],
                        pdf_url=r["pdf_url"],
                        abs_url=r["abs_url"],
                        published=r["published"],
                        updated=r["updated"],
                        comment=r["comment"],
                        journal_ref=r["journal_ref"],
                        doi=r["doi"],
                        extras=_load_extras(r["extras"]),
                        title_tex=r["title_tex"] or None,
                        abstract_tex=r["abstract_tex"] or None,
                        affiliations=_load_extras(r["affiliations"]),
                    )
                for a in conn.execute(
                    "SELECT a.pid, a.date, a.category, f.path, a.line, a.position"
                    " FROM appearances a JOIN files f ON f.fid = a.fid"
                    f" WHERE a.pid IN ({marks}) ORDER BY a.date DESC, f.path, a.position",
                    chunk,
                ):
                    paper = found.get(a["pid"])
                    if paper is not None:
                        paper.appearances.append(
                            Appearance(
                                a["date"], a["category"], a["path"], a["line"], a["position"]
                            )
                        )
        return [found[p] for p in pid_list if p in found]

    def digest_dates(self) -> list[str]:
        """Every digest date in the index, newest first."""
        with self._read() as conn:
            return [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT date FROM files WHERE date IS NOT NULL ORDER BY date DESC"
                )
            ]
