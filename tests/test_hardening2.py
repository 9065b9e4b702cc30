"""Hardening, round two: one test (or a few) per numbered item of the issue.

Each test names its item (``test_item01_...``) and failed before the fix.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import resource
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import webbrowser
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from digest_tui import opening
from digest_tui.cli import main
from digest_tui.config import load_config, save_setting_theme
from digest_tui.download import DownloadError, download
from digest_tui.library import Library, walk
from digest_tui.opening import OpenError, open_url, opener_argv
from digest_tui.parsing import parse_text
from digest_tui.state import StateStore
from digest_tui.text import is_web_url
from tests.conftest import SEEDS

# --------------------------------------------------------------------------- 1. links

SMUGGLED = [
    "https://evil.com\\@arxiv.org/pdf/2005.10825.pdf",
    "https://evil.com\\.arxiv.org/abs/2005.10825",
    "https://arxiv.org@evil.com/pdf/2005.10825.pdf",
    "https://evil.com%2F@arxiv.org/pdf/2005.10825.pdf",
    "https://evil.com%2Earxiv.org/pdf/2005.10825.pdf",
    "https://\uff41rxiv.org/pdf/2005.10825.pdf",  # fullwidth a: IDNA maps it to "a"
    "https://evil.com\u3002arxiv.org/pdf/2005.10825.pdf",  # ideographic full stop
    "https://[::1]/arxiv.org/pdf/2005.10825.pdf",
    "https:///evil.com/arxiv.org/pdf/2005.10825.pdf",
    "https://arxiv.org:99999/pdf/2005.10825.pdf",
    "https://arxiv.org/pdf/2005.10825.pdf\\..\\..\\x",
    "https://arxiv.org/pdf/2005.10825.pdf\u00a0x",
    "https://arxiv.org/pdf/2005.10825.pdf\u2028x",
    "https://arxiv.org/pdf/2005.10825.pdf\u200b",
]


def _daily(link: str) -> str:
    return f"# ArXiv cs.CV --Fri, 22 May 2020\n### 1.A title  [ :arrow_down: ]({link})\n>  x\n"


def _rss(link: str) -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<rss version="2.0"><channel><title>cs.CV updates on arXiv.org</title>\n'
        "<link>http://rss.arxiv.org/rss/cs.CV</link>\n"
        "<pubDate>Wed, 05 Mar 2025 00:00:00 -0500</pubDate>\n"
        f"<item><title>A title</title><link>{link}</link>\n"
        "<description>arXiv:2005.10825v1 Announce Type: new \nAbstract: x.</description>\n"
        "<guid isPermaLink='false'>oai:arXiv.org:2005.10825v1</guid>\n"
        "<category>cs.CV</category></item></channel></rss>\n"
    )


@pytest.mark.parametrize("link", SMUGGLED, ids=repr)
def test_item01_no_link_smuggles_another_host_past_the_arxiv_check(link: str) -> None:
    for paper in parse_text(_daily(link), "d.md").papers:
        assert paper.pdf_url == "https://arxiv.org/pdf/2005.10825"
    rss_link = link.replace("/pdf/2005.10825.pdf", "/abs/2005.10825")
    (paper,) = parse_text(_rss(rss_link), "r.xml").papers
    assert paper.abs_url == "https://arxiv.org/abs/2005.10825v1"


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.com\\@arxiv.org/",
        "https://a.example/x\\y",
        "https://a.example/\tx",
        "https://a.example/\x7f",
        "https://a.example/\x85",
        "https://user:pw@a.example/",
    ],
    ids=repr,
)
def test_item01_the_one_gate_refuses_backslash_space_controls_and_userinfo(url: str) -> None:
    assert not is_web_url(url)
    with pytest.raises(OpenError):
        open_url(url, "xdg-open {url}")


def test_item01_good_links_still_pass() -> None:
    for url in (
        "https://arxiv.org/abs/2005.10825v2",
        "http://export.arxiv.org/pdf/math/0309136v1",
        "https://github.com/some-one/repo_name.git",
        "https://example.org:8443/a?b=c&d=e#f",
    ):
        assert is_web_url(url), url


# --------------------------------------------------------------------------- 2. opener


def test_item02_opener_gets_one_percent_encoded_argument_with_nothing_for_a_shell() -> None:
    url = "https://a.example/`touch${IFS}x`;$(id)|'q'\"&(*)!<>{}^"
    argv = opener_argv("sh -c 'xdg-open {url}'", url)
    assert len(argv) == 3 and argv[:2] == ["sh", "-c"]
    script = argv[2]
    assert script.startswith("xdg-open https://a.example/")
    assert not any(c in script[len("xdg-open ") :] for c in "`$;|'\"\\&()*!<>{}^ ")


def test_item02_open_url_hands_the_opener_the_encoded_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(opening.subprocess, "Popen", lambda argv, **k: started.append(argv))
    monkeypatch.setattr(webbrowser, "open", lambda *a, **k: None)
    open_url("https://a.example/$(reboot)", "sh -c 'echo {url}'")
    assert started == [["sh", "-c", "echo https://a.example/%24%28reboot%29"]]
    assert subprocess  # the module the opener uses


# --------------------------------------------------------------------------- 3. symlink loops


def _folder_with_one_digest(tmp_path: Path) -> Path:
    folder = tmp_path / "digests"
    folder.mkdir()
    shutil.copy(SEEDS / "000_3ae2b7cffb64a415.txt", folder / "one.md")
    return folder


def _walked(roots: list[Path]) -> list[str]:
    return [p for p, _size, _mtime in itertools.islice(walk(roots), 200)]


def test_item03_symlink_loops_visit_each_real_folder_once(tmp_path: Path) -> None:
    folder = _folder_with_one_digest(tmp_path)
    (folder / "a").symlink_to(".")
    (folder / "b").symlink_to(".")
    (folder / "self").symlink_to(folder)
    sub = folder / "d"
    sub.mkdir()
    (sub / "up").symlink_to("..")
    assert _walked([folder]) == [str(folder / "one.md")]
    # The same folder twice, or a link to it given as a root, is walked once.
    (tmp_path / "link").symlink_to(folder)
    assert len(_walked([folder, tmp_path / "link", folder / "a"])) == 1


def test_item03_check_and_list_of_a_looping_folder_end_with_one_file(tmp_path: Path) -> None:
    folder = _folder_with_one_digest(tmp_path)
    (folder / "a").symlink_to(".")
    (folder / "b").symlink_to(".")
    (folder / "self").symlink_to(".")
    (folder / "fifo").symlink_to(_fifo(tmp_path / "p"))  # never opened in a folder
    try:
        checked = _run_cli(["check", str(folder)], tmp_path)
        listed = _run_cli(["list", str(folder), "-f", "ids"], tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail("the walk did not end")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.count("one.md:") == 1
    assert listed.returncode == 0, listed.stderr
    ids = listed.stdout.split()
    assert ids and len(ids) == len(set(ids))


# --------------------------------------------------------------------------- 4. files


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _run_cli(
    args: list[str], tmp_path: Path, memory_mb: int = 1024
) -> subprocess.CompletedProcess[str]:
    """The CLI in a child with a memory cap and a time limit (a hang fails, not blocks)."""

    def limit() -> None:
        cap = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = {**os.environ, "DIGEST_TUI_CACHE_DIR": str(tmp_path / "cache")}
    env["DIGEST_TUI_DATA_DIR"] = str(tmp_path / "data")
    env["DIGEST_TUI_CONFIG_DIR"] = str(tmp_path / "config")
    return subprocess.run(
        [sys.executable, "-m", "digest_tui", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        preexec_fn=limit,  # noqa: PLW1509 - only sets a limit
    )


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "sparse"])
def test_item04_fifos_devices_and_huge_files_are_not_read(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        target = _fifo(tmp_path / "digest.md")
    elif kind == "dev-zero":
        target = Path("/dev/zero")
    else:
        target = tmp_path / "sparse.md"
        with open(target, "wb") as fh:
            fh.truncate(2 * 2**30)  # 2 GB of holes: no disk used
    try:
        done = _run_cli(["check", str(target)], tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail(f"check {kind} did not finish")
    assert done.returncode == 1, done.stderr  # "not a digest", no traceback
    assert "Traceback" not in done.stderr
    expected = "max_digest_mb" if kind == "sparse" else "not a regular file"
    assert expected in done.stdout, done.stdout


def test_item04_the_size_cap_is_a_setting_named_in_the_warning(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    big = (SEEDS / "000_3ae2b7cffb64a415.txt").read_bytes()
    (folder / "big.md").write_bytes(big + b"\n" * (2 * 2**20))
    config = tmp_path / "c.toml"
    config.write_text("max_digest_mb = 1\n")
    with Library(tmp_path / "i.sqlite3", [folder], max_digest_bytes=2**20) as lib:
        report = lib.scan()
    (warning,) = report.warnings
    assert "max_digest_mb" in warning.message and warning.source.endswith("big.md")
    assert load_config(config).max_digest_bytes == 2**20
    assert any(
        "max_digest_mb" in p for p in load_config(_toml(tmp_path, "max_digest_mb = 0")).problems
    )
    # Raising the limit reads the file at the next scan.
    with Library(tmp_path / "i.sqlite3", [folder], max_digest_bytes=4 * 2**20) as lib:
        assert lib.scan().files_parsed == 1 and lib.count() > 0


# --------------------------------------------------------------------------- 10. damaged index


def _damage_the_word_index(index: Path) -> None:
    conn = sqlite3.connect(index)
    conn.execute("UPDATE papers_fts_data SET block = x'00ff00ff00ff00ff00ff' WHERE id > 10")
    conn.commit()
    conn.close()


def test_item10_a_damaged_index_is_moved_aside_rebuilt_and_said_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    args = ["list", str(SEEDS), "-q", "network", "-f", "ids", "--cache-dir", str(cache)]
    args += ["--data-dir", str(tmp_path / "data")]
    assert main(args) == 0
    expected = capsys.readouterr().out
    assert expected
    (index,) = cache.glob("index-*.sqlite3")
    _damage_the_word_index(index)
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert out == expected
    lines = [line for line in err.splitlines() if "damaged" in line]
    assert len(lines) == 1 and "moved it to" in lines[0] and "rebuilt" in lines[0]
    assert len(list(cache.glob("index-*.sqlite3.damaged-*"))) == 1
    assert main(args) == 0  # the next run: nothing to say
    out, err = capsys.readouterr()
    assert out == expected and "damaged" not in err


def test_item10_damage_found_by_a_query_rebuilds_in_the_same_session(tmp_path: Path) -> None:
    index = tmp_path / "i.sqlite3"
    with Library(index, [SEEDS]) as lib:
        lib.scan()
        expected = list(lib.search("network").pids)
        _damage_the_word_index(index)
        assert len(lib.search("network")) == len(expected)
        (notice,) = lib.take_notices()
        assert "damaged" in notice


# --------------------------------------------------------------------------- 11. cache and data dir


def test_item11_a_cache_dir_that_cannot_be_created_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(["list", str(SEEDS), "--cache-dir", str(blocker / "cache")])
    _out, err = capsys.readouterr()
    assert code == 3
    assert err.count("\n") == 1 and "cannot create the cache dir" in err


def test_item11_a_full_cache_disk_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    connect = Library._connect

    def tiny(self: Library) -> sqlite3.Connection:
        conn = connect(self)
        conn.execute("PRAGMA max_page_count = 12")  # SQLITE_FULL, as on a full disk
        return conn

    monkeypatch.setattr(Library, "_connect", tiny)
    code = main(["list", str(SEEDS), "--cache-dir", str(tmp_path / "c")])
    _out, err = capsys.readouterr()
    assert code == 3, err
    assert err.count("\n") == 1 and "full" in err


ATTACH_PROBE = """
import json, os, sys
from pathlib import Path
import digest_tui.parsing
from digest_tui.library import Library
index, seeds, state_db = sys.argv[1:4]
if len(sys.argv) > 4:
    os.setgroups([]); os.setgid(int(sys.argv[5])); os.setuid(int(sys.argv[4]))
