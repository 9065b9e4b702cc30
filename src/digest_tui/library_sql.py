"""The SQL of the filter language: a parsed :class:`~digest_tui.query.Query`
as a query over the library index.

The library owns the table names: ``papers p`` and its full-text index
``papers_fts``, ``appearances`` (where each paper was listed), and the
user's state database attached as ``st`` (``st.marks``, ``st.tags``).
Without the state attached nothing is starred, read, noted or tagged.

Text terms use FTS5 (case and diacritics ignored by its tokenizer).  The
index keeps which column of a paper holds each word, not where
(``detail=column``: half the size), so a term of several words (a quoted
phrase, "self-supervised", a watched name) is found by its words and then
checked, row by row, for the words in a row (:func:`has_phrase`, as the
tokenizer would read the column).  A first
index still building its full-text index (``fts=False``) matches them as
substrings instead, also ignoring case and diacritics (:func:`fold`;
:func:`register_functions` gives each connection the SQL functions used).

The last word of a filter is a prefix while it is typed (``"met"*``).  FTS5
answers a prefix by merging the lists of every word it stands for before
giving a first row (56 ms for ``met`` at a million papers), where the same
words as an OR are read in step (0.4 ms).  Given an ``expand`` function
(the library's, from its list of the index's words: see
:func:`expansion`), a prefix becomes the words it stands for when that is
cheaper; the papers matched are the same either way.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
import zlib
from collections.abc import Callable, Sequence

from digest_tui.query import SORTS, TEXT_FIELDS, Query, QueryError, Term, WatchList, has_word

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
assert tuple(_ORDER_BY) == SORTS

# The text each text field searches when there is no full-text index.
_LIKE_COLUMNS = {
    None: "(p.title || ' ' || p.authors || ' ' || dt_inflate(p.abstract) || ' ' || p.categories)",
    "title": "p.title",
    "authors": "p.authors",
    "abstract": "dt_inflate(p.abstract)",
}


def fold(text: str) -> str:
    """Text without case or diacritics ("Hernández" -> "hernandez"), for
    substring matching."""
    if text.isascii():
        return text.lower()
    return _NON_ASCII_RUN.sub(_fold_run, text).lower()


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _fold_run(m: re.Match[str]) -> str:
    decomposed = unicodedata.normalize("NFKD", m.group())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def folded_contains(haystack: object, needle: object) -> int:
    """1 when the folded ``needle`` is in ``haystack`` once folded, through
    a character beyond ASCII (LIKE finds the rest); else 0.

    Only the text around such characters is folded: any match through one
    starts at most ``len(needle)`` characters before a run of them and ends
    as far after one, so most of a row is never copied or normalised.
    """
    if not isinstance(haystack, str) or not isinstance(needle, str) or haystack.isascii():
        return 0
    n = len(needle)
    start = end = -1
    for m in _NON_ASCII_RUN.finditer(haystack):
        lo, hi = max(m.start() - n, 0), m.end() + n
        if lo <= end:  # overlaps the window before: one window
            end = hi
            continue
        if end >= 0 and needle in fold(haystack[start:end]):
            return 1
        start, end = lo, hi
    return int(end >= 0 and needle in fold(haystack[start:end]))


def _sql_casefold(value: object) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def inflate(value: object) -> str | None:
    """A text the library stores deflated (raw deflate of UTF-8 bytes) as
    text; a text stored as it is comes back as it is."""
    if isinstance(value, bytes):
        return zlib.decompress(value, wbits=-15).decode("utf-8", errors="replace")
    return value if isinstance(value, str) or value is None else str(value)


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the queries of this module call; once per connection."""
    conn.create_function("dt_inflate", 1, inflate, deterministic=True)
    conn.create_function("dt_has_phrase", -1, has_phrase, deterministic=True)
    conn.create_function("dt_folded_contains", 2, folded_contains, deterministic=True)
    conn.create_function("dt_casefold", 1, _sql_casefold, deterministic=True)


