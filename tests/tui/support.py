"""Helpers shared by the reader's tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot


class Recorder:
    """A fake opener: records URLs instead of starting anything."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: str) -> None:
        self.urls.append(url)


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers finish and their results reach the screen."""
    app = pilot.app
    for _ in range(3):
        workers = [w for w in app.workers if not w.is_finished]
        await asyncio.gather(*(w.wait() for w in workers), return_exceptions=True)
        await pilot.pause()


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], what: str = "") -> None:
    """Let the app run until ``condition()`` holds (a timer fired, a worker
    reported).  The bound only ends a test that would otherwise hang."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what or condition}")
        await pilot.pause(0.02)


MARKUP_DIGEST = (
    "# Arxiv Papers in cs.CV on 2021-01-05\n"
    "### [b]Bold[/b] claims [/] and [link=https://x]a link[/link]"
    " \x1b]8;;https://evil.example\x1b\\here\x1b]8;;\x1b\\ \x1b[31mred\x1b[0m\n"
    "- **Arxiv ID**: http://arxiv.org/abs/2101.00001v1\n"
    "- **DOI**: None\n"
    "- **Categories**: **cs.CV**, cs.LG\n"
    "- **Links**: [PDF](http://arxiv.org/pdf/2101.00001v1)\n"
    "- **Published**: 2021-01-05 01:00:00+00:00\n"
    "- **Updated**: 2021-01-05 01:00:00+00:00\n"
    "- **Authors**: [i]Mallory[/i], Eve\n"
    "- **Comment**: [@click=app.quit]quit[/]\n"
    "- **Journal**: None\n"
    "- **Summary**: Abstract with [b]markup[/b], [/] and [link=https://x]click[/link]"
    " and \x1b[31mred\x1b[0m text.\n"
    "\n\n\n"
)


def write_markup_digest(folder: Path) -> Path:
    """A format-2 digest whose title, authors, comment and abstract hold markup
    and escape sequences (all must show literally, none interpreted)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "2021-01-05.md"
    path.write_text(MARKUP_DIGEST, encoding="utf-8")
    return path
