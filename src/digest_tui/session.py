"""The reading session: what the reader shows and remembers, without a screen.

The reader (:mod:`digest_tui.tui`) only presents a :class:`ReadingSession`:
the session turns the view, the filter and the sort into a query, holds the
result and the cursor, the user's marks, the counts, mark-all and its undo,
and answers the moving keys (next unread, day jumps) from queries and
caches, never by walking the list row by row.

Identity is not order.  A paper's ``pid`` is its place in the display order
and a rescan may give it another one; everything the session remembers about
a paper (the cursor, the anchor the user chose, a pending jump, mark-all,
undo, the watched and noted sets) is kept by its versionless arXiv id.  A
list read at an older index generation is mapped back to the papers it showed
with :meth:`digest_tui.library.Library.ids_of`.

Threads: the methods named ``compute_*`` and :meth:`ReadingSession.search`
only read (the library and the state are thread-safe) and may run in
workers; every other method changes the session and belongs to one thread
(the reader's UI thread).
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import threading
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

from digest_tui.highlight import Highlights, highlights_for
from digest_tui.library import FID_BITS, POS_BITS, Library, SearchResult, _generation
from digest_tui.models import Paper, Record
from digest_tui.query import SORTS as LIBRARY_SORTS
from digest_tui.query import Query, parse_query
from digest_tui.state import StateStore

if TYPE_CHECKING:
    from digest_tui.ranking import Ranker

#: The views: name -> (label in the header, terms added to the filter).
#: ``foryou`` also pins the newest digest day and ranks by relevance; ``new``
#: keeps the papers of digests that arrived since the reader was last closed;
#: ``similar`` (entered with :meth:`ReadingSession.show_similar`, left with
#: :meth:`ReadingSession.leave_similar`) lists the papers most like one paper.
VIEWS: dict[str, tuple[str, str]] = {
    "all": ("All", ""),
    "unread": ("Unread", "is:unread"),
    "starred": ("Starred", "is:starred"),
    "watched": ("Watched", "is:watched"),
    "foryou": ("For you", "is:unread"),
    "new": ("New", ""),
    "similar": ("Like", ""),
}
#: Views whose rows come in the ranker's order.
RANKED_VIEWS = frozenset({"foryou", "similar"})
#: Views whose rows are not the plain result of their query: a list shown
#: there is always complete (mark-all marks exactly its rows).
COMPUTED_VIEWS = frozenset({"foryou", "new", "similar"})

#: The orders ``z`` cycles through: the index's own, then the learned relevance
#: (computed in a worker by :mod:`digest_tui.ranking`, imported on first use).
SORTS: tuple[str, ...] = (*LIBRARY_SORTS, "relevance")

#: How the header names each order of :data:`SORTS`.
SORT_LABELS: dict[str, str] = {
    "digest": "digest order",
    "date": "by date",
    "title": "by title",
    "id": "by id",
    "relevance": "by relevance",
}

#: How many papers "more like this" lists.
SIMILAR_LIMIT = 50

#: Triage decisions: name -> (read, starred) to save; each moves to the next row.
TRIAGE: dict[str, tuple[bool, bool | None]] = {
    "star": (True, True),
    "skip": (True, None),
    "later": (False, None),
}

#: Rows looked at for the first unread paper when the list has no days.
_FIRST_UNREAD_SPAN = 2000
#: The orders the index sorts by (others, if any, are computed elsewhere).
INDEX_SORTS = ("digest", "date", "title", "id")
#: A pid shifted right by this is its digest day (see :mod:`digest_tui.library`).
_DAY_SHIFT = FID_BITS + POS_BITS


_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def pinned_day(query: Query) -> str | None:
    """The one digest day a query's ``date:`` term selects (``date:2020-12-14``,
    ``date:today``, ``date:yesterday``), or None."""
    for term in query.terms:
        if term.field != "date" or term.negated:
            continue
        value = term.value.strip().lower()
        if value == "today":
            return dt.date.today().isoformat()
        if value == "yesterday":
            return (dt.date.today() - dt.timedelta(days=1)).isoformat()
        if _DAY_RE.match(value):
            return value
    return None


def day_key(pid: int) -> int:
    """The digest day a pid belongs to (its newest appearance)."""
    return int(pid) >> _DAY_SHIFT


def tag_key(tag: str) -> str:
    """Tags compare without case: ``#ML`` and ``#ml`` are one tag."""
    return tag.casefold()


class Marks(Record):
    """What the reader knows of the user's marks, by arXiv id: read, starred,
    the tags of each tagged paper, and the papers with a note or on the watch
    list.  Written by the session, read by the list while drawing."""

    __slots__ = ("read", "starred", "tags", "noted", "watched", "updated")

    def __init__(
        self,
        read: set[str] | None = None,
        starred: set[str] | None = None,
        tags: dict[str, tuple[str, ...]] | None = None,
        noted: set[str] | None = None,
        watched: set[str] | None = None,
        updated: dict[str, tuple[int, int]] | None = None,
    ) -> None:
        self.read: set[str] = set() if read is None else read
        self.starred: set[str] = set() if starred is None else starred
        self.tags: dict[str, tuple[str, ...]] = {} if tags is None else tags
        self.noted: set[str] = set() if noted is None else noted
        self.watched: set[str] = set() if watched is None else watched
        #: Starred papers listed in a newer version than the one starred:
        #: id -> (version starred, version now).
        self.updated: dict[str, tuple[int, int]] = {} if updated is None else updated

    def tags_of(self, paper_id: str) -> tuple[str, ...]:
        return self.tags.get(paper_id, ())

    def has_tag(self, paper_id: str, tag: str) -> bool:
        key = tag_key(tag)
        return any(tag_key(t) == key for t in self.tags_of(paper_id))

    def set_tags(self, paper_id: str, tags: Iterable[str]) -> None:
        ordered = tuple(sorted(tags, key=str.casefold))
        if ordered:
            self.tags[paper_id] = ordered
        else:
            self.tags.pop(paper_id, None)

    def is_read(self, paper_id: str) -> bool:
        return paper_id in self.read

    def is_starred(self, paper_id: str) -> bool:
        return paper_id in self.starred

    def set_read(self, paper_id: str, value: bool) -> None:
        if value:
            self.read.add(paper_id)
        else:
            self.read.discard(paper_id)

    def set_starred(self, paper_id: str, value: bool) -> None:
        if value:
            self.starred.add(paper_id)
        else:
            self.starred.discard(paper_id)


