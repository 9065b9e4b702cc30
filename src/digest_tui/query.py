"""The filter language shared by the CLI and the reader.

::

    diffusion video          both words (the last one also as a prefix, for typing)
    "image fusion"           a phrase
    -survey                  without a word (any term can be negated)
    title:gan author:hinton abs:lidar cat:cs.LG id:2005.10825
    date:2020-05-22  date:2020-05  date:>=2020-05-01  date:2020-05-01..2020-05-31
    date:latest  date:today  date:yesterday
    is:starred  is:unstarred  is:unread  is:read  is:noted
    is:watched               papers by a watched author or with a watched keyword
    tag:reading  tag:"to read"   papers with that tag (any case)

Matching is case-insensitive.  ``is:`` and ``tag:`` terms read the user's
state database, attached as ``st``; without it nothing is starred, read,
noted or tagged.  ``is:watched`` matches the :class:`WatchList` given to
:meth:`Query.to_sql` / :meth:`Query.select_sql` (from the config's
``[watch]`` table); with an empty watch list it matches nothing.

A query that cannot be understood raises :class:`QueryError` with a
one-line message; nothing else ever raises.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

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
IS_VALUES = ("starred", "unstarred", "unread", "read", "noted", "watched")
#: The orders :meth:`Query.select_sql` can list matches in.
SORTS = ("digest", "date", "title", "id")

# ORDER BY for each sort; every one ends in the pid, so ties keep the digest order.
# "date": when the paper was published (an ISO timestamp), else its digest's date.
# "id": newest arXiv id first; old-style ids (hep-th/9901001, 1991-2007) sort by
# their year and month among the new ones (0704.0001 and later).
_ORDER_BY = {
    "digest": "p.pid",
    "date": (
        "CASE WHEN p.published GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]*'"
        " THEN p.published ELSE p.sort_date END DESC, p.pid"
    ),
    "title": "p.title COLLATE NOCASE, p.pid",
    "id": (
        "CASE WHEN instr(p.arxiv_id, '/') > 0 THEN"
        " (CASE WHEN substr(p.arxiv_id, instr(p.arxiv_id, '/') + 1, 2) >= '91'"
        " THEN '19' ELSE '20' END)"
        " || substr(p.arxiv_id, instr(p.arxiv_id, '/') + 1, 4) || '.'"
        " || substr(p.arxiv_id, instr(p.arxiv_id, '/') + 5)"
        " ELSE '20' || p.arxiv_id END DESC, p.pid"
    ),
}


class QueryError(ValueError):
    """A query that cannot be understood; ``str()`` is a one-line message."""


@dataclass(frozen=True)
class WatchList:
    """Authors and keywords the user follows (``is:watched``).

    An author matches as a phrase in the authors (``"Geoffrey Hinton"``), a
    keyword as a phrase in the title or abstract; case and diacritics are
    ignored.  Entries without any letter or digit are ignored.
    """

    authors: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    def _authors(self) -> list[str]:
        return _clean_phrases(self.authors)

    def _keywords(self) -> list[str]:
        return _clean_phrases(self.keywords)

    def __bool__(self) -> bool:
        return bool(self._authors() or self._keywords())

    def match_expr(self) -> str | None:
        """An FTS5 expression matching any watched author or keyword, or None."""
        parts = [f"authors : {_fts_string(a.lower())}" for a in self._authors()]
        parts += [f"{{title abstract}} : {_fts_string(k.lower())}" for k in self._keywords()]
        return " OR ".join(parts) if parts else None

    def like_sql(self) -> tuple[str, list[object]] | None:
        """The same as case-insensitive substrings, for an index without FTS."""
        conds: list[str] = []
        params: list[object] = []
        for a in self._authors():
            conds.append("p.authors LIKE ? ESCAPE '\\'")
            params.append(f"%{_like_escape(a)}%")
        for k in self._keywords():
            conds.append("(p.title || ' ' || p.abstract) LIKE ? ESCAPE '\\'")
            params.append(f"%{_like_escape(k)}%")
        if not conds:
            return None
        return "(" + " OR ".join(conds) + ")", params


@dataclass(slots=True, frozen=True)
class Term:
    field: str | None  # None: any text column; else a FIELDS value
    value: str
    negated: bool = False
    phrase: bool = False
    prefix: bool = False  # the last word while typing


@dataclass(slots=True)
class Query:
    text: str
    terms: list[Term] = field(default_factory=list)

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
        return query

    def to_sql(
        self,
        *,
        state_available: bool = True,
        fts: bool = True,
        watch: WatchList | None = None,
    ) -> tuple[str, list[object]]:
        """A WHERE clause over ``papers p`` and its parameters.

        With ``fts=False`` (a first index still building its full-text
        index) text terms match as case-insensitive substrings instead.
        ``watch`` is what ``is:watched`` matches (None: nothing).
        """
        clauses, params, match = self._parts(state_available=state_available, fts=fts, watch=watch)
        if match is not None:
            clauses.insert(0, "p.pid IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)")
            params.insert(0, match)
        return " AND ".join(clauses), params

    def select_sql(
        self,
        *,
        state_available: bool = True,
        fts: bool = True,
        limit: int | None = None,
        watch: WatchList | None = None,
        sort: str = "digest",
    ) -> tuple[str, list[object]]:
        """A SELECT of matching pids in display order.

        ``sort`` is one of :data:`SORTS`: ``"digest"`` (ascending pid: newest
        digest first, then each digest's own order), ``"date"`` (newest
        published first), ``"title"`` (A to Z, any case) or ``"id"`` (newest
        arXiv id first); ties keep the digest order.  Anything else raises
        ``ValueError``.

        When the query has words, the full-text index drives the scan in pid
        order, so the first screen of a common word is found without reading
        every match.
        """
        if sort not in _ORDER_BY:
            raise ValueError(f"unknown sort {sort!r} (use {', '.join(SORTS)})")
        clauses, params, match = self._parts(state_available=state_available, fts=fts, watch=watch)
        if match is not None:
            sql = (
                "SELECT f.rowid FROM papers_fts f CROSS JOIN papers p ON p.pid = f.rowid"
                " WHERE papers_fts MATCH ?"
            )
            params.insert(0, match)
            if clauses:
                sql += " AND " + " AND ".join(clauses)
            sql += " ORDER BY f.rowid" if sort == "digest" else f" ORDER BY {_ORDER_BY[sort]}"
        elif sort == "digest":
            sql = "SELECT p.pid FROM papers p INDEXED BY papers_scan"
            if clauses:
                sql += " WHERE " + " AND ".join(clauses)
            sql += " ORDER BY p.pid"
        else:
            sql = "SELECT p.pid FROM papers p"
            if clauses:
                sql += " WHERE " + " AND ".join(clauses)
            sql += f" ORDER BY {_ORDER_BY[sort]}"
        if limit is not None:
            sql += f" LIMIT {max(int(limit), 0)}"
        return sql, params

    def _parts(
        self, *, state_available: bool, fts: bool, watch: WatchList | None = None
    ) -> tuple[list[str], list[object], str | None]:
        clauses: list[str] = []
        params: list[object] = []
        positive_fts: list[str] = []
        for term in self.terms:
            if term.field in (None, "title", "authors", "abstract"):
                if term.field is None and not term.phrase and _ID_RE.match(term.value):
                    clause, p = _id_clause(term.value)
                    clauses.append(f"NOT ({clause})" if term.negated else clause)
                    params.extend(p)
                    continue
                if not fts:
                    if _WORD_CHARS.search(term.value):
                        clause, p = _like_clause(term)
                        clauses.append(f"NOT ({clause})" if term.negated else clause)
                        params.extend(p)
                    continue
                expr = _fts_expr(term)
                if expr is None:
                    continue
                if term.negated:
                    clauses.append(
                        "p.pid NOT IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)"
                    )
                    params.append(expr)
                else:
                    positive_fts.append(expr)
                continue
            if term.field == "cat":
                clause, p = _cat_clause(term.value)
            elif term.field == "id":
                clause, p = _id_clause(term.value)
            elif term.field == "date":
                clause, p = _date_clause(term.value)
            elif term.field == "is" and term.value == "watched":
                clause, p = _watched_clause(watch, fts)
            elif term.field == "is":
                clause, p = _is_clause(term.value, state_available)
            elif term.field == "tag":
                clause, p = _tag_clause(term.value, state_available)
            else:  # pragma: no cover - parse_query only makes known fields
                raise QueryError(f"unknown filter {term.field}:")
            clauses.append(f"NOT ({clause})" if term.negated else clause)
            params.extend(p)
        return clauses, params, " AND ".join(positive_fts) if positive_fts else None


_TOKEN_RE = re.compile(
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
_ID_RE = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?$", re.IGNORECASE)


def _clean_text(text: str) -> str:
    """Without NUL and lone surrogates, which cannot reach SQLite."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _clean_phrases(values: tuple[str, ...]) -> list[str]:
    cleaned = (_clean_text(v).strip() for v in values if isinstance(v, str))
    return [v for v in cleaned if _WORD_CHARS.search(v)]


