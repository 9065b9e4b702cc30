"""Scale benchmarks for digest-tui: ratios against baselines measured in the same run.

    python benchmarks/bench.py                 # 10k, 100k and 200k papers -> benchmarks/RESULTS.md
    python benchmarks/bench.py --quick         # 10k only, to prove the script works (CI)

Every figure is a median of ``--runs`` runs (default 5) and is reported as a
ratio to a baseline measured in the same run on the same machine, so machine
noise cancels out.  Nothing here fails on timing: the targets are printed
beside the ratios.

Figures (see the README's "Performance" section):
1. warm start: launch until the list is interactive, index up to date,
   against a bare Textual app that shows one Static and exits;
2. cold start: first open (no index), launch until the list is interactive
   with the newest digests on top, against plain Python reading the same files
   and splitting them into entries; plus when the full-text index is complete;
3. next morning: one new digest added to an up-to-date index, against warm;
4. one keystroke in the filter, until the list has repainted, for a common and
   a rare word, against repainting the list with a result already computed;
5. moving the cursor one row, at N papers against at 1k;
6. peak resident memory with N papers open, against the bare app.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = {
    "warm": "<= 1.5x",
    "cold": "<= 4x",
    "morning": "<= 1.2x warm",
    "keystroke": "<= 3x",
    "cursor": "~1x",
    "memory": "<= 200 MB",
}

BARE_APP = """
import os, sys, time
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("hello")

    def on_mount(self):
        self.call_after_refresh(self.ready)

    def ready(self):
        os.write(2, f"ready_at={time.time()!r}\\n".encode())
        self.exit()

Bare().run(headless=True, size=(120, 36))  # the reader's BENCH_SIZE
"""

PLAIN_READ = """
import os, sys
entries = 0
for folder, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if not d.startswith(".")]
    for name in files:
        if name.startswith("."):
            continue
        with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as fh:
            entries += len(fh.read().split("\\n### ")) - 1
print(entries)
"""


def load_make_corpus():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_corpus", HERE / "make_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module
    spec.loader.exec_module(module)
    return module


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Seconds from launching a child until it reports ``ready_at`` (its list
    is on screen), else until it exits; and its peak RSS in kB."""
    launched = time.time()
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed: {argv}\n{proc.stderr[-2000:]}")
    rss = 0
    ready = False
    for line in proc.stderr.splitlines():
        if line.startswith("maxrss_kb="):
            rss = int(line.split("=", 1)[1])
        elif line.startswith("ready_at=") and not ready:
            # The first: older versions of the reader said it again when the
            # whole list followed the first screen.
            ready = True
            elapsed = float(line.split("=", 1)[1]) - launched
    return elapsed, rss


def with_rss(code: str) -> str:
    """Wrap a script so it reports its own peak RSS on stderr at exit."""
    return (
        "import atexit, resource, sys\n"
        "atexit.register(lambda: print(f'maxrss_kb="
        "{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr))\n" + code
    )


