"""The filter's words, found again in the text the reader shows.

:func:`highlights_for` reads a filter (through :func:`digest_tui.query.parse_query`)
and keeps the words and phrases a paper matched by: plain terms in the
title, the authors and the abstract; ``title:``, ``author:`` and ``abs:``
terms in their own field; never negated terms nor ``cat:``, ``id:``,
``date:``, ``is:`` or ``tag:``.  :meth:`Highlights.spans` finds them in a
text, ignoring case and accents, where a word starts (as the index matches
words and, while typing, their beginnings).  Nothing here is a regular
expression built from the filter, and nothing is markup: the spans are
character offsets for the widgets to style.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

from digest_tui.query import QueryError, parse_query

#: The fields a highlight is shown in.
FIELDS = ("title", "authors", "abstract")

Span = tuple[int, int]


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or unicodedata.category(ch) in ("Mn", "Mc", "Pc", "Co")


def _unspaced(ch: str) -> bool:
    """Scripts written without spaces between words (CJK, kana, Thai...): a
    match may start anywhere inside a run of them."""
    return ord(ch) >= 0x0E00 and unicodedata.category(ch).startswith("Lo")


def fold(text: str) -> tuple[str, list[int]]:
    """``text`` without case or accents, every run of non-word characters
    one space; and for each folded character, the index it came from."""
    out: list[str] = []
    where: list[int] = []
    gap = False
    for index, ch in enumerate(text):
        if not _is_word_char(ch):
            gap = True
            continue
        if gap and out:
            out.append(" ")
            where.append(index)
        gap = False
        for part in unicodedata.normalize("NFKD", ch):
            if unicodedata.combining(part):
                continue
            for folded in part.casefold():
                out.append(folded)
                where.append(index)
    return "".join(out), where


class Highlights(NamedTuple):
    """The folded words and phrases to show in each field."""

    title: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    abstract: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.title or self.authors or self.abstract)

    def needles(self, field: str) -> tuple[str, ...]:
        if field == "title":
            return self.title
        if field == "authors":
            return self.authors
        if field == "abstract":
            return self.abstract
        return ()

    def spans(self, field: str, text: str) -> list[Span]:
        """Where the field's words and phrases are in ``text``: sorted,
        non-overlapping ``(start, end)`` character offsets."""
        needles = self.needles(field)
        if not needles or not text:
            return []
        folded, where = fold(text)
        found: list[Span] = []
        for needle in needles:
            start = folded.find(needle)
            while start >= 0:
                before = folded[start - 1] if start else " "
                if before == " " or _unspaced(needle[0]) or _unspaced(before):
                    end = start + len(needle) - 1
                    found.append((where[start], where[end] + 1))
                start = folded.find(needle, start + 1)
        return _merge(found)


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


#: The query's field names (``Term.field``) and the fields they are shown in.
_TERM_FIELDS: dict[str | None, tuple[str, ...]] = {
    None: FIELDS,
    "title": ("title",),
    "authors": ("authors",),
    "abstract": ("abstract",),
}


def highlights_for(filter_text: str) -> Highlights:
    """The words and phrases of a filter to show; none for a filter that
    cannot be read."""
    try:
        terms = parse_query(filter_text, typing=True).terms
    except QueryError:
        return Highlights()
    by_field: dict[str, list[str]] = {name: [] for name in FIELDS}
    for term in terms:
        if term.negated or term.field not in _TERM_FIELDS:
            continue
        needle = fold(term.value)[0].strip()
        if not needle:
            continue
        for name in _TERM_FIELDS[term.field]:
            if needle not in by_field[name]:
                by_field[name].append(needle)
    return Highlights(
        title=tuple(by_field["title"]),
        authors=tuple(by_field["authors"]),
        abstract=tuple(by_field["abstract"]),
    )
