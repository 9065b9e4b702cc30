"""Making untrusted digest text safe for a terminal.

Digest files come from other people's repositories.  Before any of their
text reaches the screen or CLI output, escape sequences (CSI, OSC, DCS, ...)
and control characters are removed.  Markup is never interpreted: the reader
builds ``rich.text.Text`` objects from plain strings, never markup strings.
"""

from __future__ import annotations

import re

from digest_tui.links import is_web_url
from digest_tui.patterns import Pattern

__all__ = ["is_web_url", "one_line", "strip_controls", "visible"]

# ESC-introduced sequences: CSI (ESC [ ... final), OSC / DCS / SOS / PM / APC
# (ESC ] ... BEL or ST), and two-character escapes.  The 8-bit C1 forms
# (\x9b CSI, \x9d OSC, ...) are handled the same way.
_ESCAPE_RE = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?                 # CSI ... final byte
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])           # OSC, DCS, SOS, PM, APC
      .*?(?:\x07|\x1b\\|\x9c|$)                        #   ... up to BEL or ST
  | \x1b[ -/]*[0-~]?                                   # other ESC sequences
    """,
    re.VERBOSE | re.DOTALL,
)
# C0 controls except tab and newline, DEL, C1 controls, and the Unicode
# bidi overrides that can make text display differently from what it is.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """Remove escape sequences and control characters, keeping ``\\n`` and ``\\t``.

    A lone ``\\r`` (which could overwrite what was printed before it on the line)
    becomes a newline; ``\\r\\n`` becomes ``\\n``.
    """
    if not text:
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in text or any(c in text for c in "\x90\x98\x9b\x9c\x9d\x9e\x9f"):
        text = _ESCAPE_RE.sub("", text)
    return _CONTROL_RE.sub("", text)


_SPACES_RE = re.compile(r"\s+")


def one_line(text: str) -> str:
    """Safe text on a single line with runs of whitespace collapsed."""
    return _SPACES_RE.sub(" ", strip_controls(text)).strip()


# Everything a terminal could act on, or that would break a line: C0 (with tab
# and newline), DEL, C1, and the Unicode format, separator and bidi characters.
_UNPRINTABLE_RE = Pattern(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)


def visible(text: str) -> str:
    """``text`` on one line with every control or format character shown as an escape.

    For messages that echo a name the user typed or a file is called
    (``no such file: 'nope\\x1b]0;X\\x07'``): nothing reaches the terminal
    raw, and the user still sees exactly what was there.
    """

    def escape(m: re.Match[str]) -> str:
        code = ord(m.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNPRINTABLE_RE.sub(escape, text)
