"""``state sync`` and ``state merge``: marks through a git repository, merged by git itself."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from digest_tui import gitsync
from digest_tui.cli import main
from digest_tui.gitsync import ATTRIBUTES_LINE, DRIVER, STATE_FILE, driver_command, sync_repo
from digest_tui.state import StateStore
from digest_tui.sync import HEADER

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

T0 = 1_750_000_000.0  # 2025-06-15: fake clocks in the past (future times are refused)
P = [f"2101.0000{i}" for i in range(1, 8)]
MARKERS = ("<<<<<<<", ">>>>>>>", "|||||||", "\n=======\n")


@pytest.fixture(autouse=True)
def _no_user_git_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """git as on a machine where the user configured nothing."""
    empty = tmp_path_factory.mktemp("home") / "gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "EMAIL"):
        monkeypatch.delenv(name, raising=False)


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        timeout=60,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}")
    return proc


@contextmanager
def machine(data_dir: Path, seconds: float) -> Iterator[StateStore]:
    """A machine's store whose clock reads T0 + seconds (a microsecond more per change)."""
    ticks = itertools.count()
    with StateStore(data_dir, clock=lambda: T0 + seconds + next(ticks) / 1e6) as s:
        yield s


def view(s: StateStore) -> dict[str, tuple[bool, bool, str | None, frozenset[str]]]:
    return {pid: (m.read, m.starred, m.note, m.tags) for pid, m in s.all_marks().items()}


def sync(data_dir: Path, repo: Path) -> gitsync.SyncResult:
    with StateStore(data_dir) as s:
        result = sync_repo(s, repo)
    assert result.ok, result.problem
    return result


