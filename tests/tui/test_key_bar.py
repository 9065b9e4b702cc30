"""The key bar: the screen's shown keys on one line, clickable."""

from __future__ import annotations

from digest_tui.tui.screens import HelpScreen
from digest_tui.tui.widgets.key_bar import KeyBar
from tests.tui.conftest import AppFactory
from tests.tui.support import settle, wait_for

SIZE = (120, 36)
FIRST_ID = "2012.07810"  # the first paper of the newest digest


def bar_text(bar: KeyBar) -> str:
    return bar.render().plain


def column_of(bar: KeyBar, label: str) -> int:
    text = bar_text(bar)
    assert label in text, text
    return text.index(label)


async def test_shows_the_screens_keys_once_per_action(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.query_one(KeyBar)
        text = bar_text(bar)
        for label in ("q Quit", "? Help", "/ Filter", "s Star", "r Read", "o PDF"):
            assert label in text, text
        shown = [binding.action for binding, _enabled in bar.shown()]
        assert len(shown) == len(set(shown))
        # Keys that are not shown (show=False) are left to the help screen;
        # the command palette's key comes last, as in Textual's footer.
        *keys, (palette, _enabled) = bar.shown()
        assert all(binding.show for binding, _enabled in keys)
        assert palette.key == app.COMMAND_PALETTE_BINDING
        assert "j " not in text


async def test_a_click_on_a_key_presses_it(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.query_one(KeyBar)
        assert not app.marks.is_starred(FIRST_ID)
        await pilot.click(KeyBar, offset=(column_of(bar, "s Star") + 1, 0))
        await wait_for(pilot, lambda: app.marks.is_starred(FIRST_ID), "the click starred")
        await pilot.click(KeyBar, offset=(column_of(bar, "? Help") + 1, 0))
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help opened")


async def test_follows_the_focused_widget(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.query_one(KeyBar)
        before = bar_text(bar)
        await pilot.press("slash")  # the filter has keys of its own
        await wait_for(pilot, lambda: bar_text(bar) != before, "the bar followed the focus")
        await pilot.press("escape")
        await wait_for(pilot, lambda: bar_text(bar) == before, "the bar came back")
