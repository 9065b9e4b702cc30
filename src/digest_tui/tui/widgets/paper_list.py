"""The paper list: a Line API scroll view over a search result.

Nothing is created per paper: the list holds the result's ``pids`` array and
``dates`` list, the line numbers of the day separators (one per digest day),
and an LRU cache of row pages fetched on demand for the lines on screen.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from digest_tui.highlight import Highlights
from digest_tui.library import Row
from digest_tui.session import Marks
from digest_tui.text import one_line
from digest_tui.tui.widgets.styling import ComponentStyles

PAGE_SIZE = 200
MAX_PAGES = 64

RowFetcher = Callable[[Sequence[int]], dict[int, Row]]

UNREAD_MARK = "●"
STAR_MARK = "★"
WATCH_MARK = "◆"
NOTE_MARK = "✎"
NEW_VERSION_MARK = "↻"  # a starred paper listed in a newer version
MAX_TAG_CELLS = 24  # the most of a row the tag chips take


def author_label(row: Row) -> str:
    if not row.first_author:
        return ""
    name = one_line(row.first_author)
    return f"{name} et al." if row.n_authors > 1 else name


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with an ellipsis, padded to ``width``."""
    if width <= 0:
        return ""
    cells = cell_len(text)
    if cells <= width:
        return text + " " * (width - cells)
    # What ``Text.truncate(overflow="ellipsis")`` does, without making a Text
    # for every title on screen.
    return set_cell_size(text, width - 1) + "…"


