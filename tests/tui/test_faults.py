"""The reader under faults: a state store that cannot save, digests that change
or vanish while it is open."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest_tui.state import StateError
from tests.tui.conftest import AppFactory
from tests.tui.support import settle

SIZE = (120, 36)


def shown(app) -> int:  # type: ignore[no-untyped-def]
    return len(app._result) if app._result is not None else 0


def current_id(app) -> str | None:  # type: ignore[no-untyped-def]
    paper = app._current_paper
    return None if paper is None else paper.id


async def test_full_disk_gives_a_message_and_the_reader_still_browses(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    failure = "cannot save: database or disk is full (state.sqlite3)"

    def full(*_args: object, **_kwargs: object) -> None:
        raise StateError(failure)

    monkeypatch.setattr(app.state, "set_starred", full)
    monkeypatch.setattr(app.state, "set_read", full)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = current_id(app)
        await pilot.press("s")
        await settle(pilot)
        assert first is not None and not app.marks.is_starred(first)  # nothing pretended
        assert any(failure in n.message for n in app._notifications)
        await pilot.press("r")
        await settle(pilot)
        assert not app.marks.is_read(first)
        await pilot.press("j")  # still browses
        await settle(pilot)
        assert current_id(app) != first
        assert app.state.get(first).starred is False  # and no partial write


async def test_read_only_state_is_announced_and_browsing_works(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    monkeypatch.setattr(type(app.state), "readonly", property(lambda self: True))
    monkeypatch.setattr(
        type(app.state), "readonly_reason", property(lambda self: "read-only data dir")
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("Marks cannot be saved" in n.message for n in app._notifications)
        assert app.query_one("#header").info.readonly  # type: ignore[attr-defined]
        await pilot.press("j", "j")
        await settle(pilot)
        assert shown(app) == 301


async def test_digests_removed_and_changed_while_open(
    make_app: AppFactory, seeds_dir: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # Move to a paper of the fields-format seed and look at it.
        app.jump_to_id("2011.10904")
        await settle(pilot)
        assert current_id(app) == "2011.10904"
        # A `git pull` removes that digest and rewrites another one.
        (seeds_dir / "004_ce29fc885a87ee68.txt").unlink()
        daily = seeds_dir / "000_3ae2b7cffb64a415.txt"
        lines = daily.read_text(encoding="utf-8").splitlines(keepends=True)
        daily.write_text("".join(lines[:-2]), encoding="utf-8")  # its last entry is gone
        # Before the rescan the reader still works on what it has.
        await pilot.press("k", "j")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert shown(app) == 301 - 27 - 1
        assert app.library.pid_of("2011.10904") is None
        await pilot.press("j", "k", "g", "G")
        await settle(pilot)
        assert current_id(app) is not None
        # A digest that vanishes during the scan itself is no crash either.
        (seeds_dir / "002_906e1fea553eeaa8.txt").unlink()
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert shown(app) == 301 - 27 - 1 - 46