def where_sql(
    query: Query,
    *,
    state_available: bool = True,
    fts: bool = True,
    watch: WatchList | None = None,
    digest_categories: frozenset[str] | None = None,
    expand: Expander | None = None,
) -> tuple[str, list[object]]:
    """A WHERE clause over ``papers p`` and its parameters ("" matches all).

    ``watch`` is what ``is:watched`` matches (None: nothing).
    ``digest_categories``: every category of an appearance, in lower case
    (see :func:`digest_categories_sql`); with it, ``cat:`` looks at the
    appearances only when one could match.  None: always.
    ``expand``: the words of the index a prefix stands for (see
    :data:`Expander`); None: prefixes are searched as prefixes.
    """
    clauses, params, match = _parts(
        query,
        state_available=state_available,
        fts=fts,
        watch=watch,
        cats=digest_categories,
        expand=expand,
    )
    if match is not None:
        clauses.insert(0, "p.pid IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)")
        params.insert(0, match)
    return " AND ".join(clauses), params


def select_sql(
    query: Query,
    *,
    state_available: bool = True,
    fts: bool = True,
    limit: int | None = None,
    watch: WatchList | None = None,
    sort: str = "digest",
    digest_categories: frozenset[str] | None = None,
    expand: Expander | None = None,
) -> tuple[str, list[object]]:
    """A SELECT of matching pids in display order (the other arguments as
    for :func:`where_sql`).

    ``sort`` is one of :data:`digest_tui.query.SORTS`: ``"digest"``
    (ascending pid: newest digest first, then each digest's own order),
    ``"date"`` (newest published first), ``"title"`` (A to Z, any case) or
    ``"id"`` (newest arXiv id first); ties keep the digest order.  Anything
    else raises ``ValueError``.

    When the query has words, the full-text index drives the scan in pid
    order, so the first screen of a common word is found without reading
    every match; without words the narrow ``papers_scan`` index is read in
    pid order, unless the query asks for papers the user marked (starred,
    noted, tagged), which are looked up by pid from the marks.
    """
    if sort not in _ORDER_BY:
        raise ValueError(f"unknown sort {sort!r} (use {', '.join(SORTS)})")
    clauses, params, match = _parts(
        query,
        state_available=state_available,
        fts=fts,
        watch=watch,
        cats=digest_categories,
        expand=expand,
    )
    if match is not None:
        sql = (
            "SELECT f.rowid FROM papers_fts f CROSS JOIN papers p ON p.pid = f.rowid"
            " WHERE papers_fts MATCH ?"
        )
        params.insert(0, match)
        if clauses:
            sql += " AND " + " AND ".join(clauses)
        sql += " ORDER BY f.rowid" if sort == "digest" else f" ORDER BY {_ORDER_BY[sort]}"
    elif sort == "digest" and not any(c.startswith(_BY_MARKS) for c in clauses):
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


#: Every category of an appearance, in lower case (for ``digest_categories``).
DIGEST_CATEGORIES_SQL = (
    "SELECT DISTINCT lower(category) FROM appearances WHERE category IS NOT NULL"
)


def watch_match_expr(watch: WatchList) -> str | None:
    """An FTS5 expression matching any watched author or keyword, or None
    (a superset when one is several words: see :func:`watch_match_sql`)."""
    parts = [f"authors : {_fts_words(a)}" for a in watch.clean_authors()]
    parts += [f"{{title abstract}} : {_fts_words(k)}" for k in watch.clean_keywords()]
    return " OR ".join(parts) if parts else None


def watch_match_sql(watch: WatchList) -> tuple[str, list[object]] | None:
    """A clause matching any watched author or keyword (the words in a row)."""
    conds: list[str] = []
    params: list[object] = []
    for field, values in (("authors", watch.clean_authors()), (None, watch.clean_keywords())):
        for value in values:
            expr = _fts_words(value)
            spec = "{title abstract}" if field is None else field
            cond = "p.pid IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)"
            p: list[object] = [f"{spec} : {expr}"]
            words = phrase_words(value)
            if len(words) > 1:
                cols = _PHRASE_COLUMNS["authors" if field else "title abstract"]
                cond = f"({cond} AND dt_has_phrase(?, {cols}))"
                p.append(" ".join(words))
            conds.append(cond)
            params.extend(p)
    if not conds:
        return None
    return "(" + " OR ".join(conds) + ")", params


# The columns a phrase of each field is looked for in (as the FTS columns
# are made: see the library's papers_fts_text).
_PHRASE_COLUMNS = {
    None: "p.title, p.title_tex, p.authors, p.abstract, p.abstract_tex, p.categories",
    "title": "p.title, p.title_tex",
    "authors": "p.authors",
    "abstract": "p.abstract, p.abstract_tex",
    "title abstract": "p.title, p.title_tex, p.abstract, p.abstract_tex",
}
_WORD_RE = re.compile(r"[^\W_]+")