def parse_query(text: str) -> Query:
    """Parse the filter language.  Raises :class:`QueryError` only."""
    if not isinstance(text, str):
        raise QueryError("query must be text")
    # NUL and lone surrogates (undecodable command-line bytes) cannot reach SQLite.
    text = _clean_text(text)
    terms: list[Term] = []
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
        negated = bool(m.group("neg"))
        fname = m.group("field")
        phrase = m.group("phrase")
        word = m.group("word")
        at_end = pos >= n
        if fname is not None:
            key = fname.lower()
            if key not in FIELDS:
                raise QueryError(
                    f"unknown filter {fname}: (use title: author: abs: cat: id: date: is: tag:)"
                )
            target = FIELDS[key]
        else:
            target = None
        if phrase is None and word is None:
            if fname is not None:
                if at_end and ends_open:
                    continue  # still typing "title:"
                raise QueryError(f"{fname}: needs a value")
            continue  # a lone "-"
        value = phrase if phrase is not None else word
        assert value is not None
        if target == "is":
            v = value.lower()
            if v not in IS_VALUES:
                if at_end and ends_open and any(x.startswith(v) for x in IS_VALUES):
                    continue  # still typing "is:sta"
                raise QueryError(f"is:{value} is not known (use {', '.join(IS_VALUES)})")
            value = v
        elif target == "date":
            if at_end and ends_open and not _date_complete(value):
                continue  # still typing the date
            _date_bounds(value)  # validates
        elif not value.strip():
            continue
        terms.append(
            Term(
                field=target,
                value=value,
                negated=negated,
                phrase=phrase is not None,
                prefix=at_end and ends_open and (phrase is None or m.group("closed") is None),
            )
        )
    return Query(text, terms)


