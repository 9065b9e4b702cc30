"""Saved searches: up to nine named queries, kept in slots 1 to 9.

They live in ``searches.json`` in the data folder, a JSON list of
``{"name": ..., "query": ...}`` in slot order, written atomically.  A file
that cannot be read as such is moved aside (``searches.json.corrupt-<time>``)
and the list starts empty; :attr:`SavedSearches.problem` says so in one line.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path

from digest_tui.text import one_line

FILE_NAME = "searches.json"
MAX_SEARCHES = 9


class SavedSearches:
    """The user's saved searches (``all()`` in slot order: slot n is index n-1)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILE_NAME
        self.problem: str | None = None
        self._items: list[tuple[str, str]] = self._load()

    def _load(self) -> list[tuple[str, str]]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            self.problem = f"{self.path}: cannot read saved searches: {exc.strerror or exc}"
            return []
        try:
            data = json.loads(raw.decode("utf-8"))
            items = _validate(data)
        except (UnicodeDecodeError, ValueError) as exc:
            self._move_aside(one_line(str(exc)))
            return []
        if len(items) > MAX_SEARCHES:
            self.problem = (
                f"{self.path}: more than {MAX_SEARCHES} saved searches; only the first"
                f" {MAX_SEARCHES} are kept"
            )
            items = items[:MAX_SEARCHES]
        return items

    def _move_aside(self, reason: str) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{FILE_NAME}.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{FILE_NAME}.corrupt-{stamp}-{n}")
        try:
            os.replace(self.path, target)
        except OSError as exc:
            self.problem = (
                f"{self.path}: saved searches unreadable ({reason}) and cannot be moved aside:"
                f" {exc.strerror or exc}; starting empty"
            )
            return
        self.problem = (
            f"{self.path}: saved searches unreadable ({reason}); moved to {target.name},"
            " starting empty"
        )

    def _write(self) -> None:
        data = [{"name": n, "query": q} for n, q in self._items]
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".searches-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def all(self) -> list[tuple[str, str]]:
        """Every saved search as ``(name, query)``, slot 1 first."""
        return list(self._items)

    def save(self, name: str, query: str) -> int:
        """Save ``query`` as ``name`` and return its slot (1-9).

        A search of the same name is replaced in its slot; otherwise the new
        one takes the next slot.  ``ValueError`` (one line) for an empty name
        or a tenth search.  ``OSError`` if the file cannot be written (the
        list is then unchanged).
        """
        clean = one_line(name) if isinstance(name, str) else ""
        if not clean:
            raise ValueError("a saved search needs a name")
        if not isinstance(query, str):
            raise ValueError("a saved search's query must be text")
        query = one_line(query)
        items = list(self._items)
        for i, (existing, _q) in enumerate(items):
            if existing == clean:
                items[i] = (clean, query)
                slot = i + 1
                break
        else:
            if len(items) >= MAX_SEARCHES:
                raise ValueError(
                    f"at most {MAX_SEARCHES} saved searches: delete one before saving {clean!r}"
                )
            items.append((clean, query))
            slot = len(items)
        old, self._items = self._items, items
        try:
            self._write()
        except BaseException:
            self._items = old
            raise
        return slot

    def delete(self, name: str) -> bool:
        """Forget the search ``name`` (later ones move up a slot); False if none."""
        clean = one_line(name) if isinstance(name, str) else ""
        items = [(n, q) for n, q in self._items if n != clean]
        if len(items) == len(self._items):
            return False
        old, self._items = self._items, items
        try:
            self._write()
        except BaseException:
            self._items = old
            raise
        return True

    def get_slot(self, n: int) -> tuple[str, str] | None:
        """The search in slot ``n`` (1-9), or None."""
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= len(self._items):
            return None
        return self._items[n - 1]


def _validate(data: object) -> list[tuple[str, str]]:
    if not isinstance(data, list):
        raise ValueError("not a list")
    items: list[tuple[str, str]] = []
    for entry in data:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("name"), str)
            or not isinstance(entry.get("query"), str)
            or not one_line(entry["name"])
        ):
            raise ValueError("an entry is not a name and a query")
        name = one_line(entry["name"])
        if all(name != n for n, _q in items):  # a repeated name: the first counts
            items.append((name, one_line(entry["query"])))
    return items
