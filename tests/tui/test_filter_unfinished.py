"""The live filter: an unfinished last term waits while typing, and is an
error under the filter once the user presses Enter."""

from __future__ import annotations

import pytest

from digest_tui.tui import app as app_module
from digest_tui.tui.widgets.bars import FilterBar

from .conftest import AppFactory
from .support import settle, wait_for
from .test_app import SIZE, shown


async def test_an_unfinished_last_term_waits_while_typing_and_is_an_error_on_enter(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "UNFINISHED_PAUSE", 600.0)  # the user never pauses here
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"fusion")
        await settle(pilot)
        fusion = shown(app)
        assert 0 < fusion < 301
        bar = app.query_one(FilterBar)
        await pilot.press(*" is:sta")
        await settle(pilot)
        assert not bar.has_class("-error")  # still typing: is:sta waits
        assert shown(app) == fusion
        await pilot.press("enter")
        await settle(pilot)
        assert bar.has_class("-error")
        assert "is:sta is not known" in str(bar.query_one("#filter-error").render())
        assert shown(app) == fusion  # the finished part still applies


async def test_enter_on_a_complete_filter_shows_no_error(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"fusion is:unread", "enter")
        await settle(pilot)
        assert not app.query_one(FilterBar).has_class("-error")
        assert 0 < shown(app) < 301


async def test_an_unfinished_last_term_is_an_error_once_typing_pauses(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "UNFINISHED_PAUSE", 0.05)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"fusion date:2020-99")
        bar = app.query_one(FilterBar)
        await wait_for(pilot, lambda: bar.has_class("-error"), "the error after a pause")
        assert "2020-99" in str(bar.query_one("#filter-error").render())
        await pilot.press("backspace", "backspace", "backspace")  # "date:2020": a whole year
        await wait_for(pilot, lambda: not bar.has_class("-error"), "the error cleared")
