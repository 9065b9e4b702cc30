"""The newer settings: [watch], download_dir, export_dir, watch_interval and
sort; each problem is one line naming the file and keeps that default."""

from __future__ import annotations

import re
from pathlib import Path

import platformdirs
import pytest

from digest_tui.config import DEFAULT_CONFIG_TEXT, Config, load_config
from digest_tui.query import SORTS, WatchList


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_of_the_new_settings(tmp_path: Path) -> None:
    config = load_config(tmp_path / "missing.toml")
    assert config.problems == []
    assert config.watch == WatchList()
    assert config.download_dir == Path(platformdirs.user_downloads_dir()) / "arxiv"
    assert config.export_dir is None
    assert config.watch_interval == 30.0
    assert config.sort == "digest"
    assert Config().download_dir == config.download_dir


def test_all_new_settings_are_read_and_paths_expanded(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'download_dir = "~/papers"\n'
        'export_dir = "~/out"\n'
        "watch_interval = 5\n"
        'sort = "Title"\n'
        "[watch]\n"
        'authors = ["Geoffrey Hinton", "  ", " Zoë Ñúñez "]\n'
        'keywords = "diffusion model"\n',
    )
    config = load_config(path)
    assert config.problems == []
    home = Path.home()
    assert config.download_dir == home / "papers"
    assert config.export_dir == home / "out"
    assert config.watch_interval == 5.0 and isinstance(config.watch_interval, float)
    assert config.sort == "title"
    assert config.watch == WatchList(("Geoffrey Hinton", "Zoë Ñúñez"), ("diffusion model",))


def test_watch_interval_zero_means_off_and_is_accepted(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "watch_interval = 0\n"))
    assert config.problems == [] and config.watch_interval == 0.0


@pytest.mark.parametrize(
    ("text", "setting", "field", "default"),
    [
        ("watch = 3", "[watch]", "watch", WatchList()),
        ("[watch]\nauthors = [1]", "[watch] 'authors'", "watch", WatchList()),
        ("[watch]\nkeywords = {a = 1}", "[watch] 'keywords'", "watch", WatchList()),
        ("download_dir = 3", "'download_dir'", "download_dir", None),
        ('download_dir = ""', "'download_dir'", "download_dir", None),
        ("export_dir = ['a']", "'export_dir'", "export_dir", None),
        ("watch_interval = -1", "'watch_interval'", "watch_interval", 30.0),
        ("watch_interval = nan", "'watch_interval'", "watch_interval", 30.0),
        ("watch_interval = true", "'watch_interval'", "watch_interval", 30.0),
        ("watch_interval = '30'", "'watch_interval'", "watch_interval", 30.0),
        ('sort = "newest"', "'sort'", "sort", "digest"),
        ("sort = 1", "'sort'", "sort", "digest"),
    ],
)
def test_a_wrong_new_setting_gives_one_line_and_keeps_its_default(
    tmp_path: Path, text: str, setting: str, field: str, default: object
) -> None:
    path = write(tmp_path, 'opener = "kept {url}"\n' + text + "\n")
    config = load_config(path)
    assert len(config.problems) == 1, config.problems
    problem = config.problems[0]
    assert "\n" not in problem
    assert problem.startswith(f"{path}: {setting} must be")
    expected = Config().download_dir if field == "download_dir" else default
    assert getattr(config, field) == expected
    assert config.opener == "kept {url}"


def test_sort_problem_lists_the_four_sorts(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'sort = "newest"\n'))
    for name in SORTS:
        assert name in config.problems[0]


def test_one_bad_watch_list_keeps_the_other(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[watch]\nauthors = ["Ann"]\nkeywords = 5\n'))
    assert len(config.problems) == 1
    assert config.watch == WatchList(("Ann",), ())


def test_unknown_key_in_watch_is_one_line_and_the_rest_applies(tmp_path: Path) -> None:
    path = write(tmp_path, '[watch]\nauthors = ["Ann"]\nauthor = ["Bob"]\n')
    config = load_config(path)
    assert config.problems == [f"{path}: unknown setting [watch] 'author' ignored"]
    assert config.watch.authors == ("Ann",)


def test_new_settings_are_not_reported_as_unknown(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'download_dir = "/tmp/x"\nexport_dir = "/tmp/y"\nwatch_interval = 1.5\nsort = "id"\n'
        "[watch]\nauthors = []\n",
    )
    assert load_config(path).problems == []


def test_every_setting_in_the_default_config_text_loads_without_problems(tmp_path: Path) -> None:
    # Uncomment every "# key = value" and "# [table]" line of the template.
    lines = []
    for line in DEFAULT_CONFIG_TEXT.splitlines():
        m = re.match(r"^# ((?:\[\w+\])|(?:\w+ = .+))$", line)
        if m:
            lines.append(m.group(1))
    text = "\n".join(lines) + "\n"
    for key in ("download_dir", "export_dir", "watch_interval", "sort", "[watch]", "authors"):
        assert key in text, key
    config = load_config(write(tmp_path, text))
    assert config.problems == []
    assert config.watch.authors and config.watch.keywords
    assert config.sort in SORTS
