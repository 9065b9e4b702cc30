"""The e-mail parser's quick paths give what the general ones give.

The parser reads the usual entry a quicker way (whole blocks of lines, the
usual date, id and link forms, plain abstracts); each case here is one
where a quick path could have read an entry differently.
"""

from __future__ import annotations

import datetime
import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from digest_tui import links
from digest_tui.models import ParseResult
from digest_tui.parsing import arxiv_email
from digest_tui.parsing._common import (
    authors_and_affiliations,
    clean_abstract,
    indented_paragraphs,
    is_plain,
    normalize_id,
)

HEAD = (
    " Submissions to:\nComputer Vision and Pattern Recognition\n"
    " received from  Thu 31 Dec 20 19:00:00 GMT  to  Fri 01 Jan 21 19:00:00 GMT\n" + "-" * 78 + "\n"
)


def entry(number: int, abstract: str, extra: str = "") -> str:
    return (
        f"\\\\\narXiv:2101.{number:05d}\nDate: Sat, 26 Dec 2020 13:37:26 GMT   (37kb)\n\n"
        f"Title: Paper {number}\nAuthors: A. Kato, B. Lee\nCategories: cs.CV\n{extra}"
        f"\\\\\n{abstract}\n\\\\ ( https://arxiv.org/abs/2101.{number:05d} ,  37kb)\n"
        + "-" * 78
        + "\n"
    )


def parse_lines(text: str) -> ParseResult:
    """The text given a line at a time: every block read across pieces."""
    pieces = text.splitlines(keepends=True)
    parts = list(arxiv_email.iter_parse(iter(pieces), "x", batch=1))
    last = parts[-1]
    last.papers = [p for part in parts for p in part.papers]
    return last


def summary(result: ParseResult) -> list[object]:
    return [
        [(p.id, p.title, p.authors, p.abstract, p.appearances) for p in result.papers],
        [(w.line, w.message) for w in result.warnings],
        result.entries,
    ]


def test_lines_that_only_look_like_an_abstract_end_stay_in_it() -> None:
    abstract = "\n".join(
        (
            "  Results -- and 19 dashes: " + "-" * 19,
            "- a list item; 50% of %% cases",
            "  \\\\ ( indented, not a link ,  1kb)",
            "a TeX \\emph{word} and \\\\ in a line",
            "%% not %%% a separator",
            "-" * 19,
        )
    )
    text = HEAD + entry(1, abstract) + entry(2, "  Second.")
    result = arxiv_email.parse(text, "x")
    first, second = result.papers
    assert "19 dashes" in first.abstract and first.abstract.endswith("-" * 19)
    assert "indented, not a link" in first.abstract
    assert "%% not %%% a separator" in first.abstract
    assert first.abs_url == "https://arxiv.org/abs/2101.00001"
    assert second.abstract == "Second."
    assert result.warnings == []
    assert summary(parse_lines(text)) == summary(result)


def test_separators_and_backslash_lines_end_an_abstract_wherever_they_are() -> None:
    for end in ("-" * 20, "  " + "-" * 30 + " ", "%%--%%", "%%%---%%%", " \\\\ ", "\\\\x"):
        text = HEAD + entry(1, f"  First line.\n{end}\nafter the end") + entry(2, "  Two.")
        result = arxiv_email.parse(text, "x")
        ids = [p.id for p in result.papers]
        assert ids == ["2101.00001", "2101.00002"], end
        assert result.papers[0].abstract == "First line.", end
        assert summary(parse_lines(text)) == summary(result), end


def test_an_entry_without_an_id_is_skipped_up_to_its_end() -> None:
    skipped = "\\\\\nTitle: No id\nAuthors: X\n\\\\\n  Abstract -- 50%.\n\\\\ ( x ,  1kb)\n"
    text = HEAD + skipped + "-" * 78 + "\n" + entry(2, "  Two.")
    result = arxiv_email.parse(text, "x")
    assert [p.id for p in result.papers] == ["2101.00002"]
    assert [(w.line, w.message) for w in result.warnings] == [(6, "entry skipped: no arXiv id")]
    assert summary(parse_lines(text)) == summary(result)


def test_field_lines_read_as_the_field_pattern_reads_them() -> None:
    extra = (
        "Comment: one\n  two\nJournal-ref:no space\nDOI:\t10.1/x\nnot a field line\n"
        "  lost continuation\n3D: not a name\nreplaced with revised version Tue, 5 Jan 2021"
        " 10:00:00 GMT   (12kb)\n"
    )
    text = HEAD + entry(1, "  One.", extra)
    (paper,) = arxiv_email.parse(text, "x").papers
    assert paper.comment == "one two"
    assert paper.journal_ref == "no space"
    assert paper.doi == "10.1/x"
    assert paper.updated == "2021-01-05T10:00:00+00:00"
    assert summary(parse_lines(text)) == summary(arxiv_email.parse(text, "x"))


