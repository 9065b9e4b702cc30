"""The installed ``digest-tui`` command in a real terminal (tmux): star, quit, restart."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e]


def _missing(what: str) -> None:
    """Skip on a developer's machine without ``what``; in CI (CI set), fail:
    these tests are the only ones that drive the installed command."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} (the end-to-end tests need it in CI)")
    pytest.skip(what)


@pytest.fixture(autouse=True)
def _tmux_required() -> None:
    if shutil.which("tmux") is None:
        _missing("tmux is not installed")


FIRST_TITLE = "Real-Time High-Resolution Background Matting"


def installed_command() -> str:
    """The console script pip installed beside this interpreter."""
    script = Path(sys.executable).with_name("digest-tui")
    if script.exists():
        return str(script)
    found = shutil.which("digest-tui")
    if found is None:
        _missing("digest-tui is not installed as a command")
    return found


class Tmux:
    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"digest-tui-test-{uuid.uuid4().hex[:8]}"
        self.env = env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            check=check,
            env=self.env,
            timeout=30,
        )

    def start(self, command: list[str]) -> None:
        self.run("new-session", "-d", "-s", "main", "-x", "120", "-y", "36", *command)

    def screen(self) -> str:
        proc = self.run("capture-pane", "-p", "-t", "main", check=False)
        return proc.stdout if proc.returncode == 0 else ""

    def alive(self) -> bool:
        return self.run("has-session", "-t", "main", check=False).returncode == 0

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "main", *keys)

    def wait_for(self, predicate, timeout: float = 30.0) -> str:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out; the screen was:\n{screen}")

    def wait_gone(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                return
            time.sleep(0.1)
        raise AssertionError(f"still running; the screen was:\n{self.screen()}")

    def kill(self) -> None:
        self.run("kill-server", check=False)


def terminal_env(tmp_path: Path) -> dict[str, str]:
    """A private config, state and cache for the command, in a 256-colour terminal."""
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "TERM": "xterm-256color",
    }
    env.pop("NO_COLOR", None)
    return env


