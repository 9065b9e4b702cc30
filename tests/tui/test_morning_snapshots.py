"""SVG snapshots of the first real morning (issue 11): a light theme at 80x24
with a filter and its highlights, day separators with unread counts, a whole
TL;DR.

Update the baselines with
``pytest tests/tui/test_morning_snapshots.py --snapshot-update`` and look at
them before committing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from digest_tui.config import Config, Paths
from digest_tui.state import StateStore
from tests.tui.conftest import AppFactory
from tests.tui.support import settle
from tests.tui.test_morning import SECOND_ID, THIRD_ID, write_ai_digest


async def _filtered(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("slash", *'matting "background" -survey', "enter")
    await settle(pilot)


def test_light_theme_narrow_with_a_filter_and_highlights(
    snap_compare: Any, make_app: AppFactory, paths: Paths
) -> None:
    with StateStore(paths.data_dir) as state:
        state.set_starred("2012.07810")
    app = make_app(config=Config(mark_read_delay=-1, theme="textual-light"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_filtered)


def test_day_separators_count_unread_papers(
    snap_compare: Any, make_app: AppFactory, paths: Paths
) -> None:
    with StateStore(paths.data_dir) as state:
        state.set_read_many([SECOND_ID, THIRD_ID])

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app = pilot.app
        starts = app.session.day_starts()  # type: ignore[attr-defined]
        app.paper_list.move_to(starts[1] + 2)  # type: ignore[attr-defined]
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=run_before)


def test_a_whole_tldr(snap_compare: Any, make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(roots=[write_ai_digest(tmp_path / "ai").parent])

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app.jump_to_id("2602.03001")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)