class MarkAllPlan(Record):
    """What "mark all read" asked about: the list as it was shown (its pids
    and the index generation they belong to), or, for a list still showing
    only its first screen, the whole view's query.  Not changed once made."""

    __slots__ = ("pids", "generation", "query", "count", "partial")

    def __init__(
        self,
        pids: Sequence[int] | None,
        generation: int,
        query: Query,
        count: int,
        partial: bool,
    ) -> None:
        self.pids = pids
        self.generation = generation
        self.query = query
        self.count = count
        self.partial = partial


class Counts(NamedTuple):
    unread: int | None = None
    starred: int | None = None


class SortedPids:
    """A set of pids kept as one sorted array: 8 bytes a paper (a million
    unread papers are 8 MB, not the 60 MB of a set of ints), membership by
    bisection, and the next member of an ascending list by galloping."""

    __slots__ = ("_pids",)

    def __init__(self, pids: Iterable[int] = ()) -> None:
        items = array("q", pids)
        if any(items[i] > items[i + 1] for i in range(len(items) - 1)):
            items = array("q", sorted(set(items)))
        self._pids = items

    def __len__(self) -> int:
        return len(self._pids)

    def __bool__(self) -> bool:
        return bool(self._pids)

    def __contains__(self, pid: object) -> bool:
        if not isinstance(pid, int):
            return False
        items = self._pids
        i = bisect.bisect_left(items, pid)
        return i < len(items) and items[i] == pid

    def __iter__(self) -> Iterator[int]:
        return iter(self._pids)

    def add(self, pid: int) -> None:
        items = self._pids
        i = bisect.bisect_left(items, pid)
        if i == len(items) or items[i] != pid:
            items.insert(i, pid)

    def discard(self, pid: int) -> None:
        items = self._pids
        i = bisect.bisect_left(items, pid)
        if i < len(items) and items[i] == pid:
            items.pop(i)

    def next_in(self, pids: Sequence[int], start: int, stop: int) -> int:
        """The first index in ``range(start, stop)`` of ascending ``pids``
        whose pid is a member, or -1: each step skips to the next candidate
        of either list, so it costs the alternations, not the rows."""
        items = self._pids
        x, n = start, min(stop, len(pids))
        y = bisect.bisect_left(items, pids[x]) if x < n else 0
        while x < n and y < len(items):
            a, b = pids[x], items[y]
            if a == b:
                return x
            if a < b:
                x = bisect.bisect_left(pids, b, x, n)
            else:
                y = bisect.bisect_left(items, a, y)
        return -1

    def previous_in(self, pids: Sequence[int], start: int, stop: int) -> int:
        """The last index in ``range(stop + 1, start + 1)`` of ascending
        ``pids`` whose pid is a member, or -1 (``stop`` is exclusive, >= -1)."""
        items = self._pids
        x, low = min(start, len(pids) - 1), stop + 1
        if x < low or not items:
            return -1
        y = bisect.bisect_right(items, pids[x]) - 1
        while x >= low and y >= 0:
            a, b = pids[x], items[y]
            if a == b:
                return x
            if a > b:
                x = bisect.bisect_right(pids, b, low, x + 1) - 1
            else:
                y = bisect.bisect_right(items, a, 0, y + 1) - 1
        return -1


class DayUnread(Record):
    """The unread papers of a result, read in a worker at the result's index
    generation: their pids, and how many each digest day has (by
    :func:`day_key`).  ``seq`` is the session's :attr:`ReadingSession.read_seq`
    when the worker was asked: if the session changed a read mark since, the
    answer is older than the session's own marks and is not used."""

    __slots__ = ("generation", "counts", "pids", "seq")

    def __init__(
        self,
        generation: int,
        counts: dict[int, int],
        pids: SortedPids | None = None,
        seq: int = -1,
    ) -> None:
        self.generation = generation
        self.counts = counts
        self.pids = SortedPids() if pids is None else pids
        self.seq = seq


