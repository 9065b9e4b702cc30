"""Scale figures of issue 14: cold and warm launch, full index rate, index
size and peak memory at 10k, 200k and 1M papers and for one big file.

    python benchmarks/scale.py --dir /tmp/scale                 # every row, this checkout
    python benchmarks/scale.py --dir /tmp/scale --before SRC    # and the code in SRC/src too
    python benchmarks/scale.py --dir /tmp/scale --rows 10k,big  # some rows only
    python benchmarks/scale.py --report a.json b.json           # the section from saved runs

Corpora are arXiv listing e-mails from ``make_corpus.py --format email``
(made in ``--dir`` once and kept): ``10k``, ``200k`` and ``1m`` are daily
e-mails of 2,500 papers (4, 80 and 400 files); ``big`` is one e-mail of
50,000 papers.  With ``--before SRC`` each figure is measured for the code
under ``SRC/src`` (``git archive <commit> src | tar -x -C SRC``) and then
for this checkout, row by row, in the same run, so both see the same load.

Every child is a fresh process timed from ``exec``; peak memory is its
``ru_maxrss`` (and that of its worker processes, the largest one).  Heavy
figures (cold start, full index) are one run each; warm start and the bare
app are the median of ``--runs``.  The table goes into the "Scale (issue
14)" section of ``benchmarks/RESULTS.md`` (``--output``), the rest of that
file is left as it is.  A report, never a test: nothing fails on timing.

Figures:

- cold first screen: no index; launch until the reader reports its list is
  on screen (``DIGEST_TUI_EXIT_WHEN_READY=list``), newest day on top;
- full index: a cold ``list --format jsonl`` (every paper printed to
  /dev/null); the scan inside it is timed apart (papers/s), peak memory is
  the command's own (its parsing worker processes are not counted: each
  holds one file's papers at a time);
- index size: the index files after that, against the bytes of the digests,
  and each table's share (``dbstat``);
- warm start: launch with an up-to-date index until the list is on screen,
  against a bare Textual app launched before each of them (the ratio of the
  two medians); and its peak memory;
- warm ``list --format jsonl``: time and peak memory (streaming: memory must
  not grow with the papers printed).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROWS: dict[str, tuple[int, int]] = {  # name -> (papers, papers per file)
    "10k": (10_000, 2_500),
    "200k": (200_000, 2_500),
    "1m": (1_000_000, 2_500),
    "big": (50_000, 50_000),
}
SECTION = "## Scale (issue 14)"


def _load_bench() -> Any:
    """benchmarks/bench.py, for the baseline and helpers both scripts share."""
    spec = importlib.util.spec_from_file_location("bench", HERE / "bench.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_BENCH = _load_bench()
#: The bare Textual app every launch is compared with (the same as bench.py's).
BARE_APP: str = _BENCH.BARE_APP

# Runs the CLI; reports its peak memory (and its workers') at exit, and how
# long Library.scan took.
CLI = """
import atexit, os, resource, sys, time
def _rss():
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    os.write(2, f"maxrss_kb={own}\\nchild_maxrss_kb={kids}\\n".encode())
atexit.register(_rss)
from digest_tui import library
_scan = library.Library.scan
def scan(self, *args, **kwargs):
    started = time.perf_counter()
    try:
        return _scan(self, *args, **kwargs)
    finally:
        os.write(2, f"scan_s={time.perf_counter() - started!r}\\n".encode())
library.Library.scan = scan
from digest_tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def load_make_corpus() -> Any:
    return _BENCH.load_make_corpus()


def corpus_for(name: str, root: Path) -> tuple[Path, dict[str, Any]]:
    n, per_file = ROWS[name]
    folder = root / f"corpus-{name}"
    info = folder / "corpus.json"
    if not info.exists():
        print(f"  making {name} ({n:,} papers, {per_file:,} a file) ...", flush=True)
        shutil.rmtree(folder, ignore_errors=True)
        load_make_corpus().make_corpus(
            n, folder, seed=1, fmt="email", per_file=per_file, start=_start()
        )
    return folder, json.loads(info.read_text())


