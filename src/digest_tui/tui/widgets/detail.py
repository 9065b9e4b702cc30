"""The detail pane: everything the digests say about one paper.

All digest text is put into :class:`rich.text.Text` as plain strings (never
markup) after :func:`~digest_tui.text.strip_controls`; links become OSC 8
hyperlinks only when they are http(s) URLs.
"""

from __future__ import annotations

import re
from typing import ClassVar

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widget import Widget

from digest_tui.highlight import Highlights
from digest_tui.models import Paper
from digest_tui.text import is_web_url, one_line, strip_controls
from digest_tui.tui.widgets.styling import component_style

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
# A URL in running text; trailing punctuation is the sentence's, not the URL's.
_TEXT_URL_RE = re.compile(r"https?://[^\s<>\[\]{}\"'`]{1,2000}+", re.IGNORECASE)
_URL_TAIL = ".,;:!?)"


def linked_text(text: str, style: Style) -> Text:
    """``text`` with its http(s) URLs as OSC 8 hyperlinks (plain strings, never markup)."""
    out = Text()
    pos = 0
    for m in _TEXT_URL_RE.finditer(text):
        url = m.group().rstrip(_URL_TAIL)
        if url.count("(") > url.count(")") and m.group()[len(url) : len(url) + 1] == ")":
            url += ")"  # "https://en.wikipedia.org/wiki/X_(y)"
        if not is_web_url(url):
            continue
        out.append(text[pos : m.start()])
        out.append(url, style + Style(link=url))
        pos = m.start() + len(url)
    out.append(text[pos:])
    return out


def abstract_paragraphs(abstract: str) -> list[str]:
    """The abstract as paragraphs: blank lines separate, single newlines do not."""
    clean = strip_controls(abstract or "")
    paragraphs = [one_line(p) for p in _PARAGRAPH_BREAK.split(clean)]
    return [p for p in paragraphs if p]


#: The narrowest label column of :class:`Fields` (cells).
LABEL_CELLS = 10
#: Below this many cells for the values, :class:`Fields` leaves the layout to a Rich table.
MIN_VALUE_CELLS = 8


class Fields:
    """Rows of a label and its value: the label column (``label_style``, no
    wrapping, at least :data:`LABEL_CELLS` wide), one space, and the value
    wrapped in the rest of the width, as ``Table.grid(padding=(0, 1))`` lays
    them out.

    Drawn directly: a Rich table measures every cell of every column before
    it draws, and the detail pane is laid out twice for its first screen (its
    height, then its lines), which made its three grids a tenth of a warm
    start.  A pane too narrow for the values is left to the table.
    """

    def __init__(self, label_style: Style) -> None:
        self.label_style = label_style
        self.rows: list[tuple[str, Text]] = []

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def add_row(self, name: str, value: Text) -> None:
        self.rows.append((name, value))

    def _label_cells(self) -> int:
        return max([LABEL_CELLS, *(cell_len(name) for name, _ in self.rows)])

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 1))
        table.add_column(style=self.label_style, no_wrap=True, min_width=LABEL_CELLS)
        table.add_column(ratio=1)
        for name, value in self.rows:
            table.add_row(Text(name), value)
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.rows:
            return
        width = options.max_width
        label_cells = self._label_cells()
        value_cells = width - label_cells - 1
        if value_cells < MIN_VALUE_CELLS:
            yield self._table()
            return
        blank = Segment(" " * (label_cells + 1), self.label_style)
        new_line = Segment.line()
        for name, value in self.rows:
            # As a table's cell: an ellipsis unless the value says how to
            # overflow, its base style under its spans, padded (unstyled) to
            # the column's width.
            lines = value.wrap(
                console,
                value_cells,
                justify=value.justify or "default",
                overflow=value.overflow or "ellipsis",
            )
            for i, line in enumerate(lines):
                if i:
                    yield blank
                else:
                    yield Segment(name + " " * (label_cells - cell_len(name) + 1), self.label_style)
                segments = line.render(console)
                if line.style:
                    segments = Segment.apply_style(segments, console.get_style(line.style))
                yield from segments
                pad = value_cells - line.cell_len
                if pad > 0:
                    yield Segment(" " * pad)
                yield new_line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        if not self.rows:
            return Measurement(0, 0)
        label_cells = self._label_cells() + 1
        widest = max(Measurement.get(console, options, value).maximum for _, value in self.rows)
        return Measurement(label_cells + MIN_VALUE_CELLS, label_cells + widest).clamp(
            max_width=options.max_width
        )


