"""Per-paper term and author features, in a rebuildable SQLite cache.

Each paper of the library becomes a bag of hashed features: the words of its
title (counted twice) and abstract, the pairs of neighbouring words (stop
words removed first, so "point cloud" survives "of the point cloud"), and
one token per author (first initial and last name, so "H. R. Tizhoosh" and
"Hamid Tizhoosh" are one author).  A feature is the CRC-32 of its text in a
space of :data:`DIM` buckets, so the store needs no vocabulary and grows one
paper at a time; the words behind a feature are recovered when they are
needed (for an explanation) by featurizing that paper's text again.

The store lives next to the index (``index-….sqlite3`` gives
``index-…-features.sqlite3``), keyed by versionless arXiv id (never by pid,
which a rescan may change) with the version it was computed from, together
with the document frequency of every bucket.  Delete it at any time: it is
rebuilt from the index.

This module needs numpy; nothing imports it at start-up (see
:mod:`digest_tui.ranking`).
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# The ranker works in a background thread beside the reader: a BLAS thread
# pool per call only fights the other threads (set before numpy loads).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

#: Schema of the store; another value rebuilds it.  Change it whenever the
#: tokenizer changes what a paper's features are.
FEATURES_VERSION = 1
#: Size of the hashed feature space (buckets): words hash into the lower
#: half, authors into the upper half (:data:`AUTHOR_BASE` and up).
DIM = 1 << 21
AUTHOR_BASE = DIM >> 1
_HALF_MASK = AUTHOR_BASE - 1
#: Author terms carry this prefix, words none.
AUTHOR_PREFIX = "@"

# Common English words that say nothing of a paper's subject (written for
# this project; abstracts' own filler words such as "paper" are left to idf).
STOP_WORDS = frozenset(
    """
    a about above after again against all also although am an and any are as at be
    because been before being below between both but by can could did do does doing
    done down during each either et etc few for from further had has have having he
    her here hers herself him himself his how however i if in into is it its itself
    just may me might more most much must my myself no nor not now of off on once
    one only onto or other others our ours ourselves out over own per same she
    should since so some such than that the their theirs them themselves then there
    thereby therefore these they this those though through thus to too toward towards
    under until up upon us very via was we were what whatever when where whereas
    whether which while who whom whose why will with within without would yet you
    your yours yourself yourselves
    """.split()
)

_WORD_RE = re.compile(r"[^\W_]+")
_LATEX_RE = re.compile(r"\\[a-zA-Z]+")


_COMBINING_RE = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def _fold(text: str) -> str:
    """Lower case without diacritics."""
    text = text.lower()
    if text.isascii():
        return text
    return _COMBINING_RE.sub("", unicodedata.normalize("NFKD", text))


def stem(word: str) -> str:
    """A light plural stemmer: ``networks`` -> ``network``, ``studies`` -> ``study``."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        return word[:-1]
    return word


def words(text: str) -> list[tuple[str, str]]:
    """``(term, surface)`` for each content word of ``text``, in order.

    A term is the folded, stemmed word; the surface is the word as written.
    Words of one letter, numbers and LaTeX commands are dropped.
    """
    out: list[tuple[str, str]] = []
    for m in _WORD_RE.finditer(_LATEX_RE.sub(" ", text)):
        surface = m.group()
        if len(surface) < 2 or surface.isdigit():
            continue
        folded = _fold(surface)
        if folded in STOP_WORDS:
            continue
        out.append((stem(folded), surface))
    return out


def author_term(name: str) -> str | None:
    """The feature text of one author: ``@h tizhoosh`` for ``H. R. Tizhoosh``."""
    parts = [p for p in re.split(r"[\s.]+", _fold(name)) if p]
    if not parts:
        return None
    last = parts[-1]
    return f"{AUTHOR_PREFIX}{parts[0][0]} {last}" if len(parts) > 1 else f"{AUTHOR_PREFIX}{last}"


def bucket(term: str) -> int:
    """The feature bucket of a word or author term (stable across runs and machines)."""
    h = zlib.crc32(term.encode("utf-8")) & _HALF_MASK
    return h | AUTHOR_BASE if term.startswith(AUTHOR_PREFIX) else h


_K1, _K2, _U64 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, (1 << 64) - 1


def pair_bucket(first: int, second: int) -> int:
    """The bucket of two neighbouring words, from their own buckets."""
    return (((first * _K1 + second * _K2) & _U64) >> 29) & _HALF_MASK