with Library(Path(index), [Path(seeds)], state_db=Path(state_db)) as lib:
    print(json.dumps([len(lib.search(q)) for q in ("is:read", "is:unread")]))
"""


def test_item11_a_read_only_data_dir_still_gives_right_is_read_results() -> None:
    if os.geteuid() == 0:
        try:
            import pwd

            nobody = pwd.getpwnam("nobody")
        except KeyError:
            pytest.skip("running as root without a 'nobody' user")
        drop = [str(nobody.pw_uid), str(nobody.pw_gid)]
    else:
        drop = []
    base = Path(tempfile.mkdtemp(prefix="h2-ro-", dir="/tmp"))
    try:
        base.chmod(0o755)
        data, cache = base / "data", base / "cache"
        with StateStore(data) as state:
            state.set_read("2012.07810")
        cache.mkdir(mode=0o777)
        cache.chmod(0o777)
        with Library(cache / "i.sqlite3", [SEEDS]) as lib:
            lib.scan()
            total = lib.count()
        for f in cache.iterdir():
            f.chmod(0o666)
        seeds = base / "seeds"
        shutil.copytree(SEEDS, seeds)
        for p in [seeds, *seeds.iterdir()]:
            p.chmod(0o755)
        data.chmod(0o555)
        (data / "state.sqlite3").chmod(0o444)
        done = subprocess.run(
            [sys.executable, "-c", ATTACH_PROBE, str(cache / "i.sqlite3"), str(seeds)]
            + [str(data / "state.sqlite3"), *drop],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == [1, total - 1]
    finally:
        for p in [base, *base.rglob("*")]:
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
        shutil.rmtree(base)


# --------------------------------------------------------------------------- 13. numbers


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_item13_deep_nesting_is_one_line_not_a_recursion_error(tmp_path: Path) -> None:
    for text in ("a = " + "[" * 500 + "]" * 500, "a = " + "{b = " * 500 + "1" + "}" * 500):
        config = load_config(_toml(tmp_path, text))
        assert len(config.problems) == 1 and "invalid TOML" in config.problems[0]


@pytest.mark.parametrize(
    ("setting", "value", "default"),
    [
        ("watch_interval", "1e-300", 30.0),
        ("watch_interval", "0.001", 30.0),
        ("watch_interval", "1e12", 30.0),
        ("mark_read_delay", "1e-300", 2.0),
        ("mark_read_delay", "1e12", 2.0),
        ("max_digest_mb", "1e-300", 64.0),
        ("max_digest_mb", "1e9", 64.0),
    ],
)
def test_item13_every_number_is_bounded_and_a_refusal_names_the_setting(
    tmp_path: Path, setting: str, value: str, default: float
) -> None:
    config = load_config(_toml(tmp_path, f"{setting} = {value}\n"))
    assert getattr(config, setting) == default
    (problem,) = config.problems
    assert f"'{setting}' must be" in problem and "refused" in problem


def test_item13_good_numbers_are_kept(tmp_path: Path) -> None:
    text = "watch_interval = 0\nmark_read_delay = -1\nmax_digest_mb = 8\n"
    config = load_config(_toml(tmp_path, text))
    assert config.problems == []
    assert (config.watch_interval, config.mark_read_delay, config.max_digest_mb) == (0, -1, 8)


# --------------------------------------------------------------------------- 14. writing files


def test_item14_saving_the_theme_keeps_a_latin1_byte_and_everything_else(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'# caf\xe9\ntheme = "old"\nsort = "date"\n')
    save_setting_theme(path, "nord")
    assert path.read_bytes() == b'# caf\xe9\ntheme = "nord"\nsort = "date"\n'
    assert load_config(path).theme == "nord"


def test_item14_a_symlinked_config_stays_a_symlink_and_keeps_its_mode(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "digest-tui.toml"
    target.write_text('sort = "date"\n')
    target.chmod(0o600)
    link = tmp_path / "config.toml"
    link.symlink_to(target)
    save_setting_theme(link, "nord")
    assert link.is_symlink() and link.resolve() == target
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert 'theme = "nord"' in target.read_text() and 'sort = "date"' in target.read_text()


@pytest.mark.parametrize("command", ["export", "state"])
def test_item14_export_targets_are_written_through_symlinks(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "out.json"
    link.symlink_to(target)
    data = ["--data-dir", str(tmp_path / "data"), "--cache-dir", str(tmp_path / "c")]
    if command == "export":
        assert main(["export", str(SEEDS), "-o", str(link), *data]) == 0
    else:
        assert main(["mark", "--star", "2012.07810", *data]) == 0
        assert main(["state", "export", str(link), *data]) == 0
    capsys.readouterr()
    assert link.is_symlink() and link.resolve() == target
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text() != "old"


# --------------------------------------------------------------------------- 16. raw bytes


UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def test_item16_json_export_escapes_c1_and_del_in_file_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    name = "evil\x85\x9b2J\x7f.md"
    shutil.copy(SEEDS / "000_3ae2b7cffb64a415.txt", folder / name)
    data = ["--data-dir", str(tmp_path / "data"), "--cache-dir", str(tmp_path / "c")]
    assert main(["export", str(folder), "-f", "json", *data]) == 0
    out = capsys.readouterr().out
    assert not UNSAFE.search(out.replace("\n", ""))
    records = json.loads(out)
    assert records[0]["digests"][0]["source"].endswith(name)  # the same name, decoded
    assert main(["list", str(folder), "-f", "jsonl", *data]) == 0
    assert not UNSAFE.search(capsys.readouterr().out.replace("\n", ""))


def test_item16_messages_show_the_escapes_of_names_never_the_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path / "data"), "--cache-dir", str(tmp_path / "c")]
    hostile = "nope\x1b]0;X\x07"
    assert main(["list", hostile, *data]) == 2
    err = capsys.readouterr().err
    assert not UNSAFE.search(err.replace("\n", "")) and "nope\\x1b]0;X\\x07" in err
    config = _toml(tmp_path, f'paths = ["{tmp_path}/gone\\u001b[2J", "{SEEDS}"]\n')
    assert main(["list", "--config", str(config), "-f", "ids", *data]) == 0
    err = capsys.readouterr().err
    assert "path not found" in err and not UNSAFE.search(err.replace("\n", ""))
    out_name = tmp_path / "out\x1b]0;X\x07.bib"
    assert main(["export", str(SEEDS), "-o", str(out_name), *data]) == 0
    out = capsys.readouterr().out
    assert "exported" in out and not UNSAFE.search(out.replace("\n", ""))
    assert out_name.exists()
    with pytest.raises(SystemExit) as exited:
        main(["list", str(SEEDS), "--bogus\x1b[2J", *data])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized" in err and not UNSAFE.search(err.replace("\n", ""))


NAMES = ["[reverse]x", "ok [/]", "[@click=app.quit]q[/]", "[b]save[/b]"]


class _PaletteApp:
    """What ReaderCommands needs from the reader."""

    def saved_search_list(self) -> list[tuple[str, str]]:
        return [(name, "a") for name in NAMES]

    def apply_search(self, query: str) -> None: ...

    def delete_saved_search(self, name: str) -> None: ...

    def export_view(self, label: str) -> None: ...

    def set_sort(self, sort: str) -> None: ...


async def test_item16_saved_search_names_are_never_markup_in_the_palette() -> None:
    from types import SimpleNamespace

    from digest_tui.tui.commands import ReaderCommands

    provider = ReaderCommands(SimpleNamespace(app=_PaletteApp()))  # type: ignore[arg-type]
    shown = {hit.text: hit.match_display async for hit in provider.search("sa")}
    for name in NAMES:
        text = f"Saved search: {name}"
        assert text in shown
        display = shown[text]
        assert getattr(display, "plain", display) == text


# --------------------------------------------------------------------------- 6, 15. downloads


PDF = b"%PDF-1.5\n" + bytes(range(256)) * 400


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _head(self, length: int | None, ctype: str = "application/pdf") -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        try:
            self._route()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _route(self) -> None:
        path = self.path
        if path == "/paper.pdf":
            self._head(len(PDF))
            self.wfile.write(PDF)
        elif path == "/trickle.pdf":
            # One byte, then one more every 0.2 s, until the client goes away
            # (bounded: at most 150 bytes, 30 s).
            self._head(10_000)
            for i in range(150):
                self.wfile.write(PDF[i : i + 1])
                self.wfile.flush()
                self.server.first_byte.set()
                if self.server.stop.wait(0.2):
                    break
        elif path == "/big.pdf":
            self._head(50 * 2**20)
            self.wfile.write(PDF)
        elif path == "/endless.pdf":
            self._head(None)
            for _ in range(200):  # 200 x 64 KB, no length given
                self.wfile.write(PDF[:9] + b"x" * (65536 - 9))
        elif path == "/image.pdf":
            self._head(len(PDF), "image/png")
            self.wfile.write(PDF)
        elif path == "/html.pdf":
            body = b"<html>Please log in</html>"
            self._head(len(body), "application/octet-stream")
            self.wfile.write(body)
        elif path == "/garbage.pdf":
            self.wfile.write(b"HTTP/1.1 abc\r\n\r\n")
            self.close_connection = True
        else:
            self.send_error(404)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    first_byte: threading.Event
    stop: threading.Event
    base: str


@pytest.fixture
def pdf_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.first_byte = threading.Event()
    srv.stop = threading.Event()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        srv.base = f"http://127.0.0.1:{srv.server_address[1]}"
        yield srv
    finally:
        srv.stop.set()
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


def test_item06_a_cancelled_trickling_download_stops_at_once(
    pdf_server: _Server, tmp_path: Path
) -> None:
    cancel = threading.Event()
    errors: list[str] = []

    def run() -> None:
        try:
            download(f"{pdf_server.base}/trickle.pdf", tmp_path, "x.pdf", cancel=cancel, timeout=30)
        except DownloadError as exc:
            errors.append(str(exc))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    assert pdf_server.first_byte.wait(10)
    cancel.set()
    worker.join(5)  # the trickle would go on for 30 s
    assert not worker.is_alive()
    assert errors == ["cancelled"]


def test_item06_downloads_have_an_overall_deadline_and_a_size_cap(
    pdf_server: _Server, tmp_path: Path
) -> None:
    with pytest.raises(DownloadError, match="took too long"):
        download(f"{pdf_server.base}/trickle.pdf", tmp_path, "x.pdf", timeout=30, deadline=0.5)
    with pytest.raises(DownloadError, match="cap"):
        download(f"{pdf_server.base}/big.pdf", tmp_path, "y.pdf", timeout=5, max_bytes=2**20)
    with pytest.raises(DownloadError, match="cap"):
        download(f"{pdf_server.base}/endless.pdf", tmp_path, "z.pdf", timeout=5, max_bytes=2**20)
    assert not list(tmp_path.glob("y.pdf*")) and not list(tmp_path.glob("z.pdf*"))


def test_item15_a_symlink_planted_at_the_part_is_never_written_through(
    pdf_server: _Server, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"%PDF-keep me")
    dest = tmp_path / "papers"
    dest.mkdir()
    (dest / "x.pdf.part").symlink_to(victim)
    with pytest.raises(DownloadError, match="symlink"):
        download(f"{pdf_server.base}/paper.pdf", dest, "x.pdf", timeout=5)
    assert victim.read_bytes() == b"%PDF-keep me"


def test_item15_a_different_file_of_the_same_size_is_not_already_downloaded(
    pdf_server: _Server, tmp_path: Path
) -> None:
    (tmp_path / "x.pdf").write_bytes(b"%PDF-" + b"o" * (len(PDF) - 5))
    result = download(f"{pdf_server.base}/paper.pdf", tmp_path, "x.pdf", timeout=5)
    assert result.status == "downloaded" and result.path.read_bytes() == PDF
    again = download(f"{pdf_server.base}/paper.pdf", tmp_path, "x.pdf", timeout=5)
    assert again.status == "exists" and again.path == result.path


@pytest.mark.parametrize("path", ["/image.pdf", "/html.pdf"])
def test_item15_only_a_pdf_is_accepted(pdf_server: _Server, tmp_path: Path, path: str) -> None:
    with pytest.raises(DownloadError, match="^not a PDF"):
        download(f"{pdf_server.base}{path}", tmp_path, "x.pdf", timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_item15_a_broken_http_response_is_one_line(pdf_server: _Server, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="^cannot download: "):
        download(f"{pdf_server.base}/garbage.pdf", tmp_path, "x.pdf", timeout=5)


# --------------------------------------------------------------------------- 12. the state lock


def _lock(db: Path) -> sqlite3.Connection:
    """Another process's write lock on the state database (a connection of its own)."""
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    return blocker


