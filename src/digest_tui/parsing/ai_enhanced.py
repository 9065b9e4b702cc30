"""Format "ai_enhanced": daily-arxiv-ai-enhanced markdown with AI summaries.

::

    # cs.CV [[Back]](#toc)
    ### [1] [MotionPhysics: Learnable Motion Distillation ...](https://arxiv.org/abs/2601.00504)
    *Miaowei Wang,Jakub Zadrożny,Oisin Mac Aodha*

    Main category: cs.CV

    TL;DR: ...

    <details>
      <summary>Details</summary>
    Motivation: ...

    Method: ...

    Result: ...

    Conclusion: ...

    Abstract: Accurately simulating existing 3D objects ...
      A second paragraph of the abstract ...

    </details>

The ``TL;DR``, ``Motivation``, ``Method``, ``Result`` and ``Conclusion``
lines go to ``Paper.extras`` in that order; ``Abstract`` is the abstract.
The ``# cs.CV`` section is the category of each appearance (a paper listed
in two sections is one paper with two appearances).  The files carry no
date of their own: the project names them ``YYYY-MM-DD.md``, so the digest
date is the date in the file's name, else None with one warning.
"""

from __future__ import annotations

import re

from digest_tui.models import Appearance, Paper, ParseResult
from digest_tui.parsing._common import (
    FIELD_CUT,
    Collector,
    abs_url_for,
    arxiv_link,
    authors_and_affiliations,
    clean_abstract,
    clean_inline,
    date_from_name,
    find_arxiv_id,
    indented_paragraphs,
    is_category,
    is_entry_heading,
    normalize_id,
    pdf_url_for,
    split_lines,
    too_long,
)

NAME = "ai_enhanced"

_SNIFF_CHARS = 65536
_SNIFF_RE = re.compile(
    r"^###[ \t]{0,5}\[\d{1,6}\][ \t]{0,5}\[[^\n]{0,3000}\]\([ \t]{0,5}https?://arxiv\.org/"
    r"|^#[ \t]{1,5}[a-z-]{1,20}(?:\.[A-Za-z-]{1,20})?[ \t]{1,5}\[\[Back\]\]\(#toc\)",
    re.I | re.M,
)
_HEADING_RE = re.compile(
    r"###\s{0,5}(?:\[\d{1,9}\]\s{0,5})?\[(?P<title>.{0,5000})\]\(\s{0,5}(?P<url>[^()\s]{1,2000})\s{0,5}\)\s*"
)
_SECTION_RE = re.compile(r"#\s{1,5}([^\s\[]{1,60})(?:\s{1,5}\[\[Back\]\]\(#toc\))?\s*")
_LABEL_RE = re.compile(
    r"(Main category|TL;DR|Motivation|Method|Result|Conclusion|Abstract)\s{0,5}[:：]\s?(.*)", re.I
)
_EXTRAS = ("TL;DR", "Motivation", "Method", "Result", "Conclusion")
_KEYS = {name.lower(): name for name in (*_EXTRAS, "Main category", "Abstract")}


def sniff(text: str) -> bool:
    """A ``### [1] [Title](https://arxiv.org/abs/...)`` heading or a ``# cs.CV [[Back]](#toc)``."""
    return sniff_offset(text) is not None


def sniff_offset(text: str) -> int | None:
    """Where the first sign of this format is in ``text`` (its first 64 KiB), or None."""
    m = _SNIFF_RE.search(text[:_SNIFF_CHARS])
    return None if m is None else m.start()


def parse(text: str, source: str) -> ParseResult:
    result = ParseResult(source=source, format=NAME)
    out = Collector(source)
    lines, plain = split_lines(text)
    date = date_from_name(source)
    result.date = date
    if date is None:
        out.warn(1, "no digest date (the file has none and its name holds no YYYY-MM-DD)")
    section: str | None = None

    head_no = 0
    head_text = ""
    authors_line: str | None = None
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    current_key = ""

    def finish() -> None:
        m = _HEADING_RE.fullmatch(head_text)
        found = normalize_id(m.group("url")) if m is not None else None
        if found is None:
            found = find_arxiv_id(head_text)
        if found is None:
            out.warn(head_no, "entry skipped: no arXiv id in the heading")
            return
        paper_id, version = found
        title = clean_inline(m.group("title") if m is not None else head_text[3:], plain)
        if not title:
            out.warn(head_no, "entry has no title")
        joined = {k: "\n".join(v) for k, v in fields.items()}
        if "Abstract" not in fields:
            out.warn(head_no, "entry has no abstract")
        if too_long((head_text, authors_line or "", *joined.values())):
            out.warn(head_no, FIELD_CUT)
        primary = clean_inline(joined.get("Main category", ""), plain) or None
        if primary is not None and not is_category(primary):
            primary = None
        categories = [c for c in (primary, section) if c is not None]
        if len(categories) == 2 and categories[0] == categories[1]:
            categories.pop()
        extras: dict[str, str] = {}
        for key in _EXTRAS:
            value = clean_inline(joined.get(key, ""), plain)
            if value:
                extras[key] = value
        authors, affiliations = authors_and_affiliations(
            authors_line.strip().strip("*") if authors_line else None, plain
        )
        abstract_lines = fields.get("Abstract", [])
        paper = Paper(
            id=paper_id,
            title=title,
            version=version,
            authors=authors,
            affiliations=affiliations,
            abstract=clean_abstract(indented_paragraphs(abstract_lines), plain),
            categories=categories,
            primary_category=primary,
            pdf_url=pdf_url_for(paper_id, version),
            abs_url=(arxiv_link(m.group("url")) if m is not None else None)
            or abs_url_for(paper_id, version),
            extras=extras,
        )
        out.add(paper, Appearance(date, section, source, head_no, result.entries - 1))
        merged = out.get(paper_id)
        if merged is not None and section is not None and section not in merged.categories:
            merged.categories.append(section)

    for i, line in enumerate(lines):
        if line.startswith("#"):
            if is_entry_heading(line):
                if head_no:
                    finish()
                result.entries += 1
                head_no = i + 1
                head_text = line
                authors_line = None
                fields = {}
                current = None
                continue
            if not line.startswith("##"):
                s = _SECTION_RE.fullmatch(line)
                if s is not None and is_category(s.group(1)):
                    if head_no:
                        finish()
                    head_no = 0
                    section = s.group(1)
                continue
        if not head_no:
            continue
        stripped = line.strip()
        if not stripped:
            if current is not None and current_key != "Abstract":
                current = None
            continue
        if stripped.startswith("<"):  # <details>, <summary>, </details>
            current = None
            continue
        if authors_line is None and not fields and stripped.startswith("*"):
            authors_line = stripped
            continue
        if current is not None and current_key == "Abstract":
            current.append(line)  # the abstract is last: no label ends it
            continue
        m = _LABEL_RE.match(line)
        if m is not None:
            key = _KEYS[m.group(1).lower()]
            current = fields.setdefault(key, [])
            current_key = key
            current.append(m.group(2))
            continue
        if current is not None:
            current.append(line)
    if head_no:
        finish()
    result.papers = out.papers
    result.warnings = out.all_warnings()
    return result