def _pair_buckets(
    first: npt.NDArray[np.uint64], second: npt.NDArray[np.uint64]
) -> npt.NDArray[np.uint64]:
    """:func:`pair_bucket` over arrays (uint64 arithmetic wraps as ``& _U64`` does)."""
    mixed = first * np.uint64(_K1) + second * np.uint64(_K2)
    out: npt.NDArray[np.uint64] = (mixed >> np.uint64(29)) & np.uint64(_HALF_MASK)
    return out


def terms(title: str, abstract: str, authors: Sequence[str]) -> Iterator[tuple[int, str, str]]:
    """Every feature occurrence of a paper as ``(bucket, term, shown)``:
    ``shown`` is how an explanation prints it (words as written, authors by
    full name).  Slow and thorough; :func:`featurize` counts the same buckets."""
    for part, repeat in ((title, 2), (abstract, 1)):
        found = [(bucket(t), t, s) for t, s in words(part)]
        for _ in range(repeat):
            prev: tuple[int, str, str] | None = None
            for b, term, surface in found:
                yield b, term, surface
                if prev is not None:
                    yield pair_bucket(prev[0], b), f"{prev[1]} {term}", f"{prev[2]} {surface}"
                prev = (b, term, surface)
    for name in authors:
        author = author_term(name)
        if author is not None:
            yield bucket(author), author, " ".join(name.split())


_word_cache: dict[str, int] = {}  # folded word -> bucket, or -1 for a word left out
_CACHE_LIMIT = 400_000


def _word_bucket(word: str) -> int:
    b = -1 if len(word) < 2 or word.isdigit() or word in STOP_WORDS else bucket(stem(word))
    if len(_word_cache) > _CACHE_LIMIT:
        _word_cache.clear()
    _word_cache[word] = b
    return b


def _content_buckets(text: str) -> list[int]:
    """The buckets of :func:`words`'s terms, fast: folded once, cached per word."""
    found = _WORD_RE.findall(_LATEX_RE.sub(" ", _fold(text)))
    cache = _word_cache
    try:
        out = [cache[w] for w in found]
    except KeyError:
        out = [cache[w] if w in cache else _word_bucket(w) for w in found]
    return out


def _word_buckets(text: str) -> npt.NDArray[np.uint64]:
    """Buckets of a text's words followed by those of its word pairs."""
    raw = np.array(_content_buckets(text), dtype=np.int64)
    u = raw[raw >= 0].astype(np.uint64)
    if len(u) < 2:
        return u
    return np.concatenate([u, _pair_buckets(u[:-1], u[1:])])


def featurize(title: str, abstract: str, authors: Sequence[str]) -> tuple[bytes, bytes]:
    """A paper's features as two blobs: sorted unique buckets (uint32) and
    their counts (uint8, at most 255).  The same buckets as :func:`terms`."""
    t = _word_buckets(title)
    names = [author_term(n) for n in authors]
    a = np.array([bucket(n) for n in names if n is not None], dtype=np.uint64)
    hashes, counts = np.unique(
        np.concatenate([t, t, _word_buckets(abstract), a]), return_counts=True
    )
    return (
        hashes.astype(np.uint32).tobytes(),
        np.minimum(counts, 255).astype(np.uint8).tobytes(),
    )


def shown_terms(title: str, abstract: str, authors: Sequence[str]) -> dict[int, tuple[str, bool]]:
    """bucket -> (text as shown, is an author), for explaining one paper."""
    out: dict[int, tuple[str, bool]] = {}
    for b, term, shown in terms(title, abstract, authors):
        if b not in out:
            out[b] = (shown, term.startswith(AUTHOR_PREFIX))
    return out


@dataclass(slots=True)
class Bag:
    """One paper's stored features."""

    hashes: npt.NDArray[np.uint32]
    counts: npt.NDArray[np.uint8]


