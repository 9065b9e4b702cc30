"""Format "arxiv_email": an arXiv listing e-mail saved as text.

::

     Submissions to:
    Artificial Intelligence
     received from  Wed 21 Jan 26 19:00:00 GMT  to  Thu 22 Jan 26 19:00:00 GMT
    ------------------------------------------------------------------------------
    \\\\
    arXiv:2601.15305
    Date: Mon, 12 Jan 2026 20:33:39 GMT   (215kb)

    Title: Gated Sparse Attention: Combining Computational Efficiency with Training
      Stability for Long-Context Language Models
    Authors: Alfred Shen, Aaron Shen
    Categories: cs.AI cs.LG
    Comments: 15 pages
    \\\\
      The computational burden of attention in long-context language models has
    motivated two largely independent lines of work ...
    \\\\ ( https://arxiv.org/abs/2601.15305 ,  215kb)
    ------------------------------------------------------------------------------

Fields wrap onto indented lines; an abstract paragraph starts with an
indented line.  Cross-lists are ``arXiv:ID (*cross-listing*)``, replacements
have a ``replaced with revised version <date>`` line and no abstract.  A paper
listed twice in one e-mail (new, and again as a cross-list) is one paper with
two appearances.

Date: arXiv's listing date, the weekday after the ``received ... to <day>``
line (submissions up to Thursday 14:00 ET are listed on Friday, those up to
Friday on Monday).  Without that line, the UTC date of the mail's own
``Date:`` header (before the first entry); arXiv mails its listing just after
announcing it.  Category: the subject list named under ``Submissions to:``
(e.g. "Computer Vision and Pattern Recognition" -> ``cs.CV``).  An e-mail for
several lists has no single category; each appearance then gets the first of
the paper's categories among those lists (one not yet used for this paper in
this e-mail, so new and cross-list appearances differ).
"""

from __future__ import annotations

import datetime
import email.utils
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from digest_tui.models import Appearance, Paper, ParseResult, ParseWarning
from digest_tui.parsing._common import (
    FIELD_CUT,
    MAX_FIELD_CHARS,
    Collector,
    arxiv_link,
    authors_and_affiliations,
    clean_abstract,
    clean_inline,
    collapse,
    is_plain,
    iso_timestamp,
    next_weekday,
    normalize_id,
    parse_categories,
    too_long,
)

NAME = "arxiv_email"

