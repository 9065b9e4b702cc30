"""The benchmark script works (at 10k papers); its timings are never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_quick_mode_runs_and_reports_every_figure(tmp_path: Path) -> None:
    results = REPO / "benchmarks" / "RESULTS.md"
    before = results.stat().st_mtime_ns if results.exists() else None
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench.py"), "--quick", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| 10,000 |" in proc.stdout
    start = proc.stdout.index("{")
    figures = json.loads(proc.stdout[start : proc.stdout.index("\n}", start) + 2])
    for key in (
        "warm_ratio",
        "cold_ratio",
        "fts_complete_s",
        "morning_ratio",
        "keystroke_common_ratio",
        "keystroke_rare_ratio",
        "cursor_ratio",
        "rss_mb",
        "bare_rss_mb",
    ):
        assert figures[key] > 0, key
    # --quick proves the script works; it never overwrites the recorded results.
    assert (results.stat().st_mtime_ns if results.exists() else None) == before
