"""Pilot tests: every key of the reader, at 120x36."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from digest_tui.config import Config, Paths
from digest_tui.state import StateStore
from digest_tui.tui.app import DigestApp
from digest_tui.tui.screens import ConfirmScreen, FirstRunScreen, HelpScreen
from digest_tui.tui.widgets.bars import FilterBar
from tests.tui.conftest import AppFactory
from tests.tui.support import Recorder, settle, wait_for

SIZE = (120, 36)
NEWEST = "2020-12-15"
FIRST_ID = "2012.07810"  # the first paper of the newest digest
SECOND_ID = "2012.07791"


def current_id(app: DigestApp) -> str | None:
    paper = app._current_paper
    return paper.id if paper is not None else None


def shown(app: DigestApp) -> int:
    return len(app.paper_list.pids)


def index(app: DigestApp) -> int:
    return app.paper_list.cursor


# ---------------------------------------------------------------- start


async def test_starts_on_newest_day_with_counts(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert shown(app) == 301
        assert app.paper_list.current_date == NEWEST
        assert current_id(app) == FIRST_ID
        info = app.query_one("#header").info  # type: ignore[attr-defined]
        assert (info.view, info.shown, info.unread, info.starred) == ("All", 301, 301, 0)
        assert info.date == NEWEST and info.category == "cs.CV"
        assert app.focused is app.paper_list


async def test_cursor_starts_on_first_unread_of_newest_day(
    make_app: AppFactory, paths: Paths
) -> None:
    with StateStore(paths.data_dir) as state:
        state.set_read_many([FIRST_ID, SECOND_ID])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert index(app) == 2
        assert app.query_one("#header").info.unread == 299  # type: ignore[attr-defined]


async def test_first_open_scans_and_shows_papers(make_app: AppFactory) -> None:
    app = make_app(prescan=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert shown(app) == 301
        assert current_id(app) == FIRST_ID


# ---------------------------------------------------------------- moving


async def test_move_keys(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "down")
        assert index(app) == 3
        await pilot.press("k", "up")
        assert index(app) == 1
        await pilot.press("G")
        assert index(app) == 300
        await pilot.press("g")
        assert index(app) == 0
        await pilot.press("end")
        assert index(app) == 300
        await pilot.press("home")
        assert index(app) == 0
        await pilot.press("pagedown")
        page = index(app)
        assert page > 10
        await pilot.press("pageup")
        assert index(app) == 0
        await pilot.press("ctrl+d")
        half = index(app)
        assert 0 < half < page
        await pilot.press("ctrl+u")
        assert index(app) == 0
        await pilot.press("k")  # stays at the top
        assert index(app) == 0
        await pilot.pause()
        assert current_id(app) == FIRST_ID


async def test_next_and_previous_day(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dates = []
        for _ in range(5):
            dates.append(app.paper_list.current_date)
            await pilot.press("right_square_bracket")
        assert dates == ["2020-12-15", "2020-11-22", "2020-07-22", "2020-05-22", "2020-05-13"]
        await pilot.press("j", "j")
        await pilot.press("left_square_bracket")  # to the start of this day
        assert app.paper_list.current_date == "2020-05-13"
        start = index(app)
        await pilot.press("left_square_bracket")  # to the previous day
        assert app.paper_list.current_date == "2020-05-22"
        assert index(app) < start


async def test_next_and_previous_unread(make_app: AppFactory, paths: Paths) -> None:
    with StateStore(paths.data_dir) as state:
        state.set_read_many([SECOND_ID, "2012.07773"])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert index(app) == 0
        await pilot.press("n")
        assert index(app) == 3  # skips the two read papers
        await pilot.press("N")
        assert index(app) == 0
        await pilot.press("N")  # nothing further up: stays, says so
        assert index(app) == 0


async def test_click_selects_a_row(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # line 0 is the day separator, line 1 the first paper
        await pilot.click("#paper-list", offset=(10, 4))
        await pilot.pause()
        assert index(app) == 3


# ---------------------------------------------------------------- marks


async def test_star_and_read_are_saved_at_once(make_app: AppFactory, paths: Paths) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.press("r")
        # Saved before the key returns: another connection sees it now.
        with StateStore(paths.data_dir) as other:
            mark = other.get(FIRST_ID)
            assert mark.starred and mark.read
        info = app.query_one("#header").info  # type: ignore[attr-defined]
        assert (info.unread, info.starred) == (300, 1)
        assert app.marks.is_starred(FIRST_ID) and app.marks.is_read(FIRST_ID)
        await pilot.press("s", "r")
        with StateStore(paths.data_dir) as other:
            mark = other.get(FIRST_ID)
            assert not mark.starred and not mark.read


async def test_mark_all_read_asks_and_undo(make_app: AppFactory, paths: Paths) -> None:
    with StateStore(paths.data_dir) as state:
        state.set_read("2020.99999")  # unrelated; must stay as it is
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.filter_bar.set_text("date:2020-11-22")
        await settle(pilot)
        in_view = shown(app)
        assert 0 < in_view < 301

        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # no: nothing changes
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.query_one("#header").info.unread == in_view  # type: ignore[attr-defined]

        await pilot.press("A")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert app.query_one("#header").info.unread == 0  # type: ignore[attr-defined]
        with StateStore(paths.data_dir) as other:
            assert len(other.ids_where(read=True)) == in_view + 1

        await pilot.press("u")
        await settle(pilot)
        assert app.query_one("#header").info.unread == in_view  # type: ignore[attr-defined]
        with StateStore(paths.data_dir) as other:
            assert other.ids_where(read=True) == {"2020.99999"}
        await pilot.press("u")  # nothing more to undo
        await settle(pilot)
        with StateStore(paths.data_dir) as other:
            assert other.ids_where(read=True) == {"2020.99999"}


async def test_mark_read_delay_zero_marks_at_once(make_app: AppFactory) -> None:
    app = make_app(config=Config(mark_read_delay=0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.marks.is_read(FIRST_ID)
        await pilot.press("j")
        assert app.marks.is_read(SECOND_ID)


async def test_mark_read_delay_waits_on_the_paper(make_app: AppFactory) -> None:
    app = make_app(config=Config(mark_read_delay=3600.0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app._read_timer_id == FIRST_ID
        await pilot.press("j")  # leave the first paper before its time
        assert app._read_timer_id == SECOND_ID  # the first paper's timer is gone
        timer = app._read_timer
        assert timer is not None
        timer.stop()
        app._auto_read(SECOND_ID)  # the delay is over (the clock driven by hand)
        assert app.marks.is_read(SECOND_ID)
        assert not app.marks.is_read(FIRST_ID)


async def test_mark_read_delay_fires_by_itself(make_app: AppFactory) -> None:
    app = make_app(config=Config(mark_read_delay=0.2))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: app.marks.is_read(FIRST_ID), "auto-read")


async def test_negative_delay_marks_only_by_key(make_app: AppFactory) -> None:
    app = make_app(config=Config(mark_read_delay=-1))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause(0.3)
        assert not app.marks.read
        await pilot.press("r")
        assert app.marks.is_read(FIRST_ID)


async def test_r_cancels_a_pending_auto_read(make_app: AppFactory) -> None:
    # A delay no loaded machine reaches before the keys: the timer is pending.
    app = make_app(config=Config(mark_read_delay=600.0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: not app._scanning and current_id(app) == FIRST_ID)
        await pilot.press("r", "r")  # read, then unread again: the user decided
        assert app._read_timer is None  # nothing left to mark it read
        await settle(pilot)  # the first scan's new list shows the same paper
        assert app._read_timer is None
        assert not app.marks.is_read(FIRST_ID)


# ---------------------------------------------------------------- views and filter


async def test_views(make_app: AppFactory, paths: Paths) -> None:
    with StateStore(paths.data_dir) as state:
        state.set_read_many([FIRST_ID, SECOND_ID])
        state.set_starred(SECOND_ID)
        state.set_starred("2012.07773")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        header = app.query_one("#header")
        await pilot.press("U")
        await settle(pilot)
        assert shown(app) == 299
        assert header.info.view == "Unread"  # type: ignore[attr-defined]
        await pilot.press("S")
        await settle(pilot)
        assert shown(app) == 2
        assert header.info.view == "Starred"  # type: ignore[attr-defined]
        assert header.info.starred == 2  # type: ignore[attr-defined]
        await pilot.press("a")
        await settle(pilot)
        assert shown(app) == 301
        assert header.info.view == "All"  # type: ignore[attr-defined]


async def test_filter_as_you_type(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert app.focused is app.filter_bar.input
        sizes = []
        for char in "fusion":
            await pilot.press(char)
            await settle(pilot)
            sizes.append(shown(app))
        assert sizes[-1] < 301
        assert sizes[-1] > 0
        assert app.query_one("#header").info.filter_text == "fusion"  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        assert shown(app) == 301
        assert app.focused is app.paper_list


async def test_bad_query_is_shown_inline(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        bar = app.query_one(FilterBar)
        bar.set_text("fusion")
        await settle(pilot)
        fusion = shown(app)
        assert 0 < fusion < 301
        await pilot.press("space", "x")
        await settle(pilot)
        last_good = shown(app)
        await pilot.press(":")
        await settle(pilot)
        assert bar.has_class("-error")
        error = str(bar.query_one("#filter-error").render())
        assert "unknown filter x:" in error
        assert shown(app) == last_good  # the last good query still shows
        await pilot.press("backspace", "backspace")
        await settle(pilot)
        assert not bar.has_class("-error")
        assert shown(app) == fusion


async def test_filter_keeps_the_cursor_on_its_paper(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("G")  # a paper of the oldest digest
        paper_id = current_id(app)
        await pilot.press("slash", *"date:2020-05")
        await settle(pilot)
        assert current_id(app) == paper_id
        assert index(app) == shown(app) - 1
        await pilot.press("escape")
        await settle(pilot)
        assert current_id(app) == paper_id
        assert index(app) == 300


async def test_filter_with_no_match(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"zzzyzzy", "enter")
        await settle(pilot)
        assert shown(app) == 0
        assert app._current_paper is None
        assert "No papers match" in app.paper_list.empty_message


# ---------------------------------------------------------------- opening and copying


async def test_o_and_O_open_with_the_opener(make_app: AppFactory, opener: Recorder) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        assert opener.urls == [
            "https://arxiv.org/pdf/2012.07810.pdf",
            "https://arxiv.org/abs/2012.07810",
        ]


async def test_y_copies_the_pdf_link(make_app: AppFactory, opener: Recorder) -> None:
    app = make_app()
    copied: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
        await pilot.press("y")
        await settle(pilot)
    assert copied == ["https://arxiv.org/pdf/2012.07810.pdf"]
    assert opener.urls == []


@pytest.mark.parametrize("var", ["SSH_CONNECTION", "SSH_TTY"])
async def test_over_ssh_links_are_copied_and_nothing_starts(
    make_app: AppFactory, opener: Recorder, monkeypatch: pytest.MonkeyPatch, var: str
) -> None:
    monkeypatch.setenv(var, "10.0.0.1 5555 10.0.0.2 22")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    started: list[object] = []

    def no_process(*args: object, **kwargs: object) -> None:
        started.append(args)
        raise AssertionError("a process was started over SSH")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    monkeypatch.setattr("webbrowser.open", no_process)
    # The real opener (a configured command) must not run either.
    app = make_app(opener=None, config=Config(mark_read_delay=-1, opener="zathura {url}"))
    copied: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        notes = [n.message for n in app._notifications]
    assert copied == [
        "https://arxiv.org/pdf/2012.07810.pdf",
        "https://arxiv.org/abs/2012.07810",
    ]
    assert started == []
    assert opener.urls == []
    assert any('link="https://arxiv.org/pdf/2012.07810.pdf"' in n for n in notes)


async def test_open_error_is_a_notification(make_app: AppFactory) -> None:
    from digest_tui.opening import OpenError

    def failing(url: str) -> None:
        raise OpenError("cannot run 'nope': No such file or directory")

    app = make_app(opener=failing)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        notes = [n for n in app._notifications]
        assert any(n.severity == "error" and "nope" in n.message for n in notes)


# ---------------------------------------------------------------- help, palette, keys


async def test_help_lists_every_binding(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-body").render())
        for binding_id in app.all_binding_ids():
            if binding_id.startswith(("help.", "confirm.", "first_run.")):
                continue
            assert f"({binding_id})" in text, binding_id
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_keys_can_be_remapped(make_app: AppFactory, paths: Paths) -> None:
    config = Config(mark_read_delay=-1, keys={"star": "f", "list.down": "J", "nope": "x"})
    app = make_app(config=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        notes = [n.message for n in app._notifications]
        assert any("'nope'" in n for n in notes)
        await pilot.press("f")
        assert app.marks.is_starred(FIRST_ID)
        await pilot.press("s")  # the old key does nothing now
        assert app.marks.is_starred(FIRST_ID)
        await pilot.press("J")
        assert index(app) == 1
        await pilot.press("question_mark")
        await pilot.pause()
        text = str(app.screen.query_one("#help-body").render())
        assert "f                 Star" in text


async def test_command_palette_runs_actions(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Star")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.marks.is_starred(FIRST_ID)


async def test_command_palette_lists_every_action(make_app: AppFactory) -> None:
    app = make_app()
    actions = {row.binding_id for row, _ in app.palette_actions()}
    ids = {b for b in app.all_binding_ids() if not b.startswith(("help.", "confirm.", "first_"))}
    assert ids - actions == {"command_palette"}


async def test_jump_to_paper(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.filter_bar.set_text("date:2020-12")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Instance-aware")
        await pilot.pause(0.5)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert current_id(app) == "2005.10825"
        assert shown(app) == 301  # the filter was cleared to show it


# ---------------------------------------------------------------- rescan, themes, quit


async def test_ctrl_r_rescans_and_reloads_state(
    make_app: AppFactory, seeds_dir: Path, paths: Paths
) -> None:
    from tests.tui.support import write_markup_digest

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        write_markup_digest(seeds_dir / "new")
        with StateStore(paths.data_dir) as other:
            other.set_starred(SECOND_ID)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert shown(app) == 302
        assert app.marks.is_starred(SECOND_ID)
        notes = [n.message for n in app._notifications]
        assert any("1 new paper" in n for n in notes)
        assert current_id(app) == FIRST_ID  # the cursor stayed


async def test_a_rescan_that_renumbers_papers_keeps_the_cursor_on_its_paper(
    make_app: AppFactory, seeds_dir: Path
) -> None:
    """The reproduction of the identity issue: j j j, a new entry at the top of
    the newest digest, ctrl+r: the cursor stays on 2012.07719 and nothing the
    user did not look at is marked read."""
    from tests.test_session import FOURTH_ID, insert_at_top

    app = make_app(config=Config(mark_read_delay=3600.0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "j")
        assert current_id(app) == FOURTH_ID
        insert_at_top(seeds_dir)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert shown(app) == 302
        assert current_id(app) == FOURTH_ID
        assert app.paper_list.cursor == 4  # the new paper is above it
        detail = app._current_paper
        assert detail is not None and detail.id == FOURTH_ID
        assert app._read_timer_id == FOURTH_ID  # the timer is the viewed paper's
        assert not app.marks.read


async def test_state_changed_elsewhere_is_picked_up(make_app: AppFactory, paths: Paths) -> None:
    app = make_app(state_poll_interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        with StateStore(paths.data_dir) as other:
            other.set_starred(FIRST_ID)
        await pilot.pause(0.4)
        assert app.marks.is_starred(FIRST_ID)


async def test_theme_from_config_and_saved(make_app: AppFactory, paths: Paths) -> None:
    app = make_app(config=Config(mark_read_delay=-1, theme="nord"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "nord"
        assert not paths.config_file.exists()  # nothing changed, nothing written
        app.theme = "gruvbox"
        await pilot.pause()
        await settle(pilot)
    assert 'theme = "gruvbox"' in paths.config_file.read_text()


async def test_unknown_theme_is_a_warning(make_app: AppFactory) -> None:
    app = make_app(config=Config(mark_read_delay=-1, theme="no-such-theme"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("no-such-theme" in n.message for n in app._notifications)


async def test_first_run_screen(make_app: AppFactory, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a digest\n")
    app = make_app(roots=[empty])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, FirstRunScreen)
        text = str(app.screen.query_one("#first-run-body").render())
        assert "config.toml" in text and "paths = " in text
        # Digests arrive; ctrl+r finds them.
        from tests.tui.support import write_markup_digest

        write_markup_digest(empty)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert not isinstance(app.screen, FirstRunScreen)
        assert shown(app) == 1


async def test_q_quits(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value == 0


async def test_narrow_terminal_stacks_the_panes(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.has_class("-narrow")
        lst = app.paper_list.region
        detail = app.query_one("#detail-scroll").region
        assert detail.y >= lst.bottom
        assert lst.width == 80
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lst = app.paper_list.region
        detail = app.query_one("#detail-scroll").region
        assert detail.x >= lst.right and detail.y == lst.y


async def test_no_color_keeps_marks_distinguishable(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.no_color
        await pilot.press("s", "r")
        strip = app.paper_list.render_line(1)
        text = "".join(seg.text for seg in strip)
        assert text.startswith(" ★")  # read: no dot; starred: a star
        unread = "".join(seg.text for seg in app.paper_list.render_line(2))
        assert unread.startswith("● ")
        assert any(seg.style and seg.style.bold for seg in app.paper_list.render_line(2))


async def test_markup_in_digests_renders_literally(make_app: AppFactory, tmp_path: Path) -> None:
    from tests.tui.support import write_markup_digest

    folder = tmp_path / "markup"
    write_markup_digest(folder)
    app = make_app(roots=[folder])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        console = Console(width=100, record=True, file=io.StringIO(), color_system=None)
        segments = list(console.render(app.detail.render()))
        plain = "".join(seg.text for seg in segments)
        assert "[b]Bold[/b] claims [/] and [link=https://x]a link[/link]" in plain
        assert "Abstract with [b]markup[/b], [/] and [link=https://x]click[/link]" in plain
        assert "[i]Mallory[/i]" in plain
        assert "[@click=app.quit]quit[/]" in plain
        assert "\x1b" not in plain
        links = {seg.style.link for seg in segments if seg.style and seg.style.link}
        assert links
        # A URL written in the abstract is a link to itself; any other link is arXiv's.
        hidden = {
            seg.style.link
            for seg in segments
            if seg.style and seg.style.link and seg.text.strip() != seg.style.link
        }
        assert hidden <= {
            "http://arxiv.org/pdf/2101.00001v1",
            "http://arxiv.org/abs/2101.00001v1",
            "https://arxiv.org/abs/2101.00001v1",
            "https://arxiv.org/pdf/2101.00001v1",
        }
        row = "".join(seg.text for seg in app.paper_list.render_line(0))
        assert "[b]Bold[/b]" in row
        # The jump-to-paper palette shows titles as plain text too.
        rows = app.find_papers("Bold claims", 5)
        assert rows and rows[0].title.startswith("[b]Bold[/b]")
        await pilot.press("ctrl+p")
        await pilot.press(*"Bold claims")
        await pilot.pause(0.5)
        await settle(pilot)
        assert app.is_running  # the [@click=app.quit] comment did not quit


def test_run_reader_reports_a_damaged_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seeds_dir: Path
) -> None:
    from digest_tui.tui.app import run_reader

    data = tmp_path / "data"
    data.mkdir()
    (data / "state.sqlite3").write_bytes(b"this is not a database" * 100)
    paths = Paths(tmp_path / "config", data, tmp_path / "cache")
    code = run_reader(roots=[seeds_dir], paths=paths, config=Config())
    assert code == 3
    err = capsys.readouterr().err
    assert err.startswith("digest-tui: ") and err.count("\n") == 1


async def test_fast_keys_act_on_the_paper_under_the_cursor(make_app: AppFactory) -> None:
    """A key handled before the list's Highlighted message still acts on the new paper."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.paper_list.action_cursor_down()  # no pause: the message is still queued
        app.action_toggle_read()
        app.action_star()
        assert app.marks.is_read(SECOND_ID) and app.marks.is_starred(SECOND_ID)
        assert not app.marks.is_read(FIRST_ID) and not app.marks.is_starred(FIRST_ID)
        await pilot.pause()
        assert current_id(app) == SECOND_ID


