"""Where things live, and the TOML config file.

Paths follow platformdirs, which honours ``XDG_CONFIG_HOME``,
``XDG_DATA_HOME`` and ``XDG_CACHE_HOME`` on Linux.  ``--data-dir`` (or the
``DIGEST_TUI_DATA_DIR`` variable) overrides where the user's state lives,
and ``--cache-dir`` / ``DIGEST_TUI_CACHE_DIR`` where the rebuildable index lives.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import platformdirs

from digest_tui.fsutil import (
    TooLargeError,
    atomic_write_bytes,
    read_regular_file,
    write_target,
)
from digest_tui.models import Record
from digest_tui.query import SORTS, WatchList

APP_NAME = "digest-tui"
CONFIG_FILE = "config.toml"

DEFAULT_CONFIG_TEXT = """\
# digest-tui configuration.
# Folders (or files) of digests to open when no path is given:
# paths = ["~/digests"]

# Command that opens links (no shell runs it); {url} is replaced by the link, as one
# argument, canonical and percent-encoded. Empty: the system browser.
# opener = "zathura {url}"

# Seconds a paper stays in the detail pane before it is marked read
# (0: at once; negative: only with the read key).
# mark_read_delay = 2

# Where downloaded PDFs go (default: your Downloads folder, in "arxiv").
# download_dir = "~/papers"

# Where exports are written (default: the current directory).
# export_dir = "~/exports"

# Seconds between checks of the digest folders for new digests while the
# reader runs (0: off).
# watch_interval = 30

# The largest digest file read, in MB (1 to 1024); larger files are skipped
# with a warning.
# max_digest_mb = 64

# The order papers are listed in: "digest" (newest digest first, in each
# digest's own order), "date" (newest published first), "title" or "id".
# sort = "digest"

# Authors and keywords to follow: the query is:watched lists their papers.
# [watch]
# authors = ["Geoffrey Hinton"]
# keywords = ["diffusion model"]

# [keys]
# star = "s"

