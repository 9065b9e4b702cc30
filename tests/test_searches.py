"""Saved searches: nine slots in searches.json, written atomically; a corrupt
file is moved aside and the list starts empty with a one-line problem."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from digest_tui import searches as searches_mod
from digest_tui.searches import SavedSearches


def test_a_new_data_dir_starts_empty_without_a_problem(tmp_path: Path) -> None:
    saved = SavedSearches(tmp_path / "data")
    assert saved.all() == []
    assert saved.problem is None
    assert saved.get_slot(1) is None
    assert not (tmp_path / "data").exists()  # nothing written until a save


def test_save_appends_in_slot_order_and_persists_as_utf8_json(tmp_path: Path) -> None:
    saved = SavedSearches(tmp_path)
    assert saved.save("GANs", "gan is:unread") == 1
    assert saved.save("Zoë", "author:zoë") == 2
    assert saved.all() == [("GANs", "gan is:unread"), ("Zoë", "author:zoë")]
    assert saved.get_slot(2) == ("Zoë", "author:zoë")
    raw = (tmp_path / "searches.json").read_bytes()
    assert "Zoë".encode() in raw  # UTF-8, not \\u escapes
    assert json.loads(raw) == [
        {"name": "GANs", "query": "gan is:unread"},
        {"name": "Zoë", "query": "author:zoë"},
    ]
    again = SavedSearches(tmp_path)
    assert again.all() == saved.all() and again.problem is None


def test_saving_a_same_named_search_replaces_it_in_its_slot(tmp_path: Path) -> None:
    saved = SavedSearches(tmp_path)
    saved.save("a", "one")
    saved.save("b", "two")
    saved.save("c", "three")
    assert saved.save("b", "TWO") == 2
    assert saved.all() == [("a", "one"), ("b", "TWO"), ("c", "three")]


def test_a_tenth_search_raises_one_line_and_changes_nothing(tmp_path: Path) -> None:
    saved = SavedSearches(tmp_path)
    for i in range(1, 10):
        assert saved.save(f"s{i}", f"q{i}") == i
    before = (tmp_path / "searches.json").read_bytes()
    with pytest.raises(ValueError) as exc:
        saved.save("tenth", "q10")
    assert "\n" not in str(exc.value) and "9" in str(exc.value)
    assert len(saved.all()) == 9
    assert (tmp_path / "searches.json").read_bytes() == before
    assert saved.save("s5", "replaced") == 5  # replacing still works when full


def test_delete_moves_later_searches_up_a_slot(tmp_path: Path) -> None:
    saved = SavedSearches(tmp_path)
    for name in ("a", "b", "c"):
        saved.save(name, name * 2)
    assert saved.delete("b") is True
    assert saved.delete("b") is False
    assert saved.delete("nope") is False
    assert saved.get_slot(2) == ("c", "cc")
    assert SavedSearches(tmp_path).all() == [("a", "aa"), ("c", "cc")]


@pytest.mark.parametrize("slot", [0, -1, 4, 10, True])
def test_get_slot_outside_the_saved_ones_is_none(tmp_path: Path, slot: int) -> None:
    saved = SavedSearches(tmp_path)
    for name in ("a", "b", "c"):
        saved.save(name, "q")
    assert saved.get_slot(slot) is None


def test_names_and_queries_are_kept_on_one_safe_line(tmp_path: Path) -> None:
    saved = SavedSearches(tmp_path)
    saved.save("my\nsearch\x1b[31m", "gan\n  diffusion")
    assert saved.all() == [("my search", "gan diffusion")]
    with pytest.raises(ValueError):
        saved.save("   ", "q")


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'{"name": "a", "query": "b"}',
        b'[{"name": "a"}]',
        b'[{"name": 1, "query": "b"}]',
        b'[{"name": "  ", "query": "b"}]',
        b"\xff\xfe\x00garbage",
    ],
    ids=["invalid-json", "not-a-list", "no-query", "name-not-text", "blank-name", "not-utf8"],
)
def test_a_corrupt_file_is_moved_aside_and_the_list_starts_empty(
    tmp_path: Path, content: bytes
) -> None:
    (tmp_path / "searches.json").write_bytes(content)
    saved = SavedSearches(tmp_path)
    assert saved.all() == []
    assert saved.problem is not None and "\n" not in saved.problem
    assert "searches.json" in saved.problem
    moved = list(tmp_path.glob("searches.json.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == content
    assert moved[0].name in saved.problem
    assert not (tmp_path / "searches.json").exists()
    assert saved.save("fresh", "q") == 1
    assert SavedSearches(tmp_path).all() == [("fresh", "q")]


def test_two_corrupt_files_in_one_second_are_both_kept(tmp_path: Path) -> None:
    for content in (b"{", b"}"):
        (tmp_path / "searches.json").write_bytes(content)
        SavedSearches(tmp_path)
    moved = sorted(p.read_bytes() for p in tmp_path.glob("searches.json.corrupt-*"))
    assert moved == [b"{", b"}"]


def test_more_than_nine_in_the_file_keeps_the_first_nine_with_a_problem(tmp_path: Path) -> None:
    data = [{"name": f"s{i}", "query": f"q{i}"} for i in range(12)]
    (tmp_path / "searches.json").write_text(json.dumps(data), encoding="utf-8")
    saved = SavedSearches(tmp_path)
    assert [n for n, _ in saved.all()] == [f"s{i}" for i in range(9)]
    assert saved.problem is not None and "first 9" in saved.problem


def test_a_failed_write_keeps_the_old_file_and_the_old_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = SavedSearches(tmp_path)
    saved.save("a", "one")
    before = (tmp_path / "searches.json").read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(searches_mod.os, "replace", broken_replace)
    with pytest.raises(OSError):
        saved.save("b", "two")
    with pytest.raises(OSError):
        saved.delete("a")
    monkeypatch.undo()
    assert saved.all() == [("a", "one")]
    assert (tmp_path / "searches.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["searches.json"]  # no temp file left
    assert os.listdir(tmp_path) == ["searches.json"]
