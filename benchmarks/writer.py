"""The scan's writer side (issue 14): what the scanning process itself costs
per paper, apart from the parsers.

    python benchmarks/writer.py cold CORPUS [--src SRC]       # a cold `list` in a child
    python benchmarks/writer.py prepare CORPUS DIR [--files N] # parse once, keep the results
    python benchmarks/writer.py write DIR [--profile OUT]      # time the writer on them

``cold`` runs ``digest-tui list CORPUS -f jsonl`` with an empty cache in a
fresh process (the code under ``SRC/src``, default this checkout) and prints
its wall time, the scan's time, the scanning process's own CPU seconds
(``getrusage``: the parsing workers are not in it) and its peak RSS.

``prepare`` runs the workers' function (``library._read_parse_pack``) on the
newest ``N`` files of a corpus and pickles what a worker would send back;
``write`` then runs :meth:`Library.scan` with its parsing replaced by
unpickling those results (in this process, as the real scan unpickles what
workers send), so the figure is the writer's alone: how fast the index is
written if parsing cost nothing.  A report, never a test.
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# Runs the CLI and reports, at exit, the scan's seconds, this process's CPU
# seconds and its peak memory.
CLI = """
import atexit, os, resource, sys, time
def _report():
    own = resource.getrusage(resource.RUSAGE_SELF)
    os.write(2, f"maxrss_kb={own.ru_maxrss}\\ncpu_s={own.ru_utime + own.ru_stime}\\n".encode())
atexit.register(_report)
from digest_tui import library
_scan = library.Library.scan
def scan(self, *args, **kwargs):
    started = time.perf_counter()
    cpu = time.process_time()
    try:
        return _scan(self, *args, **kwargs)
    finally:
        os.write(2, f"scan_s={time.perf_counter() - started!r}\\n".encode())
        os.write(2, f"scan_cpu_s={time.process_time() - cpu!r}\\n".encode())
library.Library.scan = scan
from digest_tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def cold(corpus: Path, src: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="wt-write-cold-") as tmp:
        work = Path(tmp)
        (work / "config").mkdir()
        (work / "config" / "config.toml").write_text("max_digest_mb = 1024\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_TUI_")}
        env.update(
            PYTHONPATH=str(src / "src"),
            DIGEST_TUI_CONFIG_DIR=str(work / "config"),
            XDG_CACHE_HOME=str(work / "xdg-cache"),
            XDG_DATA_HOME=str(work / "xdg-data"),
        )
        argv = [sys.executable, "-c", CLI, "list", str(corpus), "-f", "jsonl"]
        argv += ["--cache-dir", str(work / "cache"), "--data-dir", str(work / "data")]
        started = time.perf_counter()
        proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        out: dict[str, float] = {"total_s": time.perf_counter() - started}
        if proc.returncode != 0:
            raise SystemExit(proc.stderr.decode()[-3000:])
        for line in proc.stderr.decode().splitlines():
            key, sep, value = line.partition("=")
            if sep and key in ("maxrss_kb", "cpu_s", "scan_s", "scan_cpu_s"):
                out[key] = float(value)
        out["index_bytes"] = sum(p.stat().st_size for p in (work / "cache").glob("index-*"))
        return out


def prepare(corpus: Path, out: Path, files: int) -> None:
    from digest_tui import library

    paths = sorted((str(p) for p in corpus.rglob("*.txt")), reverse=True)[:files]
    out.mkdir(parents=True, exist_ok=True)
    for i, path in enumerate(paths):
        done = library._read_parse_pack(path, 1 << 30)
        (out / f"{i:05d}.pickle").write_bytes(pickle.dumps(done, pickle.HIGHEST_PROTOCOL))
    (out / "paths.txt").write_text("\n".join(paths))


def write(parsed: Path, profile: str | None, keep: Path | None = None) -> dict[str, float]:
    from digest_tui import library

    paths = (parsed / "paths.txt").read_text().splitlines()
    pickles = sorted(parsed.glob("*.pickle"))
    stats = {"unpickle_s": 0.0, "papers": 0.0}

    def parse_all(
        todo: list[str], workers: int | None, max_bytes: int = 0
    ) -> Iterator[tuple[Any, ...]]:
        for blob in pickles:
            t = time.process_time()
            done = pickle.loads(blob.read_bytes())
            stats["unpickle_s"] += time.process_time() - t
            stats["papers"] += len(done[3])
            yield (*done, True, True)

    with tempfile.TemporaryDirectory(prefix="wt-write-w-") as tmp:
        lib = library.Library(Path(tmp) / "index.sqlite3", [parsed])
        lib._parse_all = parse_all  # type: ignore[method-assign]
        real_walk = library.walk
        sizes = [(p, os.stat(p).st_size, 1) for p in paths]
        library.walk = lambda roots: iter(sizes)  # type: ignore[assignment]
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            if profile:
                import cProfile

                cProfile.runctx("lib.scan()", globals(), {"lib": lib}, profile)
            else:
                lib.scan()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            library.walk = real_walk
        size = sum(p.stat().st_size for p in Path(tmp).glob("index*"))
        lib.close()
        if keep is not None:
            import shutil

            shutil.copy(Path(tmp) / "index.sqlite3", keep)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "papers": stats["papers"],
        "wall_s": wall,
        "cpu_s": cpu,
        "unpickle_cpu_s": stats["unpickle_s"],
        "papers_per_cpu_s": stats["papers"] / cpu,
        "cpu_s_per_100k": cpu / stats["papers"] * 1e5,
        "maxrss_mb": rss / 1024,
        "index_mb": size / 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cold")
    c.add_argument("corpus", type=Path)
    c.add_argument("--src", type=Path, default=HERE.parent)
    p = sub.add_parser("prepare")
    p.add_argument("corpus", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--files", type=int, default=40)
    w = sub.add_parser("write")
    w.add_argument("parsed", type=Path)
    w.add_argument("--profile", default=None)
    w.add_argument("--keep", type=Path, default=None, help="copy the index here")
    args = parser.parse_args()
    if args.cmd == "cold":
        out = cold(args.corpus, args.src)
        print(" ".join(f"{k}={v:.6g}" for k, v in out.items()))
    elif args.cmd == "prepare":
        prepare(args.corpus, args.out, args.files)
    else:
        out = write(args.parsed, args.profile, args.keep)
        print(" ".join(f"{k}={v:.6g}" for k, v in out.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
