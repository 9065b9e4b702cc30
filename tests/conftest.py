from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

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


def sixty_days(root: Path) -> Path:
    """60 days of one seed digest with shifted ids and dates, in ``root``
    (more than the 50 files after which a first open used to build its
    full-text index last)."""
    root.mkdir()
    text = (SEEDS / "004_ce29fc885a87ee68.txt").read_text(encoding="utf-8")
    for day in range(1, 61):
        date = (dt.date(2021, 1, 1) + dt.timedelta(days=day)).isoformat()
        body = text.replace("2020-11-22", date)
        body = body.replace("arxiv.org/abs/2011.10", f"arxiv.org/abs/2101.{day:02d}")
        body = body.replace("arxiv.org/pdf/2011.10", f"arxiv.org/pdf/2101.{day:02d}")
        (root / f"{date}.md").write_text(body, encoding="utf-8")
    return root


def load_make_corpus() -> ModuleType:
    """``benchmarks/make_corpus.py`` (not a package) as a module, loaded once."""
    loaded = sys.modules.get("make_corpus")
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(
        "make_corpus", REPO / "benchmarks" / "make_corpus.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module
    spec.loader.exec_module(module)
    return module
