"""The library index: every paper of a set of digest folders, in SQLite.

The index is a cache.  It lives under the platformdirs cache dir, one
database per set of digest roots, and can be deleted at any time: the next
open parses the files again.  The user's own state (read, starred, notes)
lives elsewhere (:mod:`digest_tui.state`) and is only *attached* read-only
here, so queries can say ``is:starred``.

Re-opening is incremental: a file whose size and mtime are unchanged is not
read; a changed file is parsed again and replaces its old appearances; a
file that disappeared loses its appearances, and papers left with none are
dropped.  A new :data:`digest_tui.models.PARSER_VERSION` re-parses all.

A first open stores the newest digests first, in commits of a few hundred
papers (then of :data:`BATCH_PAPERS`, or a second's worth), so the reader
shows them while the rest is read, and writes the full-text index in the
same commits (FTS5 options in :data:`_FTS_OPTIONS`); a large e-mail
(a year of listings saved as one mailbox) is parsed and committed in parts
of :data:`PART_PAPERS` papers (:func:`digest_tui.parsing.iter_parse_bytes`).
Nothing holds the whole corpus in memory: arXiv ids are looked up per file,
worker processes parse at most two files each ahead of the writer and send
each paper as a tuple of plain values (:data:`_Stored`: the scanning process
binds them, it builds no :class:`~digest_tui.models.Paper`), every
connection's page cache is 16 MB (:data:`_CACHE_KIB`), and
:meth:`Library.iter_search` reads a result from a cursor.

The schema (:data:`_SCHEMA`; a new :data:`SCHEMA_VERSION` rebuilds an old
index from the digests, unless it is one :data:`_UPGRADABLE` in place) and
what each part costs at 1,000,000 papers (400 generated daily e-mails,
1.69 GB: ``benchmarks/scale.py``; 16 KiB pages):

==================  ========  =================================================
part                size      what it holds
==================  ========  =================================================
papers              966 MB    one row a paper, keyed by ``pid`` (its place in
                              the default order, see :func:`order_key`); the
                              abstract and its TeX form deflated (half their
                              bytes), URLs the id gives left out ('')
papers_fts          454 MB    FTS5 over title, authors, abstract, categories,
                              external content (the view ``papers_fts_text``
                              reads ``papers``: no text stored twice) and
                              ``detail=column`` (no word positions: half the
                              size; a phrase is checked row by row)
papers_scan         52 MB     (pid, arxiv_id, categories): what filters without
                              words read, in display order
fts_terms           2.5 MB    every word of the full-text index (195,034) and
                              in about how many papers: a prefix being typed
                              is searched as the words it stands for (0.5 ms
                              for ``met`` against 56 ms); read from
                              ``fts5vocab`` once (2.3 s), then each scan adds
                              the words of what it indexes (about 30 us a
                              paper: 0.07 s for a day of 2,500)
arxiv_id (unique)   39 MB     arXiv id -> paper
appearances         129 MB    where each paper was listed (file, place, date,
                              digest category), with its indexes by (pid, date)
                              and (date, pid) and its key (fid, position)
files, meta,        < 1 MB    one row a digest file; settings; renumbered pids
pid_log                       (see below)
total               1,647 MB  0.97x the digests' bytes (before: 3,096 MB, 1.83x)
==================  ========  =================================================
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import hashlib
import itertools
import os
import re
import sqlite3
import stat
import threading
import time
import types
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, NamedTuple, ParamSpec, TypeVar

from digest_tui import fsutil, library_sql, links
from digest_tui.models import (
    PARSER_VERSION,
    Appearance,
    Paper,
    ParseResult,
    ParseWarning,
    Record,
)
from digest_tui.query import SORTS, Query, WatchList, parse_query

if TYPE_CHECKING:
    from concurrent.futures import Future

    from digest_tui.parsing.email_ranges import Head, Merger, RangePart, Resume, Shift

SCHEMA_VERSION = 8
#: Older schemas an index is brought up to date from, in place: all they lack
#: is what ``_SCHEMA`` creates when missing (7: the list of words,
#: ``fts_terms``, filled in by the next scan).  Any other is rebuilt.
_UPGRADABLE = frozenset({"7"})
AUTHOR_SEP = "\n"
#: The largest digest file read (the config's ``max_digest_mb``); larger ones
#: are skipped with a warning naming the setting.
DEFAULT_MAX_DIGEST_BYTES = 64 * 2**20

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
    -- Raw deflate of the UTF-8 text ('' for none), as abstract_tex: see _pack_text.
    abstract BLOB NOT NULL DEFAULT '',
    categories TEXT NOT NULL DEFAULT '',
    primary_category TEXT,
    -- '' for the arXiv URL of the id and version (links.pdf_url/abs_url).
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
    abstract_tex BLOB NOT NULL DEFAULT '',
    affiliations TEXT NOT NULL DEFAULT ''
);
-- What the full-text index holds: the text and the TeX forms, so a search
-- for either finds the paper ("ℓ₀" and "ell_0").
CREATE VIEW IF NOT EXISTS papers_fts_text AS
    SELECT pid, title || ' ' || title_tex AS title, authors,
           dt_inflate(abstract) || ' ' || dt_inflate(abstract_tex) AS abstract, categories
    FROM papers;
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
-- A pid is a display-order key, never an identity: a rescan may give a paper
-- another pid (its newest digest changed, or its file was rewritten).  Each
-- write transaction bumps meta.generation and logs here which arXiv id held
-- each pid it renumbered or dropped, so a list read at an older generation
-- still names exactly the papers it showed (see Library.ids_of).
CREATE TABLE IF NOT EXISTS pid_log (
    gen INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    arxiv_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pid_log_pid ON pid_log (pid, gen);
CREATE VIRTUAL TABLE IF NOT EXISTS papers_fts USING fts5 (
    title, authors, abstract, categories,
    content='papers_fts_text', content_rowid='pid', detail=column,
    tokenize="unicode61 remove_diacritics 2"
);
-- Every word of the full-text index, and in about how many papers: a
-- prefix being typed is searched as the words it stands for (see
-- Library._expander).  meta.fts_terms is the generation it has every word
-- of; at any other, prefixes are searched as prefixes.  Words no paper has
-- any more may stay.
CREATE TABLE IF NOT EXISTS fts_terms (
    term TEXT PRIMARY KEY,
    docs INTEGER NOT NULL
) WITHOUT ROWID;
"""

#: The tokenizer of ``papers_fts``, for the tables that read words as it does.
_TOKENIZE = "tokenize='unicode61 remove_diacritics 2'"

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


class ScanReport(Record):
    """What a scan did: files seen, parsed, unchanged, removed, skipped (not
    digests), papers added, the parsers' warnings and the seconds it took."""

    __slots__ = (
        "files_seen",
        "files_parsed",
        "files_unchanged",
        "files_removed",
        "files_skipped",
        "papers_added",
        "warnings",
        "seconds",
    )

    def __init__(
        self,
        files_seen: int = 0,
        files_parsed: int = 0,
        files_unchanged: int = 0,
        files_removed: int = 0,
        files_skipped: int = 0,
        papers_added: int = 0,
        warnings: list[ParseWarning] | None = None,
        seconds: float = 0.0,
    ) -> None:
        self.files_seen = files_seen
        self.files_parsed = files_parsed
        self.files_unchanged = files_unchanged
        self.files_removed = files_removed
        self.files_skipped = files_skipped
        self.papers_added = papers_added
        self.warnings: list[ParseWarning] = [] if warnings is None else warnings
        self.seconds = seconds

    @property
    def changed(self) -> bool:
        return bool(self.files_parsed or self.files_removed)


class _Part(NamedTuple):
    """What a scan stores of one file: all of it, or one part of a large
    e-mail (its first, its last, or one between)."""

    path: str
    size: int
    mtime: int
    digest: str
    result: ParseResult  # its papers are in ``rows``
    rows: list[_Stored]
    first: bool = True
    last: bool = True


class Row(NamedTuple):
    """What the paper list shows of one paper."""

    pid: int
    id: str
    title: str
    first_author: str | None
    n_authors: int
    date: str
    category: str | None


class SearchResult(Record):
    """Papers matching a query, in display order (pids, see :func:`order_key`).

    ``sort`` is the order the pids are in (one of :data:`digest_tui.query.SORTS`);
    only the digest order groups rows by digest day.
    """

    __slots__ = ("pids", "query", "sort", "generation")

    def __init__(
        self, pids: array[int], query: Query, sort: str = "digest", generation: int = 0
    ) -> None:
        self.pids = pids
        self.query = query
        self.sort = sort
        #: The index generation the pids were read at (see :meth:`Library.ids_of`).
        self.generation = generation

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
#: Write transactions after which a renumbering is forgotten (see ``pid_log``).
PID_LOG_KEEP = 10_000


