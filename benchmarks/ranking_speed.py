#!/usr/bin/env python3
"""How fast is the relevance ranking at a given index size?

Usage::

    python benchmarks/ranking_speed.py N [--work DIR] [--read 5000] [--stars 100]

Generates N synthetic papers (``benchmarks/make_corpus.py``), indexes them,
featurizes them once (timed), marks ``--read`` papers read and ``--stars`` of
them starred, and reports: the first training, ranking the newest day's papers
after the first time (median of 5), the retraining after one more star (median
of 3, the work a reader's worker does), the reader's For-you view after the
first time (the session's whole search: the marks checked, the newest day's
unread papers read and ranked; median of 5), ``similar`` (its first call builds
the in-memory matrix: time and peak traced memory; then the median of 20
queries), and ``digest-tui list`` against
``list --sort relevance`` over the newest ~1,000 papers (median of 3 runs each
in a new process, after a first run of each).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

from make_corpus import make_corpus  # noqa: E402

from digest_tui.library import Library, index_path_for  # noqa: E402
from digest_tui.ranking import Ranker  # noqa: E402
from digest_tui.session import ReadingSession  # noqa: E402
from digest_tui.state import StateStore  # noqa: E402


def _cli(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "digest_tui", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--read", type=int, default=5000)
    ap.add_argument("--stars", type=int, default=100)
    args = ap.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="rank-speed-"))
    digests = work / "digests"
    if not digests.exists():
        make_corpus(args.n, digests)
    cache, data = work / "cache", work / "data"
    state = StateStore(data)
    lib = Library(index_path_for(cache, [digests]), [digests], state_db=state.path)
    t0 = time.perf_counter()
    lib.scan(workers=1)
    index_s = time.perf_counter() - t0
    result = lib.search("")
    n_papers = len(result)
    newest = result.date_at(0)
    today = [r.id for r in lib.rows(lib.search(f"date:{newest}").pids).values()]
    older = [
        r.id for r in lib.rows(list(result.pids[len(today) : len(today) + args.read])).values()
    ]
    state.set_read_many(older)
    for i in older[:: max(1, len(older) // args.stars)][: args.stars]:
        state.set_starred(i, True)
    with Ranker(lib, state) as ranker:
        t0 = time.perf_counter()
        added = ranker.sync_features()
        featurize_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ranker.refresh()
        train_s = time.perf_counter() - t0
        ranker.scores(today)
        rank_times = []
        for _ in range(5):
            t0 = time.perf_counter()
            ranker.order(today)
            rank_times.append(time.perf_counter() - t0)
        star_times = []
        for i in older[1:4]:
            state.set_starred(i, True)
            t0 = time.perf_counter()
            ranker.refresh()
            star_times.append(time.perf_counter() - t0)
        tracemalloc.start()
        t0 = time.perf_counter()
        ranker.similar(today[0], 10)
        similar_first_s = time.perf_counter() - t0
        similar_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        sim_times = []
        for i in older[:20]:
            t0 = time.perf_counter()
            ranker.similar(i, 10)
            sim_times.append(time.perf_counter() - t0)
    session = ReadingSession(lib, state)
    session.load_marks()
    session.set_view("foryou")
    foryou_times = []
    for _ in range(6):
        t0 = time.perf_counter()
        session._ranked = None  # a new search each time (the reader caches one)
        found = session.search(session.view_query())
        foryou_times.append(time.perf_counter() - t0)
    session.close()
    lib.close()
    state.close()
    query = f"date:>={result.date_at(min(999, n_papers - 1))}"
    base = [str(digests), "-q", query, "--data-dir", str(data), "--cache-dir", str(cache)]
    _cli(["list", *base])
    _cli(["list", *base, "--sort", "relevance"])
    plain = statistics.median(_cli(["list", *base]) for _ in range(3))
    ranked = statistics.median(_cli(["list", *base, "--sort", "relevance"]) for _ in range(3))
    print(
        f"{n_papers:,} papers (indexed in {index_s:.1f} s; {added:,} featurized in"
        f" {featurize_s:.1f} s, {featurize_s / max(1, added) * 1000:.2f} ms each);"
        f" {len(older):,} read, {args.stars} starred.\n"
        f"first training: {train_s:.2f} s; ranking the newest day ({len(today)} papers)"
        f" after the first time: median {statistics.median(rank_times) * 1000:.1f} ms;"
        f" retraining after one more star: median {statistics.median(star_times):.2f} s.\n"
        f"For you ({len(found)} papers) after the first time: median"
        f" {statistics.median(foryou_times[1:]) * 1000:.1f} ms"
        f" (first {foryou_times[0] * 1000:.0f} ms);"
        f" similar: first call {similar_first_s:.1f} s, peak {similar_peak / 2**20:.0f} MiB"
        f" traced; then median {statistics.median(sim_times) * 1000:.0f} ms a query.\n"
        f"`list -q '{query}'`: {plain:.2f} s; with `--sort relevance`: {ranked:.2f} s"
        f" ({ranked / plain:.2f}x)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
