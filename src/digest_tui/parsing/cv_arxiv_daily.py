"""Format "cv_arxiv_daily": markdown tables of papers under topic headings.

::

    ## Updated on 2022.09.22
    ## SLAM
    |Publish Date|Title|Authors|PDF|Code|
    |---|---|---|---|---|
    |**2022-09-20**|**Uncertainty-Aware ... LIO-SLAM**|Sabir Hossain et.al.|[2209.10047v1](http://arxiv.org/abs/2209.10047v1)|null|
    |**2022-09-17**|**DytanVO: ...**|Shihao Shen et.al.|[2209.08430v1](http://arxiv.org/abs/2209.08430v1)|**[link](https://github.com/geniussh/dytanvo)**|

Each table row is an entry.  A paper listed under several topics is one
paper with one appearance per row; the appearance's category is the topic
("SLAM"), the file has no single category.  The digest date is the
``Updated on`` date; a row's ``Publish Date`` is the paper's ``published``.
Only the first author is listed: ``Sabir Hossain et.al.`` becomes the one
author ``Sabir Hossain et al.`` (a search by that name still finds it, and
the list does not pretend to be complete).  A Code link that is an http(s)
URL goes to ``extras["Code"]``.
"""

from __future__ import annotations

import re

from digest_tui.models import Appearance, Paper, ParseResult
from digest_tui.parsing._common import (
    FIELD_CUT,
    Collector,
    abs_url_for,
    arxiv_link,
    clean_inline,
    find_arxiv_id,
    iso_date,
    iso_timestamp,
    normalize_id,
    pdf_url_for,
    split_lines,
    too_long,
    web_url,
)

NAME = "cv_arxiv_daily"

_SNIFF_CHARS = 65536
_SNIFF_RE = re.compile(
    r"^##[ \t]{0,5}Updated[ \t]on[ \t]{1,5}\d{4}[.-]\d{1,2}[.-]\d{1,2}[ \t]*\r?$"
    r"|^\|[ \t]{0,5}Publish[ \t]Date[ \t]{0,5}\|[ \t]{0,5}Title[ \t]{0,5}\|",
    re.I | re.M,
)
_UPDATED_RE = re.compile(
    r"##\s{0,5}Updated\s{1,5}on\s{1,5}(\d{4})[.-](\d{1,2})[.-](\d{1,2})\s*", re.I
)
_TOPIC_RE = re.compile(r"##\s{1,5}(\S.{0,200}?)\s*")
_HEADER_ROW_RE = re.compile(r"\|\s{0,5}Publish\s{1,5}Date\s{0,5}\|.*", re.I)
_RULE_ROW_RE = re.compile(r"\|?(?:\s{0,5}:?-{1,100}:?\s{0,5}\|){1,20}\s{0,5}(?::?-{1,100}:?)?\s*")
_MD_LINK_RE = re.compile(r"\[([^\[\]]{0,200})\]\(\s{0,20}([^()\s]{1,2000})\s{0,20}\)")
_ET_AL_RE = re.compile(r"\s*et\.?\s?al\.?\s*$", re.I)


def sniff(text: str) -> bool:
    """An ``## Updated on 2022.09.22`` line or a ``|Publish Date|Title|`` table header."""
    return sniff_offset(text) is not None


def sniff_offset(text: str) -> int | None:
    """Where the first sign of this format is in ``text`` (its first 64 KiB), or None."""
    m = _SNIFF_RE.search(text[:_SNIFF_CHARS])
    return None if m is None else m.start()


def _cells(line: str) -> list[str]:
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") else body
    return body.split("|")


def _unbold(cell: str) -> str:
    cell = cell.strip()
    while cell.startswith("**") and cell.endswith("**") and len(cell) >= 4:
        cell = cell[2:-2].strip()
    return cell


def _authors(cell: str, plain: bool) -> list[str]:
    text = clean_inline(_unbold(cell), plain)
    if not text or text.lower() == "null":
        return []
    m = _ET_AL_RE.search(text)
    if m is not None:
        first = text[: m.start()].strip().rstrip(",")
        return [f"{first} et al."] if first else []
    return [a.strip() for a in text.split(",") if a.strip()]


def parse(text: str, source: str) -> ParseResult:
    result = ParseResult(source=source, format=NAME)
    out = Collector(source)
    lines, plain = split_lines(text)
    date: str | None = None
    topic: str | None = None
    in_table = False

    for i, line in enumerate(lines):
        if line.startswith("##") and not line.startswith("###"):
            in_table = False
            m = _UPDATED_RE.fullmatch(line)
            if m is not None:
                date = iso_date(f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}")
                if date is None:
                    out.warn(i + 1, f"unrecognised digest date {clean_inline(line[2:])!r}")
                    date = None
                if result.date is None:
                    result.date = date
                continue
            t = _TOPIC_RE.fullmatch(line)
            topic = clean_inline(t.group(1), plain) or None if t is not None else None
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        if _HEADER_ROW_RE.fullmatch(line):
            in_table = True
            continue
        if not in_table or _RULE_ROW_RE.fullmatch(line):
            continue
        result.entries += 1
        cells = _cells(line)
        pdf_cell = ""
        found = None
        k = len(cells) - 2
        if len(cells) >= 5:
            pdf_cell = cells[k]
            found = normalize_id(_unbold(pdf_cell))
            links = _MD_LINK_RE.findall(pdf_cell)
            for label, url in links:
                found = found or normalize_id(url) or normalize_id(label)
        if found is None:
            found = find_arxiv_id(line)
        if found is None:
            out.warn(i + 1, "entry skipped: no arXiv link in the row")
            continue
        paper_id, version = found
        if len(cells) >= 5:
            published = iso_timestamp(_unbold(cells[0]))
            title_raw = _unbold("|".join(cells[1 : k - 1]))
            authors = _authors(cells[k - 1], plain)
            code_cell = _unbold(cells[k + 1])
        else:
            published, title_raw, authors, code_cell = None, "", [], ""
        title = clean_inline(title_raw, plain)
        if not title:
            out.warn(i + 1, "entry has no title")
        if too_long((line,)):
            out.warn(i + 1, FIELD_CUT)
        abs_url: str | None = None
        for _label, url in _MD_LINK_RE.findall(pdf_cell[:10000]):
            abs_url = abs_url or arxiv_link(url)
        extras: dict[str, str] = {}
        for _label, url in _MD_LINK_RE.findall(code_cell[:10000]):
            code = web_url(url)
            if code is not None:
                extras["Code"] = code
                break
        paper = Paper(
            id=paper_id,
            title=title,
            version=version,
            authors=authors,
            pdf_url=pdf_url_for(paper_id, version),
            abs_url=abs_url or abs_url_for(paper_id, version),
            published=published,
            extras=extras,
        )
        out.add(paper, Appearance(date, topic, source, i + 1, result.entries - 1))
    if date is None:
        out.warn(1, "no digest date (no 'Updated on' line)")
    result.papers = out.papers
    result.warnings = out.all_warnings()
    return result