class DrawnOnce:
    """A renderable drawn once for each width (and way of fitting it) and
    then replayed: Textual measures a widget's height by drawing it, then
    draws it again for its lines."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable
        self._drawn: dict[tuple[object, ...], list[list[Segment]]] = {}

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        key = (
            options.max_width,
            options.height,
            options.justify,
            options.overflow,
            options.no_wrap,
        )
        lines = self._drawn.get(key)
        if lines is None:
            lines = self._drawn[key] = console.render_lines(self.renderable, options, pad=False)
        new_line = Segment.line()
        for line in lines:
            yield from line
            yield new_line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)


def doi_url(doi: str | None) -> str | None:
    if not doi:
        return None
    value = one_line(doi)
    if _DOI_RE.match(value):
        url = "https://doi.org/" + value
        return url if is_web_url(url) else None
    return None


class PaperDetail(Widget):
    """Renders one :class:`Paper` (or a hint when there is none)."""

    DEFAULT_CSS = """
    PaperDetail {
        height: auto;
        padding: 0 1;
    }
    PaperDetail > .paper-detail--title {
        color: $text-primary;
        text-style: bold;
    }
    PaperDetail > .paper-detail--label {
        color: $text-muted;
    }
    PaperDetail > .paper-detail--primary {
        color: $text-accent;
        text-style: bold reverse;
    }
    PaperDetail > .paper-detail--link {
        color: $text-primary;
        text-style: underline;
    }
    PaperDetail > .paper-detail--star {
        color: $text-warning;
        text-style: bold;
    }
    PaperDetail > .paper-detail--unread {
        color: $text-accent;
        text-style: bold;
    }
    PaperDetail > .paper-detail--hint {
        color: $text-muted;
        text-style: italic;
    }
    PaperDetail > .paper-detail--tag {
        color: $text-secondary;
        text-style: bold;
    }
    PaperDetail > .paper-detail--match {
        background: $accent-muted;
        text-style: bold;
    }
    PaperDetail > .paper-detail--watched {
        color: $text-success;
        text-style: bold;
    }
    PaperDetail > .paper-detail--why {
        color: $text-secondary;
        text-style: italic;
    }
    PaperDetail > .paper-detail--new-version {
        color: $text-warning;
        text-style: bold;
    }
    """

    COMPONENT_CLASSES = {
        "paper-detail--title",
        "paper-detail--label",
        "paper-detail--primary",
        "paper-detail--link",
        "paper-detail--star",
        "paper-detail--unread",
        "paper-detail--hint",
        "paper-detail--tag",
        "paper-detail--watched",
        "paper-detail--match",
        "paper-detail--why",
        "paper-detail--new-version",
    }

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's name
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.paper: Paper | None = None
        self.read = False
        self.starred = False
        self.tags: tuple[str, ...] = ()
        self.note: str | None = None
        self.watched = False
        self.hint = "No paper selected."
        #: The filter's words, marked in the title, authors and abstract.
        self.highlights = Highlights()
        #: Why the ranker puts a paper where it does: (paper id, one line).
        self.why: tuple[str, str] | None = None
        #: Starred papers listed in a newer version: id -> (starred, now).
        self.versions: dict[str, tuple[int, int]] = {}
        self._drawn: DrawnOnce | None = None
        self._drawn_for: tuple[object, ...] = ()

    def notify_style_update(self) -> None:
        self._drawn = None  # the theme or the styles changed
        super().notify_style_update()

    def show(
        self,
        paper: Paper | None,
        *,
        read: bool,
        starred: bool,
        tags: tuple[str, ...] = (),
        note: str | None = None,
        watched: bool = False,
    ) -> None:
        self.paper = paper
        self.read = read
        self.starred = starred
        self.tags = tags
        self.note = note
        self.watched = watched
        self.refresh(layout=True)

    def set_user(self, *, tags: tuple[str, ...], note: str | None) -> None:
        """The user's tags and note of the paper shown changed."""
        if (tags, note) != (self.tags, self.note):
            self.tags = tags
            self.note = note
            self.refresh(layout=True)

    def set_marks(self, *, read: bool, starred: bool) -> None:
        if (read, starred) != (self.read, self.starred):
            self.read = read
            self.starred = starred
            self.refresh(layout=True)

    def set_why(self, paper_id: str, why: str) -> None:
        """The why-line of a paper (shown while that paper is)."""
        if self.why != (paper_id, why):
            self.why = (paper_id, why)
            if self.paper is not None and self.paper.id == paper_id:
                self.refresh(layout=True)

    def set_versions(self, versions: dict[str, tuple[int, int]]) -> None:
        self.versions = dict(versions)
        self.refresh(layout=True)

    def set_hint(self, hint: str) -> None:
        self.hint = hint
        if self.paper is None:
            self.refresh(layout=True)

    def _style(self, name: str) -> Style:
        return component_style(self, name)

    def render(self) -> RenderableType:
        # Textual draws a widget of automatic height twice for its first
        # screen (its height, then its lines), and asks for it again once its
        # size is known; the detail was a fifth of a warm start.  It is drawn
        # once for each width, for as long as what it shows is the same.
        shown = (
            self.paper,
            self.read,
            self.starred,
            self.tags,
            self.note,
            self.watched,
            self.hint,
            self.highlights,
            self.why,
            tuple(self.versions.items()),
            self.app.theme,
        )
        if self._drawn is None or shown != self._drawn_for:
            self._drawn = DrawnOnce(self.content())
            self._drawn_for = shown
        return self._drawn

    def content(self) -> RenderableType:
        """What the pane shows: the paper (or the hint), as Rich renderables."""
        if self.paper is None:
            return Text(self.hint, style=self._style("paper-detail--hint"))
        why = self.why[1] if self.why is not None and self.why[0] == self.paper.id else None
        return render_paper(
            self.paper,
            why=why,
            new_version=self.versions.get(self.paper.id),
            why_style=self._style("paper-detail--why"),
            new_version_style=self._style("paper-detail--new-version"),
            read=self.read,
            starred=self.starred,
            title=self._style("paper-detail--title"),
            label=self._style("paper-detail--label"),
            primary=self._style("paper-detail--primary"),
            link=self._style("paper-detail--link"),
            star=self._style("paper-detail--star"),
            unread=self._style("paper-detail--unread"),
            tags=self.tags,
            note=self.note,
            watched=self.watched,
            tag=self._style("paper-detail--tag"),
            watch=self._style("paper-detail--watched"),
            highlights=self.highlights,
            match=self._style("paper-detail--match"),
        )


