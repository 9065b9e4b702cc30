"""Helpers shared by the digest parsers: ids, text clean-up, paper collection.

Everything here works on untrusted text.  Regexes are precompiled, use bounded
repeats where a pathological input could otherwise make them quadratic, and
every text that leaves this module has been through
:func:`digest_tui.text.strip_controls`.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Iterable

from digest_tui import links, tex
from digest_tui.models import Appearance, Paper, ParseWarning
from digest_tui.text import one_line, strip_controls

# --------------------------------------------------------------------------
# Lines
# --------------------------------------------------------------------------


def split_lines(text: str) -> tuple[list[str], bool]:
    """Split on ``\\n``, ``\\r\\n`` or a lone ``\\r``; a leading BOM is dropped.

    Line ``i`` of the list is line ``i + 1`` of the file.  The flag tells
    whether the whole text is plain (see :func:`is_plain`).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n"), is_plain(text)


def is_entry_heading(line: str) -> bool:
    """``### Title`` (exactly three hashes) starts an entry in both formats."""
    return line.startswith("###") and (len(line) == 3 or line[3] != "#")


# --------------------------------------------------------------------------
# arXiv identifiers
# --------------------------------------------------------------------------

_NEW_ID = r"(?P<new>(?P<yymm>\d{4})\.\d{4,5})(?!\d)"
_OLD_ID = (
    r"(?P<old>(?P<archive>[a-z][a-z-]{0,20})(?:\.[a-z-]{1,10})?"
    r"/(?P<oldnum>\d{7}))(?!\d)"
)
_VERSION = r"(?:v(?P<version>\d{1,6}))?(?!\d)"
_ID_BODY = rf"(?:{_NEW_ID}|{_OLD_ID}){_VERSION}"

_BARE_ID_RE = re.compile(rf"(?:arxiv:\s*)?{_ID_BODY}(?:\.pdf)?", re.IGNORECASE | re.ASCII)
_URL_ID_RE = re.compile(
    rf"arxiv\.org/+(?:abs|pdf|format|html|ps)/+{_ID_BODY}", re.IGNORECASE | re.ASCII
)


def _id_from_match(m: re.Match[str]) -> tuple[str, int | None] | None:
    version_text = m.group("version")
    version = int(version_text) if version_text else None
    new = m.group("new")
    if new is not None:
        yymm = int(m.group("yymm"))
        if not 1 <= yymm % 100 <= 12:
            return None
        # Four digits after the dot until 2014, five from 1501 on.
        if (len(new) == 10) != (yymm >= 1501):
            return None
        return new, version
    num = m.group("oldnum")
    if not 1 <= int(num[2:4]) <= 12:
        return None
    # The subject class (".GT" in "math.GT/0309136") is not part of the
    # canonical identifier: arXiv lists that paper as "math/0309136".
    return f"{m.group('archive').lower()}/{num}", version


def normalize_id(s: str) -> tuple[str, int | None] | None:
    """The versionless arXiv id and the version (or None) in an id or URL.

    Accepts ``2005.10825``, ``2005.10825v2``, ``arXiv:0704.0001``,
    ``quant-ph/9802028v1``, ``math.GT/0309136`` (-> ``math/0309136``) and
    arXiv URLs such as ``http://arxiv.org/abs/2011.10904v2`` or
    ``https://arxiv.org/pdf/2005.10825.pdf``.  Anything else gives None.
    """
    if not isinstance(s, str):
        return None
    s = s.strip()
    if not s or len(s) > 2000:
        return None
    m = _BARE_ID_RE.fullmatch(s)
    if m is None:
        m = _URL_ID_RE.search(s)
    return _id_from_match(m) if m is not None else None


def find_arxiv_id(text: str) -> tuple[str, int | None] | None:
    """The id of the first arXiv URL anywhere in ``text`` (recovery helper)."""
    for m in _URL_ID_RE.finditer(text):
        found = _id_from_match(m)
        if found is not None:
            return found
    return None


def abs_url_for(paper_id: str, version: int | None) -> str:
    return links.abs_url(paper_id, version)


