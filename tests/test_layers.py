"""The core never imports Textual; the CLI's non-interactive commands use the core alone."""

from __future__ import annotations

import subprocess
import sys

CORE_MODULES = [
    "digest_tui",
    "digest_tui.models",
    "digest_tui.text",
    "digest_tui.parsing",
    "digest_tui.library",
    "digest_tui.state",
    "digest_tui.query",
    "digest_tui.config",
    "digest_tui.opening",
    "digest_tui.cli",
    "digest_tui.export",
    "digest_tui.sync",
    "digest_tui.links",
    "digest_tui.fsutil",
]


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
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    readme = (repo / "README.md").read_text(encoding="utf-8")
    ci = (repo / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if line.startswith("python3 -m venv")]
    assert len(commands) == 2  # the first screen's two set-up commands
    assert "digest-tui" in commands[0] and "pytest" in commands[1]
    assert commands[1] in ci.splitlines()
