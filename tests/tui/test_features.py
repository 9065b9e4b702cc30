"""Pilot tests of the reader's features: tags, notes, BibTeX, saved searches, the
watch list, sorting, downloads, export and watching the folders (120x36)."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import io
import shlex
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from digest_tui.config import Config, Paths
from digest_tui.models import Paper
from digest_tui.query import WatchList
from digest_tui.state import StateStore
from digest_tui.tui.app import DigestApp
from digest_tui.tui.screens import PromptScreen
from tests.tui.conftest import AppFactory
from tests.tui.support import settle, write_markup_digest

SIZE = (120, 36)
FIRST_ID = "2012.07810"
PANOPTIC_ID = "2012.07717"  # the fifth paper of the newest digest


def row_text(app: DigestApp, index: int) -> str:
    paper_list = app.paper_list
    y = paper_list.line_of(index) - int(paper_list.scroll_offset.y)
    return paper_list.render_line(y).text


def detail_text(app: DigestApp) -> str:
    console = Console(file=io.StringIO(), width=80, color_system=None)
    console.print(app.detail.render())
    return console.file.getvalue()  # type: ignore[attr-defined]


def messages(app: DigestApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def current_id(app: DigestApp) -> str | None:
    paper = app._current_paper
    return paper.id if paper is not None else None


async def wait_for(pilot: Any, condition: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise AssertionError("timed out")
        await pilot.pause(0.05)


# ---------------------------------------------------------------- tags


async def test_tag_add_remove_and_tag_filter(make_app: AppFactory, paths: Paths) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert current_id(app) == FIRST_ID
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"ml", "space", *"#to-read", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, PromptScreen)
        assert app.state.get(FIRST_ID).tags == {"ml", "to-read"}
        assert "#ml #to-read" in row_text(app, 0)
        assert "#ml #to-read" in detail_text(app)
        assert "Tags" in detail_text(app)
        assert "#" not in row_text(app, 1)

        await pilot.press("slash", *"tag:ml", "enter")
        await settle(pilot)
        assert len(app.paper_list.pids) == 1
        assert current_id(app) == FIRST_ID

        await pilot.press("t", *"ml", "enter")  # an existing tag: removed
        await settle(pilot)
        assert app.state.get(FIRST_ID).tags == {"to-read"}
        assert "#to-read" in row_text(app, 0) and "#ml" not in row_text(app, 0)

        await pilot.press("t", *"other", "escape")  # Esc changes nothing
        await settle(pilot)
        assert app.state.get(FIRST_ID).tags == {"to-read"}
    with StateStore(paths.data_dir) as state:
        assert state.ids_with_tag("to-read") == {FIRST_ID}


# ---------------------------------------------------------------- notes


def fake_editor(tmp_path: Path, text: str, *, status: int = 0) -> str:
    """A $VISUAL that writes ``text`` into the file it is given (and exits ``status``)."""
    script = tmp_path / f"editor-{abs(hash(text))}-{status}.py"
    script.write_text(
        "import sys\n"
        "from pathlib import Path\n"
        "path = Path(sys.argv[1])\n"
        "Path(sys.argv[1] + '.seen').write_text(path.read_text())\n"
        f"path.write_text({text!r})\n"
        f"sys.exit({status})\n",
        encoding="utf-8",
    )
    return shlex.join([sys.executable, str(script)])


class SuspendRecorder:
    """Stands in for App.suspend (headless drivers cannot suspend): counts uses."""

    def __init__(self) -> None:
        self.entered = 0

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        self.entered += 1
        yield


async def test_note_is_edited_in_the_editor(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.setenv("VISUAL", fake_editor(tmp_path, "Read section 3.\nCompare with MODNet.\n"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        suspend = SuspendRecorder()
        monkeypatch.setattr(app, "suspend", suspend)
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert suspend.entered == 1
        assert app.state.get(FIRST_ID).note == "Read section 3.\nCompare with MODNet."
        text = detail_text(app)
        assert "Note" in text and "Compare with MODNet." in text
        assert "✎" in row_text(app, 0) and "✎" not in row_text(app, 1)
        assert "Note saved." in messages(app)

        await pilot.press("slash", *"is:noted", "enter")
        await settle(pilot)
        assert len(app.paper_list.pids) == 1

        # The editor is given the current note; an empty file removes it.
        monkeypatch.setenv("VISUAL", fake_editor(tmp_path, ""))
        await pilot.press("e")
        await settle(pilot)
        seen = list(tmp_path.glob("**/note-2012.07810.md.seen"))
        assert app.state.get(FIRST_ID).note is None
        assert "Note removed." in messages(app)
        assert "Compare with MODNet." not in detail_text(app)
    assert not seen  # the temporary folder is gone with the file


async def test_note_editor_gets_the_current_note(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: Paths
) -> None:
    with StateStore(paths.data_dir) as state:
        state.set_note(FIRST_ID, "old note")
    script = tmp_path / "copy.py"
    out = tmp_path / "given.txt"
    script.write_text(
        f"import sys, shutil\nshutil.copy(sys.argv[1], {str(out)!r})\n", encoding="utf-8"
    )
    monkeypatch.setenv("VISUAL", shlex.join([sys.executable, str(script)]))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(app, "suspend", SuspendRecorder())
        await settle(pilot)
        assert "old note" in detail_text(app)
        await pilot.press("e")
        await settle(pilot)
        assert out.read_text(encoding="utf-8") == "old note"
        assert app.state.get(FIRST_ID).note == "old note"
        assert "Note not changed." in messages(app)


async def test_editor_failures_are_one_line_notifications(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(app, "suspend", SuspendRecorder())
        await settle(pilot)
        monkeypatch.setenv("VISUAL", fake_editor(tmp_path, "never saved", status=3))
        await pilot.press("e")
        await settle(pilot)
        monkeypatch.setenv("VISUAL", str(tmp_path / "no-such-editor"))
        await pilot.press("e")
        await settle(pilot)
        notes = messages(app)
        assert any("exited with status 3" in n for n in notes)
        assert any("editor not found" in n for n in notes)
        assert all("\n" not in n for n in notes)
        assert app.state.get(FIRST_ID).note is None


async def test_editor_needs_a_terminal_that_can_suspend(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VISUAL", fake_editor(tmp_path, "x"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:  # headless: App.suspend is refused
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert any("cannot be started" in n for n in messages(app))
        assert app.state.get(FIRST_ID).note is None


# ---------------------------------------------------------------- BibTeX


async def test_B_copies_bibtex(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        copied: list[str] = []
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
        await settle(pilot)
        await pilot.press("B")
        await pilot.pause()
        assert len(copied) == 1
        entry = copied[0]
        assert entry.lstrip().startswith("@")
        assert "2012.07810" in entry and "Background Matting" in entry
        assert any("BibTeX" in n and FIRST_ID in n for n in messages(app))


# ---------------------------------------------------------------- saved searches


async def test_save_a_search_and_bring_it_back_by_key(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"matting", "enter")
        await settle(pilot)
        matting = len(app.paper_list.pids)
        assert 0 < matting < 301
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"mat", "enter")
        await settle(pilot)
        assert app.saved_searches.all() == [("mat", "matting")]
        assert any("press 1" in n for n in messages(app))

        await pilot.press("escape")  # clear the filter
        await settle(pilot)
        assert len(app.paper_list.pids) == 301
        await pilot.press("1")
        await settle(pilot)
        assert app.filter_text == "matting" and app.filter_bar.text == "matting"
        assert len(app.paper_list.pids) == matting

        await pilot.press("2")
        await settle(pilot)
        assert any("No saved search 2" in n for n in messages(app))


async def test_saved_search_keeps_the_view(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("S", "ctrl+s", *"stars", "enter")
        await settle(pilot)
        assert app.saved_searches.all() == [("stars", "is:starred")]


async def test_saved_searches_from_the_palette(make_app: AppFactory, paths: Paths) -> None:
    from digest_tui.searches import SavedSearches

    SavedSearches(paths.data_dir).save("panoptic work", "panoptic")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Saved search: panoptic")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.filter_text == "panoptic"
        assert 0 < len(app.paper_list.pids) < 301

        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Delete saved search: panoptic")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.saved_searches.all() == []
    assert SavedSearches(paths.data_dir).all() == []


# ---------------------------------------------------------------- watch list


def watching(**kwargs: Any) -> Config:
    return Config(mark_read_delay=-1, watch=WatchList(keywords=("panoptic",)), **kwargs)


async def test_watched_papers_stand_out_and_come_first(make_app: AppFactory) -> None:
    app = make_app(config=watching())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # The newest day starts on the first (unread) paper the user follows.
        assert current_id(app) == PANOPTIC_ID
        assert app.paper_list.cursor == 4
        assert row_text(app, 4)[2] == "◆"
        assert row_text(app, 3)[2] == " "
        assert "◆ watched" in detail_text(app)

        await pilot.press("w")
        await settle(pilot)
        header = app.query_one("#header").info  # type: ignore[attr-defined]
        assert header.view == "Watched"
        assert len(app.paper_list.pids) == app.library.count_matching("is:watched") == 4
        await pilot.press("a")
        await settle(pilot)
        assert len(app.paper_list.pids) == 301


async def test_watched_view_without_a_watch_list_says_how(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert current_id(app) == FIRST_ID
        await pilot.press("w")
        await settle(pilot)
        assert len(app.paper_list.pids) == 0
        assert "[watch]" in app.paper_list.empty_message


# ---------------------------------------------------------------- sorting


async def test_z_cycles_the_sort(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        digest_order = list(app.paper_list.pids)
        for sort in ("date", "title", "id"):
            await pilot.press("z")
            await settle(pilot)
            assert app.sort == sort
            assert list(app.paper_list.pids) == list(app.library.search("", sort=sort).pids)
            header = app.query_one("#header").info  # type: ignore[attr-defined]
            assert header.sort == f"by {sort}"
        titles = [app.paper_list.row_at(i).title.casefold() for i in range(5)]  # type: ignore[union-attr]
        assert list(app.paper_list.pids) != digest_order
        await pilot.press("z")  # relevance (tests/tui/test_ranking_reader.py), then round
        await settle(pilot)
        assert app.sort == "relevance"
        await pilot.press("z")
        await settle(pilot)
        assert app.sort == "digest"
        assert list(app.paper_list.pids) == digest_order
        assert app.query_one("#header").info.sort == ""  # type: ignore[attr-defined]

        await pilot.press("z", "z")  # title order, A to Z
        await settle(pilot)
        titles = [app.paper_list.row_at(i).title.casefold() for i in range(5)]  # type: ignore[union-attr]
        assert titles == sorted(titles)


async def test_sort_from_the_config(make_app: AppFactory) -> None:
    app = make_app(config=Config(mark_read_delay=-1, sort="title"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert list(app.paper_list.pids) == list(app.library.search("", sort="title").pids)


# ---------------------------------------------------------------- downloads

PDF = b"%PDF-1.4\n" + b"0123456789abcdef" * 4096 + b"\n%%EOF\n"


class _PdfHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if not self.path.startswith("/pdf/"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(PDF)))
        self.end_headers()
        self.wfile.write(PDF)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def pdf_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PdfHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def serve_pdfs_from(app: DigestApp, base: str, path: str) -> None:
    """Point the papers' PDF links at the local server (the digests link to arxiv.org)."""
    read = app.library.paper

    def paper(pid: int) -> Paper | None:
        found = read(pid)
        if found is not None:
            found = found.copy(pdf_url=f"{base}{path}/{found.id}v{found.version or 1}")
        return found

    app.library.paper = paper  # type: ignore[method-assign]


