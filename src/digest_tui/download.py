"""Downloading a paper's PDF: only http(s), resumable, never clobbering.

The file is written to ``<name>.part`` beside its final name and renamed
when complete, so a half-downloaded file never looks like a paper.  A
``.part`` left by a dropped connection or a cancel is resumed with an HTTP
Range request next time (from scratch when the server ignores Range).  The
``.part`` is opened without following symlinks (``O_NOFOLLOW``): a link
planted there is refused, never written through.  An existing file with the
same content (same size and hash) is taken as already there; one that
differs is kept and the download saved as ``name (2).pdf``.

A ``.pdf`` download must be a PDF: a content type that can hold one
(``application/pdf``, ``application/octet-stream``, none) and a body that
starts with ``%PDF-``.  Every download has a size cap (:data:`MAX_BYTES`)
and an overall deadline (:data:`DEADLINE`), and a cancel stops it within
a fraction of a second even while the server sends nothing: a watcher shuts
the socket down, which ends a blocked read.

No shell and no external program is involved: :mod:`urllib.request` with
only the HTTP(S) handlers, and redirects followed only to http(s).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import os
import re
import socket
import stat
import threading
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
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
MAX_BYTES = 256 * 2**20  # no paper is larger; a bigger body is refused
DEADLINE = 600.0  # seconds for the whole download, however it trickles
WATCH_INTERVAL = 0.1  # seconds between the watcher's looks at cancel and deadline
PDF_MAGIC = b"%PDF-"

# Content types a PDF may come with; anything else (an error page, a login
# form, an image) is refused.
_PDF_TYPES = frozenset(
    {"application/pdf", "application/x-pdf", "application/octet-stream", "binary/octet-stream"}
)
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
    except http.client.HTTPException as exc:  # a bad status line, a bad header
        reason = one_line(str(exc)) or type(exc).__name__
        raise DownloadError(f"cannot download: {reason}") from None
    if not isinstance(response, HTTPResponse):  # pragma: no cover - only HTTP handlers
        response.close()
        raise DownloadError(f"cannot download: unexpected response for {one_line(url)!r}")
    return response


def _check_type(response: HTTPResponse, want_pdf: bool) -> None:
    ctype = (response.headers.get_content_type() or "").lower()
    if want_pdf and response.headers.get("Content-Type") and ctype not in _PDF_TYPES:
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
    deadline: float = DEADLINE,
    max_bytes: int = MAX_BYTES,
) -> DownloadResult:
    """Download ``url`` to ``dest_dir / filename`` (made safe).

    ``progress(done, total)`` is called at most ~10 times a second (``total``
    is None when the server does not say); setting ``cancel`` stops the
    download within about :data:`WATCH_INTERVAL` seconds, keeping the
    ``.part`` for a later resume.  ``timeout`` bounds each network wait,
    ``deadline`` the whole download and ``max_bytes`` its size.  Raises
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
        part_stat = part.lstat()
    except OSError:
        have = 0
    else:
        if not stat.S_ISREG(part_stat.st_mode):
            raise DownloadError(f"refused: {part.name} is not a regular file (a symlink?)")
        have = part_stat.st_size
        if have and (have > max_bytes or not _starts_as_pdf(part, want_pdf)):
            have = 0  # not the start of a paper: download it again
    ends_at = time.monotonic() + deadline

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
        if total is not None and total > max_bytes:
            raise DownloadError(f"refused: {total} bytes is over the {max_bytes} byte cap")
        limits = _Limits(cancel, ends_at, max_bytes, want_pdf)
        done = _receive(response, part, start, total, progress, limits)
    finally:
        response.close()
    if total is not None and done != total:
        raise DownloadError(
            f"connection closed after {done} of {total} bytes (try again to resume)"
        )
    if want_pdf and not _starts_as_pdf(part, True):
        _remove(part)
        raise DownloadError("not a PDF (the file does not start with %PDF-)")
    same = _same_content(part, done, taken)
    if same is not None:  # this very file is there already
        _remove(part)
        return DownloadResult(same, "exists", done)
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


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _starts_as_pdf(path: Path, want_pdf: bool) -> bool:
    """True when ``path`` begins with the PDF magic (or no PDF is wanted)."""
    if not want_pdf:
        return True
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return os.read(fd, len(PDF_MAGIC)) == PDF_MAGIC
    except OSError:
        return False
    finally:
        os.close(fd)


def _file_hash(path: Path) -> bytes | None:
    digest = hashlib.blake2b(digest_size=32)
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.digest()


