from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "seeds"
REPO = Path(__file__).resolve().parents[1]
# Real digests from public repositories, beside the project (never committed).
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Never touch the real user's config, state or cache."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    for var in ("DIGEST_TUI_DATA_DIR", "DIGEST_TUI_CACHE_DIR", "DIGEST_TUI_CONFIG_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(home))
    yield


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    """A private copy of the five seed digests."""
    target = tmp_path / "digests"
    shutil.copytree(SEEDS, target)
    return target