def test_usual_dates_read_as_the_general_reader_reads_them() -> None:
    rng = random.Random(3)
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    values = ["Mon, 29 Feb 2021 10:00:00 GMT", "Mon, 29 Feb 2020 24:00:00 GMT", "Sun, 0 Jan 2020"]
    for _ in range(3000):
        day = rng.choice([1, 9, 10, 28, 29, 30, 31, 32, 0])
        clock = f"{rng.randrange(26):02d}:{rng.randrange(62):02d}:{rng.randrange(62):02d}"
        value = f"{rng.choice(days)}, {day:0{rng.choice([1, 2])}d} {rng.choice(months)}"
        value += f" {rng.choice([1999, 2020, 2021, 2100])} {clock} GMT"
        values.append(value + rng.choice(["", "   (215kb)", " (3kb)", "  "]))
    for value in values:
        assert arxiv_email._timestamp_fast(value) == arxiv_email._timestamp(value), value


def test_usual_ids_and_links_read_as_the_general_readers_read_them() -> None:
    for text in ("2101.00001", "2101.00001v12", "1412.00001", "2113.00001", "2100.00001v0"):
        assert arxiv_email._paper_id(text) == normalize_id(text), text
    for paper_id, version in (("2101.00001", None), ("2101.00001", 3), ("hep-th/9901001", 1)):
        suffix = f"{paper_id}v{version}" if version else paper_id
        assert arxiv_email._ABS_URL + suffix == links.abs_url(paper_id, version)
        assert arxiv_email._PDF_URL + suffix == links.pdf_url(paper_id, version)
    for url in ("https://arxiv.org/abs/2101.00001", "http://arxiv.org/abs/math/0309136v2"):
        assert arxiv_email._link(url) == links.arxiv_link(url) == url
    assert arxiv_email._link("https://arxiv.org/abs/x%zz") == links.arxiv_link(
        "https://arxiv.org/abs/x%zz"
    )


line_text = st.text(alphabet=" \tab-\\%&<\u00a0\x0b", max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(line_text, min_size=1, max_size=8))
def test_plain_abstracts_split_into_paragraphs_as_before(lines: list[str]) -> None:
    text = "\n".join(lines)
    plain = is_plain(text)
    expected = clean_abstract(indented_paragraphs(lines), plain)
    assert arxiv_email._abstract([text], plain) == expected
    assert arxiv_email._abstract(lines, plain) == expected


def test_long_latin1_texts_are_plain_only_without_controls() -> None:
    body = "Gómez et al. " * 400 + "\n"
    assert len(body) > 4096
    assert is_plain(body) and is_plain(body + "€")
    for bad in ("\t", "\x0b", "\x85", "\xa0", "\xad", "\x7f", "\x1b", "\u2028"):
        assert not is_plain(body + bad), repr(bad)
    surely = "".join(chr(c) for c in range(256) if c == 10 or chr(c).isprintable())
    assert is_plain(surely * 20)


def test_authors_without_parentheses_split_as_before() -> None:
    cases = {
        "A, B and C": ["A", "B", "C"],
        "A, and B, AND C, Andrea Sandoval": ["A", "B", "C", "Andrea Sandoval"],
        "A,and B": ["A", "B"],
        "None, A,  , B\nand\tC": ["A", "B", "C"],
        "Alexandra Grand and Fernando": ["Alexandra Grand", "Fernando"],
    }
    for value, names in cases.items():
        assert authors_and_affiliations(value, and_words=True) == (names, {}), value
    assert authors_and_affiliations("A and B, C", and_words=False) == (["A and B", "C"], {})


def test_an_email_given_in_any_pieces_reads_the_same() -> None:
    rng = random.Random(5)
    abstracts = ["  One -- 5%.\nwrapped", "  Two.\n\n  Para \\\\ two", "x" * 50]
    text = HEAD + "".join(entry(k, rng.choice(abstracts)) for k in range(1, 40))
    whole = arxiv_email.parse(text, "x")
    assert len(whole.papers) == 39
    lines = text.splitlines(keepends=True)
    for _ in range(20):
        cuts = sorted(rng.sample(range(1, len(lines)), 5))
        pieces = ["".join(lines[a:b]) for a, b in zip([0, *cuts], [*cuts, len(lines)], strict=True)]
        parts = list(arxiv_email.iter_parse(iter(pieces), "x", batch=rng.choice([None, 3])))
        got = parts[-1]
        got.papers = [p for part in parts for p in part.papers]
        assert summary(got) == summary(whole)


def test_dates_of_the_quick_path_are_real_dates() -> None:
    value = "Sat, 26 Dec 2020 13:37:26 GMT   (37kb)"
    stamp = arxiv_email._timestamp_fast(value)
    assert stamp is not None and re.fullmatch(r"2020-12-26T13:37:26\+00:00", stamp)
    assert datetime.datetime.fromisoformat(stamp).tzinfo is not None