@functools.lru_cache(maxsize=4096)
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


def _token_of(conn: sqlite3.Connection, word: str) -> str | None:
    """The token the full-text index makes of ``word``, read by an FTS5 table
    in memory with its tokenizer (case and diacritics as it folds them); None
    unless it is exactly one."""
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.dt_word USING fts5"
        f" (body, content='', detail=none, {_TOKENIZE})"
    )
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.dt_word_terms USING fts5vocab (temp, dt_word, row)"
    )
    conn.execute("INSERT INTO temp.dt_word (rowid, body) VALUES (1, ?)", (word,))
    try:
        tokens = [r[0] for r in conn.execute("SELECT term FROM temp.dt_word_terms LIMIT 2")]
    finally:
        conn.execute("INSERT INTO temp.dt_word (dt_word) VALUES ('delete-all')")
    return tokens[0] if len(tokens) == 1 else None


def _after_prefix(prefix: str) -> str | None:
    """The first text after every text that starts with ``prefix``, in
    SQLite's order (that of the UTF-8 bytes, so of the code points); None
    past the last code point."""
    last = ord(prefix[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # no text holds a surrogate
        last = 0xE000
    if last > 0x10FFFF:
        return None
    return prefix[:-1] + chr(last)


def _plain_cursor(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """A cursor giving tuples (a million pids are read in half the time)."""
    cur = conn.cursor()
    cur.row_factory = None
    return cur


def _generation(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
    return int(row[0]) if row is not None else 0


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
    taken as they are, hidden or not (and whatever they are: reading refuses
    what is not a regular file, with a warning).  Each real folder is visited
    once and each real file yielded once, however many symlinks or hard links
    lead to it, so ``a -> .`` or ``up -> ..`` cannot make the walk loop.  In
    folders only regular files are yielded: FIFOs, devices and sockets are
    never opened.
    """
    seen_files: set[tuple[int, int]] = set()
    seen_dirs: set[tuple[int, int]] = set()
    for root in roots:
        try:
            st = os.stat(root)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if not stat.S_ISDIR(st.st_mode):
            if key not in seen_files:
                seen_files.add(key)
                yield str(Path(root).resolve()), st.st_size, st.st_mtime_ns
            continue
        if key in seen_dirs:
            continue
        seen_dirs.add(key)
        stack = [str(Path(root).resolve())]
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
                    est = entry.stat(follow_symlinks=True)
                except OSError:
                    continue
                key = (est.st_dev, est.st_ino)
                if stat.S_ISDIR(est.st_mode):
                    if key not in seen_dirs:
                        seen_dirs.add(key)
                        subdirs.append(entry.path)
                elif stat.S_ISREG(est.st_mode) and key not in seen_files:
                    seen_files.add(key)
                    yield entry.path, est.st_size, est.st_mtime_ns
            stack.extend(reversed(subdirs))


def _parsing() -> types.ModuleType:
    """The parsers, imported when a file is first parsed (not at start-up)."""
    from digest_tui import parsing

    return parsing


def _unreadable(path: str, message: str) -> tuple[str, str, ParseResult]:
    result = ParseResult(source=path, format=None)
    result.warnings.append(ParseWarning(path, 1, message))
    return path, "", result


def _why_not_read(exc: OSError, max_bytes: int) -> str:
    """One line saying why a digest was not read (the readers' one wording)."""
    if isinstance(exc, fsutil.NotRegularFileError):
        return f"not read: {exc}"
    if isinstance(exc, fsutil.TooLargeError):
        return (
            f"not read: larger than the max_digest_mb limit ({max_bytes / 2**20:g} MB);"
            " raise max_digest_mb in the config to read it"
        )
    return f"cannot read: {exc.strerror or exc}"


def read_digest(path: str, max_bytes: int = DEFAULT_MAX_DIGEST_BYTES) -> bytes | str:
    """The bytes of the digest at ``path``, or why it was not read (one line).

    Only a regular file of at most ``max_bytes`` is read
    (:func:`digest_tui.fsutil.read_regular_file`); a larger one is refused with
    a message naming the ``max_digest_mb`` setting.
    """
    try:
        return fsutil.read_regular_file(path, max_bytes)
    except OSError as exc:
        return _why_not_read(exc, max_bytes)


def _read_and_parse(
    path: str, max_bytes: int = DEFAULT_MAX_DIGEST_BYTES
) -> tuple[str, str, ParseResult]:
    """Read one file, hash it and parse it (runs in worker processes too)."""
    data = read_digest(path, max_bytes)
    if isinstance(data, str):
        return _unreadable(path, data)
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    return path, digest, _parsing().parse_bytes(data, path)


#: FTS5 options of a new index (kept in ``papers_fts_config``): its pending
#: terms are written out as a segment at 8 MB (not 1 MB) and segments merged
#: 8 at a time (not 4), so a batch of papers makes one segment and there is
#: less merging: a fifth less CPU for the full-text index, the same size.
_FTS_OPTIONS = (("hashsize", 8 * 2**20), ("automerge", 8))
#: Each connection's page cache, in KiB.  Rows are appended in key order and
#: read in order, so a large one buys little speed (the same CPU at 16 MB as
#: at 64 MB for a first open) and costs its size in memory per connection.
_CACHE_KIB = 16384

#: Papers in each commit of a scan, past its first few (small ones put the
#: newest digests on screen at once); a commit is also made after a second.
#: What the scanning process holds is a few batches of this size.
BATCH_PAPERS = 5000

#: Digests to parse, in bytes, from which a scan of a few files parses them
#: in worker processes too (as it does for 64 files or more).
PARALLEL_MIN_BYTES = 8 * 2**20

#: A single e-mail to parse at least this large is parsed by worker
#: processes too, in byte ranges after its head (see :class:`_RangedEmail`).
RANGED_MIN_BYTES = 8 * 2**20

#: Bytes of ranges of such an e-mail parsed ahead of what the scan took.
RANGES_AHEAD_BYTES = 16 * 2**20

#: Papers in each result of a large e-mail parsed in pieces.
PART_PAPERS = 500
#: The same for the newest digest of a scan, whose first part is the first
#: screen of a first open (100 papers: 30 ms to parse on one core).
HEAD_PART_PAPERS = 100

#: Papers a scan adds the words of to ``fts_terms`` one transaction at a
#: time, whatever the size of the index; past them, only while that costs
#: less than reading the words of the whole index again: a paper read on its
#: own costs about 10 times as much (20-30 us against 2.3 us a paper of the
#: index).
TERMS_INCREMENTAL_MIN = 20_000
TERMS_INCREMENTAL_COST = 10
#: While ``fts_terms`` is rebuilt, the scan's progress is called every
#: ``_TERMS_TICK_S`` seconds, looked at every ``_TERMS_TICK_OPS`` SQLite steps.
_TERMS_TICK_S = 0.25
_TERMS_TICK_OPS = 100_000


def _read_and_parse_parts(
    path: str,
    max_bytes: int = DEFAULT_MAX_DIGEST_BYTES,
    min_bytes: int | None = None,
    part_papers: int | None = None,
) -> Iterator[tuple[str, str, ParseResult, list[_Stored], bool, bool]]:
    """:func:`_read_and_parse` as ``(path, hash, result, rows, first, last)``
    (``rows``: :func:`_stored_rows` of the result's papers, taken out of it): a
    large e-mail (``min_bytes`` or more, default
    :data:`digest_tui.parsing.STREAM_MIN_BYTES`) in results of
    ``part_papers`` papers (default :data:`PART_PAPERS`; see
    :func:`digest_tui.parsing.iter_parse_bytes`), any other file in one."""
    parsing = _parsing()
    if part_papers is None:
        part_papers = PART_PAPERS
    least = parsing.STREAM_MIN_BYTES if min_bytes is None else min_bytes
    parts: Iterator[ParseResult] | None = None
    try:
        big = os.stat(path).st_size >= max(least, 1 << 16)
    except OSError:
        big = False
    if big:
        # Read twice, a block at a time: once to hash it and look for NUL
        # bytes, once to parse it; the file is never held whole.
        found = _hash_blocks(path, max_bytes)
        if isinstance(found, str):
            yield (*_unreadable(path, found), [], True, True)
            return
        digest, head, clean = found
        if clean and parsing.streamable(head):
            blocks = fsutil.read_regular_blocks(path, max_bytes, 1 << 21)
            parts = parsing.iter_parse_blocks(blocks, path, part_papers)
    if parts is None:
        data = read_digest(path, max_bytes)
        if isinstance(data, str):
            yield (*_unreadable(path, data), [], True, True)
            return
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        parts = parsing.iter_parse_bytes(data, path, part_papers, min_bytes=least)
    try:
        result = next(parts)
    except OSError as exc:  # the file went away between the two reads
        yield (*_unreadable(path, f"cannot read: {exc.strerror or exc}"), [], True, True)
        return
    # Each part goes on as soon as it is parsed (``more``: another follows).
    first = True
    while True:
        yield path, digest, result, _stored_rows(result), first, not result.more
        if not result.more:
            return
        first = False
        following = next(parts, None)
        if following is None:  # pragma: no cover - a last part always comes
            return
        result = following


def _hash_blocks(path: str, max_bytes: int) -> tuple[str, bytes, bool] | str:
    """The hash of the file at ``path`` (as :func:`_read_and_parse` makes
    it), its first 64 KiB and whether it has no NUL byte, read a block at a
    time; or why it was not read (as :func:`read_digest`)."""
    hasher = hashlib.blake2b(digest_size=16)
    head = b""
    clean = True
    try:
        for block in fsutil.read_regular_blocks(path, max_bytes, 1 << 21):
            hasher.update(block)
            if len(head) < 65536:
                head += block[: 65536 - len(head)]
            clean = clean and block.find(b"\x00") < 0
    except OSError as exc:
        return _why_not_read(exc, max_bytes)
    return hasher.hexdigest(), head, clean


def parse_digest_file(path: str, max_bytes: int = DEFAULT_MAX_DIGEST_BYTES) -> ParseResult:
    """Read (as :func:`read_digest` does) and parse one digest; never raises for a bad file."""
    return _read_and_parse(path, max_bytes)[2]


def _join_authors(authors: Sequence[str]) -> str:
    return AUTHOR_SEP.join(authors)


#: What a paper's long texts and URLs are stored as (see :func:`_pack`).
_Packed = tuple[bytes | str, bytes | str, str | None, str | None]
_SAFE_ID = re.compile(r"[0-9A-Za-z./-]+")


def _pack(p: Paper) -> _Packed:
    """The abstract and its TeX form deflated, and the PDF and abstract URLs
    ('' for those the id and version give): done where the file is parsed,
    in worker processes on a first open."""
    if _SAFE_ID.fullmatch(p.id):  # links would quote nothing
        version = f"v{p.version}" if p.version else ""
        pdf = f"https://arxiv.org/pdf/{p.id}{version}"
        abs_ = f"https://arxiv.org/abs/{p.id}{version}"
    else:
        pdf, abs_ = links.pdf_url(p.id, p.version), links.abs_url(p.id, p.version)
    return (
        _pack_text(p.abstract),
        _pack_text(p.abstract_tex),
        "" if p.pdf_url == pdf else p.pdf_url,
        "" if p.abs_url == abs_ else p.abs_url,
    )


#: One paper as a scan stores it: its arXiv id, its values (in
#: ``_PAPER_COLUMNS`` order, texts packed: :func:`_paper_values`), its
#: full-text values (title, authors, abstract, categories as
#: ``papers_fts_text`` gives them) and its appearances (date, category, line,
#: position).  Made where the file is parsed (a worker process on a first
#: open): tuples of strings cross between processes at a fraction of the
#: cost of :class:`Paper` objects, and the scanning process only binds them.
_Stored = tuple[
    str,
    tuple[object, ...],
    tuple[str, str, str, str],
    tuple[tuple[str | None, str | None, int, int], ...],
]


def _stored_rows(result: ParseResult) -> list[_Stored]:
    """:data:`_Stored` of each paper of ``result``, taken out of it (its
    ``papers`` are left empty: they cross to the scanning process once)."""
    rows: list[_Stored] = []
    for p in result.papers:
        values = _paper_values(p, _pack(p))
        fts = (
            f"{p.title} {p.title_tex or ''}",
            values[_TITLE + 1],
            f"{p.abstract or ''} {p.abstract_tex or ''}",
            values[_ABSTRACT + 1],
        )
        apps = tuple((a.date, a.category, a.line, a.position) for a in p.appearances)
        rows.append((p.id, values, fts, apps))  # type: ignore[arg-type]
    result.papers = []
    return rows


def _read_parse_pack(
    path: str, max_bytes: int = DEFAULT_MAX_DIGEST_BYTES
) -> tuple[str, str, ParseResult, list[_Stored]]:
    """:func:`_read_and_parse` and :func:`_stored_rows` (in a worker process)."""
    path, digest, result = _read_and_parse(path, max_bytes)
    return path, digest, result, _stored_rows(result)


def _parse_range_pack(
    path: str, start: int, end: int, last: bool, resume: Resume
) -> tuple[RangePart, list[_Stored]]:
    """One range of a large e-mail parsed (in a worker process: see
    :class:`_RangedEmail`), and :func:`_stored_rows` of its papers."""
    from digest_tui.parsing import email_ranges

    data = fsutil.read_regular_range(path, start, end)
    if len(data) != end - start:
        raise OSError(f"{path} changed while it was read")
    part = email_ranges.parse_range(data, path, resume, start, last)
    return part, _stored_rows(part.result)


def _shift_rows(rows: list[_Stored], shift: Shift) -> list[_Stored]:
    """``rows`` of a range of a large e-mail with the appearances of the
    whole file (see :class:`digest_tui.parsing.email_ranges.Shift`)."""
    lines, positions, categories = shift.lines, shift.positions, shift.categories
    if categories:
        get = categories.get
        return [
            (i, v, f, tuple((d, get(p, c), n + lines, p + positions) for d, c, n, p in apps))
            for i, v, f, apps in rows
        ]
    return [
        (i, v, f, tuple((d, c, n + lines, p + positions) for d, c, n, p in apps))
        for i, v, f, apps in rows
    ]


class _RangedEmail:
    """A large arXiv e-mail parsed in parts here (its head: the first
    screen) and in byte ranges by worker processes (the rest), given in file
    order as :func:`_read_and_parse_parts` gives it (see
    :mod:`digest_tui.parsing.email_ranges`)."""

    def __init__(self, path: str, digest: str, size: int, head: Head) -> None:
        self.path = path
        self.digest = digest
        self.size = size
        self.head = head
        self.merger: Merger | None = None
        self.done = False  # the last part was given

    @classmethod
    def open(cls, path: str, max_bytes: int) -> _RangedEmail | None:
        """The file at ``path`` if it is a large e-mail that can be parsed
        so (at least :data:`RANGED_MIN_BYTES`, with a head cut), else None."""
        from digest_tui.parsing import email_ranges

        try:
            size = os.stat(path).st_size
        except OSError:
            return None
        if size < max(RANGED_MIN_BYTES, 1 << 16) or size > max_bytes:
            return None
        # What its first 4 MB say comes first: a file that cannot be parsed
        # so is then read (and hashed) only once, by the usual path.
        try:
            start = fsutil.read_regular_range(path, 0, 4 * 2**20)
        except OSError:
            return None
        if start.find(b"\x00") >= 0 or not _parsing().streamable(start[:65536]):
            return None
        cut = email_ranges.head_cut(start, HEAD_PART_PAPERS)
        if cut is None or cut >= size:
            return None
        found = _hash_blocks(path, max_bytes)
        if isinstance(found, str) or not found[2]:  # unreadable now, or a NUL byte later on
            return None
        digest = found[0]
        return cls(path, digest, size, email_ranges.Head(start[:cut], path, HEAD_PART_PAPERS))

    def head_parts(self) -> Iterator[tuple[str, str, ParseResult, list[_Stored], bool, bool]]:
        """The head's parts, the first first."""
        first = True
        for result in self.head.parts():
            last = not result.more
            self.done = last
            yield self.path, self.digest, result, _stored_rows(result), first, last
            first = False

    def ranges(self) -> Iterator[tuple[str, int, int, bool, Resume]]:
        """``(path, start, end, last, resume)`` of each range after the
        head, cut as they are taken (the head's first part given)."""
        from digest_tui.parsing import email_ranges

        resume = self.head.resume
        if resume is None or self.head.failed:
            return
        start = len(self.head.data)
        fd, _ = fsutil.open_regular(self.path)
        try:

            def read(at: int, n: int) -> bytes:
                return os.pread(fd, n, at)

            while start < self.size:
                end = email_ranges.next_cut(read, start + email_ranges.RANGE_BYTES, self.size)
                yield self.path, start, end, end >= self.size, resume
                start = end
        finally:
            os.close(fd)

    def take(
        self, future: Future[tuple[RangePart, list[_Stored]]], last: bool
    ) -> tuple[str, str, ParseResult, list[_Stored], bool, bool] | None:
        """The part of the next range (``future``: of
        :func:`_parse_range_pack`), with the appearances of the whole file;
        None once the last part was given."""
        if self.done:
            return None
        try:
            part, rows = future.result()
        except Exception as exc:  # a parser bug (or the file went away)
            self.done = True
            failed = ParseResult(source=self.path, format=None)
            message = f"internal parser error: {type(exc).__name__}: {exc}"
            failed.warnings.append(ParseWarning(self.path, 1, message))
            return self.path, self.digest, failed, [], False, True
        if self.merger is None:
            from digest_tui.parsing.email_ranges import Merger

            self.merger = Merger(self.head)
        result, shift = self.merger.take(part, last)
        self.done = last
        return self.path, self.digest, result, _shift_rows(rows, shift), False, last


def _paper_values(p: Paper, packed: _Packed) -> tuple[object, ...]:
    return (
        p.id,
        p.version,
        p.title,
        _join_authors(p.authors),
        packed[0],
        " ".join(p.categories),
        p.primary_category,
        packed[2],
        packed[3],
        p.published,
        p.updated,
        p.comment,
        p.journal_ref,
        p.doi,
        _json_text(p.extras) if p.extras else "",
        p.title_tex or "",
        packed[1],
        _json_text(p.affiliations) if p.affiliations else "",
    )


def _json_text(value: dict[str, str]) -> str:
    import json  # not at launch: a warm start reads no JSON

    return json.dumps(value, ensure_ascii=False)


def _fts_values(values: Sequence[object]) -> tuple[object, ...]:
    """Title, authors, abstract, categories as ``papers_fts_text`` gives them."""
    return (
        f"{values[_TITLE]} {values[_TITLE_TEX]}",
        values[_TITLE + 1],
        f"{_unpack_text(values[_ABSTRACT])} {_unpack_text(values[_ABSTRACT_TEX])}",
        values[_ABSTRACT + 1],
    )


def _pack_text(text: str | None) -> bytes | str:
    """A long text as stored: raw deflate of its UTF-8 (about half the bytes
    of an abstract), or '' for none.  :func:`_unpack_text` reverses it and
    SQL reads it with ``dt_inflate`` (:mod:`digest_tui.library_sql`)."""
    return zlib.compress(text.encode("utf-8"), 1, wbits=-15) if text else ""


def _unpack_text(value: object) -> str:
    return library_sql.inflate(value) or ""


def _load_extras(text: str) -> dict[str, str]:
    if not text:
        return {}
    import json

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


# An arXiv category ("cs.CV", "hep-th"), not a digest's topic ("SLAM").
_ARXIV_CATEGORY_RE = re.compile(r"[a-z][a-z-]{0,20}(?:\.[A-Za-z][A-Za-z-]{0,20})?")


def _add_digest_categories(paper: Paper) -> None:
    """A digest of a category listing a paper makes that a category of the
    paper (as ``cat:`` matches it): added after its own, any case once.
    Topics some digests list papers under are not categories."""
    known = {c.lower() for c in paper.categories}
    for ap in paper.appearances:
        if (
            ap.category
            and ap.category.lower() not in known
            and _ARXIV_CATEGORY_RE.fullmatch(ap.category)
        ):
            known.add(ap.category.lower())
            paper.categories.append(ap.category)


class _IdLookup:
    """arXiv id -> pid, looked up in the index (in the scan's own write
    transaction, so it sees what the scan stored).

    :meth:`prefetch` reads the ids of one file's papers in a few queries;
    only those are held, so a scan of a million papers never holds a million
    ids.  An id prefetched and not found is not in the index."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._known: dict[str, int | None] = {}

    def prefetch(self, arxiv_ids: Sequence[str]) -> None:
        known: dict[str, int | None] = dict.fromkeys(arxiv_ids)
        keys = list(known)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for arxiv_id, pid in self._conn.execute(
                f"SELECT arxiv_id, pid FROM papers WHERE arxiv_id IN ({marks})", chunk
            ):
                known[arxiv_id] = int(pid)
        self._known = known

    def get(self, arxiv_id: str) -> int | None:
        if arxiv_id in self._known:
            return self._known[arxiv_id]
        row = self._conn.execute("SELECT pid FROM papers WHERE arxiv_id=?", (arxiv_id,)).fetchone()
        return None if row is None else int(row[0])

    def __setitem__(self, arxiv_id: str, pid: int) -> None:
        self._known[arxiv_id] = pid

    def pop(self, arxiv_id: str, default: int | None = None) -> int | None:
        """Forget an id this scan dropped (the index itself no longer has it)."""
        if arxiv_id in self._known:
            self._known[arxiv_id] = None
        return default


_P = ParamSpec("_P")
_R = TypeVar("_R")

_DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_DAMAGE_WORDS = ("malformed", "file is not a database", "no such table", "no such column")


def _primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def _is_damage(exc: sqlite3.Error) -> bool:
    """True for an error that says the index file itself is damaged (not full, not busy)."""
    if isinstance(exc, (sqlite3.ProgrammingError, sqlite3.InterfaceError)):
        return False
    if _primary_code(exc) in _DAMAGE_CODES:
        return True
    text = str(exc).lower()
    return any(word in text for word in _DAMAGE_WORDS)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _guarded(
    method: Callable[Concatenate[Library, _P], _R],
) -> Callable[Concatenate[Library, _P], _R]:
    """Any SQLite error from the index becomes one line, and damage a rebuild.

    A damaged index (``database disk image is malformed``, not a database,
    tables missing) is moved aside, rebuilt from the digests and the call
    tried once more; :attr:`Library.notices` says so in one line.  Another
    error (disk full, cannot write) raises :class:`LibraryError`.
    """

    @functools.wraps(method)
    def call(self: Library, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        generation = self._generation
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            if isinstance(exc, (sqlite3.ProgrammingError, sqlite3.InterfaceError)):
                raise
            if not _is_damage(exc):
                raise LibraryError(f"index {self.path}: {_one_line(exc)}") from exc
            self._rebuild(exc, generation, rescan=method.__name__ != "scan")
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise LibraryError(f"index {self.path}: {_one_line(exc)}") from exc

    return call


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
        max_digest_bytes: int = DEFAULT_MAX_DIGEST_BYTES,
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
        # id() of a reader -> (its data_version, the categories of appearances then)
        self._digest_cats: dict[int, tuple[int, frozenset[str]]] = {}
        self._closed = False
        self._gen = 0  # the generation of the write transaction under way
        # The list of words (fts_terms) is kept up to date in the write
        # transaction under way (it was complete when it began), from the
        # text it gives the full-text index (_terms_text); _terms_tokenized
        # papers so far in this scan (see _keep_terms).
        self._terms_live = False
        self._terms_text: list[str] = []
        self._terms_tokenized = 0
        self._terms_papers: int | None = None
        self.max_digest_bytes = max_digest_bytes
        #: One line for each thing the user should know (an index rebuilt);
        #: :meth:`take_notices` empties it.
        self.notices: list[str] = []
        self._generation = 0  # +1 at each rebuild
        self._scanned = False
        self._state_error: str | None = None
        first = self._open()
        self._all_readers.append(first)
        self._pool.append(first)

    # -- opening -------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryError(
                f"cannot create the cache dir {self.path.parent}: {exc.strerror or exc}"
            ) from None
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=10.0
        )
        conn.row_factory = sqlite3.Row
        # Large pages: rows of ~1 KB waste less of each, and FTS5's segments
        # take fewer pages (only a new database takes it).
        conn.execute("PRAGMA page_size=16384")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # a cache: speed over durability
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
        library_sql.register_functions(conn)
        return conn

    def _open(self) -> sqlite3.Connection:
        try:
            return self._open_index()
        except sqlite3.Error as exc:
            raise LibraryError(f"cannot open index {self.path}: {_one_line(exc)}") from exc

    def _open_index(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = None
        damage: sqlite3.Error | None = None
        stored: str | None = None
        try:
            conn = self._connect()
            stored = self._stored_schema(conn)
        except sqlite3.Error as exc:
            if not _is_damage(exc):
                if conn is not None:
                    conn.close()
                raise
            damage = exc
        if stored is None:
            if conn is not None:
                conn.close()
            if damage is not None:
                # A damaged index is a cache: move it aside (never read again,
                # kept for a bug report) and build a new one.
                self._move_aside(damage)
            else:
                # An index of an older schema: throw it away and rebuild.
                for suffix in ("", "-wal", "-shm"):
                    try:
                        os.unlink(str(self.path) + suffix)
                    except FileNotFoundError:
                        pass
                    except OSError as exc:
                        raise LibraryError(f"cannot reset index {self.path}: {exc}") from exc
            conn = self._connect()
        assert conn is not None
        try:
            if stored != str(SCHEMA_VERSION):
                # A new index, or one of the schema before: written only then,
                # not at every launch (1.2 ms of a warm start).
                conn.executescript(_SCHEMA)
                conn.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
                )
            self._forget_skipped_if_limit_changed(conn)
        except BaseException:
            conn.close()
            raise
        self._attach_state(conn)
        return conn

    def _forget_skipped_if_limit_changed(self, conn: sqlite3.Connection) -> None:
        """Files skipped as too large are read again once ``max_digest_mb`` changes."""
        row = conn.execute("SELECT value FROM meta WHERE key='max_digest_bytes'").fetchone()
        if row is not None and row[0] == str(self.max_digest_bytes):
            return
        conn.execute("UPDATE files SET parser_version = -1 WHERE format IS NULL")
        conn.execute(
            "INSERT OR REPLACE INTO meta VALUES ('max_digest_bytes', ?)",
            (str(self.max_digest_bytes),),
        )

    def _move_aside(self, exc: sqlite3.Error) -> None:
        try:
            moved = fsutil.move_aside(self.path, "damaged")
        except OSError as err:
            raise LibraryError(
                f"index {self.path} is damaged ({_one_line(exc)}) and cannot be moved aside:"
                f" {err.strerror or err}"
            ) from exc
        # Only the latest damaged copy is kept: it is a cache, and may be large.
        import glob

        for old in self.path.parent.glob(f"{glob.escape(self.path.name)}.damaged-*"):
            if not old.name.startswith(moved.name):
                with contextlib.suppress(OSError):
                    old.unlink()
        self.notices.append(
            f"the index was damaged ({_one_line(exc)}): moved it to {moved.name} and rebuilt it"
        )

    def _rebuild(self, exc: sqlite3.Error, generation: int, *, rescan: bool) -> None:
        """Move a damaged index aside and build a new one (once, whatever the threads)."""
        with self._write_lock:
            if generation == self._generation:
                with self._pool_lock:
                    idle = list(self._pool)
                    self._pool.clear()
                    for conn in idle:
                        self._all_readers.remove(conn)
                        self._attached.discard(id(conn))
                        conn.close()
                    if self._writer_conn is not None:
                        self._writer_conn.close()
                        self._writer_conn = None
                self._generation += 1
                self._move_aside(exc)
                first = self._open()
                with self._pool_lock:
                    self._all_readers.append(first)
                    self._pool.append(first)
            if rescan and self._scanned:
                self._scan(None, None, None)

    def take_notices(self) -> list[str]:
        """The notices so far (one line each), emptying the list."""
        notices, self.notices = self.notices, []
        return notices

    @contextlib.contextmanager
    def _read(self, *, needs_state: bool = False) -> Iterator[sqlite3.Connection]:
        """A reader connection for this thread's query, back to the pool after."""
        if self._closed:
            raise LibraryError(f"index {self.path} is closed")
        generation = self._generation
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
                if generation == self._generation and not self._closed:
                    self._pool.append(conn)
                else:  # the index was rebuilt meanwhile: this one reads the old file
                    if conn in self._all_readers:
                        self._all_readers.remove(conn)
                    self._attached.discard(id(conn))
                    conn.close()

    def _state_for(self, conn: sqlite3.Connection, needs_state: bool) -> bool:
        """Whether the marks are attached to ``conn``; a one-line error if they should be."""
        if id(conn) in self._attached:
            return True
        if needs_state and self._state_error is not None:
            raise LibraryError(self._state_error)
        return False

    @staticmethod
    def _stored_schema(conn: sqlite3.Connection) -> str | None:
        """The schema the index was made by ("" for a new, empty file), or
        None when it cannot be used as it is.  The version is written once
        the schema's script has run to its end."""
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if not tables:
            return ""  # new
        if "meta" not in tables:
            return None
        row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None:
            return None
        if row[0] == str(SCHEMA_VERSION) or row[0] in _UPGRADABLE:
            return str(row[0])
        return None

    def _attach_state(self, conn: sqlite3.Connection) -> None:
        """Attach the state database read-only as ``st`` (for ``is:`` and ``tag:``).

        ``mode=ro`` needs its ``-shm`` file to be there or creatable; in a
        read-only data dir, a database with nothing in its ``-wal`` is read as
        immutable instead (all of it is then in the file).  When neither
        works, :attr:`_state_error` says why, and queries that need the marks
        raise it as a one-line :class:`LibraryError` rather than answer as if
        nothing were marked.
        """
        if self.state_db is None or not self.state_db.exists():
            return
        base = self.state_db.resolve().as_uri()
        wal = self.state_db.with_name(self.state_db.name + "-wal")
        try:
            wal_empty = not wal.exists() or wal.stat().st_size == 0
        except OSError:
            wal_empty = False
        last: sqlite3.Error | None = None
        for query in ("mode=ro", "mode=ro&immutable=1"):
            if "immutable" in query and not wal_empty:
                continue
            try:
                conn.execute("ATTACH DATABASE ? AS st", (f"{base}?{query}",))
            except sqlite3.Error as exc:
                last = exc
                continue
            try:
                # ATTACH opens lazily: read now, so a failure shows here.
                version = conn.execute("PRAGMA st.user_version").fetchone()[0]
                if version:
                    conn.execute("SELECT 1 FROM st.marks LIMIT 1").fetchall()
                    conn.execute("SELECT 1 FROM st.tags LIMIT 1").fetchall()
            except sqlite3.Error as exc:
                last = exc
                conn.execute("DETACH DATABASE st")
                continue
            if not version:  # an empty file: nothing is marked
                conn.execute("DETACH DATABASE st")
                return
            self._attached.add(id(conn))
            self._state_error = None
            return
        if last is not None:
            self._state_error = (
                f"cannot read the marks in {self.state_db} ({_one_line(last)}):"
                " filters with is: or tag: are unavailable"
            )

    @property
    def _writer(self) -> sqlite3.Connection:
        if self._writer_conn is None:
            self._writer_conn = self._connect()
        return self._writer_conn

    def interrupt_reads(self) -> None:
        """Stop the queries running on reader connections: the reader is
        closing, and a worker listing a million papers would hold its exit
        for 0.4 s.  Each stopped query raises ``sqlite3.OperationalError``;
        queries started afterwards run as usual.  Scans (the writer) go on."""
        with self._pool_lock:
            busy = [c for c in self._all_readers if c not in self._pool]
        for conn in busy:
            conn.interrupt()  # a no-op on a connection that has finished meanwhile

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

    @_guarded
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
        ``on_batch`` is called after each commit.  The full-text index is
        written in the same commits, also on a first open, so text queries
        find what is committed at once.  (An index whose first open by an
        older version was stopped has it rebuilt at the end of the next scan:
        :attr:`fts_ready` is False until then and text queries fall back to
        slower substring matching.)  Scans run one at a time; reads go on
        meanwhile.  ``workers``: processes that parse (None: up to four when
        there are 64 files to parse, :data:`PARALLEL_MIN_BYTES` of them or
        one of :data:`RANGED_MIN_BYTES`, else none).
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
        parser_version = PARSER_VERSION
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
        self._scanned = True
        self._terms_tokenized, self._terms_papers = 0, None
        removed = [known[p][3] for p in known if p not in on_disk]
        if not changed and not removed:
            with self._write_lock:
                if self._fts_pending():  # stopped after its last file, before the rebuild
                    self._build_fts()
                # An index of schema 7, or a scan stopped before it.
                self._build_terms(None if progress is None else lambda: progress(0, 0))
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
            ids = _IdLookup(self._writer)
            # The full-text index is written with the papers, commit by
            # commit, also on a first open: FTS5 keeps up with the parsing
            # workers (built once at the end, it kept one core idle while
            # the other built it), and text queries never go without it.
            # Only a first open stopped by an older version, which built it
            # at the end (fts_ready '0'), still has it rebuilt at the end.
            defer_fts = self._fts_pending()
            if self._writer.execute("SELECT 1 FROM papers LIMIT 1").fetchone() is None:
                for option, value in _FTS_OPTIONS:
                    self._writer.execute(
                        "INSERT INTO papers_fts (papers_fts, rank) VALUES (?, ?)", (option, value)
                    )

        batch: list[_Part] = []
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

        if workers is None:
            # Worker processes pay off for many files, or a few large ones
            # (the newest is parsed here while they start).
            changed_bytes = sum(on_disk[p][0] for p in changed)
            many = len(changed) >= 64 or (len(changed) > 1 and changed_bytes >= PARALLEL_MIN_BYTES)
            # One large e-mail is parsed in ranges by workers too.
            many = many or (len(changed) == 1 and changed_bytes >= RANGED_MIN_BYTES)
            workers = min(os.cpu_count() or 1, 4) if many else 1
        parts = self._parse_all(changed, workers, self.max_digest_bytes)
        for path, digest, result, rows, first, last in parts:
            done += last
            size, mtime = on_disk[path]
            report.files_parsed += last
            if last and result.format is None:
                report.files_skipped += 1
            report.warnings.extend(result.warnings)
            batch.append(_Part(path, size, mtime, digest, result, rows, first, last))
            batch_papers += len(rows)
            # Small first batches put the newest digests on screen at once.
            if not report.papers_added:
                limit = HEAD_PART_PAPERS
            else:
                limit = 200 if report.papers_added < 1000 else BATCH_PAPERS
            if batch_papers >= limit or time.perf_counter() - last_commit > 1.0:
                flush()
        if batch:
            flush()
        if defer_fts:
            with self._write_lock:
                self._build_fts()
        with self._write_lock:
            self._build_terms(None if progress is None else lambda: progress(done, total))
            # The writer's page cache is not needed until the next scan.
            self._writer.execute("PRAGMA shrink_memory")
        report.seconds = time.perf_counter() - started
        return report

    @property
    @_guarded
    def fts_ready(self) -> bool:
        """False while a first index is still building its full-text index."""
        with self._read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key='fts_ready'").fetchone()
        return row is None or row[0] == "1"

    def _fts_pending(self) -> bool:
        """Whether the full-text index is still to be built (fts_ready '0':
        a first open by an older version, which built it at the end, was
        stopped)."""
        row = self._writer.execute("SELECT value FROM meta WHERE key='fts_ready'").fetchone()
        return row is not None and row[0] == "0"

    def _build_fts(self) -> None:
        """Build the full-text index from the papers, in one transaction."""
        self._writer.execute("BEGIN IMMEDIATE")
        try:
            self._writer.execute("INSERT INTO papers_fts (papers_fts) VALUES ('rebuild')")
            self._set_meta("fts_ready", "1")
            self._writer.execute("DELETE FROM meta WHERE key='fts_terms'")  # built again after
            self._writer.execute("COMMIT")
        except BaseException:
            self._writer.execute("ROLLBACK")
            raise

    def _set_meta(self, key: str, value: str) -> None:
        self._writer.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @staticmethod
    def _parse_all(
        paths: list[str], workers: int | None, max_bytes: int = DEFAULT_MAX_DIGEST_BYTES
    ) -> Iterator[tuple[str, str, ParseResult, list[_Stored], bool, bool]]:
        """``(path, hash, result, rows, first, last)`` for each file, newest
        first (``rows``: :func:`_stored_rows` of its papers).

        In this process a large e-mail comes in several results (``first``
        and ``last`` say which: see :func:`_read_and_parse_parts`).  Worker
        processes parse whole files, at most ``2 * workers`` ahead of what
        was taken, so parsed files never pile up while the index is written;
        and, when the newest is a large e-mail, the byte ranges after its
        head (:class:`_RangedEmail`), :data:`RANGES_AHEAD_BYTES` of them
        ahead.
        """
        if workers is None:
            workers = min(os.cpu_count() or 1, 4) if len(paths) >= 64 else 1
        if not paths:
            return
        # The newest digest (digest repositories name files by date: a README
        # or a .json sorts before them) is read first, here, in parts: its
        # first part is stored and on screen before the rest is even read.
        head = next((i for i, p in enumerate(paths[:16]) if os.path.basename(p)[:1].isdigit()), 0)
        # With workers, a large e-mail is parsed in byte ranges by them
        # after its head (parsed here, so its first part comes as quickly).
        ranged = _RangedEmail.open(paths[head], max_bytes) if workers > 1 else None
        head_parts = (
            ranged.head_parts()
            if ranged is not None
            else _read_and_parse_parts(
                paths[head], max_bytes, min_bytes=0, part_papers=HEAD_PART_PAPERS
            )
        )
        rest = paths[:head] + paths[head + 1 :]
        if workers <= 1:
            yield from head_parts
            for path in rest:
                yield from _read_and_parse_parts(path, max_bytes)
            return
        import collections
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        yield next(head_parts)
        ctx = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            read = functools.partial(_read_parse_pack, max_bytes=max_bytes)

            # What the workers parse, in file order: the ranges of the head
            # file (if ranged: ``last`` says which ends it), then the files.
            # Ranges are small: enough of them are parsed ahead to keep the
            # workers busy while a batch of BATCH_PAPERS is written.
            jobs: Iterator[tuple[Callable[..., Any], tuple[Any, ...], bool | None]]
            jobs = itertools.chain(
                ((_parse_range_pack, job, job[3]) for job in ranged.ranges()) if ranged else (),
                ((read, (path,), None) for path in rest),
            )
            range_ahead = 2 * workers
            if ranged:
                from digest_tui.parsing.email_ranges import RANGE_BYTES

                range_ahead = max(range_ahead, RANGES_AHEAD_BYTES // RANGE_BYTES)
            ahead: collections.deque[tuple[Future[Any], bool | None]] = collections.deque()
            following: list[tuple[Callable[..., Any], tuple[Any, ...], bool | None]] = []

            def submit() -> None:
                """Submit what comes next while fewer are ahead than allowed."""
                while True:
                    if not following:
                        following.extend(itertools.islice(jobs, 1))
                        if not following:
                            return
                    fn, args, last = following[0]
                    if len(ahead) >= (range_ahead if last is not None else 2 * workers):
                        return
                    ahead.append((pool.submit(fn, *args), last))
                    following.clear()

            try:
                submit()
                yield from head_parts
                while ahead:
                    future, last = ahead.popleft()
                    if last is not None:
                        assert ranged is not None
                        future.exception()  # parsed before the next is submitted
                        submit()
                        part = ranged.take(future, last)
                        if part is not None:
                            yield part
                        continue
                    done = future.result()
                    submit()
                    yield (*done, True, True)
            finally:  # stopped early (the reader closed): drop what was not started
                for future, _ in ahead:
                    future.cancel()

    def _begin_write(self) -> None:
        """Start a write transaction at the next index generation."""
        conn = self._writer
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        self._gen = (int(row[0]) if row is not None else 0) + 1
        self._set_meta("generation", str(self._gen))
        terms = conn.execute("SELECT value FROM meta WHERE key='fts_terms'").fetchone()
        self._terms_live = terms is not None and terms[0] == str(self._gen - 1)
        self._terms_text = []

    def _prune_pid_log(self) -> None:
        """Forget renumberings no open list can still hold (many scans ago)."""
        self._writer.execute("DELETE FROM pid_log WHERE gen < ?", (self._gen - PID_LOG_KEEP,))

    def _remove_files(self, fids: list[int]) -> None:
        conn = self._writer
        self._begin_write()
        try:
            affected: set[int] = set()
            for fid in fids:
                affected.update(
                    r[0] for r in conn.execute("SELECT pid FROM appearances WHERE fid=?", (fid,))
                )
                conn.execute("DELETE FROM appearances WHERE fid=?", (fid,))
                conn.execute("DELETE FROM files WHERE fid=?", (fid,))
            self._refresh_papers(affected)
            self._keep_terms()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _store_batch(
        self,
        batch: list[_Part],
        ids: _IdLookup,
        defer_fts: bool,
    ) -> int:
        """Replace everything the index knew of some files, in one transaction.

        ``ids`` maps arXiv ids to pids and is kept up to date.  Returns the
        number of papers new to the index.
        """
        conn = self._writer
        added = 0
        self._begin_write()
        try:
            self._prune_pid_log()
            for part in batch:
                added += self._store_file(part, ids, defer_fts)
            self._keep_terms()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return added

    def _store_file(self, part: _Part, ids: _IdLookup, defer_fts: bool) -> int:
        """Store one file, or one part of it (see :class:`_Part`).

        A file stored in parts is marked unparsed (``parser_version`` -1)
        until its last part is in: a scan stopped half-way reads it again.
        """
        conn = self._writer
        path, result = part.path, part.result
        warnings = "\n".join(f"{w.line}\t{w.message}" for w in result.warnings)
        meta = (
            part.size,
            part.mtime,
            part.digest,
            PARSER_VERSION if part.last else -1,
            result.format,
            result.date,
            result.category,
            result.entries,
            len(part.rows),
            warnings,
        )
        row = conn.execute("SELECT fid FROM files WHERE path=?", (path,)).fetchone()
        if not part.first:
            if row is None:  # pragma: no cover - the first part made it
                raise LibraryError(f"index {self.path}: {path} lost its first part")
            fid = int(row[0])
            dropped: set[str] = set()
            conn.execute(
                "UPDATE files SET parser_version=?, entries=?, papers=papers+?,"
                " warnings=? WHERE fid=?",
                (meta[3], result.entries, len(part.rows), warnings, fid),
            )
        elif row is not None:
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
        ids.prefetch([r[0] for r in part.rows])
        new_rows: list[tuple[object, ...]] = []
        fts_rows: list[tuple[object, ...]] = []  # (pid, title, ...) of each new row
        pending: dict[int, int] = {}  # pid -> index in new_rows
        appearance_rows: list[tuple[object, ...]] = []
        affected: set[int] = set()
        file_date, file_category = result.date, result.category
        known, remember = ids.get, ids.__setitem__
        for arxiv_id, values, fts, apps in part.rows:
            if apps:
                date = apps[0][0] or file_date
                pos = apps[0][3]
            else:
                date, pos = file_date, 0
            if pos > MAX_POS:
                continue  # beyond four million entries in one file
            pid = known(arxiv_id)
            if pid is None:
                pid = order_key(date, fid, pos)
                remember(arxiv_id, pid)
                pending[pid] = len(new_rows)
                new_rows.append((pid, *values, date or ""))
                fts_rows.append((pid, *fts))
            elif pid in pending:  # listed twice in this file: the first place counts
                i = pending[pid]
                merged = _merge(new_rows[i][1 : 1 + len(_PAPER_COLUMNS)], values)
                new_rows[i] = (pid, *merged, new_rows[i][-1])
                fts_rows[i] = (pid, *_fts_values(merged))
            else:
                self._update_paper(pid, values, defer_fts)
                affected.add(pid)
            for a_date, a_category, line, position in apps:
                appearance_rows.append(
                    (fid, pid, a_date or file_date, a_category or file_category, line, position)
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
                fts_rows,
            )
            if self._terms_live:
                self._terms_text.extend(" ".join(map(str, r[1:])) for r in fts_rows)
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
        fts = _fts_values(values)
        self._writer.execute(
            "INSERT INTO papers_fts (rowid, title, authors, abstract, categories)"
            " VALUES (?,?,?,?,?)",
            (pid, *fts),
        )
        if self._terms_live:
            self._terms_text.append(" ".join(map(str, fts)))

    # -- the list of words (fts_terms) -----------------------------------------

    def _keep_terms(self) -> None:
        """Add the words of the text this write transaction gave the
        full-text index to ``fts_terms``, which is then complete at its
        generation; unless it was not complete when it began, or this scan
        gave it more papers than its whole rebuild would read (it is then
        rebuilt at the end of the scan: :meth:`_build_terms`).

        The text is read by an FTS5 table of its own in memory, with the same
        tokenizer (20-30 us a paper, against 2.3 us a paper of the whole
        index for a rebuild); a word gets the papers that have it added to
        its count (a paper given again, merged or renumbered, counts twice:
        the counts are for choosing a query, see
        :func:`digest_tui.library_sql.expansion`).
        """
        if not self._terms_live:
            return
        texts, self._terms_text = self._terms_text, []
        conn = self._writer
        if texts:
            self._terms_tokenized += len(texts)
            if self._terms_tokenized > TERMS_INCREMENTAL_MIN:
                if self._terms_papers is None:
                    self._terms_papers = int(
                        conn.execute("SELECT count(*) FROM papers").fetchone()[0]
                    )
                if self._terms_tokenized * TERMS_INCREMENTAL_COST > self._terms_papers:
                    self._terms_live = False
                    return
            conn.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.dt_new_text USING fts5"
                f" (body, content='', detail=none, {_TOKENIZE})"
            )
            conn.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.dt_new_terms"
                " USING fts5vocab (temp, dt_new_text, row)"
            )
            conn.executemany("INSERT INTO temp.dt_new_text (body) VALUES (?)", zip(texts))
            conn.execute(
                "INSERT INTO fts_terms (term, docs) SELECT term, doc FROM temp.dt_new_terms"
                " WHERE 1 ON CONFLICT (term) DO UPDATE SET docs = docs + excluded.docs"
            )
            conn.execute("INSERT INTO temp.dt_new_text (dt_new_text) VALUES ('delete-all')")
        self._set_meta("fts_terms", str(self._gen))

    def _build_terms(self, tick: Callable[[], None] | None = None) -> None:
        """Fill ``fts_terms`` from the full-text index, unless it is complete
        already (meta ``fts_terms`` is the generation): every word with the
        number of papers that have it, read by ``fts5vocab`` (2.3 s at a
        million papers: it reads the list of every word).

        One transaction; ``tick`` (the scan's progress, unchanged) is called
        every quarter of a second meanwhile: what it raises stops the build
        (the reader closing) and is raised here.
        """
        conn = self._writer
        generation = str(_generation(conn))
        row = conn.execute("SELECT value FROM meta WHERE key='fts_terms'").fetchone()
        if row is not None and row[0] == generation:
            return
        stopped: list[BaseException] = []
        last = time.monotonic()

        def check() -> int:
            nonlocal last
            now = time.monotonic()
            if tick is None or now - last < _TERMS_TICK_S:
                return 0
            last = now
            try:
                tick()
            except BaseException as exc:  # raised again below, once SQLite stopped
                stopped.append(exc)
                return 1
            return 0

        conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.dt_fts_terms"
            " USING fts5vocab (main, papers_fts, row)"
        )
        try:
            conn.set_progress_handler(check, _TERMS_TICK_OPS)
            try:
                conn.execute("BEGIN IMMEDIATE")
                generation = str(_generation(conn))
                conn.execute("DELETE FROM fts_terms")
                conn.execute(
                    "INSERT INTO fts_terms (term, docs) SELECT term, doc FROM temp.dt_fts_terms"
                )
                self._set_meta("fts_terms", generation)
            finally:
                conn.set_progress_handler(None, 0)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # an interrupted INSERT rolls it back itself
                conn.execute("ROLLBACK")
            if stopped:
                raise stopped[0] from None
            raise

    def _fts_delete(self, pid: int, values: Sequence[object]) -> None:
        self._writer.execute(
            "INSERT INTO papers_fts (papers_fts, rowid, title, authors, abstract, categories)"
            " VALUES ('delete',?,?,?,?,?)",
            (pid, *_fts_values(values)),
        )

    def _refresh_papers(
        self,
        pids: Iterable[int],
        ids: _IdLookup | None = None,
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
            conn.execute(
                "INSERT INTO pid_log (gen, pid, arxiv_id) VALUES (?,?,?)", (self._gen, pid, old[0])
            )
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

    @_guarded
    def is_empty(self) -> bool:
        """True when no paper is indexed (cheaper than ``count() == 0``)."""
        with self._read() as conn:
            return conn.execute("SELECT 1 FROM papers LIMIT 1").fetchone() is None

    @_guarded
    def count(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT count(*) FROM papers").fetchone()[0])

    @_guarded
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
        pids: array[int] = array("q")
        with self._read(needs_state=q.needs_state) as conn:
            # One read transaction: the pids, the generation they belong to
            # and the words prefixes stand for.
            conn.execute("BEGIN")
            try:
                sql, params = self._select_sql(conn, q, fts=fts, limit=limit, sort=sort)
                generation = _generation(conn)
                cur = _plain_cursor(conn)  # tuples, not Rows: half the time a row
                try:
                    cur.execute(sql, params)
                    while batch := cur.fetchmany(8192):
                        pids.extend(itertools.chain.from_iterable(batch))
                finally:
                    cur.close()
            finally:
                conn.execute("COMMIT")
        return SearchResult(pids, q, sort, generation)

    def iter_search(
        self, query: Query | str = "", *, limit: int | None = None, sort: str = "digest"
    ) -> Iterator[list[int]]:
        """The pids of :meth:`search`, in lists of up to 1,000, read from one
        cursor as they are taken: memory does not grow with the matches
        (``list`` prints a million papers this way).  The reader connection
        is held until the iterator is done or closed.  A damaged index found
        before the first list is rebuilt, as :meth:`search` does."""
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r} (use {', '.join(SORTS)})")
        q = parse_query(query) if isinstance(query, str) else query
        for attempt in (1, 2):
            generation = self._generation
            given = False
            try:
                for chunk in self._cursor_pids(q, limit, sort):
                    given = True
                    yield chunk
                return
            except sqlite3.Error as exc:
                if isinstance(exc, (sqlite3.ProgrammingError, sqlite3.InterfaceError)):
                    raise
                if given or attempt == 2 or not _is_damage(exc):
                    raise LibraryError(f"index {self.path}: {_one_line(exc)}") from exc
                self._rebuild(exc, generation, rescan=True)

    def _cursor_pids(self, q: Query, limit: int | None, sort: str) -> Iterator[list[int]]:
        fts = self.fts_ready
        with self._read(needs_state=q.needs_state) as conn:
            conn.execute("BEGIN")
            try:
                sql, params = self._select_sql(conn, q, fts=fts, limit=limit, sort=sort)
                cur = _plain_cursor(conn)
                try:
                    cur.execute(sql, params)
                    while batch := cur.fetchmany(1000):
                        yield list(itertools.chain.from_iterable(batch))
                finally:
                    cur.close()  # a failed statement must not keep the file open
            finally:
                conn.execute("COMMIT")

    @_guarded
    def count_matching(self, query: Query | str) -> int:
        """How many papers match ``query``, without listing them."""
        q = parse_query(query) if isinstance(query, str) else query
        fts = self.fts_ready
        with self._read(needs_state=q.needs_state) as conn:
            conn.execute("BEGIN")
            try:
                sql, params = self._select_sql(conn, q, fts=fts)
                return int(conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0])
            finally:
                conn.execute("COMMIT")

    @_guarded
    def explain(
        self, query: Query | str = "", *, limit: int | None = None, sort: str = "digest"
    ) -> tuple[str, list[object]]:
        """The SQL and parameters :meth:`search` would run for ``query`` now
        (the full-text expression is the first parameter of a query with
        words): what a test or a benchmark looks at."""
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r} (use {', '.join(SORTS)})")
        q = parse_query(query) if isinstance(query, str) else query
        fts = self.fts_ready
        with self._read(needs_state=q.needs_state) as conn:
            conn.execute("BEGIN")
            try:
                return self._select_sql(conn, q, fts=fts, limit=limit, sort=sort)
            finally:
                conn.execute("COMMIT")

    def _select_sql(
        self,
        conn: sqlite3.Connection,
        q: Query,
        *,
        fts: bool,
        limit: int | None = None,
        sort: str = "digest",
    ) -> tuple[str, list[object]]:
        """:func:`digest_tui.library_sql.select_sql` of ``q`` for a reader
        connection, in the read transaction its query will run in (the
        words a prefix stands for are read at the same moment)."""
        return library_sql.select_sql(
            q,
            state_available=self._state_for(conn, q.needs_state),
            fts=fts,
            limit=limit,
            watch=self.watch,
            sort=sort,
            digest_categories=self._digest_categories(conn, q),
            expand=self._expander(conn) if fts else None,
        )

    @staticmethod
    def _expander(conn: sqlite3.Connection) -> library_sql.Expander:
        """The words of the index a prefix stands for, as this connection's
        read transaction sees them (see :func:`digest_tui.library_sql.expansion`):
        looked up in ``fts_terms`` when it is complete at this generation, else
        None (the prefix is searched as a prefix)."""
        complete: list[bool] = []

        def expand(word: str) -> list[str] | None:
            if not complete:
                row = conn.execute("SELECT value FROM meta WHERE key='fts_terms'").fetchone()
                complete.append(row is not None and row[0] == str(_generation(conn)))
            if not complete[0]:
                return None
            token = word if word.isascii() else _token_of(conn, word)
            end = None if token is None else _after_prefix(token)
            if token is None or end is None:
                return None
            found = _plain_cursor(conn).execute(
                "SELECT term, docs FROM fts_terms WHERE term >= ? AND term < ? LIMIT ?",
                (token, end, library_sql.EXPAND_MAX_WORDS + 1),
            )
            return library_sql.expansion(found.fetchall())

        return expand

    def _digest_categories(self, conn: sqlite3.Connection, q: Query) -> frozenset[str] | None:
        """The categories of every appearance, for ``cat:`` terms (None without
        one); read again only when the index changed since (``data_version``)."""
        if not any(t.field == "cat" for t in q.terms):
            return None
        version = int(conn.execute("PRAGMA data_version").fetchone()[0])
        cached = self._digest_cats.get(id(conn))
        if cached is not None and cached[0] == version:
            return cached[1]
        cats = frozenset(r[0] for r in conn.execute(library_sql.DIGEST_CATEGORIES_SQL))
        self._digest_cats[id(conn)] = (version, cats)
        return cats

    @_guarded
    def rows(self, pids: Sequence[int], *, generation: int | None = None) -> dict[int, Row]:
        """List rows for some papers (the visible page of the list), by pid.

        With ``generation`` (a :attr:`SearchResult.generation`) the pids are
        taken as they were then: after a rescan renumbered papers, each row
        is still the paper that pid named in that list.
        """
        if generation is not None and generation != self.generation():
            ids = self.ids_of(pids, generation)
            by_id = {i: p for p, i in zip(pids, ids, strict=True) if i is not None}
            found = self._rows_where("arxiv_id", list(by_id))
            return {
                by_id[r.id]: r._replace(pid=by_id[r.id]) for r in found.values() if r.id in by_id
            }
        return self._rows_where("pid", list(pids))

    def _rows_where(self, column: str, keys: Sequence[object]) -> dict[int, Row]:
        out: dict[int, Row] = {}
        pid_list = list(keys)
        with self._read() as conn:
            for start in range(0, len(pid_list), 500):
                chunk = pid_list[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for r in conn.execute(
                    "SELECT pid, arxiv_id, title, authors, sort_date, primary_category"
                    f" FROM papers WHERE {column} IN ({marks})",
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

    @_guarded
    def generation(self) -> int:
        """The index generation now: it grows with every write transaction."""
        with self._read() as conn:
            return _generation(conn)

    @_guarded
    def ids_of(self, pids: Sequence[int], generation: int) -> list[str | None]:
        """The arXiv ids that held ``pids`` at index generation ``generation``
        (a :attr:`SearchResult.generation`), in order; None for a pid no paper
        held then.  Exact however many rescans renumbered papers since."""
        out: list[str | None] = [None] * len(pids)
        with self._read() as conn:
            conn.execute("BEGIN")
            try:
                moved: dict[int, str] = {}
                if _generation(conn) != generation:
                    # The first renumbering after ``generation`` names who held a pid then.
                    for pid, arxiv_id in conn.execute(
                        "SELECT pid, arxiv_id FROM pid_log WHERE gen > ?"
                        " ORDER BY gen DESC, rowid DESC",
                        (generation,),
                    ):
                        moved[int(pid)] = str(arxiv_id)
                for start in range(0, len(pids), 500):
                    chunk = [int(p) for p in pids[start : start + 500]]
                    marks = ",".join("?" * len(chunk))
                    current = dict(
                        conn.execute(
                            f"SELECT pid, arxiv_id FROM papers WHERE pid IN ({marks})", chunk
                        ).fetchall()
                    )
                    for i, pid in enumerate(chunk, start):
                        out[i] = moved.get(pid) or current.get(pid)
            finally:
                conn.execute("COMMIT")
        return out

    def ids_matching(self, query: Query | str) -> set[str]:
        """The arXiv ids of every paper matching ``query`` (for small sets:
        the watch list, the papers with a note)."""
        result = self.search(query)
        return {i for i in self.ids_of(result.pids, result.generation) if i is not None}

    @_guarded
    def pid_of(self, arxiv_id: str) -> int | None:
        with self._read() as conn:
            row = conn.execute("SELECT pid FROM papers WHERE arxiv_id=?", (arxiv_id,)).fetchone()
        return None if row is None else int(row[0])

    def paper_by_id(self, arxiv_id: str) -> Paper | None:
        """The paper with this (versionless) arXiv id, wherever it is listed."""
        for _ in range(3):  # a rescan between the two reads may renumber it
            pid = self.pid_of(arxiv_id)
            paper = None if pid is None else self.paper(pid)
            if paper is None or paper.id == arxiv_id:
                return paper
        return None

    def paper(self, pid: int) -> Paper | None:
        papers = self.papers([pid])
        return papers[0] if papers else None

    @_guarded
    def papers(self, pids: Sequence[int]) -> list[Paper]:
        """Full papers with their appearances, in the order of ``pids``.

        ``categories`` are the paper's own, then those of the digests
        listing it (what ``cat:`` matches)."""
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
                        abstract=_unpack_text(r["abstract"]),
                        categories=r["categories"].split() if r["categories"] else [],
                        primary_category=r["primary_category"],
                        pdf_url=(
                            links.pdf_url(r["arxiv_id"], r["version"])
                            if r["pdf_url"] == ""
                            else r["pdf_url"]
                        ),
                        abs_url=(
                            links.abs_url(r["arxiv_id"], r["version"])
                            if r["abs_url"] == ""
                            else r["abs_url"]
                        ),
                        published=r["published"],
                        updated=r["updated"],
                        comment=r["comment"],
                        journal_ref=r["journal_ref"],
                        doi=r["doi"],
                        extras=_load_extras(r["extras"]),
                        title_tex=r["title_tex"] or None,
                        abstract_tex=_unpack_text(r["abstract_tex"]) or None,
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
        for paper in found.values():
            _add_digest_categories(paper)
        return [found[p] for p in pid_list if p in found]
