"""A one-line prompt."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class PromptScreen(ModalScreen[str | None]):
    """One line of text: Enter answers it, Esc cancels (``None``)."""

    #: The reader's own screen: the app's keys are limited while it is up.
    READER_SCREEN: ClassVar[bool] = True
    BINDINGS: ClassVar[list[BindingType]] = [
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
