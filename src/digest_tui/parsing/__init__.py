"""Digest parsers: turn a daily arXiv digest file into papers.

Public API (the rest of the app depends on exactly this):

- :data:`PARSER_VERSION` -- bumped whenever the output changes.
- :data:`FORMATS` -- format name -> parser module with ``NAME``,
  ``sniff(text) -> bool``, ``sniff_offset(text) -> int | None`` and
  ``parse(text, source) -> ParseResult``.  When several formats sniff, the
  one whose first header or entry comes first in the file parses it; entries
  of another format in it are skipped with a warning at their line.
- :func:`parse_text`, :func:`parse_bytes`, :func:`parse_file` -- never raise.
- :func:`normalize_id` -- versionless arXiv id and version from an id or URL.
- :data:`MAX_WARNINGS` -- warnings kept per file.
- :func:`iter_parse_bytes`, :func:`iter_parse_blocks`, :func:`streamable`
  -- :func:`parse_bytes` in batches of papers, from bytes or from blocks
  read as they are taken, so a large e-mail is committed (and shown) while
  it is still being read.
- :mod:`digest_tui.parsing.email_ranges` -- the same, a large e-mail's
  head here and the rest in byte ranges parsed on their own (by worker
  processes), put together in file order.

Warnings are capped per file so that a file of a million broken entries
cannot take the memory of a million warnings: the first
:data:`MAX_WARNINGS` entry warnings are kept, then one last warning
``... N more warnings not shown`` (at the line of the first one left out)
counts the rest.  File-level warnings (invalid UTF-8, NUL bytes) come first
and are not counted against the cap.

What hostile or broken files give is listed (and tested) in
``tests/test_hostile_input.py``.

This package must not import textual.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from types import ModuleType

from digest_tui.models import PARSER_VERSION, ParseResult, ParseWarning
from digest_tui.parsing import (
    ai_enhanced,
    arxiv_daily,
    arxiv_email,
    arxiv_fields,
    arxiv_rss,
    cv_arxiv_daily,
)
from digest_tui.parsing._common import MAX_WARNINGS, normalize_id

__all__ = [
    "FORMATS",
    "MAX_WARNINGS",
    "PARSER_VERSION",
    "iter_parse_bytes",
    "normalize_id",
    "parse_bytes",
    "parse_file",
    "parse_text",
]


# The sniffers look at content only, never file names.  On a tie (never in
# practice: the formats' markers differ) the first listed wins.
FORMATS: dict[str, ModuleType] = {
    arxiv_fields.NAME: arxiv_fields,
    arxiv_daily.NAME: arxiv_daily,
    arxiv_email.NAME: arxiv_email,
    arxiv_rss.NAME: arxiv_rss,
    cv_arxiv_daily.NAME: cv_arxiv_daily,
    ai_enhanced.NAME: ai_enhanced,
}

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _failed(source: str, message: str, line: int = 1) -> ParseResult:
    return ParseResult(source=source, format=None, warnings=[ParseWarning(source, line, message)])


def _line_at(text: str, pos: int) -> int:
    """1-based line of ``text[pos]``, counting ``\\n``, ``\\r\\n`` and a lone ``\\r``."""
    lf = text.count("\n", 0, pos)
    cr = text.count("\r", 0, pos)
    return lf + cr - (text.count("\r\n", 0, pos) if cr else 0) + 1


def _choose_format(text: str) -> ModuleType | None:
    """The format whose header or first entry comes first in ``text``, if any."""
    best: tuple[int, int, ModuleType] | None = None
    for order, module in enumerate(FORMATS.values()):
        offset = module.sniff_offset(text)
        if offset is not None and (best is None or (offset, order) < best[:2]):
            best = (offset, order, module)
    return None if best is None else best[2]


def parse_text(text: str, source: str) -> ParseResult:
    """Parse one digest's text; a non-digest gives ``format=None`` and a warning."""
    try:
        if text.startswith("\ufeff"):
            text = text[1:]
        if not text or text.isspace():
            return _failed(source, "empty file")
        # NUL bytes are removed before parsing (so they cannot split a token),
        # with one warning at the first.
        nul_warning: ParseWarning | None = None
        binary = False
        nul = text.find("\x00")
        if nul >= 0:
            n = text.count("\x00")
            message = f"{n} NUL byte{'s' if n != 1 else ''} removed"
            nul_warning = ParseWarning(source, _line_at(text, nul), message)
            binary = nul < 8192
            text = text.replace("\x00", "")
        module = _choose_format(text)
        if module is not None:
            result: ParseResult = module.parse(text, source)
            if nul_warning is not None:
                result.warnings.insert(0, nul_warning)
            return result
        if binary:
            return _failed(source, "not a digest (binary data)")
        return _failed(source, "not a digest (no known digest header or entries)")
    except Exception as exc:  # a parser bug must not take the app down
        return _failed(source, f"internal parser error: {type(exc).__name__}: {exc}")