async def test_a_keystroke_shows_the_first_screen_before_the_whole_list(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each keystroke paints the first rows at once; the whole list (and the
    counts) follow when typing pauses.  Mark-all on such a view reads it whole."""
    from digest_tui.tui import app as app_module

    monkeypatch.setattr(app_module, "FIRST_PAGE", 10)
    monkeypatch.setattr(app_module, "TYPING_PAUSE", 2.0)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "s", "e", "g", "m")
        expected = len(app.library.search("segm"))
        assert expected > 10

        def info() -> Any:
            return app.query_one("#header").info  # type: ignore[attr-defined]

        # The first screen lands long before the pause ends (two seconds).
        await wait_for(
            pilot, lambda: info().filter_text == "segm" and info().partial, "the first screen"
        )
        assert info().shown == 10 == shown(app)
        await wait_for(pilot, lambda: not info().partial, "the whole list after the pause")
        assert info().shown == expected == shown(app)

        # A view still showing its first screen: mark-all reads the whole view.
        app._apply_result(app._search_gen, app.library.search("segm", limit=10), False, True)
        app.paper_list.focus()  # back to the list, filter kept
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await wait_for(
            pilot, lambda: app.library.count_matching("segm is:unread") == 0, "the view read"
        )
        assert app.library.count_matching("is:read") == expected


async def test_n_pressed_before_the_unread_papers_are_known_moves_once_they_are(
    make_app: AppFactory, paths: Paths
) -> None:
    with StateStore(paths.data_dir) as state:
        state.set_read("2012.07810", True)  # the first paper of the newest day
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.paper_list.move_to(0)
        await settle(pilot)
        app.session.apply_result(app.session.result)  # type: ignore[arg-type]
        assert not app.session.unread_known()  # as right after a new list
        await pilot.press("n")
        await wait_for(pilot, lambda: app.paper_list.cursor == 1, "the move after the answer")
        assert app.session.unread_known()
        await pilot.press("N")
        await settle(pilot)
        assert app.paper_list.cursor == 1  # the paper above is read: nothing further up


async def test_the_width_class_is_set_before_the_first_layout(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Set at the first resize, after the first layout, it restyled every
    widget and laid the screen out again during the launch."""
    from textual.screen import Screen

    seen: list[set[str]] = []
    real = Screen._refresh_layout

    def recording(self: Screen[object], *args: object, **kwargs: object) -> None:
        if not seen and self.children:
            seen.append(set(self.classes))
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Screen, "_refresh_layout", recording)
    for size, wanted, other in (((120, 36), "-wide", "-narrow"), ((80, 24), "-narrow", "-wide")):
        seen.clear()
        app = make_app()
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            assert wanted in seen[0] and other not in seen[0], seen
            assert wanted in app.screen.classes


