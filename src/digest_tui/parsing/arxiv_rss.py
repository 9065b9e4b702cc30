"""Format "arxiv_rss": an arXiv RSS feed as saved from arXiv, read with feedparser.

Two generations of arXiv's feeds::

    <rdf:RDF ...>                                      (RSS 1.0, until 2024)
    <channel rdf:about="http://arxiv.org/"> ... <dc:date>2023-12-21T20:30:00-05:00</dc:date>
    <item rdf:about="http://arxiv.org/abs/2312.13299">
    <title>Compact 3D Scene ... Grids. (arXiv:2312.13299v1 [cs.CV])</title>
    <description>&lt;p&gt;3D Gaussian Splatting ...&lt;/p&gt;</description>
    <dc:creator>&lt;a href="..."&gt;Wieland Morgenstern&lt;/a&gt;, ...</dc:creator>

    <rss version="2.0" ...>                            (RSS 2.0, since 2024)
    <pubDate>Fri, 22 Mar 2024 00:00:00 -0400</pubDate>
    <item><title>Measuring Diversity ...</title><link>https://arxiv.org/abs/2403.13826</link>
    <description>arXiv:2403.13826v1 Announce Type: new
    Abstract: Quality and diversity ...</description>
    <guid>oai:arXiv.org:2403.13826v1</guid><category>cs.CV</category> ...
    <arxiv:announce_type>new</arxiv:announce_type><dc:creator>A, B</dc:creator>

RSS 2.0 descriptions, titles and authors are plain text (``<EOS>`` or
``0<p<1`` once its entities are decoded is what the author wrote); RSS 1.0
descriptions and authors are HTML, cleaned as such.

Bounds: feedparser runs a regex on author fields that is quadratic in their
length (a 64 KB ``dc:creator`` took 32 s).  So the text of every author-like
element (``dc:creator``, ``author``, ``dc:publisher``, ...) is taken out of
the XML before feedparser sees it, replaced by a short placeholder, and read
here; every other run of text or attribute feedparser gets is cut to
:data:`MAX_FIELD_CHARS` (feedparser is linear on those).

The XML goes to feedparser as bytes in a stream, never as a string (a string
may be taken for a URL or a file name and fetched or opened), so nothing is
ever fetched; expat does not load external entities.  feedparser is imported
only when a feed is parsed.

Date: arXiv's listing date.  RSS 2.0 gives it as the channel's ``pubDate``
(midnight, New York time: the date as written).  RSS 1.0 gives the time of
the evening announcement as ``dc:date`` (``2023-12-21T20:30-05:00``); the
listing it starts is dated the next day.  Category: the ``cs.CV`` of the
channel title ``cs.CV updates on arXiv.org``.  Feeds have no line numbers:
an entry's line is that of its ``<item`` tag.
"""

from __future__ import annotations

import datetime
import html
import io
import re
from typing import Any

from digest_tui.models import Appearance, Paper, ParseResult
from digest_tui.parsing._common import (
    FIELD_CUT,
    MAX_FIELD_CHARS,
    Collector,
    abs_url_for,
    absent,
    arxiv_link,
    authors_and_affiliations,
    clean_abstract,
    clean_inline,
    indented_paragraphs,
    is_category,
    normalize_id,
    pdf_url_for,
    too_long,
)

NAME = "arxiv_rss"

_SNIFF_CHARS = 65536
_ROOT_RE = re.compile(r"<(?:rss|rdf:RDF)[\s>]", re.I)
_ARXIV_RE = re.compile(r"arxiv\.org", re.I)
_ITEM_RE = re.compile(r"<item[\s>/]")
# Old titles: "Title. (arXiv:2312.13299v1 [cs.CV] UPDATED)".
_OLD_TITLE_RE = re.compile(
    r"(?P<title>.*?)\.?\s{0,5}\(arXiv:(?P<id>[^\s\[\]()]{1,60})"
    r"(?:\s{0,5}\[(?P<cat>[^\]]{1,40})\])?(?P<more>[^()]{0,40})\)\s*",
    re.S,
)
# New descriptions: "arXiv:2403.13826v1 Announce Type: new \nAbstract: ...".
_DESCRIPTION_RE = re.compile(
    r"\s{0,5}arXiv:(?P<id>\S{1,60})\s{1,20}Announce\s{1,5}Type:\s{0,5}(?P<type>[\w-]{0,40})"
    r"\s{0,20}(?:Abstract:[ \t]{0,20})?",
    re.I,
)
_ANCHOR_RE = re.compile(r"<a\s[^<>]{0,2000}>([^<]{0,1000})</a\s*>", re.I)
_PARA_RE = re.compile(r"</p>\s*<p[^<>]{0,200}>", re.I)
_CHANNEL_TITLE_RE = re.compile(r"\s*(\S{1,40})\s+updates\s+on\s+arXiv", re.I)
# The opening tag of an element whose text feedparser reads as a person.
_PERSON_RE = re.compile(
    r"<((?:[A-Za-z][\w.-]{0,40}:)?(?:creator|author|contributor|publisher|webMaster"
    r"|managingEditor|owner|name|email))(?=[\s/>])[^<>]{0,2000}+(?<!/)>",
    re.I,
)
_PLACEHOLDER = "dtui-person-"
_PLACEHOLDER_RE = re.compile(r"dtui-person-(\d{1,9})")
_CDATA_RE = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
# Each match takes a whole run, so finding them is linear (a pattern such as
# "[^<>]{100001,}" would retry from every character of every shorter run).
_RUN_RE = re.compile(r"[^<>]++")


