"""Issue 14: a large e-mail committed in parts, a compact index, a streamed
``list``.  Structural checks only: nothing here times anything."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from digest_tui import cli, library, links, parsing
from digest_tui.library import SCHEMA_VERSION, Library, ScanReport, index_path_for
from digest_tui.parsing import arxiv_email

from .conftest import load_make_corpus

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def big_email(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated arXiv e-mail of 1,200 papers."""
    root = tmp_path_factory.mktemp("big")
    load_make_corpus().make_corpus(
        1200, root, seed=3, fmt="email", per_file=1200, start=date(2021, 3, 1)
    )
    (root / "corpus.json").unlink()
    return root


def open_lib(root: Path, tmp_path: Path) -> Library:
    return Library(index_path_for(tmp_path / "cache", [root]), [root])


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any e-mail is read in parts of 100 papers."""
    monkeypatch.setattr(parsing, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(library, "PART_PAPERS", 100)


def _the_file(root: Path) -> Path:
    (path,) = root.rglob("*.txt")
    return path


def test_pieces_and_batches_give_what_one_parse_gives(big_email: Path) -> None:
    data = _the_file(big_email).read_bytes()
    whole = parsing.parse_bytes(data, "x")
    bad: list[parsing.ParseWarning] = []
    pieces = list(parsing._pieces(data, 5000, bad, "x"))
    assert len(pieces) > 100 and all(p.endswith("\n") for p in pieces) and not bad
    parts = list(arxiv_email.iter_parse(pieces, "x", batch=100))
    assert len(parts) >= 12
    assert all(p.date == whole.date and p.category == whole.category for p in parts)
    assert parts[-1].entries == whole.entries
    got = [p for part in parts for p in part.papers]
    assert [p.id for p in got] == [p.id for p in whole.papers]
    assert got == whole.papers


def test_a_paper_listed_again_after_its_batch_comes_again_to_be_merged() -> None:
    entry = (
        "\\\\\narXiv:2101.0000{n}{cross}\nDate: Mon, 4 Jan 2021 10:00:00 GMT   (10kb)\n\n"
        "Title: Paper {n}\nAuthors: A Author\nCategories: cs.CV cs.LG\n\\\\\n"
        "  Abstract {n}.\n\\\\ ( https://arxiv.org/abs/2101.0000{n} ,  10kb)\n" + "-" * 78 + "\n"
    )
    text = (
        " received from  Thu 31 Dec 20 19:00:00 GMT  to  Fri 1 Jan 21 19:00:00 GMT\n"
        + "".join(entry.format(n=n, cross="") for n in (1, 2, 3))
        + entry.format(n=1, cross=" (*cross-listing*)")
    )
    parts = list(arxiv_email.iter_parse([text], "x", batch=2))
    ids = [p.id for part in parts for p in part.papers]
    assert ids == ["2101.00001", "2101.00002", "2101.00003", "2101.00001"]
    whole = arxiv_email.parse(text, "x")
    assert [p.id for p in whole.papers] == ["2101.00001", "2101.00002", "2101.00003"]
    assert len(whole.papers[0].appearances) == 2


def test_a_large_email_is_on_screen_before_it_is_read_to_the_end(
    big_email: Path, tmp_path: Path, small_parts: None
) -> None:
    seen: list[tuple[int, int]] = []
    with open_lib(big_email, tmp_path) as lib:

        def on_batch(report: ScanReport) -> None:
            with sqlite3.connect(lib.path) as conn:
                version = conn.execute("SELECT parser_version FROM files").fetchone()[0]
            seen.append((lib.count(), version))

        lib.scan(workers=1, on_batch=on_batch)
        assert lib.count() == 1200
        first_count, first_version = seen[0]
        # The first commit holds the first papers while the file is not done.
        assert 0 < first_count < 1200 and first_version == -1
        assert seen[-1] == (1200, parsing.PARSER_VERSION)
        # The newest entries first, in the e-mail's order.
        top = lib.rows(lib.search("", limit=3).pids)
        whole = parsing.parse_bytes(_the_file(big_email).read_bytes(), "x")
        assert sorted(r.id for r in top.values()) == sorted(p.id for p in whole.papers[:3])


def test_a_scan_stopped_in_a_file_reads_that_file_again(
    big_email: Path, tmp_path: Path, small_parts: None
) -> None:
    class Stop(Exception):
        pass

    def stop(report: ScanReport) -> None:
        raise Stop

    with open_lib(big_email, tmp_path) as lib:
        with pytest.raises(Stop):
            lib.scan(workers=1, on_batch=stop)
        assert 0 < lib.count() < 1200
        report = lib.scan(workers=1)
        assert report.files_parsed == 1
        assert lib.count() == 1200


def test_the_index_stores_no_text_twice(seeds_dir: Path, tmp_path: Path) -> None:
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
        paper = lib.paper(lib.search("", limit=1).pids[0])
        assert paper is not None and len(paper.abstract) > 100
        with sqlite3.connect(lib.path) as conn:
            fts = conn.execute("SELECT sql FROM sqlite_master WHERE name='papers_fts'").fetchone()[
                0
            ]
            # External content, no word positions.
            assert "content='papers_fts_text'" in fts and "detail=column" in fts
            assert conn.execute("PRAGMA page_size").fetchone()[0] == 16384
            kinds = {r[0] for r in conn.execute("SELECT DISTINCT typeof(abstract) FROM papers")}
            assert kinds <= {"blob", "text"} and "blob" in kinds
            # No table holds an abstract as text (FTS5 shadow tables included),
            # nor an arXiv URL the id and version give.
            needle = paper.abstract[20:60]
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"):
                if name == "papers_fts":
                    continue
                cols = [r[1] for r in conn.execute(f"PRAGMA table_info({name})")]
                for col in cols:
                    hit = conn.execute(
                        f"SELECT count(*) FROM {name} WHERE CAST({col} AS TEXT) LIKE ?",
                        (f"%{needle}%",),
                    ).fetchone()[0]
                    assert hit == 0, (name, col)
            for arxiv_id, version, abs_url in conn.execute(
                "SELECT arxiv_id, version, abs_url FROM papers"
            ):
                assert abs_url != links.abs_url(arxiv_id, version)
        assert paper.pdf_url and paper.pdf_url.startswith("https://arxiv.org/pdf/")
        assert paper.abs_url and paper.id in paper.abs_url


def test_an_index_of_schema_6_is_rebuilt(seeds_dir: Path, tmp_path: Path) -> None:
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
        path = lib.path
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value='6' WHERE key='schema'")
        conn.execute("UPDATE papers SET abstract='plain text of schema 6'")
    with open_lib(seeds_dir, tmp_path) as lib:
        assert lib.count() == 0
        lib.scan(workers=1)
        assert lib.count() == 301
        assert lib.search("plain text of schema").pids.tolist() == []
    with sqlite3.connect(path) as conn:
        schema = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0]
    assert schema == str(SCHEMA_VERSION)


def test_a_phrase_is_its_words_in_order(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    entries = [
        ("2101.00001", "Diffusion model for images", "Ann Lee"),
        ("2101.00002", "Model diffusion for images", "Lee Ann"),
        ("2101.00003", "Self-supervised diffusion models", "Bo Chen"),
    ]
    text = " received from  Thu 31 Dec 20 19:00:00 GMT  to  Fri 1 Jan 21 19:00:00 GMT\n" + "".join(
        f"\\\\\narXiv:{i}\nDate: Mon, 4 Jan 2021 10:00:00 GMT   (10kb)\n\nTitle: {t}\n"
        f"Authors: {a}\nCategories: cs.CV\n\\\\\n  Nothing else.\n"
        f"\\\\ ( https://arxiv.org/abs/{i} ,  10kb)\n" + "-" * 78 + "\n"
        for i, t, a in entries
    )
    (root / "2021-01-04.txt").write_text(text, encoding="utf-8")
    with open_lib(root, tmp_path) as lib:
        lib.scan(workers=1)

        def ids(q: str) -> list[str]:
            result = lib.search(q)
            return sorted(i for i in lib.ids_of(result.pids, result.generation) if i)

        assert ids('"diffusion model"') == ["2101.00001"]
        assert ids("self-sup*") == ["2101.00003"]
        assert ids('title:"model diffusion"') == ["2101.00002"]
        assert ids("self-supervised") == ["2101.00003"]
        assert ids('-"diffusion model"') == ["2101.00002", "2101.00003"]
        assert ids('author:"ann lee"') == ["2101.00001"]
        lib.watch = library.WatchList(("Lee Ann",), ("diffusion models",))
        assert ids("is:watched") == ["2101.00002", "2101.00003"]


def test_list_prints_as_it_reads(
    seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``list -f jsonl`` writes what it has read before reading on: it never
    holds every match (here in lists of 50 papers)."""
    taken: list[int] = []
    real = Library.iter_search

    def in_fifties(self: Library, *args: object, **kwargs: object) -> Iterator[list[int]]:
        for chunk in real(self, *args, **kwargs):  # type: ignore[arg-type]
            for i in range(0, len(chunk), 50):
                taken.append(len(chunk[i : i + 50]))
                yield chunk[i : i + 50]

    def no_search(*args: object, **kwargs: object) -> None:
        raise AssertionError("list reads every match at once")

    monkeypatch.setattr(Library, "iter_search", in_fifties)
    monkeypatch.setattr(Library, "search", no_search)
    taken_at_write: list[int] = []

    class Out(io.StringIO):
        def write(self, s: str) -> int:
            taken_at_write.append(len(taken))
            return super().write(s)

    out = Out()
    monkeypatch.setattr(sys, "stdout", out)
    common = ["--cache-dir", str(tmp_path / "c"), "--data-dir", str(tmp_path / "d")]
    assert cli.main(["list", str(seeds_dir), "-f", "jsonl", *common]) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 301 and json.loads(lines[0])["id"]
    assert len(taken) == 7
    # The first 50 papers were written when only the first 50 had been read.
    assert taken_at_write[0] == 1 and taken_at_write[49] == 1 and taken_at_write[50] == 2


