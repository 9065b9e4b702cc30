"""How fast the arXiv e-mail parser reads one e-mail, against a plain read.

For the file given, the best of ``--repeat`` rounds (one round times each
way in turn, so a busy machine slows them alike) of:

* read: ``open().read()`` and ``str.splitlines()``, the floor;
* parse: read, then :func:`digest_tui.parsing.arxiv_email.parse` on the text;
* stream: :func:`digest_tui.parsing.iter_parse_bytes` in parts of 500
  papers, as the library indexes a large e-mail (2 MiB pieces).

Times are CPU seconds of this process (so other work on the machine
counts less): papers per second on one core, and each time as a multiple
of the read.
A report, not a test.  Old code against new, in one run each::

    PYTHONPATH=<old checkout>/src python benchmarks/parse_speed.py FILE
    python benchmarks/parse_speed.py FILE
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from digest_tui import parsing
from digest_tui.parsing import arxiv_email


def _read(path: Path) -> int:
    with open(path, encoding="utf-8") as f:
        return len(f.read().splitlines())


def _parse(path: Path) -> int:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return len(arxiv_email.parse(text, str(path)).papers)


def _stream(path: Path) -> int:
    data = path.read_bytes()
    return sum(len(part.papers) for part in parsing.iter_parse_bytes(data, str(path), 500))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", type=Path, help="an arXiv listing e-mail saved as text")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; the best is kept (3)")
    args = ap.parse_args()
    ways: dict[str, Callable[[Path], int]] = {"read": _read, "parse": _parse, "stream": _stream}
    best = dict.fromkeys(ways, float("inf"))
    counts: dict[str, int] = {}
    for _ in range(max(1, args.repeat)):
        for name, way in ways.items():
            started = time.process_time()
            counts[name] = way(args.file)
            best[name] = min(best[name], time.process_time() - started)
    papers = counts["parse"]
    size = args.file.stat().st_size
    print(f"{args.file.name}: {size / 2**20:.1f} MiB, {counts['read']:,} lines, {papers:,} papers")
    print(f"{'':<8} {'seconds':>8} {'papers/s':>10} {'x read':>7}")
    for name in ways:
        rate = f"{papers / best[name]:>10,.0f}" if name != "read" else f"{'':>10}"
        print(f"{name:<8} {best[name]:>8.3f} {rate} {best[name] / best['read']:>7.1f}")


if __name__ == "__main__":
    main()
