"""Exporting papers: BibTeX, a markdown reading list, JSON and CSV.

* :func:`bibtex_entry` gives one ``@misc`` entry citing an arXiv preprint the
  way biblatex and natbib styles expect (``eprint``, ``archivePrefix``,
  ``primaryClass``), for the reader's "copy BibTeX" key.
* :func:`export_papers` renders a list of papers in one of :data:`FORMATS`.
* :class:`Exporter` writes the same output incrementally (the CLI feeds it a
  thousand papers at a time), and :func:`atomic_write_text` /
  :func:`atomic_writer` replace a file only once it is complete.

Text from digests is untrusted: control characters and escape sequences are
removed from everything written (:func:`digest_tui.text.strip_controls`).

BibTeX details: keys are ``lastnameYEARword`` (first author's last name, the
year, the first significant title word; ASCII letters and digits only), or
``arxivYYMM_NNNNN`` without authors; within one export a repeated key gets
``a``, ``b``, ... appended in export order.  Titles are double-braced so
styles keep their capitalisation.  ``& % #`` are always escaped; inside
``$...$`` math the text is kept as written (``$\\mathcal{O}(n)$`` stays
readable); outside math ``_ ^ ~`` and stray ``$`` or ``\\`` are escaped, LaTeX
commands (``\\'e``, ``\\emph``) are kept, and braces are kept when they balance
(otherwise they become ``\\textbraceleft{}``/``\\textbraceright{}``, since
BibTeX counts even escaped braces).

This module is part of the core and must not import Textual.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TextIO

from digest_tui import fsutil
from digest_tui.models import Paper
from digest_tui.state import Mark
from digest_tui.text import is_web_url, one_line, strip_controls

__all__ = [
    "FORMATS",
    "SUFFIXES",
    "Exporter",
    "atomic_write_text",
    "atomic_writer",
    "bibtex_entry",
    "bibtex_escape",
    "bibtex_key",
    "export_papers",
    "format_for_path",
    "json_text",
    "paper_record",
]

FORMATS = ("bibtex", "markdown", "json", "csv")
#: How the reader names each format, and the file ending it writes.
LABELS: dict[str, tuple[str, str]] = {
    "BibTeX": ("bibtex", "bib"),
    "Markdown": ("markdown", "md"),
    "JSON": ("json", "json"),
    "CSV": ("csv", "csv"),
}
#: File name endings that imply a format (for ``-o reading.md`` without ``-f``).
SUFFIXES = {
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".csv": "csv",
}

_STOP_WORDS = frozenset(
    "a an the on of in for to and with from by at as is are via towards toward"
    " do does can how what when why which who".split()
)


# --------------------------------------------------------------------------- helpers

# What JSON may carry raw but a terminal acts on or shows misleadingly: DEL,
# the C1 controls, line/paragraph separators and the bidi controls.  Outside
# strings JSON text is plain ASCII, so escaping them everywhere is safe.
_JSON_UNSAFE_RE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_text(value: object, *, ensure_ascii: bool = False) -> str:
    """``json.dumps(value)`` with DEL, C1 and bidi characters as ``\\uXXXX`` escapes.

    The decoded values are unchanged (a file name stays the file's name); only
    the text that reaches a terminal (``cat out.json``) is safe.
    """
    text = json.dumps(value, ensure_ascii=ensure_ascii)
    return _JSON_UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def format_for_path(path: str | Path) -> str | None:
    """The format a file name implies (``.bib`` -> ``bibtex``), or None."""
    return SUFFIXES.get(Path(path).suffix.lower())


def _abs_url(paper: Paper, *, canonical: bool = True) -> str:
    """The abstract page: canonical (https, latest version) for citations and links."""
    if not canonical and paper.abs_url and is_web_url(paper.abs_url):
        return paper.abs_url
    return f"https://arxiv.org/abs/{paper.id}"


def _pdf_url(paper: Paper, *, canonical: bool = True) -> str:
    if not canonical and paper.pdf_url and is_web_url(paper.pdf_url):
        return paper.pdf_url
    return f"https://arxiv.org/pdf/{paper.id}"


def _year(paper: Paper) -> str | None:
    """The year from ``published``, else from the id (``2005.10825`` -> 2020)."""
    if paper.published and re.match(r"\d{4}", paper.published):
        return paper.published[:4]
    m = re.search(r"(?:^|/)(\d\d)(\d\d)[.\d]", paper.id)
    if not m:
        return None
    yy = int(m.group(1))
    return f"{2000 + yy if yy < 91 else 1900 + yy}"


def _digest_date(paper: Paper) -> str | None:
    return paper.appearances[0].date if paper.appearances else None


# Letters that Unicode does not decompose into an ASCII letter and an accent.
_TRANSLIT = str.maketrans(
    {"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE",
     "œ": "oe", "Đ": "D", "đ": "d", "Þ": "Th", "þ": "th", "ı": "i", "Ð": "D", "ð": "d"}
)  # fmt: skip


def _ascii_word(text: str) -> str:
    """Lowercase ASCII letters and digits of ``text`` (accents dropped, LaTeX removed)."""
    text = re.sub(r"\\[A-Za-z]+|\\.", "", text)
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    return re.sub(r"[^a-z0-9]", "", text.encode("ascii", "ignore").decode().lower())


def _last_name(author: str) -> str:
    author = one_line(author)
    if "," in author:
        return author.split(",", 1)[0]
    words = author.split()
    # "Jose de la Cruz" -> "Cruz" is good enough for a key; drop "Jr." style suffixes.
    while len(words) > 1 and words[-1].rstrip(".").lower() in ("jr", "sr", "ii", "iii", "iv"):
        words.pop()
    return words[-1] if words else ""


# --------------------------------------------------------------------------- BibTeX


def bibtex_key(paper: Paper) -> str:
    """The citation key for a paper before uniquifying: ``lastnameYEARword``."""
    name = _ascii_word(_last_name(paper.authors[0])) if paper.authors else ""
    if not name:
        return "arxiv" + re.sub(r"[^a-z0-9]+", "_", paper.id.lower())
    word = ""
    for token in re.split(r"[\s\-/:]+", one_line(paper.title)):
        candidate = _ascii_word(token)
        if candidate and candidate not in _STOP_WORDS and not candidate.isdigit():
            word = candidate
            break
    return f"{name}{_year(paper) or ''}{word}"


def _braces_balance(text: str) -> bool:
    depth = 0
    for c in text:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


# $...$ as pandoc reads it: no space just inside the dollars, no digit right after.
_MATH_RE = re.compile(r"\$(?=\S)(?:[^$\\]|\\.)+?(?<=\S)\$(?!\d)")
_COMMAND_RE = re.compile(r"\\(?:[A-Za-z]+|['\"`^~=.&%#_${}])")


def bibtex_escape(text: str) -> str:
    """Make text safe inside a braced BibTeX field, keeping LaTeX-looking text readable."""
    text = one_line(text)
    keep_braces = _braces_balance(text)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "$":
            m = _MATH_RE.match(text, i)
            if m:
                out.append(_escape_math(m.group(), keep_braces))
                i = m.end()
                continue
            out.append("\\$")
        elif c == "\\":
            m = _COMMAND_RE.match(text, i)
            if m and m.group() in ("\\{", "\\}") and not keep_braces:
                out.append("\\textbraceleft{}" if m.group() == "\\{" else "\\textbraceright{}")
                i = m.end()
                continue
            if m:
                out.append(m.group())
                i = m.end()
                continue
            out.append("\\textbackslash{}")
        elif c in "&%#_":
            out.append("\\" + c)
        elif c == "^":
            out.append("\\^{}")
        elif c == "~":
            out.append("\\~{}")
        elif c == "{":
            out.append("{" if keep_braces else "\\textbraceleft{}")
        elif c == "}":
            out.append("}" if keep_braces else "\\textbraceright{}")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _escape_math(math: str, keep_braces: bool) -> str:
    """``$...$`` as written, but with ``& % #`` escaped (already-escaped ones kept)."""
    math = re.sub(r"(\\.)|([&%#])", lambda m: m.group(1) or "\\" + m.group(2), math)
    if not keep_braces:
        math = re.sub(
            r"\\?([{}])",
            lambda m: "\\textbraceleft{}" if m.group(1) == "{" else "\\textbraceright{}",
            math,
        )
    return math


def _bib_authors(authors: Sequence[str]) -> str:
    names = []
    for author in authors:
        name = one_line(author)
        if not name:
            continue
        # A name containing " and " would split into two people: protect it.
        escaped = bibtex_escape(name)
        names.append(f"{{{escaped}}}" if re.search(r"\sand\s", name) else escaped)
    return " and ".join(names)


def bibtex_entry(paper: Paper, key: str | None = None) -> str:
    """One ``@misc`` entry for an arXiv preprint, ending with a newline.

    The title is cited as the digest wrote it, TeX included (``title_tex``).
    """
    title = paper.title_tex or paper.title
    fields: list[tuple[str, str]] = [("title", "{" + bibtex_escape(title) + "}")]
    authors = _bib_authors(paper.authors)
    if authors:
        fields.append(("author", authors))
    year = _year(paper)
    if year:
        fields.append(("year", year))
    fields.append(("eprint", paper.id))
    fields.append(("archivePrefix", "arXiv"))
    primary = paper.primary_category or (paper.categories[0] if paper.categories else None)
    if primary and re.fullmatch(r"[A-Za-z][\w.\-]*", primary):
        fields.append(("primaryClass", primary))
    fields.append(("url", _abs_url(paper)))
    if paper.doi and re.fullmatch(r"10\.\S+", paper.doi.strip()):
        doi = paper.doi.strip()
        if _braces_balance(doi) and "%" not in doi:
            fields.append(("doi", doi))
    if paper.journal_ref and paper.journal_ref.strip():
        fields.append(("journal", bibtex_escape(paper.journal_ref)))
    if paper.comment and paper.comment.strip():
        fields.append(("note", bibtex_escape(paper.comment)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key or bibtex_key(paper)},\n{body}\n}}\n"