def parse_bytes(data: bytes, source: str) -> ParseResult:
    """Decode (UTF-8, BOM stripped; bad bytes replaced and warned about) and parse."""
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            data = data[len(bom) :]
            encoding = name
            break
    warning: ParseWarning | None = None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        text = data.decode(encoding, errors="replace")
        before = data[: exc.start].decode(encoding, errors="replace")
        line = _line_at(before, len(before))
        warning = ParseWarning(
            source,
            line,
            f"invalid {encoding.upper()} at byte {exc.start}; bad bytes replaced with U+FFFD",
        )
    result = parse_text(text, source)
    if warning is not None:
        result.warnings.insert(0, warning)
    return result


def parse_file(path: str | os.PathLike[str]) -> ParseResult:
    """Read and parse a digest file; an unreadable file gives a warning, never raises."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as f:
            data = f.read()
    except (OSError, ValueError) as exc:
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return _failed(source, f"cannot read file: {message}")
    return parse_bytes(data, source)


#: Files at least this large are read in pieces when their format can be
#: (see :func:`iter_parse_bytes`).
STREAM_MIN_BYTES = 4 * 2**20
_PIECE_BYTES = 2**21


def _pieces(data: bytes, size: int, bad: list[ParseWarning], source: str) -> Iterator[str]:
    """``data`` decoded as UTF-8 in pieces of about ``size`` bytes (see
    :func:`_decoded_pieces`)."""
    blocks = (data[i : i + size] for i in range(0, len(data), size))
    return _decoded_pieces(blocks, bad, source)


def _decoded_pieces(blocks: Iterable[bytes], bad: list[ParseWarning], source: str) -> Iterator[str]:
    """Consecutive ``blocks`` of a file decoded as UTF-8 in pieces, each cut
    after a line break (a UTF-8 sequence never holds one).  Bad bytes are
    replaced; ``bad`` gets a warning at the first (as :func:`parse_bytes`)."""
    rest = b""
    offset = lines = 0  # of the start of ``rest`` in the file
    for block in (*blocks, None) if isinstance(blocks, tuple) else _ended(blocks):
        if block is None:
            piece, rest = rest, b""
        else:
            rest += block
            cut = rest.rfind(b"\n") + 1
            if not cut:
                continue
            piece, rest = rest[:cut], rest[cut:]
        if not piece:
            continue
        try:
            yield piece.decode("utf-8")
        except UnicodeDecodeError as exc:
            if not bad:
                at = offset + exc.start
                line = lines + piece.count(b"\n", 0, exc.start) + 1
                message = f"invalid UTF-8 at byte {at}; bad bytes replaced with U+FFFD"
                bad.append(ParseWarning(source, line, message))
            yield piece.decode("utf-8", errors="replace")
        offset += len(piece)
        lines += piece.count(b"\n")


def _ended(blocks: Iterable[bytes]) -> Iterator[bytes | None]:
    yield from blocks
    yield None


def streamable(head: bytes) -> bool:
    """Whether a file beginning with ``head`` (its first 64 KiB or more) can
    be parsed in pieces (:func:`iter_parse_blocks`): an arXiv e-mail in
    UTF-8.  The caller checks for NUL bytes, which need the whole file."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    text = head[:65536].decode("utf-8", errors="replace").lstrip("\ufeff")
    return _choose_format(text) is arxiv_email


def iter_parse_blocks(
    blocks: Iterable[bytes], source: str, batch: int = 2000
) -> Iterator[ParseResult]:
    """Parse a file :func:`streamable` says can be, given as consecutive
    blocks of bytes read as they are taken: results of about ``batch``
    papers, each but the last with ``more`` set, the last with the warnings
    and the entry count (see :func:`arxiv_email.iter_parse`).  Memory is
    that of a block and a batch."""
    bad: list[ParseWarning] = []
    # Each part is given as soon as it is read (``more`` says another
    # follows): the first part of a large file is on screen after its first
    # batch, not after the one after it.
    given = False
    try:
        pieces = _decoded_pieces(blocks, bad, source)
        for part in arxiv_email.iter_parse(pieces, source, batch):
            if not part.more:
                part.warnings[:0] = bad
                yield part
                return
            given = True
            yield part
    except Exception as exc:  # a parser bug must not take the app down
        last = _failed(source, f"internal parser error: {type(exc).__name__}: {exc}")
    else:
        last = _failed(source, "empty file" if not given else "internal parser error: no last part")
    last.warnings[:0] = bad
    yield last


def iter_parse_bytes(
    data: bytes, source: str, batch: int = 2000, *, min_bytes: int = STREAM_MIN_BYTES
) -> Iterator[ParseResult]:
    """:func:`parse_bytes`, given as results of about ``batch`` papers each
    for a large arXiv e-mail (see :func:`iter_parse_blocks`); the last
    result holds the warnings and the entry count.  Any other file, one
    smaller than ``min_bytes``, or one with a BOM other than UTF-8's or NUL
    bytes is parsed whole: one result."""
    if len(data) < min_bytes or data.find(b"\x00") >= 0 or not streamable(data[:65536]):
        yield parse_bytes(data, source)
        return
    blocks = (data[i : i + _PIECE_BYTES] for i in range(0, len(data), _PIECE_BYTES))
    yield from iter_parse_blocks(blocks, source, batch)
