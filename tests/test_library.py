from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from digest_tui import library as library_module
from digest_tui import parsing
from digest_tui.library import Library, index_path_for
from digest_tui.state import StateStore

from .conftest import CORPUS, SEEDS, sixty_days


def open_lib(root: Path, tmp_path: Path, **kw) -> Library:
    return Library(index_path_for(tmp_path / "cache", [root]), [root], **kw)


@pytest.fixture
def parse_counter(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every file the library parses (in this process)."""
    seen: list[str] = []
    real = parsing.parse_bytes

    def counting(data: bytes, source: str):
        seen.append(source)
        return real(data, source)

    monkeypatch.setattr(parsing, "parse_bytes", counting)
    return seen


def test_seeds_give_301_papers_with_merged_appearances(seeds_dir: Path, tmp_path: Path) -> None:
    with open_lib(seeds_dir, tmp_path) as lib:
        report = lib.scan(workers=1)
        assert report.files_parsed == 5
        assert lib.count() == 301
        pid = lib.pid_of("2012.07599")
        assert pid is not None
        paper = lib.paper(pid)
        assert paper is not None
        assert len(paper.appearances) == 2
        assert {Path(a.source).name for a in paper.appearances} == {
            "001_114cc5ff95577f38.txt",
            "004_ce29fc885a87ee68.txt",
        }
        # The richer format gives the authors even though the other one has none.
        assert paper.authors


def test_default_order_is_newest_digest_first_then_digest_order(
    seeds_dir: Path, tmp_path: Path
) -> None:
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
        result = lib.search("")
        assert len(result) == 301
        assert result.dates == sorted(result.dates, reverse=True)
        first = lib.rows(result.pids[:2])
        # The newest seed is 2020-12-15; its first entry heads the list.
        assert first[result.pids[0]].date == "2020-12-15"
        assert first[result.pids[0]].title == "Real-Time High-Resolution Background Matting"


def test_reopening_unchanged_folder_parses_nothing(
    seeds_dir: Path, tmp_path: Path, parse_counter: list[str]
) -> None:
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
    assert len(parse_counter) == 5
    parse_counter.clear()
    with open_lib(seeds_dir, tmp_path) as lib:
        report = lib.scan(workers=1)
        assert report.files_parsed == 0
        assert report.files_unchanged == 5
        assert lib.count() == 301
    assert parse_counter == []


def test_opening_an_up_to_date_index_writes_nothing(seeds_dir: Path, tmp_path: Path) -> None:
    """A warm start only reads the index: its schema is written when the
    index is made (or upgraded), not at every open."""
    import sqlite3

    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
        path = lib.path
    watcher = sqlite3.connect(path)
    try:
        before = watcher.execute("PRAGMA data_version").fetchone()[0]
        with open_lib(seeds_dir, tmp_path) as lib:
            assert lib.count() == 301
        # data_version moves when another connection commits to the file.
        assert watcher.execute("PRAGMA data_version").fetchone()[0] == before
        with open_lib(seeds_dir, tmp_path, max_digest_bytes=2**20) as lib:
            pass  # a changed limit is written (files skipped for it are read again)
        assert watcher.execute("PRAGMA data_version").fetchone()[0] != before
    finally:
        watcher.close()


def test_touched_file_alone_is_parsed_again(
    seeds_dir: Path, tmp_path: Path, parse_counter: list[str]
) -> None:
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
    parse_counter.clear()
    touched = seeds_dir / "002_906e1fea553eeaa8.txt"
    st = touched.stat()
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    with open_lib(seeds_dir, tmp_path) as lib:
        report = lib.scan(workers=1)
        assert report.files_parsed == 1
        assert lib.count() == 301
    assert parse_counter == [str(touched.resolve())]


def test_dropped_file_loses_its_appearances(seeds_dir: Path, tmp_path: Path) -> None:
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
    (seeds_dir / "004_ce29fc885a87ee68.txt").unlink()
    with open_lib(seeds_dir, tmp_path) as lib:
        report = lib.scan(workers=1)
        assert report.files_removed == 1
        # 28 papers were in that file; 2012.07599 is still in another one.
        assert lib.count() == 301 - 27
        pid = lib.pid_of("2012.07599")
        assert pid is not None
        paper = lib.paper(pid)
        assert paper is not None and len(paper.appearances) == 1
        assert lib.search("2011.10904").pids.tolist() == []


def test_new_parser_version_reparses_everything(
    seeds_dir: Path, tmp_path: Path, parse_counter: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
    parse_counter.clear()
    # The version an index is checked against (digest_tui.models.PARSER_VERSION).
    monkeypatch.setattr(library_module, "PARSER_VERSION", parsing.PARSER_VERSION + 1)
    with open_lib(seeds_dir, tmp_path) as lib:
        assert lib.scan(workers=1).files_parsed == 5
    assert len(parse_counter) == 5


def test_corrupt_index_is_rebuilt(seeds_dir: Path, tmp_path: Path) -> None:
    index = index_path_for(tmp_path / "cache", [seeds_dir])
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
    index.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(str(index) + suffix).unlink(missing_ok=True)
    with open_lib(seeds_dir, tmp_path) as lib:
        assert lib.count() == 0
        lib.scan(workers=1)
        assert lib.count() == 301


def test_parallel_scan_matches_serial(seeds_dir: Path, tmp_path: Path) -> None:
    with open_lib(seeds_dir, tmp_path / "a") as lib:
        lib.scan(workers=2)
        parallel = lib.search("").pids.tolist()
        titles = [r.title for r in lib.rows(parallel).values()]
    with open_lib(seeds_dir, tmp_path / "b") as lib:
        lib.scan(workers=1)
        serial = lib.search("").pids.tolist()
        assert sorted(titles) == sorted(r.title for r in lib.rows(serial).values())
    assert len(parallel) == len(serial) == 301


def test_non_digests_are_skipped_and_counted(seeds_dir: Path, tmp_path: Path) -> None:
    (seeds_dir / "README.md").write_text("# My digests\n\nNothing to see.\n")
    (seeds_dir / "logo.png").write_bytes(bytes(range(256)) * 10)
    (seeds_dir / ".git").mkdir()
    (seeds_dir / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    with open_lib(seeds_dir, tmp_path) as lib:
        report = lib.scan(workers=1)
        assert report.files_seen == 7
        assert report.files_skipped == 2
        assert lib.count() == 301


def test_queries_over_the_seeds(seeds_dir: Path, tmp_path: Path) -> None:
    state = StateStore(tmp_path / "data")
    state.set_starred("2005.10825")
    state.set_read("2012.07810")
    with open_lib(seeds_dir, tmp_path, state_db=state.path) as lib:
        lib.scan(workers=1)

        def ids(q: str) -> list[str]:
            res = lib.search(q)
            rows = lib.rows(res.pids)
            return [rows[p].id for p in res.pids]

        assert ids("is:starred") == ["2005.10825"]
        assert "2012.07810" in ids("is:read")
        assert "2012.07810" not in ids("is:unread")
        assert len(ids("is:unread")) == 300
        assert "2005.10825" in ids("colorization")
        assert "2005.10825" in ids("coloriz")  # the last word is a prefix
        assert "2005.10825" not in ids("coloriz ")  # ... but not once it is finished
        assert ids("title:colorization instance") == ["2005.10825"]
        assert len(ids("date:2020-11-22")) == 28
        assert "2011.10904" in ids("date:2020-11-22")
        assert len(ids("date:2020-11")) == 28
        assert len(ids("date:>=2020-11-01")) == 28 + 115 - 1
        assert ids("id:2005.10825v3") == ["2005.10825"]
        assert ids("2005.10825") == ["2005.10825"]
        assert ids("author:ouyang") == ["2011.10904"]
        assert len(ids("cat:cs.CV")) == 301  # every seed is a cs.CV digest
        both = set(ids("segmentation "))
        without = set(ids("segmentation -semantic "))
        assert without and both - without == set(ids("segmentation semantic "))
        assert ids('"background matting"')[0] == "2012.07810"
        assert ids("zzzzunmatched") == []
    state.close()


@pytest.mark.parametrize("fts", [True, False])
def test_cat_matches_the_category_of_a_digest_listing_the_paper(
    seeds_dir: Path, tmp_path: Path, fts: bool
) -> None:
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
        lib._set_meta("fts_ready", "1" if fts else "0")
        everything = list(lib.search("").pids)
        assert len(everything) == 301
        for query in ("cat:cs.CV", "cat:CS.cv", "cat:cs", 'cat:"cs.CV"'):
            assert list(lib.search(query).pids) == everything, query
            assert lib.count_matching(query) == 301
        assert len(lib.search("-cat:cs.CV")) == 0
        assert len(lib.search("cat:cs.C")) == 0  # a whole category, not a part of one
        own = set(lib.search("cat:cs.LG").pids)  # from the papers' own Categories lines
        assert own and len(own) < 301
        assert set(lib.search("cat:cs.LG segmentation").pids) <= own
        assert list(lib.search("cat:cs.CV", limit=5).pids) == everything[:5]


def test_cat_sees_a_digest_category_new_since_the_last_search(
    seeds_dir: Path, tmp_path: Path
) -> None:
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
        before = set(lib.search("cat:math.OC").pids)  # a category no digest has
        (seeds_dir / "zz_math.md").write_text(
            "# ArXiv math.OC --Sat, 23 May 2020\n"
            "### 1.Instance-aware Image Colorization  [ :arrow_down: ]"
            "(https://arxiv.org/pdf/2005.10825.pdf)\n"
            ">  A digest of another category lists this paper too.\n"
        )
        lib.scan(workers=1)
        pid = lib.pid_of("2005.10825")
        assert pid is not None and pid not in before
        assert pid in set(lib.search("cat:math.OC").pids)
        assert pid in set(lib.search("cat:math").pids)
        assert lib.count_matching("cat:MATH.oc") == len(before) + 1
        paper = lib.paper(pid)
        assert paper is not None and "math.OC" in paper.categories


def test_papers_list_the_categories_of_the_digests_listing_them(
    seeds_dir: Path, tmp_path: Path
) -> None:
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
        papers = lib.papers(list(lib.search("").pids))
        assert len(papers) == 301
        assert all("cs.CV" in p.categories for p in papers)
        for p in papers:  # each category once, the paper's own first
            assert len({c.lower() for c in p.categories}) == len(p.categories)
        from digest_tui.library import _add_digest_categories
        from digest_tui.models import Appearance, Paper

        topic = Paper(id="2101.00001", title="t", categories=["cs.LG"])
        topic.appearances += [Appearance("2021-01-01", c, "x", 1, 0) for c in ("SLAM", "CS.lg")]
        _add_digest_categories(topic)
        assert topic.categories == ["cs.LG"]  # a topic is no category; cs.LG once
        richer = [p for p in papers if len(p.categories) > 1]
        assert richer and all(
            p.categories[0] == p.primary_category for p in richer if p.primary_category
        )


@pytest.mark.skipif(not (CORPUS / "arxiv-py-markdown").is_dir(), reason="real corpus not present")
def test_real_corpus_indexes_without_warnings(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS / "arxiv-py-markdown", root)
    with open_lib(root, tmp_path) as lib:
        report = lib.scan()
        # Only TeX the converter could not read (a user's own macro) is warned about.
        assert [w for w in report.warnings if "TeX kept as written" not in w.message] == []
        assert lib.count() == 2924


def test_seeds_fixture_matches_shipped_sample() -> None:
    from digest_tui.config import sample_dir

    shipped = sorted(p.name for p in sample_dir().glob("*.txt"))
    assert shipped == sorted(p.name for p in SEEDS.glob("*.txt"))
    for name in shipped:
        assert (sample_dir() / name).read_bytes() == (SEEDS / name).read_bytes()


def test_text_search_falls_back_to_substrings_while_fts_builds(
    seeds_dir: Path, tmp_path: Path
) -> None:
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
        with_fts = lib.search("title:colorization").pids.tolist()
        lib._set_meta("fts_ready", "0")
        assert not lib.fts_ready
        assert lib.search("title:colorization").pids.tolist() == with_fts
        assert len(lib.search("matting -background ")) < len(lib.search("matting "))


def test_first_open_commits_in_batches_newest_first(tmp_path: Path) -> None:
    root = sixty_days(tmp_path / "many")
    seen_dates: list[str] = []
    with open_lib(root, tmp_path) as lib:

        def on_batch(report) -> None:  # the newest digest is committed first
            seen_dates.append(lib.search("", limit=1).dates[0])

        report = lib.scan(workers=2, on_batch=on_batch)
        assert report.files_parsed == 60
        assert report.warnings == []
        assert len(seen_dates) > 1
        assert seen_dates[0] == "2021-03-02"  # the newest digest came first
        assert lib.fts_ready
        unique = {
            m
            for f in root.glob("*.md")
            for m in re.findall(r"arxiv.org/abs/(\S+?)v\d", f.read_text(encoding="utf-8"))
        }
        assert lib.count() == len(unique) == len(lib.search(""))
        # Every file changed at once (a parser upgrade, a rewritten history).
        for f in root.glob("*.md"):
            f.write_text(f.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        again = lib.scan(workers=2)
        assert again.files_parsed == 60 and again.papers_added == 0
        assert lib.count() == len(unique)
        assert len(lib.search("neural")) > 0
        assert len(lib.search("neural")) > 0


def test_order_key_sorts_newest_digest_first_then_file_then_position() -> None:
    from digest_tui.library import date_of_key, order_key

    keys = [
        order_key("2021-01-02", 7, 0),
        order_key("2021-01-02", 7, 1),
        order_key("2021-01-02", 9, 0),
        order_key("2021-01-01", 1, 0),
        order_key(None, 1, 0),
    ]
    assert keys == sorted(keys)
    assert date_of_key(keys[0]) == "2021-01-02"
    assert date_of_key(keys[-1]) == ""


def test_paper_moves_to_its_newest_digest_and_back(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    shutil.copy(SEEDS / "004_ce29fc885a87ee68.txt", root / "old.md")
    with open_lib(root, tmp_path) as lib:
        lib.scan(workers=1)
        before = lib.search("").pids.tolist()
        pid = lib.pid_of("2011.10904")
        assert pid is not None and before[0] == pid
        # A newer digest lists the same paper (last) and one more.
        text = (SEEDS / "004_ce29fc885a87ee68.txt").read_text(encoding="utf-8")
        entries = text.split("\n### ")
        newer = entries[0].replace("2020-11-22", "2020-11-23") + "\n### " + entries[2]
        newer += "\n### " + entries[1]
        (root / "new.md").write_text(newer, encoding="utf-8")
        lib.scan(workers=1)
        result = lib.search("")
        rows = lib.rows(result.pids[:2])
        other = re.search(r"abs/(\S+?)v\d", entries[2])
        assert other is not None
        assert [rows[p].id for p in result.pids[:2]] == [other.group(1), "2011.10904"]
        assert result.dates[:2] == ["2020-11-23", "2020-11-23"]
        assert len(result) == 28
        paper = lib.paper(lib.pid_of("2011.10904") or 0)
        assert paper is not None and len(paper.appearances) == 2
        (root / "new.md").unlink()
        lib.scan(workers=1)
        assert lib.search("").pids.tolist() == before


def test_day_starts_match_the_dates(seeds_dir: Path, tmp_path: Path) -> None:
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
        for q in ("", "segmentation", "is:unread", "zzzz"):
            result = lib.search(q)
            dates = result.dates
            expected = [i for i, d in enumerate(dates) if i == 0 or d != dates[i - 1]]
            assert result.day_starts() == expected
            assert [result.date_at(i) for i in expected] == [dates[i] for i in expected]
        assert len(lib.search("").day_starts()) == 5


def test_old_index_schema_is_rebuilt(seeds_dir: Path, tmp_path: Path) -> None:
    import sqlite3

    index = index_path_for(tmp_path / "cache", [seeds_dir])
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
    conn = sqlite3.connect(index)
    conn.execute("UPDATE meta SET value='0' WHERE key='schema'")  # an older digest-tui's index
    conn.commit()
    conn.close()
    with open_lib(seeds_dir, tmp_path) as lib:
        assert lib.count() == 0  # thrown away ...
        assert lib.scan(workers=1).files_parsed == 5
        assert lib.count() == 301  # ... and rebuilt


@pytest.mark.parametrize("query", ["is:starred", "is:noted", "tag:ml", "is:starred cat:cs.CV"])
def test_marked_papers_are_looked_up_from_the_marks_not_by_a_scan(
    seeds_dir: Path, tmp_path: Path, query: str
) -> None:
    """A view of a few marked papers reads those papers by pid: at a million
    papers, checking every paper against the marks took 140-360 ms a key."""
    import sqlite3

    from digest_tui.library_sql import select_sql
    from digest_tui.query import parse_query

    with StateStore(tmp_path / "data") as state:
        state.set_starred("2012.07810", True)
        state.set_note("2012.07810", "read the appendix")
        state.add_tag("2012.07810", "ML")
        with open_lib(seeds_dir, tmp_path, state_db=state.path) as lib:
            lib.scan(workers=1)
            assert lib.search(query).pids.tolist() == [lib.pid_of("2012.07810")]
            conn = sqlite3.connect(lib.path)
            conn.execute("ATTACH ? AS st", (str(state.path),))
            conn.create_function("dt_casefold", 1, str.casefold)  # as the library does
            sql, params = select_sql(parse_query(query), limit=200)
            plan = " / ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
            conn.close()
    assert "SCAN p " not in plan + " " and "INTEGER PRIMARY KEY" in plan, plan


def test_interrupt_reads_stops_a_query_under_way_and_not_the_next(
    seeds_dir: Path, tmp_path: Path
) -> None:
    """The reader stops its workers' queries when it closes (a listing of a
    million papers held the exit 0.4 s); the connection stays usable."""
    import sqlite3
    import threading

    lib = open_lib(seeds_dir, tmp_path)
    lib.scan()
    running = threading.Event()
    failed: list[str] = []

    def endless() -> None:
        with lib._read() as conn:
            running.set()
            try:
                conn.execute(
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
                    " SELECT count(*) FROM c"
                ).fetchone()
            except sqlite3.OperationalError as exc:
                failed.append(str(exc))

    worker = threading.Thread(target=endless)
    worker.start()
    assert running.wait(10)
    for _ in range(400):  # the query may not have begun at the first call
        lib.interrupt_reads()
        worker.join(0.05)
        if not worker.is_alive():
            break
    assert not worker.is_alive()
    assert failed and "interrupt" in failed[0]
    assert len(lib.search("")) == 301  # the connection went back to the pool, and reads
    lib.close()