def _cut_run(run: str) -> str:
    run = run[:MAX_FIELD_CHARS]
    amp = run.rfind("&", len(run) - 12)
    return run[:amp] if amp >= 0 and ";" not in run[amp:] else run


def _cut_long_runs(text: str) -> tuple[str, bool]:
    """``text`` with every run of text or attributes cut to :data:`MAX_FIELD_CHARS`."""
    parts: list[str] = []
    pos = 0
    for m in _RUN_RE.finditer(text):
        if m.end() - m.start() > MAX_FIELD_CHARS:
            parts.append(text[pos : m.start()])
            parts.append(_cut_run(m.group()))
            pos = m.end()
    if not parts:
        return text, False
    parts.append(text[pos:])
    return "".join(parts), True


def bound_feed(text: str) -> tuple[str, list[str], bool]:
    """The XML as feedparser may see it, the person texts taken out, whether cut.

    Each author-like element's content becomes ``dtui-person-N`` (N indexes
    the list); every other run longer than :data:`MAX_FIELD_CHARS` is cut.
    One pass each, linear in the length of ``text``.
    """
    people: list[str] = []
    parts: list[str] = []
    pos = 0
    while True:
        m = _PERSON_RE.search(text, pos)
        if m is None:
            break
        close = text.find(f"</{m.group(1)}", m.end())
        if close < 0:  # never closed: drop the tag, so nothing reads as a person
            parts.append(text[pos : m.start()])
            pos = m.end()
            continue
        parts.append(text[pos : m.end()])
        parts.append(f"{_PLACEHOLDER}{len(people)}")
        people.append(_xml_text(text[m.end() : min(close, m.end() + MAX_FIELD_CHARS)]))
        pos = close
    if people:
        parts.append(text[pos:])
        text = "".join(parts)
    cut = False
    if len(text) > MAX_FIELD_CHARS:
        text, cut = _cut_long_runs(text)
    return text, people, cut


def _xml_text(body: str) -> str:
    """Element content as text: entities decoded once, CDATA as written."""
    if "<" not in body:
        return html.unescape(body) if "&" in body else body
    pieces = _CDATA_RE.split(body)  # text, CDATA, text, ...
    return "".join(p if i % 2 else html.unescape(p) for i, p in enumerate(pieces))


def _person(value: str, people: list[str]) -> str:
    """The text a placeholder stands for (a value without one is returned as it is)."""
    m = _PLACEHOLDER_RE.search(value)
    if m is None:
        return value
    index = int(m.group(1))
    return people[index] if index < len(people) else ""


def sniff(text: str) -> bool:
    """An ``<rss`` or ``<rdf:RDF`` root element in a file that links to arxiv.org."""
    return sniff_offset(text) is not None


def sniff_offset(text: str) -> int | None:
    """Where the feed's root element is in ``text`` (its first 64 KiB), or None."""
    head = text[:_SNIFF_CHARS]
    m = _ROOT_RE.search(head)
    if m is None or _ARXIV_RE.search(head) is None:
        return None
    # Only markup (an XML declaration, comments, a doctype) may come before it.
    before = head[: m.start()].strip()
    if before and not before.startswith("<"):
        return None
    return m.start()


