"""Child process for tests/test_state_faults.py: drives a StateStore from outside.

Usage: state_worker.py MODE DATA_DIR ARGS...

After opening the store the worker prints "ready" and, for the concurrent
modes, waits for a line on stdin so that several workers start together.
Any exception escapes and makes the exit status non-zero.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from digest_tui.state import StateStore


def main(argv: list[str]) -> int:
    mode, data_dir, *args = argv
    with StateStore(Path(data_dir)) as store:
        print("ready", flush=True)
        if mode == "stream":
            # Mark ids one by one forever; an id is printed only after the call
            # returned, i.e. once the write is acknowledged.
            i = 0
            while True:
                pid = f"{args[0]}{i}"
                store.set_read(pid)
                sys.stdout.write(pid + "\n")
                sys.stdout.flush()
                i += 1
        sys.stdin.readline()  # start barrier
        if mode == "toggle":  # toggle_read on PREFIX0..PREFIX{n-1}
            prefix, n = args[0], int(args[1])
            for i in range(n):
                store.toggle_read(f"{prefix}{i}")
        elif mode == "field":  # set FIELD on shared ids same0..same{n-1}
            field, n = args[0], int(args[1])
            for i in range(n):
                if field == "starred":
                    store.set_starred(f"same{i}")
                elif field == "read":
                    store.set_read(f"same{i}")
                else:
                    store.add_tag(f"same{i}", field)
        elif mode == "toggle_one":  # toggle_starred the same id n times, report results
            pid, n = args[0], int(args[1])
            results = [store.toggle_starred(pid).starred for _ in range(n)]
            print(json.dumps({"true": results.count(True), "false": results.count(False)}))
        else:
            raise SystemExit(f"unknown mode {mode!r}")
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
