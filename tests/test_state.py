"""Behaviour of the user-state store (digest_tui.state) in normal use."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest_tui.state import DB_FILENAME, MIGRATIONS, Mark, StateError, StateStore


class FakeClock:
    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float = 1.0) -> float:
        self.now += seconds
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[StateStore]:
    with StateStore(tmp_path / "data", clock=clock) as s:
        yield s


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(str(path), isolation_level=None)


# ------------------------------------------------------------------ opening


def test_opening_creates_data_dir_and_db_in_wal_mode_at_current_schema(tmp_path: Path) -> None:
    data = tmp_path / "a" / "b"
    with StateStore(data) as s:
        assert s.path == data / DB_FILENAME
        assert s.path.exists()
        assert not s.readonly and s.readonly_reason is None
        conn = raw(s.path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == StateStore.SCHEMA_VERSION
        assert StateStore.SCHEMA_VERSION == len(MIGRATIONS) >= 1
        cols = [r[1] for r in conn.execute("PRAGMA table_info(marks)")]
        assert cols == ["id", "read", "read_at", "starred", "starred_at", "note", "note_at"]
        cols = [r[1] for r in conn.execute("PRAGMA table_info(tags)")]
        assert cols == ["id", "tag", "added_at"]
        conn.close()


def test_connection_uses_full_sync_and_ten_second_busy_timeout(store: StateStore) -> None:
    conn = store._conn
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000


def test_closed_store_raises_state_error(tmp_path: Path) -> None:
    s = StateStore(tmp_path)
    s.close()
    s.close()  # idempotent
    with pytest.raises(StateError, match="closed"):
        s.get("1")


# ------------------------------------------------------------------ defaults and flags


def test_unknown_id_gets_default_mark_and_no_row(store: StateStore) -> None:
    assert store.get("2005.10825") == Mark("2005.10825")
    assert store.get_many(["2005.10825"]) == {}
    assert store.all_marks() == {}


def test_empty_id_is_rejected(store: StateStore) -> None:
    with pytest.raises(ValueError):
        store.set_read("")
    with pytest.raises(ValueError):
        store.get("  ")


def test_set_read_sets_flag_and_timestamp_and_unmark_stamps_again(
    store: StateStore, clock: FakeClock
) -> None:
    m = store.set_read("2005.10825")
    assert m == Mark("2005.10825", read=True, read_at=1000.0)
    clock.tick(5)
    m = store.set_read("2005.10825", False)
    assert not m.read and m.read_at == 1005.0
    assert store.get("2005.10825") == m


def test_setting_same_value_again_keeps_timestamp(store: StateStore, clock: FakeClock) -> None:
    store.set_starred("x")
    clock.tick()
    assert store.set_starred("x").starred_at == 1000.0
    # Unmarking something never marked is not a change and records nothing.
    assert store.set_read("never", False) == Mark("never")
    assert store.get_many(["never"]) == {}


def test_toggle_read_and_starred_flip_and_stamp(store: StateStore, clock: FakeClock) -> None:
    assert store.toggle_read("quant-ph/9802028").read is True
    clock.tick()
    m = store.toggle_read("quant-ph/9802028")
    assert (m.read, m.read_at) == (False, 1001.0)
    m = store.toggle_starred("quant-ph/9802028")
    assert (m.starred, m.starred_at, m.read) == (True, 1001.0, False)
    assert store.toggle_starred("quant-ph/9802028").starred is False


def test_flags_are_independent(store: StateStore) -> None:
    store.set_read("a")
    store.set_starred("a")
    store.set_read("a", False)
    m = store.get("a")
    assert not m.read and m.starred


# ------------------------------------------------------------------ bulk and undo


def test_set_read_many_returns_previous_values_and_restore_read_undoes_it(
    store: StateStore, clock: FakeClock
) -> None:
    store.set_read("was-read")
    store.set_starred("starred-only")
    clock.tick()
    prev = store.set_read_many(["was-read", "starred-only", "new", "new"])
    assert prev == {"was-read": True, "starred-only": False, "new": False}
    assert store.ids_where(read=True) == {"was-read", "starred-only", "new"}
    assert store.get("was-read").read_at == 1000.0  # unchanged, was already read
    assert store.get("new").read_at == 1001.0

    clock.tick()
    store.restore_read(prev)
    assert store.ids_where(read=True) == {"was-read"}
    assert store.get("starred-only").starred  # other fields untouched
    assert store.get("was-read").read_at == 1000.0


def test_set_read_many_unread_and_large_batches(store: StateStore) -> None:
    ids = [f"2101.{i:05d}" for i in range(2_345)]  # more than one IN-chunk
    assert set(store.set_read_many(ids).values()) == {False}
    assert len(store.ids_where(read=True)) == 2_345
    prev = store.set_read_many(ids[:1000], read=False)
    assert set(prev.values()) == {True}
    assert len(store.ids_where(read=True)) == 1_345
    assert len(store.get_many(ids)) == 2_345


# ------------------------------------------------------------------ tags and notes


def test_tags_add_remove_idempotent_and_stripped(store: StateStore) -> None:
    store.add_tag("a", " to-read ")
    m = store.add_tag("a", "to-read")
    assert m.tags == frozenset({"to-read"})
    store.add_tag("a", "gnn")
    store.add_tag("b", "gnn")
    assert store.get("a").tags == {"to-read", "gnn"}
    assert store.ids_with_tag("gnn") == {"a", "b"}
    assert store.all_tags() == {"gnn": 2, "to-read": 1}
    assert store.remove_tag("a", "gnn").tags == {"to-read"}
    assert store.remove_tag("a", "absent").tags == {"to-read"}
    # A tagged paper has a marks row so ATTACH queries and get_many see it.
    assert "b" in store.ids_where()
    with pytest.raises(ValueError):
        store.add_tag("a", "  ")


def test_notes_set_replace_and_clear(store: StateStore, clock: FakeClock) -> None:
    m = store.set_note("a", "Read section 3 again.\nΣ unicode ok")
    assert m.note == "Read section 3 again.\nΣ unicode ok" and m.note_at == 1000.0
    clock.tick()
    assert store.set_note("a", "same").note_at == 1001.0
    clock.tick()
    assert store.set_note("a", "same").note_at == 1001.0  # unchanged
    m = store.set_note("a", "   ")
    assert m.note is None and m.note_at == 1002.0
    assert store.set_note("a", None).note is None


# ------------------------------------------------------------------ queries


def test_all_marks_get_many_and_ids_where(store: StateStore) -> None:
    store.set_read("r")
    store.set_starred("s")
    store.set_read("rs")
    store.set_starred("rs")
    store.add_tag("t", "x")
    store.set_note("n", "hi")
    marks = store.all_marks()
    assert set(marks) == {"r", "s", "rs", "t", "n"}
    assert marks["t"].tags == {"x"} and marks["n"].note == "hi"
    assert store.get_many(["r", "zzz", "t"]) == {"r": marks["r"], "t": marks["t"]}
    assert store.ids_where(read=True) == {"r", "rs"}
    assert store.ids_where(starred=True) == {"s", "rs"}
    assert store.ids_where(read=True, starred=True) == {"rs"}
    assert store.ids_where(read=False, starred=False) == {"t", "n"}
    assert store.ids_where() == set(marks)


def test_attached_read_only_queries_see_flags_as_zero_one_integers(store: StateStore) -> None:
    store.set_read("r")
    store.set_starred("s")
    conn = sqlite3.connect(":memory:")
    conn.execute("ATTACH DATABASE ? AS st", (f"{store.path.as_uri()}?mode=ro",))
    assert {r[0] for r in conn.execute("SELECT id FROM st.marks WHERE starred = 1")} == {"s"}
    assert {r[0] for r in conn.execute("SELECT id FROM st.marks WHERE read = 1")} == {"r"}
    conn.close()


# ------------------------------------------------------------------ change detection


def test_data_version_changes_when_another_connection_writes(tmp_path: Path) -> None:
    with StateStore(tmp_path) as a, StateStore(tmp_path) as b:
        v0 = a.data_version()
        assert a.data_version() == v0  # stable while nothing happens
        b.set_starred("x")
        v1 = a.data_version()
        assert v1 != v0
        assert a.get("x").starred
        conn = raw(a.path)  # a plain sqlite connection counts too
        conn.execute("UPDATE marks SET read = 1 WHERE id = 'x'")
        conn.close()
        assert a.data_version() != v1


def test_data_version_changes_on_own_writes(store: StateStore) -> None:
    v0 = store.data_version()
    store.set_read("x")
    assert store.data_version() != v0


# ------------------------------------------------------------------ persistence


def test_everything_persists_across_reopen(tmp_path: Path) -> None:
    with StateStore(tmp_path) as s:
        s.set_read("a")
        s.set_starred("b")
        s.add_tag("b", "t")
        s.set_note("c", "note")
        before = s.all_marks()
    with StateStore(tmp_path) as s:
        assert s.all_marks() == before


def test_threads_sharing_one_store_lose_nothing(store: StateStore) -> None:
    def work(t: int) -> None:
        for i in range(100):
            store.toggle_read(f"t{t}-{i}")
            store.add_tag("shared", f"t{t}-{i}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(store.ids_where(read=True)) == 400
    assert len(store.get("shared").tags) == 400


# ------------------------------------------------------------------ read-only mode


def test_readonly_store_reads_but_refuses_writes(tmp_path: Path) -> None:
    with StateStore(tmp_path) as s:
        s.set_read("a")
    with StateStore(tmp_path, readonly=True) as ro:
        assert ro.readonly and ro.readonly_reason
        assert ro.get("a").read
        with pytest.raises(
            StateError, match=r"^cannot save: opened read-only \(.*state\.sqlite3\)$"
        ):
            ro.set_read("b")
        with pytest.raises(StateError, match="cannot save"):
            ro.set_read_many(["b"])
    with StateStore(tmp_path) as s:
        assert s.get_many(["b"]) == {}


def test_readonly_store_on_missing_db_is_empty_and_creates_nothing(tmp_path: Path) -> None:
    with StateStore(tmp_path / "nope", readonly=True) as ro:
        assert ro.readonly and "no state database" in (ro.readonly_reason or "")
        assert ro.get("a") == Mark("a") and ro.all_marks() == {}
        with pytest.raises(StateError, match="cannot save"):
            ro.set_read("a")
    assert not (tmp_path / "nope").exists()


def test_readonly_store_sees_changes_from_a_writer(tmp_path: Path) -> None:
    with StateStore(tmp_path) as w, StateStore(tmp_path, readonly=True) as ro:
        v0 = ro.data_version()
        w.set_starred("z")
        assert ro.data_version() != v0
        assert ro.ids_where(starred=True) == {"z"}


# ------------------------------------------------------------------ migrations


def _fake_v2(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE marks ADD COLUMN priority INTEGER NOT NULL DEFAULT 0")
    conn.execute("UPDATE marks SET priority = 1 WHERE starred = 1")


class StoreWithV2(StateStore):
    """The store as a later digest-tui would have it: one migration more."""

    MIGRATIONS = (*StateStore.MIGRATIONS, _fake_v2)


CURRENT = StateStore.SCHEMA_VERSION
NEXT = CURRENT + 1


def test_v1_database_is_upgraded_by_code_with_a_later_migration(tmp_path: Path) -> None:
    with StateStore(tmp_path) as s:
        s.set_starred("a")
        s.set_read("b")
        before = s.all_marks()
    assert StoreWithV2.SCHEMA_VERSION == NEXT
    with StoreWithV2(tmp_path) as s2:
        assert not s2.readonly
        assert s2.all_marks() == before
        conn = raw(s2.path)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == NEXT
        assert dict(conn.execute("SELECT id, priority FROM marks")) == {"a": 1, "b": 0}
        conn.close()
    # The current database was saved before upgrading.
    backup = raw(tmp_path / f"{DB_FILENAME}.pre-v{NEXT}")
    assert backup.execute("PRAGMA user_version").fetchone()[0] == CURRENT
    assert {r[0] for r in backup.execute("SELECT id FROM marks")} == {"a", "b"}
    backup.close()
    # Reopening at v2 runs nothing again.
    with StoreWithV2(tmp_path) as s2:
        assert s2.get("a").starred


def test_new_database_runs_all_migrations_from_scratch(tmp_path: Path) -> None:
    with StoreWithV2(tmp_path) as s2:
        assert s2._conn.execute("PRAGMA user_version").fetchone()[0] == NEXT
    assert not list(tmp_path.glob(f"{DB_FILENAME}.pre-v*"))


def test_failing_migration_leaves_database_at_old_version(tmp_path: Path) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE marks ADD COLUMN half_done INTEGER")
        raise RuntimeError("boom")

    class Broken(StateStore):
        MIGRATIONS = (*StateStore.MIGRATIONS, broken)

    with StateStore(tmp_path) as s:
        s.set_read("a")
    with pytest.raises(RuntimeError, match="boom"):
        Broken(tmp_path)
    conn = raw(tmp_path / DB_FILENAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == CURRENT
    assert "half_done" not in [r[1] for r in conn.execute("PRAGMA table_info(marks)")]
    conn.close()
    with StateStore(tmp_path) as s:
        assert s.get("a").read


def test_database_from_newer_version_opens_read_only(tmp_path: Path) -> None:
    with StoreWithV2(tmp_path) as s2:
        s2.set_read("a")
    with StateStore(tmp_path) as s:
        assert s.readonly
        assert "newer" in (s.readonly_reason or "")
        assert s.get("a").read
        with pytest.raises(StateError, match=f"cannot save: database schema v{NEXT} is newer"):
            s.set_read("b")