def _start() -> Any:
    from datetime import date

    return date(2021, 1, 4)


def _peak_kb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        pass
    return 0.0


def run(argv: list[str], env: dict[str, str], *, stop_when_ready: bool = False) -> dict[str, float]:
    """Run a child; seconds until it reported ``ready_at`` (else until it
    exited), its total seconds, and what it printed as ``key=value`` on stderr.

    With ``stop_when_ready`` a child that reported ``ready_at`` is stopped
    there (its peak memory read from /proc first): a cold reader would go on
    indexing in the background, and older code waits for that before exiting.
    """
    launched = time.time()
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stderr is not None
    out: dict[str, float] = {}
    tail: list[str] = []
    for line in proc.stderr:
        tail = [*tail[-40:], line]
        key, sep, value = line.strip().partition("=")
        if key == "ready_at" and key in out:
            continue  # older readers said it again when the whole list followed
        if sep and key in ("maxrss_kb", "child_maxrss_kb", "scan_s", "ready_at"):
            out[key] = float(value)
        if key == "ready_at" and stop_when_ready:
            out["maxrss_kb"] = _peak_kb(proc.pid)
            os.killpg(proc.pid, signal.SIGKILL)  # the child's own process group
            proc.wait()
            break
    else:
        if proc.wait() != 0:
            raise SystemExit(f"benchmark step failed: {argv}\n{''.join(tail)[-3000:]}")
    total = time.perf_counter() - started
    out["total_s"] = total
    out["s"] = out["ready_at"] - launched if "ready_at" in out else total
    return out


def index_files(cache: Path) -> list[Path]:
    return [p for p in cache.glob("index-*.sqlite3*") if p.is_file()]


def table_sizes(cache: Path) -> dict[str, int]:
    """Bytes of each table and index of the index (dbstat), FTS5 shadow tables
    summed under their virtual table."""
    db = [p for p in cache.glob("index-*.sqlite3") if p.is_file()]
    if not db:
        return {}
    conn = sqlite3.connect(f"file:{db[0]}?mode=ro", uri=True)
    try:
        sizes: dict[str, int] = {}
        for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            key = str(name)
            for fts in ("papers_fts",):
                if key.startswith(fts + "_"):
                    key = fts
            sizes[key] = sizes.get(key, 0) + int(size)
        return dict(sorted(sizes.items(), key=lambda kv: -kv[1]))
    finally:
        conn.close()


def measure(
    name: str, root: Path, code: str, src: Path, env: dict[str, str], runs: int
) -> dict[str, Any]:
    corpus, info = corpus_for(name, root)
    work = root / f"work-{name}-{code}"
    shutil.rmtree(work, ignore_errors=True)
    cache, data, config = work / "cache", work / "data", work / "config"
    config.mkdir(parents=True)
    # One e-mail of 50,000 papers is larger than the default max_digest_mb.
    (config / "config.toml").write_text("max_digest_mb = 1024\n", encoding="utf-8")
    child_env = {**env, "DIGEST_TUI_CONFIG_DIR": str(config)}
    child_env["PYTHONPATH"] = str(src / "src")
    common = ["--cache-dir", str(cache), "--data-dir", str(data)]
    reader = [sys.executable, "-c", CLI, str(corpus), *common]
    lister = [sys.executable, "-c", CLI, "list", str(corpus), "-f", "jsonl", *common]
    ready = {**child_env, "DIGEST_TUI_EXIT_WHEN_READY": "list"}
    out: dict[str, Any] = {
        "row": name,
        "code": code,
        "papers": info["N"],
        "files": info["files"],
        "bytes": info["bytes"],
    }
    print(f"  {name} [{code}] cold reader ...", flush=True)
    cold = run(reader, ready, stop_when_ready=True)
    out["cold_first_s"] = cold["s"]
    out["cold_reader_rss_mb"] = cold.get("maxrss_kb", 0) / 1024
    shutil.rmtree(cache, ignore_errors=True)
    print(f"  {name} [{code}] cold list ...", flush=True)
    cold_list = run(lister, child_env)
    out["cold_list_s"] = cold_list["total_s"]
    out["index_s"] = cold_list.get("scan_s", cold_list["total_s"])
    out["papers_per_s"] = info["N"] / out["index_s"]
    out["cold_list_rss_mb"] = cold_list.get("maxrss_kb", 0) / 1024
    out["cold_list_worker_rss_mb"] = cold_list.get("child_maxrss_kb", 0) / 1024
    out["index_bytes"] = sum(p.stat().st_size for p in index_files(cache))
    out["index_ratio"] = out["index_bytes"] / info["bytes"]
    out["tables"] = table_sizes(cache)
    print(f"  {name} [{code}] warm ...", flush=True)
    # Each warm launch follows a launch of the bare app: the ratio is of two
    # medians taken under the same load (the bare app's time moves by a
    # quarter on this machine between the start of a run and its end).
    bare_argv = [sys.executable, "-c", BARE_APP]
    warm: list[dict[str, float]] = []
    bare_times: list[float] = []
    for _ in range(runs):
        bare_times.append(run(bare_argv, env, stop_when_ready=True)["s"])
        warm.append(run(reader, ready, stop_when_ready=True))
    out["warm_s"] = statistics.median(w["s"] for w in warm)
    out["warm_bare_s"] = statistics.median(bare_times)
    out["warm_rss_mb"] = max(w.get("maxrss_kb", 0) for w in warm) / 1024
    warm_list = run(lister, child_env)
    out["warm_list_s"] = warm_list["total_s"]
    out["warm_list_rss_mb"] = warm_list.get("maxrss_kb", 0) / 1024
    shutil.rmtree(work, ignore_errors=True)
    return out


