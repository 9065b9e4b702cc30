"""The first-run screen: no digests found yet, and how to add some."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from digest_tui.text import one_line
from digest_tui.tui.widgets.key_bar import KeyBar


class FirstRunScreen(Screen[None]):
    """Shown when no digests were found: how to point the reader at some."""

    #: The reader's own screen: the app's keys are limited while it is up.
    READER_SCREEN: ClassVar[bool] = True
    #: The one screen of the reader's on which ctrl+r (rescan) works.
    ALLOWS_RESCAN: ClassVar[bool] = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "app.quit", "Quit", id="first_run.quit"),
        Binding("ctrl+r", "app.rescan", "Scan again", id="first_run.rescan"),
    ]

    def __init__(
        self,
        roots: Sequence[Path],
        config_file: Path | None,
        sample: Path | None,
        files_seen: int = 0,
        config_exists: bool | None = None,
    ) -> None:
        super().__init__()
        #: Whether the config file exists (``config_file`` may be shown as ``~/...``).
        self.config_exists = config_exists
        self.roots = list(roots)
        self.config_file = config_file
        self.sample = sample
        self.files_seen = files_seen

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="first-run"):
            yield Static(self._text(), id="first-run-body")
        yield KeyBar()

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
            exists = (
                self.config_file.expanduser().exists()
                if self.config_exists is None
                else self.config_exists
            )
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