async def test_read_marks_read_after_the_first_paint_show_the_same_reader(
    make_app: AppFactory, paths: Paths
) -> None:
    """The command reads the read marks after the first paint (a million
    take a second): the cursor, the list's marks and a toggle are the same."""
    second = SECOND_ID
    with StateStore(paths.data_dir) as state:
        state.set_read_many([FIRST_ID, second], True)
    app = make_app()
    app.read_marks_later = True
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: app.session.marks_complete, "every mark read")
        assert index(app) == 2
        assert app.marks.is_read(FIRST_ID) and app.marks.is_read(second)
        info = app.query_one("#header").info  # type: ignore[attr-defined]
        assert info.unread == 299
        await pilot.press("k", "k", "r")  # back to the first paper: unread again
        assert not app.marks.is_read(FIRST_ID)
        with StateStore(paths.data_dir) as other:
            assert not other.get(FIRST_ID).read


async def test_closing_releases_workers_waiting_for_a_paint(make_app: AppFactory) -> None:
    """A worker that waits for the next paint before reading the whole list
    goes on when the reader closes (it then finds it closing), instead of
    waiting for a paint that never comes and then reading the list."""
    import threading

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        waiting = threading.Event()
        app._paint_waits.add(waiting)
        app._release_workers()
        assert waiting.is_set()
        assert app._reader_closing
        asked: list[object] = []
        app._from_thread = lambda *a, **k: asked.append(a)  # type: ignore[method-assign]
        app._wait_for_paint(timeout=0)  # closing: it asks the screen for nothing
        assert asked == [] and app._paint_waits == {waiting}
        del app._from_thread
        await pilot.press("q")