_SNIFF_CHARS = 65536
# A "\\" line then an "arXiv:ID" (or old "Paper: ID") line, or the mail's
# "Submissions to:" / "received from ... to ..." preamble.
_SNIFF_RE = re.compile(
    r"^\\\\[ \t]*\r?\n(?:arXiv:|Paper(?:[ \t]{0,5}\(\*cross-listing\*\))?:[ \t]{0,5})"
    r"[a-z0-9]"
    r"|^[ \t]{0,5}Submissions[ \t]to:[ \t]*\r?$"
    r"|^[ \t]{0,5}received[ \t]from[ \t]{1,5}\S[^\n]{0,80}[ \t]to[ \t]",
    re.I | re.M,
)
_ID_LINE_RE = re.compile(
    r"(?:arXiv:|Paper(?:\s{0,5}\(\*cross-listing\*\))?:\s{0,5})"
    r"(\S{1,60})(\s{1,20}\(\*cross-listing\*\))?\s{0,20}(?:\(\s{0,5}\d{1,9}\s{0,5}kb\s{0,5}\))?\s*",
    re.I,
)
_FIELD_RE = re.compile(r"([A-Za-z][A-Za-z-]{0,30}):\s?(.*)")
_USUAL_ID_RE = re.compile(r"\d{4}\.\d{5}(?:v(\d{1,6}))?", re.ASCII)
# links.abs_url and links.pdf_url: an id normalize_id gives needs no quoting.
_ABS_URL = "https://arxiv.org/abs/"
_PDF_URL = "https://arxiv.org/pdf/"
_FIELD_NAME_RE = re.compile(r"[A-Za-z][A-Za-z-]{0,30}")
_FIELD_KEYS: dict[str, str] = {}  # field name as written -> key (see _field_key)
_RECEIVED_RE = re.compile(
    r"\s{0,5}received\s{1,5}from\s.{0,80}?\sto\s{1,5}(?:[A-Za-z]{3}\s{1,5})?"
    r"(\d{1,2})\s{1,5}([A-Za-z]{3})\s{1,5}(\d{2,4})\b.{0,60}",
    re.I,
)
_REPLACED_RE = re.compile(
    r"replaced with revised version\s{1,5}(.{1,80}?)\s*(?:\(\s*\d+\s*kb\s*\))?\s*"
)
_SEPARATOR_RE = re.compile(r"-{20,}|%%-?-?%%[-%]*|%{3}-{3}[-%]*")
_ABS_LINK_RE = re.compile(r"\\\\\s{0,5}\(\s{0,5}(\S{1,2000})\s{0,5},.{0,40}\)\s*")
# The line that ends an abstract (or the lines of an entry skipped): "\\\\"
# alone, a line starting with "\\\\" (the link), or a separator (as above).
_END_LINE = r"(?:\\\\|[^\S\n]*(?:\\\\|-{20,}|%%-?-?%%[-%]*|%{3}-{3}[-%]*)[^\S\n]*(?=\n|\Z))"
_ABSTRACT_END_RE = re.compile(_END_LINE)  # matched at the start of a line
_BACKSLASHES_RE = re.compile(r"[^\S\n]*\\\\[^\S\n]*(?=\n|\Z)")
# A line break before an indented line that is not blank (see indented_paragraphs).
# A paragraph break in plain text (see _abstract): _PARAGRAPH_RE's, or one
# _INDENTED_RE makes.
_BREAK_RE = re.compile(r"\n(?:[^\S\n]*\n\s*|(?=[ \t][^\n]*?\S))")
_INDENTED_RE = re.compile(r"\n(?=[ \t][^\n]*?\S)")
_ENTRY_FIELDS = frozenset(("title", "authors", "date", "categories"))
# The usual Date: value, "Mon, 12 Jan 2026 20:33:39 GMT   (215kb)" (see _timestamp_fast).
_GMT_DATE_RE = re.compile(
    r"((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{1,2}) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([12]\d{3})) "
    r"(\d\d):(\d\d):(\d\d) GMT(?: {1,5}\(\d{1,9}kb\))?",
    re.ASCII,
)
_DAYS: dict[str, str] = {}  # "Mon, 12 Jan 2026" -> "2026-01-12", or "" when not a date
# An arxiv.org link that arxiv_link returns as it is.
_PLAIN_ARXIV_URL_RE = re.compile(r"https?://arxiv\.org/[A-Za-z0-9/._-]*", re.ASCII)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}

# Subject list names as arXiv's e-mails write them -> category, per archive.
_LISTS: dict[str, dict[str, str]] = {
    "cs": {
        "artificial intelligence": "cs.AI",
        "hardware architecture": "cs.AR",
        "computational complexity": "cs.CC",
        "computational engineering, finance, and science": "cs.CE",
        "computational geometry": "cs.CG",
        "computation and language": "cs.CL",
        "cryptography and security": "cs.CR",
        "computer vision and pattern recognition": "cs.CV",
        "computers and society": "cs.CY",
        "databases": "cs.DB",
        "distributed, parallel, and cluster computing": "cs.DC",
        "digital libraries": "cs.DL",
        "discrete mathematics": "cs.DM",
        "data structures and algorithms": "cs.DS",
        "emerging technologies": "cs.ET",
        "formal languages and automata theory": "cs.FL",
        "general literature": "cs.GL",
        "graphics": "cs.GR",
        "computer science and game theory": "cs.GT",
        "human-computer interaction": "cs.HC",
        "information retrieval": "cs.IR",
        "information theory": "cs.IT",
        "machine learning": "cs.LG",
        "logic in computer science": "cs.LO",
        "multiagent systems": "cs.MA",
        "multimedia": "cs.MM",
        "mathematical software": "cs.MS",
        "numerical analysis": "cs.NA",
        "neural and evolutionary computing": "cs.NE",
        "networking and internet architecture": "cs.NI",
        "other computer science": "cs.OH",
        "operating systems": "cs.OS",
        "performance": "cs.PF",
        "programming languages": "cs.PL",
        "robotics": "cs.RO",
        "symbolic computation": "cs.SC",
        "sound": "cs.SD",
        "software engineering": "cs.SE",
        "social and information networks": "cs.SI",
        "systems and control": "cs.SY",
    },
    "stat": {
        "applications": "stat.AP",
        "computation": "stat.CO",
        "methodology": "stat.ME",
        "machine learning": "stat.ML",
        "other statistics": "stat.OT",
        "statistics theory": "stat.TH",
    },
    "eess": {
        "audio and speech processing": "eess.AS",
        "image and video processing": "eess.IV",
        "signal processing": "eess.SP",
        "systems and control": "eess.SY",
    },
}
_ARCHIVE_RE = re.compile(r"e-mail\s{1,5}To:\s{0,5}([a-z-]{1,20})@arxiv\.org", re.I)


