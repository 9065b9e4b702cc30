"""SVG snapshots of the reader (pytest-textual-snapshot).

Update the baselines with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and look at them before committing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import AppFactory
from tests.tui.support import settle


async def _ready(pilot: Pilot[Any]) -> None:
    await settle(pilot)


def test_main_screen_wide(snap_compare: Any, make_app: AppFactory) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=_ready)


def test_main_screen_narrow(snap_compare: Any, make_app: AppFactory) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_ready)


def test_help_screen(snap_compare: Any, make_app: AppFactory) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=run_before)


def test_filter_with_no_match(snap_compare: Any, make_app: AppFactory) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("slash", *"zzyzx", "enter")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=run_before)


def test_first_run_screen(
    snap_compare: Any, make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("my-digests").mkdir()
    app = make_app(roots=[Path("my-digests")], config_file=Path("config.toml"))
    assert snap_compare(app, terminal_size=(100, 30), run_before=_ready)