def test_item12_a_lock_held_at_open_does_not_make_the_store_read_only(tmp_path: Path) -> None:
    from digest_tui.state import StateBusyError

    with StateStore(tmp_path) as first:
        first.set_read("1")
    blocker = _lock(tmp_path / "state.sqlite3")
    store = StateStore(tmp_path, write_wait=0.05)
    try:
        assert not store.readonly
        assert store.get("1").read  # reads go on
        with pytest.raises(StateBusyError, match="locked by another process"):
            store.set_starred("1")
        blocker.execute("ROLLBACK")
        assert store.set_starred("1").starred  # the write path is back, no reopen
    finally:
        blocker.close()
        store.close()


def test_item12_a_worker_retries_when_the_lock_is_released(tmp_path: Path) -> None:
    with StateStore(tmp_path) as first:
        first.set_read("1")
    store = StateStore(tmp_path, write_wait=0.05)
    blocker = _lock(tmp_path / "state.sqlite3")
    tried = threading.Event()
    saved: list[bool] = []

    def write() -> None:
        tried.set()
        store.set_starred("2")

    worker = threading.Thread(
        target=lambda: saved.append(store.retry_while_busy(write, timeout=30) is None)
    )
    try:
        worker.start()
        assert tried.wait(10)
        assert store.get("1").read  # the store is not held while the worker waits
        blocker.execute("ROLLBACK")
        worker.join(20)
        assert saved == [True] and store.get("2").starred
    finally:
        blocker.close()
        worker.join(5)
        store.close()