async def test_the_filter_input_comes_after_the_first_screen(make_app: AppFactory) -> None:
    """The first screen has a stand-in for the filter's Input (the same
    line); the Input is mounted just after it, with any text set before."""
    app = make_app()
    seen: list[bool] = []
    first_paint = app._first_paint

    def at_first_paint() -> None:
        seen.append(bool(app.query("#filter-input")))
        app.filter_bar.set_text("")  # an empty text does not mount it early
        first_paint()

    app._first_paint = at_first_paint  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert seen == [False]
        assert app.query_one("#filter-input") is app.filter_bar.input
        assert not app.query("#filter-placeholder")


async def test_keys_typed_before_the_filter_is_mounted_reach_it(make_app: AppFactory) -> None:
    """``/`` before the Input exists mounts it first: the query typed in
    the same burst lands in the filter, none of it on the list."""
    app = make_app()
    first_paint = app._first_paint

    def without_the_input() -> None:  # the first paint, the Input left unmounted
        bar = app.filter_bar
        bar.mount_input = lambda: None  # type: ignore[method-assign]
        try:
            first_paint()
        finally:
            del bar.mount_input

    app._first_paint = without_the_input  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not app.query("#filter-input")
        await pilot.press("slash", "j", "o", "k", "e")
        await settle(pilot)
        assert app.filter_bar.text == "joke"
        assert app.filter_text == "joke"
        assert app.focused is app.filter_bar.input