# Marks on several machines: a clone of your own private git repository
# ('digest-tui state sync' sets it up; see the README).
# [sync]
# repo = "~/digest-state"
# sync_on_start = false
# sync_on_quit = false
"""


class Paths(NamedTuple):
    config_dir: Path
    data_dir: Path
    cache_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / CONFIG_FILE

    @property
    def state_db(self) -> Path:
        return self.data_dir / "state.sqlite3"


def resolve_paths(
    *,
    config_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Paths:
    env = os.environ
    cfg = config_dir or env.get("DIGEST_TUI_CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME)
    data = data_dir or env.get("DIGEST_TUI_DATA_DIR") or platformdirs.user_data_dir(APP_NAME)
    cache = cache_dir or env.get("DIGEST_TUI_CACHE_DIR") or platformdirs.user_cache_dir(APP_NAME)
    return Paths(Path(cfg).expanduser(), Path(data).expanduser(), Path(cache).expanduser())


class Config(Record):
    """The settings of ``config.toml`` (every one has a default)."""

    __slots__ = (
        "paths",
        "opener",
        "mark_read_delay",
        "theme",
        "keys",
        "watch",
        "_download_dir",
        "export_dir",
        "watch_interval",
        "max_digest_mb",
        "sort",
        "sync_repo",
        "sync_on_start",
        "sync_on_quit",
        "source",
        "problems",
    )

    def __init__(
        self,
        paths: list[Path] | None = None,
        opener: str | None = None,
        mark_read_delay: float = 2.0,
        theme: str | None = None,
        keys: dict[str, str] | None = None,
        watch: WatchList | None = None,
        download_dir: Path | None = None,
        export_dir: Path | None = None,  # None: the current directory
        watch_interval: float = 30.0,  # seconds; 0: off
        max_digest_mb: float = 64.0,  # larger digest files are skipped with a warning
        sort: str = "digest",
        sync_repo: Path | None = None,  # [sync] repo: where `state sync` carries the marks
        sync_on_start: bool = False,  # [sync] sync_on_start: the reader syncs when it opens
        sync_on_quit: bool = False,  # [sync] sync_on_quit: ... and when it quits
        source: Path | None = None,
        problems: list[str] | None = None,  # non-fatal, one line each
    ) -> None:
        self.paths: list[Path] = [] if paths is None else paths
        self.opener = opener
        self.mark_read_delay = mark_read_delay
        self.theme = theme
        self.keys: dict[str, str] = {} if keys is None else keys
        self.watch = WatchList() if watch is None else watch
        #: None: the default, found when first asked (platformdirs reads
        #: ``user-dirs.dirs`` for it: not at every launch).
        self._download_dir = download_dir
        self.export_dir = export_dir
        self.watch_interval = watch_interval
        self.max_digest_mb = max_digest_mb
        self.sort = sort
        self.sync_repo = sync_repo
        self.sync_on_start = sync_on_start
        self.sync_on_quit = sync_on_quit
        self.source = source
        self.problems: list[str] = [] if problems is None else problems

    @property
    def download_dir(self) -> Path:
        if self._download_dir is None:
            self._download_dir = default_download_dir()
        return self._download_dir

    @download_dir.setter
    def download_dir(self, value: Path) -> None:
        self._download_dir = value

    @property
    def max_digest_bytes(self) -> int:
        return int(self.max_digest_mb * 2**20)


_KNOWN_KEYS = {
    "paths",
    "opener",
    "mark_read_delay",
    "theme",
    "keys",
    "watch",
    "download_dir",
    "export_dir",
    "watch_interval",
    "max_digest_mb",
    "sort",
    "sync",
}
_WATCH_KEYS = {"authors", "keywords"}
_SYNC_KEYS = {"repo", "sync_on_start", "sync_on_quit"}


def default_download_dir() -> Path:
    """The user's Downloads folder (platformdirs), in a folder ``arxiv``."""
    return Path(platformdirs.user_downloads_dir()) / "arxiv"


def _folder(data: dict[str, Any], key: str, path: Path, problems: list[str]) -> Path | None:
    """A folder setting, expanded; None when absent or wrong (with a problem line)."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return Path(value).expanduser()
    problems.append(f"{path}: {key!r} must be a folder path string")
    return None


# The accepted range of each number setting.  A value outside it is refused
# with a problem line naming the setting and the range, and the default kept.
MARK_READ_DELAY_MAX = 3600.0
WATCH_INTERVAL_RANGE = (1.0, 86400.0)
MAX_DIGEST_MB_RANGE = (1.0, 1024.0)
MIN_DELAY = 0.05  # below this a timer is a busy loop, or never fires at all
#: The config file is read only up to this size (it is a few lines of TOML).
MAX_CONFIG_BYTES = 1 << 20


def _number(
    data: dict[str, Any],
    key: str,
    default: float,
    ok: Callable[[float], bool],
    rule: str,
    path: Path,
    problems: list[str],
) -> float:
    """A number setting, or ``default`` with a problem line saying what it must be."""
    value = data.get(key, default)
    if _is_number(value) and ok(float(value)):
        return float(value)
    problems.append(f"{path}: {key!r} must be {rule}; refused {value!r}, using {default:g}")
    return default


def _is_number(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)  # TOML allows nan and inf
    )


def decode_config(raw: bytes) -> str:
    """The config's text as the loader reads it: UTF-8, a stray byte as U+FFFD."""
    return raw.decode("utf-8", errors="replace")


#: What TOML refuses in a comment: the control characters but tab (a
#: newline ends the comment, and a carriage return must be part of CRLF).
_NOT_IN_COMMENTS = frozenset(chr(c) for c in (*range(0x09), *range(0x0B, 0x20), 0x7F)) - {"\r"}


