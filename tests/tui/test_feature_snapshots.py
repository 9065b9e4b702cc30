"""SVG snapshots of tags, notes and the new-papers notification.

Update the baselines with
``pytest tests/tui/test_feature_snapshots.py --snapshot-update`` and look at
them before committing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from digest_tui.config import Paths
from digest_tui.state import StateStore
from tests.tui.conftest import AppFactory
from tests.tui.support import settle, write_markup_digest

FIRST_ID = "2012.07810"
SECOND_ID = "2012.07791"


async def _ready(pilot: Pilot[Any]) -> None:
    await settle(pilot)


def test_tags_in_list_and_detail(snap_compare: Any, make_app: AppFactory, paths: Paths) -> None:
    with StateStore(paths.data_dir) as state:
        for tag in ("matting", "to-read", "video"):
            state.add_tag(FIRST_ID, tag)
        state.add_tag(SECOND_ID, "faces")
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=_ready)


def test_note_in_detail(snap_compare: Any, make_app: AppFactory, paths: Paths) -> None:
    with StateStore(paths.data_dir) as state:
        state.set_note(
            FIRST_ID,
            "Try on the lab's green-screen footage.\nCompare with MODNet (no background frame).",
        )
        state.add_tag(FIRST_ID, "to-read")
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=_ready)


def test_new_papers_notification(snap_compare: Any, make_app: AppFactory, seeds_dir: Path) -> None:
    app = make_app(watch_interval=0.2)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        write_markup_digest(seeds_dir / "new")  # while the reader runs, no key pressed
        for _ in range(200):
            if any(n.message == "1 new paper." for n in app._notifications):
                break
            await asyncio.sleep(0.05)
        assert app._watch_timer is not None
        app._watch_timer.stop()  # no more scans: a steady screen
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)
