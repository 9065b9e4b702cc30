"""The header line and the filter bar."""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import AwaitMount, Widget
from textual.widgets import Input, Static

from digest_tui.text import one_line
from digest_tui.tui.widgets.styling import ComponentStyles


class HeaderInfo(NamedTuple):
    """What the header line shows."""

    view: str = "All"
    category: str | None = None
    date: str | None = None
    shown: int = 0
    partial: bool = False  # the first screen of a result still being counted
    unread: int | None = None
    starred: int | None = None
    filter_text: str = ""
    sort: str = ""  # how the list is sorted ("by date"), when not in digest order
    activity: str = ""
    readonly: bool = False
    sample: bool = False


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class StatusHeader(Widget):
    """One line: where you are, the view, and the counts that matter."""

    DEFAULT_CSS = """
    StatusHeader {
        height: 1;
        background: $panel;
        color: $foreground;
    }
    StatusHeader > .status-header--app {
        background: $primary;
        color: $text;
        text-style: bold;
    }
    StatusHeader > .status-header--view {
        color: $text-accent;
        text-style: bold;
    }
    StatusHeader > .status-header--muted {
        color: $text-muted;
    }
    StatusHeader > .status-header--warning {
        color: $text-warning;
        text-style: bold;
    }
    """

    COMPONENT_CLASSES = {
        "status-header--app",
        "status-header--view",
        "status-header--muted",
        "status-header--warning",
    }

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.info = HeaderInfo()
        self._styles = ComponentStyles(self)

    def notify_style_update(self) -> None:
        self._styles.clear()
        super().notify_style_update()

    def update_info(self, info: HeaderInfo) -> None:
        if info != self.info:
            self.info = info
            self.refresh()

    def _style(self, name: str) -> Style:
        return self._styles(name)

    def render(self) -> RenderableType:
        """The header, fitted to the width: what does not fit goes in order
        (the category, the starred count, the app's name, "filter:"), and a
        long filter loses its middle, so the filter and the sort always show."""
        width = self.size.width or 10_000
        steps: tuple[frozenset[str], ...] = (
            frozenset(),
            frozenset({"category"}),
            frozenset({"category", "starred"}),
            frozenset({"category", "starred", "app"}),
            frozenset({"category", "starred", "app", "labels"}),
        )
        text = Text()
        for drop in steps:
            text = self._assemble(drop)
            if text.cell_len <= width:
                return text
        # Still too wide: the middle of the filter goes.
        filter_text = one_line(self.info.filter_text)
        if filter_text:
            room = cell_len(filter_text) - (text.cell_len - width)
            text = self._assemble(steps[-1], elide_middle(filter_text, max(room, 9)))
        text.truncate(width, overflow="ellipsis")
        return text

    def _assemble(self, drop: frozenset[str], filter_text: str | None = None) -> Text:
        info = self.info
        muted = self._style("status-header--muted")
        sep = (" · ", muted)
        bar = (" │ ", muted)
        parts: list[tuple[str, Style] | str] = []
        if "app" not in drop:
            parts.append((" digest-tui ", self._style("status-header--app")))
        parts.append(" ")
        where = [x for x in (info.category, info.date) if x]
        if "category" in drop:
            where = [x for x in (info.date,) if x]
        if where:
            parts.append(" · ".join(one_line(x) for x in where))
            parts.append(bar)
        parts.append((info.view, self._style("status-header--view")))
        parts.append(bar)
        parts.append(f"{info.shown:,}+ papers" if info.partial else _plural(info.shown, "paper"))
        if info.unread is not None:
            parts.append(sep)
            parts.append(f"{info.unread:,} unread")
        if info.starred is not None and "starred" not in drop:
            parts.append(sep)
            parts.append(f"{info.starred:,} starred")
        labels = "labels" not in drop
        if info.filter_text:
            parts.append(bar)
            if labels:
                parts.append(("filter: ", muted))
            parts.append(filter_text if filter_text is not None else one_line(info.filter_text))
        if info.sort:
            parts.append(bar)
            if labels:
                parts.append(("sorted ", muted))
            parts.append(one_line(info.sort))
        if info.sample:
            parts.append(bar)
            parts.append(("sample", muted))
        if info.readonly:
            parts.append(bar)
            parts.append(("read-only", self._style("status-header--warning")))
        if info.activity:
            parts.append(bar)
            parts.append((info.activity, self._style("status-header--warning")))
        return Text.assemble(*parts, no_wrap=True, overflow="ellipsis", end="")


