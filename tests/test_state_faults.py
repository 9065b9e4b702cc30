"""The state store under concurrency, crashes, corruption, full disks and read-only files.

Child processes run tests/helpers/*.py against the real filesystem.  What is
and is not proven here:

* SIGKILL tests prove that an acknowledged write survives the *process*
  dying at any moment (the OS page cache survives).  They cannot prove
  survival of a power cut; that rests on synchronous=FULL (fsync per commit).
* "Disk full" is simulated with PRAGMA max_page_count on the store's own
  connection, which makes SQLite fail with SQLITE_FULL exactly as a full disk
  does ("database or disk is full").
* Read-only tests use real file permissions.  Root ignores them, so when the
  suite runs as root the probe runs as the unprivileged user "nobody" instead;
  (tests/helpers/readonly_probe.py drops to it with setuid after start-up);
  if that is impossible the tests skip rather than pretend.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest_tui.state import DB_FILENAME, StateCorruptError, StateError, StateStore

HERE = Path(__file__).resolve().parent
HELPERS = HERE / "helpers"
SRC = HERE.parent / "src"


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HELPERS / "state_worker.py"), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )


def run_together(*argvs: tuple[str, ...], timeout: float = 60) -> tuple[list[str], float]:
    """Start workers, wait until all have opened the store, release them at once."""
    procs = [spawn(*argv) for argv in argvs]
    for p in procs:
        assert p.stdout is not None
        assert p.stdout.readline().strip() == "ready", p.stderr and p.stderr.read()
    t0 = time.perf_counter()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        assert p.returncode == 0, f"worker failed:\n{err}"
        assert "locked" not in err and "Error" not in err, err
        outs.append(out)
    return outs, time.perf_counter() - t0


def integrity(path: Path) -> str:
    conn = sqlite3.connect(str(path))
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


# ------------------------------------------------------------------ two processes


@pytest.mark.slow
def test_two_processes_toggling_1000_distinct_marks_each_lose_nothing(tmp_path: Path) -> None:
    StateStore(tmp_path).close()  # both children find an existing db
    _, elapsed = run_together(
        ("toggle", str(tmp_path), "a", "1000"), ("toggle", str(tmp_path), "b", "1000")
    )
    with StateStore(tmp_path) as s:
        read = s.ids_where(read=True)
    assert read == {f"a{i}" for i in range(1000)} | {f"b{i}" for i in range(1000)}
    assert integrity(tmp_path / DB_FILENAME) == "ok"
    print(f"\n2 x 1000 concurrent toggles: {len(read)} held, {elapsed:.2f} s")


@pytest.mark.slow
def test_two_processes_creating_the_db_at_once_both_succeed(tmp_path: Path) -> None:
    # No db yet: both race through creation, WAL switch and migration.
    run_together(("toggle", str(tmp_path), "a", "200"), ("toggle", str(tmp_path), "b", "200"))
    with StateStore(tmp_path) as s:
        assert len(s.ids_where(read=True)) == 400


@pytest.mark.slow
def test_two_processes_writing_different_fields_of_the_same_ids_lose_no_update(
    tmp_path: Path,
) -> None:
    StateStore(tmp_path).close()
    d = str(tmp_path)
    run_together(
        ("field", d, "starred", "1000"),
        ("field", d, "read", "1000"),
        ("field", d, "tagged", "1000"),
    )
    with StateStore(tmp_path) as s:
        marks = s.all_marks()
    assert len(marks) == 1000
    broken = [m for m in marks.values() if not (m.read and m.starred and m.tags == {"tagged"})]
    assert broken == []


@pytest.mark.slow
def test_two_processes_toggling_the_same_id_serialise_every_toggle(tmp_path: Path) -> None:
    # In any serial order the toggles return True, False, True, ...; a lost
    # update would make two toggles return the same value and skew the counts.
    StateStore(tmp_path).close()
    d = str(tmp_path)
    outs, _ = run_together(("toggle_one", d, "hot", "500"), ("toggle_one", d, "hot", "500"))
    counts = [json.loads(out.splitlines()[0]) for out in outs]
    trues = sum(c["true"] for c in counts)
    falses = sum(c["false"] for c in counts)
    assert (trues, falses) == (500, 500)
    with StateStore(tmp_path) as s:
        assert s.get("hot").starred is False  # 1000 toggles from False


# ------------------------------------------------------------------ SIGKILL


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_mid_stream_never_loses_an_acknowledged_mark(tmp_path: Path) -> None:
    rng = random.Random(20240607)
    runs, acked_total, in_flight, t0 = 20, 0, 0, time.perf_counter()
    for run in range(runs):
        proc = spawn("stream", str(tmp_path), f"r{run}-")
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr and proc.stderr.read()
        acked: list[str] = []
        target = rng.randint(0, 300)
        while len(acked) < target:
            acked.append(proc.stdout.readline().rstrip("\n"))
        time.sleep(rng.uniform(0, 0.003))  # land anywhere inside the next write
        proc.send_signal(signal.SIGKILL)
        rest = proc.stdout.read()  # includes what readline() already buffered
        assert proc.wait(timeout=10) == -signal.SIGKILL
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        acked += [line for line in rest.split("\n")[:-1]]  # complete lines only
        acked_total += len(acked)

        assert integrity(tmp_path / DB_FILENAME) == "ok"
        with StateStore(tmp_path) as s:
            stored = {pid for pid in s.ids_where(read=True) if pid.startswith(f"r{run}-")}
        missing = set(acked) - stored
        assert not missing, f"run {run}: acknowledged but lost: {sorted(missing)[:5]}"
        # At most the one write in flight may be stored without acknowledgement.
        assert len(stored) - len(acked) in (0, 1)
        in_flight += len(stored) - len(acked)
    elapsed = time.perf_counter() - t0
    print(
        f"\n{runs} SIGKILLs survived, {acked_total} acknowledged marks kept, "
        f"{in_flight} killed after commit but before acknowledging, {elapsed:.2f} s"
    )


# ------------------------------------------------------------------ corruption


def test_file_that_is_not_a_database_is_moved_aside_with_bytes_intact(tmp_path: Path) -> None:
    db = tmp_path / DB_FILENAME
    junk = b"this is not sqlite\n" * 500
    db.write_bytes(junk)
    (tmp_path / f"{DB_FILENAME}-wal").write_bytes(b"wal bytes")
    with pytest.raises(StateCorruptError) as info:
        StateStore(tmp_path)
    err = info.value
    assert err.path == db and err.moved_to is not None
    assert err.moved_to.name.startswith(f"{DB_FILENAME}.corrupt-")
    assert len(err.moved_to.name) == len(f"{DB_FILENAME}.corrupt-YYYYmmdd-HHMMSS")
    assert err.moved_to.read_bytes() == junk
    assert Path(f"{err.moved_to}-wal").read_bytes() == b"wal bytes"
    msg = str(err)
    assert "\n" not in msg and str(db) in msg and str(err.moved_to) in msg
    assert "not a database" in msg
    assert not db.exists()
    # Starting fresh is just opening again.
    with StateStore(tmp_path) as s:
        assert s.all_marks() == {} and not s.readonly
        s.set_read("a")
    assert err.moved_to.read_bytes() == junk  # never touched again


def test_damaged_pages_fail_the_check_and_are_moved_aside(tmp_path: Path) -> None:
    with StateStore(tmp_path) as s:
        s.set_read_many([f"2101.{i:05d}" for i in range(3000)])
        for i in range(50):
            s.set_note(f"2101.{i:05d}", "note " * 200)
    db = tmp_path / DB_FILENAME
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 8 * page
    data[3 * page : 6 * page] = random.Random(1).randbytes(3 * page)
    db.write_bytes(bytes(data))
    with pytest.raises(StateCorruptError, match="damaged") as info:
        StateStore(tmp_path)
    assert info.value.moved_to is not None
    assert info.value.moved_to.read_bytes() == bytes(data)
    with StateStore(tmp_path) as s:
        assert s.all_marks() == {}


def test_second_corruption_in_the_same_second_gets_its_own_name(tmp_path: Path) -> None:
    moved = []
    for _ in range(2):
        (tmp_path / DB_FILENAME).write_bytes(b"garbage" * 100)
        with pytest.raises(StateCorruptError) as info:
            StateStore(tmp_path)
        moved.append(info.value.moved_to)
    assert moved[0] != moved[1]
    assert all(p is not None and p.exists() for p in moved)


# ------------------------------------------------------------------ disk full


@pytest.fixture
def full_store(tmp_path: Path) -> Iterator[StateStore]:
    """A store whose database cannot grow by a single page, like a full disk."""
    with StateStore(tmp_path) as s:
        s.set_read("kept")
        s.set_note("kept", "old note")
        pages = s._conn.execute("PRAGMA page_count").fetchone()[0]
        s._conn.execute(f"PRAGMA max_page_count = {pages}")
        yield s


def test_disk_full_write_fails_with_clear_message_and_reads_still_work(
    full_store: StateStore,
) -> None:
    with pytest.raises(StateError) as info:
        full_store.set_note("kept", "x" * 100_000)
    msg = str(info.value)
    assert msg == f"cannot save: database or disk is full ({full_store.path})"
    assert full_store.get("kept").note == "old note"
    assert full_store.get("kept").read


def test_disk_full_bulk_write_leaves_no_partial_state(full_store: StateStore) -> None:
    ids = [f"2201.{i:05d}" for i in range(5000)]
    with pytest.raises(StateError, match="disk is full"):
        full_store.set_read_many(ids)
    assert full_store.get_many(ids) == {}
    conn = sqlite3.connect(str(full_store.path))  # and on disk, as another process sees it
    assert conn.execute("SELECT count(*) FROM marks").fetchone()[0] == 1
    conn.close()
    # Once space is back the store carries on.
    full_store._conn.execute("PRAGMA max_page_count = 1000000")
    full_store.set_read_many(ids)
    assert len(full_store.ids_where(read=True)) == 5001


# ------------------------------------------------------------------ read-only files


def _unprivileged_args() -> list[str] | None:
    """Extra probe args that make it drop root (which ignores permissions)."""
    if os.geteuid() != 0:
        return []
    try:
        import pwd

        nobody = pwd.getpwnam("nobody")
    except (ImportError, KeyError):
        return None
    return [str(nobody.pw_uid), str(nobody.pw_gid)]


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A temp dir an unprivileged child can reach (pytest's tmp_path is 0700)."""
    base = Path(tempfile.mkdtemp(prefix="state-ro-", dir="/tmp"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        for p in [base, *base.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)
        shutil.rmtree(base)


def probe(data_dir: Path, paper_id: str = "kept") -> dict[str, object]:
    extra = _unprivileged_args()
    if extra is None:
        pytest.skip("running as root without a 'nobody' user: permissions cannot be tested")
    result = subprocess.run(
        [sys.executable, str(HELPERS / "readonly_probe.py"), str(data_dir), paper_id, *extra],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def _make_db(data_dir: Path) -> Path:
    with StateStore(data_dir) as s:
        s.set_read("kept")
    return data_dir / DB_FILENAME


def _assert_readonly_but_readable(out: dict[str, object], db: Path) -> None:
    assert out["readonly"] is True, out
    assert out["read"] is True and out["read_after"] is True
    err = str(out["write_error"])
    assert err.startswith("cannot save: ") and err.endswith(f"({db})"), err
    with StateStore(db.parent, readonly=True) as s:
        assert s.get_many(["written-by-probe"]) == {}  # nothing partial got in


def test_read_only_data_dir_and_file_open_read_only_and_keep_reading(shared_dir: Path) -> None:
    data = shared_dir / "data"
    db = _make_db(data)
    db.chmod(0o444)
    data.chmod(0o555)
    out = probe(data)
    assert not (data / f"{DB_FILENAME}-wal").exists()  # nothing created either
    _assert_readonly_but_readable(out, db)


def test_read_only_db_file_in_writable_dir_opens_read_only(shared_dir: Path) -> None:
    data = shared_dir / "data"
    db = _make_db(data)
    db.chmod(0o444)
    data.chmod(0o777)
    out = probe(data)
    _assert_readonly_but_readable(out, db)
    assert "read-only" in str(out["reason"])


def test_missing_db_under_read_only_parent_gives_an_empty_read_only_store(
    shared_dir: Path,
) -> None:
    shared_dir.chmod(0o555)
    out = probe(shared_dir / "data")
    assert out["readonly"] is True and out["read"] is False
    assert "cannot create data dir" in str(out["reason"])
    assert str(out["write_error"]).startswith("cannot save: cannot create data dir")


def test_corrupt_db_in_read_only_dir_is_reported_and_left_untouched(shared_dir: Path) -> None:
    data = shared_dir / "data"
    data.mkdir()
    db = data / DB_FILENAME
    db.write_bytes(b"junk" * 1000)
    db.chmod(0o444)
    data.chmod(0o555)
    out = probe(data)
    err = str(out["open_error"])
    assert "damaged" in err and "could not be moved aside" in err and str(db) in err
    assert db.read_bytes() == b"junk" * 1000


def test_the_integrity_check_is_skipped_only_for_a_file_as_a_clean_close_left_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``PRAGMA quick_check`` reads the whole file (0.5 s for a million
    marks, before the reader's first paint): it runs unless the file is
    exactly as this store's last clean close left it."""
    checks: list[int] = []
    real = StateStore._check_integrity

    def counting(self: StateStore, conn: sqlite3.Connection) -> None:
        checks.append(1)
        real(self, conn)

    monkeypatch.setattr(StateStore, "_check_integrity", counting)
    with StateStore(tmp_path) as store:
        store.set_read("2012.07810")
    assert checks == []  # a new file: nothing to check
    with StateStore(tmp_path) as store:  # as left: not checked again
        assert store.get("2012.07810").read
    assert checks == []
    # Another writer (here plain SQLite), a copy, a crash: the stamp differs.
    conn = sqlite3.connect(tmp_path / "state.sqlite3")
    conn.execute("UPDATE marks SET read = 0")
    conn.commit()
    conn.close()
    with StateStore(tmp_path) as store:
        assert not store.get("2012.07810").read
    assert checks == [1]
    # Damage after a clean close is still found: the bytes changed.
    path = tmp_path / "state.sqlite3"
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    path.write_bytes(bytes(data))
    with pytest.raises(StateCorruptError):
        StateStore(tmp_path)
    assert checks == [1, 1]
    assert list(tmp_path.glob("state.sqlite3.corrupt*"))
