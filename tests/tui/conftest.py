"""Fixtures for the reader's tests: private stores, the seeds, a recording opener.

Every app gets explicit paths under ``tmp_path`` (the top-level conftest also
points the XDG variables at a temporary home), so no test touches the real
user's config, state or cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from digest_tui.config import Config, Paths
from digest_tui.library import Library, index_path_for
from digest_tui.state import StateStore
from digest_tui.tui.app import DigestApp
from tests.tui.support import Recorder

AppFactory = Callable[..., DigestApp]


@pytest.fixture(autouse=True)
def _plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same conditions everywhere: not over SSH, colours on, no Textual dev mode."""
    for var in ("SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT", "NO_COLOR", "TEXTUAL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DISPLAY", ":0")


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "config", tmp_path / "data", tmp_path / "cache")


@pytest.fixture
def opener() -> Recorder:
    return Recorder()


@pytest.fixture
def make_app(paths: Paths, seeds_dir: Path, opener: Recorder) -> Iterator[AppFactory]:
    """Build a reader over the seeds (or ``roots``), its index already scanned."""
    opened: list[tuple[Library, StateStore]] = []

    def factory(
        *,
        roots: list[Path] | None = None,
        config: Config | None = None,
        prescan: bool = True,
        **kwargs: Any,
    ) -> DigestApp:
        roots = [seeds_dir] if roots is None else roots
        state = StateStore(paths.data_dir)
        library = Library(index_path_for(paths.cache_dir, roots), roots, state_db=paths.state_db)
        if prescan:
            library.scan()
        opened.append((library, state))
        kwargs.setdefault("opener", opener)
        kwargs.setdefault("state_poll_interval", None)
        kwargs.setdefault("config_file", paths.config_file)
        kwargs.setdefault("sample_path", Path("sample"))
        return DigestApp(
            library,
            state,
            config=config if config is not None else Config(mark_read_delay=-1),
            roots=roots,
            **kwargs,
        )

    yield factory
    for library, state in opened:
        library.close()
        state.close()