def bare(env: dict[str, str], runs: int) -> tuple[float, float]:
    argv = [sys.executable, "-c", BARE_APP]
    results = [run(argv, env, stop_when_ready=True) for _ in range(runs)]
    return statistics.median(r["s"] for r in results), 0.0


def _bare(r: dict[str, Any], bare_s: float) -> float:
    """The bare app's time a row's warm start is set against: its own runs,
    alternated with the warm launches (older saved runs: the run's)."""
    return float(r.get("warm_bare_s") or r.get("bare_s") or bare_s)


def _mb(x: float) -> str:
    return f"{x:.0f} MB"


def table(results: list[dict[str, Any]], bare_s: float) -> list[str]:
    lines = [
        "| row | code | cold first screen | full index (papers/s) | cold `list` jsonl"
        " | index / digests | warm start vs bare | peak RSS: cold reader, cold `list`,"
        " warm reader, warm `list` jsonl |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        label = (
            f"{r['papers']:,} papers, 1 file"
            if r["files"] == 1
            else f"{r['papers']:,} papers, {r['files']:,} files"
        )
        lines.append(
            f"| {label} ({r['bytes'] / 1e6:,.0f} MB) | {r['code']} "
            f"| {r['cold_first_s']:.2f} s "
            f"| {r['index_s']:.1f} s ({r['papers_per_s']:,.0f}/s) "
            f"| {r['cold_list_s']:.1f} s "
            f"| {r['index_bytes'] / 1e6:,.0f} MB ({r['index_ratio']:.2f}x) "
            f"| {r['warm_s'] / _bare(r, bare_s):.2f}x ({r['warm_s']:.2f} s"
            f" vs {_bare(r, bare_s):.2f} s) "
            f"| {_mb(r['cold_reader_rss_mb'])}, {_mb(r['cold_list_rss_mb'])},"
            f" {_mb(r['warm_rss_mb'])}, {_mb(r['warm_list_rss_mb'])} |"
        )
    return lines