def pdf_url_for(paper_id: str, version: int | None) -> str:
    return links.pdf_url(paper_id, version)


def web_url(url: str | None) -> str | None:
    """``url`` (stripped) in canonical form when it is a safe http(s) URL, else None.

    The rule is :func:`digest_tui.links.canonical_url`.
    """
    return None if url is None else links.canonical_url(url.strip())


def arxiv_link(url: str | None) -> str | None:
    """``url`` in canonical form when it is a safe http(s) link on arxiv.org.

    A digest is someone else's file: its "PDF" link must not lead elsewhere.
    Callers fall back to the canonical arxiv.org link for the paper's id.
    """
    return None if url is None else links.arxiv_link(url.strip())


# --------------------------------------------------------------------------
# Field values
# --------------------------------------------------------------------------


def absent(value: str | None) -> str | None:
    """None for a missing value: empty, blank, or the literal string ``None``."""
    if value is None:
        return None
    value = value.strip()
    if not value or value == "None":
        return None
    return value


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_ISO_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TEXT_DATE_RE = re.compile(
    r"(?:[A-Za-z]{1,12}\.?,?\s{1,5})?(\d{1,2})\s{1,5}([A-Za-z]{3})[A-Za-z]{0,6}\.?,?\s{1,5}(\d{4})",
    re.ASCII,
)
_TIMESTAMP_RE = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)"
    r"\s?(Z|[+-]\d{2}:?\d{2})?)?",
    re.ASCII,
)


_UTC_STAMP_RE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00", re.ASCII)
_DATES_SEEN: dict[str, bool] = {}  # ISO date -> valid, for the fast path


def _valid_date(y: int, m: int, d: int) -> str | None:
    try:
        date = datetime.date(y, m, d).isoformat()
    except ValueError:
        return None
    if len(_DATES_SEEN) < 100000:
        _DATES_SEEN[date] = True
    return date


def iso_date(value: str) -> str | None:
    """``2020-11-22`` or ``Fri, 22 May 2020`` as an ISO date, else None."""
    value = value.strip()
    m = _ISO_DATE_RE.fullmatch(value)
    if m:
        return _valid_date(int(m[1]), int(m[2]), int(m[3]))
    m = _TEXT_DATE_RE.fullmatch(value)
    if m:
        month = _MONTHS.get(m[2].lower())
        if month is not None:
            return _valid_date(int(m[3]), month, int(m[1]))
    return None


def iso_timestamp(value: str | None) -> str | None:
    """``2020-11-22 01:11:19+00:00`` -> ``2020-11-22T01:11:19+00:00``.

    A value that is not a recognisable timestamp is kept as one line of safe
    text rather than dropped.
    """
    value = absent(value)
    if value is None:
        return None
    if len(value) == 25 and value[10] == " " and value[19:] == "+00:00":
        if _UTC_STAMP_RE.fullmatch(value) and _DATES_SEEN.get(value[:10]):
            return f"{value[:10]}T{value[11:]}"
    m = _TIMESTAMP_RE.fullmatch(value)
    if m is None:
        return clean_inline(value) or None
    date = _valid_date(int(value[0:4]), int(value[5:7]), int(value[8:10]))
    if date is None:
        return clean_inline(value) or None
    if m[2] is None:
        return date
    return f"{date}T{m[2]}{m[3] or ''}"


_CATEGORY_RE = re.compile(r"[a-z][a-z-]{0,20}(?:\.[A-Za-z][A-Za-z-]{0,20})?")
_HEADER_CATEGORY_RE = re.compile(r"[\w.-]{1,40}", re.ASCII)


# arXiv's archives, current and retired: a category is one of them, alone or
# with a subject class ("cs.CV", "hep-th", "math.GT").  Anything else that
# looks like a name ("org", "ams.org", "none") is not a category.
_ARCHIVES = frozenset(
    "cs math stat eess econ physics astro-ph cond-mat gr-qc hep-ex hep-lat hep-ph hep-th"
    " math-ph nlin nucl-ex nucl-th quant-ph q-bio q-fin cmp-lg adap-org alg-geom"
    " chao-dyn comp-gas dg-ga funct-an mtrl-th patt-sol q-alg solv-int supr-con chem-ph"
    " ao-sci atom-ph bayes-an acc-phys plasm-ph".split()
)


