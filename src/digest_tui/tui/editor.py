"""Editing a note in the user's own editor (``$VISUAL``, then ``$EDITOR``, else vi).

The editor is run directly (never through a shell) on a file in a private
temporary folder; the reader suspends around it (see ``DigestApp.action_edit_note``).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class EditorError(Exception):
    """The editor could not be run, or failed (one line)."""


def editor_command(env: Mapping[str, str] | None = None) -> list[str]:
    """The editor to run, as an argument list: ``$VISUAL``, ``$EDITOR``, else ``vi``."""
    env = os.environ if env is None else env
    for var in ("VISUAL", "EDITOR"):
        value = (env.get(var) or "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError as exc:
                raise EditorError(f"${var} cannot be read ({exc}): {value!r}") from None
            if words:
                return words
    return ["vi"]


def note_filename(paper_id: str) -> str:
    """A file name for a paper's note (old-style ids hold a slash)."""
    return f"note-{_UNSAFE.sub('_', paper_id).strip('._') or 'paper'}.md"


def edit_text(text: str, command: list[str], filename: str = "note.md") -> str:
    """Write ``text`` to a temporary file, run ``command FILE``, return what it holds then.

    Raises :class:`EditorError` when the editor cannot be started or exits
    with a failure status (the text is then left as it was).
    """
    with tempfile.TemporaryDirectory(prefix="digest-tui-") as folder:
        path = Path(folder) / filename
        path.write_text(text, encoding="utf-8")
        try:
            done = subprocess.run([*command, str(path)], check=False)
        except FileNotFoundError:
            raise EditorError(f"editor not found: {command[0]} (set $VISUAL or $EDITOR)") from None
        except OSError as exc:
            raise EditorError(
                f"cannot run the editor {command[0]}: {exc.strerror or exc}"
            ) from None
        if done.returncode != 0:
            raise EditorError(
                f"the editor {command[0]} exited with status {done.returncode}; note not changed"
            )
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise EditorError(f"cannot read the note back: {exc.strerror or exc}") from None
