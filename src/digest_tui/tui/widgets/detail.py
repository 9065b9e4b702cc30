"""The detail pane: everything the digests say about one paper.

All digest text is put into :class:`rich.text.Text` as plain strings (never
markup) after :func:`~digest_tui.text.strip_controls`; links become OSC 8
hyperlinks only when they are http(s) URLs.
"""

from __future__ import annotations

import re
from typing import ClassVar

from rich.console import Group, RenderableType
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

    def grid() -> Table:
        table = Table.grid(padding=(0, 1))
        table.add_column(style=label, no_wrap=True, min_width=10)
        table.add_column(ratio=1)
        return table

    def add(table: Table, name: str, value: Text | str) -> None:
        table.add_row(
            Text(name), value if isinstance(value, Text) else Text(value, overflow="fold")
        )

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