def make_remote(tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    return remote


def clone(remote: Path, dest: Path) -> Path:
    git(remote.parent, "clone", "-q", str(remote), str(dest))
    return dest


def assert_no_conflict_left(repo: Path) -> None:
    assert git(repo, "status", "--porcelain").stdout == ""
    assert git(repo, "ls-files", "-u").stdout == ""
    assert not (repo / ".git" / "MERGE_HEAD").exists()
    for path in repo.rglob("*"):
        if ".git" not in path.parts and path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not any(m in text for m in MARKERS), path
    history = git(repo, "log", "-p", "--all").stdout
    assert not any(m in history for m in MARKERS[:3]) and "Conflicts:" not in history


# ------------------------------------------------------------------ three machines


@pytest.mark.parametrize("order", list(itertools.permutations("abc")))
def test_three_machines_converge_in_every_order(
    order: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # git's merge driver must do every merge: the fallback would hide a broken driver.
    def no_fallback(*_args: object) -> None:
        raise AssertionError("the merge driver did not run")

    monkeypatch.setattr(gitsync, "_resolve_state_file", no_fallback)
    remote = make_remote(tmp_path)
    repos = {m: clone(remote, tmp_path / f"clone-{m}") for m in "abc"}
    data = {m: tmp_path / f"data-{m}" for m in "abc"}
    p1, p2, p3, p4, p5, p6, p7 = P

    # What all three agree on first: a's marks, synced by a, b, c.
    with machine(data["a"], 0) as a:
        a.set_starred(p1)
        a.add_tag(p2, "x")
        a.add_tag(p3, "old")
        a.set_note(p4, "base")
        a.set_read(p7)
    first = sync(data["a"], repos["a"])
    assert first.set_up and first.pushed and first.sent == 5
    for m in "bc":
        assert len(sync(data[m], repos[m]).updated) == 5

    # Then each machine, offline from the others, changes the same and
    # neighbouring papers (neighbouring lines of the file), each at its own time.
    with machine(data["a"], 100) as a:
        a.set_starred(p1, False)  # unstar; b stars again later
        a.add_tag(p2, "y")
        a.set_note(p5, "a's")
        a.set_read(p7, False)
    with machine(data["b"], 200) as b:
        b.remove_tag(p2, "x")
        b.set_starred(p1, False)
        b.set_starred(p1, True)  # unstarred and starred again, after a's unstar
        b.set_note(p4, "b's")
        b.set_note(p5, "b's, later")
    with machine(data["c"], 300) as c:
        c.remove_tag(p3, "old")
        c.add_tag(p2, "z")
        c.set_note(p4, None)  # a later removal wins over b's note
        c.set_read(p6)
        c.add_tag(p7, "c")

    # Each commits its changes while the remote cannot be reached (a train, a
    # plane), so the histories diverge and the syncs below make git merge.
    for m in "abc":
        git(repos[m], "remote", "set-url", "origin", str(tmp_path / "unreachable.git"))
        with StateStore(data[m]) as s:
            offline = sync_repo(s, repos[m])
        assert offline.committed and not offline.pushed and offline.problem
        git(repos[m], "remote", "set-url", "origin", str(remote))

    for m in order + order:
        sync(data[m], repos[m])

    expected = {
        p1: (False, True, None, frozenset()),
        p2: (False, False, None, {"y", "z"}),
        p3: (False, False, None, frozenset()),
        p4: (False, False, None, frozenset()),
        p5: (False, False, "b's, later", frozenset()),
        p6: (True, False, None, frozenset()),
        p7: (False, False, None, {"c"}),
    }
    states = []
    for m in "abc":
        with StateStore(data[m]) as s:
            assert view(s) == expected, m
            states.append(s.changes())
        assert_no_conflict_left(repos[m])
    assert states[0] == states[1] == states[2]
    files = {(repos[m] / STATE_FILE).read_text(encoding="utf-8") for m in "abc"}
    assert len(files) == 1
    # The histories really diverged, and git merged them (merge commits, no person).
    assert int(git(repos["a"], "rev-list", "--merges", "--count", "HEAD").stdout) >= 1
    assert git(repos["a"], "rev-parse", "HEAD").stdout == git(remote, "rev-parse", "HEAD").stdout
    # Another round changes nothing anywhere.
    for m in order:
        result = sync(data[m], repos[m])
        assert (result.updated, result.sent, result.committed) == (set(), 0, False)


# ------------------------------------------------------------------ set-up and failures


def test_first_sync_sets_the_repository_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = clone(make_remote(tmp_path), tmp_path / "clone")
    (repo / ".gitattributes").write_text("*.bin binary")  # the user's own, kept
    with machine(tmp_path / "d", 0) as s:
        s.set_read(P[0])
    assert main(["state", "sync", str(repo), "--data-dir", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"set up {repo}") and out[1] == (
        "synced marks: 0 papers changed here, 1 sent"
    )
    assert (repo / ".gitattributes").read_text() == f"*.bin binary\n{ATTRIBUTES_LINE}\n"
    driver = git(repo, "config", "--local", f"merge.{DRIVER}.driver").stdout.strip()
    assert driver == driver_command()
    # The attribute is seen by git, and the driver line runs this interpreter.
    check = git(repo, "check-attr", "merge", "--", STATE_FILE).stdout
    assert check.strip().endswith(f"merge: {DRIVER}")
    assert (repo / STATE_FILE).read_text().startswith(HEADER + f"\n{P[0]}\tread=1@")
    assert git(repo, "log", "--format=%an <%ae>").stdout.strip() == (
        "digest-tui <digest-tui@localhost>"
    )
    assert git(repo, "status", "--porcelain").stdout == ""
    # The driver line follows the interpreter: a moved virtualenv is repaired.
    git(repo, "config", "--local", f"merge.{DRIVER}.driver", "/moved/python -m digest_tui")
    assert main(["state", "sync", str(repo), "--data-dir", str(tmp_path / "d")]) == 0
    assert git(repo, "config", f"merge.{DRIVER}.driver").stdout.strip() == driver_command()
    assert capsys.readouterr().out == "synced marks: 0 papers changed here, 0 sent\n"


def test_repo_from_the_config_and_usage_mistakes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path / "d")]
    config = tmp_path / "config.toml"
    config.write_text(f'[sync]\nrepo = "{tmp_path / "clone"}"\n')
    clone(make_remote(tmp_path), tmp_path / "clone")
    assert main(["state", "sync", "--config", str(config), *data]) == 0
    capsys.readouterr()
    (tmp_path / "plain").mkdir()
    for target in (tmp_path / "plain", tmp_path / "missing", tmp_path / "clone" / ".git"):
        assert main(["state", "sync", str(target), *data]) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and "git clone" in err and "git init" in err, err
    empty_config = tmp_path / "empty.toml"
    empty_config.write_text("")
    assert main(["state", "sync", "--config", str(empty_config), *data]) == 2
    assert "[sync] repo" in capsys.readouterr().err


def test_no_network_leaves_marks_intact_and_the_next_sync_catches_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = make_remote(tmp_path)
    repo = clone(remote, tmp_path / "clone")
    git(repo, "remote", "set-url", "origin", str(tmp_path / "gone" / "remote.git"))
    data = tmp_path / "d"
    with machine(data, 0) as s:
        s.set_starred(P[0])
        s.add_tag(P[1], "t")
        s.set_note(P[2], "n")
        before, changes = view(s), s.changes()
    assert main(["state", "sync", str(repo), "--data-dir", str(data)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.splitlines()
    assert len(err) == 1 and err[0].startswith("digest-tui: cannot reach origin: "), err
    assert "next sync" in err[0] and "Traceback" not in captured.err
    with StateStore(data) as s:
        assert view(s) == before and s.changes() == changes
    # Committed locally; when the remote is back, the next sync sends it.
    assert git(repo, "log", "--oneline").stdout.count("\n") == 1
    git(repo, "remote", "set-url", "origin", str(remote))
    assert main(["state", "sync", str(repo), "--data-dir", str(data)]) == 0
    assert capsys.readouterr().out == "synced marks: 0 papers changed here, 0 sent\n"
    other = clone(remote, tmp_path / "other")
    sync(tmp_path / "d2", other)
    with StateStore(tmp_path / "d2") as s:
        assert view(s) == before


def test_a_repository_without_a_remote_commits_locally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "local"
    git(tmp_path, "init", "-q", str(repo))
    with machine(tmp_path / "d", 0) as s:
        s.set_read(P[0])
    assert main(["state", "sync", str(repo), "--data-dir", str(tmp_path / "d")]) == 1
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    assert len(err) == 1 and "no remote 'origin'" in err[0] and "remote add origin" in err[0]
    assert git(repo, "status", "--porcelain").stdout == ""
    assert P[0] in (repo / STATE_FILE).read_text()


def test_a_push_rejected_because_the_remote_moved_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = make_remote(tmp_path)
    repo_a, repo_b = clone(remote, tmp_path / "a"), clone(remote, tmp_path / "b")
    with machine(tmp_path / "da", 0) as a:
        a.set_read(P[0])
    sync(tmp_path / "da", repo_a)
    sync(tmp_path / "db", repo_b)
    with machine(tmp_path / "da", 100) as a:
        a.set_starred(P[1])
    with machine(tmp_path / "db", 200) as b:
        b.set_note(P[1], "from b")
        b.set_read(P[0], False)

    real_call = gitsync._Git.__call__
    pushes: list[Path] = []

    def racing(self: gitsync._Git, *args: str, check: bool = True):  # type: ignore[no-untyped-def]
        if args[0] == "push" and self.repo == repo_a:
            pushes.append(self.repo)
            if len(pushes) == 1:  # b pushes between a's fetch and a's push
                sync(tmp_path / "db", repo_b)
        return real_call(self, *args, check=check)

    monkeypatch.setattr(gitsync._Git, "__call__", racing)
    with StateStore(tmp_path / "da") as a:
        result = sync_repo(a, repo_a)
    assert result.ok and result.pushed and len(pushes) == 2, result
    assert result.updated == {P[0], P[1]}
    monkeypatch.undo()
    sync(tmp_path / "db", repo_b)
    with StateStore(tmp_path / "da") as a, StateStore(tmp_path / "db") as b:
        assert view(a) == view(b)
        assert view(a)[P[1]] == (False, True, "from b", frozenset())
    assert_no_conflict_left(repo_a)


def test_a_pull_by_hand_with_a_broken_driver_is_finished_by_the_next_sync(
    tmp_path: Path,
) -> None:
    remote = make_remote(tmp_path)
    repo_a, repo_b = clone(remote, tmp_path / "a"), clone(remote, tmp_path / "b")
    with machine(tmp_path / "da", 0) as a:
        a.set_read(P[0])
    sync(tmp_path / "da", repo_a)
    sync(tmp_path / "db", repo_b)
    with machine(tmp_path / "da", 100) as a:
        a.set_starred(P[0])
    sync(tmp_path / "da", repo_a)
    with machine(tmp_path / "db", 200) as b:
        b.set_note(P[0], "b")
    assert (
        main(["state", "export", str(repo_b / STATE_FILE), "--data-dir", str(tmp_path / "db")]) == 0
    )
    git(repo_b, "config", "user.name", "b")
    git(repo_b, "config", "user.email", "b@example.invalid")
    git(repo_b, "commit", "-qam", "by hand")
    # The virtualenv moved: the driver line points nowhere.
    git(repo_b, "config", f"merge.{DRIVER}.driver", "/moved/away/python -m digest_tui x %A")
    pulled = git(repo_b, "pull", "--no-rebase", "origin", "HEAD", check=False)
    assert pulled.returncode != 0
    text = (repo_b / STATE_FILE).read_text()
    assert not any(m in text for m in MARKERS)  # no markers even so
    result = sync(tmp_path / "db", repo_b)
    assert result.pushed and result.updated == {P[0]}
    assert_no_conflict_left(repo_b)
    sync(tmp_path / "da", repo_a)
    with StateStore(tmp_path / "da") as a, StateStore(tmp_path / "db") as b:
        assert view(a) == view(b) == {P[0]: (True, True, "b", frozenset())}


def test_git_is_never_given_a_terminal_and_stops_at_its_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "r"
    git(tmp_path, "init", "-q", str(repo))
    # A remote whose transport hangs: git waits on a helper that never answers.
    hang = tmp_path / "hang.sh"
    hang.write_text("#!/bin/sh\nexec sleep 60\n")
    hang.chmod(0o755)
    git(repo, "remote", "add", "origin", "ext::" + str(hang))
    git(repo, "config", "protocol.ext.allow", "always")
    with StateStore(tmp_path / "d") as s:
        s.set_read(P[0])
        result = sync_repo(s, repo, timeout=1.0)
    assert result.problem is not None and "longer than 1 s" in result.problem
    assert result.committed  # the marks are safe in a local commit


# ------------------------------------------------------------------ the merge driver


def test_merge_driver_writes_the_merge_into_ours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at1, at2 = "@2025-06-15T15:06:40.000000Z", "@2025-06-15T15:06:41.000000Z"
    base = tmp_path / "base"
    ours = tmp_path / "ours"
    theirs = tmp_path / "theirs"
    base.write_text(f"{HEADER}\n{P[0]}\tread=1{at1}\n")
    # Ours: a committed conflict (markers and all) and a field from a newer digest-tui.
    ours.write_text(
        f"{HEADER}\n<<<<<<< HEAD\n{P[0]}\tread=0{at2}\tpriority=high{at1}\n=======\n"
        f"{P[0]}\tread=1{at1}\n>>>>>>> x\n{P[1]}\ttag:a=1{at1}\n"
    )
    theirs.write_text(f"{HEADER}\n{P[0]}\tstarred=1{at1}\n{P[1]}\ttag:a=0{at2}\ttag:b=1{at1}\n")
    assert main(["state", "merge", str(base), str(ours), str(theirs)]) == 0
    assert ours.read_text() == (
        f"{HEADER}\n{P[0]}\tread=0{at2}\tstarred=1{at1}\tpriority=high{at1}\n"
        f"{P[1]}\ttag:a=0{at2}\ttag:b=1{at1}\n"
    )
    err = capsys.readouterr().err.splitlines()
    assert all(line.startswith("digest-tui: state merge: ours:") for line in err)
    # A file from a newer format: refused, ours left as it was, exit 1 (git: conflict).
    theirs.write_text("# digest-tui state v9\n")
    before = ours.read_bytes()
    assert main(["state", "merge", str(base), str(ours), str(theirs)]) == 1
    assert ours.read_bytes() == before
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_unknown_fields_of_a_newer_version_survive_a_sync(tmp_path: Path) -> None:
    repo = clone(make_remote(tmp_path), tmp_path / "clone")
    with machine(tmp_path / "d", 0) as s:
        s.set_read(P[0])
    sync(tmp_path / "d", repo)
    path = repo / STATE_FILE
    path.write_text(path.read_text().rstrip("\n") + "\tpriority=2@2025-06-15T15:00:00Z\n")
    git(repo, "-c", "user.name=n", "-c", "user.email=n@example.invalid", "commit", "-qam", "v")
    with machine(tmp_path / "d", 10) as s:
        s.set_starred(P[0])
    result = sync(tmp_path / "d", repo)
    line = path.read_text().splitlines()[1]
    assert line.startswith(f"{P[0]}\tread=1@") and "\tstarred=1@" in line
    assert line.endswith("\tpriority=2@2025-06-15T15:00:00Z")
    assert [w.message for w in result.warnings] == [
        "unknown field 'priority' ignored (from a newer digest-tui?)"
    ]


def test_a_clone_made_before_the_first_push_follows_the_remote_branch(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    repo_a = clone(remote, tmp_path / "a")
    repo_b = clone(remote, tmp_path / "b")  # empty too; its git names the branch otherwise
    git(repo_b, "symbolic-ref", "HEAD", "refs/heads/trunk")
    with machine(tmp_path / "da", 0) as a:
        a.set_read(P[0])
    sync(tmp_path / "da", repo_a)
    assert sync(tmp_path / "db", repo_b).updated == {P[0]}
    assert git(repo_b, "branch", "--show-current").stdout.strip() != "trunk"
    assert git(remote, "branch", "--list").stdout.count("\n") == 1


def test_two_machines_whose_first_syncs_were_offline(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    repos = [clone(remote, tmp_path / f"clone-{n}") for n in range(2)]
    for n, repo in enumerate(repos):
        git(repo, "remote", "set-url", "origin", str(tmp_path / "offline.git"))
        with machine(tmp_path / f"d{n}", n) as s:
            s.set_starred(P[n])
            s.add_tag(P[2], f"t{n}")
            assert sync_repo(s, repo).committed
        git(repo, "remote", "set-url", "origin", str(remote))
    for repo_n in (0, 1, 0):  # two histories with no common commit
        sync(tmp_path / f"d{repo_n}", repos[repo_n])
    with StateStore(tmp_path / "d0") as a, StateStore(tmp_path / "d1") as b:
        assert view(a) == view(b)
        assert view(a)[P[2]] == (False, False, None, {"t0", "t1"})
    for repo in repos:
        assert_no_conflict_left(repo)


def test_sync_settings_in_the_config(tmp_path: Path) -> None:
    from digest_tui.config import load_config

    path = tmp_path / "config.toml"
    path.write_text('[sync]\nrepo = "~/digest-state"\nsync_on_start = true\nsync_on_quit = true\n')
    config = load_config(path)
    assert config.problems == []
    assert config.sync_repo == Path("~/digest-state").expanduser()
    assert config.sync_on_start and config.sync_on_quit
    path.write_text('[sync]\nrepo = 3\nsync_on_start = "yes"\ncolour = 1\n')
    config = load_config(path)
    assert (config.sync_repo, config.sync_on_start, config.sync_on_quit) == (None, False, False)
    assert [p.split(": ", 1)[1] for p in config.problems] == [
        "unknown setting [sync] 'colour' ignored",
        "[sync] 'repo' must be a folder path string",
        "[sync] 'sync_on_start' must be true or false",
    ]
    path.write_text('sync = "~/x"\n')
    assert load_config(path).problems[0].endswith("[sync] must be a table")