async def test_d_downloads_the_pdf(make_app: AppFactory, tmp_path: Path, pdf_server: str) -> None:
    papers = tmp_path / "papers"
    app = make_app(config=Config(mark_read_delay=-1, download_dir=papers))
    serve_pdfs_from(app, pdf_server, "/pdf")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app._current_paper is not None
        assert app._current_paper.pdf_url == f"{pdf_server}/pdf/2012.07810v1"
        await pilot.press("d")
        await settle(pilot)
        target = papers / "2012.07810.pdf"  # the digest gives no version
        assert target.read_bytes() == PDF
        assert any(n.startswith("Downloaded") and "2012.07810.pdf" in n for n in messages(app))
        assert not app.query_one("#header").info.activity  # type: ignore[attr-defined]

        await pilot.press("d")  # the same file again: nothing overwritten
        await settle(pilot)
        assert any(n.startswith("Already downloaded") for n in messages(app))
        assert sorted(p.name for p in papers.iterdir()) == ["2012.07810.pdf"]


async def test_a_failed_download_is_a_notification(
    make_app: AppFactory, tmp_path: Path, pdf_server: str
) -> None:
    papers = tmp_path / "papers"
    app = make_app(config=Config(mark_read_delay=-1, download_dir=papers))
    serve_pdfs_from(app, pdf_server, "/missing")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "404" in str(errors[0].message)
        assert not (papers / "2012.07810.pdf").exists()


