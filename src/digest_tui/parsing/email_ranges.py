"""A large arXiv e-mail parsed in byte ranges, each on its own (in worker
processes), giving what :func:`digest_tui.parsing.iter_parse_blocks` gives.

The file's head (its preamble and its first entries) is parsed first, as
usual (:class:`Head`): what the ranges need of the preamble (date, category,
the lists' categories) is then known.  The rest is cut into ranges just after
separator lines (:func:`next_cut`): after a line of dashes the reader is
between two entries whatever it was reading, so a range read from its start
with that state reads its lines as the whole file does.  Each range
(:func:`parse_range`) counts its lines and entries from its own start; a
:class:`Merger`, given the ranges in file order, says how to shift each one's
lines and positions, chooses again the categories that depend on earlier
appearances of a paper (an e-mail for several lists), and gathers the
warnings (the invalid-UTF-8 warning of the first bad byte, the cap of
:data:`MAX_WARNINGS`) and the entry count.

:func:`iter_parse_ranges` does it all in this process (for tests); the
library gives the ranges to worker processes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from digest_tui.models import Appearance, ParseResult, ParseWarning
from digest_tui.parsing import arxiv_email
from digest_tui.parsing._common import Collector
from digest_tui.parsing.arxiv_email import Report, Resume

__all__ = [
    "RANGE_BYTES",
    "Head",
    "Merger",
    "RangePart",
    "Report",
    "Resume",
    "Shift",
    "head_cut",
    "iter_parse_ranges",
    "next_cut",
    "parse_range",
]

#: Bytes in each range (about 600 papers of a usual e-mail).
RANGE_BYTES = 2**20

# A separator line (as the reader sees one: see arxiv_email._SEPARATOR_RE),
# with the line break before it; the cut is after its own.
_CUT_RE = re.compile(rb"\n[ \t]*-{20,}[ \t]*\r?\n")
# A "\\" line, which ends the preamble.
_BACKSLASHES_RE = re.compile(rb"(?:^|\n)[ \t]*\\\\[ \t]*\r?\n")
_ENTRY = b"\narXiv:"
_WINDOW = 1 << 16


def _line_breaks(data: bytes) -> int:
    """Line breaks in ``data`` as the reader counts them (``\\r\\n``, ``\\n``, ``\\r``)."""
    if b"\r" not in data:
        return data.count(b"\n")
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def head_cut(head: bytes, papers: int) -> int | None:
    """Where the head of a file beginning with ``head`` can end, just after
    a separator line past its first ``papers + 1`` entries (so that a head
    parsed in parts of ``papers`` gives a full first part) and after the end
    of the preamble; None if not in ``head``."""
    pos = 0
    for _ in range(papers + 1):
        pos = head.find(_ENTRY, pos) + 1
        if not pos:
            return None
    m = _CUT_RE.search(head, pos)
    if m is None:
        return None
    cut = m.end()
    return cut if _BACKSLASHES_RE.search(head, 0, cut) is not None else None


def next_cut(read: Callable[[int, int], bytes], at: int, size: int) -> int:
    """The first place after ``at`` (past a line break) that is just after a
    separator line, in a file of ``size`` bytes read with ``read(offset,
    n)``; ``size`` if none."""
    pos = at - 1
    while pos < size:
        data = read(pos, _WINDOW)
        m = _CUT_RE.search(data)
        if m is not None:
            return min(pos + m.end(), size)
        if len(data) < _WINDOW:
            break
        pos += len(data) - 512  # a separator line across two windows is seen whole
    return size


@dataclass(slots=True)
class RangePart:
    """What :func:`parse_range` gives of one range (lines and positions
    counted from its start)."""

    result: ParseResult
    report: Report
    lines: int  # its line breaks
    newlines: int  # its "\n" bytes (the invalid-UTF-8 warning counts those)
    bad: ParseWarning | None = None  # at its first invalid UTF-8


def _bad_utf8(source: str, line: int, at: int) -> ParseWarning:
    return ParseWarning(source, line, f"invalid UTF-8 at byte {at}; bad bytes replaced with U+FFFD")


def parse_range(
    data: bytes, source: str, resume: Resume, offset: int, last: bool, batch: int | None = None
) -> RangePart:
    """Parse the range ``data`` of an e-mail, at byte ``offset`` of the file
    just after a separator line (see :func:`next_cut`), ``last`` if it ends
    the file; its papers in one result (collected in batches of ``batch``,
    a paper listed again in a later batch coming again: see
    :func:`arxiv_email.iter_parse`)."""
    bad = None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        bad = _bad_utf8(source, data.count(b"\n", 0, exc.start) + 1, offset + exc.start)
    report = Report()
    parts = arxiv_email.iter_parse(
        (text,), source, batch, resume=resume, ends_file=last, report=report
    )
    result = next(parts)
    for more in parts:
        result.papers.extend(more.papers)
    report.used = {}  # not needed: the choices are made again in file order
    return RangePart(result, report, _line_breaks(data), data.count(b"\n"), bad)


class Head:
    """The head of a large e-mail, ``data`` up to a :func:`head_cut`, parsed
    in this process in parts of ``batch`` papers: :meth:`parts`, then
    :attr:`report`, and :attr:`resume` as soon as a first part is given."""

    def __init__(self, data: bytes, source: str, batch: int) -> None:
        self.data = data
        self.source = source
        self.batch = batch
        self.report = Report()
        self.bad: list[ParseWarning] = []
        self.failed = False

    @property
    def resume(self) -> Resume | None:
        """What the ranges need of the preamble; None before it is read, or
        if the head did not end between two entries (then it cannot be
        followed by ranges; never for a :func:`head_cut`)."""
        return self.report.resume

    def parts(self) -> Iterator[ParseResult]:
        """The head's parts (``more`` set on each); a parser bug gives a
        last part instead (see :attr:`failed`)."""
        from digest_tui.parsing import _decoded_pieces

        try:
            pieces = _decoded_pieces((self.data,), self.bad, self.source)
            yield from arxiv_email.iter_parse(
                pieces, self.source, self.batch, ends_file=False, report=self.report
            )
            if self.report.preamble or self.report.state != "between":  # pragma: no cover
                raise ValueError("the head of the file does not end between entries")
        except Exception as exc:  # a parser bug must not take the app down
            self.failed = True
            failed = ParseResult(source=self.source, format=None)
            message = f"internal parser error: {type(exc).__name__}: {exc}"
            failed.warnings = [*self.bad, ParseWarning(self.source, 1, message)]
            yield failed


@dataclass(slots=True)
class Shift:
    """How to make a range's appearances those of the whole file."""

    lines: int
    positions: int
    categories: dict[int, str | None] = field(
        default_factory=dict
    )  # position in the range -> category

    def appearance(self, a: Appearance) -> Appearance:
        category = self.categories.get(a.position, a.category)
        return a.copy(
            line=a.line + self.lines, position=a.position + self.positions, category=category
        )


