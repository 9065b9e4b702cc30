"""The reader's screens other than the main one."""

from digest_tui.tui.screens.confirm import ConfirmScreen
from digest_tui.tui.screens.first_run import FirstRunScreen
from digest_tui.tui.screens.help import FILTER_HELP, HelpScreen, KeyHelp, help_text
from digest_tui.tui.screens.prompt import PromptScreen

__all__ = [
    "FILTER_HELP",
    "ConfirmScreen",
    "FirstRunScreen",
    "HelpScreen",
    "KeyHelp",
    "PromptScreen",
    "help_text",
]
