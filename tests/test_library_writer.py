"""The scan's writer side: the full-text index kept with every commit, what
crosses from the parsing workers, the page caches."""

from __future__ import annotations

import pickle
from pathlib import Path

from digest_tui import library
from digest_tui.library import Library, index_path_for

from .conftest import sixty_days


def open_lib(root: Path, tmp_path: Path) -> Library:
    return Library(index_path_for(tmp_path / "cache", [root]), [root])


def _fts_matches(lib: Library, words: str) -> int:
    with lib._read() as conn:
        return int(
            conn.execute(
                "SELECT count(*) FROM papers_fts WHERE papers_fts MATCH ?", (words,)
            ).fetchone()[0]
        )


def test_a_first_open_is_searchable_by_words_at_every_commit(tmp_path: Path) -> None:
    root = sixty_days(tmp_path / "many")
    seen: list[tuple[bool, int, int]] = []
    with open_lib(root, tmp_path) as lib:

        def on_batch(report: library.ScanReport) -> None:
            # Every paper committed is in the full-text index already.
            seen.append((lib.fts_ready, _fts_matches(lib, "the"), len(lib.search(""))))

        lib.scan(workers=2, on_batch=on_batch)
        assert len(seen) > 1
        assert all(ready for ready, _, _ in seen)
        assert all(0 < words <= listed for _, words, listed in seen)
        # The index holds what a rebuild from the papers gives.
        with_fts = lib.search("segmentation").pids.tolist()
        lib._set_meta("fts_ready", "0")
        assert lib.search("segmentation").pids.tolist() == with_fts != []
        lib._set_meta("fts_ready", "1")
        with lib._writer as conn:
            conn.execute("INSERT INTO papers_fts (papers_fts, rank) VALUES ('integrity-check', 1)")


def test_a_full_text_index_left_to_build_is_built_by_the_next_scan(
    seeds_dir: Path, tmp_path: Path
) -> None:
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
        found = lib.search("colorization").pids.tolist()
        assert found
        # As an older version leaves a first open stopped after its last file:
        # papers stored, their full-text index not built yet.
        lib._writer.execute("INSERT INTO papers_fts (papers_fts) VALUES ('delete-all')")
        lib._set_meta("fts_ready", "0")
        assert _fts_matches(lib, "colorization") == 0
        report = lib.scan(workers=1)
        assert not report.changed
        assert lib.fts_ready
        assert _fts_matches(lib, "colorization") == len(found)
        assert lib.search("colorization").pids.tolist() == found


def test_workers_send_plain_rows_not_paper_objects(seeds_dir: Path) -> None:
    path = str(next(p for p in sorted(seeds_dir.iterdir()) if p.suffix == ".txt"))
    _, _, result, rows = library._read_parse_pack(path)
    assert rows and result.papers == []

    def plain(value: object) -> bool:
        if isinstance(value, tuple):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, (str, bytes, int))

    assert all(plain(row) for row in rows)
    # Pickled, no class but the result's own is named.
    blob = pickle.dumps(rows, pickle.HIGHEST_PROTOCOL)
    assert b"digest_tui" not in blob
    whole = library._read_and_parse(path)[2]
    assert [r[0] for r in rows] == [p.id for p in whole.papers]


def test_every_page_cache_is_16_mb_at_most(seeds_dir: Path, tmp_path: Path) -> None:
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
        with lib._read() as conn:
            assert -conn.execute("PRAGMA cache_size").fetchone()[0] <= 16384
        assert -lib._writer.execute("PRAGMA cache_size").fetchone()[0] <= 16384
