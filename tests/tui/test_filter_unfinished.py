"""The live filter: an unfinished last term waits while typing, and is an
error under the filter once the user presses Enter."""

from __future__ import annotations

from digest_tui.tui.bars import FilterBar

from .conftest import AppFactory
from .support import settle
from .test_app import SIZE, shown


async def test_an_unfinished_last_term_waits_while_typing_and_is_an_error_on_enter(
    make_app: AppFactory,
) -> None:
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
