"""Downloading a paper's PDF: only http(s), resumable, never clobbering.

The file is written to ``<name>.part`` beside its final name and renamed
when complete, so a half-downloaded file never looks like a paper.  A
``.part`` left by a dropped connection or a cancel is resumed with an HTTP
Range request next time (from scratch when the server ignores Range).  An
existing file of the same size as the download is taken as already there;
one that differs is kept and the download saved as ``name (2).pdf``.

No shell and no external program is involved: :mod:`urllib.request` with
only the HTTP(S) handlers, and redirects followed only to http(s).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import threading
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPMessage, HTTPResponse
from pathlib import Path
from typing import IO

from digest_tui import __version__
from digest_tui.text import is_web_url, one_line

USER_AGENT = f"digest-tui/{__version__}"
CHUNK = 64 * 1024
PROGRESS_INTERVAL = 0.1  # seconds: at most ~10 progress calls a second
MAX_COPIES = 999  # "name (999).pdf" is the last name tried

# Content types that are certainly not a PDF (an error page, a login form).
_NOT_PDF_RE = re.compile(r"^(?:text/|application/(?:xhtml\+xml|json|xml)$)")
_CONTENT_RANGE_RE = re.compile(r"^bytes\s+(\d+)-(\d+)/(\d+|\*)$", re.IGNORECASE)
_UNSAFE_CHARS_RE = re.compile(r"[^\w.+() -]", re.UNICODE)
_RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)


class DownloadError(Exception):
    """A download that failed, as one readable line."""


@dataclass
class DownloadResult:
    path: Path
    status: str  # "downloaded" | "resumed" | "exists"
    bytes: int


def safe_filename(filename: str) -> str:
    """``filename`` as one safe name in a folder: no path separators, no
    leading dots, only letters, digits and ``._-+()`` and spaces.

    ``"hep-th/9901001v1.pdf"`` -> ``"hep-th_9901001v1.pdf"``.
    """
    name = unicodedata.normalize("NFC", str(filename))
    name = _UNSAFE_CHARS_RE.sub("_", name.replace("/", "_").replace("\\", "_"))
    name = re.sub(r"_{2,}", "_", name).strip(" ._")
    if not name:
        name = "download"
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > 10:
        stem, ext = name, ""
    if stem.lower() in _RESERVED_NAMES:  # Windows device names
        stem = "_" + stem
    stem = stem[:150]
    return f"{stem}.{ext}" if ext else stem


def _copy_name(name: str, n: int) -> str:
    """``"x.pdf"``, 2 -> ``"x (2).pdf"``."""
    if n == 1:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return f"{name} ({n})"
    return f"{stem} ({n}).{ext}"


class _RangeNotSatisfiable(DownloadError):
    """HTTP 416 to a resume: the file is shorter than the .part (it changed)."""


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (never ``file:`` or ``ftp:``)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        _check_redirect(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)

    def http_error_302(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
    ) -> HTTPResponse | None:
        # Checked here, before the standard library's own (narrower) check.
        location = headers.get("location") or headers.get("uri")
        if location:
            _check_redirect(urllib.parse.urljoin(req.full_url, location))
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _check_redirect(newurl: str) -> None:
    if not is_web_url(newurl):
        raise DownloadError(f"refused a redirect to a non-http(s) link: {one_line(newurl)!r}")


def _opener() -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _SafeRedirects(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def _open(url: str, timeout: float, start: int = 0) -> HTTPResponse:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/pdf,*/*;q=0.8"}
    if start > 0:
        headers["Range"] = f"bytes={start}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = _opener().open(request, timeout=timeout)
    except DownloadError:
        raise
    except urllib.error.HTTPError as exc:
        with contextlib.suppress(Exception):
            exc.close()
        if exc.code == 416 and start > 0:
            raise _RangeNotSatisfiable("HTTP 416 Range Not Satisfiable") from None
        raise DownloadError(f"HTTP {exc.code} {one_line(str(exc.reason))}") from None
    except urllib.error.URLError as exc:
        raise DownloadError(f"cannot download: {one_line(str(exc.reason))}") from None
    except (TimeoutError, socket.timeout):
        raise DownloadError(f"timed out after {timeout:g} s") from None
    except (OSError, ValueError) as exc:
        raise DownloadError(f"cannot download: {one_line(str(exc))}") from None
    if not isinstance(response, HTTPResponse):  # pragma: no cover - only HTTP handlers
        response.close()
        raise DownloadError(f"cannot download: unexpected response for {one_line(url)!r}")
    return response


def _check_type(response: HTTPResponse, want_pdf: bool) -> None:
    ctype = (response.headers.get_content_type() or "").lower()
    if want_pdf and response.headers.get("Content-Type") and _NOT_PDF_RE.match(ctype):
        raise DownloadError(f"not a PDF (got {one_line(ctype)})")


def _length(response: HTTPResponse) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        n = int(value) if value is not None else None
    except ValueError:
        return None
    return n if n is not None and n >= 0 else None


def download(
    url: str,
    dest_dir: Path,
    filename: str,
    *,
    progress: Callable[[int, int | None], None] | None = None,
    cancel: threading.Event | None = None,
    timeout: float = 30.0,
) -> DownloadResult:
    """Download ``url`` to ``dest_dir / filename`` (made safe).

    ``progress(done, total)`` is called at most ~10 times a second (``total``
    is None when the server does not say); setting ``cancel`` stops between
    chunks, keeping the ``.part`` for a later resume.  Raises
    :class:`DownloadError` with a one-line message for anything that fails.
    """
    if not is_web_url(url):
        raise DownloadError(f"not an http(s) link: {one_line(str(url))!r}")
    if cancel is not None and cancel.is_set():
        raise DownloadError("cancelled")
    name = safe_filename(filename)
    want_pdf = name.lower().endswith(".pdf")
    dest_dir = Path(dest_dir).expanduser()
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot create {dest_dir}: {exc.strerror or exc}") from None

    # The first free name; the names before it are taken by existing files.
    taken: list[Path] = []
    index = 1
    while (dest_dir / _copy_name(name, index)).exists():
        taken.append(dest_dir / _copy_name(name, index))
        index += 1
        if index > MAX_COPIES:
            raise DownloadError(f"too many copies of {name} in {dest_dir}")
    target = dest_dir / _copy_name(name, index)
    part = target.with_name(target.name + ".part")
    try:
        have = part.stat().st_size if part.is_file() else 0
    except OSError:
        have = 0

    try:
        response = _open(url, timeout, start=have)
    except _RangeNotSatisfiable:  # the .part is not a start of this file
        have = 0
        response = _open(url, timeout)
    try:
        start, total = _start_and_total(response)
        if response.status == 206 and start != have:  # not the range asked for
            response.close()
            response = _open(url, timeout)
            start, total = _start_and_total(response)
        _check_type(response, want_pdf)
        for existing in taken:
            try:
                size = existing.stat().st_size
            except OSError:
                continue
            if total is not None and size == total:
                return DownloadResult(existing, "exists", size)
        done = _receive(response, part, start, total, progress, cancel)
    finally:
        response.close()
    if total is not None and done != total:
        raise DownloadError(
            f"connection closed after {done} of {total} bytes (try again to resume)"
        )
    # Never replace a file that appeared meanwhile: take the next free name.
    final = target
    while final.exists():
        index += 1
        if index > MAX_COPIES:
            raise DownloadError(f"too many copies of {name} in {dest_dir}")
        final = dest_dir / _copy_name(name, index)
    try:
        os.replace(part, final)
    except OSError as exc:
        raise DownloadError(f"cannot save {final}: {exc.strerror or exc}") from None
    return DownloadResult(final, "resumed" if start > 0 else "downloaded", done)


def _start_and_total(response: HTTPResponse) -> tuple[int, int | None]:
    """Where the body starts in the file, and the whole file's size if known."""
    if response.status == 206:
        m = _CONTENT_RANGE_RE.match((response.headers.get("Content-Range") or "").strip())
        if m is None:
            return -1, None  # unreadable: start again without Range
        start = int(m.group(1))
        total = None if m.group(3) == "*" else int(m.group(3))
        return start, total
    return 0, _length(response)  # 200: the whole file (Range ignored)


