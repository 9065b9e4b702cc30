"""Library.search(sort=...): the four orders, with and without words, and the
digest order (with its day separators) left exactly as it was."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from digest_tui.library import Library, index_path_for
from digest_tui.library_sql import select_sql
from digest_tui.query import SORTS, parse_query


def entry(
    aid: str,
    title: str,
    *,
    published: str | None = None,
    authors: str = "Ann Author",
    summary: str = "A study of things.",
) -> str:
    """One entry in the "Arxiv Papers in cs.CV on DATE" digest format."""
    pub = f"- **Published**: {published}\n" if published else ""
    return (
        f"### {title}\n- **Arxiv ID**: http://arxiv.org/abs/{aid}v1\n- **DOI**: None\n"
        f"- **Categories**: **cs.CV**\n- **Links**: [PDF](http://arxiv.org/pdf/{aid}v1)\n"
        f"{pub}- **Updated**: None\n- **Authors**: {authors}\n- **Comment**: None\n"
        f"- **Journal**: None\n- **Summary**: {summary}\n\n"
    )


def write_digest(folder: Path, date: str, *entries: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{date}.md"
    path.write_text(f"# Arxiv Papers in cs.CV on {date}\n" + "".join(entries), encoding="utf-8")
    return path


@pytest.fixture
def lib(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = tmp_path / "digests"
    # The newer digest: listed first in the digest order.
    write_digest(
        root,
        "2021-03-02",
        entry("2103.00002", "zeta Newest digest", published="2021-03-01 09:00:00+00:00"),
        entry("2001.00001", "Alpha old paper", published="2020-01-01 09:00:00+00:00"),
        entry("hep-th/9901001", "beta Old-style id", summary="segmentation of strings"),
        entry("2103.00001", "Gamma no date", summary="segmentation of images"),
    )
    write_digest(
        root,
        "2021-03-01",
        entry("2102.00005", "delta Older digest", published="2021-02-05 09:00:00+00:00"),
        entry("0704.0001", "Epsilon first new-style", published="2007-04-02 00:00:00+00:00"),
        entry("2102.00006", "eta same time", published="2021-02-05 09:00:00+00:00"),
    )
    with Library(index_path_for(tmp_path / "cache", [root]), [root]) as library:
        library.scan(workers=1)
        yield library


def ids(library: Library, query: str = "", **kw: object) -> list[str]:
    result = library.search(query, **kw)  # type: ignore[arg-type]
    rows = library.rows(result.pids)
    return [rows[p].id for p in result.pids]


def test_digest_sort_is_the_default_and_unchanged(lib: Library) -> None:
    expected = [
        "2103.00002",
        "2001.00001",
        "hep-th/9901001",
        "2103.00001",
        "2102.00005",
        "0704.0001",
        "2102.00006",
    ]
    assert ids(lib) == expected
    assert ids(lib, sort="digest") == expected
    result = lib.search("")
    assert result.sort == "digest"
    assert result.day_starts() == [0, 4]


def test_date_sort_is_newest_published_first_falling_back_to_digest_date_then_order(
    lib: Library,
) -> None:
    assert ids(lib, sort="date") == [
        # 2021-03-02 digest entries without a published date sort by that date,
        # which is newer than every published date here; ties keep digest order.
        "hep-th/9901001",
        "2103.00001",
        "2103.00002",  # published 2021-03-01T09
        "2102.00005",  # 2021-02-05, same as the next: digest order
        "2102.00006",
        "2001.00001",
        "0704.0001",
    ]


def test_title_sort_ignores_case(lib: Library) -> None:
    assert ids(lib, sort="title") == [
        "2001.00001",  # Alpha
        "hep-th/9901001",  # beta
        "2102.00005",  # delta
        "0704.0001",  # Epsilon
        "2102.00006",  # eta
        "2103.00001",  # Gamma
        "2103.00002",  # zeta
    ]


def test_id_sort_is_newest_first_with_old_style_ids_by_their_year(lib: Library) -> None:
    assert ids(lib, sort="id") == [
        "2103.00002",
        "2103.00001",
        "2102.00006",
        "2102.00005",
        "2001.00001",
        "0704.0001",  # April 2007: the first new-style id
        "hep-th/9901001",  # January 1999
    ]


@pytest.mark.parametrize("sort", ["date", "title", "id"])
def test_other_sorts_have_no_day_separators_and_say_their_sort(lib: Library, sort: str) -> None:
    result = lib.search("", sort=sort)
    assert result.sort == sort
    assert len(result) == 7
    assert result.day_starts() == []


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("query", ["segmentation", "segm", "-segmentation", "cat:cs.CV old"])
def test_sorted_matches_are_the_sorted_list_filtered_also_on_the_fts_path(
    lib: Library, sort: str, query: str
) -> None:
    everything = ids(lib, sort=sort)
    matching = set(ids(lib, query))
    assert matching  # the query matches something
    assert ids(lib, query, sort=sort) == [i for i in everything if i in matching]


@pytest.mark.parametrize("sort", SORTS)
def test_limit_takes_the_first_rows_of_the_sorted_list(lib: Library, sort: str) -> None:
    assert ids(lib, limit=3, sort=sort) == ids(lib, sort=sort)[:3]
    assert ids(lib, "segmentation", limit=1, sort=sort) == ids(lib, "segmentation", sort=sort)[:1]


def test_unknown_sort_raises_value_error(lib: Library) -> None:
    with pytest.raises(ValueError, match="unknown sort 'newest'"):
        lib.search("", sort="newest")
    with pytest.raises(ValueError):
        select_sql(parse_query("x"), sort="DATE")


def test_digest_sort_keeps_its_fast_paths_in_the_sql() -> None:
    words, _ = select_sql(parse_query("gan"))
    assert words.endswith("ORDER BY f.rowid")
    plain, _ = select_sql(parse_query("cat:cs.CV"))
    assert "INDEXED BY papers_scan" in plain and plain.endswith("ORDER BY p.pid")
    other, _ = select_sql(parse_query("gan"), sort="title")
    assert "ORDER BY f.rowid" not in other and "COLLATE NOCASE" in other


def _id_key(arxiv_id: str) -> str:
    m = re.match(r"^[a-z.-]+/(\d{2})(\d{2})(\d+)$", arxiv_id)
    if m:
        century = "19" if m.group(1) >= "91" else "20"
        return f"{century}{m.group(1)}{m.group(2)}.{m.group(3)}"
    return "20" + arxiv_id


def test_sorts_over_the_seeds_agree_with_python(seeds_dir: Path, tmp_path: Path) -> None:
    with Library(index_path_for(tmp_path / "c", [seeds_dir]), [seeds_dir]) as library:
        library.scan(workers=1)
        digest = list(library.search("").pids)
        rank = {pid: i for i, pid in enumerate(digest)}
        papers = {p.id: p for p in library.papers(digest)}
        rows = library.rows(digest)
        by_id = {rows[p].id: p for p in digest}

        def check(sort: str, key) -> None:  # type: ignore[no-untyped-def]
            expected = sorted(digest, key=lambda pid: (*key(pid), rank[pid]))
            assert list(library.search("", sort=sort).pids) == expected

        # COLLATE NOCASE folds ASCII letters only.
        fold = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
        check("title", lambda pid: (rows[pid].title.translate(fold),))
        check(
            "id",
            lambda pid: (tuple(-ord(c) for c in _id_key(rows[pid].id)) + (1,),),
        )

        def date_key(pid: int) -> tuple[tuple[int, ...]]:
            published = papers[rows[pid].id].published
            value = published if published and published[:4].isdigit() else rows[pid].date
            return (tuple(-ord(c) for c in value) + (1,),)

        check("date", date_key)
        assert len(by_id) == 301
