"""The config file: every problem is one line naming the file, and the reader
starts with the defaults for whatever could not be read."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest_tui.cli import main
from digest_tui.config import (
    DEFAULT_CONFIG_TEXT,
    Config,
    load_config,
    only_comments,
    save_setting_theme,
)

from .conftest import SEEDS

DEFAULTS = Config()


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "config.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def assert_one_line_each_naming(config: Config, path: Path, count: int) -> None:
    assert len(config.problems) == count, config.problems
    for problem in config.problems:
        assert "\n" not in problem and "\r" not in problem
        assert problem.startswith(f"{path}: ")


def test_missing_config_file_gives_defaults_and_no_problems(tmp_path: Path) -> None:
    config = load_config(tmp_path / "nope.toml")
    assert config.problems == []
    assert (config.paths, config.opener, config.mark_read_delay, config.theme, config.keys) == (
        [],
        None,
        2.0,
        None,
        {},
    )


@pytest.mark.parametrize(
    "text",
    [
        "paths = [",
        'opener = "unterminated',
        "= 3",
        "mark_read_delay = 2\nmark_read_delay = 3\n",
        "[keys]\n[keys]\n",
        'x = "\x1b[2J"',
        b"theme = \xff\xfe\n",
        "\x00",
    ],
    ids=repr,
)
def test_invalid_toml_gives_one_line_naming_the_file_and_all_defaults(
    tmp_path: Path, text: str | bytes
) -> None:
    path = write(tmp_path, text)
    config = load_config(path)
    assert_one_line_each_naming(config, path, 1)
    assert "invalid TOML" in config.problems[0] and "using defaults" in config.problems[0]
    assert "\x1b" not in config.problems[0]  # the message quotes characters escaped
    assert (config.paths, config.opener, config.mark_read_delay, config.keys) == ([], None, 2.0, {})


def test_unknown_keys_give_one_line_each_and_known_keys_still_apply(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'colour = "red"\nmark_read_delay = 5\n[pager]\nx = 1\n[keys]\nstar = "x"\n',
    )
    config = load_config(path)
    assert_one_line_each_naming(config, path, 2)
    assert config.problems == [
        f"{path}: unknown setting 'colour' ignored",
        f"{path}: unknown setting 'pager' ignored",
    ]
    assert config.mark_read_delay == 5.0 and config.keys == {"star": "x"}


@pytest.mark.parametrize(
    ("text", "setting", "field", "default"),
    [
        ("paths = 3", "'paths'", "paths", []),
        ('paths = ["~/a", 3]', "'paths'", "paths", []),
        ("opener = 1", "'opener'", "opener", None),
        ("opener = ['zathura']", "'opener'", "opener", None),
        ('mark_read_delay = "soon"', "'mark_read_delay'", "mark_read_delay", 2.0),
        ("mark_read_delay = true", "'mark_read_delay'", "mark_read_delay", 2.0),
        ("mark_read_delay = nan", "'mark_read_delay'", "mark_read_delay", 2.0),
        ("mark_read_delay = inf", "'mark_read_delay'", "mark_read_delay", 2.0),
        ("mark_read_delay = -inf", "'mark_read_delay'", "mark_read_delay", 2.0),
        ("theme = 7", "'theme'", "theme", None),
        ("keys = 'star'", "[keys]", "keys", {}),
        ("[keys]\nstar = 1", "[keys] 'star'", "keys", {}),
        ("[keys]\nstar = ''", "[keys] 'star'", "keys", {}),
        ("[keys]\nstar = ['s']", "[keys] 'star'", "keys", {}),
    ],
)
def test_a_wrong_type_gives_one_line_and_that_setting_keeps_its_default(
    tmp_path: Path, text: str, setting: str, field: str, default: object
) -> None:
    path = write(tmp_path, 'opener = "kept {url}"\n' + text if "opener" not in text else text)
    config = load_config(path)
    assert_one_line_each_naming(config, path, 1)
    assert config.problems[0].startswith(f"{path}: {setting} must be")
    assert getattr(config, field) == default
    if "opener" not in text:
        assert config.opener == "kept {url}"  # the rest of the file still applies


def test_key_bindings_to_any_action_are_kept_for_the_reader_to_check(tmp_path: Path) -> None:
    # The core cannot know the reader's binding ids; the reader reports unknown ones.
    path = write(tmp_path, '[keys]\nstar = " s "\nno_such_action = "ctrl+x"\n"odd id" = "f5"\n')
    config = load_config(path)
    assert config.problems == []
    assert config.keys == {"star": "s", "no_such_action": "ctrl+x", "odd id": "f5"}


def test_an_unreadable_config_gives_one_line_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.mkdir()  # a folder where the file should be
    config = load_config(path)
    assert_one_line_each_naming(config, path, 1)
    assert "cannot read config" in config.problems[0]
    assert config.paths == [] and config.mark_read_delay == 2.0


def test_paths_are_expanded_and_a_single_string_is_accepted(tmp_path: Path) -> None:
    home = Path.home()
    config = load_config(write(tmp_path, 'paths = "~/digests"'))
    assert config.paths == [home / "digests"] and config.problems == []


# --------------------------------------------------------------------------
# Config paths that do not exist: `digest-tui list` with no PATH
# --------------------------------------------------------------------------


def test_list_with_a_missing_configured_path_warns_once_and_lists_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    digests = tmp_path / "digests"
    shutil.copytree(SEEDS, digests)
    missing = tmp_path / "gone"
    path = write(tmp_path, f'paths = ["{missing}", "{digests}"]\n')
    code = main(["list", "-f", "ids", "--config", str(path), "--cache-dir", str(tmp_path / "c")])
    out, err = capsys.readouterr()
    assert code == 0
    assert err.splitlines() == [f"digest-tui: {path}: path not found: {missing}"]
    assert len(out.split()) == 301


def test_list_with_every_configured_path_missing_names_each_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    path = write(tmp_path, f'paths = ["{a}", "{b}"]\n')
    code = main(["list", "-f", "ids", "--config", str(path), "--cache-dir", str(tmp_path / "c")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"digest-tui: {path}: path not found: {a}",
        f"digest-tui: {path}: path not found: {b}",
        f"digest-tui: none of the paths in {path} exist",
    ]


def test_list_with_invalid_toml_prints_one_line_and_runs_with_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "paths = [\n")
    code = main(["list", "-f", "ids", "--config", str(path), "--cache-dir", str(tmp_path / "c")])
    out, err = capsys.readouterr()
    assert code == 0
    assert len(err.splitlines()) == 1
    assert err.startswith(f"digest-tui: {path}: invalid TOML")
    assert len(out.split()) > 0  # the default: the built-in sample


def test_list_with_a_missing_config_file_given_explicitly_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["list", "--config", str(tmp_path / "nope.toml")])
    assert code == 2
    assert (
        capsys.readouterr().err == f"digest-tui: config file not found: {tmp_path / 'nope.toml'}\n"
    )


# --------------------------------------------------------------------------
# Saving the theme
# --------------------------------------------------------------------------

COMMENTED = """\
# My digest-tui settings.
paths = ["~/digests", "~/more"]  # two folders

