from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest_tui.cli import main
from digest_tui.tex import to_text

from .conftest import SEEDS


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command in a new process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "digest_tui", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def headings() -> dict[str, str]:
    """id -> title, read straight from the seed files' headings."""
    titles: dict[str, str] = {}
    for path in sorted(SEEDS.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            m = re.match(
                r"### \d+\.(.*?)\s+\[ :arrow_down: \]\(https://arxiv.org/pdf/(.*?)\.pdf\)", line
            )
            if m:
                titles[m.group(2)] = m.group(1).strip()
            elif line.startswith("### "):
                m2 = re.search(r"arxiv.org/abs/([\d.]+?)v\d+", lines[i + 1])
                assert m2
                titles[m2.group(1)] = line[4:].strip()
    return titles


def test_list_ids_over_the_seeds(seeds_dir: Path, tmp_path: Path) -> None:
    proc = run("list", str(seeds_dir), "--format", "ids", "--cache-dir", str(tmp_path / "c"))
    assert proc.returncode == 0, proc.stderr
    ids = proc.stdout.split()
    assert len(ids) == 301
    assert len(set(ids)) == 301
    assert ids.count("2012.07599") == 1
    assert set(ids) == set(headings())


def test_jsonl_titles_equal_headings_and_appearances_merge(seeds_dir: Path, tmp_path: Path) -> None:
    proc = run("list", str(seeds_dir), "--format", "jsonl", "--cache-dir", str(tmp_path / "c"))
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == 301
    expected = headings()
    for rec in records:
        # The headings as written, their TeX shown as text ("$\\colon$" -> ":").
        heading = to_text(html.unescape(expected[rec["id"]]))
        assert rec["title"] == " ".join(heading.split()), rec["id"]
        for key in (
            "id",
            "version",
            "title",
            "authors",
            "abstract",
            "categories",
            "primary_category",
            "pdf_url",
            "abs_url",
            "published",
            "digests",
            "read",
            "starred",
        ):
            assert key in rec
    twice = next(r for r in records if r["id"] == "2012.07599")
    assert (
        sorted(d["date"] for d in twice["digests"]) == ["2020-12-15", "2020-12-15"]
        or len(twice["digests"]) == 2
    )
    assert {Path(d["source"]).name for d in twice["digests"]} == {
        "001_114cc5ff95577f38.txt",
        "004_ce29fc885a87ee68.txt",
    }


def test_star_survives_a_new_process_and_a_deleted_cache(seeds_dir: Path, tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert run("mark", "--star", "2005.10825v1", env=env).returncode == 0
    proc = run("list", str(seeds_dir), "--query", "is:starred", "--format", "ids", env=env)
    assert proc.stdout.split() == ["2005.10825"]
    shutil.rmtree(tmp_path / "cache")
    proc = run("list", str(seeds_dir), "--query", "is:starred", "--format", "ids", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["2005.10825"]
    assert (tmp_path / "cache").is_dir()  # rebuilt


def test_mark_read_and_unstar(seeds_dir: Path, tmp_path: Path, capsys) -> None:
    data = ["--data-dir", str(tmp_path / "d"), "--cache-dir", str(tmp_path / "c")]
    assert main(["mark", "--read", "2005.10825", "2005.10821", *data]) == 0
    assert "marked 2 papers read" in capsys.readouterr().out
    assert main(["list", str(seeds_dir), "-q", "is:read", "-f", "ids", *data]) == 0
    assert sorted(capsys.readouterr().out.split()) == ["2005.10821", "2005.10825"]
    assert main(["mark", "--unread", "2005.10821", *data]) == 0
    capsys.readouterr()
    assert main(["list", str(seeds_dir), "-q", "is:read", "-f", "ids", *data]) == 0
    assert capsys.readouterr().out.split() == ["2005.10825"]


def test_check_reports_format_count_and_warnings(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "d"
    shutil.copytree(SEEDS, folder)
    assert main(["check", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "004_ce29fc885a87ee68.txt: arxiv_fields, 2020-11-22, 28 papers" in out
    assert "000_3ae2b7cffb64a415.txt: arxiv_daily, 2020-05-22, 42 papers" in out
    (folder / "notes.txt").write_text("shopping list\n")
    assert main(["check", str(folder)]) == 1
    assert "notes.txt: not a digest" in capsys.readouterr().out


def test_check_warns_with_file_and_line(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.md"
    text = (SEEDS / "004_ce29fc885a87ee68.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    # Remove every arXiv link of the second entry, so its id cannot be recovered.
    heads = [i for i, line in enumerate(lines) if line.startswith("### ")]
    second, third = heads[1], heads[2]
    lines[second:third] = [x for x in lines[second:third] if "arxiv.org" not in x]
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["check", str(bad)]) == 0
    out = capsys.readouterr().out
    assert "27 papers" in out
    assert re.search(rf"{re.escape(str(bad))}:{second + 1}: ", out), out


@pytest.mark.parametrize(
    "command", ["", "list", "check", "mark", "paths", "export", "state", "state export"]
)
def test_help_on_every_command(command: str) -> None:
    proc = run(*command.split(), "--help")
    assert proc.returncode == 0
    assert "usage: digest-tui" in proc.stdout


def test_user_mistakes_are_one_line_without_traceback(tmp_path: Path) -> None:
    for args in (
        ["list", str(tmp_path / "missing")],
        ["list", str(SEEDS), "--query", "is:banana"],
        ["mark", "--star", "not-an-id"],
        ["list", "--config", str(tmp_path / "nope.toml")],
    ):
        proc = run(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert proc.stderr.startswith("digest-tui: ")


def test_paths_honours_xdg(tmp_path: Path) -> None:
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "dat"),
        "XDG_CACHE_HOME": str(tmp_path / "cac"),
    }
    proc = run("paths", env=env)
    assert proc.returncode == 0
    assert str(tmp_path / "cfg" / "digest-tui" / "config.toml") in proc.stdout
    assert str(tmp_path / "dat" / "digest-tui" / "state.sqlite3") in proc.stdout
    assert str(tmp_path / "cac" / "digest-tui") in proc.stdout
    proc = run("paths", "--data-dir", str(tmp_path / "elsewhere"), env=env)
    assert str(tmp_path / "elsewhere" / "state.sqlite3") in proc.stdout


def test_config_paths_used_when_no_path_given(seeds_dir: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "cfg" / "digest-tui"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").write_text(f'paths = ["{seeds_dir / "004_ce29fc885a87ee68.txt"}"]\n')
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    proc = run("list", "--format", "ids", env=env)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.split()) == 28


def test_no_path_and_no_config_lists_the_builtin_sample() -> None:
    proc = run("list", "--format", "ids")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.split()) == 301


def test_a_mistyped_command_suggests_the_command(tmp_path: Path) -> None:
    proc = run("lsit", "--cache-dir", str(tmp_path / "c"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("digest-tui: 'lsit' is neither a command nor a file or folder")
    assert "did you mean 'list'?" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    proc = run("zzzz")  # nothing like a command: the missing path is the mistake
    assert proc.returncode == 2 and "no such file or folder: zzzz" in proc.stderr


def test_a_path_named_like_a_mistyped_command_is_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest_tui.cli import _mistyped_command

    monkeypatch.chdir(tmp_path)
    assert _mistyped_command("lsit") == "list"
    assert _mistyped_command("exprot") == "export"
    (tmp_path / "lsit").mkdir()
    assert _mistyped_command("lsit") is None
    assert _mistyped_command("--lsit") is None


def test_list_help_explains_the_flags_column() -> None:
    proc = run("list", "--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "flags" in text and "'-r'" in text and "'*u'" in text
    assert "starred" in text and "unread" in text


def test_check_counts_are_singular_for_one(tmp_path: Path, capsys) -> None:
    text = (SEEDS / "004_ce29fc885a87ee68.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    heads = [i for i, line in enumerate(lines) if line.startswith("### ")]
    one = tmp_path / "one.md"
    one.write_text("\n".join(lines[: heads[1]]) + "\n", encoding="utf-8")
    assert main(["check", str(one)]) == 0
    out = capsys.readouterr().out
    assert "1 paper (1 entry), 0 warnings" in out, out
    assert out.splitlines()[-1] == "1 digest, 1 paper, 0 files not digests"
    (tmp_path / "notes.txt").write_text("shopping list\n")
    assert main(["check", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "1 digest, 1 paper, 1 file not a digest"


@pytest.mark.parametrize(
    "query", ["date:2020-99", "date:2020-13-45", "is:sta", "gan title:", '"image fus']
)
@pytest.mark.parametrize("command", ["list", "export -f json"])
def test_a_bad_last_term_is_a_usage_error_not_everything(
    seeds_dir: Path, tmp_path: Path, command: str, query: str
) -> None:
    proc = run(*command.split(), str(seeds_dir), "-q", query, "--cache-dir", str(tmp_path))
    assert proc.returncode == 2, proc.stdout[:200]
    assert proc.stdout == ""
    assert proc.stderr.startswith("digest-tui: bad query: ")
    assert len(proc.stderr.strip().splitlines()) == 1


def _wait_until_blocked_reading_a_pipe(pid: int) -> None:
    """Until the process sleeps in a read of an empty pipe (Linux's wchan)."""
    import time

    wchan = Path(f"/proc/{pid}/wchan")
    deadline = time.monotonic() + 60
    while "pipe_read" not in wchan.read_text():
        assert time.monotonic() < deadline, "the command never read the pipe"
        time.sleep(0.01)


#: Runs the command with its first read of a digest blocked in a read of an
#: empty pipe (standard input), where Ctrl+C finds it as it would a slow disk.
_BLOCKED_READ = """
import sys
from digest_tui import cli, fsutil

real = fsutil.read_regular_file

def blocked(*args, **kwargs):
    sys.stdin.buffer.read(1)
    return real(*args, **kwargs)

fsutil.read_regular_file = blocked
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize("command", ["list", "check", "export -f json"])
def test_ctrl_c_exits_130_without_a_traceback(tmp_path: Path, command: str) -> None:
    import signal

    # Ctrl+C arrives once the command sleeps in that read (a signal sent
    # earlier, between two system calls, would be a race of the test).
    digest = tmp_path / "digest.md"
    digest.write_text("# Arxiv Papers in cs.CV on 2020-11-22\n")
    dirs = [] if command == "check" else ["--cache-dir", str(tmp_path / "c")]
    proc = subprocess.Popen(
        [sys.executable, "-c", _BLOCKED_READ, *command.split(), str(digest), *dirs],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")},
        # As from a terminal, even when these tests run in a background job
        # (which starts its children with SIGINT ignored).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        _wait_until_blocked_reading_a_pipe(proc.pid)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err


def test_the_reader_builds_only_its_own_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building every command's parser took 3.4 ms of each launch."""
    from digest_tui import cli

    seen: list[str | None] = []
    real = cli._build_parsers

    def recording(only: str | None = None) -> dict[str, argparse.ArgumentParser]:
        seen.append(only)
        return real(only)

    monkeypatch.setattr(cli, "_build_parsers", recording)
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert seen == ["open"]
    assert list(real(only="open")) == ["open"]
    assert set(real()) == {"open", *cli.COMMANDS}


_WORDS = [
    "a",
    "b/c",
    "--data-dir",
    "--cache-dir",
    "--config",
    "--data",
    "--data-dir=x",
    "--config=",
    "-",
    "--",
    "-h",
    "--version",
    "-x",
    "x=y",
    "--cache-dir=-q",
    "",
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=7))
def test_the_reader_arguments_read_without_argparse_are_argparse_s(words: list[str]) -> None:
    """``quick_open_args`` gives exactly what argparse gives whenever it reads
    a command line at all; anything it does not read goes to argparse."""
    from digest_tui import cli

    quick = cli.quick_open_args(words)
    if quick is None:
        return
    parser = cli._build_parsers(only="open")["open"]
    expected = vars(parser.parse_args(words))
    assert {name: getattr(quick, name) for name in expected} == expected


def test_plain_reader_arguments_are_read_without_argparse() -> None:
    from digest_tui import cli

    args = cli.quick_open_args(["~/digests", "more", "--cache-dir", "c", "--config=f.toml"])
    assert args is not None
    assert (args.paths, args.cache_dir, args.config, args.data_dir) == (
        ["~/digests", "more"],
        "c",
        "f.toml",
        None,
    )
    for refused in (["--help"], ["a", "--data-dir", "d", "b"], ["--data", "d"], ["--", "a"]):
        assert cli.quick_open_args(refused) is None