def phrase_words(value: str) -> list[str]:
    """The words the full-text tokenizer makes of ``value`` (folded)."""
    return _WORD_RE.findall(fold(value))


def has_phrase(spec: object, *columns: object) -> int:
    """1 when one of ``columns`` (text, or text the library stores deflated)
    holds the words of ``spec`` (folded words separated by spaces; a
    trailing ``*``: the last is a prefix) one after the other, as the
    tokenizer reads them; else 0."""
    if not isinstance(spec, str):
        return 0
    prefix = spec.endswith("*")
    words = spec.rstrip("*").split(" ")
    n = len(words)
    for column in columns:
        text = inflate(column)
        if not text:
            continue
        folded = fold(text)
        if words[0] not in folded:
            continue
        tokens = _WORD_RE.findall(folded)
        last = len(tokens) - n
        for i in range(last + 1):
            if tokens[i] != words[0]:
                continue
            if tokens[i + 1 : i + n - 1] != words[1 : n - 1]:
                continue
            tail = tokens[i + n - 1]
            if tail == words[-1] or (prefix and tail.startswith(words[-1])):
                return 1
    return 0


def watch_like_sql(watch: WatchList) -> tuple[str, list[object]] | None:
    """The same as substrings (case and diacritics ignored), for an index without FTS."""
    conds: list[str] = []
    params: list[object] = []
    for a in watch.clean_authors():
        cond, p = _folded_like("p.authors", a)
        conds.append(cond)
        params.extend(p)
    for k in watch.clean_keywords():
        cond, p = _folded_like("(p.title || ' ' || dt_inflate(p.abstract))", k)
        conds.append(cond)
        params.extend(p)
    if not conds:
        return None
    return "(" + " OR ".join(conds) + ")", params


def _parts(
    query: Query,
    *,
    state_available: bool,
    fts: bool,
    watch: WatchList | None,
    cats: frozenset[str] | None,
    expand: Expander | None = None,
) -> tuple[list[str], list[object], str | None]:
    """The clauses of a query, their parameters, and the FTS5 expression of
    its positive text terms (None: no words)."""
    clauses: list[str] = []
    params: list[object] = []
    positive_fts: list[str] = []
    for term in query.terms:
        if term.field in TEXT_FIELDS:
            if not has_word(term.value):
                continue  # punctuation: nothing the tokenizer would keep
            check = _phrase_check(term) if fts else None
            if fts and not term.negated:
                positive_fts.append(_fts_expr(term, expand))
                if check is not None:
                    clauses.append(check[0])
                    params.extend(check[1])
                continue
            if fts:
                clause = "p.pid IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)"
                p: list[object] = [_fts_expr(term, expand)]
                if check is not None:
                    clause = f"({clause} AND {check[0]})"
                    p.extend(check[1])
            else:
                clause, p = _folded_like(_LIKE_COLUMNS[term.field], term.value)
        elif term.field == "cat":
            clause, p = _cat_clause(term.value, cats)
        elif term.field == "id":
            clause, p = _id_clause(term.value)
        elif term.field == "date":
            clause, p = _date_clause(term)
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


