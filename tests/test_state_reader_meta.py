"""State schema v4: when the reader was last closed, and the versions starred."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from digest_tui.state import DB_FILENAME, MIGRATIONS, StateStore


class StoreAtV3(StateStore):
    """The store as digest-tui had it before v4."""

    MIGRATIONS = MIGRATIONS[:3]


def test_a_v3_database_gains_the_reader_tables_and_keeps_its_marks(tmp_path: Path) -> None:
    with StoreAtV3(tmp_path) as old:
        old.set_starred("2101.00001")
        before = old.all_marks()
    with StateStore(tmp_path) as s:
        assert s.all_marks() == before
        assert s.last_closed() is None
        assert s.seen_versions(["2101.00001"]) == {}
        s.set_last_closed(1234.5)
        s.remember_versions({"2101.00001": 2})
    conn = sqlite3.connect(tmp_path / DB_FILENAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    conn.close()
    assert (tmp_path / f"{DB_FILENAME}.pre-v4").exists()
    with StateStore(tmp_path) as s:
        assert s.last_closed() == 1234.5
        assert s.seen_versions(["2101.00001", "2101.00002"]) == {"2101.00001": 2}
        s.remember_versions({"2101.00001": 3})
        assert s.seen_versions(["2101.00001"]) == {"2101.00001": 3}


def test_reader_memory_is_no_mark_change(tmp_path: Path) -> None:
    with StateStore(tmp_path) as s:
        seq = s.change_seq()
        s.set_last_closed()
        s.remember_versions({"2101.00001": 1})
        assert s.change_seq() == seq  # nothing for a reload or a sync
        assert s.changes() == []
        assert s.last_closed() is not None
