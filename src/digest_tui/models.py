"""Plain data types shared by the core and the reader."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

#: Bumped whenever a parser's output changes (a new one re-parses every file).
#: Defined here, not in digest_tui.parsing, so that checking an index is up to
#: date (a warm start) does not import the parsers.
# 2: NUL bytes, truncation, two formats, long fields and warning caps (hostile input).
# 3: formats arxiv_email, arxiv_rss, cv_arxiv_daily, ai_enhanced; Paper.extras.
# 4: TeX as Unicode text (title_tex, abstract_tex kept), affiliations, the highest
#    version's fields win within a file, arXiv-only categories, RSS 2.0 as plain text.
PARSER_VERSION: int = 4


@dataclass(slots=True)
class Appearance:
    """One place a paper was listed: a digest file, its date and category."""

    date: str | None  # ISO date of the digest, "2020-05-22"
    category: str | None  # the digest's category, "cs.CV"
    source: str  # path of the digest file
    line: int  # 1-based line of the entry's heading
    position: int  # 0-based order of the entry in its digest


@dataclass(slots=True)
class Paper:
    """A paper as parsed from one digest entry (or merged from several)."""

    id: str  # versionless arXiv id: "2005.10825" or "quant-ph/9802028"
    title: str
    version: int | None = None
    authors: list[str] = field(default_factory=list)
    abstract: str = ""
    categories: list[str] = field(default_factory=list)
    primary_category: str | None = None
    pdf_url: str | None = None
    abs_url: str | None = None
    published: str | None = None  # ISO 8601 timestamp
    updated: str | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    # Further labelled text some formats carry, shown in the detail pane in this
    # order: e.g. {"TL;DR": ..., "Motivation": ..., "Code": url}.
    extras: dict[str, str] = field(default_factory=dict)
    appearances: list[Appearance] = field(default_factory=list)
    # The title and abstract as the digest wrote them, when they hold TeX that
    # ``title`` / ``abstract`` show as Unicode text (``$\ell_0$`` -> ``ℓ₀``);
    # None when the two are the same.  BibTeX cites the TeX form.
    title_tex: str | None = None
    abstract_tex: str | None = None
    # Author name -> affiliation as the digest gave it ("IPHC, IUF"), shown
    # apart from the name.
    affiliations: dict[str, str] = field(default_factory=dict)


class ParseWarning(NamedTuple):
    """A problem found while parsing; never fatal to other entries or files."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


@dataclass(slots=True)
class ParseResult:
    """What one digest file gave."""

    source: str
    format: str | None  # parser name, or None when the file is not a digest
    date: str | None = None
    category: str | None = None
    papers: list[Paper] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)
    entries: int = 0  # entry headings seen (>= len(papers))
    #: A part of a file parsed in parts, with more parts to come (the last
    #: part holds the file's warnings and entry count).
    more: bool = False
