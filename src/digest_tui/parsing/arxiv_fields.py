"""Format "arxiv_fields": a heading per paper, then one bullet per field.

::

    # Arxiv Papers in cs.CV on 2020-11-22
    ### Evolving Search Space for Neural Architecture Search
    - **Arxiv ID**: http://arxiv.org/abs/2011.10904v2
    - **DOI**: None
    - **Categories**: **cs.CV**, cs.LG
    - **Links**: [PDF](http://arxiv.org/pdf/2011.10904v2)
    - **Published**: 2020-11-22 01:11:19+00:00
    - **Updated**: 2021-08-18 13:35:00+00:00
    - **Authors**: Yuanzheng Ci, Chen Lin, ...
    - **Comment**: Accepted for publication at the 2021 International Conference on
      Computer Vision (ICCV 2021)
    - **Journal**: None
    - **Summary**: The automation of neural architecture design ...

A field may continue on the following (indented) lines; ``None`` means absent.
"""

from __future__ import annotations

import re

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
    find_arxiv_id,
    header_category,
    is_entry_heading,
    iso_date,
    iso_timestamp,
    normalize_id,
    parse_categories,
    pdf_url_for,
    split_lines,
    too_long,
    web_url,
)

NAME = "arxiv_fields"
_CUT_SHORT = "entry may be cut short: the file does not end with a newline (truncated?)"

_SNIFF_CHARS = 65536
# Matched against the line with trailing whitespace removed (see arxiv_daily).
_HEADER_RE = re.compile(
    r"#\s{0,5}arxiv\s{1,5}papers\s{1,5}in\s{1,5}(\S{1,60})\s{1,5}on\s{1,5}(\S{1,40})", re.I
)
_SNIFF_RE = re.compile(
    r"^#[ \t]{0,5}arxiv[ \t]{1,5}papers[ \t]{1,5}in[ \t]"
    r"|^[-*][ \t]{1,5}\*\*[ \t]{0,5}arxiv[ _-]?id[ \t]{0,5}:?[ \t]{0,5}\*\*",
    re.I | re.M,
)
_FIELD_RE = re.compile(r"[-*]\s{1,5}\*\*\s{0,5}([^*:]{1,40}?)\s{0,5}:?\s{0,5}\*\*\s{0,5}:?\s?(.*)")
_MD_LINK_RE = re.compile(r"\[([^\[\]]{0,200})\]\(\s{0,20}([^()\s]{1,2000})\s{0,20}\)")
_URL_RE = re.compile(r"https?://[^\s()<>\[\]]{1,2000}", re.I)

# Field names as written (lower-cased) -> the canonical key.
_FIELDS = {
    "arxiv id": "id",
    "arxiv-id": "id",
    "arxiv_id": "id",
    "arxivid": "id",
    "arxiv": "id",
    "id": "id",
    "title": "title",
    "doi": "doi",
    "categories": "categories",
    "category": "categories",
    "primary category": "primary",
    "links": "links",
    "link": "links",
    "pdf": "links",
    "url": "links",
    "published": "published",
    "date": "published",
    "updated": "updated",
    "authors": "authors",
    "author": "authors",
    "comment": "comment",
    "comments": "comment",
    "journal": "journal",
    "journal ref": "journal",
    "journal-ref": "journal",
    "journal_ref": "journal",
    "summary": "summary",
    "abstract": "summary",
}


# "- **Arxiv ID" etc. as usually written -> key, for a dictionary look-up.
_FAST_FIELDS = {
    "- **" + variant: key
    for name, key in _FIELDS.items()
    for variant in (name, name.title(), name.capitalize(), name.upper())
}
_FAST_FIELDS.update({"- **Arxiv ID": "id", "- **arXiv ID": "id", "- **ArXiv ID": "id"})


def sniff(text: str) -> bool:
    """A ``# Arxiv Papers in <cat> on <date>`` header or ``- **Arxiv ID**:`` fields."""
    return sniff_offset(text) is not None


def sniff_offset(text: str) -> int | None:
    """Where the first sign of this format is in ``text`` (its first 64 KiB), or None."""
    m = _SNIFF_RE.search(text[:_SNIFF_CHARS])
    return None if m is None else m.start()


def _links(value: str | None) -> tuple[str | None, str | None]:
    """(pdf URL, abs URL) from ``[PDF](url)`` links or bare URLs."""
    if value is None:
        return None, None
    value = value[:MAX_FIELD_CHARS]
    pdf: str | None = None
    abs_: str | None = None
    candidates = [(label.strip().lower(), url) for label, url in _MD_LINK_RE.findall(value)]
    if not candidates:
        candidates = [("", url) for url in _URL_RE.findall(value)]
    for label, url in candidates:
        if arxiv_link(url) is None:
            continue
        if pdf is None and (label == "pdf" or "/pdf/" in url or url.lower().endswith(".pdf")):
            pdf = url
        elif abs_ is None and (label in ("abs", "abstract", "arxiv") or "/abs/" in url):
            abs_ = url
    return pdf, abs_


