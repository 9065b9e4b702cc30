"""Regular expressions compiled when first used.

The modules a warm start imports hold a few dozen regular expressions, and
``re.compile`` costs 0.1 to 0.7 ms each (the parser and compiler of the ``re``
module are Python): 3 ms of every launch for patterns most sessions never
use, or use only after the first screen.  A :class:`Pattern` keeps its source
and compiles it on its first match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator


class Pattern:
    """A ``re.Pattern[str]`` compiled on first use, with the methods the core uses."""

    __slots__ = ("_source", "_flags", "_compiled")

    def __init__(self, source: str, flags: int = 0) -> None:
        self._source = source
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self._source, self._flags)
        return compiled

    @property
    def pattern(self) -> str:
        return self._source

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.match(text, pos)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self.compiled.fullmatch(text)

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.search(text, pos)

    def sub(self, repl: str | Callable[[re.Match[str]], str], text: str, count: int = 0) -> str:
        return self.compiled.sub(repl, text, count)

    def split(self, text: str) -> list[str | None]:
        return self.compiled.split(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text)

    def findall(self, text: str) -> list[str]:
        return self.compiled.findall(text)

    def __repr__(self) -> str:
        return f"Pattern({self._source!r}, {self._flags!r})"