def elide_middle(text: str, cells: int) -> str:
    """``text`` in at most ``cells`` cells, its middle replaced by an ellipsis."""
    if cell_len(text) <= cells:
        return text
    keep = max(cells - 1, 2)
    head_cells = (keep + 1) // 2
    tail_cells = keep - head_cells
    head = ""
    for ch in text:
        if cell_len(head + ch) > head_cells:
            break
        head += ch
    tail = ""
    for ch in reversed(text):
        if cell_len(ch + tail) > tail_cells:
            break
        tail = ch + tail
    return head + "…" + tail


class FilterBar(Vertical):
    """The filter input and, below it when needed, what is wrong with the query.

    The ``Input`` is mounted once the first screen is drawn (or at once,
    when it is needed before that): until then a line that looks the same
    stands in for it.  Composing, styling and drawing an ``Input`` was 2% of
    a warm start.
    """

    DEFAULT_CSS = """
    FilterBar {
        height: auto;
        background: $surface;
    }
    FilterBar > #filter-row {
        height: 1;
    }
    FilterBar #filter-prompt {
        width: 3;
        padding: 0 1;
        color: $text-accent;
        text-style: bold;
    }
    FilterBar Input {
        border: none;
        height: 1;
        padding: 0;
        background: $surface;
    }
    FilterBar Input:focus {
        background: $boost;
    }
    FilterBar #filter-placeholder {
        width: 1fr;
        color: $text-disabled;
    }
    FilterBar > #filter-error {
        display: none;
        height: auto;
        padding: 0 1;
        color: $text-error;
    }
    FilterBar.-error > #filter-error {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear", "Clear and leave the filter", id="filter.clear"),
        Binding("down", "leave", "Keep the filter, back to the list", id="filter.leave"),
    ]

    PLACEHOLDER = 'filter: words  "a phrase"  -not  title: author: cat: date: is:unread'

    class Changed(Message):
        """The filter text changed (as the user types)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Submitted(Message):
        """Enter in the filter: back to the list."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Cleared(Message):
        """Escape in the filter: it was emptied."""

    _error = ""  # the error shown under the filter
    _input: Input | None = None
    _text = ""  # the text while there is no Input yet

    def compose(self) -> ComposeResult:
        with Horizontal(id="filter-row"):
            yield Static(Text("/"), id="filter-prompt")
            yield Static(Text(self.PLACEHOLDER), id="filter-placeholder", markup=False)
        yield Static(id="filter-error", markup=False)

    def mount_input(self) -> AwaitMount | None:
        """Mount the ``Input`` in place of its stand-in (None once it is)."""
        if self._input is not None:
            return None
        row = self.query_one("#filter-row", Horizontal)
        if not row.is_attached:  # the app is closing (or not yet composed)
            return None
        # No select-on-focus: text typed in the same burst as "/" arrives
        # before the focus event, and selecting it then would let the next
        # key replace it.
        self._input = Input(
            value=self._text,
            placeholder=self.PLACEHOLDER,
            id="filter-input",
            compact=True,
            select_on_focus=False,
        )
        stand_in = self.query_one("#filter-placeholder", Static)
        mounted = row.mount(self._input, before=stand_in)
        stand_in.remove()
        return mounted

    async def ready_input(self) -> Input:
        """The ``Input``, mounted (now, if it was not yet)."""
        mounted = self.mount_input()
        if mounted is not None:
            await mounted
        if self._input is None:
            raise RuntimeError("the filter cannot be mounted: the reader is closing")
        return self._input

    @property
    def input(self) -> Input:
        """The ``Input``: mounted now if it was not (see :meth:`ready_input`
        to wait until it can take keys)."""
        self.mount_input()
        if self._input is None:
            raise RuntimeError("the filter cannot be mounted: the reader is closing")
        return self._input

    @property
    def text(self) -> str:
        return self._input.value if self._input is not None else self._text

    def set_text(self, text: str) -> None:
        if self._input is not None:
            self._input.value = text
        elif text:
            self._text = text
            self.mount_input()
        else:
            self._text = ""

    def show_error(self, message: str | None) -> None:
        shown = one_line(message) if message else ""
        if shown == self._error:  # each view query says so: no layout for nothing
            return
        self._error = shown
        error = self.query_one("#filter-error", Static)
        error.update(Text("✗ " + shown) if shown else "")
        self.set_class(bool(shown), "-error")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(event.value))

    def action_leave(self) -> None:
        self.post_message(self.Submitted(self.text))

    def action_clear(self) -> None:
        self.set_text("")
        self.show_error(None)
        self.post_message(self.Cleared())