def parse(text: str, source: str) -> ParseResult:
    result = ParseResult(source=source, format=NAME)
    out = Collector(source)
    lines, plain = split_lines(text)
    date: str | None = None
    category: str | None = None
    header_seen = False

    head_no = 0
    head_text = ""
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None  # parts of the field being read
    current_key = ""
    pending_break = False
    cut_short = bool(text) and text[-1] not in "\n\r"

    def finish(last: bool) -> None:
        joined = {k: v[0] if len(v) == 1 else " ".join(v) for k, v in fields.items()}
        title = clean_inline(head_text[3:], plain)
        if not title and "title" in joined:
            title = clean_inline(joined["title"], plain)
        id_value = absent(joined.get("id"))
        found = normalize_id(id_value) if id_value else None
        id_is_url = found is not None and id_value is not None and web_url(id_value) is not None
        if found is None:
            found = find_arxiv_id("\n".join(joined.values()))
        if found is None and not fields and ":arrow_down:" in head_text:
            # "### 1.Title [ :arrow_down: ](pdf)": an entry of the other format.
            out.warn(head_no, "entry skipped: an arxiv_daily entry in an arxiv_fields digest")
            return
        if found is None:
            if id_value is None:
                what = "no Arxiv ID field" if "id" not in fields else "Arxiv ID is empty"
            else:
                what = f"unrecognised Arxiv ID {clean_inline(id_value)!r}"
            note = ", file truncated?" if last else ""
            out.warn(head_no, f"entry skipped: no arXiv id ({what}{note})")
            return
        paper_id, version = found
        pdf, abs_ = _links(absent(joined.get("links")))
        if version is None and pdf is not None:
            from_pdf = normalize_id(pdf)
            if from_pdf is not None and from_pdf[0] == paper_id:
                version = from_pdf[1]
        if id_is_url and abs_ is None and id_value is not None:
            abs_ = arxiv_link(id_value)
        categories, primary = parse_categories(joined.get("categories"))
        own_primary = absent(joined.get("primary"))
        if own_primary is not None:
            primary = clean_inline(own_primary.strip("* ")) or primary
        summary_parts = fields.get("summary")
        abstract = clean_abstract("\n".join(summary_parts), plain) if summary_parts else ""
        if summary_parts is None:
            note = " (file truncated?)" if last else ""
            out.warn(head_no, f"entry has no Summary field{note}")
        elif last and cut_short:
            out.warn(head_no, _CUT_SHORT)
        if not title:
            out.warn(head_no, "entry has no title")
        if too_long((head_text, *joined.values())):
            out.warn(head_no, FIELD_CUT)
        comment = absent(joined.get("comment"))
        journal = absent(joined.get("journal"))
        doi = absent(joined.get("doi"))
        authors, affiliations = authors_and_affiliations(joined.get("authors"), plain)
        paper = Paper(
            id=paper_id,
            title=title,
            version=version,
            authors=authors,
            affiliations=affiliations,
            abstract=abstract if abstract != "None" else "",
            categories=categories,
            primary_category=primary,
            pdf_url=pdf or pdf_url_for(paper_id, version),
            abs_url=abs_ or abs_url_for(paper_id, version),
            published=iso_timestamp(joined.get("published")),
            updated=iso_timestamp(joined.get("updated")),
            comment=clean_inline(comment, plain) or None if comment is not None else None,
            journal_ref=clean_inline(journal, plain) or None if journal is not None else None,
            doi=clean_inline(doi, plain) or None if doi is not None else None,
        )
        out.add(paper, Appearance(date, category, source, head_no, result.entries - 1))

    fast = _FAST_FIELDS
    for i, line in enumerate(lines):
        # Fast paths for the two commonest lines: blank, and "- **Name**: value".
        if not line:
            pending_break = current is not None
            continue
        if head_no and line.startswith("- **"):
            name_part, sep, value = line.partition("**: ")
            key = fast.get(name_part) if sep else None
            if key is not None:
                current = fields.get(key)
                if current is None:
                    current = fields[key] = [value]
                else:
                    if key == "summary":
                        current.append("")  # a repeated field: keep both, apart
                    current.append(value)
                current_key = key
                pending_break = False
                continue
        if line.startswith("#"):
            if is_entry_heading(line):
                if head_no:
                    finish(last=False)
                if not header_seen and not head_no:
                    out.warn(1, "no digest header")
                result.entries += 1
                head_no = i + 1
                head_text = line
                fields = {}
                current = None
                pending_break = False
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
                current = None
                continue
        if not head_no:
            continue
        if line.startswith(("-", "*")):
            name: str | None = None
            k = line.find("**: ", 4) if line.startswith("- **") else -1
            if k > 4 and "*" not in line[4:k]:  # the usual "- **Name**: value"
                name, value = line[4:k], line[k + 4 :]
            else:
                m = _FIELD_RE.match(line)
                if m is not None:
                    name, value = m.group(1), m.group(2)
            if name is not None:
                key = _FIELDS.get(name.lower()) or _FIELDS.get(" ".join(name.lower().split()))
                if key is None:  # an unknown field: ignore it and what follows
                    current = None
                    continue
                current = fields.setdefault(key, [])
                current_key = key
                if current and key == "summary":
                    current.append("")  # a repeated field: keep both, apart
                current.append(value)
                pending_break = False
                continue
        if not line.strip():
            pending_break = current is not None
            continue
        if current is None:
            continue
        if pending_break:
            if current_key != "summary":
                current = None  # a blank line ends a one-line field
                continue
            current.append("")  # paragraph break inside the summary
            pending_break = False
        current.append(line)
    if head_no:
        finish(last=True)
    elif not header_seen:
        out.warn(1, "no digest header")
    result.papers = out.papers
    result.warnings = out.all_warnings()
    return result