def _same_content(part: Path, size: int, candidates: list[Path]) -> Path | None:
    """The first of ``candidates`` whose bytes are those of ``part``."""
    mine: bytes | None = None
    for existing in candidates:
        try:
            st = existing.stat()
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or st.st_size != size:
            continue
        if mine is None:
            mine = _file_hash(part)
        if mine is not None and _file_hash(existing) == mine:
            return existing
    return None


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


@dataclass
class _Limits:
    cancel: threading.Event | None
    ends_at: float  # time.monotonic() deadline
    max_bytes: int
    want_pdf: bool
    stopped: str | None = None  # why the watcher shut the connection down


def _socket_of(response: HTTPResponse) -> socket.socket | None:
    raw = getattr(response.fp, "raw", None)
    sock = getattr(raw, "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


@contextlib.contextmanager
def _watched(response: HTTPResponse, limits: _Limits) -> Iterator[None]:
    """While the body is read, a watcher ends a blocked read on cancel or deadline.

    A server that trickles a byte every few seconds never trips a socket
    timeout, and a read blocked in ``recv`` cannot look at the cancel event:
    shutting the socket down from the watcher thread ends that read at once.
    """
    sock = _socket_of(response)
    finished = threading.Event()

    def watch() -> None:
        while not finished.wait(WATCH_INTERVAL):
            if limits.cancel is not None and limits.cancel.is_set():
                limits.stopped = "cancelled"
            elif time.monotonic() >= limits.ends_at:
                limits.stopped = "took too long"
            else:
                continue
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            return

    watcher = threading.Thread(target=watch, name="download-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        finished.set()
        watcher.join()


def _open_part(part: Path, start: int) -> int:
    """A descriptor on ``part`` for writing at ``start``; never through a symlink."""
    flags = os.O_WRONLY | os.O_CREAT | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(part, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DownloadError(f"refused: {part.name} is a symlink") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise DownloadError(f"refused: {part.name} is not a regular file")
    os.ftruncate(fd, start)
    os.lseek(fd, start, os.SEEK_SET)
    return fd


def _receive(
    response: HTTPResponse,
    part: Path,
    start: int,
    total: int | None,
    progress: Callable[[int, int | None], None] | None,
    limits: _Limits,
) -> int:
    """Write the body to ``part`` (appending at ``start``); returns its size."""
    done = start
    last_report = float("-inf")
    cancel = limits.cancel
    try:
        fd = _open_part(part, start)
        with os.fdopen(fd, "wb") as fh, _watched(response, limits):
            first = start == 0
            while True:
                if cancel is not None and cancel.is_set():
                    raise DownloadError("cancelled")
                if time.monotonic() >= limits.ends_at:
                    raise DownloadError("took too long (try again to resume)")
                chunk = response.read1(CHUNK)
                if limits.stopped == "cancelled":
                    raise DownloadError("cancelled")
                if limits.stopped is not None:
                    raise DownloadError(f"{limits.stopped} (try again to resume)")
                if not chunk:
                    break
                if first and limits.want_pdf and not PDF_MAGIC.startswith(chunk[:5]):
                    raise _NotPdf("not a PDF (the file does not start with %PDF-)")
                first = False
                fh.write(chunk)
                done += len(chunk)
                if done > limits.max_bytes:
                    raise _NotPdf(f"refused: over the {limits.max_bytes} byte cap")
                now = time.monotonic()
                if progress is not None and now - last_report >= PROGRESS_INTERVAL:
                    last_report = now
                    progress(done, total)
            fh.flush()
            os.fsync(fh.fileno())
    except _NotPdf:
        _remove(part)
        raise
    except DownloadError:
        raise
    except (TimeoutError, socket.timeout):
        raise DownloadError("timed out (try again to resume)") from None
    except OSError as exc:
        if limits.stopped == "cancelled":
            raise DownloadError("cancelled") from None
        if limits.stopped is not None:
            raise DownloadError(f"{limits.stopped} (try again to resume)") from None
        raise DownloadError(f"download failed: {one_line(str(exc.strerror or exc))}") from None
    except http.client.HTTPException as exc:  # IncompleteRead and friends
        if limits.stopped is not None:
            reason = "cancelled" if limits.stopped == "cancelled" else limits.stopped
            raise DownloadError(reason) from None
        reason = one_line(str(exc)) or type(exc).__name__
        raise DownloadError(f"download failed: {reason} (try again to resume)") from None
    if progress is not None:
        progress(done, total)
    return done


class _NotPdf(DownloadError):
    """A body that cannot be kept (not a PDF, over the cap): its ``.part`` is removed."""
