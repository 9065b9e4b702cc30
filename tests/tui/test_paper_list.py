"""The paper list on its own: line mapping and laziness on 200,000 papers."""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text
from textual.app import App, ComposeResult

from digest_tui.library import Row
from digest_tui.session import Marks
from digest_tui.tui.widgets.paper_list import PAGE_SIZE, PaperList, _fit

N = 200_000
PER_DAY = 137


def _dates(n: int) -> list[str]:
    out = []
    for i in range(n):
        day = 10_000 - i // PER_DAY
        out.append(f"{2000 + day // 372:04d}-{1 + day // 31 % 12:02d}-{1 + day % 31:02d}")
    return out


class FakeLibrary:
    def __init__(self) -> None:
        self.fetched: list[int] = []

    def rows(self, pids: Sequence[int]) -> dict[int, Row]:
        self.fetched.append(len(pids))
        return {
            p: Row(p, f"2001.{p:05d}", f"Paper {p}", "A. Author", 3, "2020-01-01", "cs.CV")
            for p in pids
        }


class ListApp(App[None]):
    def __init__(self, library: FakeLibrary, marks: Marks) -> None:
        super().__init__()
        self.library = library
        self.marks = marks

    def compose(self) -> ComposeResult:
        yield PaperList(self.library.rows, self.marks, id="list")


def day_boundaries(dates: list[str]) -> list[int]:
    """The rows that start a digest day, from a grouped list of dates (the
    reader gets these from SearchResult.day_starts)."""
    return [i for i, d in enumerate(dates) if i == 0 or d != dates[i - 1]]


def test_day_boundaries() -> None:
    assert day_boundaries([]) == []
    assert day_boundaries(["b", "b", "a", "a", "a", ""]) == [0, 2, 5]


async def test_two_hundred_thousand_papers_load_at_once() -> None:
    library = FakeLibrary()
    marks = Marks(read={f"2001.{p:05d}" for p in range(0, N, 2)})
    pids = array("q", range(N))
    dates = _dates(N)
    app = ListApp(library, marks)
    async with app.run_test(size=(100, 30)) as pilot:
        paper_list = app.query_one(PaperList)
        paper_list.set_result(pids, day_boundaries(dates), dates.__getitem__, 150_000)
        await pilot.pause()
        # Only the pages on screen were fetched, never the whole list.
        assert sum(library.fetched) <= 2 * PAGE_SIZE
        assert paper_list.cursor == 150_000
        days = len(day_boundaries(dates))
        assert paper_list.line_count == N + days

        # Every line maps to a row or a separator, and back.
        for index in (0, 1, PER_DAY - 1, PER_DAY, 99_999, N - 1):
            line = paper_list.line_of(index)
            assert paper_list._at_line(line) == ("row", index)
            start, _ = paper_list.indices_of_day(index)
            separator = paper_list.line_of(start) - 1
            assert paper_list._at_line(separator) == ("separator", start)

        await pilot.press("G")
        assert paper_list.cursor == N - 1
        await pilot.press("g")
        assert paper_list.cursor == 0
        await pilot.press("j")
        assert paper_list.cursor == 1
        assert sum(library.fetched) <= 4 * PAGE_SIZE


async def test_rendering_is_plain_text_only() -> None:
    class MarkupLibrary(FakeLibrary):
        def rows(self, pids: Sequence[int]) -> dict[int, Row]:
            return {
                p: Row(
                    p,
                    "2001.00001",
                    "[b]x[/b] [link=https://e]y[/link]\x1b[2J",
                    "[i]A",
                    1,
                    "2020-01-01",
                    None,
                )
                for p in pids
            }

    app = ListApp(MarkupLibrary(), Marks())
    async with app.run_test(size=(100, 10)) as pilot:
        paper_list = app.query_one(PaperList)
        paper_list.set_result(array("q", [1]), [0], lambda _i: "2020-01-01", 0)
        await pilot.pause()
        text = "".join(segment.text for segment in paper_list.render_line(0))
        assert "[b]x[/b] [link=https://e]y[/link]" in text
        assert "[i]A" in text
        assert "\x1b" not in text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab XY-é日本😀\u0301", max_size=30), st.integers(0, 35))
def test_a_title_is_fitted_as_rich_truncates_it(text: str, width: int) -> None:
    """``_fit`` cuts with an ellipsis and pads exactly as ``Text.truncate``
    (which it no longer builds for every row drawn)."""
    expected = ""
    if width > 0:
        out = Text(text, end="", no_wrap=True)
        out.truncate(width, overflow="ellipsis", pad=True)
        expected = out.plain
    assert _fit(text, width) == expected