def _feed_date(feed: Any) -> str | None:
    """The listing date, from ``pubDate`` (RSS 2.0) or ``dc:date`` (RSS 1.0)."""
    from email.utils import parsedate_to_datetime

    value = feed.get("published")
    if isinstance(value, str):
        try:
            return parsedate_to_datetime(value.strip()[:200]).date().isoformat()
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    value = feed.get("updated")
    if isinstance(value, str):
        value = value.strip()[:200]
        try:
            when = datetime.datetime.fromisoformat(value)
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError, OverflowError):
                return None
        day = when.date()
        if when.hour >= 18:  # the evening announcement starts the next day's listing
            day += datetime.timedelta(days=1)
        return day.isoformat()
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parse(text: str, source: str) -> ParseResult:
    result = ParseResult(source=source, format=NAME)
    out = Collector(source)
    item_lines: list[int] = []
    line_no, pos = 1, 0
    for m in _ITEM_RE.finditer(text):
        line_no += text.count("\n", pos, m.start())
        pos = m.start()
        item_lines.append(line_no)
    bounded, people, cut = bound_feed(text)
    if cut:
        out.warn(1, FIELD_CUT)
    try:
        import feedparser  # slow to import: only when a feed is read

        # Not sanitized: nothing here is ever shown as HTML, and feedparser's
        # sanitizer would eat "<EOS>" from plain-text descriptions.
        feed = feedparser.parse(
            io.BytesIO(bounded.encode("utf-8", errors="replace")),
            response_headers={"content-type": "application/xml; charset=utf-8"},
            resolve_relative_uris=False,
            sanitize_html=False,
        )
    except Exception as exc:  # feedparser catches parse errors itself; be sure
        out.warn(1, f"unreadable feed: {type(exc).__name__}: {clean_inline(str(exc))}")
        result.warnings = out.all_warnings()
        return result
    if feed.get("bozo") and not feed.entries:
        problem = feed.get("bozo_exception")
        out.warn(1, f"unreadable feed: {clean_inline(str(problem))[:200]}")
    channel = feed.get("feed", {})
    date = _feed_date(channel)
    ct = _CHANNEL_TITLE_RE.match(_text(channel.get("title"))[:200])
    category = ct.group(1) if ct is not None and is_category(ct.group(1)) else None
    result.date, result.category = date, category
    if date is None:
        out.warn(1, "no digest date (no channel pubDate or dc:date)")

    # RSS 1.0 descriptions and authors are HTML; RSS 2.0 ones are plain text.
    markup = feed.get("version") == "rss10"
    entries = feed.get("entries") or []
    if len(entries) != len(item_lines):
        item_lines = []
    for position, entry in enumerate(entries):
        result.entries += 1
        line = item_lines[position] if item_lines else 1
        title_raw = _text(entry.get("title"))
        summary = _text(entry.get("summary"))
        link = _text(entry.get("link"))
        guid = _text(entry.get("id"))
        primary: str | None = None
        found = None
        old = _OLD_TITLE_RE.fullmatch(title_raw[:20000])
        if old is not None:
            title_raw = old.group("title")
            found = normalize_id(old.group("id"))
            cat = (old.group("cat") or "").strip()
            primary = cat if is_category(cat) else None
        desc = _DESCRIPTION_RE.match(summary)
        if desc is not None:
            found = found or normalize_id(desc.group("id"))
            summary = summary[desc.end() :]
        for candidate in (guid.removeprefix("oai:arXiv.org:"), link):
            if found is None and candidate:
                found = normalize_id(candidate)
        if found is None:
            out.warn(line, "entry skipped: no arXiv id")
            continue
        paper_id, version = found
        categories: list[str] = []
        for tag in entry.get("tags") or []:
            term = _text(tag.get("term")).strip() if isinstance(tag, dict) else ""
            if is_category(term) and term not in categories:
                categories.append(term)
        if primary is None and categories:
            primary = categories[0]
        if primary is not None and primary not in categories:
            categories.insert(0, primary)
        authors_raw = _person(_text(entry.get("author")), people)
        if markup:
            authors_raw = _ANCHOR_RE.sub(r"\1", authors_raw)
            summary = _PARA_RE.sub("\n\n", summary)
        title = clean_inline(title_raw, markup=markup)
        if not title:
            out.warn(line, "entry has no title")
        if not absent(summary):
            out.warn(line, "entry has no abstract")
        if too_long((title_raw, summary, authors_raw)):
            out.warn(line, FIELD_CUT)
        authors, affiliations = authors_and_affiliations(authors_raw, markup=markup)
        doi = absent(_text(entry.get("arxiv_doi")))
        journal = absent(_text(entry.get("arxiv_journal_reference")))
        paper = Paper(
            id=paper_id,
            title=title,
            version=version,
            authors=authors,
            affiliations=affiliations,
            abstract=clean_abstract(indented_paragraphs(summary.split("\n")), markup=markup),
            categories=categories,
            primary_category=primary,
            pdf_url=pdf_url_for(paper_id, version),
            abs_url=arxiv_link(link) or abs_url_for(paper_id, version),
            comment=None,
            journal_ref=clean_inline(journal, markup=markup) or None if journal else None,
            doi=clean_inline(doi, markup=markup) or None if doi else None,
        )
        out.add(paper, Appearance(date, category, source, line, position))
    if not entries and not out.warnings:
        out.warn(1, "feed has no items")
    result.papers = out.papers
    result.warnings = out.all_warnings()
    return result