# ---------------------------------------------------------------- export


@pytest.mark.parametrize(
    ("label", "ext", "check"),
    [
        ("BibTeX", "bib", lambda text: text.count("@") == 4),
        ("Markdown", "md", lambda text: "Improving Panoptic Segmentation" in text),
        ("JSON", "json", lambda text: len(__import__("json").loads(text)) == 4),
        ("CSV", "csv", lambda text: len(text.strip().splitlines()) == 5),
    ],
)
async def test_export_the_view_from_the_palette(
    make_app: AppFactory, tmp_path: Path, label: str, ext: str, check: Any
) -> None:
    exports = tmp_path / "exports"
    app = make_app(config=Config(mark_read_delay=-1, export_dir=exports))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"panoptic", "enter")
        await settle(pilot)
        assert len(app.paper_list.pids) == 4
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*f"Export view as {label}")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        files = list(exports.glob(f"digest-tui-*.{ext}"))
        assert len(files) == 1
        assert check(files[0].read_text(encoding="utf-8"))
        assert any("Exported 4 papers" in n for n in messages(app))


# ---------------------------------------------------------------- watching


async def test_new_digests_appear_without_a_key_press(
    make_app: AppFactory, seeds_dir: Path
) -> None:
    app = make_app(watch_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(app.paper_list.pids) == 301
        write_markup_digest(seeds_dir / "new")
        await wait_for(pilot, lambda: "1 new paper." in messages(app))
        await settle(pilot)
        assert len(app.paper_list.pids) == 302


async def test_watching_is_off_at_zero(make_app: AppFactory, seeds_dir: Path) -> None:
    app = make_app(watch_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        write_markup_digest(seeds_dir / "new")
        await pilot.pause(0.6)
        await settle(pilot)
        assert len(app.paper_list.pids) == 301
        assert app._watch_timer is None


async def test_generated_summary_lines_are_shown_in_the_detail_pane(
    make_app: Any, tmp_path: Path
) -> None:
    """A daily-arXiv-ai-enhanced digest: its TL;DR and structured summary are shown."""
    folder = tmp_path / "ai"
    folder.mkdir()
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
    shutil.copy(fixture / "ai_enhanced_2026-02-04.md", folder / "2026-02-04.md")
    app = make_app(roots=[folder])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.jump_to_id("2602.03001")
        await settle(pilot)
        text = detail_text(app)
        assert "Seeing Through Frosted Glass [Extended]" in text  # literally, not markup
        for label, value in (
            ("TL;DR", "A model sees through frosted glass."),
            ("Motivation", "Frosted glass hides things."),
            ("Method", "Train on pairs of clear and frosted photos."),
            ("Result", "Objects are recognised behind the glass."),
            ("Conclusion", "Frosted glass is less private than thought."),
        ):
            line = next(x for x in text.splitlines() if x.lstrip().startswith(label))
            assert value[:20] in line, (label, line)