# --------------------------------------------------------------------------- records


def paper_record(
    paper: Paper, mark: Mark | None = None, *, with_state: bool = False
) -> dict[str, object]:
    """A paper as a JSON-ready dict (the fields of ``digest-tui list -f jsonl``).

    With ``with_state`` (or a mark) ``read``, ``starred``, ``tags`` and ``note``
    are added from ``mark``.
    """

    def clean(s: str | None) -> str | None:
        return None if s is None else strip_controls(s)

    record: dict[str, object] = {
        "id": paper.id,
        "version": paper.version,
        "title": clean(paper.title),
        "authors": [one_line(a) for a in paper.authors],
        "abstract": clean(paper.abstract),
        "categories": paper.categories,
        "primary_category": paper.primary_category,
        "pdf_url": paper.pdf_url,
        "abs_url": paper.abs_url,
        "published": paper.published,
        "updated": paper.updated,
        "comment": clean(paper.comment),
        "journal_ref": clean(paper.journal_ref),
        "doi": clean(paper.doi),
        "extras": {k: strip_controls(v) for k, v in paper.extras.items()},
        "digests": [
            {"date": a.date, "category": a.category, "source": a.source, "line": a.line}
            for a in paper.appearances
        ],
    }
    if with_state or mark is not None:
        record["read"] = bool(mark and mark.read)
        record["starred"] = bool(mark and mark.starred)
        record["tags"] = sorted(strip_controls(t) for t in mark.tags) if mark else []
        record["note"] = clean(mark.note) if mark else None
    return record


