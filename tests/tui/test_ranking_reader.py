"""Relevance in the reader: the For-you view, the why-line, triage keys,
more like this, relevance as a sort, new since last time and the
new-version flag (on the generated corpus with planted fields)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from digest_tui.state import StateStore
from digest_tui.tui.app import DigestApp
from tests.tui.conftest import AppFactory
from tests.tui.support import settle, wait_for

pytest.importorskip("numpy")

from tests.test_ranking import make_corpus  # noqa: E402

SIZE = (120, 36)


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "digests"
    return root, make_corpus(root)


def mark_taste(app: DigestApp, field_of: dict[str, str], field: str = "robots") -> None:
    """Every paper before the newest day read, ten of ``field`` starred."""
    state = app.state
    newest = app.session.newest_day()
    today = app.library.ids_matching(f"date:{newest}")
    past = sorted(i for i in field_of if i not in today)
    state.set_read_many(past)
    for paper_id in [i for i in past if field_of[i] == field][:10]:
        state.set_starred(paper_id, True)


def shown(app: DigestApp) -> list[str]:
    return [app.session.id_at(k) or "" for k in range(len(app.session))]


async def for_you(pilot: Pilot[Any]) -> DigestApp:
    app = pilot.app
    assert isinstance(app, DigestApp)
    await settle(pilot)
    await pilot.press("f")
    await wait_for(pilot, lambda: app.session.result is not None and app.session.ranked)
    await settle(pilot)
    paper = app.session.current_paper
    await wait_for(
        pilot,
        lambda: paper is not None and app.detail.why is not None and app.detail.why[0] == paper.id,
        "the why-line",
    )
    await settle(pilot)
    return app


async def test_for_you_ranks_the_newest_days_unread_papers_and_explains_them(
    make_app: AppFactory, corpus: tuple[Path, dict[str, str]]
) -> None:
    root, field_of = corpus
    app = make_app(roots=[root])
    async with app.run_test(size=SIZE) as pilot:
        mark_taste(app, field_of)
        app._reload_marks()
        assert not app.session.ranking_started  # nothing ranked at start
        await for_you(pilot)
        ids = shown(app)
        newest = app.session.newest_day()
        assert set(ids) == app.library.ids_matching(f"date:{newest}")
        robots = [i for i in ids if field_of[i] == "robots"]
        assert ids[: len(robots)] == robots
        assert app.paper_list.cursor == 0
        header = str(app.query_one("#header").render())
        assert "For you" in header
        detail = app.detail.content()
        text = " ".join(str(r) for r in getattr(detail, "renderables", [detail]))
        assert "why: " in text and " like 2103." in text


async def test_triage_keys_mark_and_advance(
    make_app: AppFactory, corpus: tuple[Path, dict[str, str]]
) -> None:
    root, field_of = corpus
    app = make_app(roots=[root])
    async with app.run_test(size=SIZE) as pilot:
        mark_taste(app, field_of)
        app._reload_marks()
        await for_you(pilot)
        ids = shown(app)
        await pilot.press("p", "x", "l", "x")
        await settle(pilot)
        assert app.paper_list.cursor == 4
        marks = app.state.get_many(ids[:4])
        assert marks[ids[0]].starred and marks[ids[0]].read
        assert marks[ids[1]].read and not marks[ids[1]].starred
        assert ids[2] not in marks or not marks[ids[2]].read
        assert marks[ids[3]].read
        assert shown(app) == ids  # the list stays as it was while triaging
        # A morning of n papers takes n key presses.
        await pilot.press(*["x"] * (len(ids) - 4))
        await settle(pilot)
        assert app.session.triaged == {"star": 1, "skip": len(ids) - 2, "later": 1}
        assert sum(not app.marks.is_read(i) for i in ids) == 1


async def test_more_like_this_is_a_view_that_escape_leaves(
    make_app: AppFactory, corpus: tuple[Path, dict[str, str]]
) -> None:
    root, field_of = corpus
    app = make_app(roots=[root])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "j")
        await settle(pilot)
        source = app.session.current_id
        assert source is not None
        await pilot.press("m")
        await wait_for(pilot, lambda: app.session.view == "similar" and app.session.ranked)
        await settle(pilot)
        ids = shown(app)
        assert ids and source not in ids
        assert sum(field_of[i] == field_of[source] for i in ids[:10]) >= 8
        assert f"Like {source}" in str(app.query_one("#header").render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.session.view == "all"
        assert app.session.current_id == source


async def test_z_reaches_relevance_and_marks_retrain_without_a_restart(
    make_app: AppFactory, corpus: tuple[Path, dict[str, str]]
) -> None:
    root, field_of = corpus
    app = make_app(roots=[root])
    async with app.run_test(size=SIZE) as pilot:
        mark_taste(app, field_of, "medical")
        app._reload_marks()
        await settle(pilot)
        await pilot.press("z", "z", "z", "z")
        await wait_for(pilot, lambda: app.session.sort == "relevance")
        await settle(pilot)
        assert {field_of[i] for i in shown(app)[:20]} == {"medical"}
        # Now faces: star twenty of them in the reader, unstar the rest.
        for paper_id in sorted(app.marks.starred):
            app.state.set_starred(paper_id, False)
        faces = [i for i in sorted(field_of) if field_of[i] == "faces"][:20]
        app._reload_marks()
        for paper_id in faces:
            paper = app.library.paper_by_id(paper_id)
            assert paper is not None
            app._set_mark(paper, starred=True)
        await wait_for(pilot, lambda: not app._retrain_running, "the retrain")
        await settle(pilot)
        await pilot.press("z", "z", "z", "z", "z")  # round to relevance again
        await wait_for(pilot, lambda: app.session.sort == "relevance")
        await settle(pilot)
        assert {field_of[i] for i in shown(app)[:10]} == {"faces"}


async def test_new_since_last_close_and_the_new_version_flag(
    make_app: AppFactory, corpus: tuple[Path, dict[str, str]], paths: Any
) -> None:
    root, field_of = corpus
    app = make_app(roots=[root])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        starred = app.session.current_paper
        assert starred is not None and starred.version == 1
        await pilot.press("s")
        await settle(pilot)
    # The reader was closed: it remembered when.
    with StateStore(paths.data_dir) as state:
        closed = state.last_closed()
        assert closed is not None
        assert state.seen_versions([starred.id]) == {starred.id: 1}
    for path in root.rglob("*.md"):
        os.utime(path, (closed - 3600, closed - 3600))
    # A digest arrives with the starred paper in version 2.
    source = next(p for p in root.rglob("*.md") if f"{starred.id}v1" in p.read_text())
    later = root / "04" / "20210401.md"
    later.parent.mkdir()
    later.write_text(
        source.read_text()
        .replace(f"{starred.id}v1", f"{starred.id}v2")
        .replace("on 2021-03-", "on 2021-04-", 1)
    )
    os.utime(later, (closed + 60, closed + 60))
    app = make_app(roots=[root])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: starred.id in app.marks.updated, "the version flag")
        assert app.marks.updated[starred.id] == (1, 2)
        await pilot.press("i")
        await settle(pilot)
        assert app.session.view == "new"
        ids = shown(app)
        assert starred.id in ids and len(ids) == 24  # the one digest that arrived
        assert "New since" in str(app.query_one("#header").render())
        app.paper_list.move_to(ids.index(starred.id))
        await settle(pilot)
        lines = [app.paper_list.render_line(y).text for y in range(20)]
        assert any("↻v2" in line for line in lines)
        detail = app.detail.content()
        text = " ".join(str(r) for r in getattr(detail, "renderables", [detail]))
        assert "new version v2 (starred v1)" in text
        await pilot.press("enter")  # read it: the flag goes
        await settle(pilot)
        assert starred.id not in app.marks.updated
        assert app.state.seen_versions([starred.id]) == {starred.id: 2}
