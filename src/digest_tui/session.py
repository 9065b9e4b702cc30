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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from digest_tui.highlight import Highlights, highlights_for
from digest_tui.library import FID_BITS, POS_BITS, Library, SearchResult
from digest_tui.models import Paper
from digest_tui.query import SORTS, Query, parse_query
from digest_tui.state import StateStore

#: The views: name -> (label in the header, terms added to the filter).
VIEWS: dict[str, tuple[str, str]] = {
    "all": ("All", ""),
    "unread": ("Unread", "is:unread"),
    "starred": ("Starred", "is:starred"),
    "watched": ("Watched", "is:watched"),
}

#: How the header names each order of :data:`digest_tui.query.SORTS`.
SORT_LABELS: dict[str, str] = {
    "digest": "digest order",
    "date": "by date",
    "title": "by title",
    "id": "by id",
}

#: Rows looked at for the first unread paper when the list has no days.
_FIRST_UNREAD_SPAN = 2000
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


@dataclass(slots=True)
class Marks:
    """What the reader knows of the user's marks, by arXiv id: read, starred,
    the tags of each tagged paper, and the papers with a note or on the watch
    list.  Written by the session, read by the list while drawing."""

    read: set[str] = field(default_factory=set)
    starred: set[str] = field(default_factory=set)
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    noted: set[str] = field(default_factory=set)
    watched: set[str] = field(default_factory=set)

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


@dataclass(slots=True, frozen=True)
class MarkAllPlan:
    """What "mark all read" asked about: the list as it was shown (its pids
    and the index generation they belong to), or, for a list still showing
    only its first screen, the whole view's query."""

    pids: Sequence[int] | None
    generation: int
    query: Query
    count: int
    partial: bool


@dataclass(slots=True, frozen=True)
class Counts:
    unread: int | None = None
    starred: int | None = None


@dataclass(slots=True)
class DayUnread:
    """Unread papers of each digest day of a result (by :func:`day_key`),
    read at the result's index generation."""

    generation: int
    counts: dict[int, int]


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
        #: A paper to put the cursor on once the next result arrives.
        self.pending_jump: str | None = None
        self.counts = Counts()
        self.undo: dict[str, bool] | None = None
        self.state_version = -1
        self._change_seq = 0
        self._day_starts: list[int] | None = None
        self._unread: set[int] | None = None
        self._highlights: tuple[str, Highlights] = ("", Highlights())
        self._day_unread: DayUnread | None = None
        self._pinned_day: str | None = None

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
        return query.with_terms(extra) if extra else query

    def search(self, query: Query, *, limit: int | None = None) -> SearchResult:
        """Read the papers of ``query`` in the session's order (any thread)."""
        return self.library.search(query, limit=limit, sort=self.sort)

    def set_view(self, name: str) -> bool:
        """Switch the view; False when ``name`` is unknown or already shown."""
        if name not in VIEWS or name == self.view:
            return False
        self.view = name
        return True

    def set_sort(self, sort: str) -> bool:
        if sort not in SORTS or sort == self.sort:
            return False
        self.sort = sort
        return True

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
        if by_user or self.anchor_id is None:
            self.anchor_id = paper_id
        if paper_id != self.current_id or (paper_id is not None and self.current_paper is None):
            self.current_id = paper_id
            self.current_paper = self.library.paper_by_id(paper_id) if paper_id else None
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

    def unread_pids(self) -> set[int]:
        """The pids of the result's unread papers: one query, then kept up to
        date by the session's own marks (and dropped when others change)."""
        if self._unread is None:
            result = self.result
            if result is None or not len(result):
                self._unread = set()
            else:
                unread = self.library.search(self.query.with_terms("is:unread"), sort=self.sort)
                self._unread = set(unread.pids)
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
        unread = self.unread_pids()
        if self.marks.watched and unread:
            head = [int(p) for p in result.pids[:end]]
            ids = self.library.ids_of(head, result.generation)
            for index, (pid, paper_id) in enumerate(zip(head, ids, strict=True)):
                if pid in unread and paper_id in self.marks.watched:
                    return index
        found = self.find_unread(0, 1, limit=end)
        if found < 0:
            found = self.find_unread(end, 1, limit=_FIRST_UNREAD_SPAN)
        return max(found, 0)

    # ------------------------------------------------------------ marks

    def load_marks(self) -> None:
        """Read every mark (at start); raises ``StateError``."""
        version = self.state.data_version()
        seq = self.state.change_seq()
        read = self.state.ids_where(read=True)
        starred = self.state.ids_where(starred=True)
        tagged: dict[str, set[str]] = {}
        for tag in dict(self.state.all_tags()):
            for paper_id in self.state.ids_with_tag(tag):
                tagged.setdefault(paper_id, set()).add(tag)
        self.state_version = version
        self._change_seq = seq
        self.marks.read = read
        self.marks.starred = starred
        self.marks.tags = {}
        for paper_id, tags in tagged.items():
            self.marks.set_tags(paper_id, tags)
        self._unread = None

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
        self.note_own_write()
        self.apply_mark(paper_id, read=read if new_read else None, starred=starred)
        return True

    def apply_mark(
        self, paper_id: str, *, read: bool | None = None, starred: bool | None = None
    ) -> None:
        """Show a mark that was saved (here, or by a worker that retried)."""
        unread, starred_count = self.counts.unread, self.counts.starred
        if read is not None and read != self.marks.is_read(paper_id):
            self.marks.set_read(paper_id, read)
            if unread is not None:
                unread += -1 if read else 1
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
        return MarkAllPlan(
            None if self.partial else result.pids,
            result.generation,
            self.query,
            len(result),
            self.partial,
        )

    def compute_mark_all(self, plan: MarkAllPlan, *, busy_timeout: float = 0.0) -> dict[str, bool]:
        """Mark the plan's papers read (any thread); returns what they were
        before, for undo.  The papers are exactly those the plan showed, even
        if a rescan renumbered them since.  With ``busy_timeout``, a lock held
        by another process is waited for that long.  Raises ``StateError``."""
        if plan.pids is None:
            whole = self.library.search(plan.query, sort=self.sort)
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
        self.counts = Counts()
        return len(undo)

    # ------------------------------------------------------------ counts

    def compute_counts(self, query: Query, view: str, shown: int) -> Counts:
        """Unread and starred papers of the view (any thread)."""
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
        index = self.index_of_id(paper_id)
        if index >= 0:
            return index
        self.pending_jump = paper_id
        self.view = "all"
        self.filter_text = ""
        return -1

    # ------------------------------------------------------------ days

    def compute_day_unread(self, query: Query) -> DayUnread:
        """The unread papers of each digest day of ``query`` (any thread):
        one query, then a bisection per day, never a walk over the rows."""
        unread = self.library.search(query.with_terms("is:unread"), sort="digest")
        starts = unread.day_starts()
        pids = unread.pids
        counts: dict[int, int] = {}
        for k, start in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else len(pids)
            counts[day_key(pids[start])] = end - start
        return DayUnread(unread.generation, counts)

    def apply_day_unread(self, days: DayUnread) -> bool:
        """Keep per-day counts read for the result shown; False when stale."""
        result = self.result
        if result is None or days.generation != result.generation:
            return False
        self._day_unread = days
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
