"""Pilot tests of the first real morning (issue 11): a failing editor, light
themes, whole summaries, highlighting, per-day unread counts and marking a
day read, where the cursor lands, mixed corpora and clearer messages."""

from __future__ import annotations

import contextlib
import io
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from digest_tui.config import Config, Paths
from digest_tui.query import WatchList
from digest_tui.state import StateStore
from digest_tui.tui.app import DigestApp
from tests.tui.conftest import AppFactory
from tests.tui.support import low_contrast_text, settle, wait_for

SIZE = (120, 36)
FIRST_ID = "2012.07810"


def messages(app: DigestApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def detail_text(app: DigestApp, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(app.detail.render())
    return console.file.getvalue()  # type: ignore[attr-defined]


# ---------------------------------------------------------------- 1. the editor


class TextualLikeSuspend:
    """Stands in for App.suspend as Textual's behaves: the screen comes back
    only when the block ends normally (an exception skips the resume)."""

    def __init__(self) -> None:
        self.entered = 0
        self.resumed = 0

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        self.entered += 1
        yield
        self.resumed += 1


def failing_editor(tmp_path: Path) -> str:
    """An editor that changes the file and then fails (vim's ``:cq``)."""
    script = tmp_path / "cq.py"
    script.write_text(
        "import sys\nopen(sys.argv[1], 'w').write('half typed')\nsys.exit(1)\n",
        encoding="utf-8",
    )
    return shlex.join([sys.executable, str(script)])


@pytest.mark.parametrize("editor", ["false", "missing", "cq"])
async def test_a_failing_editor_gives_the_screen_back(
    make_app: AppFactory,
    paths: Paths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    editor: str,
) -> None:
    command = {
        "false": "false",
        "missing": str(tmp_path / "no-such-editor"),
        "cq": failing_editor(tmp_path),
    }[editor]
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", command)
    with StateStore(paths.data_dir) as state:
        state.set_note(FIRST_ID, "kept as it was")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        suspend = TextualLikeSuspend()
        monkeypatch.setattr(app, "suspend", suspend)
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert (suspend.entered, suspend.resumed) == (1, 1)
        said = [m for m in messages(app) if "editor" in m]
        assert len(said) == 1 and "\n" not in said[0], messages(app)
        assert ("not found" in said[0]) if editor == "missing" else ("status 1" in said[0])
        assert app.state.get(FIRST_ID).note == "kept as it was"
        await pilot.press("j")  # and the reader goes on
        await settle(pilot)
        assert app.paper_list.cursor == 1


# ---------------------------------------------------------------- 2. light themes

SECOND_ID = "2012.07791"
THIRD_ID = "2012.07773"


def every_kind_of_mark(paths: Paths) -> None:
    """Read, starred, tagged and noted papers, for the styles of every row."""
    with StateStore(paths.data_dir) as state:
        state.set_read_many([SECOND_ID])
        state.set_starred(FIRST_ID)
        state.set_starred(SECOND_ID)
        state.add_tag(SECOND_ID, "faces")
        state.set_note(THIRD_ID, "a note")


@pytest.mark.parametrize("theme", ["textual-light", "solarized-light", "textual-dark"])
@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_every_text_is_readable_on_the_theme(
    make_app: AppFactory, paths: Paths, theme: str, size: tuple[int, int]
) -> None:
    every_kind_of_mark(paths)
    app = make_app(
        config=Config(mark_read_delay=-1, theme=theme, watch=WatchList(authors=("Lin",)))
    )
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert app.theme == theme
        for keys in ((), ("j",), ("j", "enter")):  # the cursor on read, starred, tagged rows
            await pilot.press(*keys)
            await settle(pilot)
            assert low_contrast_text(app, 2.5) == [], keys


# ---------------------------------------------------------------- 5. whole summaries

FORMATS = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
LONG_TLDR = (
    "提出PoinTriE框架，通过伪运动轨迹合成、几何约束和多视角一致性学习，"
    "实现了无需真实运动数据的点轨迹估计，并在三个公开基准上取得了领先的结果。"
)
LONG_METHOD = (
    "Train on pairs of clear and frosted photos taken through twelve kinds of glass,"
    " with a decoder that is told the thickness of the pane and the distance behind it."
)


def write_ai_digest(folder: Path) -> Path:
    """The ai-enhanced fixture with a long Chinese TL;DR and a long method line."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (FORMATS / "ai_enhanced_2026-02-04.md").read_text(encoding="utf-8")
    text = text.replace("TL;DR: A model sees through frosted glass.", f"TL;DR: {LONG_TLDR}")
    text = text.replace(
        "Method: Train on pairs of clear and frosted photos.", f"Method: {LONG_METHOD}"
    )
    path = folder / "2026-02-04.md"
    path.write_text(text, encoding="utf-8")
    return path


def pane_text(app: DigestApp) -> str:
    """The detail pane as drawn at its own width."""
    return detail_text(app, width=app.detail.content_region.width)


@pytest.mark.parametrize("size", [(200, 50), (120, 36), (80, 24)])
async def test_tldr_and_summary_lines_are_shown_whole(
    make_app: AppFactory, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(roots=[write_ai_digest(tmp_path / "ai").parent])
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.jump_to_id("2602.03001")
        await settle(pilot)
        text = pane_text(app)
        assert "…" not in text
        joined = "".join(line.strip() for line in text.splitlines())
        assert LONG_TLDR in joined
        assert LONG_METHOD.replace(" ", "") in joined.replace(" ", "")


# ---------------------------------------------------------------- 6. highlighting


def match_texts(renderable: Any, background: Any, width: int = 80) -> list[str]:
    """The pieces of ``renderable`` drawn on the match background."""
    console = Console(file=io.StringIO(), width=width, color_system="truecolor")
    return [
        seg.text
        for seg in console.render(renderable)
        if seg.style is not None and seg.style.bgcolor == background
    ]


def row_matches(app: DigestApp, index: int, background: Any) -> list[str]:
    paper_list = app.paper_list
    y = paper_list.line_of(index) - int(paper_list.scroll_offset.y)
    return [
        seg.text
        for seg in paper_list.render_line(y)
        if seg.style is not None and seg.style.bgcolor == background
    ]


async def test_the_filters_words_are_marked_in_the_list_and_the_detail(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"matting", "enter")
        await settle(pilot)
        assert len(app.paper_list.pids) > 1
        in_list = app.paper_list._style("paper-list--match").bgcolor
        in_detail = app.detail._style("paper-detail--match").bgcolor
        assert in_list is not None and in_detail is not None
        await pilot.press("j")  # the cursor off the first row: its own colours
        await settle(pilot)
        assert row_matches(app, 0, in_list) == ["Matting"]
        await pilot.press("k")
        await settle(pilot)
        paper_list = app.paper_list
        underlined = [s.text for s in paper_list.render_line(0) if s.style and s.style.underline]
        assert underlined == ["Matting"]  # on the cursor's row: underlined

        await pilot.press("slash", "end", *' "background replacement" -survey', "enter")
        await settle(pilot)
        assert app._current_paper is not None and app._current_paper.id == FIRST_ID
        marked = match_texts(app.detail.render(), in_detail)
        assert marked[0] == "Matting"  # the title
        assert "background replacement" in marked  # a phrase in the abstract
        assert "matting" in marked  # a word in the abstract, any case
        assert "survey" not in marked
        await pilot.press("escape")  # no filter: nothing marked
        await settle(pilot)
        assert match_texts(app.detail.render(), in_detail) == []
        assert row_matches(app, 1, in_list) == []


async def test_field_terms_are_marked_in_their_field(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(roots=[write_ai_digest(tmp_path / "ai").parent])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"author:sage title:glass", "enter")
        await settle(pilot)
        assert app._current_paper is not None and app._current_paper.id == "2602.03001"
        in_detail = app.detail._style("paper-detail--match").bgcolor
        marked = match_texts(app.detail.render(), in_detail)
        assert marked == ["Glass", "Sage"]  # not "glass" in the abstract: title: only


# ---------------------------------------------------------------- 7. days


def separator(app: DigestApp, index: int) -> str:
    """The day separator drawn above row ``index`` (the first of its day)."""
    paper_list = app.paper_list
    y = paper_list.line_of(index) - 1 - int(paper_list.scroll_offset.y)
    return paper_list.render_line(y).text.strip()


async def test_day_headers_count_their_unread_papers(make_app: AppFactory, paths: Paths) -> None:
    with StateStore(paths.data_dir) as state:
        state.set_read_many([SECOND_ID, THIRD_ID])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: app.session.day_unread(0) is not None, "day counts")
        assert separator(app, 0) == "2020-12-15 · 115 papers · 113 unread"
        await pilot.press("r")
        await settle(pilot)
        assert separator(app, 0) == "2020-12-15 · 115 papers · 112 unread"


async def test_a_key_marks_the_day_read_and_u_undoes_it(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        starts = app.session.day_starts()
        await pilot.press("right_square_bracket")  # the second day
        await settle(pilot)
        assert app.paper_list.cursor == starts[1]
        day = starts[2] - starts[1]
        await pilot.press("D")
        await settle(pilot)
        date = app.paper_list.current_date
        assert f"Marked {day} papers of {date} read. Press u to undo." in messages(app)
        await wait_for(pilot, lambda: app.session.day_unread(starts[1]) == 0, "the day read")
        assert separator(app, starts[1]).endswith("· all read")
        assert app.session.day_unread(0) == starts[1]  # the other days untouched
        assert app.session.counts.unread == 301 - day
        await pilot.press("u")
        await settle(pilot)
        await wait_for(pilot, lambda: app.session.day_unread(starts[1]) == day, "undone")
        assert app.session.counts.unread == 301


async def test_mark_all_says_how_many_days_it_covers(make_app: AppFactory) -> None:
    from digest_tui.tui.screens import ConfirmScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        days = len(app.session.day_starts())
        assert days > 1
        await pilot.press("A")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        assert f"{days} digest days" in str(screen.detail)
        await pilot.press("escape")


async def test_mark_the_day_read_is_in_help_and_the_palette(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = [row for row, _title in app.palette_actions()]
        assert any(r.binding_id == "mark_day_read" and r.keys == "D" for r in rows)


# ---------------------------------------------------------------- 8. the cursor where the eye is


def cursor_screen_line(app: DigestApp) -> int:
    paper_list = app.paper_list
    return paper_list.line_of(paper_list.cursor) - int(paper_list.scroll_offset.y)


def separator_on_screen(app: DigestApp) -> bool:
    paper_list = app.paper_list
    start, _ = paper_list.indices_of_day(paper_list.cursor)
    y = paper_list.line_of(start) - 1 - int(paper_list.scroll_offset.y)
    return 0 <= y < paper_list.scrollable_content_region.height


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (200, 50)])
@pytest.mark.parametrize(
    ("keyword", "minimum"),
    [("Panoptic Segmentation", 4), ("Watermark Removal", 11), ("Stacked Attention-guided", 56)],
)
async def test_the_start_shows_the_day_and_its_first_unread_paper(
    make_app: AppFactory, size: tuple[int, int], keyword: str, minimum: int
) -> None:
    app = make_app(config=Config(mark_read_delay=-1, watch=WatchList(keywords=(keyword,))))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: bool(app.marks.watched), "the watch list")
        await settle(pilot)
        row = app.paper_list.cursor
        assert row == app.session.first_unread_index() and row >= minimum
        height = app.paper_list.scrollable_content_region.height
        y = cursor_screen_line(app)
        assert 0 <= y < height - 1 or height < 3, (y, height)  # not on the last line
        if app.paper_list.line_of(row) + 1 < height:  # header and paper fit: both shown
            assert separator_on_screen(app)
            assert app.paper_list.scroll_offset.y == 0
        else:
            assert y <= height // 3


async def test_the_current_paper_stays_visible_after_a_resize(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        for _ in range(30):
            await pilot.press("j")
        await settle(pilot)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await wait_for(
            pilot,
            lambda: 0 <= cursor_screen_line(app) < app.paper_list.scrollable_content_region.height,
            "the cursor on screen",
        )
        assert app.paper_list.cursor == 30


# ---------------------------------------------------------------- 9. mixed corpora


def one_paper_digest(folder: Path, date: str) -> None:
    """A later ai-enhanced digest listing the first paper of the fixture again."""
    text = (FORMATS / "ai_enhanced_2026-02-04.md").read_text(encoding="utf-8")
    head, _, _rest = text.partition("### [2]")
    (folder / f"{date}.md").write_text(head, encoding="utf-8")


async def test_a_date_filter_shows_the_day_it_asked_for(
    make_app: AppFactory, tmp_path: Path
) -> None:
    folder = write_ai_digest(tmp_path / "ai").parent
    one_paper_digest(folder, "2026-02-05")  # the first paper, listed again a day later
    app = make_app(roots=[folder])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.paper_list.current_date == "2026-02-05"
        await pilot.press("slash", *"date:2026-02-04", "enter")
        await settle(pilot)
        assert len(app.paper_list.pids) == 2
        assert app.paper_list.current_date == "2026-02-04"
        info = app.query_one("#header").info  # type: ignore[attr-defined]
        assert info.date == "2026-02-04"
        assert app.session.day_starts() == [0]  # one group: the day asked for


async def test_the_first_open_lands_on_the_newest_day_of_all_formats(
    make_app: AppFactory, tmp_path: Path, seeds_dir: Path
) -> None:
    """Files are indexed newest path first, whatever their dates: the reader
    first shows what it found first, then the newest day once it is indexed."""
    old = tmp_path / "z-old"
    seeds_dir.rename(old)
    new = tmp_path / "a-new"
    new.mkdir()
    app = make_app(roots=[old, new], prescan=False, scan_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # A first scan's first batch: the digests found first are older ones ...
        app.library.scan(workers=1)
        app._show_partial_index(True)
        await settle(pilot)
        assert app.paper_list.current_date == "2020-12-15"
        # ... and the newest day arrives in a later batch.
        write_ai_digest(new)
        report = app.library.scan(workers=1)
        app._after_scan(report, 0, 1, False)
        await settle(pilot)
        assert app.paper_list.current_date == "2026-02-04"
        assert app.paper_list.cursor == 0
        info = app.query_one("#header").info  # type: ignore[attr-defined]
        assert info.date == "2026-02-04"


# ---------------------------------------------------------------- 10. clearer messages


async def test_an_offline_download_names_the_paper_the_host_and_the_network(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digest_tui.download as download_module

    def offline(*_args: object, **_kwargs: object) -> None:
        raise download_module.DownloadError("cannot download: [Errno -2] Name or service not known")

    monkeypatch.setattr(download_module, "download", offline)
    app = make_app(config=Config(mark_read_delay=-1, download_dir=tmp_path / "papers"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        said = [m for m in messages(app) if "download" in m]
        assert said == [
            "cannot download 2012.07810.pdf from arxiv.org: the network is unreachable"
            " ([Errno -2] Name or service not known)"
        ]


async def test_with_no_browser_o_copies_the_link_and_says_so(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import webbrowser

    def no_browser(*_args: object) -> None:
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", no_browser)
    monkeypatch.setattr(webbrowser, "open", lambda *_a, **_k: pytest.fail("opened"))
    app = make_app(opener=None)
    copied: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert copied == ["https://arxiv.org/pdf/2012.07810.pdf"]
        said = messages(app)
        assert any(m.startswith("No web browser found here. Copied") for m in said), said
        assert not any(m.startswith("Opening") for m in said)


async def test_the_empty_folder_screen_sees_a_config_file_under_home(
    make_app: AppFactory, tmp_path: Path
) -> None:
    from digest_tui.tui.screens import FirstRunScreen

    config_file = Path.home() / ".config" / "digest-tui" / "config.toml"
    config_file.parent.mkdir(parents=True)
    config_file.write_text('paths = ["~/nowhere"]\n', encoding="utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    app = make_app(roots=[empty], config_file=config_file)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, FirstRunScreen)
        text = str(app.screen.query_one("#first-run-body").render())
        assert "~/.config/digest-tui/config.toml (exists)" in text, text


async def test_an_unknown_key_binding_id_names_the_file_and_the_nearest_id(
    make_app: AppFactory, paths: Paths
) -> None:
    app = make_app(config=Config(mark_read_delay=-1, keys={"next_unred": "x"}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        said = [m for m in messages(app) if m.startswith("[keys]")]
        assert len(said) == 1
        assert str(paths.config_file) in said[0] or "config.toml" in said[0]
        assert "'next_unred' is not a key binding id" in said[0]
        assert "did you mean 'next_unread'?" in said[0]


async def test_at_80_columns_the_header_keeps_the_filter_and_the_sort(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"matting -survey", "enter", "z", "z")
        await settle(pilot)
        header = app.query_one("#header").render()
        text = str(header)
        assert "matting -survey" in text and "by title" in text, text
        assert len(text) <= 80
        long_filter = 'title:"background matting" abs:"high resolution" -survey -review'
        await pilot.press("slash", "ctrl+u", *long_filter, "enter")
        await settle(pilot)
        text = str(app.query_one("#header").render())
        assert "by title" in text and "…" in text, text
        assert text.count("…") == 1 and 'title:"back' in text and "-review" in text, text
        assert len(text) <= 80