def sniff(text: str) -> bool:
    """A ``\\\\`` line followed by ``arXiv:ID``, or the e-mail's preamble lines."""
    return sniff_offset(text) is not None


def sniff_offset(text: str) -> int | None:
    """Where the first sign of this format is in ``text`` (its first 64 KiB), or None."""
    m = _SNIFF_RE.search(text[:_SNIFF_CHARS])
    return None if m is None else m.start()


def _mail_date(value: str) -> str | None:
    """UTC date of an RFC 2822 ``Date:`` value."""
    try:
        when = email.utils.parsedate_to_datetime(value.strip()[:200])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is not None:
        when = when.astimezone(datetime.timezone.utc)
    return when.date().isoformat()


def _timestamp(value: str) -> str | None:
    """``Mon, 12 Jan 2026 20:33:39 GMT   (215kb)`` -> ISO timestamp (UTC)."""
    value = re.sub(r"\(\s{0,5}\d{1,9}\s{0,5}kb\s{0,5}\)", "", value[:200], flags=re.I).strip()
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return iso_timestamp(value)
    if when.tzinfo is not None:
        when = when.astimezone(datetime.timezone.utc)
    return when.isoformat()


def _listing_date(m: re.Match[str]) -> str | None:
    month = _MONTHS.get(m.group(2).lower())
    if month is None:
        return None
    year = int(m.group(3))
    if year < 100:
        year += 2000 if year < 90 else 1900
    try:
        day = datetime.date(year, month, int(m.group(1)))
    except ValueError:
        return None
    return next_weekday(day).isoformat()


def parse(text: str, source: str) -> ParseResult:
    """Parse one e-mail (all of it at once: see :func:`iter_parse`)."""
    return next(iter_parse((text,), source))


def _texts(
    chunks: Iterable[str], tail: list[str], ends_file: bool = True, starts_file: bool = True
) -> Iterator[tuple[str, bool]]:
    """The lines of ``chunks`` (each but the last ends with a line break) a
    piece at a time, as :func:`split_lines` splits one text: ``(text,
    plain)``, ``text`` being the piece's lines joined by ``\\n`` (the line
    break that ends a piece is not part of it) and ``plain`` whether the
    piece is plain (see :func:`is_plain`).  ``tail`` gets the last character
    of the text.  Unless ``ends_file``, the chunks are a part of a file that
    ends with a line break: the last is given as any other piece; unless
    ``starts_file``, a byte order mark is not taken off the first."""
    pending: str | None = None
    first = starts_file
    for chunk in (*chunks, None) if isinstance(chunks, tuple) else _with_end(chunks):
        if pending is not None:
            text = pending
            if first and text.startswith("\ufeff"):
                text = text[1:]
            first = False
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            if text:
                tail[0] = text[-1]
            if chunk is None and ends_file:  # the last piece: a final line break ends an empty line
                yield text, is_plain(text)
            elif text:
                yield (text[:-1] if text[-1] == "\n" else text), is_plain(text)
        pending = chunk


def _with_end(chunks: Iterable[str]) -> Iterator[str | None]:
    yield from chunks
    yield None


def _abstract_text(parts: list[str]) -> str:
    """The abstract's lines (``parts``: runs of them joined by ``\\n``) as
    :func:`indented_paragraphs` gives them: an indented line that is not
    blank starts a paragraph."""
    text = parts[0] if len(parts) == 1 else "\n".join(parts)
    if "\n " in text or "\n\t" in text:
        text = _INDENTED_RE.sub("\n\n", text)
    return text


