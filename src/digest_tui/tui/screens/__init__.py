"""The reader's screens other than the main one.

Imported when first used (``from digest_tui.tui.screens import HelpScreen``
loads its module then), not when the reader starts: none of them is on the
first screen.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from digest_tui.tui.screens.confirm import ConfirmScreen
    from digest_tui.tui.screens.first_run import FirstRunScreen
    from digest_tui.tui.screens.help import FILTER_HELP, HelpScreen, KeyHelp, help_text
    from digest_tui.tui.screens.prompt import PromptScreen

_WHERE = {
    "ConfirmScreen": "confirm",
    "FirstRunScreen": "first_run",
    "FILTER_HELP": "help",
    "HelpScreen": "help",
    "KeyHelp": "help",
    "help_text": "help",
    "PromptScreen": "prompt",
}

__all__ = [
    "FILTER_HELP",
    "ConfirmScreen",
    "FirstRunScreen",
    "HelpScreen",
    "KeyHelp",
    "PromptScreen",
    "help_text",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
