"""Which URLs digest-tui keeps, shows, opens and downloads.

Every link comes from someone else's file, so one strict rule decides which
ones are kept (:func:`canonical_url`), and everything that uses a link
(parsers, the reader's detail pane and opener, downloads, exports) goes
through it:

* only absolute ``http`` and ``https`` URLs with a host;
* no backslash anywhere (a browser reads ``\\`` as ``/`` in http(s) URLs, so
  ``https://evil.example\\@arxiv.org/`` goes to evil.example while Python's
  ``urlsplit`` says arxiv.org), no whitespace, no control or format
  characters (C0, DEL, C1, bidi overrides, zero-width spaces);
* no user name or password before the host (``https://arxiv.org@evil/``);
* the host is plain ASCII letters, digits, ``-``, ``_`` and dots (no percent
  escapes, no IPv6 literal, no international domain name that a browser
  would map to some other ASCII name), with an optional numeric port.

A URL that passes is returned in a canonical form: scheme and host in lower
case, and every character of the path, query and fragment outside a small
safe set percent-encoded (UTF-8), so that none of `` ` $ ; | ' " < > { } ``
or a space is left.  :func:`opener_url` encodes a few more characters, for
URLs handed to a user's own opener command.

arXiv links are rebuilt from the paper's id (:func:`abs_url`,
:func:`pdf_url`); a link taken from a digest is kept only when its host,
parsed as above, is arxiv.org or one of its subdomains (:func:`arxiv_link`).

This module is part of the core and must not import Textual.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from digest_tui.patterns import Pattern

__all__ = [
    "MAX_URL_CHARS",
    "abs_url",
    "arxiv_link",
    "canonical_url",
    "is_web_url",
    "opener_url",
    "pdf_url",
    "url_host",
]

MAX_URL_CHARS = 4096

# Characters never allowed anywhere in a URL: C0 controls and space, DEL, the
# C1 controls, backslash, and the Unicode spaces, format and bidi characters
# (non-ASCII ones are also checked by category below).
_REFUSED_RE = Pattern(
    "[\x00-\x20\x7f-\x9f\\\\\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f"
    "\u205f-\u206f\u3000\ufeff\ufff9-\ufffb]"
)
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
_SCHEME_RE = re.compile(r"(https?)://", re.IGNORECASE)
_AUTHORITY_END_RE = re.compile(r"[/?#]")
_HOST_RE = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?", re.ASCII)
_PORT_RE = re.compile(r"[0-9]{1,5}", re.ASCII)
_LONE_PERCENT_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")

# What stays as it is in a canonical path, query and fragment: the unreserved
# characters and the delimiters URLs need, but none of ` $ ; | ' " \ < > { } ^.
_SAFE = "/?#[]@!&()*+,=:~%-._"
_SAFE_RE = re.compile(r"[A-Za-z0-9/?#\[\]@!&()*+,=:~%._-]*", re.ASCII)
# For a user's opener, which may hand the URL to a shell: no globbing, no
# background/subshell operators either.
_OPENER_SAFE = "/?#@+,=:~%-._"


def _has_refused(url: str) -> bool:
    if _REFUSED_RE.search(url):
        return True
    if url.isascii():
        return False
    return any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in url if not c.isascii())


def _split(url: object) -> tuple[str, str, str, str] | None:
    """``(scheme, host, port, rest)`` of a URL that passes the rule, else None."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_CHARS:
        return None
    m = _SCHEME_RE.match(url)
    if m is None or _has_refused(url):
        return None
    after = url[m.end() :]
    end = _AUTHORITY_END_RE.search(after)
    authority = after if end is None else after[: end.start()]
    rest = "" if end is None else after[end.start() :]
    if "@" in authority:
        return None
    host, colon, port = authority.partition(":")
    if colon and (_PORT_RE.fullmatch(port) is None or int(port) > 65535):
        return None
    if _HOST_RE.fullmatch(host) is None:
        return None
    return m.group(1).lower(), host.lower(), port, rest


def _encode(rest: str, safe: str, fast: re.Pattern[str] | None) -> str:
    rest = _LONE_PERCENT_RE.sub("%25", rest)
    if fast is not None and fast.fullmatch(rest):
        return rest
    return quote(rest, safe=safe, encoding="utf-8", errors="strict")


def _join(scheme: str, host: str, port: str, rest: str) -> str:
    return f"{scheme}://{host}{':' + port if port else ''}{rest}"


def canonical_url(url: object) -> str | None:
    """``url`` in canonical form when it is a safe http(s) URL, else None."""
    parts = _split(url)
    if parts is None:
        return None
    scheme, host, port, rest = parts
    return _join(scheme, host, port, _encode(rest, _SAFE, _SAFE_RE))


def is_web_url(url: object) -> bool:
    """True only for http(s) URLs that pass the rule above."""
    return _split(url) is not None


def url_host(url: object) -> str | None:
    """The host (lower case) of a URL that passes the rule, else None."""
    parts = _split(url)
    return None if parts is None else parts[1]


def opener_url(url: object) -> str | None:
    """The canonical URL with ``& ( ) ! * [ ]`` encoded too, for an opener command.

    None for a URL that does not pass the rule.  What is left is letters,
    digits and ``/ ? # @ + , = : ~ % - . _``: nothing a shell would act on.
    """
    parts = _split(url)
    if parts is None:
        return None
    scheme, host, port, rest = parts
    return _join(scheme, host, port, _encode(rest, _OPENER_SAFE, None))


def arxiv_link(url: object) -> str | None:
    """The canonical form of ``url`` when it is a safe link on arxiv.org (or a subdomain)."""
    canonical = canonical_url(url)
    if canonical is None:
        return None
    host = url_host(canonical) or ""
    host = host.rstrip(".")
    return canonical if host == "arxiv.org" or host.endswith(".arxiv.org") else None


def _id_path(paper_id: str) -> str:
    return quote(paper_id, safe="/", encoding="utf-8")


def abs_url(paper_id: str, version: int | None = None) -> str:
    """The paper's abstract page on arxiv.org (with its version, when known)."""
    return f"https://arxiv.org/abs/{_id_path(paper_id)}" + (f"v{version}" if version else "")


def pdf_url(paper_id: str, version: int | None = None) -> str:
    """The paper's PDF on arxiv.org (with its version, when known)."""
    return f"https://arxiv.org/pdf/{_id_path(paper_id)}" + (f"v{version}" if version else "")
