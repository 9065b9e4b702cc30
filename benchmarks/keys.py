"""Every moving key of the reader at scale, with every paper already read.

    python benchmarks/keys.py 200000            # generates the corpus first
    python benchmarks/keys.py 200000 --dir D    # corpus kept in D between runs

The reader runs headless (Pilot, 120x36) over N generated papers with every
paper marked read: the worst case for ``n``/``N`` (nothing unread anywhere)
and for ``U`` (an empty view).  For each key it reports the time from the
key press until the screen shows its effect (the cursor moved, a new list or
a notification is shown, the help screen is up), as the median and the worst
of ``--runs`` presses, less the time Pilot takes for a key bound to nothing
(measured in the same run).  The whole list and the counts that follow in
workers are not waited for.  The target is 0.25 s for every key.  A report,
never a test: nothing here fails on timing.  It runs on the code of any
commit since the reader began (it uses only the app's public parts).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KEYS = ["j", "k", "n", "N", "G", "g", "right_square_bracket", "left_square_bracket",
        "z", "U", "S", "a", "question_mark"]  # fmt: skip
SHOWN = {"right_square_bracket": "]", "left_square_bracket": "[", "question_mark": "?"}


async def _settle(pilot: Any) -> None:
    app = pilot.app
    for _ in range(3):
        workers = [w for w in app.workers if not w.is_finished and w.group != "scan"]
        await asyncio.gather(*(w.wait() for w in workers), return_exceptions=True)
        await pilot.pause()


async def measure(corpus: Path, work: Path, runs: int) -> dict[str, tuple[float, float]]:
    from digest_tui.config import Config
    from digest_tui.library import Library, index_path_for
    from digest_tui.state import StateStore
    from digest_tui.tui.app import DigestApp

    roots = [corpus]
    state = StateStore(work / "data")
    library = Library(index_path_for(work / "cache", roots), roots, state_db=state.path)
    library.scan()
    everything = library.search("")
    pids = list(everything.pids)
    ids: list[str] = []
    for start in range(0, len(pids), 5000):
        rows = library.rows(pids[start : start + 5000])
        ids.extend(r.id for r in rows.values())
    state.set_read_many(ids, True)
    app = DigestApp(
        library, state, config=Config(mark_read_delay=-1), roots=roots, state_poll_interval=None
    )
    out: dict[str, tuple[float, float]] = {}
    async with app.run_test(size=(120, 36)) as pilot:
        await _settle(pilot)
        app.paper_list.move_to(len(app.paper_list.pids) // 2)
        await _settle(pilot)

        def look() -> tuple[object, ...]:
            notes = len(getattr(app, "_notifications", ()))
            return (app.paper_list.cursor, id(app.paper_list.pids), type(app.screen), notes)

        middle = len(app.paper_list.pids) // 2
        # Before each press: a place where the key has something to do.
        views = {"U": "all", "S": "all", "a": "unread"}

        async def prepare(key: str) -> None:
            if key in views:
                app.action_view(views[key])
            else:
                app.paper_list.move_to(middle)
            await _settle(pilot)

        for key in ["x", *KEYS]:  # "x" is bound to nothing: Pilot's own time
            samples = []
            for _ in range(runs):
                await prepare(key)
                before = look()
                started = time.perf_counter()
                await pilot.press(key)
                while key != "x" and look() == before and time.perf_counter() - started < 30:
                    await asyncio.sleep(0.005)
                samples.append(time.perf_counter() - started)
                await _settle(pilot)
                if key == "question_mark":
                    await pilot.press("escape")
                    await _settle(pilot)
            out[SHOWN.get(key, key)] = (statistics.median(samples), max(samples))
        await pilot.press("q")
    library.close()
    state.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=200_000, help="papers")
    parser.add_argument("--dir", type=Path, default=None, help="where the corpus is kept")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.dir or Path(tmp)
        corpus = base / f"corpus-{args.n}"
        if not (corpus / "corpus.json").exists():
            subprocess.run(
                [sys.executable, str(HERE / "make_corpus.py"), str(args.n), str(corpus)],
                check=True,
                capture_output=True,
            )
        with tempfile.TemporaryDirectory() as work:
            results = asyncio.run(measure(corpus, Path(work), args.runs))
    print(f"{args.n:,} papers, every one read; seconds from key press to screen (target 0.25)")
    base = results.pop("x")[0]
    print(f"Pilot's own time for a key bound to nothing: {base:.3f} s (subtracted)")
    print(f"{'key':<5} {'median':>8} {'worst':>8}")
    for key, (median, worst) in results.items():
        print(f"{key:<5} {median - base:>8.3f} {worst - base:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