async def test_item12_the_reader_never_waits_on_a_lock_and_saves_the_mark_later(
    tmp_path: Path, seeds_dir: Path
) -> None:
    from digest_tui.config import Config
    from digest_tui.library import index_path_for
    from digest_tui.tui.app import DigestApp
    from tests.tui.support import Recorder, settle

    data, cache = tmp_path / "data", tmp_path / "cache"
    with StateStore(data) as first:
        first.set_read("0000.00000")
    blocker = _lock(data / "state.sqlite3")
    # The reader's own settings: a mark on screen waits at most 0.2 s.
    state = StateStore(data, write_wait=0.2)
    library = Library(
        index_path_for(cache, [seeds_dir]), [seeds_dir], state_db=data / "state.sqlite3"
    )
    library.scan()
    app = DigestApp(
        library,
        state,
        config=Config(mark_read_delay=-1),
        roots=[seeds_dir],
        opener=Recorder(),
        state_poll_interval=None,
        config_file=tmp_path / "config.toml",
        sample_path=Path("sample"),
    )
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            paper = app._current_paper
            assert paper is not None and not state.readonly
            await pilot.press("s")
            assert not app.marks.is_starred(paper.id)  # refused for now, not frozen
            blocker.execute("ROLLBACK")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.marks.is_starred(paper.id)
        assert state.get(paper.id).starred
    finally:
        blocker.close()
        library.close()
        state.close()
