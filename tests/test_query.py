from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest_tui.library_sql import where_sql
from digest_tui.query import QueryError, Term, parse_query


def terms(text: str) -> list[Term]:
    return parse_query(text).terms


def test_words_last_one_is_prefix_while_typing() -> None:
    ts = terms("image segm")
    assert [t.value for t in ts] == ["image", "segm"]
    assert [t.prefix for t in ts] == [False, True]
    assert not terms("image segm ")[-1].prefix


def test_phrase_negation_and_fields() -> None:
    ts = terms('"image fusion" -survey title:gan AUTHOR:Hinton abs:lidar cat:cs.LG id:2005.10825 ')
    assert ts[0] == Term(None, "image fusion", phrase=True)
    assert ts[1] == Term(None, "survey", negated=True)
    assert [(t.field, t.value) for t in ts[2:]] == [
        ("title", "gan"),
        ("authors", "Hinton"),
        ("abstract", "lidar"),
        ("cat", "cs.LG"),
        ("id", "2005.10825"),
    ]


def test_is_values_and_dates() -> None:
    assert [t.value for t in terms("is:starred is:UNREAD is:read ")] == [
        "starred",
        "unread",
        "read",
    ]
    for d in (
        "date:2020-05-22",
        "date:2020-05",
        "date:>=2020-05-01",
        "date:2020-05-01..2020-05-31",
        "date:latest",
        "date:<2021",
    ):
        assert terms(d + " ")[0].field == "date"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo:bar", "unknown filter foo:"),
        ("is:banana ", "is:banana is not known"),
        ("date:2020-13-01 ", "does not exist"),
        ("date:yesterdays ", "is not YYYY"),
        ("title: x", "title: needs a value"),
    ],
)
def test_bad_queries_give_one_line(text: str, message: str) -> None:
    with pytest.raises(QueryError) as exc:
        parse_query(text)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_half_typed_filters_are_not_errors_while_typing() -> None:
    # While typing, an unfinished field is simply not applied yet.
    for text in ("title:", "is:sta", "date:2020-0", "date:>=", '"image fus'):
        parse_query(text, typing=True)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_parses_or_gives_query_error(text: str) -> None:
    try:
        q = parse_query(text)
    except QueryError as exc:
        assert "\n" not in str(exc)
        return
    where, params = where_sql(q)
    assert where.count("?") == len(params)
