"""A prefix being typed is searched as the words of the index it stands for
(``fts_terms``), and finds exactly what the prefix finds."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from digest_tui import library, library_sql
from digest_tui.library import Library, index_path_for
from digest_tui.query import Query, WatchList, parse_query

from .conftest import load_make_corpus

# (id, title, authors, abstract): accents, TeX, words sharing prefixes.
PAPERS = [
    (
        "2101.00001",
        "Metric learning for meta methods",
        "José Hernández, Ann Lee",
        "A method for metrics. Naïve Bayes over Straße data.",
    ),
    (
        "2101.00002",
        "Sparse $\\ell_0$ recovery with $\\alpha$-divergences",
        "Bo Ødegaard",
        "We study $\\ell_1$ and $\\ell_0$ methods; the metre is metrical.",
    ),
    (
        "2101.00003",
        "Self-supervised diffusion models",
        "Hernán Chen, Über Müller",
        "Self-supervision for diffusion; methodology of self-training.",
    ),
    (
        "2101.00004",
        "Über die Methode der kleinsten Quadrate",
        "Åsa Öberg",
        "Eine Methode. Métodos numéricos y metodología.",
    ),
    (
        "2101.00005",
        "Vermiculite in metamaterials",
        "Zoë Smith",
        "Metamaterial vermiculite composites, meteorology aside.",
    ),
]
LATER = [
    (
        "2101.00101",
        "Quixotically zymurgical metaphors",
        "Quentin Zyx",
        "Zymurgy and quixotic metaphorical methods.",
    ),
]


def _digest(day: str, papers: list[tuple[str, str, str, str]]) -> str:
    head = f" received from  Sun 3 Jan 21 19:00:00 GMT  to  {day} 19:00:00 GMT\n"
    return head + "".join(
        f"\\\\\narXiv:{i}\nDate: Mon, 4 Jan 2021 10:00:00 GMT   (10kb)\n\nTitle: {t}\n"
        f"Authors: {a}\nCategories: cs.LG\n\\\\\n  {abstract}\n"
        f"\\\\ ( https://arxiv.org/abs/{i} ,  10kb)\n" + "-" * 78 + "\n"
        for i, t, a, abstract in papers
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "digests"
    folder.mkdir()
    (folder / "2021-01-04.txt").write_text(_digest("Mon 4 Jan 21", PAPERS), encoding="utf-8")
    return folder


@pytest.fixture
def lib(root: Path, tmp_path: Path) -> Iterator[Library]:
    with Library(index_path_for(tmp_path / "cache", [root]), [root]) as opened:
        opened.scan(workers=1)
        yield opened


@pytest.fixture
def always_expand(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any prefix of up to EXPAND_MAX_WORDS words is expanded (a handful of papers never
    reaches the papers a word it takes at a million)."""
    monkeypatch.setattr(library_sql, "EXPAND_MIN_DOCS_PER_WORD", 0)


def typed(query: str) -> Query:
    """The query as the reader's filter has it while typed (a quote may be open)."""
    return parse_query(query, typing=True)


def ids(lib: Library, query: str) -> list[str]:
    result = lib.search(typed(query))
    return sorted(i for i in lib.ids_of(result.pids, result.generation) if i)


