"""The filter language shared by the CLI and the reader: text to a tree.

::

    diffusion video          both words (the last one also as a prefix, from 3 letters)
    "image fusion"           a phrase
    -survey                  without a word (any term can be negated)
    title:gan author:hinton abs:lidar cat:cs.LG id:2005.10825
    date:2020-05-22  date:2020-05  date:>=2020-05-01  date:2020-05-01..2020-05-31
    date:latest  date:today  date:yesterday
    is:starred  is:unstarred  is:unread  is:read  is:noted
    is:watched               papers by a watched author or with a watched keyword
    tag:reading  tag:"to read"   papers with that tag (any case)

:func:`parse_query` turns the text into a :class:`Query`, a list of
:class:`Term` whose values are checked and normalised (``is:`` values,
dates as :class:`DateRange`, arXiv ids).  Nothing here knows how papers are
stored: :mod:`digest_tui.library_sql` turns a query into SQL.

A query that cannot be understood raises :class:`QueryError` with a
one-line message; nothing else ever raises.  By default every term must be
complete.  With ``typing=True`` (the reader's live filter) the last term may
still be unfinished (``title:``, ``is:sta``, ``date:2020-0``): it is left
out, and :attr:`Query.unfinished` says what is wrong with it, for the
reader to show once typing stops.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from digest_tui.models import Record
from digest_tui.patterns import Pattern
from digest_tui.text import one_line

FIELDS = {
    "title": "title",
    "ti": "title",
    "author": "authors",
    "authors": "authors",
    "au": "authors",
    "abs": "abstract",
    "abstract": "abstract",
    "cat": "cat",
    "category": "cat",
    "id": "id",
    "date": "date",
    "is": "is",
    "tag": "tag",
}
#: Fields whose value is searched as words in the text of a paper.
TEXT_FIELDS = (None, "title", "authors", "abstract")
IS_VALUES = ("starred", "unstarred", "unread", "read", "noted", "watched")
#: The orders the library can list matches in (see :meth:`Library.search`), in
#: the order the reader cycles through them.
SORTS = ("digest", "date", "title", "id")


class QueryError(ValueError):
    """A query that cannot be understood; ``str()`` is a one-line message."""


class WatchList(NamedTuple):
    """Authors and keywords the user follows (``is:watched``).

    An author matches as a phrase in the authors (``"Geoffrey Hinton"``), a
    keyword as a phrase in the title or abstract; case and diacritics are
    ignored.  Entries without any letter or digit are ignored.
    """

    authors: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    def clean_authors(self) -> list[str]:
        """The authors that can be matched (text, with a letter or digit)."""
        return _clean_phrases(self.authors)

    def clean_keywords(self) -> list[str]:
        """The keywords that can be matched (text, with a letter or digit)."""
        return _clean_phrases(self.keywords)

    def __bool__(self) -> bool:
        return bool(self.clean_authors() or self.clean_keywords())


class DateRange(NamedTuple):
    """The digest days a ``date:`` term matches: ``first`` to ``last``
    inclusive, either open (None); or the newest digest day (``latest``)."""

    first: dt.date | None = None
    last: dt.date | None = None
    latest: bool = False


class Term(NamedTuple):
    """One term of a query.

    ``field`` is None (words anywhere in the text) or a :data:`FIELDS` value.
    ``value`` is normalised for ``is:`` (lower case), ``id:`` (a bare arXiv
    id, lower case, no version), ``cat:`` and ``tag:`` (stripped);
    a word that is an arXiv id becomes an ``id`` term.  ``dates`` is set for
    ``date:`` terms.  ``prefix``: the last word, matched as a word prefix.
    """

    field: str | None
    value: str
    negated: bool = False
    phrase: bool = False
    prefix: bool = False
    dates: DateRange | None = None


class Query(Record):
    """A parsed filter: its text and terms."""

    __slots__ = ("text", "terms", "unfinished")

    def __init__(
        self, text: str, terms: list[Term] | None = None, unfinished: str | None = None
    ) -> None:
        self.text = text
        self.terms: list[Term] = [] if terms is None else terms
        #: With ``parse_query(..., typing=True)``: why the last term, left out
        #: because it is unfinished, would be an error once typing stops.
        self.unfinished = unfinished

    @property
    def needs_state(self) -> bool:
        """True when a term reads the user's state (``is:starred``, ``tag:x``, ...)."""
        return any(
            t.field == "tag" or (t.field == "is" and t.value != "watched") for t in self.terms
        )

    def __bool__(self) -> bool:
        return bool(self.terms)

    def with_terms(self, *extra: str) -> Query:
        """This query with more terms (the reader's views add ``is:unread``)."""
        text = " ".join(x for x in (*extra, self.text) if x)
        query = parse_query(" ".join(extra))
        query.terms.extend(self.terms)
        query.text = text
        query.unfinished = self.unfinished
        return query