def _receive(
    response: HTTPResponse,
    part: Path,
    start: int,
    total: int | None,
    progress: Callable[[int, int | None], None] | None,
    cancel: threading.Event | None,
) -> int:
    """Write the body to ``part`` (appending at ``start``); returns its size."""
    done = start
    last_report = float("-inf")
    try:
        with open(part, "r+b" if start > 0 else "wb") as fh:
            fh.seek(start)
            fh.truncate()
            while True:
                if cancel is not None and cancel.is_set():
                    raise DownloadError("cancelled")
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                fh.write(chunk)
                done += len(chunk)
                now = time.monotonic()
                if progress is not None and now - last_report >= PROGRESS_INTERVAL:
                    last_report = now
                    progress(done, total)
            fh.flush()
            os.fsync(fh.fileno())
    except DownloadError:
        raise
    except (TimeoutError, socket.timeout):
        raise DownloadError("timed out (try again to resume)") from None
    except OSError as exc:
        raise DownloadError(f"download failed: {one_line(str(exc.strerror or exc))}") from None
    except http.client.HTTPException as exc:  # IncompleteRead and friends
        reason = one_line(str(exc)) or type(exc).__name__
        raise DownloadError(f"download failed: {reason} (try again to resume)") from None
    if progress is not None:
        progress(done, total)
    return done