def is_category(value: str) -> bool:
    """True for an arXiv category name (``cs.CV``, ``hep-th``), never other words."""
    if _CATEGORY_RE.fullmatch(value) is None:
        return False
    return value.partition(".")[0] in _ARCHIVES


def header_category(value: str) -> str | None:
    value = value.strip()
    return value if _HEADER_CATEGORY_RE.fullmatch(value) else None


_CATEGORIES_CACHE: dict[str, tuple[tuple[str, ...], str | None]] = {}


def parse_categories(value: str | None) -> tuple[list[str], str | None]:
    """``**cs.CV**, cs.LG, 68T45, I.2.10`` -> (["cs.CV", "cs.LG"], "cs.CV").

    Only arXiv taxonomy names are kept; MSC / ACM classification codes that
    some entries list alongside them are dropped.  The primary category is
    the bold one, else the first.
    """
    value = absent(value)
    if value is None:
        return [], None
    value = value[:MAX_FIELD_CHARS]
    cached = _CATEGORIES_CACHE.get(value)
    if cached is None:
        cached = _parse_categories(value)
        if len(_CATEGORIES_CACHE) > 10000:
            _CATEGORIES_CACHE.clear()
        if len(value) <= 500:  # never keep a hostile megabyte alive
            _CATEGORIES_CACHE[value] = cached
    return list(cached[0]), cached[1]


def _parse_categories(value: str) -> tuple[tuple[str, ...], str | None]:
    cats: list[str] = []
    primary: str | None = None
    for raw in re.split(r"[,;]", strip_controls(value)):
        item = raw.strip()
        bold = item.startswith("**") and item.endswith("**") and len(item) > 4
        item = item.strip("* \t")
        if not is_category(item):
            continue
        if item not in cats:
            cats.append(item)
        if bold and primary is None:
            primary = item
    if primary is None and cats:
        primary = cats[0]
    return tuple(cats), primary


def split_authors(value: str | None, plain: bool = False, markup: bool = True) -> list[str]:
    """``A, B (MIT, CSAIL), C`` -> names (see :func:`authors_and_affiliations`)."""
    return authors_and_affiliations(value, plain, markup)[0]


_LEGEND_ITEM_RE = re.compile(r"\(\s{0,3}(\w{1,6})\s{0,3}\)\s{0,5}(.*)", re.S)
_AND_RE = re.compile(r"\s+and\s+")
_LABEL_SPLIT_RE = re.compile(r"\s*(?:,|\band\b|&)\s*|\s+")


def _split_outside(text: str, and_words: bool) -> list[str]:
    """Split at commas (and `` and ``) that are not inside parentheses."""
    if "(" not in text and "[" not in text:
        pieces = text.split(",")
        if and_words and "and" in text:
            pieces = [q for p in pieces for q in (_AND_RE.split(p) if "and" in p else (p,))]
        return pieces
    parts: list[str] = []
    depth, start, i, n = 0, 0, 0, len(text)
    while i < n:
        c = text[i]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth = max(0, depth - 1)
        elif depth == 0:
            if c == ",":
                parts.append(text[start:i])
                start = i + 1
            elif and_words and c == "a" and text.startswith("and", i) and text[i - 1 : i].isspace():
                after = text[i + 3 : i + 4]
                if after.isspace():
                    parts.append(text[start:i])
                    start = i + 4
        i += 1
    parts.append(text[start:])
    return parts


def _trailing_group(item: str) -> tuple[str, str] | None:
    """``Name (Aff, Lab)`` -> (``Name``, ``Aff, Lab``); None without a final group."""
    if not item.endswith(")"):
        return None
    depth = 0
    for i in range(len(item) - 1, -1, -1):
        c = item[i]
        if c == ")":
            depth += 1
        elif c == "(":
            depth -= 1
            if depth == 0:
                return item[:i].rstrip(), item[i + 1 : -1].strip()
    return None


