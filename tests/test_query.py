from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest_tui.library_sql import where_sql
from digest_tui.query import DateRange, QueryError, Term, parse_query


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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date:2020-13-45", "does not exist"),
        ("date:2020-99", "does not exist"),
        ("gan date:2020-0", "is not YYYY"),
        ("is:sta", "is:sta is not known"),
        ("title:", "title: needs a value"),
        ("gan tag:", "tag: needs a value"),
        ('"image fus', "unclosed quote"),
        ('title:"', "unclosed quote"),
        ("date:2021..2020", "ends before it starts"),
    ],
)
def test_a_bad_last_term_is_an_error_once_typing_is_over(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_query(text)
    # While typing, the term waits (left out) and says what is wrong with it.
    query = parse_query(text, typing=True)
    assert query.unfinished is not None and message in query.unfinished
    assert all(t.field in (None, "title") for t in query.terms)


def test_typing_mode_still_rejects_what_more_typing_cannot_fix() -> None:
    for text in ("is:banana", "foo:bar", "is:sta gan", "title: gan", "date:2020-99 gan"):
        with pytest.raises(QueryError):
            parse_query(text, typing=True)
    assert parse_query("gan segm", typing=True).unfinished is None
    assert parse_query("gan is:starred", typing=True).unfinished is None


def test_dates_parse_to_ranges_of_days() -> None:
    import datetime as dt

    def days(text: str) -> tuple[dt.date | None, dt.date | None]:
        (term,) = terms(text)
        assert term.dates is not None
        return term.dates.first, term.dates.last

    d = dt.date
    assert days("date:2020-02") == (d(2020, 2, 1), d(2020, 2, 29))
    assert days("date:2020") == (d(2020, 1, 1), d(2020, 12, 31))
    assert days("date:>2020-12") == (d(2021, 1, 1), None)
    assert days("date:<2020-03-01") == (None, d(2020, 2, 29))
    assert days("date:<=2020-12") == (None, d(2020, 12, 31))
    assert days("date:2020-05-01..") == (d(2020, 5, 1), None)
    assert days("date:..2020-05") == (None, d(2020, 5, 31))
    assert terms("date:latest")[0].dates == DateRange(latest=True)


def test_a_bare_arxiv_id_is_an_id_term_without_its_version() -> None:
    assert terms("2005.10825v2") == [Term("id", "2005.10825")]
    assert terms("-id:https://arxiv.org/abs/2005.10825v3") == [
        Term("id", "2005.10825", negated=True)
    ]
    assert terms('"2005.10825"') == [Term(None, "2005.10825", phrase=True)]