def _fts_string(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _fts_tokens(value: str) -> list[str]:
    """The tokens FTS5's unicode61 tokenizer makes of ``value``, near enough
    that none of them is split again: letters, numbers and unassigned or
    private-use characters make tokens, combining marks are dropped (its
    remove_diacritics), anything else separates."""
    tokens: list[str] = []
    current: list[str] = []
    for c in value.lower():
        if c.isascii():
            if c.isalnum():
                current.append(c)
                continue
        else:
            kind = unicodedata.category(c)
            if kind[0] == "M":
                continue
            if kind[0] in "LN" or kind in ("Co", "Cn"):
                current.append(c)
                continue
        if current:
            tokens.append("".join(current))
            current = []
    if current:
        tokens.append("".join(current))
    return tokens


#: The shortest last word matched as a prefix while it is typed: a prefix of
#: one or two letters stands for thousands of words, whose lists the
#: full-text index merges (``m*`` took 2.5 s at a million papers, ``me*``
#: 0.35 s, ``met*`` 0.16 s); shorter ones match as whole words ("3d", "rl").
MIN_PREFIX = 3

#: The words of the index a prefix stands for, to search for instead of the
#: prefix (see :func:`expansion`); None: search for the prefix.  Given the
#: prefix's word as :func:`_fts_tokens` makes it (the library gives the
#: token FTS5 makes of it, and looks it up in its list of words).
Expander = Callable[[str], Sequence[str] | None]

#: When a prefix is searched as the words it stands for (:func:`expansion`).
#: Measured at a million papers, first 200 rows: FTS5 answers ``"met"*`` by
#: merging the whole list of every word with that prefix, about 1.2 us a
#: word and 20-60 ns a paper listed (``methods*`` 12 ms for 610,000 papers,
#: ``met*`` 56 ms for 11 words and 1.2 million, ``deep*`` 31 ms for 19,000
#: mostly rare words); an OR of exact words is read in step, 80-140 us a
#: word (up to 450 us for common words beside a rare one, each then sought
#: once for each of its papers: there the prefix costs more still).  So the
#: OR is cheaper once the words average 2,500 papers each: it is taken from
#: 4,000 (a margin for the estimate), and always for one word (that word is
#: at most the same work).  At most 256 words: past them the OR itself takes
#: 20-35 ms, and the words are mostly rare.
EXPAND_MAX_WORDS = 256
EXPAND_MIN_DOCS_PER_WORD = 4000


def expansion(found: Sequence[tuple[str, int]]) -> list[str] | None:
    """The words to search for instead of a prefix, or None to search for
    the prefix, given every word of the index with that prefix and about
    how many papers have it (``found``: at least :data:`EXPAND_MAX_WORDS`
    + 1 of them when there are more).  None also for no word: the prefix
    then reads nothing."""
    n = len(found)
    if n == 0 or n > EXPAND_MAX_WORDS:
        return None
    if n > 1 and sum(docs for _, docs in found) < EXPAND_MIN_DOCS_PER_WORD * n:
        return None
    return [word for word, _ in found]


def _fts_words(value: str, prefix: bool = False, expand: Expander | None = None) -> str:
    """``value`` for MATCH: its words, all of them (FTS5 without positions
    cannot look for a phrase; :func:`has_phrase` checks the order).  With
    ``prefix`` the last word is a prefix: the words it stands for when
    ``expand`` gives them, else ``"word"*``."""
    words = _fts_tokens(value)
    if prefix and len(words[-1] if words else value) < MIN_PREFIX:
        prefix = False
    if not words:
        return _fts_string(value.lower()) + ("*" if prefix else "")
    parts = [_fts_string(w) for w in words]
    if prefix:
        found = expand(words[-1]) if expand is not None else None
        if found is None:
            parts[-1] += "*"
        elif len(found) == 1:
            parts[-1] = _fts_string(found[0])
        else:
            parts[-1] = "(" + " OR ".join(_fts_string(w) for w in found) + ")"
    if len(parts) == 1:
        return parts[0]
    return "(" + " AND ".join(parts) + ")"


def _fts_expr(term: Term, expand: Expander | None = None) -> str:
    expr = _fts_words(term.value, term.prefix, expand)
    if term.field is not None:
        expr = f"{term.field} : {expr}"
    return expr


def _phrase_check(term: Term) -> tuple[str, list[object]] | None:
    """The row check of a term of several words (None for one word)."""
    words = phrase_words(term.value)
    if len(words) <= 1:
        return None
    prefix = term.prefix and len(words[-1]) >= MIN_PREFIX  # as the MATCH has it
    spec = " ".join(words) + ("*" if prefix else "")
    return f"dt_has_phrase(?, {_PHRASE_COLUMNS[term.field]})", [spec]


def _like_escape(v: str) -> str:
    return v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _folded_like(column: str, value: str) -> tuple[str, list[object]]:
    """``value`` as a substring of ``column``, case and diacritics ignored:
    LIKE (C, ASCII case) for most rows, :func:`folded_contains` for the rest."""
    needle = fold(value)
    return (
        f"({column} LIKE ? ESCAPE '\\' OR dt_folded_contains({column}, ?))",
        [f"%{_like_escape(needle)}%", needle],
    )


def _cat_clause(value: str, cats: frozenset[str] | None) -> tuple[str, list[object]]:
    """The paper's own categories, or a digest of that category listing it
    ("cat:cs" means every cs.* category, and an archive without subjects).

    Looking up a paper's appearances costs more than the rest of the row:
    it is left out when no appearance has the category (``cats``)."""
    haystack = "(' ' || lower(p.categories) || ' ')"
    low = value.lower()
    v = _like_escape(low)
    whole = "." in value or "-" in value
    if whole:
        own = f"{haystack} LIKE ? ESCAPE '\\'"
        listed = "a.category LIKE ? ESCAPE '\\'"
        params: list[object] = [f"% {v} %", v]
    else:
        own = f"({haystack} LIKE ? ESCAPE '\\' OR {haystack} LIKE ? ESCAPE '\\')"
        listed = "(a.category LIKE ? ESCAPE '\\' OR a.category LIKE ? ESCAPE '\\')"
        params = [f"% {v}.%", f"% {v} %", f"{v}.%", v]
    if cats is not None and not any(
        c == low or (not whole and c.startswith(low + ".")) for c in cats
    ):
        return own, params[: len(params) // 2]
    return (
        f"({own} OR EXISTS (SELECT 1 FROM appearances a WHERE a.pid = p.pid AND {listed}))",
        params,
    )


def _id_clause(value: str) -> tuple[str, list[object]]:
    return "(p.arxiv_id = ? OR p.arxiv_id LIKE ? ESCAPE '\\')", [value, _like_escape(value) + "%"]


def _date_clause(term: Term) -> tuple[str, list[object]]:
    dates = term.dates
    assert dates is not None  # parse_query sets it on every date: term
    sub = "p.pid IN (SELECT pid FROM appearances WHERE {})"
    if dates.latest:
        return sub.format("date = (SELECT max(date) FROM appearances)"), []
    conds: list[str] = []
    params: list[object] = []
    if dates.first is not None:
        conds.append("date >= ?")
        params.append(dates.first.isoformat())
    if dates.last is not None:
        # Before the next day, so "2020-05-31" and "2020-05-31T09:00" are both in.
        conds.append("date <= ?")
        params.append(dates.last.isoformat() + "~")
    return sub.format(" AND ".join(conds) or "date IS NOT NULL"), params


#: A clause on papers the user marked (few, against a library): the papers
#: are looked up from the marks by pid, instead of every paper being checked
#: against the marks in a scan of the library (0.3 ms against 140-360 ms for
#: ``is:starred`` at a million papers).  See :func:`select_sql`.
_BY_MARKS = "p.pid IN (SELECT pid FROM papers WHERE arxiv_id IN ("


def _by_marks(ids_sql: str) -> str:
    return f"{_BY_MARKS}{ids_sql}))"


def _is_clause(value: str, state_available: bool) -> tuple[str, list[object]]:
    if not state_available:
        # Nothing has been marked yet: nothing is read or starred.
        return ("0", []) if value in ("starred", "read", "noted") else ("1", [])
    if value == "starred":
        return _by_marks("SELECT id FROM st.marks WHERE starred = 1"), []
    if value == "unstarred":
        return "p.arxiv_id NOT IN (SELECT id FROM st.marks WHERE starred = 1)", []
    if value == "read":
        return "p.arxiv_id IN (SELECT id FROM st.marks WHERE read = 1)", []
    if value == "noted":
        return _by_marks("SELECT id FROM st.marks WHERE note IS NOT NULL AND note != ''"), []
    return "p.arxiv_id NOT IN (SELECT id FROM st.marks WHERE read = 1)", []


def _tag_clause(value: str, state_available: bool) -> tuple[str, list[object]]:
    if not state_available:
        return "0", []  # nothing is tagged yet
    # Python's casefold on both sides: "ML" and "ml" are one tag, whatever the script.
    return _by_marks("SELECT id FROM st.tags WHERE dt_casefold(tag) = ?"), [value.casefold()]


def _watched_clause(watch: WatchList | None, fts: bool) -> tuple[str, list[object]]:
    if watch is None:
        return "0", []
    if fts:
        match = watch_match_sql(watch)
        return ("0", []) if match is None else match
    like = watch_like_sql(watch)
    return ("0", []) if like is None else like
