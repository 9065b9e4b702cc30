from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest_tui.text import is_web_url, one_line, strip_controls

HOSTILE = [
    "\x1b[2J",  # clear screen
    "\x1b]52;c;SGVsbG8=\x07",  # OSC 52 clipboard write
    "\x1b]8;;https://evil.example\x1b\\",  # OSC 8 link
    "\x9b31m",  # 8-bit CSI
    "\x07",  # BEL
    "\x7f",  # DEL
    "\x1bP1$r\x1b\\",  # DCS
]


@pytest.mark.parametrize("seq", HOSTILE)
def test_escape_sequences_are_removed(seq: str) -> None:
    out = strip_controls(f"before{seq}after")
    assert out == "beforeafter"


def test_carriage_return_cannot_overwrite_a_line() -> None:
    assert strip_controls("safe\rEVIL") == "safe\nEVIL"
    assert one_line("a\r\nb\tc") == "a b c"


@given(st.text())
def test_no_control_characters_survive(text: str) -> None:
    out = strip_controls(text)
    assert "\x1b" not in out and "\r" not in out
    assert all(c in "\n\t" or not (ord(c) < 32 or 0x7F <= ord(c) <= 0x9F) for c in out)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://arxiv.org/pdf/2005.10825", True),
        ("http://arxiv.org/abs/2005.10825v2", True),
        ("javascript:alert(1)", False),
        ("file:///etc/passwd", False),
        ("data:text/html,hi", False),
        ("https://", False),
        ("https:///x", False),
        ("https://a b", False),
        ("https://x\x1b]8;;", False),
        ("https://arxiv.org/\u202egpj.exe", False),  # bidi override
        ("https://arxiv.org/\u200bpdf", False),  # zero-width space
        (None, False),
    ],
)
def test_only_http_urls_are_links(url: str | None, ok: bool) -> None:
    assert is_web_url(url) is ok
