"""Every moving key of the reader at scale, with every paper already read.

    python benchmarks/keys.py 200000            # generates the corpus first
    python benchmarks/keys.py 200000 --dir D    # corpus kept in D between runs
    python benchmarks/keys.py 200000 --dir D --work W   # and the index in W
    python benchmarks/keys.py --corpus C --work W       # any folder of digests

The reader runs headless (Pilot, 120x36) over N generated papers with every
paper marked read: the worst case for ``n``/``N`` (nothing unread anywhere)
and for ``U`` (an empty view).  Each key is sent as a terminal would send it
(straight to the driver, not through ``Pilot.press``, which also waits until
the whole process, workers included, is idle), and the time is taken from
then until the first frame written after the key's effect: the cursor on
another paper with that paper in the detail pane, a new list in the list and
the detail pane, the help screen; a notification when it is posted.  The median and the worst
of ``--runs`` presses are reported.  The whole list and the counts that follow
in workers are not waited for.  The target is 0.25 s for every key.  A
report, never a test: nothing here fails on timing.  It runs on the code of
any commit since the reader began (it uses only the app's public parts and
``App._display``, the method that writes a frame).
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

from textual import events

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


def _id_at(app: Any, index: int) -> object:
    """The arXiv id of row ``index`` (through the reading session, or, in the
    reader before it had one, through the index)."""
    session = getattr(app, "session", None)
    if session is not None:
        return session.id_at(index)
    pid = app.paper_list.pids[index]
    row = app.library.rows([pid]).get(pid)
    return None if row is None else row.id


def _effect(
    app: Any, key: str, before: tuple[int, int, type], expected: dict[int, object], noted: bool
) -> bool:
    """Whether the screen's state shows the key's effect (before it is drawn)."""
    cursor, pids, screen = before
    if key == "question_mark":
        return type(app.screen) is not screen
    if noted:
        return True
    here = app.paper_list.cursor
    if here == cursor and id(app.paper_list.pids) == pids:
        return False
    if here not in expected:  # the paper the detail pane must show now
        expected.clear()
        expected[here] = _id_at(app, here) if here >= 0 else None
    paper = app.detail.paper
    return (None if paper is None else paper.id) == expected[here]


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
    if hasattr(app, "freeze_after_load"):
        app.freeze_after_load = True  # as the command does
    out: dict[str, tuple[float, float]] = {}
    async with app.run_test(size=(120, 36)) as pilot:
        await _settle(pilot)
        frames = [0]
        write_frame = app._display

        def counting(screen: Any, renderable: Any) -> None:
            write_frame(screen, renderable)
            frames[0] += 1

        app._display = counting  # type: ignore[method-assign]
        middle = len(app.paper_list.pids) // 2
        app.paper_list.move_to(middle)
        await _settle(pilot)

        told = [0]
        notify = app.notify

        def counting_notify(*args: Any, **kwargs: Any) -> None:
            told[0] += 1
            notify(*args, **kwargs)

        app.notify = counting_notify  # type: ignore[method-assign]

        def notes() -> int:
            return told[0]

        # Before each press: a place where the key has something to do.
        views = {"U": "all", "S": "all", "a": "unread"}

        async def prepare(key: str) -> None:
            if key in views:
                app.action_view(views[key])
            else:
                app.paper_list.move_to(middle)
            session = getattr(app, "session", None)
            if key == "z" and session is not None and session.next_sort() == "relevance":
                # z goes on to the ranker's order, which learns first (in a
                # worker, minutes at 200k papers the first time): not a key's time.
                app.set_sort("digest")
            await _settle(pilot)

        def send(key: str) -> None:
            char = SHOWN.get(key, key if len(key) == 1 else None)
            event = events.Key(key, char)
            event.set_sender(app)
            app._driver.send_message(event)  # type: ignore[union-attr]

        for key in KEYS:
            samples = []
            for _ in range(runs):
                await prepare(key)
                before = (app.paper_list.cursor, id(app.paper_list.pids), type(app.screen))
                shown, expected = notes(), dict[int, object]()
                started = time.perf_counter()
                send(key)
                while (
                    not _effect(app, key, before, expected, key in "nN" and notes() != shown)
                    and time.perf_counter() - started < 30
                ):
                    await asyncio.sleep(0.001)
                seen = frames[0]
                # (A notification is counted when it is posted: headless, its
                # toast is drawn later than a real terminal would draw it.)
                while notes() == shown and frames[0] == seen and time.perf_counter() - started < 30:
                    await asyncio.sleep(0.001)
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
    parser.add_argument("--corpus", type=Path, default=None, help="a folder of digests to use")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--work", type=Path, default=None, help="where the index and state are kept between runs"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.dir or Path(tmp)
        corpus = args.corpus or base / f"corpus-{args.n}"
        if args.corpus is None and not (corpus / "corpus.json").exists():
            subprocess.run(
                [sys.executable, str(HERE / "make_corpus.py"), str(args.n), str(corpus)],
                check=True,
                capture_output=True,
            )
        with tempfile.TemporaryDirectory() as work:
            results = asyncio.run(measure(corpus, args.work or Path(work), args.runs))
    papers = f"{args.n:,} papers" if args.corpus is None else f"the papers of {args.corpus.name}"
    print(f"{papers}, every one read; seconds from key press to screen (target 0.25)")
    print(f"{'key':<5} {'median':>8} {'worst':>8}")
    for key, (median, worst) in results.items():
        print(f"{key:<5} {median:>8.3f} {worst:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