def parts(results: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for r in results:
        if not r.get("tables"):
            continue
        total = sum(r["tables"].values())
        shown = ", ".join(
            f"{k} {v / 1e6:,.0f} MB ({v / r['bytes']:.2f}x)"
            for k, v in r["tables"].items()
            if v / max(total, 1) >= 0.005
        )
        lines.append(f"- {r['row']} [{r['code']}]: {shown}.")
    return lines


NOTES = "### What changed, and what did not (hand-written)"


def section(results: list[dict[str, Any]]) -> str:
    """The section's text: one line per run, the table, each table's cost."""
    runs: dict[str, dict[str, Any]] = {}
    for r in results:
        runs.setdefault(r.get("started", "?"), r)
    said = [
        f"- {started}: load average {r.get('load_start', 0):.1f} at the start,"
        f" {r.get('load_end', 0):.1f} at the end (2 cores shared with other work);"
        f" bare Textual app {r.get('bare_s', 0):.2f} s at the start; warm start the median of"
        f" {r.get('runs', 1)}, each after a bare app (its own median in the table),"
        f" every other figure one run; rows: "
        + ", ".join(f"{x['row']} {x['code']}" for x in results if x.get("started") == started)
        for started, r in runs.items()
    ]
    return "\n".join(
        [
            SECTION,
            "",
            "Written by `python benchmarks/scale.py` (see its docstring for what each"
            " figure is). Before and after were measured in one run, row by row:",
            "",
            *said,
            "",
            *table(results, 1.0),
            "",
            "Where the index's bytes go (`dbstat`; FTS5 shadow tables under their table;"
            " x = share of the digests' bytes):",
            "",
            *parts(results),
            "",
        ]
    )


def write_section(output: Path, body: str) -> None:
    """Put ``body`` in place of the section's table; hand-written notes
    (from :data:`NOTES` to the next section) are kept."""
    old = output.read_text(encoding="utf-8") if output.exists() else ""
    if SECTION in old:
        before, _, rest = old.partition(SECTION)
        nxt = rest.find("\n## ")
        section, after = (rest[: nxt + 1], rest[nxt + 1 :]) if nxt >= 0 else (rest, "")
        notes = section[section.index(NOTES) :] if NOTES in section else ""
        body = body + ("\n" + notes if notes else "")
        text = before + body + ("\n" + after if after else "")
    else:
        text = old.rstrip("\n") + "\n\n" + body
    output.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default=None, help="where corpora are made and kept")
    parser.add_argument("--rows", default="10k,200k,1m,big")
    parser.add_argument("--before", default=None, help="a folder holding the old code's src/")
    parser.add_argument(
        "--after", default=str(HERE.parent), help="a folder holding the new code's src/"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of the warm figures")
    parser.add_argument("--json", default=None, help="also write the figures here")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    parser.add_argument("--no-write", action="store_true", help="print, do not edit RESULTS.md")
    parser.add_argument(
        "--report",
        nargs="+",
        default=None,
        metavar="JSON",
        help="write the section from figures saved by --json (no measuring)",
    )
    args = parser.parse_args()
    if args.report:
        saved: list[dict[str, Any]] = []
        for name in args.report:
            saved.extend(json.loads(Path(name).read_text(encoding="utf-8")))
        body = section(saved)
        print(body)
        if not args.no_write:
            write_section(Path(args.output), body)
        return 0
    if args.dir is None:
        parser.error("--dir is needed to measure")
    root = Path(args.dir)
    root.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_TUI_")}
    env.pop("PYTHONPATH", None)
    env["XDG_CONFIG_HOME"] = str(root / "xdg-config")
    import compileall

    for src in (args.after, args.before):
        if src:
            compileall.compile_dir(Path(src) / "src", quiet=1)
    load = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    bare_s, _ = bare(env, max(args.runs, 5))
    results: list[dict[str, Any]] = []
    for name in args.rows.split(","):
        print(f"{name}", flush=True)
        if args.before:
            results.append(measure(name, root, "before", Path(args.before), env, args.runs))
            print(json.dumps(results[-1]), flush=True)
        results.append(measure(name, root, "after", Path(args.after), env, args.runs))
        print(json.dumps(results[-1]), flush=True)
    load_end = os.getloadavg()
    run_info = {
        "started": started,
        "load_start": load[0],
        "load_end": load_end[0],
        "bare_s": bare_s,
        "runs": args.runs,
    }
    for r in results:
        r.update(run_info)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    body = section(results)
    print(body)
    if not args.no_write:
        write_section(Path(args.output), body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
