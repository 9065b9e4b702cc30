"""In-process figures for bench.py: a filter keystroke and a cursor move.

    python benchmarks/bench_inprocess.py CORPUS CACHE DATA COMMON RARE RUNS

Runs the reader headless at 120x36 over an up-to-date index and prints one
JSON line.  What is timed is the reader's own work, in the app, with the
widget at its real size:

- repaint: give the list a result that is already computed and draw every
  visible line (``set_result`` + ``render_line`` for the screen);
- keystroke: what one key in the filter costs before that same repaint, i.e.
  the query for the first screen of matches (the whole list follows in the
  background when typing pauses), plus the repaint;
- cursor: one row down and the redraw of the screen, with N papers listed and
  with 1,000.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

from digest_tui.config import Config
from digest_tui.library import Library, SearchResult, index_path_for
from digest_tui.state import StateStore
from digest_tui.tui import app as app_module
from digest_tui.tui.app import DigestApp


def draw(paper_list) -> None:  # type: ignore[no-untyped-def]
    for y in range(paper_list.size.height):
        paper_list.render_line(y)


def show(paper_list, result: SearchResult) -> None:  # type: ignore[no-untyped-def]
    paper_list._pages.clear()  # nothing cached: a new result is drawn from the index
    paper_list.set_result(result.pids, result.day_starts(), result.date_at, 0)
    draw(paper_list)


def ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def measure(corpus: Path, cache: Path, data: Path, words: list[str], runs: int) -> dict:
    roots = [corpus]
    library = Library(index_path_for(cache, roots), roots, state_db=data / "state.sqlite3")
    state = StateStore(data)
    library.scan()
    app = DigestApp(
        library,
        state,
        config=Config(mark_read_delay=-1),
        roots=roots,
        state_poll_interval=None,
    )
    out: dict[str, float] = {}
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if app._result is not None and len(app._result):
                break
        paper_list = app.paper_list
        full = library.search("")
        # Repaint with a result already computed.
        repaint = []
        for _ in range(runs * 4):
            t = time.perf_counter()
            show(paper_list, full)
            repaint.append(time.perf_counter() - t)
        out["repaint_ms"] = ms(repaint)
        for label, word in (("common", words[0]), ("rare", words[1])):
            samples = []
            for _ in range(runs * 4):
                t = time.perf_counter()
                page = library.search(word, limit=app_module.FIRST_PAGE)
                show(paper_list, page)
                samples.append(time.perf_counter() - t)
            out[f"keystroke_{label}_ms"] = ms(samples)
            out[f"keystroke_{label}_ratio"] = ms(samples) / out["repaint_ms"]
            t = time.perf_counter()
            whole = library.search(word)
            out[f"whole_list_{label}_ms"] = (time.perf_counter() - t) * 1000
            out[f"matches_{label}"] = len(whole)
        # One row down, with N papers and with 1,000.
        for label, result in (("cursor", full), ("cursor_1k", library.search("", limit=1000))):
            show(paper_list, result)
            samples = []
            for i in range(runs * 40):
                if i % 400 == 399:
                    paper_list.move_to(0, force=True, by_user=False)
                t = time.perf_counter()
                paper_list.action_cursor_down()
                draw(paper_list)
                samples.append(time.perf_counter() - t)
            out[f"{label}_ms"] = ms(samples)
        out["cursor_ratio"] = out["cursor_ms"] / out["cursor_1k_ms"]
        await pilot.press("q")
    library.close()
    state.close()
    return out


def main() -> int:
    corpus, cache, data = (Path(a) for a in sys.argv[1:4])
    words = sys.argv[4:6]
    runs = int(sys.argv[6]) if len(sys.argv) > 6 else 5
    print(json.dumps(asyncio.run(measure(corpus, cache, data, words, runs))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