def _legend(text: str) -> dict[str, str]:
    """``(1) MIT, CSAIL, (2) CMU`` -> {"1": "MIT, CSAIL", "2": "CMU"}."""
    legend: dict[str, str] = {}
    last: str | None = None
    for part in _split_outside(text, False):
        m = _LEGEND_ITEM_RE.fullmatch(part.strip())
        if m is not None:
            last = m.group(1)
            legend[last] = m.group(2).strip()
        elif last is not None and part.strip():
            legend[last] = f"{legend[last]}, {part.strip()}"
    return legend


def authors_and_affiliations(
    value: str | None, plain: bool = False, markup: bool = True, and_words: bool = False
) -> tuple[list[str], dict[str, str]]:
    """Author names and their affiliations from an author field.

    Names are split at commas outside parentheses (and at `` and `` with
    ``and_words``); a final ``(...)`` is the affiliation, kept apart from the
    name.  arXiv's numbered form ``A (1), B (1, 2) ((1) MIT, (2) CMU)`` gives
    each name the affiliations its numbers stand for.
    """
    value = absent(value)
    if value is None:
        return [], {}
    text = clean_inline(value, plain, markup)
    if "(" not in text and "[" not in text:
        # No groups, so no affiliations: the loop below, quicker.
        items: Iterable[str] = map(str.strip, _split_outside(text, and_words))
        if and_words:
            items = [
                s[4:].strip() if s[:1] in "aA" and s.lower().startswith("and ") else s
                for s in items
            ]
        return [s for s in items if s and s != "None"], {}
    authors: list[str] = []
    labels: dict[str, str] = {}
    legend: dict[str, str] = {}
    for raw in _split_outside(text, and_words):
        item = raw.strip()
        if and_words and item[:1] in "aA" and item.lower().startswith("and "):
            item = item[4:].strip()
        if not item or item == "None":
            continue
        group = _trailing_group(item) if item[-1] == ")" else None
        if group is not None and group[1].startswith("("):
            legend.update(_legend(group[1]))  # "... ((1) MIT, (2) CMU)"
            item = group[0]
            group = _trailing_group(item)
        if group is not None and group[0]:
            item = group[0]
            if group[1]:
                labels[item] = group[1]
        if item:
            authors.append(item)
    affiliations: dict[str, str] = {}
    for name, label in labels.items():
        keys = [k for k in _LABEL_SPLIT_RE.split(label) if k]
        if legend and keys and all(k in legend for k in keys):
            affiliations[name] = "; ".join(legend[k] for k in keys)
        else:
            affiliations[name] = label
    return authors, affiliations


# --------------------------------------------------------------------------
# Text: HTML, LaTeX, whitespace
# --------------------------------------------------------------------------

# <a href="URL">text</a>.  The element is found first by a pattern that
# cannot backtrack (possessive runs that stop at "<" or ">"), then the href is
# looked for inside the tag alone.  (One regex doing both was quadratic on a
# long unclosed tag: 4 s for 1 MB of "<a href=xxx...".)
_A_RE = re.compile(r"<a\s([^<>]{0,6000}+)>([^<]{0,1000}+)</a\s*>", re.IGNORECASE)
_HREF_RE = re.compile(r"""\bhref\s*=\s*(?:"([^"<>]*)"|'([^'<>]*)'|([^\s"'<>]+))""", re.IGNORECASE)
_BR_RE = re.compile(r"<br\s{0,10}/?\s{0,10}>", re.IGNORECASE)
# Only real (and common) HTML tags are dropped: abstracts also hold text such
# as "<human; verb; object>", "<https://...>" or NLP tokens like "<s>".
_TAG_RE = re.compile(
    r"</?(?:a|b|i|u|p|em|strong|sub|sup|span|div|tt|code|pre|ul|ol|li|hr|font|img|"
    r"strike|small|big|center|blockquote|h[1-6])(?:\s[^<>]{0,2000})?/?>",
    re.IGNORECASE,
)

_PARAGRAPH_RE = re.compile(r"\n[^\S\n]*\n\s*")


