"""Format "arxiv_daily": numbered headings with a PDF link, abstract quoted.

::

    # ArXiv cs.CV --Fri, 22 May 2020
    ### 1.Instance-aware Image Colorization  [ :arrow_down: ](https://arxiv.org/pdf/2005.10825.pdf)
    >  Image colorization is inherently an ill-posed problem ...

There are no authors or other metadata; the abstract is HTML from arXiv's
listing pages (links, ``<br>``, entities) with LaTeX fragments.
"""

from __future__ import annotations

import re

from digest_tui.models import Appearance, Paper, ParseResult
from digest_tui.parsing._common import (
    FIELD_CUT,
    MAX_FIELD_CHARS,
    Collector,
    abs_url_for,
    arxiv_link,
    clean_abstract,
    clean_inline,
    find_arxiv_id,
    header_category,
    is_entry_heading,
    iso_date,
    normalize_id,
    pdf_url_for,
    split_lines,
)

NAME = "arxiv_daily"
_CUT_SHORT = "entry may be cut short: the file does not end with a newline (truncated?)"

_SNIFF_CHARS = 65536
# Matched against the line with trailing whitespace removed: a trailing
# "\s*" after the lazy date made a long line of spaces quadratic.
_HEADER_RE = re.compile(r"#\s{0,5}arxiv\s{1,5}(\S{1,60})\s{0,5}--\s{0,5}(.{0,80})", re.I)
_SNIFF_RE = re.compile(
    r"^#[ \t]{0,5}arxiv[ \t]{1,5}\S{1,60}[ \t]{0,5}--"
    r"|^###[ \t]{0,5}\d{1,6}[ \t]{0,5}\.[^\n]{0,3000}\[[ \t]{0,5}:arrow_down:[ \t]{0,5}\]\(",
    re.I | re.M,
)
_NUMBER_RE = re.compile(r"\d{1,9}\s{0,5}\.\s*", re.ASCII)
_LINK_RE = re.compile(r"\[\s{0,20}:arrow_down:\s{0,20}\]\(\s{0,20}([^()\s]{0,2000})\s{0,20}\)\s*$")


def sniff(text: str) -> bool:
    """A ``# ArXiv cs.CV --<date>`` header or a numbered ``:arrow_down:`` heading."""
    return sniff_offset(text) is not None


def sniff_offset(text: str) -> int | None:
    """Where the first sign of this format is in ``text`` (its first 64 KiB), or None."""
    m = _SNIFF_RE.search(text[:_SNIFF_CHARS])
    return None if m is None else m.start()


def _split_heading(line: str) -> tuple[str, str | None]:
    """``### 1.Title  [ :arrow_down: ](url)`` -> ("Title", "url")."""
    body = line[3:].strip()
    link: str | None = None
    k = body.rfind(":arrow_down:")
    if k >= 0:
        b = body.rfind("[", 0, k)
        m = _LINK_RE.match(body, b) if b >= 0 else None
        if m is not None:
            link = m.group(1)
            body = body[:b].rstrip()
    m = _NUMBER_RE.match(body)
    if m is not None:
        body = body[m.end() :]
    return body, link


def parse(text: str, source: str) -> ParseResult:
    result = ParseResult(source=source, format=NAME)
    out = Collector(source)
    lines, plain = split_lines(text)
    date: str | None = None
    category: str | None = None
    header_seen = False

    # The entry being read: heading line number, its text, abstract lines.
    head_no = 0
    head_text = ""
    body: list[str] = []
    saw_quote = False
    cut_short = bool(text) and text[-1] not in "\n\r"

    def finish(last: bool) -> None:
        title_raw, link = _split_heading(head_text)
        title = clean_inline(title_raw, plain)
        found = normalize_id(link) if link else None
        if link is None and body and body[0].startswith(("- **", "* **")):
            # "- **Arxiv ID**: ..." lines: an entry of the other format.
            out.warn(head_no, "entry skipped: an arxiv_fields entry in an arxiv_daily digest")
            return
        if found is None:
            found = find_arxiv_id(head_text) or find_arxiv_id("\n".join(body))
        if found is None:
            what = (
                "no PDF link" if link is None else f"unrecognised PDF link {clean_inline(link)!r}"
            )
            note = ", file truncated?" if last else ""
            out.warn(head_no, f"entry skipped: no arXiv id ({what}{note})")
            return
        paper_id, version = found
        abstract = clean_abstract("\n".join(body), plain) if body else ""
        if not saw_quote and not abstract:
            note = " (file truncated?)" if last else ""
            out.warn(head_no, f"entry has no abstract{note}")
        elif last and cut_short:
            out.warn(head_no, _CUT_SHORT)
        if not title:
            out.warn(head_no, "entry has no title")
        if len(head_text) > MAX_FIELD_CHARS or sum(map(len, body)) > MAX_FIELD_CHARS:
            out.warn(head_no, FIELD_CUT)
        pdf = arxiv_link(clean_inline(link)) if link else None
        paper = Paper(
            id=paper_id,
            title=title,
            version=version,
            abstract=abstract,
            primary_category=None,
            pdf_url=pdf or pdf_url_for(paper_id, version),
            abs_url=abs_url_for(paper_id, version),
        )
        out.add(paper, Appearance(date, category, source, head_no, result.entries - 1))

    for i, line in enumerate(lines):
        if line.startswith("#"):
            if is_entry_heading(line):
                if head_no:
                    finish(last=False)
                if not header_seen and not head_no:
                    out.warn(1, "no digest header")
                result.entries += 1
                head_no = i + 1
                head_text = line
                body = []
                saw_quote = False
                continue
            m = _HEADER_RE.fullmatch(line.rstrip())
            if m is not None:
                new_date = iso_date(m.group(2))
                if new_date is None:
                    out.warn(i + 1, f"unrecognised digest date {clean_inline(m.group(2))!r}")
                new_category = header_category(m.group(1))
                if not header_seen:
                    result.date, result.category = new_date, new_category
                    header_seen = True
                date, category = new_date, new_category
                continue
        if not head_no:
            continue
        if line.startswith(">"):
            saw_quote = True
            body.append(line.lstrip(">"))
        elif line.strip():
            body.append(line)
        elif body:
            body.append("")  # a blank line: paragraph break (trailing ones vanish)
    if head_no:
        finish(last=True)
    elif not header_seen:
        out.warn(1, "no digest header")
    result.papers = out.papers
    result.warnings = out.all_warnings()
    return result