def as_prefix(lib: Library, query: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What ``query`` matches with its prefix searched as a prefix."""
    with monkeypatch.context() as m:
        m.setattr(library_sql, "expansion", lambda found: None)
        assert "*" in all_text_params(lib, query)
        return ids(lib, query)


def match_of(lib: Library, query: str) -> str:
    """The full-text expression of ``query`` (its first parameter)."""
    sql, params = lib.explain(typed(query), limit=200)
    assert isinstance(params[0], str)
    return params[0]


def all_text_params(lib: Library, query: str) -> str:
    """Every text parameter of ``query``: expressions (a negated term has its
    own) and the checks of several words ("self sup*")."""
    sql, params = lib.explain(typed(query), limit=200)
    return " ".join(p for p in params if isinstance(p, str))


def index_words(lib: Library) -> list[str]:
    conn = sqlite3.connect(lib.path)
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, papers_fts, row)")
        return [r[0] for r in conn.execute("SELECT term FROM temp.v")]
    finally:
        conn.close()


def terms_table(lib: Library) -> dict[str, int]:
    conn = sqlite3.connect(lib.path)
    try:
        return dict(conn.execute("SELECT term, docs FROM fts_terms").fetchall())
    finally:
        conn.close()


def meta(lib: Library, key: str) -> str | None:
    conn = sqlite3.connect(lib.path)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    finally:
        conn.close()
    return None if row is None else str(row[0])


# -- the rule and the expression -----------------------------------------------


def test_the_rule_takes_the_words_when_they_are_few_and_common() -> None:
    expansion = library_sql.expansion
    assert expansion([]) is None  # no word: the prefix reads nothing
    assert expansion([("vermiculite", 3)]) == ["vermiculite"]  # one word: that word
    common = library_sql.EXPAND_MIN_DOCS_PER_WORD
    assert expansion([("meta", common), ("method", common)]) == ["meta", "method"]
    assert expansion([("meta", common), ("metd", common - 1)]) is None  # rare on average
    many = [(f"w{i}", 10**6) for i in range(library_sql.EXPAND_MAX_WORDS + 1)]
    assert expansion(many) is None
    assert expansion(many[:-1]) == [w for w, _ in many[:-1]]


def test_the_expression_of_an_expanded_prefix() -> None:
    words = library_sql._fts_words
    asked: list[str] = []

    def expand(word: str) -> list[str] | None:
        asked.append(word)
        return {"met": ["meta", "method"], "hern": ["hernan"]}.get(word)

    assert words("met", True, expand) == '("meta" OR "method")'
    assert words("Hern", True, expand) == '"hernan"'
    assert words("self-met", True, expand) == '("self" AND ("meta" OR "method"))'
    assert words("metx", True, expand) == '"metx"*'  # not given: the prefix
    assert words("met", False, expand) == '"met"'  # not a prefix
    assert words("me", True, expand) == '"me"'  # too short to be one
    assert asked == ["met", "hern", "met", "metx"]


# -- the same papers -----------------------------------------------------------


def test_every_prefix_finds_what_the_prefix_query_finds(
    lib: Library, always_expand: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefixes = sorted(
        {w[:n] for w in index_words(lib) for n in range(3, len(w) + 1)},
    )
    assert len(prefixes) > 200
    for prefix in prefixes:
        expected = as_prefix(lib, prefix, monkeypatch)
        assert expected, prefix
        assert "*" not in match_of(lib, prefix), prefix  # the words, not the prefix
        assert ids(lib, prefix) == expected, prefix


@pytest.mark.parametrize(
    "query",
    [
        # accents typed or not, as the index folds them
        "Hernán",
        "hernan",
        "Hernánd",
        "naï",
        "Straß",
        "Øde",
        "über",
        "Übe",
        "Méto",
        "metodolog",
        "Zoë",
        # TeX forms ("$\\ell_0$" is indexed as text and TeX)
        "ell",
        "alph",
        "ℓ₀ recov",
        # column filters
        "title:met",
        "ti:meta",
        "author:hern",
        "au:Øde",
        "abs:metr",
        "abstract:vermic",
        "title:über",
        # words before the prefix, phrases, negation
        "learning met",
        "vermiculite meta",
        "self-sup",
        "self-supervision",
        '"self super',
        '"diffusion mod',
        'title:"self-supervised diff',
        "-met",
        "-title:meth",
        "cs.LG meth",
        "diffusion -metho",
        "is:unread meth",
        "date:2021-01-04 meta",
        # nothing, or one paper
        "xyzzy",
        "vermiculite",
    ],
)
def test_a_filter_finds_what_its_prefix_finds(
    lib: Library, always_expand: None, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    expected = as_prefix(lib, query, monkeypatch)
    assert ids(lib, query) == expected
    if query != "xyzzy":  # no word has that prefix: nothing to read either way
        assert '"*' not in all_text_params(lib, query)  # the words, not the prefix
    q = typed(query)
    assert lib.count_matching(q) == len(expected)
    assert [i for chunk in lib.iter_search(q) for i in chunk] == list(lib.search(q).pids)


def test_the_words_are_used_for_typed_accents_and_columns(
    lib: Library, always_expand: None
) -> None:
    # The token FTS5 makes of it.
    assert match_of(lib, "Hernán") == '("hernan" OR "hernandez")'
    # The words of every column: the list does not say which column has a word.
    assert match_of(lib, "title:metho") == (
        'title : ("method" OR "methode" OR "methodology" OR "methods")'
    )
    assert match_of(lib, "self-sup") == '("self" AND ("supervised" OR "supervision"))'
    assert match_of(lib, "xyzzy") == '"xyzzy"*'  # no such word
    assert ids(lib, "Hernán") == ["2101.00001", "2101.00003"]


def test_the_watch_list_still_matches(lib: Library, always_expand: None) -> None:
    lib.watch = WatchList(("José Hernández",), ("meta methods",))
    assert ids(lib, "is:watched") == ["2101.00001"]
    assert ids(lib, "is:watched meth") == ["2101.00001"]


def test_a_large_prefix_or_rare_words_stay_a_prefix(lib: Library) -> None:
    # The rule as shipped: a handful of papers is far from 4,000 a word.
    assert match_of(lib, "met") == '"met"*'
    assert match_of(lib, "vermic") == '"vermiculite"'  # one word: that word
    assert ids(lib, "vermic") == ["2101.00005"]


# -- keeping the list of words -------------------------------------------------


def test_a_first_scan_lists_every_word(lib: Library) -> None:
    words = terms_table(lib)
    assert sorted(words) == index_words(lib)
    assert words["cs"] == len(PAPERS) and words["vermiculite"] == 1
    assert meta(lib, "fts_terms") == str(lib.generation())


def test_a_new_days_words_are_added_without_reading_every_word(
    lib: Library, root: Path, always_expand: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = terms_table(lib)
    (root / "2021-01-05.txt").write_text(_digest("Tue 5 Jan 21", LATER), encoding="utf-8")
    statements: list[str] = []
    lib._writer.set_trace_callback(statements.append)
    report = lib.scan(workers=1)
    lib._writer.set_trace_callback(None)
    assert report.files_parsed == 1
    assert not any("dt_fts_terms" in s for s in statements)  # no rebuild
    assert any("dt_new_terms" in s for s in statements)
    after = terms_table(lib)
    assert set(after) == set(before) | set(index_words(lib))
    assert after["zymurgical"] == 1 and after["cs"] == before["cs"] + 1
    assert meta(lib, "fts_terms") == str(lib.generation())
    assert match_of(lib, "zym") == '("zymurgical" OR "zymurgy")'
    assert ids(lib, "zym") == ["2101.00101"] == as_prefix(lib, "zym", monkeypatch)
    for query in ("metaph", "quix", "met", "author:zyx"):
        assert ids(lib, query) == as_prefix(lib, query, monkeypatch), query


def test_a_scan_of_many_papers_rebuilds_the_list(
    lib: Library, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library, "TERMS_INCREMENTAL_MIN", 0)  # every paper is too many
    (root / "2021-01-05.txt").write_text(_digest("Tue 5 Jan 21", LATER), encoding="utf-8")
    statements: list[str] = []
    lib._writer.set_trace_callback(statements.append)
    lib.scan(workers=1)
    lib._writer.set_trace_callback(None)
    assert not any("INTO fts_terms" in s and "dt_new_terms" in s for s in statements)
    assert any("dt_fts_terms" in s for s in statements)
    assert sorted(terms_table(lib)) == index_words(lib)
    assert meta(lib, "fts_terms") == str(lib.generation())


def test_a_removed_file_leaves_its_words_which_match_nothing(
    lib: Library, root: Path, always_expand: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    (root / "2021-01-05.txt").write_text(_digest("Tue 5 Jan 21", LATER), encoding="utf-8")
    lib.scan(workers=1)
    (root / "2021-01-05.txt").unlink()
    assert lib.scan(workers=1).files_removed == 1
    assert "zymurgy" in terms_table(lib)  # words no paper has any more may stay
    assert meta(lib, "fts_terms") == str(lib.generation())
    assert match_of(lib, "zym") == '("zymurgical" OR "zymurgy")'
    assert ids(lib, "zym") == [] == as_prefix(lib, "zym", monkeypatch)
    assert ids(lib, "metaph") == [] == as_prefix(lib, "metaph", monkeypatch)
    assert ids(lib, "meth") == as_prefix(lib, "meth", monkeypatch) != []


def test_a_stale_list_is_not_used(
    lib: Library, root: Path, always_expand: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "*" not in match_of(lib, "met")
    # Another writer changed the index without the list (a newer generation).
    conn = sqlite3.connect(lib.path)
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
    conn.commit()
    conn.close()
    assert match_of(lib, "met") == '"met"*'
    assert ids(lib, "met") == as_prefix(lib, "met", monkeypatch)
    lib.scan(workers=1)  # nothing changed: the list is read again
    assert meta(lib, "fts_terms") == str(lib.generation())
    assert "*" not in match_of(lib, "met")


def test_a_list_missing_words_is_not_used_until_rebuilt(
    lib: Library, root: Path, always_expand: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan stopped before the list was brought up to date leaves it one
    generation behind: the prefix is searched as a prefix, and the next scan
    lists every word."""
    (root / "2021-01-05.txt").write_text(_digest("Tue 5 Jan 21", LATER), encoding="utf-8")
    monkeypatch.setattr(Library, "_keep_terms", lambda self: None)
    monkeypatch.setattr(Library, "_build_terms", lambda self, tick=None: None)
    lib.scan(workers=1)
    assert "zymurgy" not in terms_table(lib)
    assert match_of(lib, "zym") == '"zym"*'
    assert ids(lib, "zym") == ["2101.00101"]
    monkeypatch.undo()
    monkeypatch.setattr(library_sql, "EXPAND_MIN_DOCS_PER_WORD", 0)
    lib.scan(workers=1)
    assert "zymurgy" in terms_table(lib)
    assert match_of(lib, "zym") == '("zymurgical" OR "zymurgy")'


def test_a_reader_closing_stops_the_rebuild(lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    class Closing(Exception):
        pass

    def progress(done: int, total: int) -> None:
        raise Closing

    conn = sqlite3.connect(lib.path)
    conn.execute("DELETE FROM meta WHERE key = 'fts_terms'")
    conn.commit()
    conn.close()
    monkeypatch.setattr(library, "_TERMS_TICK_S", 0.0)
    monkeypatch.setattr(library, "_TERMS_TICK_OPS", 1)
    with pytest.raises(Closing):
        lib.scan(progress, workers=1)
    assert meta(lib, "fts_terms") is None
    assert not lib._writer.in_transaction
    lib.scan(workers=1)
    assert meta(lib, "fts_terms") == str(lib.generation())


def test_an_index_of_schema_7_gets_the_list_in_place(root: Path, tmp_path: Path) -> None:
    path = index_path_for(tmp_path / "cache", [root])
    with Library(path, [root]) as lib:
        lib.scan(workers=1)
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE fts_terms")
    conn.execute("DELETE FROM meta WHERE key = 'fts_terms'")
    conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema'")
    conn.commit()
    conn.close()
    with Library(path, [root]) as lib:
        assert lib.count() == len(PAPERS)  # kept, not rebuilt
        assert match_of(lib, "vermic") == '"vermic"*'  # no list yet
        report = lib.scan(workers=1)
        assert report.files_parsed == 0
        assert sorted(terms_table(lib)) == index_words(lib)
        assert match_of(lib, "vermic") == '"vermiculite"'
        assert meta(lib, "schema") == str(library.SCHEMA_VERSION)


def test_generated_digests_in_every_format(
    tmp_path: Path, always_expand: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Digests of every format the generator writes (HTML, e-mail, JSON, ...),
    the newest day added by a second scan: a sample of every prefix, in
    every column, finds what the prefix finds."""
    root = tmp_path / "generated"
    load_make_corpus().make_corpus(400, root, seed=5, fmt="both", start=date(2021, 3, 1))
    (root / "corpus.json").unlink()
    files = sorted(p for p in root.rglob("*") if p.is_file())
    newest = max(files, key=lambda p: p.name)
    held = tmp_path / newest.name
    newest.rename(held)
    with Library(index_path_for(tmp_path / "cache", [root]), [root]) as lib:
        lib.scan(workers=1)
        held.rename(newest)
        statements: list[str] = []
        lib._writer.set_trace_callback(statements.append)
        assert lib.scan(workers=1).files_parsed == 1
        lib._writer.set_trace_callback(None)
        assert not any("dt_fts_terms" in s for s in statements)  # added, not rebuilt
        words = index_words(lib)
        assert set(words) <= set(terms_table(lib))
        prefixes = sorted({w[:n] for w in words for n in range(3, min(len(w), 8) + 1)})
        sample = prefixes[:: max(len(prefixes) // 150, 1)]
        fields = ("", "title:", "author:", "abs:", "-")
        for i, prefix in enumerate(sample):
            query = fields[i % len(fields)] + prefix
            assert ids(lib, query) == as_prefix(lib, query, monkeypatch), query