def _link_text(m: re.Match[str]) -> str:
    href = _HREF_RE.search(m.group(1))
    if href is None:
        return m.group(0)  # not a link; _TAG_RE drops the tags
    url = html.unescape(href.group(1) or href.group(2) or href.group(3) or "").strip()
    text = m.group(2).strip()
    plain = html.unescape(text).strip()
    lowered = plain.lower()
    if not url or plain == url:
        return text
    if not plain or (lowered.startswith("this") and lowered.endswith("url")):
        return f" {url} "
    return f"{text} ({url})"


def is_plain(text: str) -> bool:
    """True when ``text`` holds no controls and no whitespace but spaces and newlines.

    Such text needs no :func:`strip_controls`; a parser checks a whole file
    once and passes the answer on, which saves a scan of every field.
    """
    if len(text) < 4096:
        return (text.replace("\n", " ") if "\n" in text else text).isprintable()
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:
        return text.replace("\n", " ").isprintable()
    # A long text of Latin-1 characters (the usual case) is a copy of its bytes:
    # deleting the printable ones is several times quicker than isprintable.
    return not data.translate(None, _PLAIN_LATIN1)


# Newline and the printable characters of Latin-1, as bytes (see is_plain).
_PLAIN_LATIN1 = bytes(c for c in range(256) if c == 10 or chr(c).isprintable())


def _clean_markup(text: str, breaks: str, plain: bool, markup: bool) -> tuple[str, bool]:
    """Decode HTML (when ``markup``), remove controls.

    ``breaks`` is what a ``<br>`` becomes.  Whitespace is not collapsed here,
    and TeX is left as written (see :func:`finish_paper`).  Returns the text
    and whether it is still plain (see :func:`is_plain`).
    """
    if not markup:
        return (text, True) if plain or is_plain(text) else (strip_controls(text), False)
    if "<" in text:
        if "<a" in text or "<A" in text:
            text = _A_RE.sub(_link_text, text)
        text = _BR_RE.sub(breaks, text)
        text = _TAG_RE.sub("", text)
    if "&" in text:
        decoded = html.unescape(text)
        if decoded != text:
            text = decoded
            plain = False  # "&#27;" is an escape character
    if not plain:
        plain = is_plain(text)
        if not plain:
            text = strip_controls(text)
    return text, plain


def collapse(text: str, plain: bool = False) -> str:
    """Runs of whitespace (including newlines) to one space, stripped.

    The same as :func:`digest_tui.text.one_line` on text without controls;
    ``plain`` (see :func:`is_plain`) allows a fast path.
    """
    text = text.strip()
    if plain:  # its only whitespace is spaces and newlines
        if "\n" in text:
            text = text.replace("\n", " ")
        if "  " not in text:
            return text
    return " ".join(text.split())


# The longest field text kept (arXiv abstracts are under 2,000 characters).
# A longer one is cut, so a hostile file cannot make every later step
# (cleaning, indexing, drawing a row of the list) pay for megabytes of it.
MAX_FIELD_CHARS = 100_000
FIELD_CUT = f"entry text longer than {MAX_FIELD_CHARS} characters cut short"


def too_long(texts: Iterable[str]) -> bool:
    """True when one of ``texts`` will be cut to :data:`MAX_FIELD_CHARS`."""
    return any(len(t) > MAX_FIELD_CHARS for t in texts)


def clean_inline(text: str, plain: bool = False, markup: bool = True) -> str:
    """One line of safe text (titles, authors, comments, ...).

    HTML is decoded unless ``markup`` is False (text that is plain text, where
    ``<EOS>`` or ``&lt;`` are what the author wrote).
    """
    if not text:
        return ""
    if len(text) > MAX_FIELD_CHARS:
        text = text[:MAX_FIELD_CHARS]
    text, plain = _clean_markup(text, " ", plain, markup)
    return collapse(text, plain)


