"""SVG snapshots of relevance in the reader: the For-you view and the why-line.

Update with ``pytest tests/tui/test_ranking_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import AppFactory
from tests.tui.test_ranking_reader import for_you, mark_taste

pytest.importorskip("numpy")

from tests.test_ranking import make_corpus  # noqa: E402


def test_for_you_view_with_the_why_line(
    snap_compare: Any, make_app: AppFactory, tmp_path: Path
) -> None:
    root = tmp_path / "digests"
    field_of = make_corpus(root)
    app = make_app(roots=[root])

    async def run_before(pilot: Pilot[Any]) -> None:
        mark_taste(app, field_of)
        app._reload_marks()
        await for_you(pilot)
        app.clear_notifications()  # "reading every paper's words once": timed
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)
