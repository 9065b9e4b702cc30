"""The reading session without a screen: identity across rescans, moving
keys answered from queries, marks, mark-all and its undo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digest_tui.library import Library, index_path_for
from digest_tui.session import ReadingSession
from digest_tui.state import StateStore

NEWEST = "001_114cc5ff95577f38.txt"  # the cs.CV digest of 2020-12-15
FOURTH_ID = "2012.07719"  # "Digital rock reconstruction ...", the 4th paper shown
NEW_ENTRY = (
    "### 1.PePScenes: A Novel Dataset  [ :arrow_down: ](https://arxiv.org/pdf/2012.09999.pdf)\n"
    ">  A new paper put at the top of the day's digest.\n"
)


@pytest.fixture
def session(seeds_dir: Path, tmp_path: Path) -> Iterator[ReadingSession]:
    state = StateStore(tmp_path / "data")
    library = Library(
        index_path_for(tmp_path / "cache", [seeds_dir]),
        [seeds_dir],
        state_db=state.path,
    )
    library.scan(workers=1)
    s = ReadingSession(library, state)
    s.load_marks()
    show(s)
    try:
        yield s
    finally:
        library.close()
        state.close()


def show(s: ReadingSession, *, first: bool = False) -> int:
    """What the reader does for a new list: search, apply, move the cursor."""
    s.query = s.view_query()
    index = s.apply_result(s.search(s.query), first=first)
    s.move(index, by_user=False)
    return index


def insert_at_top(seeds_dir: Path) -> None:
    path = seeds_dir / NEWEST
    head, rest = path.read_text(encoding="utf-8").split("\n", 1)
    path.write_text(f"{head}\n{NEW_ENTRY}{rest}", encoding="utf-8")


def test_the_cursor_stays_on_its_paper_when_a_rescan_renumbers_papers(
    session: ReadingSession, seeds_dir: Path
) -> None:
    session.move(3)
    assert session.current_id == FOURTH_ID
    old_pid = session.pid_at(3)
    insert_at_top(seeds_dir)
    report = session.library.scan(workers=1)
    assert report.files_parsed == 1
    # The pid the list still holds now names another paper in the index ...
    assert session.library.pid_of(FOURTH_ID) != old_pid
    # ... but the list read before the rescan still names its own papers.
    assert session.id_at(3) == FOURTH_ID
    index = show(session)
    assert session.id_at(index) == FOURTH_ID
    assert session.current_id == FOURTH_ID
    assert session.current_paper is not None and session.current_paper.id == FOURTH_ID
    assert index == 4  # one new paper above it


def test_rows_of_an_old_list_are_its_own_papers_after_a_rescan(
    session: ReadingSession, seeds_dir: Path
) -> None:
    result = session.result
    assert result is not None
    head = [int(p) for p in result.pids[:6]]
    before = session.library.rows(head, generation=result.generation)
    insert_at_top(seeds_dir)
    session.library.scan(workers=1)
    after = session.library.rows(head, generation=result.generation)
    assert {p: r.id for p, r in after.items()} == {p: r.id for p, r in before.items()}
    assert session.library.ids_of(head, result.generation) == [before[p].id for p in head]


def test_mark_all_marks_exactly_what_was_shown_across_a_rescan(
    session: ReadingSession, seeds_dir: Path
) -> None:
    session.filter_text = "date:2020-12-15"
    show(session)
    plan = session.plan_mark_all()
    assert plan is not None and not plan.partial
    shown = set(session.library.ids_of(list(plan.pids or []), plan.generation))
    insert_at_top(seeds_dir)  # the rescan lands while the question is open
    session.library.scan(workers=1)
    changed = session.compute_mark_all(plan)
    session.apply_mark_all(changed)
    assert set(changed) == shown
    assert session.state.ids_where(read=True) == shown
    assert "2012.09999" not in session.state.ids_where(read=True)
    assert session.undo_mark_all() == len(shown)
    assert session.state.ids_where(read=True) == set()


def test_next_and_previous_unread_and_the_first_unread(session: ReadingSession) -> None:
    ids = [session.id_at(i) for i in range(6)]
    for paper_id in ids[:3]:
        assert paper_id is not None
        session.set_mark(paper_id, read=True)
    assert session.first_unread_index() == 3
    session.move(0)
    assert session.next_unread() == 3
    session.move(3)
    assert session.previous_unread() == -1
    assert session.next_unread() == 4
    session.set_mark(ids[4] or "", read=True)  # known at once, no new query
    assert session.next_unread() == 5


def test_every_paper_read_nothing_unread_anywhere(session: ReadingSession) -> None:
    plan = session.plan_mark_all()
    assert plan is not None
    session.apply_mark_all(session.compute_mark_all(plan))
    session.move(100)
    assert session.next_unread() == -1
    assert session.previous_unread() == -1
    assert session.first_unread_index() == 0


def test_day_jumps(session: ReadingSession) -> None:
    starts = session.day_starts()
    assert len(starts) == 5 and starts[0] == 0
    assert session.next_day(0) == starts[1]
    assert session.next_day(starts[1]) == starts[2]
    assert session.previous_day(starts[1] + 2) == starts[1]
    assert session.previous_day(starts[1]) == starts[0]
    assert session.previous_day(0) == -1
    assert session.next_day(starts[-1]) == -1
    assert session.day_of(starts[1] + 1) == (starts[1], starts[2])


def test_views_and_sort_make_the_query(session: ReadingSession) -> None:
    first = session.id_at(0)
    assert first is not None
    session.set_mark(first, starred=True)
    assert session.set_view("starred")
    assert not session.set_view("starred")
    assert not session.set_view("nonsense")
    show(session)
    assert len(session) == 1 and session.id_at(0) == first
    session.set_view("all")
    assert session.set_sort("title")
    show(session)
    titles = [session.library.rows([p])[p].title.casefold() for p in session.result.pids[:20]]  # type: ignore[union-attr]
    assert titles == sorted(titles)
    # the cursor stayed on the starred paper the user was on
    assert session.current_id == first


def test_counts(session: ReadingSession) -> None:
    first = session.id_at(0) or ""
    session.set_mark(first, read=True, starred=True)
    counts = session.compute_counts(session.query, session.view, len(session))
    assert (counts.unread, counts.starred) == (len(session) - 1, 1)


def test_marks_from_another_process_are_read_by_what_changed(
    session: ReadingSession, tmp_path: Path
) -> None:
    other = StateStore(tmp_path / "data")
    try:
        other.set_starred("2012.07810")
        other.add_tag("2005.10825", "ml")
        assert session.state_changed()
        changed = session.reload_changed_marks()
        assert changed == {"2012.07810", "2005.10825"}
        assert session.marks.is_starred("2012.07810")
        assert session.marks.tags_of("2005.10825") == ("ml",)
        assert session.reload_changed_marks() == set()  # nothing new: nothing read
        other.remove_tag("2005.10825", "ml")
        assert session.reload_changed_marks() == {"2005.10825"}
        assert session.marks.tags_of("2005.10825") == ()
    finally:
        other.close()


def test_jump_widens_the_view_when_the_paper_is_hidden(session: ReadingSession) -> None:
    session.filter_text = "date:2020-05-22"
    show(session)
    assert session.jump_to(FOURTH_ID) == -1  # not in this view
    assert session.view == "all" and session.filter_text == ""
    index = show(session)
    assert session.id_at(index) == FOURTH_ID


# ---------------------------------------------------------------- issue 11: days


def test_unread_papers_are_counted_per_digest_day(session: ReadingSession) -> None:
    starts = session.day_starts()
    assert len(starts) > 1
    assert session.day_unread(0) is None  # not counted yet
    assert session.apply_day_unread(session.compute_day_unread(session.query))
    sizes = [b - a for a, b in zip(starts, [*starts[1:], len(session)], strict=True)]
    assert [session.day_unread(i) for i in starts] == sizes  # nothing read yet
    first = session.id_at(0)
    assert first is not None
    session.set_mark(first, read=True)  # the session's own marks keep the counts
    assert session.day_unread(0) == sizes[0] - 1
    assert session.day_unread(starts[1]) == sizes[1]
    session.set_mark(first, read=False)
    assert session.day_unread(0) == sizes[0]


def test_day_counts_read_at_another_generation_are_not_kept(
    session: ReadingSession, seeds_dir: Path
) -> None:
    days = session.compute_day_unread(session.query)
    insert_at_top(seeds_dir)
    session.library.scan(workers=1)
    show(session)
    assert not session.apply_day_unread(days)
    assert session.day_unread(0) is None


def test_marking_a_day_read_marks_that_day_only_and_undoes(session: ReadingSession) -> None:
    starts = session.day_starts()
    second_day = starts[1]
    plan = session.plan_mark_day(second_day + 2)
    assert plan is not None and plan.count == starts[2] - starts[1]
    changed = session.compute_mark_all(plan)
    session.apply_mark_all(changed)
    assert len(changed) == plan.count
    ids = [session.id_at(i) for i in range(len(session))]
    read = {i for i, paper_id in enumerate(ids) if session.marks.is_read(paper_id or "")}
    assert read == set(range(starts[1], starts[2]))
    assert session.apply_day_unread(session.compute_day_unread(session.query))
    assert session.day_unread(second_day) == 0
    assert session.day_unread(0) == starts[1]
    assert session.undo_mark_all() == plan.count
    assert not any(session.marks.is_read(paper_id or "") for paper_id in ids)


def test_a_day_running_past_the_first_screen_is_marked_by_its_date(
    session: ReadingSession,
) -> None:
    page = session.search(session.query, limit=50)  # the first screen of a longer day
    session.apply_result(page, partial=True)
    plan = session.plan_mark_day(10)
    assert plan is not None and plan.pids is None and plan.partial
    changed = session.compute_mark_all(plan)
    assert len(changed) == 115  # the whole day of 2020-12-15, not the 50 shown


def test_highlights_follow_the_filter(session: ReadingSession) -> None:
    assert not session.highlights()
    session.filter_text = 'matting "image fusion" -survey'
    assert session.highlights().title == ("matting", "image fusion")
    session.filter_text = "title:("
    assert session.highlights().title == ()


# ---------------------------------------------------------------- issue 9: keys from caches


def test_sorted_pids_find_members_like_a_walk_does() -> None:
    import random

    from digest_tui.session import SortedPids

    rng = random.Random(7)
    for _ in range(200):
        pids = sorted(rng.sample(range(5000), rng.randint(0, 300)))
        members = SortedPids(rng.sample(range(5000), rng.randint(0, 300)))
        n = len(pids)
        start = rng.randint(0, n)
        stop = rng.randint(start, n)
        walk = next((i for i in range(start, stop) if pids[i] in members), -1)
        assert members.next_in(pids, start, stop) == walk
        back_start = rng.randint(-1, n - 1)
        back_stop = rng.randint(-1, back_start)
        walk = next((i for i in range(back_start, back_stop, -1) if pids[i] in members), -1)
        assert members.previous_in(pids, back_start, back_stop) == walk
    members = SortedPids([5, 3, 9])
    members.add(4)
    members.discard(9)
    assert list(members) == [3, 4, 5] and 4 in members and 9 not in members


def test_unread_papers_come_from_the_worker_and_stale_answers_are_dropped(
    session: ReadingSession,
) -> None:
    assert not session.unread_known()  # a new list: the count worker has not answered
    asked = session.read_seq
    first = session.id_at(0)
    assert first is not None
    answer = session.compute_day_unread(session.query, asked)
    session.set_mark(first, read=True)  # a mark between the question and the answer
    assert not session.apply_day_unread(answer)
    assert not session.unread_known()
    assert session.apply_day_unread(session.compute_day_unread(session.query, session.read_seq))
    assert session.unread_known()
    session.move(0)
    assert session.next_unread() == 1
    assert session.previous_unread() == -1


def test_the_first_unread_paper_is_found_without_a_query_over_the_view(
    session: ReadingSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(3):
        paper_id = session.id_at(i)
        assert paper_id is not None
        session.set_mark(paper_id, read=True)
    searches: list[str] = []
    search = session.library.search

    def spy(query: object, **kwargs: object) -> object:
        searches.append(str(getattr(query, "text", query)))
        return search(query, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(session.library, "search", spy)
    result = session.result
    assert result is not None
    assert session.apply_result(result, first=True, fresh=True) == 3
    assert searches == []


def test_the_unread_view_of_a_list_is_known_without_the_index(
    session: ReadingSession,
) -> None:
    for i in (0, 2, 5):
        paper_id = session.id_at(i)
        assert paper_id is not None
        session.set_mark(paper_id, read=True)
    assert session.apply_day_unread(session.compute_day_unread(session.query))
    assert session.set_view("unread")
    query = session.view_query()
    derived = session.take_derived(query)
    assert derived is not None and not derived[1]  # the index's answer follows
    assert list(derived[0].pids) == list(session.search(query).pids)
    assert session.take_derived(query) is None  # once


def test_with_every_paper_read_the_unread_view_is_empty_in_any_order(
    session: ReadingSession,
) -> None:
    ids = [session.id_at(i) for i in range(len(session))]
    session.state.set_read_many([i for i in ids if i], True)
    session.load_marks()
    assert session.set_sort("title")
    show(session)
    assert session.apply_day_unread(session.compute_day_unread(session.query))
    assert session.set_view("unread")
    derived = session.take_derived(session.view_query())
    assert derived is not None and len(derived[0]) == 0


def test_every_paper_in_an_order_read_before_is_shown_again_without_a_sort(
    session: ReadingSession, seeds_dir: Path
) -> None:
    digest_order = session.result
    assert digest_order is not None
    session.keep_order(digest_order)
    assert session.order_to_prefetch() == "date"
    by_date = session.library.search(session.view_query(), sort="date")
    session.keep_order(by_date)
    assert session.order_to_prefetch() is None
    assert session.set_sort("date")
    derived = session.take_derived(session.view_query())
    assert derived is not None and derived[1]  # exact: the index has not changed
    assert list(derived[0].pids) == list(by_date.pids)
    session.query = session.view_query("segmentation")  # a filter: the index sorts it
    assert session.take_derived(session.query) is None
    insert_at_top(seeds_dir)
    session.library.scan(workers=1)
    assert session.take_derived(session.view_query()) is None  # another generation


def test_read_marks_can_come_after_the_first_screen(session: ReadingSession) -> None:
    """A million read marks take a second to load: the session starts with
    the marks of what it shows and takes the rest later, without losing a
    mark made in between."""
    state = session.state
    state.set_read_many(["2012.07810", "2012.07719", "2012.07001"], True)
    session.load_marks(read=False)
    assert not session.marks_complete and not session.marks.read
    session.know_read(["2012.07810", "2012.07719", "9999.99999", None])
    assert session.marks.read == {"2012.07810", "2012.07719"}
    seq, read = state.read_snapshot()  # what the worker reads ...
    state.set_read("2012.07719", False)  # ... then a mark made before it arrives
    state.set_read("2012.07500", True)
    session.complete_marks(seq, read)
    assert session.marks_complete
    assert session.marks.read == {"2012.07810", "2012.07001", "2012.07500"}
    session.know_read(["2012.07719"])  # complete: nothing is read again
    assert not session.marks.is_read("2012.07719")


def test_a_first_unread_paper_is_found_before_the_read_marks_are_in(
    session: ReadingSession,
) -> None:
    first, second = session.id_at(0), session.id_at(1)
    assert first is not None and second is not None
    session.state.set_read_many([first, second], True)
    fresh = ReadingSession(session.library, session.state)  # a reader starting
    fresh.load_marks(read=False)
    assert show(fresh, first=True) == 2  # the marks of the head were read for it
    assert {first, second} <= fresh.marks.read and not fresh.marks_complete


def test_the_paper_the_cursor_comes_to_has_its_read_mark_before_every_mark_is_in(
    session: ReadingSession,
) -> None:
    """A jump past what is drawn (the palette's jump to a paper) must not show
    or toggle a read paper as unread."""
    far = session.id_at(250)
    assert far is not None
    session.state.set_read(far, True)
    fresh = ReadingSession(session.library, session.state)
    fresh.load_marks(read=False)
    show(fresh)
    assert not fresh.marks.is_read(far)  # not drawn, not the head of the day
    fresh.move(250)
    assert fresh.current_id == far and fresh.marks.is_read(far)
