"""The reading session's ranked views, triage, new-since view and new-version
flags, without a screen (on the generated corpus with planted fields)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest_tui.library import Library
from digest_tui.session import ReadingSession
from digest_tui.state import StateStore

pytest.importorskip("numpy")

from .test_ranking import make_corpus  # noqa: E402

Setup = tuple[ReadingSession, dict[str, str], Path]


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    root = tmp_path / "digests"
    field_of = make_corpus(root)
    state = StateStore(tmp_path / "data")
    library = Library(tmp_path / "cache" / "index.sqlite3", [root], state_db=state.path)
    library.scan(workers=1)
    session = ReadingSession(library, state)
    session.load_marks()
    show(session)
    try:
        yield session, field_of, root
    finally:
        library.close()
        state.close()


def show(s: ReadingSession) -> int:
    """What the reader does for a new list (in a worker for ranked views)."""
    s.query = s.view_query()
    index = s.apply_result(s.search(s.query))
    s.move(index, by_user=False)
    return index


def shown_ids(s: ReadingSession) -> list[str]:
    return [s.id_at(k) or "" for k in range(len(s))]


def star_past(s: ReadingSession, field_of: dict[str, str], field: str, n: int = 10) -> None:
    """Read every paper before the newest day; star ``n`` of ``field``."""
    newest = s.newest_day()
    past = [i for i in field_of if i not in s.library.ids_matching(f"date:{newest}")]
    s.state.set_read_many(past)
    for paper_id in [i for i in past if field_of[i] == field][:n]:
        s.state.set_starred(paper_id, True)
    s.load_marks()


def test_for_you_is_the_newest_days_unread_papers_best_first(setup: Setup) -> None:
    s, field_of, _ = setup
    star_past(s, field_of, "robots")
    newest = s.newest_day()
    today = s.library.ids_matching(f"date:{newest}")
    first = next(iter(sorted(today)))
    s.set_mark(first, read=True)
    assert s.set_view("foryou")
    show(s)
    ids = shown_ids(s)
    assert set(ids) == today - {first}  # the newest day, unread only
    robots = [i for i in ids if field_of[i] == "robots"]
    assert ids[: len(robots)] == robots  # the planted field first
    assert s.index == 0 and s.current_id == ids[0]  # the cursor on the best paper
    assert s.result is not None and s.result.sort == "relevance"


def test_marks_change_the_order_without_a_restart(setup: Setup) -> None:
    s, field_of, _ = setup
    star_past(s, field_of, "robots")
    s.set_view("foryou")
    show(s)
    assert field_of[shown_ids(s)[0]] == "robots"
    # The reader changes its mind: faces now, robots read and not starred.
    for paper_id, field in field_of.items():
        if s.marks.is_starred(paper_id):
            s.set_mark(paper_id, starred=False)
        elif field == "faces" and s.marks.is_read(paper_id):
            s.set_mark(paper_id, starred=True)
    assert s.compute_refresh()  # the same ranker, retrained on the new marks
    show(s)
    assert field_of[shown_ids(s)[0]] == "faces"


def test_relevance_is_a_sort_of_any_view(setup: Setup) -> None:
    s, field_of, _ = setup
    star_past(s, field_of, "medical")
    assert not s.ranking_started  # nothing ranked before it is asked for
    assert s.set_sort("relevance")
    show(s)
    assert s.ranking_started
    ids = shown_ids(s)
    assert sorted(ids) == sorted(field_of)
    assert {field_of[i] for i in ids[:20]} == {"medical"}
    assert s.day_starts() == []  # no day groups in a ranked list
    # The unread set and mark-all work on a relevance-sorted list too.
    assert s.unread_pids()
    plan = s.plan_mark_all()
    assert plan is not None and plan.pids is not None and not plan.partial


def test_the_why_line_names_real_words_of_the_paper(setup: Setup) -> None:
    s, field_of, _ = setup
    star_past(s, field_of, "robots")
    s.set_view("foryou")
    show(s)
    paper = s.current_paper
    assert paper is not None and field_of[paper.id] == "robots"
    why = s.compute_why(paper.id)
    assert why is not None and why.startswith("why: ")
    text = f"{paper.title} {paper.abstract}".lower()
    named = why.removeprefix("why: ").split(" · ")[0].split(", ")
    assert named and all(w.strip('"').lower() in text for w in named)
    assert " like 2103." in why  # the nearest starred paper


def test_triage_marks_and_advances_one_key_per_paper(setup: Setup) -> None:
    s, field_of, _ = setup
    s.set_view("foryou")
    show(s)
    n = len(s)
    assert n > 3
    seen: list[tuple[str, str]] = []
    for decision in ["star", "skip", "later"] * (n // 3) + ["skip"] * (n % 3):
        paper_id = s.current_id
        assert paper_id is not None
        read, starred = s.triage_marks(decision)
        s.set_mark(paper_id, read=read, starred=starred)
        seen.append((paper_id, decision))
        following = s.after_triage(decision)
        if following < 0:
            break
        s.move(following)
    assert len(seen) == n  # every paper once, in the list's order
    assert [i for i, _ in seen] == shown_ids(s)
    for paper_id, decision in seen:
        mark = s.state.get(paper_id)
        assert mark.starred == (decision == "star")
        assert mark.read == (decision != "later")
    assert s.triaged["star"] == n // 3


def test_later_leaves_a_read_paper_unread(setup: Setup) -> None:
    s, _, _ = setup
    paper_id = s.current_id
    assert paper_id is not None
    s.set_mark(paper_id, read=True)  # e.g. read by the cursor resting on it
    read, starred = s.triage_marks("later")
    s.set_mark(paper_id, read=read, starred=starred)
    assert not s.state.get(paper_id).read
    assert s.after_triage("later") == s.index + 1


def test_new_since_shows_papers_of_digests_written_after_the_last_close(
    setup: Setup, tmp_path: Path
) -> None:
    s, field_of, root = setup
    s.close()  # the reader closes ...
    closed = s.state.last_closed()
    assert closed is not None and abs(closed - time.time()) < 60
    files = sorted(root.rglob("*.md"))
    for path in files:  # ... every digest was there before (mtimes of yesterday)
        os.utime(path, (closed - 86400, closed - 86400))
    newest = files[-1]
    os.utime(newest, (closed + 5, closed + 5))  # and one arrived since
    s.library.scan(workers=1)
    again = ReadingSession(s.library, s.state)
    again.load_marks()
    assert again.last_closed == closed
    assert again.set_view("new")
    assert again.view_label().startswith("New since ")
    show(again)
    arrived = {f"2103.{11 * 100 + k + 10000:05d}" for k in range(24)}  # the 12th day
    assert set(shown_ids(again)) == arrived
    counts = again.compute_counts(again.query, "new", len(again))
    assert counts.unread == len(arrived) and counts.starred == 0
    plan = again.plan_mark_all()
    assert plan is not None and plan.pids is not None and len(plan.pids) == len(arrived)


def test_never_closed_means_everything_is_new(setup: Setup) -> None:
    s, field_of, _ = setup
    assert s.last_closed is None
    s.set_view("new")
    show(s)
    assert len(s) == len(field_of)


def test_a_starred_paper_in_a_newer_version_is_flagged_until_seen(setup: Setup) -> None:
    s, _, root = setup
    paper = s.current_paper
    assert paper is not None and paper.version == 1
    assert s.set_mark(paper.id, starred=True)
    assert s.state.seen_versions([paper.id]) == {paper.id: 1}
    assert s.compute_new_versions() == {}
    # A newer digest lists the paper again, in version 3.
    source = next(p for p in root.rglob("*.md") if f"{paper.id}v1" in p.read_text())
    later = root / "99" / "20210401.md"
    later.parent.mkdir()
    text = source.read_text().replace(f"{paper.id}v1", f"{paper.id}v3")
    later.write_text(text.replace("on 2021-03-", "on 2021-04-", 1))
    s.library.scan(workers=1)
    found = s.compute_new_versions()
    assert found == {paper.id: (1, 3)}
    s.apply_new_versions(found)
    assert s.marks.updated == {paper.id: (1, 3)}
    updated = s.library.paper_by_id(paper.id)
    assert updated is not None and updated.version == 3
    assert s.acknowledge_version(updated)
    assert s.marks.updated == {}
    assert s.compute_new_versions() == {}


def test_a_paper_starred_before_versions_were_kept_adopts_the_current_one(
    setup: Setup,
) -> None:
    s, _, _ = setup
    paper = s.current_paper
    assert paper is not None
    s.state.set_starred(paper.id, True)  # e.g. `digest-tui mark --star`
    assert s.state.seen_versions([paper.id]) == {}
    assert s.compute_new_versions() == {}
    assert s.state.seen_versions([paper.id]) == {paper.id: paper.version}


def test_more_like_this_and_back(setup: Setup) -> None:
    s, field_of, _ = setup
    s.move(5)
    source = s.current_id
    assert source is not None
    assert s.show_similar(source)
    assert s.view_label() == f"Like {source}"
    show(s)
    ids = shown_ids(s)
    assert source not in ids and 0 < len(ids) <= 50
    same = sum(field_of[i] == field_of[source] for i in ids[:10])
    assert same >= 8
    assert s.index == 0
    assert s.leave_similar()
    assert s.view == "all"
    show(s)
    assert s.current_id == source  # back on the paper it was asked from
    assert not s.leave_similar()
