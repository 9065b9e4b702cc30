"""The help screen: every key by section, and the filter language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, NamedTuple

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class KeyHelp(NamedTuple):
    """One line of the help screen."""

    keys: str
    description: str
    binding_id: str


FILTER_HELP = (
    ("diffusion video", "papers with both words (the last also as a prefix)"),
    ('"image fusion"', "a phrase"),
    ("-survey", "without a word (any term can be negated)"),
    ("title: author: abs:", "a word in one field"),
    ("cat:cs.LG  id:2005.10825", "a category, an arXiv id"),
    ("date:2020-05  date:>=2020-05-01", "digest dates; also a..b, latest, today"),
    ("is:unread is:starred is:read", "your marks"),
    ("tag:NAME  is:noted", "your tags, papers with a note"),
    ("is:watched", "papers matching the watch list of the config file"),
)


def help_text(sections: Sequence[tuple[str, Sequence[KeyHelp]]], *, keys_width: int = 18) -> Text:
    heading = Style(bold=True, underline=True)
    key_style = Style(bold=True)
    out = Text(end="")
    for i, (title, rows) in enumerate(sections):
        if i:
            out.append("\n")
        out.append(title, heading)
        out.append("\n")
        for row in rows:
            out.append(f"  {row.keys:<{keys_width}}", key_style)
            out.append(f"{row.description}")
            out.append(f"  ({row.binding_id})", Style(dim=True))
            out.append("\n")
    out.append("\n")
    out.append("Filter language", heading)
    out.append("\n")
    for example, meaning in FILTER_HELP:
        out.append(f"  {example:<32}", key_style)
        out.append(meaning)
        out.append("\n")
    out.append("\n")
    out.append(
        'Remap any key in the config file\'s [keys] table by its id, e.g.  star = "f"',
        Style(dim=True),
    )
    return out


class HelpScreen(ModalScreen[None]):
    """Every key, generated from the bindings (so remapped keys show)."""

    #: The reader's own screen: the app's keys are limited while it is up.
    READER_SCREEN: ClassVar[bool] = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close help", id="help.close"),
    ]

    def __init__(self, sections: Sequence[tuple[str, Sequence[KeyHelp]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(Text("Keys", style=Style(bold=True)), id="help-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(help_text(self.sections), id="help-body")
            yield Static(
                Text("Esc, q or ? to close · ↑↓ PgUp PgDn to scroll", style=Style(dim=True)),
                id="help-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