_TOKEN_RE = Pattern(
    r"""
    (?P<neg>-)?
    (?:(?P<field>[A-Za-z]+):)?
    (?:
        "(?P<phrase>[^"]*)(?P<closed>")?
      | (?P<word>[^\s"]+)
    )?
    """,
    re.VERBOSE,
)
_WORD_CHARS = re.compile(r"\w", re.UNICODE)
_ID_RE = Pattern(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?$", re.IGNORECASE)


def has_word(text: str) -> bool:
    """True when ``text`` has a letter or digit (something to search for)."""
    return bool(_WORD_CHARS.search(text))


def _clean_text(text: str) -> str:
    """Without NUL and lone surrogates, which cannot reach SQLite."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _clean_phrases(values: tuple[str, ...]) -> list[str]:
    cleaned = (_clean_text(v).strip() for v in values if isinstance(v, str))
    return [v for v in cleaned if has_word(v)]


class _Unfinished(QueryError):
    """A last term that may still be being typed."""


def parse_query(text: str, *, typing: bool = False) -> Query:
    """Parse the filter language.  Raises :class:`QueryError` only.

    ``typing=True`` is for a filter parsed at each keystroke: an unfinished
    last term is left out and described in :attr:`Query.unfinished` instead
    of raising.
    """
    if not isinstance(text, str):
        raise QueryError("query must be text")
    # NUL and lone surrogates (undecodable command-line bytes) cannot reach SQLite.
    text = _clean_text(text)
    try:
        query = _parse(text, typing)
    except QueryError as exc:
        raise QueryError(one_line(str(exc))) from None
    if query.unfinished is not None:
        query.unfinished = one_line(query.unfinished)
    return query


def _parse(text: str, typing: bool) -> Query:
    query = Query(text)
    pos = 0
    n = len(text)
    ends_open = bool(text) and not text[-1].isspace()
    while pos < n:
        if text[pos].isspace():
            pos += 1
            continue
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:  # pragma: no cover - the regex always advances
            raise QueryError(f"cannot read the query at {text[pos : pos + 10]!r}")
        pos = m.end()
        # The term the cursor is on: a last word, or a quote still open (it
        # runs to the end of the text, spaces included).
        open_quote = m.group("phrase") is not None and m.group("closed") is None
        last = pos >= n and (ends_open or open_quote)
        if open_quote:
            message = f'unclosed quote: "{m.group("phrase").strip()}'
            if not typing:
                raise QueryError(message)
            query.unfinished = message
            if FIELDS.get((m.group("field") or "").lower()) not in TEXT_FIELDS:
                continue  # an exact value (tag:"to re) waits for its quote
        try:
            term = _term(m, last, prefix=pos >= n and ends_open)
        except _Unfinished as exc:
            if not typing:
                raise QueryError(str(exc)) from None
            if not open_quote:  # the quote is what to close first
                query.unfinished = str(exc)
            continue
        if term is not None:
            query.terms.append(term)
    return query


def _term(m: re.Match[str], last: bool, *, prefix: bool) -> Term | None:
    """The term of one token (None: nothing to search for, e.g. a lone ``-``).

    Raises :class:`_Unfinished` for what more typing could still make right
    (only when ``last``), :class:`QueryError` for the rest.  ``prefix``: the
    text ends in this term's last word, which is then matched as a prefix.
    """
    negated = bool(m.group("neg"))
    fname = m.group("field")
    phrase = m.group("phrase")
    word = m.group("word")
    unfinished = _Unfinished if last else QueryError
    target: str | None = None
    if fname is not None:
        key = fname.lower()
        if key not in FIELDS:
            raise QueryError(
                f"unknown filter {fname}: (use title: author: abs: cat: id: date: is: tag:)"
            )
        target = FIELDS[key]
    value = phrase if phrase is not None else word
    if value is None or (fname is not None and not value.strip()):
        if fname is None:
            return None  # a lone "-"
        raise unfinished(f"{fname}: needs a value")
    if target == "is":
        v = value.lower()
        if v not in IS_VALUES:
            message = f"is:{value} is not known (use {', '.join(IS_VALUES)})"
            if any(x.startswith(v) for x in IS_VALUES):
                raise unfinished(message)  # still typing "is:sta"
            raise QueryError(message)
        return Term("is", v, negated=negated, phrase=phrase is not None)
    if target == "date":
        try:
            dates = date_range(value)
        except QueryError as exc:
            raise unfinished(str(exc)) from None  # "date:2020-0" is still being typed
        return Term("date", value.strip().lower(), negated=negated, dates=dates)
    if target == "cat":
        return Term("cat", value.strip(), negated=negated, phrase=phrase is not None)
    if target == "tag":
        return Term("tag", value.strip(), negated=negated, phrase=phrase is not None)
    if target == "id" or (target is None and phrase is None and _ID_RE.match(value)):
        return Term("id", normalize_id(value), negated=negated, phrase=phrase is not None)
    if not value.strip():
        return None  # '""'
    return Term(
        target,
        value,
        negated=negated,
        phrase=phrase is not None,
        prefix=prefix and (phrase is None or m.group("closed") is None),
    )


def normalize_id(value: str) -> str:
    """An ``id:`` value as the index stores ids: no URL, no version, lower case."""
    v = value.strip().lower()
    for prefix in ("https://", "http://"):
        if v.startswith(prefix):
            v = v[len(prefix) :]
    for prefix in ("arxiv.org/abs/", "arxiv.org/pdf/", "arxiv:"):
        if v.startswith(prefix):
            v = v[len(prefix) :]
    v = v.removesuffix(".pdf")
    return re.sub(r"v\d+$", "", v) if _ID_RE.match(v) else v


_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _period(v: str) -> tuple[dt.date, dt.date]:
    """The first and last day of ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""
    m = _DATE_RE.match(v)
    if not m:
        raise QueryError(f"date {v!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        first = dt.date(year, int(month or 1), int(day or 1))
        if day:
            return first, first
        if month:
            following = dt.date(year + (first.month == 12), first.month % 12 + 1, 1)
            return first, following - dt.timedelta(days=1)
        return first, dt.date(year, 12, 31)
    except (ValueError, OverflowError):
        raise QueryError(f"date {v!r} does not exist") from None


def _shift(day: dt.date, days: int, v: str) -> dt.date:
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        raise QueryError(f"no digest is {'after' if days > 0 else 'before'} {v}") from None


def date_range(value: str) -> DateRange:
    """A ``date:`` value as the days it matches.  Raises :class:`QueryError`."""
    v = value.strip().lower()
    if v in ("latest", "newest"):
        return DateRange(latest=True)
    if v in ("today", "yesterday"):
        day = dt.date.today() - dt.timedelta(days=1 if v == "yesterday" else 0)
        return DateRange(day, day)
    if ".." in v:
        lo, _, hi = v.partition("..")
        if not lo and not hi:
            raise QueryError("date range needs a start or an end")
        first = _period(lo)[0] if lo else None
        last = _period(hi)[1] if hi else None
        if first is not None and last is not None and first > last:
            raise QueryError(f"date range {v} ends before it starts")
        return DateRange(first, last)
    for op in (">=", "<=", ">", "<", "="):
        if v.startswith(op):
            rest = v[len(op) :]
            first, last = _period(rest)
            if op == ">=":
                return DateRange(first, None)
            if op == ">":
                return DateRange(_shift(last, 1, rest), None)
            if op == "<":
                return DateRange(None, _shift(first, -1, rest))
            if op == "<=":
                return DateRange(None, last)
            return DateRange(first, last)
    return DateRange(*_period(v))
