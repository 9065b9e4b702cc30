"""Every moving key of the reader at scale, with every paper already read.

    python benchmarks/keys.py 200000            # generates the corpus first
    python benchmarks/keys.py 200000 --dir D    # corpus kept in D between runs

The reader runs headless (Pilot, 120x36) over N generated papers with every
paper marked read: the worst case for ``n``/``N`` (nothing unread anywhere)
and for ``U`` (an empty view).  For each key it reports the time from the
key press until the screen has changed and the work the key started is done
(its workers finished, the screen refreshed), as the median and the worst of
``--runs`` presses.  The target is 0.25 s for every key.  A report, never a
test: nothing here fails on timing.
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
    ids = [i for i in library.ids_of(list(everything.pids), everything.generation) if i]
    state.set_read_many(ids, True)
    app = DigestApp(
        library, state, config=Config(mark_read_delay=-1), roots=roots, state_poll_interval=None
    )
    out: dict[str, tuple[float, float]] = {}
    async with app.run_test(size=(120, 36)) as pilot:
        await _settle(pilot)
        app.paper_list.move_to(len(app.paper_list.pids) // 2)
        await _settle(pilot)
        for key in KEYS:
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                await pilot.press(key)
                await _settle(pilot)
                samples.append(time.perf_counter() - started)
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
    print(f"{'key':<5} {'median':>8} {'worst':>8}")
    for key, (median, worst) in results.items():
        print(f"{key:<5} {median:>8.3f} {worst:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