def only_comments(text: str) -> bool:
    """Whether ``text`` is a TOML document of comments and blank lines only
    (as the config first written is): an empty table, read without
    importing ``tomllib`` (2 ms of every launch)."""
    if not _NOT_IN_COMMENTS.isdisjoint(text) or "\r" in text.replace("\r\n", ""):
        return False
    for line in text.split("\n"):
        body = line.lstrip(" \t")
        if body and body[0] != "#" and body != "\r":
            return False
    return True


def load_config(path: Path) -> Config:
    """Read the config file.  A missing file gives the defaults.

    Problems never raise: each becomes one line in ``Config.problems`` naming
    the file, and the affected setting keeps its default.
    """
    config = Config(source=path)
    try:
        raw = read_regular_file(path, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        return config
    except TooLargeError:
        config.problems.append(
            f"{path}: cannot read config: larger than {MAX_CONFIG_BYTES // 1024} KB; using defaults"
        )
        return config
    except OSError as exc:
        config.problems.append(f"{path}: cannot read config: {exc.strerror or exc}")
        return config
    text = decode_config(raw)
    if only_comments(text):
        return config
    import tomllib  # only when there is a setting to read

    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        config.problems.append(f"{path}: invalid TOML ({exc}); using defaults")
        return config
    except RecursionError:
        config.problems.append(f"{path}: invalid TOML (nested too deeply); using defaults")
        return config
    for key in sorted(set(data) - _KNOWN_KEYS):
        config.problems.append(f"{path}: unknown setting {key!r} ignored")
    paths = data.get("paths", [])
    if isinstance(paths, str):
        paths = [paths]
    if isinstance(paths, list) and all(isinstance(p, str) for p in paths):
        config.paths = [Path(p).expanduser() for p in paths]
    else:
        config.problems.append(f"{path}: 'paths' must be a list of strings")
    opener = data.get("opener")
    if opener is None or isinstance(opener, str):
        config.opener = opener or None
    else:
        config.problems.append(f"{path}: 'opener' must be a string")
    config.mark_read_delay = _number(
        data,
        "mark_read_delay",
        config.mark_read_delay,
        lambda v: v <= 0 or MIN_DELAY <= v <= MARK_READ_DELAY_MAX,
        f"a number of seconds: 0 (at once), negative (only with the read key)"
        f" or {MIN_DELAY:g} to {MARK_READ_DELAY_MAX:g}",
        path,
        config.problems,
    )
    theme = data.get("theme")
    if theme is None or isinstance(theme, str):
        config.theme = theme
    else:
        config.problems.append(f"{path}: 'theme' must be a string")
    keys = data.get("keys", {})
    if isinstance(keys, dict):
        for action, key in keys.items():
            if isinstance(key, str) and key.strip():
                config.keys[str(action)] = key.strip()
            else:
                config.problems.append(f"{path}: [keys] {action!r} must be a key name string")
    else:
        config.problems.append(f"{path}: [keys] must be a table")
    _load_new_settings(config, data, path)
    _load_sync_settings(config, data, path)
    return config


def _load_sync_settings(config: Config, data: dict[str, Any], path: Path) -> None:
    """``[sync]``: ``repo``, ``sync_on_start``, ``sync_on_quit``."""
    table = data.get("sync", {})
    if not isinstance(table, dict):
        config.problems.append(f"{path}: [sync] must be a table")
        return
    for key in sorted(set(table) - _SYNC_KEYS):
        config.problems.append(f"{path}: unknown setting [sync] {key!r} ignored")
    repo = table.get("repo")
    if isinstance(repo, str) and repo.strip():
        config.sync_repo = Path(repo.strip()).expanduser()
    elif repo is not None:
        config.problems.append(f"{path}: [sync] 'repo' must be a folder path string")
    for key in ("sync_on_start", "sync_on_quit"):
        value = table.get(key, False)
        if isinstance(value, bool):
            setattr(config, key, value)
        else:
            config.problems.append(f"{path}: [sync] {key!r} must be true or false")


def _load_new_settings(config: Config, data: dict[str, Any], path: Path) -> None:
    """``[watch]``, ``download_dir``, ``export_dir``, ``watch_interval`` and ``sort``."""
    watch = data.get("watch", {})
    if isinstance(watch, dict):
        for key in sorted(set(watch) - _WATCH_KEYS):
            config.problems.append(f"{path}: unknown setting [watch] {key!r} ignored")
        lists: dict[str, tuple[str, ...]] = {}
        for key in sorted(_WATCH_KEYS):
            value = watch.get(key, [])
            if isinstance(value, str):
                value = [value]
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                lists[key] = tuple(v.strip() for v in value if v.strip())
            else:
                config.problems.append(f"{path}: [watch] {key!r} must be a list of strings")
        config.watch = WatchList(lists.get("authors", ()), lists.get("keywords", ()))
    else:
        config.problems.append(f"{path}: [watch] must be a table")
    download_dir = _folder(data, "download_dir", path, config.problems)
    if download_dir is not None:
        config.download_dir = download_dir
    config.export_dir = _folder(data, "export_dir", path, config.problems)
    low, high = WATCH_INTERVAL_RANGE
    config.watch_interval = _number(
        data,
        "watch_interval",
        config.watch_interval,
        lambda v: v == 0 or low <= v <= high,
        f"a number of seconds: 0 (off) or {low:g} to {high:g}",
        path,
        config.problems,
    )
    low, high = MAX_DIGEST_MB_RANGE
    config.max_digest_mb = _number(
        data,
        "max_digest_mb",
        config.max_digest_mb,
        lambda v: low <= v <= high,
        f"a number of megabytes from {low:g} to {high:g}",
        path,
        config.problems,
    )
    sort = data.get("sort", "digest")
    if isinstance(sort, str) and sort.strip().lower() in SORTS:
        config.sort = sort.strip().lower()
    else:
        config.problems.append(f"{path}: 'sort' must be one of {', '.join(SORTS)}")


# [ \t], not \s: "\s*" at a line start would also take the blank lines before.
_THEME_LINE = re.compile(r"^[ \t]*theme[ \t]*=.*$", re.MULTILINE)
_TABLE_LINE = re.compile(r"^\s*\[", re.MULTILINE)


def save_setting_theme(path: Path, theme: str) -> None:
    """Keep the chosen theme in the config file, preserving everything else.

    The top-level ``theme = ...`` line is replaced (or added before the first
    table); comments and other settings are left as they are, byte for byte
    (even bytes that are not UTF-8).  The file is replaced atomically; a
    symlinked config is written through to its target, which keeps its mode.
    Raises :class:`OSError` when it cannot be read or written.
    """
    try:
        text = read_regular_file(path, MAX_CONFIG_BYTES).decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        text = DEFAULT_CONFIG_TEXT
    # A JSON string is a TOML basic string, once DEL (which TOML wants
    # escaped) is; non-ASCII stays as it is (no surrogate-pair escapes).
    import json  # only here: not at every launch

    quoted = json.dumps(theme, ensure_ascii=False).replace("\x7f", "\\u007f")
    line = f"theme = {quoted}"
    first_table = _TABLE_LINE.search(text)
    head_end = first_table.start() if first_table else len(text)
    head, tail = text[:head_end], text[head_end:]
    if _THEME_LINE.search(head):
        head = _THEME_LINE.sub(lambda _m: line, head, count=1)
    else:
        if head and not head.endswith("\n"):
            head += "\n"
        head += line + "\n"
        if tail and not tail.startswith(("\n", "\r\n")):  # one blank line, not two
            head += "\n"
    target = write_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Bytes that are not UTF-8 (a Latin-1 comment) are written back as they were.
    atomic_write_bytes(target, (head + tail).encode("utf-8", "surrogateescape"))


def sample_dir() -> Path:
    """The built-in sample digests shipped with the package."""
    return Path(__file__).resolve().parent / "sample"