def listed_ids(folder: Path, query: str, env: dict[str, str]) -> list[str]:
    """What the installed command's ``list`` says, as the core sees the state."""
    proc = subprocess.run(
        [installed_command(), "list", str(folder), "-q", query, "-f", "ids"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def starred_row(screen: str) -> bool:
    return any("★" in line and FIRST_TITLE[:24] in line for line in screen.splitlines())


def test_star_then_quit_then_restart_shows_the_star(seeds_dir: Path, tmp_path: Path) -> None:
    env = terminal_env(tmp_path)
    tmux = Tmux(env)
    command = [installed_command(), str(seeds_dir)]
    try:
        tmux.start(command)
        screen = tmux.wait_for(lambda s: FIRST_TITLE[:24] in s)
        assert not starred_row(screen)
        tmux.keys("s")
        tmux.wait_for(starred_row, timeout=10)
        tmux.keys("q")
        tmux.wait_gone()

        tmux.start(command)
        screen = tmux.wait_for(lambda s: FIRST_TITLE[:24] in s)
        assert starred_row(screen), screen
        tmux.keys("q")
        tmux.wait_gone()
    finally:
        tmux.kill()
    # And the core agrees: the star is in the user's state database.
    assert listed_ids(seeds_dir, "is:starred", env) == ["2012.07810"]


def test_sighup_right_after_a_star_loses_nothing(seeds_dir: Path, tmp_path: Path) -> None:
    """A dropped SSH connection: the terminal goes away right after a mark."""
    env = terminal_env(tmp_path)
    tmux = Tmux(env)
    try:
        tmux.start([installed_command(), str(seeds_dir)])
        tmux.wait_for(lambda s: FIRST_TITLE[:24] in s)
        tmux.keys("s", "j", "r")
        tmux.wait_for(starred_row, timeout=10)
        # Both marks acknowledged on screen (the second row lost its unread dot) ...
        tmux.wait_for(
            lambda s: any("img2pose" in x and not x.startswith("●") for x in s.splitlines()),
            timeout=10,
        )
        # ... and the connection drops at once.
        pid = tmux.run("display-message", "-p", "-t", "main", "#{pane_pid}").stdout.strip()
        os.kill(int(pid), 1)  # SIGHUP, as when the connection drops
        tmux.wait_gone()
    finally:
        tmux.kill()
    assert listed_ids(seeds_dir, "is:starred", env) == ["2012.07810"]
    # The second paper was marked read with `r` just before the hang-up.
    assert "2012.07791" in listed_ids(seeds_dir, "is:read", env)


def test_typing_slash_and_a_query_in_one_burst_filters(seeds_dir: Path, tmp_path: Path) -> None:
    """Keys that arrive in the same terminal read as ``/`` (a paste, a fast
    typist) go into the filter, not to the list as commands."""
    env = terminal_env(tmp_path)
    tmux = Tmux(env)
    try:
        tmux.start([installed_command(), str(seeds_dir)])
        tmux.wait_for(lambda s: FIRST_TITLE[:24] in s)
        tmux.keys("/author:ouyang")  # one write to the terminal
        screen = tmux.wait_for(lambda s: "│ 1 paper ·" in s, timeout=10)
        assert "/ author:ouyang" in screen
        assert "Evolving Search Space" in screen
        tmux.keys(" neural")  # and typing goes on after it, not over it
        tmux.wait_for(lambda s: "/ author:ouyang neural" in s, timeout=10)
        tmux.keys("Escape")
        time.sleep(0.3)  # ESC and q in one read would be alt+q
        tmux.keys("q")
        tmux.wait_gone()
    finally:
        tmux.kill()


def test_a_rescan_after_a_new_entry_keeps_the_cursor_on_its_paper(
    seeds_dir: Path, tmp_path: Path
) -> None:
    """The identity issue's reproduction in a real terminal: j j j puts the
    cursor on "Digital rock reconstruction", a new entry arrives at the top of
    the newest digest, ctrl+r: the cursor stays on that paper, and the new
    paper is not marked read."""
    from tests.test_session import FOURTH_ID, insert_at_top

    env = terminal_env(tmp_path)
    (tmp_path / "config" / "digest-tui").mkdir(parents=True)
    (tmp_path / "config" / "digest-tui" / "config.toml").write_text("mark_read_delay = 1\n")
    tmux = Tmux(env)

    def cursor_title(screen: str) -> str:
        # The detail pane shows the current paper's arXiv id.
        return "2012.07719" if "2012.07719" in screen else ""

    try:
        tmux.start([installed_command(), str(seeds_dir)])
        tmux.wait_for(lambda s: FIRST_TITLE[:24] in s)
        tmux.keys("j", "j", "j")
        tmux.wait_for(lambda s: cursor_title(s) == FOURTH_ID, timeout=10)
        insert_at_top(seeds_dir)
        tmux.keys("C-r")
        tmux.wait_for(lambda s: "PePScenes" in s, timeout=20)
        time.sleep(1.5)  # longer than mark_read_delay: the timer has had its chance
        screen = tmux.screen()
        assert cursor_title(screen) == FOURTH_ID, screen
        tmux.keys("q")
        tmux.wait_gone()
    finally:
        tmux.kill()
    read = listed_ids(seeds_dir, "is:read", env)
    assert "2012.09999" not in read
    assert set(read) <= {"2012.07810", "2012.07791", "2012.07773", FOURTH_ID}


def test_a_failing_editor_gives_the_screen_back(seeds_dir: Path, tmp_path: Path) -> None:
    """`e` with an editor that exits 1 (vim's ``:cq``): the reader comes back,
    redrawn, says what went wrong, and goes on reading keys."""
    editor = tmp_path / "fail-editor.py"
    editor.write_text("import sys\nsys.exit(1)\n", encoding="utf-8")
    env = terminal_env(tmp_path)
    env.pop("VISUAL", None)
    env["EDITOR"] = f"{sys.executable} {editor}"
    tmux = Tmux(env)
    try:
        tmux.start([installed_command(), str(seeds_dir)])
        tmux.wait_for(lambda s: FIRST_TITLE[:24] in s)
        tmux.keys("e")
        # The reader is drawn again, not blank (the one-line message is
        # checked by the Pilot tests; a toast may be gone before a capture).
        tmux.wait_for(lambda s: "q Quit" in s and FIRST_TITLE[:24] in s, timeout=60)
        tmux.keys("s")  # keys work again
        tmux.wait_for(starred_row, timeout=60)
        tmux.keys("q")
        tmux.wait_gone()
    finally:
        tmux.kill()
    assert listed_ids(seeds_dir, "is:noted", env) == []