def _abstract(parts: list[str], plain: bool) -> str:
    """``clean_abstract(_abstract_text(parts), plain)``, in one pass over
    plain text without markup: there a paragraph break is a blank line or
    a line break before an indented line (what :func:`indented_paragraphs`
    makes a blank line), and each paragraph's whitespace is collapsed."""
    text = parts[0] if len(parts) == 1 else "\n".join(parts)
    if not plain or len(text) > MAX_FIELD_CHARS // 2 or "<" in text or "&" in text:
        return clean_abstract(_abstract_text(parts), plain)
    pieces = _BREAK_RE.split(text)
    if len(pieces) == 1:
        return collapse(text, True)
    return "\n\n".join(p for p in (collapse(q, True) for q in pieces) if p)


def _abstract_too_long(parts: list[str]) -> bool:
    """Whether a line of the abstract is longer than :data:`MAX_FIELD_CHARS`."""
    return any(len(part) > MAX_FIELD_CHARS and too_long(part.split("\n")) for part in parts)


def _timestamp_fast(value: str) -> str | None:
    """:func:`_timestamp` of the usual ``Mon, 12 Jan 2026 20:33:39 GMT   (215kb)``."""
    m = _GMT_DATE_RE.fullmatch(value)
    if m is None:
        return _timestamp(value)
    day = _DAYS.get(m[1])
    if day is None:
        try:
            valid = datetime.date(int(m[4]), _MONTHS[m[3].lower()], int(m[2])).isoformat()
        except ValueError:
            valid = ""
        if len(_DAYS) < 100000:
            _DAYS[m[1]] = valid
        day = valid
    if not day or m[5] > "23" or m[6] > "59" or m[7] > "59":
        return _timestamp(value)
    return f"{day}T{m[5]}:{m[6]}:{m[7]}+00:00"


_DASHES = "-" * 20


