"""Digest parsers: turn a daily arXiv digest file into papers.

Public API (the rest of the app depends on exactly this):

- :data:`PARSER_VERSION` -- bumped whenever the output changes.
- :data:`FORMATS` -- format name -> parser module with ``NAME``,
  ``sniff(text) -> bool`` and ``parse(text, source) -> ParseResult``.
- :func:`parse_text`, :func:`parse_bytes`, :func:`parse_file` -- never raise.
- :func:`normalize_id` -- versionless arXiv id and version from an id or URL.

This package must not import textual.
"""

from __future__ import annotations

import os
from types import ModuleType

from digest_tui.models import ParseResult, ParseWarning
from digest_tui.parsing import arxiv_daily, arxiv_fields
from digest_tui.parsing._common import normalize_id

__all__ = [
    "FORMATS",
    "PARSER_VERSION",
    "normalize_id",
    "parse_bytes",
    "parse_file",
    "parse_text",
]

PARSER_VERSION: int = 1

# Tried in this order; the sniffers look at content only, never file names.
FORMATS: dict[str, ModuleType] = {
    arxiv_fields.NAME: arxiv_fields,
    arxiv_daily.NAME: arxiv_daily,
}

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _failed(source: str, message: str, line: int = 1) -> ParseResult:
    return ParseResult(source=source, format=None, warnings=[ParseWarning(source, line, message)])


def parse_text(text: str, source: str) -> ParseResult:
    """Parse one digest's text; a non-digest gives ``format=None`` and a warning."""
    try:
        if text.startswith("\ufeff"):
            text = text[1:]
        if not text or text.isspace():
            return _failed(source, "empty file")
        for module in FORMATS.values():
            if module.sniff(text):
                result: ParseResult = module.parse(text, source)
                return result
        if "\x00" in text[:8192]:
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
        line = data.count(b"\n", 0, exc.start) + 1
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