_CSV_COLUMNS = (
    "id",
    "version",
    "title",
    "authors",
    "published",
    "updated",
    "digest_date",
    "primary_category",
    "categories",
    "abs_url",
    "pdf_url",
    "doi",
    "journal_ref",
    "comment",
    "abstract",
)
_CSV_STATE_COLUMNS = ("read", "starred", "tags", "note")


def _csv_row(paper: Paper, mark: Mark | None, with_state: bool) -> list[str]:
    row = [
        paper.id,
        "" if paper.version is None else str(paper.version),
        one_line(paper.title),
        "; ".join(one_line(a) for a in paper.authors),
        paper.published or "",
        paper.updated or "",
        _digest_date(paper) or "",
        paper.primary_category or "",
        " ".join(paper.categories),
        _abs_url(paper, canonical=False),
        _pdf_url(paper, canonical=False),
        one_line(paper.doi or ""),
        one_line(paper.journal_ref or ""),
        one_line(paper.comment or ""),
        one_line(paper.abstract),
    ]
    if with_state:
        row += [
            "1" if mark and mark.read else "0",
            "1" if mark and mark.starred else "0",
            "; ".join(sorted(one_line(t) for t in mark.tags)) if mark else "",
            strip_controls(mark.note or "") if mark else "",
        ]
    return row


# --------------------------------------------------------------------------- markdown

_MD_SPECIAL_RE = re.compile(r"([`*_\[\]<>|])|\\(?=[!-/:-@\[-`{-~])")


def _md(text: str) -> str:
    return _MD_SPECIAL_RE.sub(lambda m: "\\" + (m.group(1) or "\\"), one_line(text))


def _md_url(url: str) -> str:
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def _md_authors(authors: Sequence[str]) -> str:
    names = [one_line(a) for a in authors if one_line(a)]
    if not names:
        return ""
    if len(names) == 1:
        return _md(names[0])
    if len(names) == 2:
        return f"{_md(names[0])} and {_md(names[1])}"
    return f"{_md(names[0])} et al."