class ReadingSession:
    """The view model of one reader over a library and the user's state."""

    def __init__(
        self,
        library: Library,
        state: StateStore,
        *,
        view: str = "all",
        sort: str = "digest",
    ) -> None:
        self.library = library
        self.state = state
        self.marks = Marks()
        #: False from ``load_marks(read=False)`` until :meth:`complete_marks`.
        self.marks_complete = True
        self._read_known: set[str] = set()  # ids whose read mark was read meanwhile
        self.view = view if view in VIEWS else "all"
        self.sort = sort if sort in SORTS else "digest"
        self.filter_text = ""
        self.query: Query = parse_query("")
        self.result: SearchResult | None = None
        self.partial = False  # the result is only the first screen of the view
        self.index = -1  # the cursor, an index into the result
        self.current_id: str | None = None
        self.current_paper: Paper | None = None
        #: The paper the user chose; a filter that hides it for a moment keeps it.
        self.anchor_id: str | None = None
        self._anchor_chosen = False  # the anchor is a paper the user chose
        #: A paper to put the cursor on once the next result arrives.
        self.pending_jump: str | None = None
        self.counts = Counts()
        self.undo: dict[str, bool] | None = None
        self.state_version = -1
        self._change_seq = 0
        self._day_starts: list[int] | None = None
        self._unread: SortedPids | None = None
        self._derived: array[int] | None = None
        #: Every paper, in each order read so far (see :meth:`keep_order`).
        self._orders: dict[str, SearchResult] = {}
        #: +1 at each read mark the session changes (see :class:`DayUnread`).
        self.read_seq = 0
        self._highlights: tuple[str, Highlights] = ("", Highlights())
        self._day_unread: DayUnread | None = None
        self._pinned_day: str | None = None
        #: When the reader was last closed (unix time; None: never), read at start.
        self.last_closed: float | None = None
        #: The paper "more like this" was asked for, and the view to go back to.
        self.similar_to: str | None = None
        self._view_before_similar = "all"
        self._to_top = False  # a ranked view starts at its best paper
        self._ranker: Ranker | None = None
        self._ranker_lock = threading.Lock()
        self._ranked: tuple[tuple[object, ...], SearchResult] | None = None
        #: Triage decisions taken in this session: decision -> count.
        self.triaged: dict[str, int] = dict.fromkeys(TRIAGE, 0)

    # ------------------------------------------------------------ the query

    def highlights(self) -> Highlights:
        """The filter's words and phrases, to show where they matched."""
        text, found = self._highlights
        if text != self.filter_text:
            found = highlights_for(self.filter_text)
            self._highlights = (self.filter_text, found)
        return found

    def view_query(self, filter_text: str | None = None, *, typing: bool = False) -> Query:
        """The filter plus the view's own terms; raises ``QueryError``.

        ``typing``: the filter is being typed, so an unfinished last term
        waits (see :attr:`Query.unfinished`) instead of being an error."""
        query = parse_query(self.filter_text if filter_text is None else filter_text, typing=typing)
        extra = VIEWS[self.view][1]
        if self.view == "foryou":
            day = self.newest_day()
            extra = f"{extra} date:{day}" if day else extra
        return query.with_terms(extra) if extra else query

    @property
    def library_sort(self) -> str:
        """The index's order closest to the session's (relevance: digest order)."""
        return self.sort if self.sort in LIBRARY_SORTS else "digest"

    @property
    def ranked(self) -> bool:
        """The list shown is in the ranker's order."""
        return self.view in RANKED_VIEWS or self.sort == "relevance"

    def search(self, query: Query, *, limit: int | None = None) -> SearchResult:
        """Read the papers of ``query`` in the session's order (any thread).

        A ranked or computed view is read whole (``limit`` is ignored): its
        order is known only once every paper is scored.  The ranking runs
        here, so call this from a worker when :attr:`ranked` is true."""
        view, sort = self.view, self.sort
        if view not in COMPUTED_VIEWS and sort in LIBRARY_SORTS:
            return self.library.search(query, limit=limit, sort=sort)
        if view in RANKED_VIEWS or sort == "relevance":
            self.ranker().refresh()  # new papers and marks first, then the key
        key = (str(query), view, sort, self.similar_to, self.last_closed, self._model_key())
        cached = self._ranked
        if cached is not None and cached[0] == key and cached[1].generation == self._generation():
            return cached[1]
        if view == "similar":
            result = self._similar_result(query)
        else:
            result = self.library.search(query, sort=self.library_sort)
            if view == "new":
                result = self._arrived_since(result)
            if view in RANKED_VIEWS or sort == "relevance":
                result = self._rank(result)
        self._ranked = (key, result)
        return result

    def set_view(self, name: str) -> bool:
        """Switch the view; False when ``name`` is unknown or already shown
        (``similar`` is entered with :meth:`show_similar` only)."""
        if name not in VIEWS or name == self.view or name == "similar":
            return False
        self._derived = self._unread_view_of_result() if name == "unread" else None
        self.view = name
        self.similar_to = None
        self._to_top = name in RANKED_VIEWS
        return True

    def _unread_view_of_result(self) -> array[int] | None:
        """From all papers to the unread ones of the same filter: the unread
        pids the count worker read (kept up to date by the session's marks)
        are that view already, in the digest order."""
        result, unread = self.result, self._unread
        if self.view != "all" or result is None or unread is None or self.partial:
            return None
        if not unread:  # every paper read: in any order, nothing
            return array("q")
        if result.sort != "digest" or self.sort != "digest":
            return None
        return array("q", unread)

    def take_derived(self, query: Query) -> tuple[SearchResult, bool] | None:
        """The new list when the session can tell it without the index, for
        ``query`` (the new view's or order's), and whether it is exact: the
        unread papers of the list shown (see :meth:`set_view`; the index's
        own answer follows in a worker and replaces it), or every paper in an
        order read before at this index generation (exact)."""
        pids, self._derived = self._derived, None
        result = self.result
        generation = self.library.generation()
        if pids is not None and result is not None and result.generation == generation:
            return SearchResult(pids, query, self.sort, generation), False
        order = self._orders.get(self.sort) if self.view == "all" else None
        if not query.terms and order is not None and order.generation == generation:
            return SearchResult(order.pids, query, self.sort, generation), True
        return None

    def keep_order(self, result: SearchResult) -> None:
        """Remember every paper in ``result``'s order (an unfiltered, whole
        list), so that going back to it (``a``, ``z``) needs no sort over the
        index: 8 bytes a paper and order."""
        if not result.query.terms and result.sort in INDEX_SORTS and self.view == "all":
            stale = [k for k, v in self._orders.items() if v.generation != result.generation]
            for key in stale:
                del self._orders[key]
            self._orders[result.sort] = result

    def order_to_prefetch(self) -> str | None:
        """The order ``z`` goes to next, when it is an index order not read
        yet for every paper at this generation (a worker reads it early)."""
        sort = self.next_sort()
        result = self.result
        if sort not in INDEX_SORTS or result is None:
            return None
        order = self._orders.get(sort)
        return None if order is not None and order.generation == result.generation else sort

    def set_sort(self, sort: str) -> bool:
        if sort not in SORTS or sort == self.sort:
            return False
        self.sort = sort
        self._to_top = sort == "relevance"
        return True

    def view_label(self) -> str:
        """The view's name in the header."""
        label = VIEWS[self.view][0]
        if self.view == "similar" and self.similar_to:
            return f"{label} {self.similar_to}"
        if self.view == "new":
            if self.last_closed is None:
                return f"{label} (first run: all)"
            since = dt.datetime.fromtimestamp(self.last_closed).strftime("%m-%d %H:%M")
            return f"{label} since {since}"
        return label

    # ------------------------------------------------------------ ranked views

    def newest_day(self) -> str | None:
        """The newest digest day of the index (For you's "today"): one bounded read."""
        first = self.library.search(parse_query(""), limit=1)
        return first.date_at(0) or None if len(first) else None

    def ranker(self) -> Ranker:
        """The relevance model, created (and numpy imported) on first use."""
        with self._ranker_lock:
            if self._ranker is None:
                from digest_tui.ranking import Ranker

                self._ranker = Ranker(self.library, self.state)
            return self._ranker

    def has_features(self) -> bool:
        """Relevance was used with this index before: its feature store exists
        (the path :func:`digest_tui.features.features_path_for` gives; that
        module imports numpy, so it is not asked)."""
        path = self.library.path
        return path.with_name(f"{path.stem}-features.sqlite3").exists()

    @property
    def ranking_started(self) -> bool:
        """Relevance was asked for in this session (so marks retrain it)."""
        return self._ranker is not None

    def _model_key(self) -> int:
        ranker = self._ranker
        model = ranker._model if ranker is not None else None
        return id(model) if model is not None else 0

    def _generation(self) -> int:
        with self.library._read() as conn:
            return _generation(conn)

    def _rank(self, result: SearchResult) -> SearchResult:
        ranker = self.ranker()
        pids = [int(p) for p in result.pids]
        ids = self.library.ids_of(pids, result.generation)
        scores = ranker.scores([i for i in ids if i])
        order = sorted(range(len(pids)), key=lambda k: (-scores.get(ids[k] or "", 0.0), k))
        ranked = array("q", (pids[k] for k in order))
        return SearchResult(ranked, result.query, "relevance", result.generation)

    def _similar_result(self, query: Query) -> SearchResult:
        source = self.similar_to
        ranker = self.ranker()
        near = ranker.similar(source, SIMILAR_LIMIT) if source else []
        base = self.library.search(query, sort="digest")
        ids = self.library.ids_of([int(p) for p in base.pids], base.generation)
        where = {i: int(p) for i, p in zip(ids, base.pids, strict=True) if i}
        pids = array("q", (where[i] for i, _ in near if i in where))
        return SearchResult(pids, query, "relevance", base.generation)

    def _arrived_since(self, result: SearchResult) -> SearchResult:
        """The papers of ``result`` in a digest file written after the reader
        was last closed (every paper when it never was)."""
        since = self.last_closed
        if since is None:
            return result
        with self.library._read() as conn:
            conn.execute("BEGIN")
            try:
                generation = _generation(conn)
                new = {
                    int(r[0])
                    for r in conn.execute(
                        "SELECT DISTINCT a.pid FROM appearances a JOIN files f USING (fid)"
                        " WHERE f.mtime_ns > ?",
                        (int(since * 1e9),),
                    )
                }
            finally:
                conn.execute("COMMIT")
        if generation != result.generation:  # renumbered in between: read again
            return self._arrived_since(self.library.search(result.query, sort=result.sort))
        pids = array("q", (p for p in result.pids if p in new))
        return SearchResult(pids, result.query, result.sort, result.generation)

    def show_similar(self, paper_id: str) -> bool:
        """Show the papers most like ``paper_id`` (False: it is already shown)."""
        if self.view == "similar" and self.similar_to == paper_id:
            return False
        if self.view != "similar":
            self._view_before_similar = self.view
        self.view = "similar"
        self.similar_to = paper_id
        self.anchor_id = None
        self._to_top = True
        return True

    def leave_similar(self) -> bool:
        """Back to the view "more like this" was asked from, the cursor on its
        paper; False when the similar view is not shown."""
        if self.view != "similar":
            return False
        self.pending_jump = self.anchor_id = self.similar_to
        self.view = self._view_before_similar
        self.similar_to = None
        return True

    def compute_refresh(self) -> bool:
        """Featurize new papers and retrain on new marks (any thread; call it
        only once :attr:`ranking_started`); True when the model changed."""
        return self.ranker().refresh()

    def compute_why(self, paper_id: str) -> str | None:
        """The detail pane's why-line for a paper (any thread)."""
        explanation = self.ranker().explain(paper_id)
        return explanation.one_line() if explanation is not None else None

    def close(self) -> None:
        """Remember that the reader closes now (for the new-since view) and
        let the ranker go.  Raises ``StateError``."""
        ranker = self._ranker
        if ranker is not None:
            ranker.close()
        if not self.state.readonly:
            self.state.set_last_closed()

    # ------------------------------------------------------------ triage

    def triage_marks(self, decision: str) -> tuple[bool, bool | None]:
        """The marks a triage decision saves: ``(read, starred)``."""
        return TRIAGE[decision]

    def after_triage(self, decision: str) -> int:
        """Count the decision; the row to go to next (-1: it was the last)."""
        self.triaged[decision] += 1
        following = self.index + 1
        return following if following < len(self) else -1

    # ------------------------------------------------------------ new versions

    def compute_new_versions(self) -> dict[str, tuple[int, int]]:
        """Starred papers the index lists in a newer version than the one
        starred (any thread).  A starred paper with no version remembered
        (starred before this was kept, or elsewhere) adopts the version the
        index has now.  Raises ``StateError``."""
        starred = sorted(self.state.ids_where(starred=True))
        if not starred:
            return {}
        seen = self.state.seen_versions(starred)
        now = self._index_versions(starred)
        adopt = {i: v for i, v in now.items() if i not in seen}
        if adopt and not self.state.readonly:
            self.state.remember_versions(adopt)
        return {i: (seen[i], v) for i, v in now.items() if i in seen and v > seen[i]}

    def apply_new_versions(self, updated: dict[str, tuple[int, int]]) -> None:
        self.note_own_write()
        self.marks.updated = updated

    def acknowledge_version(self, paper: Paper) -> bool:
        """The user has seen this version of the paper: no flag any more.
        Raises ``StateError``."""
        if paper.version is None:
            return False
        if paper.id not in self.marks.updated:
            return False
        self.state.remember_versions({paper.id: paper.version})
        self.note_own_write()
        del self.marks.updated[paper.id]
        return True

    def _index_versions(self, ids: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        with self.library._read() as conn:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                for paper_id, version in conn.execute(
                    f"SELECT arxiv_id, version FROM papers WHERE arxiv_id IN ({marks})", chunk
                ):
                    if version:
                        out[paper_id] = int(version)
        return out

    def next_sort(self) -> str:
        return SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]

    # ------------------------------------------------------------ the result

    def apply_result(
        self,
        result: SearchResult,
        *,
        partial: bool = False,
        first: bool = False,
        fresh: bool = False,
    ) -> int:
        """Show ``result``; returns the cursor's index.

        The cursor stays on the paper it was on (or the one the user chose, or
        a pending jump) wherever the new list has it; else it goes to the first
        unread paper of the newest day (``first``) or the top.  ``fresh``: the
        user has not chosen a paper yet and newer digests may have arrived (a
        first scan): only a pending jump is kept.
        """
        self.result = result
        self.partial = partial
        self.counts = Counts()
        self._day_starts = None
        self._unread = None
        self._day_unread = None
        self._pinned_day = pinned_day(result.query)
        keep = (
            self.pending_jump if fresh else (self.pending_jump or self.anchor_id or self.current_id)
        )
        if self._to_top and not self.pending_jump:
            keep = None  # a ranked list starts at its best paper
        self._to_top = False
        self.pending_jump = None
        index = self.index_of_id(keep) if keep else -1
        if index < 0:
            index = self.first_unread_index() if first else (0 if len(result) else -1)
        return index

    def __len__(self) -> int:
        return len(self.result) if self.result is not None else 0

    def pid_at(self, index: int) -> int | None:
        result = self.result
        if result is None or not 0 <= index < len(result):
            return None
        return int(result.pids[index])

    def id_at(self, index: int) -> str | None:
        """The arXiv id of the paper shown at ``index``."""
        result = self.result
        pid = self.pid_at(index)
        if result is None or pid is None:
            return None
        return self.library.ids_of([pid], result.generation)[0]

    def index_of_id(self, arxiv_id: str) -> int:
        """Where the list shows the paper ``arxiv_id``, or -1."""
        result = self.result
        if result is None or not len(result):
            return -1
        pid = self.library.pid_of(arxiv_id)
        if pid is None:
            return -1
        pids = result.pids
        if result.sort == "digest":  # pids ascend: bisect
            i = bisect.bisect_left(pids, pid)
            return i if i < len(pids) and pids[i] == pid else -1
        try:
            return pids.index(pid)
        except ValueError:
            return -1

    def move(self, index: int, *, by_user: bool = True) -> Paper | None:
        """Put the cursor on ``index``; returns the paper now current."""
        self.index = index if 0 <= index < len(self) else -1
        paper_id = self.id_at(self.index)
        # The user's choice stays the anchor through moves the reader makes
        # (a filter that hides it for a moment); a place the reader chose
        # follows the reader's next choice (the watch list arriving).
        if by_user or not self._anchor_chosen:
            self.anchor_id = paper_id
            self._anchor_chosen = by_user
        if paper_id != self.current_id or (paper_id is not None and self.current_paper is None):
            self.current_id = paper_id
            self.current_paper = self.library.paper_by_id(paper_id) if paper_id else None
            # Its read mark is known before it is shown or toggled, even when
            # the read marks are still being read (a jump past what is drawn).
            self.know_read([paper_id])
        return self.current_paper

    def day_starts(self) -> list[int]:
        if self._day_starts is None:
            result = self.result
            if result is None:
                self._day_starts = []
            elif self._pinned_day is not None and result.sort == "digest":
                # One day asked for: one group, even for papers a newer digest lists too.
                self._day_starts = [0] if len(result) else []
            else:
                self._day_starts = result.day_starts()
        return self._day_starts

    def date_at(self, index: int) -> str:
        """The digest date shown for row ``index``: the day a ``date:`` filter
        asked for, else the newest digest listing the paper."""
        if self._pinned_day is not None:
            return self._pinned_day
        result = self.result
        return result.date_at(index) if result is not None else ""

    def day_of(self, index: int) -> tuple[int, int]:
        """The ``[start, end)`` rows of the digest day of row ``index``."""
        starts = self.day_starts()
        if not starts:
            return 0, len(self)
        k = bisect.bisect_right(starts, index) - 1
        start = starts[max(k, 0)]
        end = starts[k + 1] if k + 1 < len(starts) else len(self)
        return start, end

    def next_day(self, index: int) -> int:
        """The first row of the next digest day, or -1."""
        starts = self.day_starts()
        k = bisect.bisect_right(starts, index)
        return starts[k] if k < len(starts) else -1

    def previous_day(self, index: int) -> int:
        """The first row of this day (from inside it) or of the day before, or -1."""
        if index < 0:
            return -1
        start, _ = self.day_of(index)
        if index > start:
            return start
        starts = self.day_starts()
        k = bisect.bisect_right(starts, index) - 1
        return starts[k - 1] if k > 0 else -1

    # ------------------------------------------------------------ unread

    def unread_known(self) -> bool:
        """Whether the result's unread papers are known (a worker reads them
        after each result: :meth:`compute_day_unread`)."""
        return self._unread is not None or self.result is None or not len(self.result)

    def unread_pids(self) -> SortedPids:
        """The pids of the result's unread papers: read by the count worker
        (or here, in one query, when asked before it answered), then kept up
        to date by the session's own marks (and dropped when others change)."""
        if self._unread is None:
            result = self.result
            if result is None or not len(result):
                self._unread = SortedPids()
            else:
                unread = self.library.search(self.query.with_terms("is:unread"), sort="digest")
                self._unread = SortedPids(unread.pids)
        return self._unread

    def find_unread(self, start: int, step: int, limit: int | None = None) -> int:
        """The first unread row from ``start`` going by ``step``, or -1."""
        result = self.result
        if result is None:
            return -1
        unread = self.unread_pids()
        if not unread:
            return -1
        pids = result.pids
        n = len(pids)
        stop = n if step > 0 else -1
        if limit is not None:
            stop = min(n, start + limit) if step > 0 else max(-1, start - limit)
        if result.sort == "digest":  # both ascend: skip from match to match
            if step > 0:
                return unread.next_in(pids, start, stop) if start < n else -1
            return unread.previous_in(pids, start, stop) if start >= 0 else -1
        for index in range(start, stop, step):
            if pids[index] in unread:
                return index
        return -1

    def next_unread(self) -> int:
        return self.find_unread(self.index + 1, 1)

    def previous_unread(self) -> int:
        return self.find_unread(self.index - 1, -1) if self.index > 0 else -1

    def first_unread_index(self) -> int:
        """Where a day's reading starts: the first unread paper of the newest
        day on the watch list, else the first unread paper of the newest day
        (else of the days after it), else the top."""
        result = self.result
        if result is None or not len(result):
            return -1
        _, end = self.day_of(0)
        if not self.day_starts():
            end = min(len(result), _FIRST_UNREAD_SPAN)
        # The marks in memory answer for these few rows: no query over the
        # whole view on the way to the first screen.
        head = [int(p) for p in result.pids[: end + _FIRST_UNREAD_SPAN]]
        ids = self.library.ids_of(head, result.generation)
        self.know_read(ids)
        unread = [i is not None and not self.marks.is_read(i) for i in ids]
        if self.marks.watched:
            for index in range(min(end, len(head))):
                if unread[index] and ids[index] in self.marks.watched:
                    return index
        for index, yes in enumerate(unread):
            if yes:
                return index
        return 0

    # ------------------------------------------------------------ marks

    def load_marks(self, *, read: bool = True) -> None:
        """Read every mark (at start); raises ``StateError``.

        With ``read=False`` the read marks are left for :meth:`complete_marks`
        (a million of them take a second): until then the read marks of the
        papers shown are read as they are shown (:meth:`know_read`)."""
        version = self.state.data_version()
        seq = self.state.change_seq()
        read_ids = self.state.ids_where(read=True) if read else set()
        self.marks_complete = read
        self._read_known = set()
        starred = self.state.ids_where(starred=True)
        tagged: dict[str, set[str]] = {}
        for tag in dict(self.state.all_tags()):
            for paper_id in self.state.ids_with_tag(tag):
                tagged.setdefault(paper_id, set()).add(tag)
        self.state_version = version
        self._change_seq = seq
        self.last_closed = self.state.last_closed()
        self.marks.read = read_ids
        self.marks.starred = starred
        self.marks.tags = {}
        for paper_id, tags in tagged.items():
            self.marks.set_tags(paper_id, tags)
        self._unread = None
        self.read_seq += 1

    def know_read(self, ids: Iterable[str | None]) -> None:
        """Before :meth:`complete_marks`: read the read marks of ``ids`` (the
        papers about to be shown) from the state, once each."""
        if self.marks_complete:
            return
        missing = [i for i in ids if i is not None and i not in self._read_known]
        if not missing:
            return
        self._read_known.update(missing)
        self.marks.read.update(self.state.read_among(missing))

    def complete_marks(self, seq: int, read: set[str]) -> None:
        """Every read mark, as of change number ``seq`` (read in a worker by
        :meth:`StateStore.read_snapshot`), and then what changed after it
        (the session's own marks among them).  Raises ``StateError``."""
        if self.marks_complete:
            return
        _newest, changed = self.state.changed_since(seq)
        for paper_id, mark in changed.items():
            if mark.read:
                read.add(paper_id)
            else:
                read.discard(paper_id)
        self.marks.read = read
        self.marks_complete = True
        self._read_known = set()
        self._unread = None
        self._day_unread = None
        self.read_seq += 1

    def state_changed(self) -> bool:
        """True when another process (or `digest-tui mark`) saved marks."""
        return self.state.data_version() != self.state_version

    def reload_changed_marks(self) -> set[str]:
        """Read the marks changed since the last read (not all of them);
        returns the ids that changed.  Raises ``StateError``."""
        version = self.state.data_version()
        self._change_seq, changed = self.state.changed_since(self._change_seq)
        for paper_id, mark in changed.items():
            self.marks.set_read(paper_id, mark.read)
            self.marks.set_starred(paper_id, mark.starred)
            self.marks.set_tags(paper_id, mark.tags)
        self.state_version = version
        if changed:
            self._unread = None
            self._day_unread = None
            self.read_seq += 1
            self.counts = Counts()
        return set(changed)

    def note_own_write(self) -> None:
        """The session itself committed: that is no change from elsewhere."""
        self.state_version = self.state.data_version()

    def set_mark(
        self, paper_id: str, *, read: bool | None = None, starred: bool | None = None
    ) -> bool:
        """Save a mark (committed before this returns); True when something
        changed.  Raises ``StateError`` and changes nothing then."""
        was_read = self.marks.is_read(paper_id)
        was_starred = self.marks.is_starred(paper_id)
        new_read = read is not None and read != was_read
        new_star = starred is not None and starred != was_starred
        if new_read:
            self.state.set_read(paper_id, bool(read))
        if new_star:
            self.state.set_starred(paper_id, bool(starred))
        if not (new_read or new_star):
            return False
        if new_star and starred:
            self._remember_starred_version(paper_id)
        self.note_own_write()
        self.apply_mark(paper_id, read=read if new_read else None, starred=starred)
        return True

    def _remember_starred_version(self, paper_id: str) -> None:
        """A star remembers the version starred (a newer one is flagged later)."""
        paper = self.current_paper
        if paper is None or paper.id != paper_id:
            paper = self.library.paper_by_id(paper_id)
        if paper is not None and paper.version:
            self.state.remember_versions({paper_id: paper.version})
        self.marks.updated.pop(paper_id, None)

    def apply_mark(
        self, paper_id: str, *, read: bool | None = None, starred: bool | None = None
    ) -> None:
        """Show a mark that was saved (here, or by a worker that retried)."""
        unread, starred_count = self.counts.unread, self.counts.starred
        if read is not None and read != self.marks.is_read(paper_id):
            self.marks.set_read(paper_id, read)
            if unread is not None:
                unread += -1 if read else 1
            self.read_seq += 1
            self._note_unread(paper_id, not read)
        if starred is not None and starred != self.marks.is_starred(paper_id):
            self.marks.set_starred(paper_id, starred)
            if starred_count is not None:
                starred_count += 1 if starred else -1
        self.counts = Counts(unread, starred_count)

    def _note_unread(self, paper_id: str, unread: bool) -> None:
        if self._unread is None and self._day_unread is None:
            return
        pid = self.library.pid_of(paper_id)
        if pid is None:
            return
        if self._unread is not None:
            if unread:
                self._unread.add(pid)
            else:
                self._unread.discard(pid)
        days = self._day_unread
        if days is not None and self._shows_pid(pid):
            key = day_key(pid)
            days.counts[key] = max(0, days.counts.get(key, 0) + (1 if unread else -1))

    def _shows_pid(self, pid: int) -> bool:
        result = self.result
        if result is None or result.sort != "digest":
            return False
        pids = result.pids
        i = bisect.bisect_left(pids, pid)
        return i < len(pids) and pids[i] == pid

    # ------------------------------------------------------------ mark all

    def plan_mark_all(self) -> MarkAllPlan | None:
        """What "mark all read" would mark, as shown now (None: nothing shown)."""
        result = self.result
        if result is None or not len(result):
            return None
        complete = not self.partial or self.view in COMPUTED_VIEWS or self.ranked
        return MarkAllPlan(
            None if not complete else result.pids,
            result.generation,
            self.query,
            len(result),
            not complete,
        )

    def compute_mark_all(self, plan: MarkAllPlan, *, busy_timeout: float = 0.0) -> dict[str, bool]:
        """Mark the plan's papers read (any thread); returns what they were
        before, for undo.  The papers are exactly those the plan showed, even
        if a rescan renumbered them since.  With ``busy_timeout``, a lock held
        by another process is waited for that long.  Raises ``StateError``."""
        if plan.pids is None:
            whole = self.library.search(plan.query, sort=self.library_sort)
            pids: Sequence[int] = whole.pids
            generation = whole.generation
        else:
            pids, generation = plan.pids, plan.generation
        ids: list[str] = []
        chunk = 5000
        for start in range(0, len(pids), chunk):
            part = [int(p) for p in pids[start : start + chunk]]
            ids.extend(i for i in self.library.ids_of(part, generation) if i is not None)
        if busy_timeout > 0:
            previous = self.state.retry_while_busy(
                lambda: self.state.set_read_many(ids, True), timeout=busy_timeout
            )
        else:
            previous = self.state.set_read_many(ids, True)
        return {paper_id: False for paper_id, was in previous.items() if not was}

    def apply_mark_all(self, changed: dict[str, bool]) -> None:
        self.note_own_write()
        self.undo = changed
        self.marks.read.update(changed)
        self._unread = None
        self._day_unread = None
        self.read_seq += 1
        self.counts = Counts()

    def undo_mark_all(self) -> int:
        """Restore what the last mark-all changed; how many papers.  Raises
        ``StateError`` (and keeps the undo) when the state cannot be written."""
        undo = self.undo
        if not undo:
            return 0
        self.state.restore_read(undo)
        self.note_own_write()
        self.undo = None
        for paper_id, value in undo.items():
            self.marks.set_read(paper_id, value)
        self._unread = None
        self._day_unread = None
        self.read_seq += 1
        self.counts = Counts()
        return len(undo)

    # ------------------------------------------------------------ counts

    def compute_counts(
        self, query: Query, view: str, shown: int, *, unread: int | None = None
    ) -> Counts:
        """Unread and starred papers of the view (any thread); ``unread``
        when it is known already (from :meth:`compute_day_unread`)."""
        result = self.result
        if view in ("new", "similar") and result is not None:
            # Not a plain query: count the rows shown.
            shown_pids = set(result.pids)
            unread_pids = self.library.search(query.with_terms("is:unread")).pids
            starred_pids = self.library.search(query.with_terms("is:starred")).pids
            return Counts(
                sum(1 for p in unread_pids if p in shown_pids),
                sum(1 for p in starred_pids if p in shown_pids),
            )
        if unread is None:
            unread = (
                shown
                if view == "unread"
                else self.library.count_matching(query.with_terms("is:unread"))
            )
        starred = (
            shown
            if view == "starred"
            else self.library.count_matching(query.with_terms("is:starred"))
        )
        return Counts(unread, starred)

    def compute_marked_ids(self, watching: bool) -> tuple[set[str], set[str]]:
        """The papers on the watch list and those with a note (any thread)."""
        watched = self.library.ids_matching("is:watched") if watching else set()
        noted = self.library.ids_matching("is:noted")
        return watched, noted

    # ------------------------------------------------------------ jumping

    def jump_to(self, paper_id: str) -> int:
        """The index of ``paper_id`` in this list; -1 means the view must be
        widened (the session then shows everything and jumps when the next
        result arrives)."""
        self.anchor_id = paper_id
        self._anchor_chosen = True
        index = self.index_of_id(paper_id)
        if index >= 0:
            return index
        self.pending_jump = paper_id
        self.view = "all"
        self.filter_text = ""
        return -1

    # ------------------------------------------------------------ days

    def compute_day_unread(self, query: Query, seq: int | None = None) -> DayUnread:
        """The unread papers of ``query`` and of each of its digest days (any
        thread): one query, then a bisection per day, never a walk over the
        rows.  ``seq``: :attr:`read_seq` when this was asked (on the UI thread)."""
        unread = self.library.search(query.with_terms("is:unread"), sort="digest")
        starts = unread.day_starts()
        pids = unread.pids
        counts: dict[int, int] = {}
        for k, start in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else len(pids)
            counts[day_key(pids[start])] = end - start
        return DayUnread(
            unread.generation, counts, SortedPids(pids), self.read_seq if seq is None else seq
        )

    def apply_day_unread(self, days: DayUnread) -> bool:
        """Keep what a worker read for the result shown; False when stale
        (another index generation, or a read mark changed since it was asked)."""
        result = self.result
        if result is None or days.generation != result.generation or days.seq != self.read_seq:
            return False
        self._day_unread = days
        self._unread = days.pids
        return True

    def day_unread(self, index: int) -> int | None:
        """Unread papers of the digest day of row ``index`` (None: not known yet)."""
        days = self._day_unread
        pid = self.pid_at(index)
        if days is None or pid is None:
            return None
        return days.counts.get(day_key(pid), 0)

    def day_count(self) -> int:
        """The digest days of the list (of the first screen, when partial)."""
        return len(self.day_starts())

    def plan_mark_day(self, index: int) -> MarkAllPlan | None:
        """What "mark the day read" would mark: the rows of the day of row
        ``index``; a day that runs past a first screen is asked by its date."""
        result = self.result
        if result is None or not 0 <= index < len(result):
            return None
        start, end = self.day_of(index)
        if self.partial and end >= len(result):
            date = self.date_at(index)
            query = self.query.with_terms(f"date:{date}") if date else self.query
            return MarkAllPlan(None, result.generation, query, end - start, True)
        return MarkAllPlan(
            result.pids[start:end], result.generation, self.query, end - start, False
        )
