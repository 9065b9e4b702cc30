"""Open a StateStore (as whatever user runs this) and report what works, as JSON.

Usage: readonly_probe.py DATA_DIR PAPER_ID [UID GID]
Prints {"readonly", "reason", "read", "write_error", "read_after"} or {"open_error"}.

With UID and GID (when started as root) the process drops to that user after
importing everything, so the kernel enforces file permissions on it for real;
the interpreter itself may live where that user could not have started it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from digest_tui.state import StateError, StateStore


def drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    assert os.geteuid() == uid and os.getuid() == uid


def main(data_dir: str, paper_id: str, uid: str | None = None, gid: str | None = None) -> int:
    if uid is not None and gid is not None:
        drop_privileges(int(uid), int(gid))
    out: dict[str, object] = {}
    try:
        store = StateStore(Path(data_dir))
    except StateError as exc:
        out["open_error"] = str(exc)
        print(json.dumps(out))
        return 0
    with store:
        out["readonly"] = store.readonly
        out["reason"] = store.readonly_reason
        out["read"] = store.get(paper_id).read
        try:
            store.set_read("written-by-probe")
            out["write_error"] = None
        except StateError as exc:
            out["write_error"] = str(exc)
        out["read_after"] = store.get(paper_id).read
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
