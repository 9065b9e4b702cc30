"""The reader syncs marks through a git repository: from the palette, on start, on quit."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from digest_tui import gitsync
from digest_tui.config import Config, Paths
from digest_tui.gitsync import STATE_FILE, sync_repo
from digest_tui.state import StateStore
from tests.tui.conftest import AppFactory
from tests.tui.support import settle

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

SIZE = (120, 36)
FIRST_ID = "2012.07810"  # the paper the list opens on
OTHER_ID = "2012.07717"


@pytest.fixture(autouse=True)
def _no_user_git_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    empty = tmp_path_factory.mktemp("home") / "gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60, check=True
    ).stdout


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(path))
    return path


def other_machine(tmp_path: Path, remote: Path) -> tuple[Path, Path]:
    """Another machine (its data dir and clone) that starred OTHER_ID and synced."""
    repo, data = tmp_path / "other-clone", tmp_path / "other-data"
    git(tmp_path, "clone", "-q", str(remote), str(repo))
    with StateStore(data) as s:
        s.set_starred(OTHER_ID)
        s.add_tag(OTHER_ID, "from-laptop")
        assert sync_repo(s, repo).pushed
    return repo, data


def reader_config(repo: Path, **kw: Any) -> Config:
    return Config(mark_read_delay=-1, sync_repo=repo, **kw)


def messages(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def wait_for(pilot: Any, condition: Any, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise AssertionError(f"timed out; notifications: {messages(pilot.app)}")
        await pilot.pause(0.05)


async def test_sync_marks_from_the_palette(
    make_app: AppFactory, tmp_path: Path, remote: Path
) -> None:
    other_machine(tmp_path, remote)
    repo = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(repo))
    app = make_app(config=reader_config(repo))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert OTHER_ID not in app.marks.starred
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Sync marks")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(m.startswith("Synced marks") for m in messages(app)))
        await settle(pilot)
        assert "Synced marks: 1 paper changed here, 0 sent" in messages(app)
        # The list shows the other machine's marks at once.
        assert OTHER_ID in app.marks.starred
        assert app.marks.tags.get(OTHER_ID) == ("from-laptop",)


async def test_sync_runs_in_a_worker_and_never_blocks_a_key(
    make_app: AppFactory, tmp_path: Path, remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(repo))
    release = threading.Event()
    started = threading.Event()
    real_sync = gitsync.sync_repo

    def slow_sync(*args: Any, **kwargs: Any) -> gitsync.SyncResult:
        started.set()
        assert release.wait(30)
        return real_sync(*args, **kwargs)

    monkeypatch.setattr(gitsync, "sync_repo", slow_sync)
    app = make_app(config=reader_config(repo, sync_on_start=True))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, started.is_set)
        await pilot.pause()
        # While git is busy, keys work: star the first paper.
        await pilot.press("s")
        await pilot.pause()
        assert FIRST_ID in app.marks.starred
        release.set()
        await wait_for(pilot, lambda: any(m.startswith("Synced marks") for m in messages(app)))
        assert "Synced marks: 0 papers changed here, 1 sent" in messages(app)
    assert FIRST_ID in (repo / STATE_FILE).read_text()


async def test_sync_on_quit_sends_the_marks_then_quits(
    make_app: AppFactory, tmp_path: Path, remote: Path, paths: Paths
) -> None:
    other_repo, other_data = other_machine(tmp_path, remote)
    repo = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(repo))
    app = make_app(config=reader_config(repo, sync_on_quit=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")  # star the first paper, then quit
        await pilot.press("q")
        await pilot.pause()
        assert "Syncing marks before quitting…" in messages(app)
        await wait_for(pilot, lambda: not app.is_running)
    assert app.return_code == 0
    # The other machine gets the star; this one got the other's marks on the way out.
    with StateStore(other_data) as s:
        assert sync_repo(s, other_repo).updated == {FIRST_ID}
        assert s.get(FIRST_ID).starred
    with StateStore(paths.data_dir) as s:
        assert s.get(OTHER_ID).starred


async def test_a_failed_sync_on_quit_says_so_and_the_next_quit_quits(
    make_app: AppFactory, tmp_path: Path, remote: Path, paths: Paths
) -> None:
    repo = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(repo))
    git(repo, "remote", "set-url", "origin", str(tmp_path / "no-network.git"))
    app = make_app(config=reader_config(repo, sync_on_quit=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.press("q")
        await wait_for(pilot, lambda: any("Cannot reach origin" in m for m in messages(app)))
        assert app.is_running
        warning = next(m for m in messages(app) if "Cannot reach origin" in m)
        assert warning.endswith(
            "sends it (0 papers changed here, 1 committed locally). Press q again to quit."
        )
        assert "\n" not in warning
        assert FIRST_ID in app.marks.starred  # marks untouched
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running)
    with StateStore(paths.data_dir) as s:
        assert s.get(FIRST_ID).starred


async def test_sync_without_a_repository_says_how_to_set_one(make_app: AppFactory) -> None:
    app = make_app(config=Config(mark_read_delay=-1, sync_on_start=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not any("ync" in m for m in messages(app))  # nothing to sync with: silent
        app.sync_marks()
        await wait_for(pilot, lambda: any("[sync] repo" in m for m in messages(app)))