class PaperList(ScrollView, can_focus=True):
    """The list of papers of the current view, with day separators."""

    DEFAULT_CSS = """
    PaperList {
        background: $surface;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    PaperList > .paper-list--cursor {
        background: $block-cursor-blurred-background;
    }
    PaperList:focus > .paper-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    PaperList > .paper-list--unread {
        color: $text;
        text-style: bold;
    }
    PaperList > .paper-list--read {
        color: $text-muted;
    }
    PaperList > .paper-list--marker {
        color: $text-accent;
        text-style: bold;
    }
    PaperList > .paper-list--star {
        color: $text-warning;
        text-style: bold;
    }
    PaperList > .paper-list--meta {
        color: $text-muted;
    }
    PaperList > .paper-list--watched {
        color: $text-success;
        text-style: bold;
    }
    PaperList > .paper-list--tag {
        color: $text-secondary;
    }
    PaperList > .paper-list--separator {
        background: $panel;
        color: $text-accent;
        text-style: bold;
    }
    PaperList > .paper-list--match {
        background: $accent-muted;
        text-style: bold;
    }
    PaperList > .paper-list--empty {
        color: $text-muted;
        text-style: italic;
    }
    """

    COMPONENT_CLASSES = {
        "paper-list--cursor",
        "paper-list--unread",
        "paper-list--read",
        "paper-list--marker",
        "paper-list--star",
        "paper-list--meta",
        "paper-list--watched",
        "paper-list--tag",
        "paper-list--separator",
        "paper-list--empty",
        "paper-list--match",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Next paper", id="list.down", show=False),
        Binding("k,up", "cursor_up", "Previous paper", id="list.up", show=False),
        Binding("g,home", "first", "First paper", id="list.first", show=False),
        Binding("G,end", "last", "Last paper", id="list.last", show=False),
        Binding("pagedown", "page_down", "Page down", id="list.page_down", show=False),
        Binding("pageup", "page_up", "Page up", id="list.page_up", show=False),
        Binding("ctrl+d", "half_page_down", "Half a page down", id="list.half_down", show=False),
        Binding("ctrl+u", "half_page_up", "Half a page up", id="list.half_up", show=False),
        Binding("enter", "open_detail", "Read abstract", id="list.detail", show=False),
    ]

    class Highlighted(Message):
        """The cursor is on another paper (``pid`` None: the list is empty)."""

        def __init__(
            self, paper_list: PaperList, pid: int | None, index: int, *, by_user: bool = True
        ) -> None:
            super().__init__()
            self.paper_list = paper_list
            self.pid = pid
            self.index = index
            self.by_user = by_user
            """False when the list itself moved the cursor (a new result)."""

        @property
        def control(self) -> PaperList:
            return self.paper_list

    class TypeAhead(Message):
        """Text typed right after the filter key, before focus reached the filter."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Selected(Message):
        """Enter on a paper: the user wants to read it."""

        def __init__(self, paper_list: PaperList, pid: int) -> None:
            super().__init__()
            self.paper_list = paper_list
            self.pid = pid

        @property
        def control(self) -> PaperList:
            return self.paper_list

    def __init__(
        self,
        fetch_rows: RowFetcher,
        marks: Marks,
        *,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's name
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._fetch_rows = fetch_rows
        self.marks = marks
        self.pids: array[int] = array("q")
        self._date_at: Callable[[int], str] = lambda _index: ""
        #: Unread papers of the day of a row (None: not counted yet).
        self.day_unread: Callable[[int], int | None] = lambda _index: None
        self._boundaries: list[int] = []
        self._separator_lines: list[int] = []
        self._show_separators = False
        self._pages: LRUCache[int, list[Row | None]] = LRUCache(MAX_PAGES)
        self.cursor = -1
        self.empty_message = ""
        # Keys that open the filter (set by the app from its keymap).  Textual
        # hands every key of one terminal read to the focused widget before the
        # filter binding has moved focus, so the list passes on what follows
        # such a key as text for the filter instead of acting on it.
        self.filter_keys: frozenset[str] = frozenset({"slash"})
        self._type_ahead = False
        self._styles = ComponentStyles(self)
        #: The filter's words, marked in the titles.
        self.highlights = Highlights()

    def notify_style_update(self) -> None:
        self._styles.clear()
        super().notify_style_update()

    # ------------------------------------------------------------------ keys

    def on_key(self, event: events.Key) -> None:
        if event.key in self.filter_keys:
            self._type_ahead = True  # the app's binding moves focus to the filter
            return
        if self._type_ahead:
            if event.is_printable and event.character:
                event.stop()
                event.prevent_default()
                self.post_message(self.TypeAhead(event.character))
                return
            self._type_ahead = False

    def on_blur(self, _event: events.Blur) -> None:
        self._type_ahead = False

    # ------------------------------------------------------------------ data

    def set_result(
        self,
        pids: array[int],
        day_starts: list[int],
        date_at: Callable[[int], str],
        index: int,
        *,
        reveal: bool = False,
    ) -> None:
        """Show a new list: ``pids`` in display order, the indices where each
        digest day starts, the date of a row, and the row for the cursor
        (chosen by the reading session); ``reveal``: show the cursor's row
        where the eye starts (see :meth:`reveal_cursor`)."""
        self.pids = pids
        self._date_at = date_at
        self._boundaries = day_starts
        self._show_separators = len(self._boundaries) > 1
        if self._show_separators:
            self._separator_lines = [b + k for k, b in enumerate(self._boundaries)]
        else:
            self._separator_lines = []
        self._pages.clear()
        self.virtual_size = Size(0, self.line_count)
        self.cursor = -1
        self.refresh()
        self.move_to(index, force=True, by_user=False, reveal=reveal)

    def set_highlights(self, highlights: Highlights) -> None:
        if highlights != self.highlights:
            self.highlights = highlights
            self.refresh()

    def forget_rows(self) -> None:
        """Drop cached rows (titles may have changed after a rescan)."""
        self._pages.clear()
        self.refresh()

    @property
    def line_count(self) -> int:
        return len(self.pids) + len(self._separator_lines)

    @property
    def current_pid(self) -> int | None:
        if 0 <= self.cursor < len(self.pids):
            return int(self.pids[self.cursor])
        return None

    @property
    def current_date(self) -> str | None:
        if 0 <= self.cursor < len(self.pids):
            return self._date_at(self.cursor)
        return None

    def row_at(self, index: int) -> Row | None:
        """The row of list index ``index``, fetched with its page if needed."""
        if not 0 <= index < len(self.pids):
            return None
        page_no = index // PAGE_SIZE
        page = self._pages.get(page_no)
        if page is None:
            start = page_no * PAGE_SIZE
            chunk = self.pids[start : start + PAGE_SIZE]
            found = self._fetch_rows(chunk)
            page = [found.get(pid) for pid in chunk]
            self._pages[page_no] = page
        return page[index % PAGE_SIZE]

    def line_of(self, index: int) -> int:
        """The line a row is drawn on (rows and separators share the lines)."""
        if not self._show_separators:
            return index
        return index + bisect_right(self._boundaries, index)

    def _at_line(self, y: int) -> tuple[str, int]:
        """``("row", index)``, ``("separator", first row of the day)`` or ``("none", -1)``."""
        if y < 0 or y >= self.line_count:
            return "none", -1
        if not self._show_separators:
            return "row", y
        k = bisect_right(self._separator_lines, y)
        if k and self._separator_lines[k - 1] == y:
            return "separator", self._boundaries[k - 1]
        return "row", y - k

    def indices_of_day(self, index: int) -> tuple[int, int]:
        """The ``[start, end)`` range of rows of the day of row ``index``."""
        if not self._boundaries:
            return 0, 0
        k = bisect_right(self._boundaries, index) - 1
        start = self._boundaries[max(k, 0)]
        end = self._boundaries[k + 1] if k + 1 < len(self._boundaries) else len(self.pids)
        return start, end

    def refresh_id(self, paper_id: str) -> None:
        """Redraw the row of paper ``paper_id`` if it is on screen (its marks changed)."""
        top = int(self.scroll_offset.y)
        height = self.scrollable_content_region.height
        for y in range(top, top + height):
            kind, index = self._at_line(y)
            if kind == "row":
                row = self.row_at(index)
                if row is not None and row.id == paper_id:
                    self.refresh_line(y)

    # ------------------------------------------------------------------ cursor

    def move_to(
        self,
        index: int,
        *,
        force: bool = False,
        by_user: bool = True,
        to_top: bool = False,
        reveal: bool = False,
    ) -> None:
        count = len(self.pids)
        if count == 0:
            index = -1
        else:
            index = max(0, min(index, count - 1))
        old = self.cursor
        if index == old and not force:
            return
        self.cursor = index
        if old >= 0:
            self.refresh_line(self.line_of(old))
        if index >= 0:
            line = self.line_of(index)
            self.refresh_line(line)
            top = line
            if (
                self._show_separators
                and self._boundaries[bisect_right(self._boundaries, index) - 1] == index
            ):
                top = line - 1  # show the day's separator with its first paper
            self.scroll_to_region(
                Region(0, top, 1, line - top + 1),
                animate=False,
                immediate=True,
                force=True,
                top=to_top,
            )
            if reveal:
                self.reveal_cursor()
                # Before the first layout the list has no height yet: again after it.
                self.call_after_refresh(self.reveal_cursor)
        self.post_message(self.Highlighted(self, self.current_pid, index, by_user=by_user))

    def reveal_cursor(self) -> None:
        """Scroll so the eye finds the cursor at the top: its day's separator
        on the first line when both fit on screen, else the cursor a few
        lines down from the top."""
        height = self.scrollable_content_region.height
        if self.cursor < 0 or height <= 0:
            return
        line = self.line_of(self.cursor)
        start, _ = self.indices_of_day(self.cursor)
        top = self.line_of(start) - (1 if self._show_separators else 0)
        if line - top >= height:
            top = line - min(2, height // 3)
        self.scroll_to(y=max(0, top), animate=False, immediate=True, force=True)

    def on_resize(self, _event: events.Resize) -> None:
        """A smaller window keeps the current paper on screen."""
        self.call_after_refresh(self._keep_cursor_visible)

    def _keep_cursor_visible(self) -> None:
        if self.cursor < 0:
            return
        line = self.line_of(self.cursor)
        self.scroll_to_region(Region(0, line, 1, 1), animate=False, immediate=True, force=True)

    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor - 1)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(len(self.pids) - 1)

    def action_page_down(self) -> None:
        self.move_to(self.cursor + self._page_rows())

    def action_page_up(self) -> None:
        self.move_to(self.cursor - self._page_rows())

    def action_half_page_down(self) -> None:
        self.move_to(self.cursor + max(1, self._page_rows() // 2))

    def action_half_page_up(self) -> None:
        self.move_to(self.cursor - max(1, self._page_rows() // 2))

    def action_open_detail(self) -> None:
        pid = self.current_pid
        if pid is not None:
            self.post_message(self.Selected(self, pid))

    # ------------------------------------------------------------------ mouse

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        kind, index = self._at_line(offset.y + int(self.scroll_offset.y))
        if kind == "row":
            self.focus()
            if index == self.cursor and event.chain >= 2:
                self.action_open_detail()
            self.move_to(index)

    # ------------------------------------------------------------------ drawing

    def _style(self, name: str) -> Style:
        return self._styles(name)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if width <= 0:
            return Strip.blank(0)
        line = y + int(self.scroll_offset.y)
        if not len(self.pids):
            if y == 0 and self.empty_message:
                text = " " + one_line(self.empty_message)
                style = base + self._style("paper-list--empty")
                return Strip([Segment(_fit(text, width), style)], width)
            return Strip.blank(width, base)
        kind, index = self._at_line(line)
        if kind == "none":
            return Strip.blank(width, base)
        if kind == "separator":
            date = self._date_at(index)
            start, end = self.indices_of_day(index)
            label = f" {date or 'no date'} · {end - start:,} paper{'s' if end - start != 1 else ''}"
            unread = self.day_unread(index)
            if unread is not None:
                label += f" · {unread:,} unread" if unread else " · all read"
            style = base + self._style("paper-list--separator")
            return Strip([Segment(_fit(label, width), style)], width)
        return self._render_row(index, width, base)

    def _render_row(self, index: int, width: int, base: Style) -> Strip:
        row = self.row_at(index)
        row_style = base
        if index == self.cursor:
            row_style = base + self._style("paper-list--cursor")
        if row is None:
            return Strip([Segment(" " * width, row_style)], width)
        marks = self.marks
        read = marks.is_read(row.id)
        starred = marks.is_starred(row.id)
        watched = row.id in marks.watched
        if index == self.cursor:
            # The cursor colours win over the muted colours.
            title_style = row_style + Style(bold=not read)
            meta_style = row_style
            tag_style = row_style
        else:
            title_style = row_style + self._style(
                "paper-list--read" if read else "paper-list--unread"
            )
            if watched:
                title_style += self._style("paper-list--watched")
            meta_style = row_style + self._style("paper-list--meta")
            tag_style = row_style + self._style("paper-list--tag")
        if index == self.cursor:
            marker_style = star_style = watch_style = row_style + Style(bold=True)
            match_style = title_style + Style(bold=True, underline=True)
        else:
            marker_style = row_style + self._style("paper-list--marker")
            star_style = row_style + self._style("paper-list--star")
            watch_style = row_style + self._style("paper-list--watched")
            match_style = title_style + self._style("paper-list--match")

        date_text = row.date or ""
        if width < 72:
            date_text = date_text[5:] if len(date_text) == 10 else date_text
        date_width = cell_len(date_text)
        author_width = 0
        if width >= 56:
            author_width = min(22, max(12, width // 5))
        elif width >= 40:
            author_width = 12
        author = author_label(row) if author_width else ""
        if not author:
            author_width = 0  # the title takes the room (older digests list no authors)
        fixed = 3 + (author_width + 1 if author_width else 0) + (date_width + 2)
        title_width = max(1, width - fixed - 1)
        newer = marks.updated.get(row.id)
        chips = " ".join(
            ([f"{NEW_VERSION_MARK}v{newer[1]}"] if newer is not None else [])
            + ([NOTE_MARK] if row.id in marks.noted else [])
            + ["#" + one_line(tag) for tag in marks.tags_of(row.id)]
        )
        chips_width = 0
        if chips:
            chips_width = min(cell_len(chips), MAX_TAG_CELLS, max(0, title_width // 2 - 1))

        segments = [
            Segment(" " if read else UNREAD_MARK, marker_style),
            Segment(STAR_MARK if starred else " ", star_style),
            Segment(WATCH_MARK, watch_style) if watched else Segment(" ", row_style),
        ]
        if chips_width:
            title = one_line(row.title)
            title_cells = min(cell_len(title), title_width - chips_width - 1)
            segments += self._title_segments(title, title_cells, title_style, match_style)
            segments.append(Segment(" ", row_style))
            segments.append(Segment(_fit(chips, chips_width), tag_style))
            rest = title_width - title_cells - 1 - chips_width
            segments.append(Segment(" " * (rest + 1), row_style))
        else:
            title = one_line(row.title)
            segments += self._title_segments(title, title_width, title_style, match_style)
            segments.append(Segment(" ", row_style))
        if author_width:
            segments.append(Segment(_fit(author, author_width), meta_style))
            segments.append(Segment(" ", row_style))
        segments.append(Segment(" " + date_text + " ", meta_style))
        strip = Strip(segments)
        return strip.adjust_cell_length(width, row_style)

    def _title_segments(
        self, title: str, cells: int, style: Style, match_style: Style
    ) -> list[Segment]:
        """The title fitted to ``cells``, the filter's words in ``match_style``."""
        fitted = _fit(title, cells)
        spans = self.highlights.spans("title", title) if self.highlights else []
        if not spans:
            return [Segment(fitted, style)]
        kept = 0  # the characters of the title left before the ellipsis
        for a, b in zip(fitted, title, strict=False):
            if a != b:
                break
            kept += 1
        segments: list[Segment] = []
        at = 0
        for start, end in spans:
            start, end = min(start, kept), min(end, kept)
            if start >= end:
                continue
            if start > at:
                segments.append(Segment(fitted[at:start], style))
            segments.append(Segment(fitted[start:end], match_style))
            at = end
        if at < len(fitted):
            segments.append(Segment(fitted[at:], style))
        return segments