READER = """
import sys
from digest_tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def reader_argv(corpus: Path, cache: Path, data: Path) -> list[str]:
    return [
        sys.executable,
        "-c",
        with_rss(READER),
        str(corpus),
        "--cache-dir",
        str(cache),
        "--data-dir",
        str(data),
    ]


def bench_size(n: int, root: Path, runs: int, env: dict[str, str]) -> dict[str, object]:
    mc = load_make_corpus()
    corpus = root / f"corpus-{n}"
    if not (corpus / "corpus.json").exists():
        print(f"  making a corpus of {n} papers ...", flush=True)
        mc.make_corpus(n, corpus, seed=1)
    info = json.loads((corpus / "corpus.json").read_text())
    cache = root / f"cache-{n}"
    data = root / f"data-{n}"
    # The reader runs headless and exits once the list is on screen ("list"),
    # or once its first scan of the folders has finished and shows ("scanned").
    ready_env = {**env, "DIGEST_TUI_EXIT_WHEN_READY": "list"}
    scanned_env = {**env, "DIGEST_TUI_EXIT_WHEN_READY": "scanned"}
    out: dict[str, object] = {"n": n, "files": info.get("files"), "bytes": info.get("bytes")}

    bare = [timed([sys.executable, "-c", with_rss(BARE_APP)], env) for _ in range(runs)]
    bare_t = median([t for t, _ in bare])
    bare_rss = max(r for _, r in bare)
    plain_t = median(
        [timed([sys.executable, "-c", PLAIN_READ, str(corpus)], env)[0] for _ in range(runs)]
    )

    # 2. cold start: no index at all.
    cold: list[float] = []
    for _ in range(runs):
        shutil.rmtree(cache, ignore_errors=True)
        cold.append(timed(reader_argv(corpus, cache, data), ready_env)[0])
    # ... and until the full-text index is complete.
    fts: list[float] = []
    for _ in range(max(1, runs // 2)):
        shutil.rmtree(cache, ignore_errors=True)
        code = (
            "import sys\nfrom pathlib import Path\n"
            "from digest_tui.library import Library, index_path_for\n"
            "root = Path(sys.argv[1])\n"
            "lib = Library(index_path_for(Path(sys.argv[2]), [root]), [root])\n"
            "lib.scan()\nassert lib.fts_ready\n"
        )
        fts.append(timed([sys.executable, "-c", code, str(corpus), str(cache)], env)[0])

    # 1. warm start, index up to date (the last cold run left it complete).
    warm_runs = [timed(reader_argv(corpus, cache, data), ready_env) for _ in range(runs)]
    warm_t = median([t for t, _ in warm_runs])
    warm_rss = max(r for _, r in warm_runs)
    # ... and until the check of every file for changes has finished too.
    warm_scanned_t = median(
        [timed(reader_argv(corpus, cache, data), scanned_env)[0] for _ in range(runs)]
    )

    # 3. next morning: one new digest on top of the up-to-date index.
    morning: list[float] = []
    for i in range(runs):
        # One weekday's digest with new ids, as a `git pull` brings it.
        day = root / f"morning-{i}"
        shutil.rmtree(day, ignore_errors=True)
        mc.make_corpus(150, day, seed=100 + i, start=date(2031, 1, 6 + i))
        new_file = max(day.rglob("*.md"), key=lambda f: f.stat().st_size)
        target = corpus / "next-morning" / f"{i}.md"
        target.parent.mkdir(exist_ok=True)
        shutil.move(str(new_file), target)
        shutil.rmtree(day)
        morning.append(timed(reader_argv(corpus, cache, data), scanned_env)[0])
    shutil.rmtree(corpus / "next-morning", ignore_errors=True)
    timed(reader_argv(corpus, cache, data), scanned_env)  # drop them from the index again

    # 4-5. keystroke and cursor, in process.
    inproc = subprocess.run(
        [
            sys.executable,
            str(HERE / "bench_inprocess.py"),
            str(corpus),
            str(cache),
            str(data),
            info.get("common_word", "methods"),
            info.get("rare_word", "palynology"),
            str(runs),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if inproc.returncode != 0:
        raise SystemExit(f"in-process benchmark failed:\n{inproc.stderr[-3000:]}")
    figures = json.loads(inproc.stdout.strip().splitlines()[-1])

    out.update(
        bare_s=bare_t,
        plain_read_s=plain_t,
        warm_s=warm_t,
        warm_ratio=warm_t / bare_t,
        cold_s=median(cold),
        cold_ratio=median(cold) / plain_t,
        fts_complete_s=median(fts),
        fts_complete_ratio=median(fts) / plain_t,
        warm_scanned_s=warm_scanned_t,
        morning_s=median(morning),
        morning_ratio=median(morning) / warm_scanned_t,
        rss_mb=warm_rss / 1024,
        bare_rss_mb=bare_rss / 1024,
        rss_ratio=warm_rss / max(bare_rss, 1),
        **figures,
    )
    return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import sqlite3

    import textual

    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; {platform.system()} {platform.release()};"
        f" Python {platform.python_version()}, Textual {textual.__version__},"
        f" SQLite {sqlite3.sqlite_version}"
    )


def report(results: list[dict[str, object]], runs: int) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}.",
        f"Each figure is the median of {runs} runs; ratios are against a baseline measured in"
        " the same run. Written by `python benchmarks/bench.py`.",
        "",
        "| papers | files | 1. warm start vs bare app | 2. cold start vs plain read |"
        " full-text index complete | 3. next morning vs warm | 4. keystroke, common word |"
        " 4. keystroke, rare word | 5. cursor vs 1k | 6. peak RSS (bare app) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['n']:,} | {r['files']:,} "
            f"| {r['warm_ratio']:.2f}x ({r['warm_s']:.2f} s vs {r['bare_s']:.2f} s) "
            f"| {r['cold_ratio']:.2f}x ({r['cold_s']:.2f} s vs {r['plain_read_s']:.2f} s) "
            f"| {r['fts_complete_ratio']:.1f}x ({r['fts_complete_s']:.1f} s) "
            f"| {r['morning_ratio']:.2f}x ({r['morning_s']:.2f} s vs {r['warm_scanned_s']:.2f} s) "
            f"| {r['keystroke_common_ratio']:.2f}x ({r['keystroke_common_ms']:.1f} ms"
            f" vs {r['repaint_ms']:.1f} ms) "
            f"| {r['keystroke_rare_ratio']:.2f}x ({r['keystroke_rare_ms']:.1f} ms) "
            f"| {r['cursor_ratio']:.2f}x ({r['cursor_ms']:.2f} ms vs {r['cursor_1k_ms']:.2f} ms) "
            f"| {r['rss_mb']:.0f} MB ({r['bare_rss_mb']:.0f} MB, {r['rss_ratio']:.1f}x) |"
        )
    lines += ["", "Targets: " + "; ".join(f"{k} {v}" for k, v in TARGETS.items()) + "."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k papers only (for CI)")
    parser.add_argument("--sizes", default="10000,100000,200000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", default=None, help="where corpora are made (kept between runs)")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [int(x) for x in args.sizes.split(",")]
    runs = 2 if args.quick and args.runs == 5 else args.runs
    root = Path(args.dir) if args.dir else Path(tempfile.gettempdir()) / "digest-tui-bench"
    root.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_TUI_")}
    # Measure the reader as installed: pip compiles a package's modules to
    # bytecode on install, an editable checkout may not have them yet.
    import compileall

    import digest_tui

    compileall.compile_dir(Path(digest_tui.__file__).parent, quiet=1)
    env["XDG_CONFIG_HOME"] = str(root / "config")  # no user config
    results = []
    for n in sizes:
        print(f"{n:,} papers", flush=True)
        results.append(bench_size(n, root, runs, env))
        print(json.dumps(results[-1], indent=1), flush=True)
    text = report(results, runs)
    print(text)
    if not args.quick:
        # Keep the hand-written notes (profiles, what dominated) below the table.
        output = Path(args.output)
        old = output.read_text(encoding="utf-8") if output.exists() else ""
        notes = old[old.index("## Notes") :] if "## Notes" in old else ""
        output.write_text(text + ("\n" + notes if notes else ""), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