def features_path_for(index_path: Path) -> Path:
    """The feature store of an index: ``<stem>-features.sqlite3`` beside it."""
    return index_path.with_name(f"{index_path.stem}-features.sqlite3")


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB);
CREATE TABLE IF NOT EXISTS bags (
    arxiv_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    hashes BLOB NOT NULL,
    counts BLOB NOT NULL
) WITHOUT ROWID;
"""


class FeatureStore:
    """The bags of every indexed paper and their document frequencies.

    Thread-safe (one connection behind a lock).  ``df`` (per bucket) and
    ``n_docs`` are kept in memory and saved with every change.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = self._open()
        self.df, self.n_docs = self._load_df()
        #: Grows with every change of the stored bags (for caches of ``df``).
        self.generation = 0

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=10.0
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # a cache: speed over durability
        return conn

    def _open(self) -> sqlite3.Connection:
        try:
            conn = self._connect()
            conn.executescript(_SCHEMA)
            row = conn.execute("SELECT value FROM meta WHERE key='version'").fetchone()
            if row is None:
                conn.execute("INSERT INTO meta VALUES ('version', ?)", (str(FEATURES_VERSION),))
            elif str(row[0]) != str(FEATURES_VERSION):
                conn.close()
                raise sqlite3.DatabaseError("old feature store")
            return conn
        except sqlite3.DatabaseError:
            # A cache: an old or corrupt store is thrown away and rebuilt.
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
            conn = self._connect()
            conn.executescript(_SCHEMA)
            conn.execute("INSERT INTO meta VALUES ('version', ?)", (str(FEATURES_VERSION),))
            return conn

    def _load_df(self) -> tuple[npt.NDArray[np.int32], int]:
        row = self._conn.execute("SELECT value FROM meta WHERE key='df'").fetchone()
        n = self._conn.execute("SELECT count(*) FROM bags").fetchone()[0]
        if row is not None and len(row[0]) == DIM * 4:
            return np.frombuffer(row[0], dtype=np.int32).copy(), int(n)
        df = np.zeros(DIM, dtype=np.int32)
        for (hashes,) in self._conn.execute("SELECT hashes FROM bags"):
            df[np.frombuffer(hashes, dtype=np.uint32)] += 1
        return df, int(n)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row is not None else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def versions(self) -> dict[str, int]:
        """arxiv id -> the version its bag was computed from."""
        with self._lock:
            return {
                r[0]: int(r[1]) for r in self._conn.execute("SELECT arxiv_id, version FROM bags")
            }

    def put(self, papers: Iterable[tuple[str, int, bytes, bytes]]) -> int:
        """Store ``(arxiv_id, version, hashes, counts)`` bags (replacing older
        ones) in one transaction; returns how many were stored."""
        n = 0
        with self._lock:
            conn = self._conn
            df = self.df.copy()
            docs = self.n_docs
            conn.execute("BEGIN")
            try:
                for arxiv_id, version, hashes, counts in papers:
                    old = conn.execute(
                        "SELECT hashes FROM bags WHERE arxiv_id=?", (arxiv_id,)
                    ).fetchone()
                    if old is not None:
                        df[np.frombuffer(old[0], dtype=np.uint32)] -= 1
                    else:
                        docs += 1
                    df[np.frombuffer(hashes, dtype=np.uint32)] += 1
                    conn.execute(
                        "INSERT OR REPLACE INTO bags VALUES (?,?,?,?)",
                        (arxiv_id, version, hashes, counts),
                    )
                    n += 1
                if n:
                    conn.execute("INSERT OR REPLACE INTO meta VALUES ('df', ?)", (df.tobytes(),))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            self.df, self.n_docs = df, docs
            self.generation += 1
        return n

    def bags(self, arxiv_ids: Sequence[str]) -> dict[str, Bag]:
        """The stored bags of some papers (ids without one are left out)."""
        out: dict[str, Bag] = {}
        ids = list(dict.fromkeys(arxiv_ids))
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for arxiv_id, hashes, counts in self._conn.execute(
                    f"SELECT arxiv_id, hashes, counts FROM bags WHERE arxiv_id IN ({marks})",
                    chunk,
                ):
                    out[arxiv_id] = Bag(
                        np.frombuffer(hashes, dtype=np.uint32),
                        np.frombuffer(counts, dtype=np.uint8),
                    )
        return out

    def all_bags(self, batch: int = 5000) -> Iterator[list[tuple[str, Bag]]]:
        """Every stored bag, ``batch`` at a time in arXiv id order (each batch
        read under the lock; memory for one batch, not the whole store)."""
        last = ""
        while True:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT arxiv_id, hashes, counts FROM bags WHERE arxiv_id > ?"
                    " ORDER BY arxiv_id LIMIT ?",
                    (last, batch),
                ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [
                (
                    arxiv_id,
                    Bag(
                        np.frombuffer(hashes, dtype=np.uint32),
                        np.frombuffer(counts, dtype=np.uint8),
                    ),
                )
                for arxiv_id, hashes, counts in rows
            ]
