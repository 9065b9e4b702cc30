"""The reader's other screens: help, confirmation, a one-line prompt and first run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Static

from digest_tui.text import one_line


@dataclass(slots=True, frozen=True)
class KeyHelp:
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

    BINDINGS: list[BindingType] = [
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


class ConfirmScreen(ModalScreen[bool]):
    """A yes / no question."""

    BINDINGS: list[BindingType] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(Text(self.question, style=Style(bold=True)), id="confirm-question")
            if self.detail:
                yield Static(Text(self.detail), id="confirm-detail")
            with Horizontal(id="confirm-buttons"):
                yield Button("Yes (y)", id="confirm-yes", variant="primary")
                yield Button("No (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PromptScreen(ModalScreen[str | None]):
    """One line of text: Enter answers it, Esc cancels (``None``)."""

    BINDINGS: list[BindingType] = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
    ]

    def __init__(
        self, title: str, detail: Text | str = "", *, placeholder: str = "", value: str = ""
    ) -> None:
        super().__init__()
        self.title_text = title
        self.detail = detail
        self.placeholder = placeholder
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-dialog"):
            yield Static(Text(self.title_text, style=Style(bold=True)), id="prompt-title")
            if self.detail:
                detail = self.detail if isinstance(self.detail, Text) else Text(self.detail)
                yield Static(detail, id="prompt-detail")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Static(
                Text("Enter to apply · Esc to cancel", style=Style(dim=True)), id="prompt-hint"
            )

    @property
    def input(self) -> Input:
        return self.query_one("#prompt-input", Input)

    def on_mount(self) -> None:
        self.input.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class FirstRunScreen(Screen[None]):
    """Shown when no digests were found: how to point the reader at some."""

    BINDINGS: list[BindingType] = [
        Binding("q", "app.quit", "Quit", id="first_run.quit"),
        Binding("ctrl+r", "app.rescan", "Scan again", id="first_run.rescan"),
    ]

    def __init__(
        self,
        roots: Sequence[Path],
        config_file: Path | None,
        sample: Path | None,
        files_seen: int = 0,
    ) -> None:
        super().__init__()
        self.roots = list(roots)
        self.config_file = config_file
        self.sample = sample
        self.files_seen = files_seen

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="first-run"):
            yield Static(self._text(), id="first-run-body")
        yield Footer()

    def _text(self) -> Text:
        bold = Style(bold=True)
        code = Style(bold=True, italic=True)
        out = Text(end="")
        out.append("No digests found\n\n", Style(bold=True, underline=True))
        if self.roots:
            out.append("Looked in:\n")
            for root in self.roots:
                out.append(f"  {one_line(str(root))}\n", bold)
            if self.files_seen:
                out.append(
                    f"  ({self.files_seen} file{'s' if self.files_seen != 1 else ''} there,"
                    " none of them an arXiv digest)\n"
                )
        else:
            out.append("No folder of digests was given, and none in the config file exists.\n")
        out.append("\nTo read a folder of daily digests (Markdown files such as\n")
        out.append("“# Arxiv Papers in cs.CV on 2020-11-22”), open it:\n\n")
        out.append("  digest-tui ~/path/to/digests\n\n", code)
        out.append("or list it in the config file, so that plain ")
        out.append("digest-tui", code)
        out.append(" opens it:\n\n")
        out.append('  paths = ["~/path/to/digests"]\n\n', code)
        out.append("The config file is ")
        if self.config_file is not None:
            exists = self.config_file.exists()
            out.append(one_line(str(self.config_file)), bold)
            out.append(" (exists)" if exists else " (not created yet)")
        else:
            out.append("not in use")
        out.append(".\n")
        if self.sample is not None:
            out.append("\nTo try the reader on the built-in sample:\n\n")
            out.append(f"  digest-tui {one_line(str(self.sample))}\n", code)
        out.append("\nPress ctrl+r to scan again, q to quit.")
        return out