def _fts_string(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _fts_expr(term: Term) -> str | None:
    if not _WORD_CHARS.search(term.value):
        return None
    expr = _fts_string(term.value.lower())
    if term.prefix:
        expr += "*"
    if term.field is not None:
        expr = f"{term.field} : {expr}"
    return expr


def _like_clause(term: Term) -> tuple[str, list[object]]:
    columns = {
        None: "(p.title || ' ' || p.authors || ' ' || p.abstract || ' ' || p.categories)",
        "title": "p.title",
        "authors": "p.authors",
        "abstract": "p.abstract",
    }[term.field]
    return f"{columns} LIKE ? ESCAPE '\\'", [f"%{_like_escape(term.value)}%"]


def _cat_clause(value: str) -> tuple[str, list[object]]:
    v = value.strip().lower()
    haystack = "(' ' || lower(p.categories) || ' ')"
    if "." in v or "-" in v:
        return f"{haystack} LIKE ? ESCAPE '\\'", [f"% {_like_escape(v)} %"]
    # "cat:cs" means every cs.* category, and an archive without subjects.
    return (
        f"({haystack} LIKE ? ESCAPE '\\' OR {haystack} LIKE ? ESCAPE '\\')",
        [f"% {_like_escape(v)}.%", f"% {_like_escape(v)} %"],
    )


def _like_escape(v: str) -> str:
    return v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _id_clause(value: str) -> tuple[str, list[object]]:
    v = value.strip().lower()
    for prefix in ("https://", "http://"):
        if v.startswith(prefix):
            v = v[len(prefix) :]
    for prefix in ("arxiv.org/abs/", "arxiv.org/pdf/", "arxiv:"):
        if v.startswith(prefix):
            v = v[len(prefix) :]
    v = v.removesuffix(".pdf")
    v = re.sub(r"v\d+$", "", v) if _ID_RE.match(v) else v
    return "(p.arxiv_id = ? OR p.arxiv_id LIKE ? ESCAPE '\\')", [v, _like_escape(v) + "%"]


_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _date_complete(value: str) -> bool:
    try:
        _date_bounds(value)
    except QueryError:
        return False
    return True


def _check_date(v: str) -> str:
    m = _DATE_RE.match(v)
    if not m:
        raise QueryError(f"date {v!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = m.group(1), m.group(2), m.group(3)
    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise QueryError(f"date {v!r} does not exist") from None
    return v


def _date_bounds(value: str) -> tuple[str, str]:
    """A date filter as (operator, value), validated."""
    v = value.strip().lower()
    if v in ("latest", "newest"):
        return "latest", ""
    if v in ("today", "yesterday"):
        day = dt.date.today() - dt.timedelta(days=1 if v == "yesterday" else 0)
        return "=", day.isoformat()
    if ".." in v:
        lo, _, hi = v.partition("..")
        if lo:
            _check_date(lo)
        if hi:
            _check_date(hi)
        if not lo and not hi:
            raise QueryError("date range needs a start or an end")
        return "..", f"{lo}..{hi}"
    for op in (">=", "<=", ">", "<", "="):
        if v.startswith(op):
            return op, _check_date(v[len(op) :])
    return "=", _check_date(v)


def _date_clause(value: str) -> tuple[str, list[object]]:
    op, v = _date_bounds(value)
    sub = "p.pid IN (SELECT pid FROM appearances WHERE {})"
    if op == "latest":
        return sub.format("date = (SELECT max(date) FROM appearances)"), []
    if op == "=":
        return sub.format("date BETWEEN ? AND ?"), [v, v + "~"]
    if op == ">=":
        return sub.format("date >= ?"), [v]
    if op == ">":
        return sub.format("date > ?"), [v + "~"]
    if op == "<":
        return sub.format("date < ?"), [v]
    if op == "<=":
        return sub.format("date <= ?"), [v + "~"]
    lo, _, hi = v.partition("..")
    conds: list[str] = []
    params: list[object] = []
    if lo:
        conds.append("date >= ?")
        params.append(lo)
    if hi:
        conds.append("date <= ?")
        params.append(hi + "~")
    return sub.format(" AND ".join(conds)), params


def _is_clause(value: str, state_available: bool) -> tuple[str, list[object]]:
    if not state_available:
        # Nothing has been marked yet: nothing is read or starred.
        return ("0", []) if value in ("starred", "read", "noted") else ("1", [])
    if value == "starred":
        return "p.arxiv_id IN (SELECT id FROM st.marks WHERE starred = 1)", []
    if value == "unstarred":
        return "p.arxiv_id NOT IN (SELECT id FROM st.marks WHERE starred = 1)", []
    if value == "read":
        return "p.arxiv_id IN (SELECT id FROM st.marks WHERE read = 1)", []
    if value == "noted":
        return (
            "p.arxiv_id IN (SELECT id FROM st.marks WHERE note IS NOT NULL AND note != '')",
            [],
        )
    return "p.arxiv_id NOT IN (SELECT id FROM st.marks WHERE read = 1)", []


def _tag_clause(value: str, state_available: bool) -> tuple[str, list[object]]:
    if not state_available:
        return "0", []  # nothing is tagged yet
    # SQLite's lower() on both sides: the same folding whatever the tag's script.
    return "p.arxiv_id IN (SELECT id FROM st.tags WHERE lower(tag) = lower(?))", [value.strip()]


def _watched_clause(watch: WatchList | None, fts: bool) -> tuple[str, list[object]]:
    if watch is None:
        return "0", []
    if fts:
        expr = watch.match_expr()
        if expr is None:
            return "0", []
        return "p.pid IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)", [expr]
    like = watch.like_sql()
    return ("0", []) if like is None else like