def _md_item(paper: Paper, mark: Mark | None) -> str:
    box = "[x]" if mark and mark.read else "[ ]"
    star = "★ " if mark and mark.starred else ""
    parts = [f"- {box} {star}[{_md(paper.title) or paper.id}]({_md_url(_abs_url(paper))})"]
    authors = _md_authors(paper.authors)
    when = paper.published[:10] if paper.published else None
    if authors or when:
        parts.append("—")
        if authors:
            parts.append(authors)
        if when:
            parts.append(f"({when})")
    parts.append(f"[PDF]({_md_url(_pdf_url(paper))})")
    lines = [" ".join(parts)]
    if mark and mark.tags:
        tags = (one_line(t).replace("`", "") for t in sorted(mark.tags))
        lines.append("  " + " ".join(f"`{t}`" for t in tags))
    if mark and mark.note:
        for note_line in strip_controls(mark.note).splitlines():
            lines.append(f"  > {_md(note_line)}" if note_line.strip() else "  >")
    return "\n".join(lines)


# --------------------------------------------------------------------------- writer


class Exporter:
    """Write papers in one format to a text stream, a batch at a time.

    ``write()`` may be called many times (keys stay unique across calls);
    ``close()`` writes whatever ends the document (JSON's ``]``) and must be
    called once at the end.  ``with_state`` adds the user's marks to JSON and
    CSV (and read/starred/tags/notes to markdown) from the ``marks`` given to
    each ``write``.
    """

    def __init__(self, fmt: str, out: TextIO, *, with_state: bool = False) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
        self.fmt = fmt
        self.out = out
        self.with_state = with_state
        self.count = 0
        self._keys: set[str] = set()
        self._last_date: str | None | bool = False  # False: no heading yet
        self._csv = csv.writer(out) if fmt == "csv" else None
        self._closed = False

    def _unique_key(self, paper: Paper) -> str:
        base = bibtex_key(paper)
        key, n = base, 0
        while key in self._keys:
            key = base + _suffix(n)
            n += 1
        self._keys.add(key)
        return key

    def write(self, papers: Iterable[Paper], marks: Mapping[str, Mark] | None = None) -> None:
        marks = marks or {}
        for paper in papers:
            mark = marks.get(paper.id)
            self._write_one(paper, mark)
            self.count += 1

    def _write_one(self, paper: Paper, mark: Mark | None) -> None:
        out = self.out
        if self.fmt == "bibtex":
            if self.count:
                out.write("\n")
            out.write(bibtex_entry(paper, self._unique_key(paper)))
        elif self.fmt == "json":
            out.write("[\n  " if self.count == 0 else ",\n  ")
            record = paper_record(paper, mark, with_state=self.with_state)
            out.write(json_text(record))
        elif self.fmt == "csv":
            assert self._csv is not None
            if self.count == 0:
                header = _CSV_COLUMNS + (_CSV_STATE_COLUMNS if self.with_state else ())
                self._csv.writerow(header)
            self._csv.writerow(_csv_row(paper, mark, self.with_state))
        else:
            if self.count == 0:
                out.write("# Reading list\n")
            date = _digest_date(paper)
            if date != self._last_date:
                out.write(f"\n## {one_line(date) if date else 'Undated'}\n\n")
                self._last_date = date
            out.write(_md_item(paper, mark if self.with_state else None) + "\n")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.fmt == "json":
            self.out.write("[]\n" if self.count == 0 else "\n]\n")
        elif self.fmt == "csv" and self.count == 0:
            assert self._csv is not None
            self._csv.writerow(_CSV_COLUMNS + (_CSV_STATE_COLUMNS if self.with_state else ()))
        elif self.fmt == "markdown" and self.count == 0:
            self.out.write("# Reading list\n\nNo papers.\n")


def _suffix(n: int) -> str:
    """a, b, ..., z, aa, ab, ... for the n-th repeat of a key."""
    letters = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(ord("a") + r) + letters
    return letters


def export_papers(
    papers: Iterable[Paper], fmt: str, marks: Mapping[str, Mark] | None = None
) -> str:
    """The papers rendered in ``fmt`` (one of :data:`FORMATS`) as one string.

    With ``marks`` (id -> :class:`~digest_tui.state.Mark`, e.g. from
    ``StateStore.get_many``) the user's read/starred/tags/note are included.
    """
    buf = io.StringIO(newline="")
    exporter = Exporter(fmt, buf, with_state=marks is not None)
    exporter.write(papers, marks)
    exporter.close()
    return buf.getvalue()


# --------------------------------------------------------------------------- files


def atomic_writer(path: Path) -> AbstractContextManager[TextIO]:
    """A text stream (UTF-8) whose content replaces ``path`` only if the block succeeds.

    See :func:`digest_tui.fsutil.atomic_writer`: written beside the target,
    fsynced, renamed over it; a symlink is written through to its target and
    the target keeps its permissions.  On an error ``path`` is untouched.
    """
    return fsutil.atomic_writer(Path(path))


def atomic_write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically."""
    fsutil.atomic_write_text(Path(path), text)
