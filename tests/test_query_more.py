"""tag:, is:noted and is:watched: parsing, the SQL they make, and what they
match in a real index with a real state database (and without one)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest_tui.library import Library, index_path_for
from digest_tui.library_sql import (
    fold,
    folded_contains,
    register_functions,
    select_sql,
    watch_like_sql,
    watch_match_expr,
    where_sql,
)
from digest_tui.query import IS_VALUES, QueryError, Term, WatchList, parse_query
from digest_tui.state import StateStore

from .test_library_sort import entry, write_digest


def test_tag_terms_parse_with_negation_and_phrases() -> None:
    terms = parse_query('tag:ML -tag:done tag:"to read" ').terms
    assert terms == [
        Term("tag", "ML"),
        Term("tag", "done", negated=True),
        Term("tag", "to read", phrase=True),
    ]


def test_new_is_values_parse_and_are_listed_in_errors() -> None:
    assert [t.value for t in parse_query("is:noted is:WATCHED ").terms] == ["noted", "watched"]
    assert {"noted", "watched"} <= set(IS_VALUES)
    with pytest.raises(QueryError) as exc:
        parse_query("is:watch ")
    assert "watched" in str(exc.value) and "noted" in str(exc.value)


def test_unknown_filter_message_mentions_tag() -> None:
    with pytest.raises(QueryError, match="tag:"):
        parse_query("tags:x")


@pytest.mark.parametrize("text", ["is:wat", "is:w", "is:not", "is:no", "tag:", "gan tag:"])
def test_half_typed_new_filters_are_not_errors_while_typing(text: str) -> None:
    query = parse_query(text, typing=True)
    assert all(t.field not in ("is", "tag") for t in query.terms)


def test_needs_state_for_tags_and_marks_but_not_for_watched() -> None:
    assert parse_query("tag:x").needs_state
    assert parse_query("-tag:x").needs_state
    assert parse_query("is:noted").needs_state
    assert parse_query("is:starred").needs_state
    assert not parse_query("is:watched").needs_state
    assert parse_query("is:watched is:unread").needs_state
    assert not parse_query("gan").needs_state


def test_watch_list_match_expr_quotes_every_phrase() -> None:
    assert watch_match_expr(WatchList()) is None
    assert watch_match_expr(WatchList(("  ", "--"), ("...",))) is None  # nothing to match
    assert not WatchList(("--",))
    assert WatchList(("Bob",))
    expr = watch_match_expr(WatchList(('Ann "The" Author', "Bob"), ("diffusion model",)))
    # The index has no word positions: a phrase is all its words (the order
    # is checked row by row, see test_library_scale.py).
    assert expr == (
        'authors : ("ann" AND "the" AND "author") OR authors : "bob"'
        ' OR {title abstract} : ("diffusion" AND "model")'
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(max_size=12), max_size=3),
    st.lists(st.text(max_size=12), max_size=3),
)
def test_any_watch_list_gives_a_valid_fts5_and_like_query(
    authors: list[str], keywords: list[str]
) -> None:
    # Any text, NUL bytes and lone surrogates included (TOML can spell both).
    watch = WatchList(tuple(authors), tuple(keywords))
    expr = watch_match_expr(watch)
    like = watch_like_sql(watch)
    assert (expr is None) == (like is None) == (not watch)
    if expr is None or like is None:
        return
    conn = sqlite3.connect(":memory:")
    register_functions(conn)
    conn.execute("CREATE VIRTUAL TABLE t USING fts5 (title, authors, abstract, categories)")
    conn.execute("INSERT INTO t VALUES ('a', 'b', 'c', 'd')")
    conn.execute("SELECT count(*) FROM t WHERE t MATCH ?", (expr,))
    conn.execute(
        "CREATE TABLE papers (title TEXT, authors TEXT, abstract TEXT)",
    )
    conn.execute(f"SELECT count(*) FROM papers p WHERE {like[0]}", like[1])
    conn.close()


def test_is_watched_without_a_watch_list_matches_nothing_in_sql() -> None:
    where, params = where_sql(parse_query("is:watched"))
    assert where == "0" and params == []
    where, params = where_sql(parse_query("-is:watched"), watch=WatchList())
    assert where == "NOT (0)"


def test_select_sql_passes_the_watch_expression_as_a_parameter() -> None:
    watch = WatchList(("Ann Author",))
    sql, params = select_sql(parse_query("is:watched gan"), watch=watch)
    assert watch_match_expr(watch) in params
    assert sql.count("?") == len(params)
    sql, params = where_sql(parse_query("is:watched"), watch=watch, fts=False)
    assert "LIKE" in sql and "%ann author%" in params


@pytest.fixture
def tagged(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = tmp_path / "digests"
    write_digest(
        root,
        "2021-03-02",
        entry("2103.00001", "Diffusion Models Beat GANs", authors="Zoë Ñúñez, Bob Smith"),
        entry("2103.00002", "Plain title", authors="Carol Jones", summary="A diffusion model."),
        entry("2103.00003", "Another", authors="Bob Smithson", summary="Nothing here."),
        entry("2103.00004", "Last one", authors="Dan Brown", summary="diffusion and models"),
    )
    state = StateStore(tmp_path / "data")
    state.add_tag("2103.00001", "Reading")
    state.add_tag("2103.00003", "reading")
    state.add_tag("2103.00003", "to read")
    state.set_note("2103.00002", "check the proof")
    state.set_note("2103.00004", "temporary")
    state.set_note("2103.00004", None)  # removed again
    state.set_starred("2103.00004")
    state.close()
    library = Library(
        index_path_for(tmp_path / "cache", [root]),
        [root],
        state_db=tmp_path / "data" / "state.sqlite3",
    )
    library.scan(workers=1)
    yield library
    library.close()


def ids(library: Library, query: str) -> list[str]:
    result = library.search(query)
    rows = library.rows(result.pids)
    found = [rows[p].id for p in result.pids]
    assert library.count_matching(query) == len(found)
    return found


def test_tag_matches_any_case_and_can_be_negated(tagged: Library) -> None:
    assert ids(tagged, "tag:reading") == ["2103.00001", "2103.00003"]
    assert ids(tagged, "tag:READING") == ["2103.00001", "2103.00003"]
    assert ids(tagged, 'tag:"to read"') == ["2103.00003"]
    assert ids(tagged, "-tag:reading") == ["2103.00002", "2103.00004"]
    assert ids(tagged, "tag:read") == []  # a whole tag, not a part of one
    assert ids(tagged, "tag:reading title:diffusion") == ["2103.00001"]


def test_is_noted_matches_papers_with_a_non_empty_note(tagged: Library) -> None:
    assert ids(tagged, "is:noted") == ["2103.00002"]
    assert ids(tagged, "-is:noted") == ["2103.00001", "2103.00003", "2103.00004"]


def test_without_a_state_database_tags_and_notes_match_nothing(
    tagged: Library, tmp_path: Path
) -> None:
    with Library(tagged.path, tagged.roots, state_db=tmp_path / "none.sqlite3") as bare:
        assert ids(bare, "tag:reading") == []
        assert ids(bare, "is:noted") == []
        assert len(ids(bare, "-tag:reading")) == 4


def test_is_watched_matches_authors_as_phrases_ignoring_case_and_accents(
    tagged: Library,
) -> None:
    assert ids(tagged, "is:watched") == []  # an empty watch list
    tagged.watch = WatchList(authors=("zoe nunez",))
    assert ids(tagged, "is:watched") == ["2103.00001"]
    tagged.watch = WatchList(authors=("Bob Smith",))
    assert ids(tagged, "is:watched") == ["2103.00001"]  # not "Bob Smithson"
    assert ids(tagged, "-is:watched") == ["2103.00002", "2103.00003", "2103.00004"]


def test_is_watched_keywords_are_phrases_in_title_or_abstract(tagged: Library) -> None:
    tagged.watch = WatchList(keywords=("diffusion model",))
    assert ids(tagged, "is:watched") == ["2103.00002"]  # "diffusion and models" is no phrase
    tagged.watch = WatchList(authors=("Dan Brown",), keywords=("beat gans",))
    assert ids(tagged, "is:watched") == ["2103.00001", "2103.00004"]
    assert ids(tagged, "is:watched is:starred") == ["2103.00004"]
    assert ids(tagged, "is:watched last") == ["2103.00004"]


def test_is_watched_substring_fallback_while_the_fts_index_builds(tagged: Library) -> None:
    tagged._set_meta("fts_ready", "0")
    assert not tagged.fts_ready
    tagged.watch = WatchList(authors=("Bob Smith",), keywords=("diffusion model",))
    # Substrings: "Bob Smithson" and "diffusion models" match too.
    assert ids(tagged, "is:watched") == ["2103.00001", "2103.00002", "2103.00003"]
    tagged.watch = WatchList(authors=("Carol",))
    assert ids(tagged, "is:watched") == ["2103.00002"]
    tagged.watch = WatchList(keywords=("50%_",))  # LIKE wildcards are literal
    assert ids(tagged, "is:watched") == []
    tagged.watch = WatchList()
    assert ids(tagged, "is:watched") == []


def test_watch_entries_with_nul_or_lone_surrogates_still_run(tagged: Library) -> None:
    tagged.watch = WatchList(authors=("Carol\x00 Jones", "\ud800"), keywords=("x\udcff",))
    assert ids(tagged, "is:watched") == ["2103.00002"]
    tagged._set_meta("fts_ready", "0")
    assert ids(tagged, "is:watched") == ["2103.00002"]  # the NUL is dropped here too


@pytest.fixture(scope="module")
def watched_library(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("watched")
    write_digest(root / "d", "2021-03-02", entry("2103.00001", "Diffusion", authors="Ann B"))
    state = StateStore(root / "data")
    state.add_tag("2103.00001", "x")
    state.close()
    with Library(root / "i.sqlite3", [root / "d"], state_db=root / "data" / "state.sqlite3") as lib:
        lib.scan(workers=1)
        lib.watch = WatchList(("Ann B", 'Q "uote'), ("diffusion",))
        yield lib


NEW_TOKENS = st.sampled_from(
    [
        "is:watched",
        "-is:watched",
        "is:noted",
        "-is:noted",
        "tag:x",
        "-tag:X",
        'tag:"a b"',
        "tag:%_",
        "is:wat",
        "tag:",
        "diffusion",
        "diff",
        "is:unread",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(NEW_TOKENS, max_size=5),
    st.booleans(),
    st.sampled_from(["digest", "date", "title", "id"]),
)
def test_generated_queries_with_new_terms_run_in_every_sort_with_and_without_fts(
    watched_library: Library, tokens: list[str], fts: bool, sort: str
) -> None:
    try:
        query = parse_query(" ".join(tokens))
    except QueryError as exc:  # "tag: x", or "is:wat" before another term
        assert "\n" not in str(exc) and str(exc)
        return
    watched_library._set_meta("fts_ready", "1" if fts else "0")
    result = watched_library.search(query, sort=sort)
    assert len(result) == watched_library.count_matching(query) <= 1
    where, params = where_sql(query, watch=watched_library.watch, fts=fts)
    assert where.count("?") == len(params)


@pytest.mark.parametrize("fts", [True, False])
def test_text_search_ignores_accents_with_and_without_the_fts_index(
    tagged: Library, fts: bool
) -> None:
    # Without the full-text index (a first scan still building it) too.
    tagged._set_meta("fts_ready", "1" if fts else "0")
    assert ids(tagged, "author:nunez") == ["2103.00001"]
    assert ids(tagged, "author:ÑÚÑEZ ") == ["2103.00001"]
    assert ids(tagged, "zoe") == ["2103.00001"]
    assert ids(tagged, "-author:nunez") == ["2103.00002", "2103.00003", "2103.00004"]
    assert ids(tagged, "author:smith") == ["2103.00001", "2103.00003"]
    assert ids(tagged, "author:smíth diffusion") == ["2103.00001"]
    tagged.watch = WatchList(authors=("Zoe Nunez",))
    assert ids(tagged, "is:watched") == ["2103.00001"]


def test_fold_drops_case_and_diacritics() -> None:
    assert fold("Hernández") == "hernandez"
    assert fold("ÑÚÑEZ Zoë") == "nunez zoe"
    assert fold("plain ASCII") == "plain ascii"
    assert fold("Straße") == "strasse"
    assert fold("Herna\u0301ndez") == "hernandez"  # a decomposed accent
    assert fold("Ωmega ΣΑΣ") == "ωmega σασ"


def test_folded_contains_looks_around_each_character_beyond_ascii() -> None:
    assert folded_contains("Bob Hernández x", "hernandez") == 1
    assert folded_contains("Bob Hernandez", "hernandez") == 0  # ASCII: LIKE finds it
    assert folded_contains("Herna\u0301ndez é", "hernandez") == 1
    assert folded_contains("é " + "x" * 100 + " Hernández", "hernandez") == 1
    assert folded_contains("é " + "x" * 100 + " Hernandez", "hernandez") == 0
    assert folded_contains("Große Straße", "strasse") == 1
    assert folded_contains(None, "x") == folded_contains("é", None) == 0


def test_tags_match_in_any_case_beyond_ascii_too(tagged: Library, tmp_path: Path) -> None:
    state = StateStore(tmp_path / "data")
    state.add_tag("2103.00002", "Ärger")
    state.add_tag("2103.00004", "ML")
    state.close()
    assert ids(tagged, "tag:ärger") == ["2103.00002"]
    assert ids(tagged, "tag:ÄRGER") == ["2103.00002"]
    assert ids(tagged, "tag:ml") == ids(tagged, "tag:ML") == ["2103.00004"]
    assert ids(tagged, "-tag:ärger -tag:ml -tag:reading") == []


def test_a_last_word_is_a_prefix_from_three_letters() -> None:
    """A one- or two-letter prefix stands for thousands of words (``m*``
    took 2.5 s at a million papers); until a third letter it is a word."""
    from digest_tui.library_sql import MIN_PREFIX, select_sql

    assert MIN_PREFIX == 3

    def match_of(text: str) -> object:
        _sql, params = select_sql(parse_query(text), limit=10)
        return params[0]

    assert match_of("3d") == '"3d"'
    assert match_of("me") == '"me"'
    assert match_of("met") == '"met"*'
    assert match_of("image se") == '"image" AND "se"'
    assert match_of("image seg") == '"image" AND "seg"*'
    assert match_of("me ") == '"me"'  # a finished word is never a prefix