class _Ends:
    """Where the next line that ends part of an entry is in one piece of the
    text: a line that ends an abstract holds a backslash, twenty dashes (a
    separator) or "%", so only the lines that do are matched (looking for
    one character is quick).  The next of each of the
    three is looked for once as the reader moves on (the piece is read
    once, however long)."""

    __slots__ = ("backslash", "dash", "percent", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.backslash = text.find("\\")  # -1: no more
        self.dash = text.find(_DASHES)
        self.percent = text.find("%")

    def entry_end(self, pos: int) -> int:
        """Where the first line from ``pos`` (a line start) that ends an
        abstract starts: "\\\\" alone, a link, a separator; -1 if none."""
        text = self.text
        while True:
            if 0 <= self.backslash < pos:
                self.backslash = text.find("\\", pos)
            if 0 <= self.dash < pos:
                self.dash = text.find(_DASHES, pos)
            if 0 <= self.percent < pos:
                self.percent = text.find("%", pos)
            at = self.backslash
            if self.dash >= 0 and (at < 0 or self.dash < at):
                at = self.dash
            if self.percent >= 0 and (at < 0 or self.percent < at):
                at = self.percent
            if at < 0:
                return -1
            start = text.rfind("\n", pos, at) + 1 or pos
            if _ABSTRACT_END_RE.match(text, start):
                return start
            pos = text.find("\n", at) + 1
            if not pos:
                return -1

    def backslashes(self, pos: int) -> int:
        """Where the first "\\\\" line from ``pos`` (a line start) starts, or -1."""
        text = self.text
        while True:
            if 0 <= self.backslash < pos:
                self.backslash = text.find("\\", pos)
            at = self.backslash
            if at < 0:
                return -1
            start = text.rfind("\n", pos, at) + 1 or pos
            if _BACKSLASHES_RE.match(text, start):
                return start
            pos = text.find("\n", at) + 1
            if not pos:
                return -1


def _paper_id(text: str) -> tuple[str, int | None] | None:
    """:func:`normalize_id` of an id line's id, quicker for the usual
    ``2601.15305`` or ``2601.15305v2``."""
    m = _USUAL_ID_RE.fullmatch(text)
    if m is not None:
        yymm = int(text[:4])
        if yymm >= 1501 and 1 <= yymm % 100 <= 12:
            version = m.group(1)
            return text[:10], int(version) if version else None
    return normalize_id(text)


def _field_key(name: str) -> str:
    """The key of a field named ``name`` ("Comment" -> "comments"), or ""
    when ``name`` is not a field name (see _FIELD_RE); remembered."""
    if len(name) > 31 or _FIELD_NAME_RE.fullmatch(name) is None:
        return ""
    key = name.lower()
    if key == "comment":
        key = "comments"
    if len(_FIELD_KEYS) < 10000:
        _FIELD_KEYS[name] = key
    return key


def _link(url: str) -> str | None:
    """:func:`arxiv_link` (a plain arxiv.org link is its own canonical form)."""
    if _PLAIN_ARXIV_URL_RE.fullmatch(url):
        return url
    return arxiv_link(url)


@dataclass(slots=True)
class Resume:
    """What a part of an e-mail after its preamble needs of the preamble
    to be parsed on its own (see :func:`iter_parse`)."""

    date: str | None
    category: str | None
    codes: tuple[str, ...]  # the lists' categories, when ``category`` is None


#: A category chosen for an appearance in an e-mail for several lists:
#: ``(paper id, position, category chosen, candidates, fallbacks)``; the
#: candidates (then the fallbacks) are the paper's categories among the
#: lists', the first not yet used for the paper being chosen.
Choice = tuple[str, int, str | None, tuple[str, ...], tuple[str, ...]]


@dataclass(slots=True)
class Report:
    """What :func:`iter_parse` tells of the text it was given, for a part of
    a file parsed on its own (lines and positions counted from the part's
    start)."""

    resume: Resume | None = None  # set when the preamble ends
    preamble: bool = True  # whether the text ended in the preamble
    state: str = ""  # the reader's state at the end ("between": between entries)
    entries: int = 0
    warnings: list[ParseWarning] = field(default_factory=list)  # the first MAX_WARNINGS
    more: int = 0  # warnings past them
    more_line: int = 0  # the line of the first
    used: dict[str, list[str]] = field(default_factory=dict)  # see iter_parse
    choices: list[Choice] = field(default_factory=list)  # made with ``used`` empty at the start


def iter_parse(
    chunks: Iterable[str],
    source: str,
    batch: int | None = None,
    *,
    resume: Resume | None = None,
    ends_file: bool = True,
    report: Report | None = None,
) -> Iterator[ParseResult]:
    """Parse an e-mail given as consecutive pieces of its text, each cut
    after a line break.

    Without ``batch``: one result, as :func:`parse`.  With it: a result each
    time ``batch`` more papers are read (the papers since the last one), and
    a last one with the rest, the file's warnings and its entry count; every
    result has the date and category.  A paper listed again after its batch
    was given comes again as a paper of its own (one appearance), for the
    caller to merge.  Memory stays that of one piece and one batch.

    The text is read a piece at a time and a line at a time, but the lines
    of an abstract (and those between entries) are passed over with one
    search for the line that ends them.

    A part of a file can be parsed on its own (see
    :mod:`digest_tui.parsing.email_ranges`): ``ends_file`` False when the
    text (ending with a line break) is not the end of the file, ``resume``
    when it starts after the preamble, between two entries (its lines and
    entries then counted from its start).  ``report`` (needed with
    ``resume``) then gets the warnings, the entry count and how it ended;
    the results have none of them.
    """
    result = ParseResult(source=source, format=NAME)
    out = Collector(source)
    tail = [""]
    plain = True

    # The preamble, before the first entry: list names, date, archive.
    preamble = True
    date: str | None = None
    mail_date: str | None = None
    archive = "cs"
    lists: list[str] = []
    in_lists = False
    codes: list[str] = []
    category: str | None = None
    used: dict[str, list[str]] = {}  # paper id -> categories given to its appearances
    choices: list[Choice] | None = None
    if resume is not None:
        assert report is not None
        preamble = False
        date, category, codes = resume.date, resume.category, list(resume.codes)
        choices = report.choices

    # The entry being read.
    head_no = 0
    id_text = ""
    cross = False
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    abstract: list[str] | None = None  # runs of its lines, each joined by "\n"
    abs_link: str | None = None
    replaced: str | None = None
    state = "between"  # between | start | meta | abstract | skip
    cut_short = False  # known at the end

    def end_preamble() -> None:
        nonlocal date, category
        if date is None:
            date = mail_date
        unknown_lists = False
        table = _LISTS.get(archive, {})
        for name in lists:
            code = table.get(" ".join(name.split()))
            if code is None:
                unknown_lists = True
            elif code not in codes:
                codes.append(code)
        category = codes[0] if len(codes) == 1 and not unknown_lists else None
        result.date, result.category = date, category
        if report is not None:
            report.resume = Resume(date, category, tuple(codes) if category is None else ())
        if date is None:
            out.warn(1, "no digest date (no 'received from ... to ...' line or Date: header)")

    def finish(last: bool) -> None:
        found = _paper_id(id_text)
        if found is None:
            out.warn(head_no, f"entry skipped: unrecognised arXiv id {clean_inline(id_text)!r}")
            return
        paper_id, version = found
        joined = {k: v[0] if len(v) == 1 else "\n".join(v) for k, v in fields.items()}
        get = joined.get
        title = clean_inline(get("title", ""), plain)
        if not title:
            out.warn(head_no, "entry has no title")
        if abstract is None and replaced is None:
            note = " (file truncated?)" if last else ""
            out.warn(head_no, f"entry has no abstract{note}")
        elif last and cut_short and abs_link is None:
            out.warn(head_no, "entry may be cut short: the file does not end with a newline")
        longest = max(map(len, joined.values()), default=0)
        if longest > MAX_FIELD_CHARS or (abstract and _abstract_too_long(abstract)):
            out.warn(head_no, FIELD_CUT)
        cats_text = get("categories", "")
        categories, primary = parse_categories(",".join(cats_text.split()))
        link = _link(abs_link) if abs_link else None
        comment = get("comments")
        journal = get("journal-ref")
        doi = get("doi")
        authors, affiliations = authors_and_affiliations(get("authors", ""), plain, and_words=True)
        stamp = get("date")
        suffix = f"{paper_id}v{version}" if version else paper_id
        paper = Paper(
            id=paper_id,
            title=title,
            version=version,
            authors=authors,
            affiliations=affiliations,
            abstract=_abstract(abstract, plain) if abstract else "",
            categories=categories,
            primary_category=primary,
            pdf_url=_PDF_URL + suffix,
            abs_url=link or _ABS_URL + suffix,
            published=_timestamp_fast(stamp) if stamp is not None else None,
            updated=_timestamp_fast(replaced) if replaced else None,
            comment=clean_inline(comment, plain) or None if comment else None,
            journal_ref=clean_inline(journal, plain) or None if journal else None,
            doi=clean_inline(doi, plain) or None if doi else None,
        )
        cat = category
        if cat is None and codes:
            taken = used.setdefault(paper_id, [])
            ordered = categories if not cross else [c for c in categories if c != primary]
            choice = [c for c in ordered if c in codes and c not in taken]
            if not choice:
                choice = [c for c in categories if c in codes and c not in taken]
            if choice:
                cat = choice[0]
                taken.append(cat)
            if choices is not None:
                choices.append(
                    (
                        paper_id,
                        result.entries - 1,
                        cat,
                        tuple(c for c in ordered if c in codes),
                        tuple(c for c in categories if c in codes),
                    )
                )
        out.add(paper, Appearance(date, cat, source, head_no, result.entries - 1))

    def read_meta(lines: list[str]) -> None:
        """Lines of an entry's fields (none of them "\\\\", a link or a separator)."""
        nonlocal current, replaced
        keys = _FIELD_KEYS
        for line in lines:
            stripped = line.strip()
            if not stripped:
                current = None
                continue
            if line[0] in " \t":
                if current is not None:
                    current.append(stripped)
                continue
            if stripped.startswith("replaced with revised version"):
                r = _REPLACED_RE.fullmatch(stripped)
                if r is not None:
                    replaced = r.group(1)
                    current = None
                    continue
            # "Name: value", as _FIELD_RE.fullmatch(line) reads it.
            colon = line.find(":")
            name = line[:colon] if colon > 0 else ""
            key = keys.get(name)
            if key is None:
                key = _field_key(name)
            if key:
                value = line[colon + 1 :]
                if value[:1].isspace():
                    value = value[1:]
                current = fields.setdefault(key, [])
                current.append(value)
            else:
                current = None

    def given() -> ParseResult:
        part = ParseResult(source=source, format=NAME, date=date, category=category, more=True)
        part.papers = out.take()
        return part

    i = 0  # index of the line at ``pos`` in the file
    for text, text_plain in _texts(chunks, tail, ends_file, resume is None):
        plain = plain and text_plain  # an entry across two pieces
        n = len(text)
        pos = 0  # where a line starts; n + 1 past the last line
        ends = _Ends(text)
        while preamble and pos <= n:
            end = text.find("\n", pos)
            if end < 0:
                end = n
            line = text[pos:end]
            stripped = line.strip()
            if stripped == "\\\\":
                preamble = False
                end_preamble()
                break
            pos = end + 1
            i += 1
            if in_lists:
                if (
                    stripped
                    and not stripped.lower().startswith("received")
                    and "---" not in stripped
                ):
                    lists.append(stripped.lower())
                    continue
                in_lists = False
            if stripped.lower() == "submissions to:":
                in_lists = True
                continue
            m = _RECEIVED_RE.match(line)
            if m is not None and date is None:
                date = _listing_date(m)
                if date is None:
                    out.warn(i, f"unrecognised date in {clean_inline(stripped[:120])!r}")
                continue
            m2 = _ARCHIVE_RE.search(line)
            if m2 is not None:
                archive = m2.group(1).lower()
                continue
            if line.startswith("Date:") and mail_date is None:
                mail_date = _mail_date(line[5:])
        while pos <= n:
            if state == "meta":
                # The field lines, up to the "\\" line, link line or separator.
                start = ends.entry_end(pos)
                if start < 0:
                    read_meta(text[pos:].split("\n"))
                    i += text.count("\n", pos) + 1
                    break
                if start > pos:
                    read_meta(text[pos : start - 1].split("\n"))
                    i += text.count("\n", pos, start)
                    pos = start
            elif state == "abstract" or state == "skip":
                # Over the lines up to the next "\\" line, link line or separator.
                start = ends.entry_end(pos)
                if start < 0:
                    if state == "abstract" and abstract is not None:
                        abstract.append(text[pos:])
                    i += text.count("\n", pos) + 1
                    break
                if start > pos:
                    if state == "abstract" and abstract is not None:
                        abstract.append(text[pos : start - 1])
                    i += text.count("\n", pos, start)
                    pos = start
            elif state == "between":
                # Over the lines up to the next "\\" line.
                start = ends.backslashes(pos)
                if start < 0:
                    i += text.count("\n", pos) + 1
                    break
                if start > pos:
                    i += text.count("\n", pos, start)
                    pos = start
            end = text.find("\n", pos)
            if end < 0:
                end = n
            line = text[pos:end]
            pos = end + 1
            i += 1  # now the number of the line
            stripped = line.strip()
            if state == "start":
                if not stripped:
                    continue
                m = _ID_LINE_RE.fullmatch(stripped)
                if m is not None:
                    if batch is not None and out.pending() >= batch:
                        yield given()
                    plain = text_plain
                    result.entries += 1
                    head_no = i
                    id_text = m.group(1)
                    cross = m.group(2) is not None
                    fields = {}
                    current = None
                    abstract = None
                    abs_link = None
                    replaced = None
                    state = "meta"
                    continue
                f = _FIELD_RE.fullmatch(stripped)
                if f is not None and f.group(1).lower() in _ENTRY_FIELDS:
                    result.entries += 1
                    out.warn(i, "entry skipped: no arXiv id")
                    state = "skip"
                    continue
                state = "between"
                continue
            if stripped == "\\\\":
                if state == "meta":
                    state = "abstract"
                    abstract = []
                    continue
                if state == "abstract":  # a second "\\" without a link: entry over
                    finish(False)
                state = "start"
                continue
            if line.startswith("\\\\"):
                if state == "meta" or state == "abstract":
                    m = _ABS_LINK_RE.fullmatch(line)
                    if m is not None:
                        abs_link = m.group(1)
                    finish(False)
                state = "between"
                continue
            if _SEPARATOR_RE.fullmatch(stripped):
                if state == "meta" or state == "abstract":
                    finish(False)
                state = "between"
                continue
            if state == "meta":
                read_meta([line])
            elif state == "abstract" and abstract is not None:
                abstract.append(line)
    if ends_file:
        if preamble:
            end_preamble()
        cut_short = bool(tail[0]) and tail[0] not in "\n\r"
        if state == "meta" or state == "abstract":
            finish(True)
        if not result.entries and not out.warnings and report is None:
            out.warn(1, "no entries")
    result.papers = out.take() if batch is not None else out.papers
    if report is None:
        result.warnings = out.all_warnings()
    else:
        report.preamble, report.state, report.entries = preamble, state, result.entries
        report.warnings = out.warnings
        report.more, report.more_line = out.overflow()
        report.used = used
        result.more = not ends_file
        result.date, result.category = date, category
    yield result