# Links open in zathura.
opener = "zathura {url}"


theme = "textual-dark"  # changed by the reader
mark_read_delay = 0.5

[keys]
# Vim-ish.
star = "s"
theme = "not the top-level theme"
"""


def test_save_theme_replaces_only_the_theme_line_keeping_comments_and_keys(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, COMMENTED)
    save_setting_theme(path, "nord")
    text = path.read_text(encoding="utf-8")
    assert text == COMMENTED.replace(
        'theme = "textual-dark"  # changed by the reader', 'theme = "nord"'
    )
    data = tomllib.loads(text)
    assert data["theme"] == "nord"
    assert data["keys"] == {"star": "s", "theme": "not the top-level theme"}
    config = load_config(path)
    assert config.problems == [] and config.theme == "nord" and config.mark_read_delay == 0.5


def test_save_theme_adds_a_line_before_the_first_table_when_there_is_none(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, '# c\nopener = "x"\n\n[keys]\nstar = "s"\n')
    save_setting_theme(path, "gruvbox")
    text = path.read_text(encoding="utf-8")
    assert text == '# c\nopener = "x"\ntheme = "gruvbox"\n\n[keys]\nstar = "s"\n'
    assert tomllib.loads(text)["keys"] == {"star": "s"}


def test_save_theme_without_a_config_file_writes_the_commented_defaults(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    save_setting_theme(path, "dracula")
    config = load_config(path)
    assert config.problems == [] and config.theme == "dracula"
    assert path.read_text(encoding="utf-8").startswith("# digest-tui configuration.")
    assert not list(path.parent.glob("*.tmp"))


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=["Cs"]), max_size=30))
def test_any_theme_name_round_trips_through_the_file(tmp_path_factory, theme: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    path.write_text(COMMENTED, encoding="utf-8")
    save_setting_theme(path, theme)
    save_setting_theme(path, theme)  # twice: the line it wrote is found again
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["theme"] == theme
    assert data["opener"] == "zathura {url}" and data["keys"]["star"] == "s"
    assert "# Links open in zathura." in path.read_text(encoding="utf-8")


def _toml_is_empty(text: str) -> bool:
    try:
        return tomllib.loads(text) == {}
    except tomllib.TOMLDecodeError:
        return False


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="# \t\n\r\x00\x08\x0b\x1f\x7fa=\"'[]1é\ufeff", max_size=40))
def test_a_config_of_comments_only_is_known_without_tomllib(text: str) -> None:
    """``only_comments`` (the launch's way past ``tomllib``) says yes exactly
    when ``tomllib`` would read an empty table: control characters in a
    comment, a lone carriage return or any key make it say no."""
    assert only_comments(text) == _toml_is_empty(text)


def test_the_config_first_written_is_read_without_tomllib(tmp_path) -> None:
    import subprocess
    import sys

    path = tmp_path / "config.toml"
    path.write_text(DEFAULT_CONFIG_TEXT, encoding="utf-8")
    assert only_comments(DEFAULT_CONFIG_TEXT)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from digest_tui.config import load_config\n"
        f"config = load_config(Path({str(path)!r}))\n"
        "print(config.problems, config.paths, 'tomllib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "[]", "False"]
    path.write_text(DEFAULT_CONFIG_TEXT + 'theme = "nord"\n', encoding="utf-8")
    assert load_config(path).theme == "nord"
