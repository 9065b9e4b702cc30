"""download(): against a local HTTP server on 127.0.0.1 (Range support, an
HTML page, a connection dropped halfway, redirects), all bounded in time."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from digest_tui import __version__
from digest_tui import download as download_mod
from digest_tui.download import DownloadError, download, safe_filename

DATA = b"%PDF-1.5\n" + random.Random(7).randbytes(300_000)
HALF = len(DATA) // 2
NAME = "2005.10825v2.pdf"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.server.seen.append(
            (self.path, self.headers.get("Range"), self.headers.get("User-Agent"))
        )
        try:
            self._route()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _route(self) -> None:
        path = self.path
        rng = self.headers.get("Range")
        if path == "/paper.pdf":
            self._send(DATA, ranges=True)
        elif path == "/octet.pdf":
            self._send(DATA, ranges=True, ctype="application/octet-stream")
        elif path == "/norange.pdf":
            self._send(DATA, ranges=False)
        elif path == "/drop.pdf" and rng is None:
            # Promises the whole file, sends half, hangs up.
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(DATA)))
            self.end_headers()
            self.wfile.write(DATA[:HALF])
            self.wfile.flush()
            self.close_connection = True
        elif path == "/drop.pdf":
            self._send(DATA, ranges=True)
        elif path == "/slow.pdf":
            self._send(DATA, ranges=True, pause=0.002, piece=4096)
        elif path == "/page.html":
            self._send(b"<html><body>Please log in</body></html>", ctype="text/html; charset=utf-8")
        elif path == "/to-file":
            self._redirect("file:///etc/passwd")
        elif path == "/to-ftp":
            self._redirect("ftp://127.0.0.1/x.pdf")
        elif path == "/to-file-301":
            self._redirect("file:///etc/passwd", 301)
        elif path == "/to-paper":
            self._redirect("/paper.pdf")
        else:
            self._send(b"not here", status=404, ctype="text/plain")

    def _redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(
        self,
        body: bytes,
        *,
        status: int = 200,
        ctype: str = "application/pdf",
        ranges: bool = False,
        pause: float = 0.0,
        piece: int = 65536,
    ) -> None:
        rng = self.headers.get("Range")
        start = 0
        if ranges and rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) - start))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        for i in range(start, len(body), piece):
            self.wfile.write(body[i : i + piece])
            if pause:
                self.wfile.flush()
                time.sleep(pause)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[tuple[str, str | None, str | None]]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    srv = Server(("127.0.0.1", 0), Handler)
    srv.seen = []
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


def url(server: Server, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_fresh_download_writes_exact_bytes_with_our_user_agent(
    server: Server, tmp_path: Path
) -> None:
    dest = tmp_path / "new" / "folder"
    result = download(url(server, "/paper.pdf"), dest, NAME, timeout=5)
    assert result.status == "downloaded"
    assert result.path == dest / NAME
    assert result.bytes == len(DATA)
    assert result.path.read_bytes() == DATA
    assert files(dest) == [NAME]  # no .part left
    assert server.seen == [("/paper.pdf", None, f"digest-tui/{__version__}")]


def test_a_dropped_connection_leaves_a_part_that_is_resumed_with_range(
    server: Server, tmp_path: Path
) -> None:
    with pytest.raises(DownloadError) as exc:
        download(url(server, "/drop.pdf"), tmp_path, NAME, timeout=5)
    assert "\n" not in str(exc.value) and "resume" in str(exc.value)
    part = tmp_path / (NAME + ".part")
    assert part.read_bytes() == DATA[:HALF]
    assert not (tmp_path / NAME).exists()
    result = download(url(server, "/drop.pdf"), tmp_path, NAME, timeout=5)
    assert result.status == "resumed"
    assert server.seen[-1][1] == f"bytes={HALF}-"
    assert (tmp_path / NAME).read_bytes() == DATA
    assert result.bytes == len(DATA)
    assert files(tmp_path) == [NAME]


def test_a_server_ignoring_range_restarts_from_zero(server: Server, tmp_path: Path) -> None:
    (tmp_path / (NAME + ".part")).write_bytes(b"%PDF-stale bytes elsewhere")
    result = download(url(server, "/norange.pdf"), tmp_path, NAME, timeout=5)
    assert server.seen[-1][1] == "bytes=26-"  # asked for the rest...
    assert result.status == "downloaded"  # ... got the whole file
    assert (tmp_path / NAME).read_bytes() == DATA
    assert files(tmp_path) == [NAME]


def test_a_part_longer_than_the_file_is_416_and_restarts_from_zero(
    server: Server, tmp_path: Path
) -> None:
    (tmp_path / (NAME + ".part")).write_bytes(b"%PDF-" + b"x" * (len(DATA) + 5))
    result = download(url(server, "/paper.pdf"), tmp_path, NAME, timeout=5)
    assert result.status == "downloaded"
    assert (tmp_path / NAME).read_bytes() == DATA
    assert [s[1] for s in server.seen] == [f"bytes={len(DATA) + 10}-", None]


def test_an_existing_file_with_the_same_content_is_not_saved_again(
    server: Server, tmp_path: Path
) -> None:
    existing = tmp_path / NAME
    existing.write_bytes(DATA)
    result = download(url(server, "/paper.pdf"), tmp_path, NAME, timeout=5)
    assert result.status == "exists"
    assert result.path == existing and result.bytes == len(DATA)
    assert files(tmp_path) == [NAME]


def test_an_existing_file_of_the_same_size_but_other_bytes_is_kept(
    server: Server, tmp_path: Path
) -> None:
    existing = tmp_path / NAME
    existing.write_bytes(b"y" * len(DATA))
    result = download(url(server, "/paper.pdf"), tmp_path, NAME, timeout=5)
    assert result.status == "downloaded" and result.path.read_bytes() == DATA
    assert existing.read_bytes() == b"y" * len(DATA)  # untouched
    assert files(tmp_path) == ["2005.10825v2 (2).pdf", NAME]


def test_an_existing_different_file_is_kept_and_the_download_numbered(
    server: Server, tmp_path: Path
) -> None:
    (tmp_path / NAME).write_bytes(b"another paper")
    result = download(url(server, "/paper.pdf"), tmp_path, NAME, timeout=5)
    assert result.status == "downloaded"
    assert result.path == tmp_path / "2005.10825v2 (2).pdf"
    assert result.path.read_bytes() == DATA
    assert (tmp_path / NAME).read_bytes() == b"another paper"
    # Asked again: the numbered copy is the same size, so it is there already.
    again = download(url(server, "/paper.pdf"), tmp_path, NAME, timeout=5)
    assert again.status == "exists" and again.path == result.path
    assert files(tmp_path) == ["2005.10825v2 (2).pdf", NAME]


def test_an_html_page_is_not_a_pdf_and_leaves_nothing(server: Server, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"^not a PDF \(got text/html\)$"):
        download(url(server, "/page.html"), tmp_path, NAME, timeout=5)
    assert files(tmp_path) == []


def test_octet_stream_is_accepted_as_a_pdf(server: Server, tmp_path: Path) -> None:
    result = download(url(server, "/octet.pdf"), tmp_path, NAME, timeout=5)
    assert result.path.read_bytes() == DATA


@pytest.mark.parametrize(
    "link",
    ["file:///etc/passwd", "ftp://127.0.0.1/x.pdf", "javascript:alert(1)", "", "http://"],
)
def test_non_http_links_are_refused_before_anything_is_made(tmp_path: Path, link: str) -> None:
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="not an http"):
        download(link, dest, NAME, timeout=5)
    assert not dest.exists()


@pytest.mark.parametrize("path", ["/to-file", "/to-file-301", "/to-ftp"])
def test_a_redirect_to_anything_but_http_is_refused(
    server: Server, tmp_path: Path, path: str
) -> None:
    with pytest.raises(DownloadError, match="refused a redirect") as exc:
        download(url(server, path), tmp_path, NAME, timeout=5)
    assert "\n" not in str(exc.value)
    assert files(tmp_path) == []


def test_a_redirect_to_http_is_followed(server: Server, tmp_path: Path) -> None:
    result = download(url(server, "/to-paper"), tmp_path, NAME, timeout=5)
    assert result.path.read_bytes() == DATA
    assert [s[0] for s in server.seen] == ["/to-paper", "/paper.pdf"]


def test_http_errors_are_one_line(server: Server, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"^HTTP 404 "):
        download(url(server, "/missing.pdf"), tmp_path, NAME, timeout=5)
    assert files(tmp_path) == []


def test_a_refused_connection_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError) as exc:
        download(f"http://127.0.0.1:{port}/x.pdf", tmp_path, NAME, timeout=5)
    assert "\n" not in str(exc.value)


def test_cancel_leaves_the_part_and_a_later_call_resumes(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(download_mod, "CHUNK", 8192)
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int | None) -> None:
        seen.append(done)
        assert total == len(DATA)
        cancel.set()

    with pytest.raises(DownloadError, match="^cancelled$"):
        download(
            url(server, "/slow.pdf"), tmp_path, NAME, progress=progress, cancel=cancel, timeout=5
        )
    part = tmp_path / (NAME + ".part")
    assert 0 < part.stat().st_size < len(DATA)
    assert part.read_bytes() == DATA[: part.stat().st_size]
    assert not (tmp_path / NAME).exists()
    result = download(url(server, "/slow.pdf"), tmp_path, NAME, timeout=5)
    assert result.status == "resumed"
    assert (tmp_path / NAME).read_bytes() == DATA


def test_an_event_set_before_starting_cancels_at_once(server: Server, tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(DownloadError, match="cancelled"):
        download(url(server, "/paper.pdf"), tmp_path, NAME, cancel=cancel, timeout=5)
    assert server.seen == []


def test_progress_is_called_at_most_about_ten_times_a_second_and_ends_complete(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(download_mod, "CHUNK", 1024)  # ~300 chunks
    calls: list[tuple[float, int, int | None]] = []
    started = time.monotonic()
    download(
        url(server, "/slow.pdf"),
        tmp_path,
        NAME,
        progress=lambda d, t: calls.append((time.monotonic(), d, t)),
        timeout=5,
    )
    elapsed = time.monotonic() - started
    assert calls[-1][1:] == (len(DATA), len(DATA))
    assert len(calls) <= elapsed * 10 + 2
    gaps = [b[0] - a[0] for a, b in zip(calls[:-2], calls[1:-1], strict=True)]
    assert all(g >= 0.09 for g in gaps)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2005.10825v2.pdf", "2005.10825v2.pdf"),
        ("hep-th/9901001v1.pdf", "hep-th_9901001v1.pdf"),
        ("../../etc/passwd", "etc_passwd"),
        ("..\\..\\x.pdf", "x.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("a;rm -rf $HOME|x.pdf", "a_rm -rf _HOME_x.pdf"),
        ("", "download"),
        ("...", "download"),
        ("CON.pdf", "_CON.pdf"),
        ("x" * 400 + ".pdf", "x" * 150 + ".pdf"),
    ],
)
def test_safe_filename(given: str, expected: str) -> None:
    assert safe_filename(given) == expected


def test_a_hostile_filename_lands_inside_the_folder(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    result = download(url(server, "/paper.pdf"), dest, "../../outside.pdf", timeout=5)
    assert result.path.parent == dest
    assert files(tmp_path) == ["dest"]
