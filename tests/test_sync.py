"""State sync: the text file, field-by-field merging, and two machines through git."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from digest_tui.cli import main
from digest_tui.state import DB_FILENAME, Change, StateStore
from digest_tui.sync import (
    HEADER,
    SyncFormatError,
    export_state,
    format_changes,
    format_time,
    parse_state,
    parse_time,
)

T0 = 1_750_000_000.0  # 2025-06-15, a fixed base for the fake clocks (in the past)


@contextmanager
def store_at(data_dir: Path, seconds: float) -> Iterator[StateStore]:
    """A store whose clock reads T0 + seconds (plus a microsecond per change)."""
    ticks = iter(range(1_000_000))
    with StateStore(data_dir, clock=lambda: T0 + seconds + next(ticks) / 1e6) as s:
        yield s


def view(s: StateStore) -> dict[str, tuple[bool, bool, str | None, frozenset[str]]]:
    """What the user sees of each paper."""
    return {pid: (m.read, m.starred, m.note, m.tags) for pid, m in s.all_marks().items()}


def cli(*args: str, data: Path) -> int:
    return main(["state", *args, "--data-dir", str(data)])


# ------------------------------------------------------------------ the file


def test_times_are_utc_iso_with_microseconds() -> None:
    assert format_time(0) == "1970-01-01T00:00:00.000000Z"
    assert format_time(T0 + 0.123456) == "2025-06-15T15:06:40.123456Z"
    assert parse_time("2025-06-15T15:06:40.123456Z") == T0 + 0.123456
    assert parse_time("2025-06-15T15:06:40Z") == T0
    for bad in ("2025-06-15 15:06:40Z", "2025-06-15T15:06:40+01:00", "2027-02-30T00:00:00Z", ""):
        with pytest.raises(ValueError):
            parse_time(bad)


def test_export_is_sorted_one_paper_a_line_and_round_trips(tmp_path: Path) -> None:
    with store_at(tmp_path / "a", 0) as s:
        s.set_read("2005.10825")
        s.set_starred("quant-ph/9802028")
        s.set_note("1706.03762", 'tab\there, "quotes", newline\nand = @ signs')
        s.add_tag("1706.03762", "to read")
        s.add_tag("1706.03762", "a=b@c%")
        s.add_tag("2005.10825", "gone")
        s.remove_tag("2005.10825", "gone")
        before = view(s)
        text, papers = export_state(s, tmp_path / "state.txt")
    assert papers == 3
    assert (tmp_path / "state.txt").read_text(encoding="utf-8") == text
    lines = text.splitlines()
    assert lines[0] == HEADER and HEADER.startswith("# digest-tui state v1 ")
    assert [line.split("\t")[0] for line in lines[1:]] == [
        "1706.03762",
        "2005.10825",
        "quant-ph/9802028",
    ]
    assert lines[2].startswith("2005.10825\tread=1@2025-06-15T15:06:40.000000Z\ttag:gone=0@")
    assert "\tnote=" in lines[1] and "\ttag:to%20read=1@" in lines[1]
    assert "\ttag:a%3Db%40c%25=1@" in lines[1]
    # Into a fresh data dir, and back out byte for byte.
    with StateStore(tmp_path / "b") as b:
        parsed = parse_state(text.encode(), "state.txt")
        assert parsed.warnings == [] and parsed.papers == 3
        assert b.merge(parsed.changes) == {"2005.10825", "1706.03762", "quant-ph/9802028"}
        assert view(b) == before
        assert export_state(b, None)[0] == text


def test_import_twice_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with store_at(tmp_path / "a", 0) as a:
        for i in range(5):
            a.set_read(f"2101.0000{i}")
            a.add_tag(f"2101.0000{i}", "t")
        a.remove_tag("2101.00000", "t")
        export_state(a, tmp_path / "s.txt")
    assert cli("import", str(tmp_path / "s.txt"), data=tmp_path / "b") == 0
    assert capsys.readouterr().out == "5 papers updated\n"
    with StateStore(tmp_path / "b") as b:
        marks, version = b.all_marks(), b.data_version()
        assert b.merge(parse_state((tmp_path / "s.txt").read_bytes(), "s").changes) == set()
        assert b.data_version() == version
        # Another process importing it again: this store sees no change at all.
        assert cli("import", str(tmp_path / "s.txt"), data=tmp_path / "b") == 0
        assert capsys.readouterr().out == "0 papers updated\n"
        assert b.data_version() == version
        assert b.all_marks() == marks


# ------------------------------------------------------------------ merging


def test_the_later_change_of_each_field_wins(tmp_path: Path) -> None:
    pid = "2005.10825"
    with store_at(tmp_path, 100) as s:
        s.set_read(pid)
        s.set_starred(pid)
        s.set_note(pid, "local")
        s.add_tag(pid, "kept")
        s.add_tag(pid, "dropped")
    with StateStore(tmp_path) as s:
        updated = s.merge(
            [
                Change(pid, "read", False, T0 + 50),  # older: loses
                Change(pid, "starred", False, T0 + 150),  # newer: wins
                Change(pid, "note", None, T0 + 150),  # a newer deletion wins
                Change(pid, "tag", False, T0 + 50, "kept"),  # older removal loses
                Change(pid, "tag", False, T0 + 150, "dropped"),  # newer removal wins
                Change(pid, "tag", True, T0 + 150, "new"),
                Change(pid, "tag", True, T0 + 10, "old-removed"),
                Change(pid, "tag", False, T0 + 20, "old-removed"),  # same batch, in order
            ]
        )
        assert updated == {pid}
        m = s.get(pid)
        assert (m.read, m.starred, m.note, m.tags) == (True, False, None, {"kept", "new"})
        assert m.starred_at == T0 + 150 and m.note_at == T0 + 150
        # An older add does not bring back a tag removed later.
        assert not s.merge_field(pid, "tag", True, T0 + 120, tag="dropped")
        assert s.merge_field(pid, "tag", True, T0 + 151, tag="dropped")
        assert "dropped" in s.get(pid).tags


def test_equal_times_resolve_the_same_way_on_both_machines(tmp_path: Path) -> None:
    pid = "2005.10825"
    with store_at(tmp_path / "a", 0) as a, store_at(tmp_path / "b", 0) as b:
        a.set_note(pid, "apple")
        a.set_starred(pid, True)
        b.set_note(pid, "banana")
        b.set_starred(pid, True)
        b.set_starred(pid, False)  # a microsecond later on b's clock: b wins starred
        ca, cb = a.changes(), b.changes()
        a.merge(cb)
        b.merge(ca)
        assert view(a) == view(b)
        assert a.get(pid).note == "banana" and not a.get(pid).starred


def test_merge_is_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with StateStore(tmp_path) as s:
        s.set_read("keep")
        before, version = s.all_marks(), s.data_version()
        calls = 0
        real_apply = StateStore._apply

        def failing(conn: sqlite3.Connection, change: Change) -> None:
            nonlocal calls
            calls += 1
            if calls == 3:
                raise sqlite3.OperationalError("disk I/O error")
            real_apply(conn, change)

        monkeypatch.setattr(StateStore, "_apply", staticmethod(failing))
        with pytest.raises(Exception, match="cannot save: disk I/O error"):
            s.merge([Change(f"p{i}", "read", True, T0) for i in range(5)])
        assert calls == 3
        assert s.all_marks() == before and s.data_version() == version
        with pytest.raises(ValueError, match="unknown field"):
            s.merge([Change("p1", "read", True, T0), Change("p1", "priority", True, T0)])
        assert s.all_marks() == before


def test_v1_database_gains_tag_removals_and_keeps_everything(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / DB_FILENAME)
    StateStore.MIGRATIONS[0](conn)  # the v1 schema, as digest-tui 0.1 wrote it
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO marks (id, read, read_at) VALUES ('a', 1, ?)", (T0,))
    conn.execute("INSERT INTO tags (id, tag, added_at) VALUES ('a', 'x', ?)", (T0,))
    conn.commit()
    conn.close()
    with StateStore(tmp_path, readonly=True) as ro:  # not migrated: export still works
        assert [c.field for c in ro.changes()] == ["read", "tag"]
        before = ro.all_marks()
    with StateStore(tmp_path) as s:
        assert s.all_marks() == before
        s.remove_tag("a", "x")
        assert [(c.field, c.value) for c in s.changes()] == [("read", True), ("tag", False)]
    assert (tmp_path / f"{DB_FILENAME}.pre-v2").exists()


# ------------------------------------------------------------------ bad files


def test_unreadable_lines_are_skipped_with_a_warning_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = "2101.00001\tread=1@2025-06-15T15:06:40.000000Z"
    lines = [
        HEADER,
        good,
        "2101.00002\tread=maybe@2025-06-15T15:06:40.000000Z",
        "2101.00003\tread=1@yesterday",
        "2101.00004\tpriority=1@2025-06-15T15:06:40.000000Z",
        "2101.00005",
        "2101.00006\tnote=not json@2025-06-15T15:06:40.000000Z",
        "2101.00007\tread=1@2025-06-15T15:06:40.000000Z\tread=0@2025-06-15T15:06:40.000000Z",
        "",
        "# a comment",
        "2101.00008\tstarred=1@2025-06-15T15:06:40.000000Z\ttag:x=1@2025-06-15T15:06:40.000000Z",
    ]
    path = tmp_path / "s.txt"
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'2101.00009\tnote="\xff"@x\n')
    assert cli("import", str(path), data=tmp_path / "d") == 1
    out, err = capsys.readouterr()
    assert out == "2 papers updated\n"
    warned = [line.split(": ", 2)[1] for line in err.splitlines()]
    assert warned == [f"{path}:{n}" for n in (3, 4, 5, 6, 7, 8, 12)], err
    assert all(line.startswith("digest-tui: ") for line in err.splitlines())
    with StateStore(tmp_path / "d") as s:
        assert set(s.all_marks()) == {"2101.00001", "2101.00008"}
        assert s.get("2101.00008").tags == {"x"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            f"{HEADER}\n<<<<<<< HEAD\na\tread=1@2025-06-15T15:06:40Z\n=======\n>>>>>>> b\n",
            "conflict",
        ),
        ("2101.00001\tread=1@2025-06-15T15:06:40Z\n", "not a digest-tui state file"),
        ("", "not a digest-tui state file"),
        ("# digest-tui state v2\n", "newer digest-tui"),
    ],
)
def test_files_refused_whole_import_nothing(
    content: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.txt"
    path.write_text(f"{content}", encoding="utf-8")
    with pytest.raises(SyncFormatError, match=message):
        parse_state(path.read_bytes(), str(path))
    with StateStore(tmp_path / "d") as s:
        s.set_read("mine")
        version = s.data_version()
        assert cli("import", str(path), data=tmp_path / "d") == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert len(captured.err.strip().splitlines()) == 1 and message in captured.err
        assert set(s.all_marks()) == {"mine"} and s.data_version() == version


def test_state_command_mistakes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("import", str(tmp_path / "missing.txt"), data=tmp_path / "d") == 2
    assert cli("export", str(tmp_path / "no" / "dir.txt"), data=tmp_path / "d") == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith("digest-tui: ") for line in err)
    # Exporting an empty state writes just the header and creates no database.
    assert cli("export", str(tmp_path / "s.txt"), data=tmp_path / "d") == 0
    assert (tmp_path / "s.txt").read_text() == HEADER + "\n"
    assert not (tmp_path / "d").exists()


def test_format_changes_is_deterministic() -> None:
    changes = [
        Change("b", "tag", True, T0, "z"),
        Change("b", "read", True, T0),
        Change("a", "note", "n", T0),
        Change("b", "tag", False, T0, "a"),
    ]
    text, n = format_changes(changes)
    assert n == 2
    assert text == format_changes(reversed(changes))[0]
    assert text.splitlines()[1:] == [
        'a\tnote="n"@2025-06-15T15:06:40.000000Z',
        "b\tread=1@2025-06-15T15:06:40.000000Z\ttag:a=0@2025-06-15T15:06:40.000000Z"
        "\ttag:z=1@2025-06-15T15:06:40.000000Z",
    ]


# ------------------------------------------------------------------ two machines, one git repo


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
    }
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def clone(remote: Path, dest: Path, name: str) -> Path:
    git(remote.parent, "clone", "-q", str(remote), str(dest))
    for key, value in (
        ("user.name", name),
        ("user.email", f"{name}@example.invalid"),
        ("pull.rebase", "false"),
        ("commit.gpgsign", "false"),
    ):
        git(dest, "config", key, value)
    return dest


def import_stdin(data_dir: Path, content: str) -> subprocess.CompletedProcess[str]:
    """``... | digest-tui state import -`` as the documented workflow runs it."""
    return subprocess.run(
        [sys.executable, "-m", "digest_tui", "state", "import", "-", "--data-dir", str(data_dir)],
        input=content,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_two_machines_sync_through_git_with_conflicting_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    repo_a = clone(remote, tmp_path / "clone-a", "alice")
    repo_b = clone(remote, tmp_path / "clone-b", "bob")
    data_a, data_b = tmp_path / "data-a", tmp_path / "data-b"
    file_a, file_b = repo_a / "digest-state.txt", repo_b / "digest-state.txt"
    p1, p2, p3, p4, p5, p6 = (f"2101.0000{i}" for i in range(1, 7))

    # Machine A, t=100: first marks, exported, committed and pushed.
    with store_at(data_a, 100) as a:
        a.set_read(p1)
        a.set_starred(p2)
        a.set_note(p3, "first")
        a.add_tag(p3, "x")
        a.add_tag(p4, "old")
    assert cli("export", str(file_a), data=data_a) == 0
    git(repo_a, "add", "digest-state.txt")
    git(repo_a, "commit", "-q", "-m", "digest state from a")
    git(repo_a, "push", "-q", "origin", "HEAD:main")

    # Machine B: the recommended cycle (pull, import), then later changes (t=300)
    # to the same papers and a new one, export, commit, push.
    git(repo_b, "pull", "-q", "origin", "main")
    assert cli("import", str(file_b), data=data_b) == 0
    with store_at(data_b, 300) as b:
        assert view(b)[p3] == (False, False, "first", {"x"})
        b.set_read(p1, False)  # same field as A's read at t=100: B is later
        b.set_note(p2, "from b")
        b.set_note(p3, "b's note")
        b.remove_tag(p3, "x")
        b.add_tag(p3, "y")
        b.remove_tag(p4, "old")
        b.set_starred(p5)
    assert cli("export", str(file_b), data=data_b) == 0
    git(repo_b, "commit", "-q", "-am", "digest state from b")
    git(repo_b, "push", "-q", "origin", "HEAD:main")

    # Machine A meanwhile (it has not pulled): changes at t=200, between A's and
    # B's, and one at t=400, after B's; exported and committed.
    with store_at(data_a, 200) as a:
        a.set_starred(p1)
        a.set_note(p3, "a's note at 200")  # B's note at 300 must win
        a.add_tag(p3, "z")
        a.set_read(p6)
    with store_at(data_a, 400) as a:
        a.set_note(p2, "a's note at 400")  # later than B's: A must win
        a.add_tag(p4, "new")
    assert cli("export", str(file_a), data=data_a) == 0
    git(repo_a, "commit", "-q", "-am", "more digest state from a")

    # A pulls: both changed the lines of p1..p4, so git stops with a conflict.
    pulled = git(repo_a, "pull", "origin", "main", check=False)
    assert pulled.returncode != 0 and "CONFLICT" in pulled.stdout + pulled.stderr
    # The conflicted file is refused whole...
    assert cli("import", str(file_a), data=data_a) == 1
    assert "conflict" in capsys.readouterr().err
    # ...so import both sides, export the merge and commit it.
    ours = git(repo_a, "show", ":2:digest-state.txt").stdout
    theirs = git(repo_a, "show", ":3:digest-state.txt").stdout
    proc = import_stdin(data_a, ours)
    assert (proc.returncode, proc.stdout) == (0, "0 papers updated\n"), proc.stderr
    proc = import_stdin(data_a, theirs)
    # B's wins: p1 read, p3 note and tags, p4 tag, p5; not p2 (A's note is later).
    assert (proc.returncode, proc.stdout) == (0, "4 papers updated\n"), proc.stderr
    assert cli("export", str(file_a), data=data_a) == 0
    assert "<<<<<<<" not in file_a.read_text()
    git(repo_a, "add", "digest-state.txt")
    git(repo_a, "commit", "-q", "--no-edit")
    git(repo_a, "push", "-q", "origin", "HEAD:main")

    # B's next cycle: pull (no local change, so no conflict), import.
    git(repo_b, "pull", "-q", "origin", "main")
    capsys.readouterr()
    assert cli("import", str(file_b), data=data_b) == 0
    # A's wins: p1 starred, p2 note, p3 tag z, p4 tag new, p6.
    assert capsys.readouterr().out == "5 papers updated\n"
    assert cli("export", str(file_b), data=data_b) == 0
    assert git(repo_b, "status", "--porcelain").stdout == ""  # B's export == A's merge

    # Both machines see the same state, and the latest change of each field won.
    with StateStore(data_a) as a, StateStore(data_b) as b:
        assert view(a) == view(b)
        assert view(a) == {
            p1: (False, True, None, frozenset()),  # read: B@300; starred: A@200
            p2: (False, True, "a's note at 400", frozenset()),  # note: A@400 over B@300
            p3: (False, False, "b's note", {"y", "z"}),  # x removed by B@300 after A@100
            p4: (False, False, None, {"new"}),  # old removed by B, new added by A
            p5: (False, True, None, frozenset()),
            p6: (True, False, None, frozenset()),
        }
        assert a.changes() == b.changes()


# ------------------------------------------------------------------ hostile files


def state_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "in.txt"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_times_in_the_future_are_refused_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d"
    path = state_file(
        tmp_path,
        "2101.00001\tstarred=1@9999-12-31T23:59:59.999999Z",
        "2101.00002\tread=1@2025-06-15T15:06:40Z\tstarred=1@2999-01-01T00:00:00Z",
    )
    assert cli("import", str(path), data=data) == 1
    out, err = capsys.readouterr()
    assert out == "1 paper updated\n"
    assert [line.split(": ", 2)[1] for line in err.splitlines()] == [f"{path}:2", f"{path}:3"]
    assert "future" in err
    with StateStore(data) as s:
        assert view(s) == {"2101.00002": (True, False, None, frozenset())}
        s.set_starred("2101.00003")
        s.set_starred("2101.00003", False)  # the user's unstar, now
    # Every export keeps working, and the far-future star never comes back.
    assert cli("export", str(tmp_path / "out.txt"), data=data) == 0
    assert cli("import", str(path), data=data) == 1
    with StateStore(data) as s:
        assert not s.get("2101.00001").starred and not s.get("2101.00003").starred


def test_export_never_fails_on_a_stored_time_out_of_range(tmp_path: Path) -> None:
    with StateStore(tmp_path) as s:
        # Stored before imports refused such times (or by another program).
        s.merge([Change("2101.00001", "starred", True, 253402300799.999999)])
        s.merge([Change("2101.00002", "read", True, 9e11)])
        s.set_read("2101.00003")
        text, papers = export_state(s, None)
    assert papers == 1 and text.splitlines()[1].startswith("2101.00003\tread=1@")
    assert format_time(9e11) == "9999-12-31T23:59:59.999999Z"
    assert format_time(-5) == "1970-01-01T00:00:00.000000Z"


def test_a_bad_line_never_aborts_the_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = state_file(
        tmp_path,
        "2101.00001\tread=1@2025-06-15T15:06:40Z",
        '2101.00002\tnote="half a pair \\ud800"@2025-06-15T15:06:40Z',
        '2101.00003\tnote="\\udfff"@2025-06-15T15:06:40Z\tread=1@2025-06-15T15:06:40Z',
        '2101.00004\tnote="' + "[" * 3 + '"@2025-06-15T15:06:40Z',
        "2101.00005\tstarred=1@2025-06-15T15:06:40Z",
    )
    assert cli("import", str(path), data=tmp_path / "d") == 1
    out, err = capsys.readouterr()
    assert out == "3 papers updated\n"
    assert [line.split(": ", 2)[1] for line in err.splitlines()] == [f"{path}:3", f"{path}:4"]
    assert "Traceback" not in err
    with StateStore(tmp_path / "d") as s:
        assert set(s.all_marks()) == {"2101.00001", "2101.00004", "2101.00005"}
        assert s.get("2101.00004").note == "[[["


def test_ids_are_normalised_and_tags_and_notes_cleaned_on_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = "@2025-06-15T15:06:40Z"
    path = state_file(
        tmp_path,
        f"2005.10825v2\tread=1{at}",
        f"arXiv:2005.10821\tstarred=1{at}",
        f"https://arxiv.org/abs/2005.10822v3\ttag:x=1{at}",
        f"math.GT/0309136v1\tread=1{at}",
        f"not-an-id\tread=1{at}",
        f"%1B[31m2005.10823\tread=1{at}",
        f"2005.10824\ttag:%1B]52;c;QUFB%07cv%09x=1{at}\ttag:%1B%5B2J=1{at}",
        f'2005.10826\tnote="\\u001b[2Jsee \\u009b31m\\u0085\\u007f\\u0000§3"{at}',
        f'2005.10827\tnote="\\u001b[2J"{at}',
    )
    assert cli("import", str(path), data=tmp_path / "d") == 1
    out, err = capsys.readouterr()
    warned = [line.split(": ", 2)[1] for line in err.splitlines()]
    assert warned == [f"{path}:6", f"{path}:7", f"{path}:8"], err
    assert "not an arXiv id" in err and "\x1b" not in err
    with StateStore(tmp_path / "d") as s:
        assert view(s) == {
            "2005.10825": (True, False, None, frozenset()),
            "2005.10821": (False, True, None, frozenset()),
            "2005.10822": (False, False, None, {"x"}),
            "math/0309136": (True, False, None, frozenset()),
            "2005.10824": (False, False, None, {"cv x"}),
            "2005.10826": (False, False, "see §3", frozenset()),
            "2005.10827": (False, False, None, frozenset()),  # a note of nothing: none
        }


def test_export_strips_controls_from_notes_and_tags(tmp_path: Path) -> None:
    with StateStore(tmp_path) as s:
        s.set_note("2101.00001", "a\x9b31m\x7f\x85b\x1b]8;;x\x07c\nnext\tline")
        s.add_tag("2101.00001", "t\x1b[1mag")
        s.add_tag("2101.00001", "\x1b[2J")  # nothing left of it: not written
        s.add_tag("2005.10825v2", "versioned id")
        s.set_read("not an arXiv id")
        text, papers = export_state(s, None)
    assert papers == 2
    assert not any(ord(c) < 0x20 and c not in "\t\n" or 0x7F <= ord(c) <= 0x9F for c in text)
    lines = text.splitlines()[1:]
    assert lines[0].startswith("2005.10825\ttag:versioned%20id=1@")
    assert '\tnote="ab\\u0000c' not in lines[1] and '\tnote="abc\\nnext\\tline"@' in lines[1]
    assert "\ttag:tag=1@" in lines[1] and lines[1].count("tag:") == 1
    # What was written imports back without a warning.
    assert parse_state(text.encode(), "x").warnings == []


def test_markdown_export_strips_escapes_from_stored_tags() -> None:
    from digest_tui.export import export_papers
    from digest_tui.models import Paper
    from digest_tui.state import Mark

    paper = Paper(id="2101.00001", title="T", authors=["A"])
    # A tag stored raw before imports cleaned tags (or typed into another tool).
    mark = Mark("2101.00001", tags=frozenset({"\x1b]52;c;QUFB\x07cv\x9b2J"}))
    text = export_papers([paper], "markdown", {"2101.00001": mark})
    assert "  `cv`" in text.splitlines()
    assert not any(ord(c) < 0x20 and c != "\n" or 0x7F <= ord(c) <= 0x9F for c in text)
