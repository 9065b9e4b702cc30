"""Plain data types shared by the core and the reader."""

from __future__ import annotations

from typing import NamedTuple, Self

#: Bumped whenever a parser's output changes (a new one re-parses every file).
#: Defined here, not in digest_tui.parsing, so that checking an index is up to
#: date (a warm start) does not import the parsers.
# 2: NUL bytes, truncation, two formats, long fields and warning caps (hostile input).
# 3: formats arxiv_email, arxiv_rss, cv_arxiv_daily, ai_enhanced; Paper.extras.
# 4: TeX as Unicode text (title_tex, abstract_tex kept), affiliations, the highest
#    version's fields win within a file, arXiv-only categories, RSS 2.0 as plain text.
PARSER_VERSION: int = 4


class Record:
    """Equality and ``repr`` by fields (the ``__slots__``, in order) for the
    plain records below and the core's other records.

    They are written out rather than made by ``@dataclass``: a dataclass
    builds its methods with ``exec`` when its module is imported, 0.2 to 1 ms
    a class (a slotted one of 19 fields, 1 ms), at every start of the reader.
    Like a dataclass's, a record compares equal only to one of its own class
    and is not hashable (its fields change).
    """

    __slots__: tuple[str, ...] = ()
    __hash__ = None  # type: ignore[assignment]

    def _values(self) -> tuple[object, ...]:
        return tuple([getattr(self, name) for name in self.__slots__])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Record)
        return self._values() == other._values()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def copy(self, **changes: object) -> Self:
        """A shallow copy with some fields changed (as ``dataclasses.replace``)."""
        clone = object.__new__(type(self))
        for name in self.__slots__:
            object.__setattr__(clone, name, changes.pop(name, getattr(self, name)))
        if changes:
            raise TypeError(f"{type(self).__name__} has no field {next(iter(changes))!r}")
        return clone


class Appearance(Record):
    """One place a paper was listed: a digest file, its date and category."""

    __slots__ = ("date", "category", "source", "line", "position")

    def __init__(
        self,
        date: str | None,  # ISO date of the digest, "2020-05-22"
        category: str | None,  # the digest's category, "cs.CV"
        source: str,  # path of the digest file
        line: int,  # 1-based line of the entry's heading
        position: int,  # 0-based order of the entry in its digest
    ) -> None:
        self.date = date
        self.category = category
        self.source = source
        self.line = line
        self.position = position


class Paper(Record):
    """A paper as parsed from one digest entry (or merged from several)."""

    __slots__ = (
        "id",
        "title",
        "version",
        "authors",
        "abstract",
        "categories",
        "primary_category",
        "pdf_url",
        "abs_url",
        "published",
        "updated",
        "comment",
        "journal_ref",
        "doi",
        "extras",
        "appearances",
        "title_tex",
        "abstract_tex",
        "affiliations",
    )

    def __init__(
        self,
        id: str,  # noqa: A002 - versionless arXiv id: "2005.10825" or "quant-ph/9802028"
        title: str,
        version: int | None = None,
        authors: list[str] | None = None,
        abstract: str = "",
        categories: list[str] | None = None,
        primary_category: str | None = None,
        pdf_url: str | None = None,
        abs_url: str | None = None,
        published: str | None = None,  # ISO 8601 timestamp
        updated: str | None = None,
        comment: str | None = None,
        journal_ref: str | None = None,
        doi: str | None = None,
        extras: dict[str, str] | None = None,
        appearances: list[Appearance] | None = None,
        title_tex: str | None = None,
        abstract_tex: str | None = None,
        affiliations: dict[str, str] | None = None,
    ) -> None:
        self.id = id
        self.title = title
        self.version = version
        self.authors: list[str] = [] if authors is None else authors
        self.abstract = abstract
        self.categories: list[str] = [] if categories is None else categories
        self.primary_category = primary_category
        self.pdf_url = pdf_url
        self.abs_url = abs_url
        self.published = published
        self.updated = updated
        self.comment = comment
        self.journal_ref = journal_ref
        self.doi = doi
        # Further labelled text some formats carry, shown in the detail pane in
        # this order: e.g. {"TL;DR": ..., "Motivation": ..., "Code": url}.
        self.extras: dict[str, str] = {} if extras is None else extras
        self.appearances: list[Appearance] = [] if appearances is None else appearances
        # The title and abstract as the digest wrote them, when they hold TeX
        # that ``title`` / ``abstract`` show as Unicode text (``$\ell_0$`` ->
        # ``ℓ₀``); None when the two are the same.  BibTeX cites the TeX form.
        self.title_tex = title_tex
        self.abstract_tex = abstract_tex
        # Author name -> affiliation as the digest gave it ("IPHC, IUF"), shown
        # apart from the name.
        self.affiliations: dict[str, str] = {} if affiliations is None else affiliations


class ParseWarning(NamedTuple):
    """A problem found while parsing; never fatal to other entries or files."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


class ParseResult(Record):
    """What one digest file gave."""

    __slots__ = ("source", "format", "date", "category", "papers", "warnings", "entries", "more")

    def __init__(
        self,
        source: str,
        format: str | None,  # noqa: A002 - parser name, or None when the file is not a digest
        date: str | None = None,
        category: str | None = None,
        papers: list[Paper] | None = None,
        warnings: list[ParseWarning] | None = None,
        entries: int = 0,  # entry headings seen (>= len(papers))
        more: bool = False,
    ) -> None:
        self.source = source
        self.format = format
        self.date = date
        self.category = category
        self.papers: list[Paper] = [] if papers is None else papers
        self.warnings: list[ParseWarning] = [] if warnings is None else warnings
        self.entries = entries
        #: A part of a file parsed in parts, with more parts to come (the last
        #: part holds the file's warnings and entry count).
        self.more = more
