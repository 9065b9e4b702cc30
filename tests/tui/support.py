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


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""

    def luminance(rgb: tuple[int, int, int]) -> float:
        def channel(v: int) -> float:
            c = v / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = rgb
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


#: Scroll bars and borders: drawn glyphs, not text to read.
_DRAWN = set("▁▂▃▄▅▆▇█▔▏▕▎▍▌▋▊▉│─┃━╭╮╰╯┌┐└┘")


def low_contrast_text(app: Any, minimum: float) -> list[tuple[int, str, float]]:
    """Text on the screen whose colour is too close to its background:
    ``(line, text, ratio)``."""
    found: list[tuple[int, str, float]] = []
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        for segment in strip:
            text = "".join(ch for ch in segment.text if not ch.isspace() and ch not in _DRAWN)
            style = segment.style
            if not text or style is None or style.color is None or style.bgcolor is None:
                continue
            ratio = contrast_ratio(
                tuple(style.color.get_truecolor()),  # type: ignore[arg-type]
                tuple(style.bgcolor.get_truecolor()),  # type: ignore[arg-type]
            )
            if ratio < minimum:
                found.append((y, segment.text.strip(), round(ratio, 2)))
    return found
