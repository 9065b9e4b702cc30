"""The core never imports Textual; the CLI's non-interactive commands use the core alone."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import digest_tui

#: Every module of the package but the reader's own (``digest_tui.tui``).
CORE_MODULES = sorted(
    {"digest_tui"}
    | {
        m.name
        for m in pkgutil.walk_packages(digest_tui.__path__, "digest_tui.")
        if not (m.name == "digest_tui.tui" or m.name.startswith("digest_tui.tui."))
        and m.name != "digest_tui.__main__"
    }
)


def test_the_core_list_holds_the_session_and_the_parsers() -> None:
    assert {"digest_tui.session", "digest_tui.links", "digest_tui.fsutil"} <= set(CORE_MODULES)


def test_core_imports_without_textual() -> None:
    code = (
        "import sys\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    __import__(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_cli_commands_run_without_textual(seeds_dir, tmp_path) -> None:
    code = (
        "import sys\n"
        "from digest_tui.cli import main\n"
        f"rc = main(['list', {str(seeds_dir)!r}, '--format', 'ids', '--limit', '3',"
        f" '--data-dir', {str(tmp_path / 'd')!r}, '--cache-dir', {str(tmp_path / 'c')!r}])\n"
        f"rc |= main(['check', {str(seeds_dir)!r}, '--quiet'])\n"
        "assert rc == 0, rc\n"
        "assert not any(m.startswith('textual') for m in sys.modules), 'textual imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    repo = Path(__file__).resolve().parents[1]
    readme = (repo / "README.md").read_text(encoding="utf-8")
    ci = (repo / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if line.startswith("python3 -m venv")]
    assert len(commands) == 2  # the first screen's two set-up commands
    assert "digest-tui" in commands[0] and "pytest" in commands[1]
    assert commands[1] in ci.splitlines()
    # ... after the linters and the type checker over the whole package.
    lines = ci.splitlines()
    for check in (".venv/bin/ruff check .", ".venv/bin/ruff format --check .", ".venv/bin/mypy"):
        assert lines.index(check) < lines.index(commands[1])


def test_the_version_is_written_once() -> None:
    repo = Path(__file__).resolve().parents[1]
    pyproject = (repo / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert (repo / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_an_up_to_date_index_is_checked_without_the_parsers(seeds_dir, tmp_path) -> None:
    """A warm start (nothing changed on disk) never imports the parsers: they
    are a tenth of the reader's start-up imports."""
    args = f"[{str(seeds_dir)!r}, '-f', 'ids', '--limit', '1', '--cache-dir', {str(tmp_path)!r}]"
    code = (
        "import sys\n"
        "from digest_tui.cli import main\n"
        f"assert main(['list', *{args}]) == 0\n"
        "imported = sorted(m for m in sys.modules if m.startswith('digest_tui.parsing'))\n"
        "print('imported:' + ','.join(imported))\n"
    )
    env_args = [sys.executable, "-c", code]
    first = subprocess.run(env_args, capture_output=True, text=True, check=True).stdout
    assert "imported:digest_tui.parsing" in first  # the first run parses the seeds
    again = subprocess.run(env_args, capture_output=True, text=True, check=True).stdout
    assert again.splitlines()[-1] == "imported:"