class Merger:
    """The ranges of a file after its :class:`Head`, in file order: each
    range's result as the file's (:meth:`take`)."""

    def __init__(self, head: Head) -> None:
        report = head.report
        self.source = head.source
        assert report.resume is not None
        self.resume = report.resume
        self.entries = report.entries
        self.lines = _line_breaks(head.data)
        self.newlines = head.data.count(b"\n")
        self.used = report.used
        self.bad = head.bad[0] if head.bad else None
        self.out = Collector(self.source)
        self.out.absorb(report.warnings, report.more, report.more_line, 0)

    def take(self, part: RangePart, last: bool) -> tuple[ParseResult, Shift]:
        """The result of the next range (its papers as they are: the
        :class:`Shift` says how to change their appearances); the last
        with the file's warnings and entry count."""
        shift = Shift(self.lines, self.entries)
        used = self.used
        for paper_id, position, chosen, candidates, fallbacks in part.report.choices:
            taken = used.setdefault(paper_id, [])
            cat = next((c for c in candidates if c not in taken), None)
            if cat is None:
                cat = next((c for c in fallbacks if c not in taken), None)
            if cat is not None:
                taken.append(cat)
            if cat != chosen:
                shift.categories[position] = cat
        report = part.report
        self.out.absorb(report.warnings, report.more, report.more_line, self.lines)
        if self.bad is None and part.bad is not None:
            self.bad = part.bad._replace(line=part.bad.line + self.newlines)
        self.entries += report.entries
        self.lines += part.lines
        self.newlines += part.newlines
        resume = self.resume
        result = ParseResult(
            source=self.source,
            format=arxiv_email.NAME,
            date=resume.date,
            category=resume.category,
            papers=part.result.papers,
            more=not last,
        )
        if last:
            if not self.entries and not self.out.warnings:
                self.out.warn(1, "no entries")
            result.entries = self.entries
            warnings = self.out.all_warnings()
            result.warnings = [self.bad, *warnings] if self.bad is not None else warnings
        return result, shift


def iter_parse_ranges(
    data: bytes,
    source: str,
    head_papers: int,
    range_bytes: int = RANGE_BYTES,
    batch: int | None = None,
) -> Iterator[ParseResult]:
    """:func:`digest_tui.parsing.iter_parse_bytes` of a streamable e-mail,
    its head in parts of ``head_papers`` then in ranges of about
    ``range_bytes`` parsed one by one here, each range one result (what
    worker processes do, for tests; ``batch``: see :func:`parse_range`); the
    whole file as usual when it has no :func:`head_cut`."""
    from digest_tui.parsing import iter_parse_bytes

    cut = head_cut(data[: 4 * 2**20], head_papers)
    if cut is None or cut >= len(data):
        yield from iter_parse_bytes(data, source, batch or head_papers, min_bytes=0)
        return
    head = Head(data[:cut], source, batch or head_papers)
    yield from head.parts()
    if head.failed:
        return
    merger = Merger(head)
    assert head.resume is not None
    size = len(data)
    start = cut
    while start < size:
        end = next_cut(lambda at, n: data[at : at + n], start + range_bytes, size)
        last = end >= size
        part = parse_range(data[start:end], source, head.resume, start, last, batch)
        result, shift = merger.take(part, last)
        for paper in result.papers:
            paper.appearances = [shift.appearance(a) for a in paper.appearances]
        yield result
        start = end