def _link(text: str, url: str | None, style: Style) -> Text:
    """``text`` as an OSC 8 hyperlink when ``url`` is an http(s) URL, else plain."""
    if url and is_web_url(url):
        return Text(text, style=style + Style(link=url))
    return Text(text)


def render_paper(
    paper: Paper,
    *,
    read: bool,
    starred: bool,
    title: Style | None = None,
    label: Style | None = None,
    primary: Style | None = None,
    link: Style | None = None,
    star: Style | None = None,
    unread: Style | None = None,
    tags: tuple[str, ...] = (),
    note: str | None = None,
    watched: bool = False,
    tag: Style | None = None,
    watch: Style | None = None,
    highlights: Highlights | None = None,
    match: Style | None = None,
    why: str | None = None,
    new_version: tuple[int, int] | None = None,
    why_style: Style | None = None,
    new_version_style: Style | None = None,
) -> Group:
    """The detail of a paper: plain strings only, so nothing is read as markup."""
    title = title or Style(bold=True)
    label = label or Style(dim=True)
    primary = primary or Style(bold=True, reverse=True)
    link = link or Style(underline=True)
    star = star or Style(bold=True)
    unread = unread or Style(bold=True)
    tag = tag or Style(bold=True)
    watch = watch or Style(bold=True)
    found = highlights or Highlights()
    match = match or Style(bold=True, underline=True)

    def marked(field: str, text: str, style: Style | str = "") -> Text:
        """``text`` (plain) with the filter's words of ``field`` in ``match``."""
        out = Text(text, style=style, overflow="fold")
        for start, end in found.spans(field, text):
            out.stylize(match, start, end)
        return out

    def grid() -> Fields:
        return Fields(label)

    def add(table: Fields, name: str, value: Text | str) -> None:
        table.add_row(name, value if isinstance(value, Text) else Text(value, overflow="fold"))

    head = Text()
    head.append_text(marked("title", one_line(paper.title) or "(untitled)", title))
    head.append("\n")
    head.append("● unread" if not read else "✓ read", unread if not read else label)
    if starred:
        head.append("  ")
        head.append("★ starred", star)
    if watched:
        head.append("  ")
        head.append("◆ watched", watch)
    if new_version is not None:
        head.append("  ")
        head.append(
            f"↻ new version v{new_version[1]} (starred v{new_version[0]})",
            new_version_style or Style(bold=True),
        )
    if why:
        head.append("\n")
        head.append(one_line(strip_controls(why)), why_style or Style(italic=True))

    fields = grid()
    if tags:
        chips = Text()
        for i, name in enumerate(tags):
            if i:
                chips.append(" ")
            chips.append("#" + one_line(name), tag)
        add(fields, "Tags", chips)
    if paper.authors:
        add(fields, "Authors", marked("authors", ", ".join(one_line(a) for a in paper.authors)))
    if paper.affiliations:
        lines = [f"{one_line(k)}: {one_line(v)}" for k, v in paper.affiliations.items()]
        add(fields, "Affiliations", "\n".join(lines))
    categories = list(paper.categories)
    if paper.primary_category and paper.primary_category not in categories:
        categories.insert(0, paper.primary_category)
    if categories:
        cats = Text()
        for i, cat in enumerate(categories):
            if i:
                cats.append(" ")
            name = one_line(cat)
            if cat == paper.primary_category:
                cats.append(f" {name} ", primary)
            else:
                cats.append(name)
        add(fields, "Categories", cats)
    ident = paper.id + (f"v{paper.version}" if paper.version else "")
    add(fields, "arXiv", _link(ident, paper.abs_url, link))
    if paper.published:
        add(fields, "Published", one_line(paper.published)[:10])
    if paper.updated and paper.updated[:10] != (paper.published or "")[:10]:
        add(fields, "Updated", one_line(paper.updated)[:10])
    if paper.comment:
        add(fields, "Comment", one_line(paper.comment))
    if paper.journal_ref:
        add(fields, "Journal", one_line(paper.journal_ref))
    if paper.doi:
        doi = one_line(paper.doi)
        add(fields, "DOI", _link(doi, doi_url(doi), link))
    if paper.appearances:
        seen: list[str] = []
        for ap in paper.appearances:
            entry = " ".join(x for x in (ap.date or "no date", one_line(ap.category or "")) if x)
            if entry not in seen:
                seen.append(entry)
        add(fields, "Digests", ", ".join(seen))

    parts: list[RenderableType] = [head, Text(""), fields]
    if note:
        block = grid()
        add(block, "Note", Text(strip_controls(note).strip("\n")))
        parts += [Text(""), block]
    summary = [(k, v) for k, v in paper.extras.items() if not is_web_url(v)]
    if summary:  # e.g. a generated TL;DR and structured summary
        notes = grid()
        for name, value in summary:
            add(notes, one_line(name), strip_controls(value))
        parts += [Text(""), notes]
    for name, url in paper.extras.items():
        if is_web_url(url):
            add(fields, one_line(name), _link(url, url, link))
    paragraphs = abstract_paragraphs(paper.abstract)
    for paragraph in paragraphs:
        parts.append(Text(""))
        shown = linked_text(paragraph, link)
        shown.overflow = "fold"
        for start, end in found.spans("abstract", paragraph):
            shown.stylize(match, start, end)
        parts.append(shown)

    links = grid()
    for name, link_url in (("Abstract", paper.abs_url), ("PDF", paper.pdf_url)):
        url = link_url or ""
        if url and is_web_url(url):
            add(links, name, _link(url, url, link))
        elif url:
            add(links, name, one_line(url))
    parts.append(Text(""))
    if links.row_count:
        parts.append(links)
    else:
        parts.append(Text("No links in the digest.", style=label))
    return Group(*parts)


class DetailScroll(VerticalScroll):
    """The scrolling container of the detail pane, with reading keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "scroll_down", "Scroll down", id="detail.down", show=False),
        Binding("k,up", "scroll_up", "Scroll up", id="detail.up", show=False),
        Binding("g,home", "scroll_home", "Top", id="detail.top", show=False),
        Binding("G,end", "scroll_end", "Bottom", id="detail.bottom", show=False),
        Binding("space,pagedown", "page_down", "Page down", id="detail.page_down", show=False),
        Binding("b,pageup", "page_up", "Page up", id="detail.page_up", show=False),
        Binding("escape,h", "back", "Back to list", id="detail.back"),
    ]

    class Back(Message):
        """The reader wants to go back to the list."""

    def action_back(self) -> None:
        self.post_message(self.Back())