def test_a_large_email_is_never_held_whole(
    big_email: Path, tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It is read a block at a time (twice: to hash it, to parse it)."""
    sizes: list[int] = []
    real = library.fsutil.read_regular_blocks

    def blocks(path: str, max_bytes: int, block: int = 1 << 20) -> Iterator[bytes]:
        for b in real(path, max_bytes, 1 << 16):
            sizes.append(len(b))
            yield b

    def whole(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("read whole")

    monkeypatch.setattr(library.fsutil, "read_regular_blocks", blocks)
    monkeypatch.setattr(library, "read_digest", whole)
    with open_lib(big_email, tmp_path) as lib:
        lib.scan(workers=1)
        assert lib.count() == 1200
    size = _the_file(big_email).stat().st_size
    assert max(sizes) <= 1 << 16 and sum(sizes) == 2 * size


def test_words_the_tokenizer_reads_otherwise_never_make_a_phrase(
    seeds_dir: Path, tmp_path: Path
) -> None:
    """Without word positions FTS5 refuses a phrase: a term is given to it
    as tokens it does not split again (found by test_hostile_input)."""
    with open_lib(seeds_dir, tmp_path) as lib:
        lib.scan(workers=1)
        for q in ["0:\u0b3a", "x\u0301y", "a\u00b2b", "title:\u0b3a-\u0b3a", '"deep \u0b3a"']:
            lib.search(q)


def test_the_ranker_reads_abstracts_as_text(seeds_dir: Path, tmp_path: Path) -> None:
    from digest_tui.ranking import Ranker
    from digest_tui.state import StateStore

    state = StateStore(tmp_path / "data")
    try:
        with open_lib(seeds_dir, tmp_path) as lib:
            lib.scan(workers=1)
            paper = lib.paper(lib.search("", limit=1).pids[0])
            assert paper is not None
            with Ranker(lib, state) as ranker:
                texts = ranker._texts([paper.id])
            assert texts[paper.id][2] == paper.abstract
    finally:
        state.close()


def test_each_part_is_given_as_soon_as_it_is_parsed(big_email: Path) -> None:
    data = _the_file(big_email).read_bytes()
    read_to = [0]

    def blocks() -> Iterator[bytes]:
        for start in range(0, len(data), 4096):
            read_to[0] = start + 4096
            yield data[start : start + 4096]

    parts = parsing.iter_parse_blocks(blocks(), "x", 100)
    first = next(parts)
    assert first.more and len(first.papers) == 100
    # About a batch of the file's 1,200 papers was read, not two.
    assert read_to[0] < len(data) * 150 // 1200
    rest = list(parts)
    assert all(p.more for p in rest[:-1]) and not rest[-1].more
    assert sum(len(p.papers) for p in [first, *rest]) == 1200


def test_the_library_stores_a_part_before_the_next_is_parsed(
    big_email: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[int] = []
    real = parsing.iter_parse_blocks

    def counting(*args: Any, **kwargs: Any) -> Iterator[parsing.ParseResult]:
        for part in real(*args, **kwargs):
            parsed.append(len(part.papers))
            yield part

    monkeypatch.setattr(parsing, "iter_parse_blocks", counting)
    parts = library._read_and_parse_parts(str(_the_file(big_email)), min_bytes=0, part_papers=100)
    _path, _digest, _result, rows, first, last = next(parts)
    assert (first, last, len(rows)) == (True, False, 100)
    assert parsed == [100]
    assert [last for *_, last in parts][-1] is True


def test_a_first_scan_reads_the_newest_digest_first(tmp_path: Path) -> None:
    root = tmp_path / "digests"
    load_make_corpus().make_corpus(600, root, seed=4, fmt="email", per_file=300)
    (root / "README.md").write_text("# notes\n", encoding="utf-8")
    order: list[str] = []
    real = library._read_and_parse_parts

    def recording(path: str, *args: Any, **kwargs: Any) -> Any:
        order.append(os.path.basename(path))
        return real(path, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(library, "_read_and_parse_parts", recording)
        with open_lib(root, tmp_path) as lib:
            lib.scan(workers=1)
    digests = sorted((n for n in order if n[:1].isdigit()), reverse=True)
    assert order[0] == digests[0]  # not README.md or corpus.json, which sort before it


def test_a_few_large_files_are_parsed_by_worker_processes_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "digests"
    load_make_corpus().make_corpus(600, root, seed=5, fmt="email", per_file=200)
    chosen: list[int | None] = []
    real = Library._parse_all

    def recording(paths: list[str], workers: int | None, max_bytes: int) -> Any:
        chosen.append(workers)
        return real(paths, 1, max_bytes)

    monkeypatch.setattr(Library, "_parse_all", staticmethod(recording))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(library, "PARALLEL_MIN_BYTES", 1 << 60)
    with open_lib(root, tmp_path / "a") as lib:
        lib.scan()  # a few small files: parsed here
    monkeypatch.setattr(library, "PARALLEL_MIN_BYTES", 1)
    with open_lib(root, tmp_path / "b") as lib:
        lib.scan()  # the same files counted as large: in workers
        assert lib.count() == 600
    assert chosen == [1, 2]