def test_the_reader_freezes_what_it_loaded_at_start(seeds_dir, tmp_path) -> None:
    """The read marks (a string a paper) are kept out of the cyclic garbage
    collector's full collections: at a million papers each walked them for
    0.3-0.9 s, in the middle of a key press."""
    code = (
        "import gc, os, sys\n"
        "os.environ['DIGEST_TUI_EXIT_WHEN_READY'] = 'list'\n"
        "from digest_tui.cli import main\n"
        f"rc = main([{str(seeds_dir)!r}, '--cache-dir', {str(tmp_path / 'c')!r},"
        f" '--data-dir', {str(tmp_path / 'd')!r}])\n"
        "print('frozen:', gc.get_freeze_count())\n"
        "sys.exit(rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    frozen = int(out.stdout.split("frozen:")[1])
    assert frozen > 1000


def test_the_reader_collects_no_garbage_until_its_first_paint(seeds_dir, tmp_path) -> None:
    """The launch builds long-lived objects only: the cyclic collector is off
    while the screen is composed and on again (with them frozen) once the
    first screen is painted."""
    code = (
        "import gc, os, sys\n"
        "os.environ['DIGEST_TUI_EXIT_WHEN_READY'] = 'list'\n"
        "from digest_tui.cli import main\n"
        "import digest_tui.tui.app as A\n"
        "seen = {}\n"
        "compose = A.DigestApp.compose\n"
        "def wrapped(self):\n"
        "    seen['compose'] = gc.isenabled()\n"
        "    return compose(self)\n"
        "A.DigestApp.compose = wrapped\n"
        "resume = A.DigestApp._resume_gc\n"
        "def resumed(self):\n"
        "    resume(self)\n"
        "    seen['painted'] = gc.isenabled()\n"
        "A.DigestApp._resume_gc = resumed\n"
        f"rc = main([{str(seeds_dir)!r}, '--cache-dir', {str(tmp_path / 'c')!r},"
        f" '--data-dir', {str(tmp_path / 'd')!r}])\n"
        "print('seen:', seen['compose'], seen['painted'], gc.isenabled())\n"
        "sys.exit(rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("seen:")[1].split() == ["False", "True", "True"]


def test_a_reader_that_quits_leaves_its_state_noted_as_closed_cleanly(seeds_dir, tmp_path) -> None:
    """Its next start then skips the state's integrity check (a read of the
    whole file: 0.5 s for a million marks)."""
    code = (
        "import os, sys\n"
        "os.environ['DIGEST_TUI_EXIT_WHEN_READY'] = 'scanned'\n"
        "from digest_tui.cli import main\n"
        f"sys.exit(main([{str(seeds_dir)!r}, '--cache-dir', {str(tmp_path / 'c')!r},"
        f" '--data-dir', {str(tmp_path / 'd')!r}]))\n"
    )
    for _ in range(2):  # the first run makes the state, the second opens it
        subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert (tmp_path / "d" / "state.sqlite3.checked").is_file()
    assert not (tmp_path / "d" / "state.sqlite3-wal").exists()


#: What a warm start of the reader has no use for before its first screen:
#: the palette's providers, the editor and the opener (imported when used),
#: the parsers (nothing changed on disk) and the standard modules only they or
#: a scan need, and argparse (plain reader arguments are read without it).
NOT_AT_LAUNCH = (
    "digest_tui.parsing",
    "digest_tui.tui.commands",
    "digest_tui.tui.editor",
    "digest_tui.opening",
    "digest_tui.ranking",
    "digest_tui.export",
    "json",
    "glob",
    "shlex",
    "tomllib",
    "argparse",
    "digest_tui.cli_parsers",
    # No worker thread before the first screen: the first one makes the
    # pool (and imports its module), and any shares the GIL with the paint.
    "concurrent.futures.thread",
)


def test_the_reader_first_screen_imports_only_what_it_shows(seeds_dir, tmp_path) -> None:
    """Each import the launch does not need costs every start (our modules
    and the standard library's ones below took 8 ms of a 0.27 s warm start)."""
    code = (
        "import os, sys\n"
        "os.environ['DIGEST_TUI_EXIT_WHEN_READY'] = 'list'\n"
        "from digest_tui.cli import main\n"
        "import digest_tui.tui.app as A\n"
        "seen = []\n"
        "ready = A.DigestApp._bench_ready\n"
        "def said(self):\n"
        "    seen.extend(sorted(sys.modules))\n"
        "    ready(self)\n"
        "A.DigestApp._bench_ready = said\n"
        f"rc = main([{str(seeds_dir)!r}, '--cache-dir', {str(tmp_path / 'c')!r},"
        f" '--data-dir', {str(tmp_path / 'd')!r}])\n"
        "print('modules:' + ','.join(seen))\n"
        "sys.exit(rc)\n"
    )
    argv = [sys.executable, "-c", code]
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    subprocess.run(argv, capture_output=True, text=True, check=True, env=env)  # the index
    out = subprocess.run(argv, capture_output=True, text=True, check=True, env=env).stdout
    modules = out.split("modules:")[1].strip().split(",")
    assert "digest_tui.tui.widgets.paper_list" in modules  # the list was drawn
    unneeded = [m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_AT_LAUNCH)]
    assert unneeded == []
