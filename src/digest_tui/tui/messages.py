"""Messages the reader's workers post back to the UI thread."""

from __future__ import annotations

from textual.message import Message


class ScanProgress(Message):
    """A scan's progress, posted from its worker thread."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class DownloadProgress(Message):
    """A download's progress, posted from its worker thread."""

    def __init__(self, name: str, done: int, total: int | None) -> None:
        super().__init__()
        self.name = name
        self.done = done
        self.total = total
