#!/usr/bin/env python3
"""Make the SVG screenshots in ``screenshots/`` from the built-in sample.

Usage::

    python scripts/make_screenshots.py [OUTPUT_DIR]

Runs the reader headless (``App.run_test``) over the sample digests shipped
with the package, with its state and index in a temporary folder (the user's
own are never touched), and writes ``main.svg``, ``filtered.svg``,
``help.svg``, ``narrow.svg`` and ``tags.svg``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from digest_tui.config import Config, Paths, sample_dir
from digest_tui.library import Library, index_path_for
from digest_tui.state import StateStore
from digest_tui.tui.app import DigestApp

REPO = Path(__file__).resolve().parents[1]

Steps = Callable[[Pilot[int]], Awaitable[None]]


async def _settle(pilot: Pilot[int]) -> None:
    app = pilot.app
    for _ in range(3):
        workers = [w for w in app.workers if not w.is_finished]
        await asyncio.gather(*(w.wait() for w in workers), return_exceptions=True)
        await pilot.pause()


async def _some_marks(pilot: Pilot[int]) -> None:
    """Read a few papers and star two, so the list shows every kind of row."""
    await _settle(pilot)
    for keys in (("r", "j"), ("r", "s", "j"), ("j",), ("r", "j"), ("s", "j"), ("r",)):
        await pilot.press(*keys)
    await pilot.press("k", "k")
    await _settle(pilot)


async def _main(pilot: Pilot[int]) -> None:
    await _some_marks(pilot)


async def _filtered(pilot: Pilot[int]) -> None:
    await _settle(pilot)
    await pilot.press("slash", *"fusion -survey", "enter")
    await _settle(pilot)
    await _some_marks(pilot)


async def _tags(pilot: Pilot[int]) -> None:
    """Tags on a few papers and a note on the one under the cursor."""
    await _some_marks(pilot)
    app = pilot.app
    assert isinstance(app, DigestApp)
    rows = app.library.rows(list(app.paper_list.pids[:4]))
    ids = [rows[pid].id for pid in app.paper_list.pids[:4] if pid in rows]
    wanted = (("fusion", "to-read"), ("to-read",), (), ("thesis",))
    for paper_id, tags in zip(ids, wanted, strict=False):
        for tag in tags:
            app.state.add_tag(paper_id, tag)
    current = app._current_paper
    if current is not None:
        app.state.set_note(current.id, "Compare with the thesis baseline.\nCode is on GitHub.")
    app._reload_marks()
    app.session.current_paper = None  # show the paper again, with its note
    app._sync_current()
    await _settle(pilot)


async def _help(pilot: Pilot[int]) -> None:
    await _some_marks(pilot)
    await pilot.press("question_mark")
    await _settle(pilot)


SHOTS: list[tuple[str, tuple[int, int], Steps]] = [
    ("main.svg", (120, 36), _main),
    ("filtered.svg", (120, 36), _filtered),
    ("help.svg", (120, 36), _help),
    ("narrow.svg", (80, 24), _main),
    ("tags.svg", (120, 36), _tags),
]


async def shoot(name: str, size: tuple[int, int], steps: Steps, out: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="digest-tui-shots-") as tmp:
        paths = Paths(Path(tmp) / "config", Path(tmp) / "data", Path(tmp) / "cache")
        roots = [sample_dir()]
        state = StateStore(paths.data_dir)
        library = Library(index_path_for(paths.cache_dir, roots), roots, state_db=paths.state_db)
        try:
            app = DigestApp(
                library,
                state,
                config=Config(mark_read_delay=-1),
                config_file=None,
                roots=roots,
                is_sample=True,
                state_poll_interval=None,
                opener=lambda url: None,
            )
            async with app.run_test(size=size) as pilot:
                await _settle(pilot)
                await steps(pilot)
                app.clear_notifications()
                await pilot.pause()
                target = out / name
                app.save_screenshot(filename=name, path=str(out))
        finally:
            library.close()
            state.close()
    return target


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, size, steps in SHOTS:
        path = await shoot(name, size, steps, out)
        print(f"wrote {path}")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "screenshots"))
