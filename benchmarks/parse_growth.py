"""How parsing time grows with hostile input: linear, not quadratic.

Each shape once made a regular expression backtrack.  The script parses it
at two sizes (x4 apart) and reports the ratio of the best of five timings:
about 4 is linear, 16 quadratic.  A report, not a test: the test suite only
checks what such input parses to (tests/test_hostile_input.py).

    python benchmarks/parse_growth.py
"""

from __future__ import annotations

import time

from digest_tui.parsing import parse_bytes

DAILY_HEAD = b"# ArXiv cs.CV --Fri, 22 May 2020\n"
DAILY_ENTRY = b"### 1.T [ :arrow_down: ](https://arxiv.org/pdf/2005.10825.pdf)\n"
FIELDS_HEAD = b"# Arxiv Papers in cs.CV on 2020-11-22\n### T\n- **Arxiv ID**: 2011.10904\n"

# (name, prefix, repeated unit)
SHAPES = [
    ("unclosed href", DAILY_HEAD + DAILY_ENTRY + b"> ", b"<a href=" + b"x" * 1990 + b" "),
    ("many hrefs", DAILY_HEAD + DAILY_ENTRY + b"> ", b"<a href=x href=y "),
    ("padded daily header", b"# ArXiv cs.CV --", b" "),
    ("padded fields header", b"# Arxiv Papers in cs.CV on 2020", b" \t"),
    ("nested TeX", DAILY_HEAD + DAILY_ENTRY + b"> ", b"\\emph{\\textbf{{a}"),
    ("unclosed links", DAILY_HEAD + b"### 1.", b"[ :arrow_down: ]("),
    ("fields links", FIELDS_HEAD + b"- **Links**: ", b"[x](" + b"y" * 50),
    ("fields labels", FIELDS_HEAD, b"- ** a ** :"),
]


def cost(prefix: bytes, unit: bytes, size: int) -> float:
    data = prefix + unit * (size // len(unit)) + b"\n"
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        parse_bytes(data, "x")
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    print(f"{'shape':<22} {'20 KB (ms)':>10} {'80 KB (ms)':>10} {'ratio':>6}")
    for name, prefix, unit in SHAPES:
        small, large = cost(prefix, unit, 20_000), cost(prefix, unit, 80_000)
        print(f"{name:<22} {small * 1000:>10.2f} {large * 1000:>10.2f} {large / small:>6.1f}")


if __name__ == "__main__":
    main()
