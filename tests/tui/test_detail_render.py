"""The detail pane's own layout of labelled fields, and its drawing once a width."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from digest_tui.tui.widgets.detail import LABEL_CELLS, DrawnOnce, Fields, PaperDetail

LABEL = Style(color="grey50")
LINK = Style(color="blue", underline=True, link="https://arxiv.org/abs/2012.07810")

ROWS: list[tuple[str, Text]] = [
    ("Authors", Text("Ada Lovelace, Charles Babbage, " * 4, overflow="fold")),
    ("Affiliations", Text("Analytical Engine Society: London\nSomewhere else", overflow="fold")),
    ("arXiv", Text("2012.07810v2", style=LINK)),
    ("Categories", Text.assemble(("cs.CV", "bold reverse"), " cs.LG eess.IV")),
    ("Comment", Text("x" * 150, overflow="fold")),
    ("Digests", Text("2020-12-15 cs.CV, 2020-12-16 cs.LG")),
]


def _table(rows: list[tuple[str, Text]]) -> Table:
    """The layout Fields replaces: a Rich grid."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style=LABEL, no_wrap=True, min_width=LABEL_CELLS)
    table.add_column(ratio=1)
    for name, value in rows:
        table.add_row(Text(name), value)
    return table


def _cells(renderable: object, width: int) -> list[list[tuple[str, Style]]]:
    """Each line as (character, style) cells, trailing blanks dropped (a
    table pads its cells with the value's own style, Fields leaves them plain)."""
    console = Console(width=width, file=io.StringIO(), color_system="truecolor")
    lines = []
    for line in console.render_lines(renderable, console.options, pad=False):  # type: ignore[arg-type]
        cells = [(ch, seg.style or Style()) for seg in line for ch in seg.text]
        while cells and cells[-1][0] == " ":
            cells.pop()
        lines.append(cells)
    while lines and not lines[-1]:
        lines.pop()
    return lines


@pytest.mark.parametrize("width", [22, 30, 45, 60, 80, 123])
@pytest.mark.parametrize("rows", [ROWS, ROWS[2:4], ROWS[:1]])
def test_fields_are_laid_out_as_the_rich_grid_was(width: int, rows: list) -> None:
    fields = Fields(LABEL)
    for name, value in rows:
        fields.add_row(name, value.copy())
    assert _cells(fields, width) == _cells(_table(rows), width)


def test_a_pane_too_narrow_for_the_values_is_left_to_the_table() -> None:
    fields = Fields(LABEL)
    for name, value in ROWS:
        fields.add_row(name, value.copy())
    assert _cells(fields, 16) == _cells(_table(ROWS), 16)


def test_a_link_field_has_no_underlined_padding() -> None:
    fields = Fields(LABEL)
    fields.add_row("arXiv", Text("2012.07810", style=LINK))
    fields.add_row("Comment", Text("a much longer comment than the identifier"))
    console = Console(width=80, file=io.StringIO(), color_system="truecolor")
    first = console.render_lines(fields, console.options, pad=False)[0]
    underlined = "".join(seg.text for seg in first if seg.style and seg.style.underline)
    assert underlined == "2012.07810"


def test_drawn_once_replays_its_lines_for_the_same_width() -> None:
    calls: list[int] = []

    class Counting:
        def __rich_console__(self, console, options):  # type: ignore[no-untyped-def]
            calls.append(options.max_width)
            yield Text("a few words " * 20)

    drawn = DrawnOnce(Counting())
    first = _cells(drawn, 40)
    assert _cells(drawn, 40) == first == _cells(Counting(), 40)
    assert _cells(drawn, 60) != first
    assert calls == [40, 40, 60]  # the third call is the bare renderable's


async def test_the_detail_is_built_once_for_the_first_screen_and_again_on_a_change(
    make_app,  # type: ignore[no-untyped-def]
) -> None:
    from tests.tui.support import settle

    app = make_app()
    built: list[str | None] = []
    real = PaperDetail.content

    def counting(self: PaperDetail):  # type: ignore[no-untyped-def]
        built.append(self.paper.id if self.paper is not None else None)
        return real(self)

    PaperDetail.content = counting  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            first = app.detail.paper
            assert first is not None
            assert built.count(first.id) == 1
            await pilot.press("s")  # a star is drawn at once
            await settle(pilot)
            assert built.count(first.id) == 2
            assert "★ starred" in _plain(app.detail.render())
            await pilot.press("j")
            await settle(pilot)
            assert app.detail.paper is not None and app.detail.paper.id != first.id
            assert built[-1] == app.detail.paper.id
    finally:
        PaperDetail.content = real  # type: ignore[method-assign]


def _plain(renderable: object) -> str:
    console = Console(width=100, file=io.StringIO(), color_system=None)
    return "".join(seg.text for seg in console.render(renderable))  # type: ignore[arg-type]