def clean_abstract(text: str, plain: bool = False, markup: bool = True) -> str:
    """Safe abstract text; paragraphs separated by a blank line (see :func:`clean_inline`)."""
    if not text:
        return ""
    if len(text) > MAX_FIELD_CHARS:
        text = text[:MAX_FIELD_CHARS]
    text, plain = _clean_markup(text, "\n\n", plain, markup)
    if "\n" not in text:
        return collapse(text, plain)
    parts = _PARAGRAPH_RE.split(text)
    if len(parts) == 1:
        return collapse(text, plain)
    paragraphs = (collapse(p, plain) for p in parts)
    return "\n\n".join(p for p in paragraphs if p)


# --------------------------------------------------------------------------
# Collecting papers
# --------------------------------------------------------------------------

# What a paper's entry says, taken from the entry of the highest version
# (a field that entry lacks is taken from another).
_FIELDS = (
    "title",
    "title_tex",
    "authors",
    "affiliations",
    "abstract",
    "abstract_tex",
    "categories",
    "primary_category",
    "pdf_url",
    "abs_url",
    "published",
    "updated",
    "comment",
    "journal_ref",
    "doi",
)
# Fields that go with another: taken from the same entry as it.
_COMPANIONS = {"title": "title_tex", "abstract": "abstract_tex", "authors": "affiliations"}
_FOLLOWERS = frozenset(_COMPANIONS.values())


def _tex_field(text: str, paragraphs: bool, names: bool) -> tuple[str, str | None]:
    """Readable text of a TeX field (whitespace collapsed) and what was guessed."""
    converted = tex.convert(text, names=names)
    if not paragraphs or "\n" not in converted.text:
        return collapse(converted.text), converted.problem
    parts = (collapse(p) for p in _PARAGRAPH_RE.split(converted.text))
    return "\n\n".join(p for p in parts if p), converted.problem


def finish_paper(paper: Paper) -> list[str]:
    """Make the TeX in a parsed paper readable; what had to be guessed, per field.

    Title and abstract keep their TeX form in ``title_tex`` / ``abstract_tex``
    (when it differs); names, affiliations, comments and the journal are
    only shown, so only their readable form is kept.
    """
    problems: list[str] = []

    def text(value: str, what: str, paragraphs: bool = False) -> str:
        if not tex.has_tex(value):
            return value
        readable, problem = _tex_field(value, paragraphs, what == "author name")
        if problem is not None:
            problems.append(f"{what}: {problem}")
        return readable

    if tex.has_tex(paper.title):
        readable = text(paper.title, "title")
        if readable != paper.title:
            paper.title_tex, paper.title = paper.title, readable
    if tex.has_tex(paper.abstract):
        readable = text(paper.abstract, "abstract", paragraphs=True)
        if readable != paper.abstract:
            paper.abstract_tex, paper.abstract = paper.abstract, readable
    # has_tex looks for single characters: one call on the joined texts does.
    if tex.has_tex("".join(paper.authors)):
        paper.authors = [text(a, "author name") for a in paper.authors]
    if paper.affiliations and tex.has_tex("".join(k + v for k, v in paper.affiliations.items())):
        paper.affiliations = {
            text(k, "author name"): text(v, "affiliation") for k, v in paper.affiliations.items()
        }
    if paper.comment and tex.has_tex(paper.comment):
        paper.comment = text(paper.comment, "comment")
    if paper.journal_ref and tex.has_tex(paper.journal_ref):
        paper.journal_ref = text(paper.journal_ref, "journal reference")
    for key, value in paper.extras.items():
        if tex.has_tex(value) and not links.is_web_url(value):
            paper.extras[key] = text(value, key, paragraphs=True)
    return problems


# Warnings kept per file; the rest are only counted (see digest_tui.parsing).
MAX_WARNINGS = 1000


