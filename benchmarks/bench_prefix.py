"""The first page of a filter whose last word is still being typed.

    python benchmarks/bench_prefix.py CORPUS CACHE RUNS WORD...

Opens the index of CORPUS under CACHE (scanning it first: quick when it is up
to date) and times ``Library.search(word, limit=FIRST_PAGE)`` for each word,
the last word of a filter being matched as a prefix ("met", "meth", ...).
Prints one JSON line: for each word, the median milliseconds of RUNS and the
full-text expression the search used.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from digest_tui.library import Library, index_path_for
from digest_tui.tui.app import FIRST_PAGE


def main() -> int:
    corpus, cache = Path(sys.argv[1]), Path(sys.argv[2])
    runs = int(sys.argv[3])
    words = sys.argv[4:]
    roots = [corpus]
    out: dict[str, dict[str, object]] = {}
    with Library(index_path_for(cache, roots), roots) as library:
        library.scan()
        for word in words:
            samples = []
            for _ in range(runs):
                t = time.perf_counter()
                page = library.search(word, limit=FIRST_PAGE)
                samples.append(time.perf_counter() - t)
            explain = getattr(library, "explain", None)  # not in older code
            params = explain(word, limit=FIRST_PAGE)[1] if explain is not None else []
            out[word] = {
                "first_page_ms": round(statistics.median(samples) * 1000, 3),
                "rows": len(page),
                "match": params[0] if params else None,
            }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