class Collector:
    """Papers of one file; an id seen again adds an appearance to the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.papers: list[Paper] = []
        self.warnings: list[ParseWarning] = []
        self._by_id: dict[str, Paper] = {}
        self._more = 0  # warnings past MAX_WARNINGS
        self._more_line = 0  # line of the first of them

    def warn(self, line: int, message: str) -> None:
        message = one_line(message)  # a warning is one line, whatever it quotes
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(ParseWarning(self.source, line, message))
            return
        if not self._more:
            self._more_line = line
        self._more += 1

    def all_warnings(self) -> list[ParseWarning]:
        """The warnings kept, then one line counting those that were not."""
        if not self._more:
            return self.warnings
        more = f"... {self._more} more warning{'s' if self._more != 1 else ''} not shown"
        return [*self.warnings, ParseWarning(self.source, self._more_line, more)]

    def overflow(self) -> tuple[int, int]:
        """The number of warnings past :data:`MAX_WARNINGS` and the line of the first."""
        return self._more, self._more_line

    def absorb(self, warnings: list[ParseWarning], more: int, more_line: int, shift: int) -> None:
        """Take the warnings of a later part of the file collected on their
        own (those kept, the number past them and the line of the first),
        their lines ``shift`` lines further: as if warned here."""
        for w in warnings:
            line = w.line + shift
            if len(self.warnings) < MAX_WARNINGS:
                self.warnings.append(ParseWarning(w.source, line, w.message))
                continue
            if not self._more:
                self._more_line = line
            self._more += 1
        if more:
            if not self._more:
                self._more_line = more_line + shift
            self._more += more

    def pending(self) -> int:
        """Papers collected since the last :meth:`take`."""
        return len(self.papers)

    def take(self) -> list[Paper]:
        """The papers collected since the last call, forgotten here: an id
        seen again after it is collected anew (the caller merges)."""
        taken = self.papers
        self.papers = []
        self._by_id.clear()
        return taken

    def get(self, paper_id: str) -> Paper | None:
        """The paper collected under ``paper_id``, if any."""
        return self._by_id.get(paper_id)

    def add(self, paper: Paper, appearance: Appearance) -> None:
        """Collect a parsed paper: its TeX made readable, merged with an earlier entry.

        Of two entries of one paper, the one of the higher version gives every
        field it has; the other fills only what it lacks.
        """
        for problem in finish_paper(paper):
            self.warn(appearance.line, f"TeX kept as written in the {problem}")
        old = self._by_id.get(paper.id)
        if old is None:
            paper.appearances.append(appearance)
            self._by_id[paper.id] = paper
            self.papers.append(paper)
            return
        old.appearances.append(appearance)
        newer = paper.version is not None and (old.version is None or paper.version > old.version)
        if newer:
            old.version = paper.version
        first, second = (paper, old) if newer else (old, paper)
        for name in _FIELDS:
            if name in _FOLLOWERS:
                continue
            value = getattr(first, name) or getattr(second, name)
            source = first if getattr(first, name) else second
            setattr(old, name, value)
            companion = _COMPANIONS.get(name)
            if companion is not None:
                setattr(old, companion, getattr(source, companion))
        extras = dict(first.extras)
        for key, value in second.extras.items():
            extras.setdefault(key, value)
        old.extras = extras


# --------------------------------------------------------------------------
# Helpers of the e-mail, RSS, table and AI-summary formats
# --------------------------------------------------------------------------


def indented_paragraphs(lines: Iterable[str]) -> str:
    """arXiv abstract lines as text for :func:`clean_abstract`.

    arXiv starts each paragraph of an abstract with an indented line (the
    rest of a paragraph is wrapped flush left, or not at all); each such
    line becomes a paragraph break.  Blank lines stay paragraph breaks.
    """
    out: list[str] = []
    for line in lines:
        if out and line[:1] in (" ", "\t") and line.strip():
            out.append("")
        out.append(line)
    return "\n".join(out)


_NAME_DATE_RE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)", re.ASCII)


def date_from_name(source: str) -> str | None:
    """The ISO date in a digest's file name (``.../2026-01-05.md``), if any."""
    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    m = _NAME_DATE_RE.search(name[:200])
    return _valid_date(int(m[1]), int(m[2]), int(m[3])) if m else None


def next_weekday(date: datetime.date) -> datetime.date:
    """The first Monday-to-Friday day after ``date``."""
    date += datetime.timedelta(days=1)
    while date.weekday() >= 5:
        date += datetime.timedelta(days=1)
    return date
