"""Command palette providers: every reader action, saved searches, export, sorting,
and "jump to paper"."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher
from textual.markup import escape

from digest_tui.library import Row
from digest_tui.query import Query, QueryError, parse_query
from digest_tui.text import one_line

if TYPE_CHECKING:
    from digest_tui.tui.screens import KeyHelp

JUMP_LIMIT = 20


class ReaderActions(Protocol):
    """What the providers need from the app (kept small so they stay testable)."""

    def palette_actions(self) -> list[tuple[KeyHelp, str]]: ...

    def run_binding(self, binding_id: str) -> None: ...

    def find_papers(self, text: str, limit: int) -> list[Row]: ...

    def jump_to_id(self, paper_id: str) -> None: ...

    def saved_search_list(self) -> list[tuple[str, str]]: ...

    def apply_search(self, query: str) -> None: ...

    def delete_saved_search(self, name: str) -> None: ...

    def export_view(self, label: str) -> None: ...

    def set_sort(self, sort: str) -> None: ...

    def sync_marks(self, quit_after: bool = False) -> object: ...


def highlight(matcher: Matcher, text: str) -> Content:
    """``text`` as plain text (never markup) with the matched letters highlighted.

    ``Matcher.highlight`` reads its argument as markup, so a saved search named
    ``[reverse]`` or ``ok [/]`` would be styled or fail; names are the user's
    own text and are shown as typed.
    """
    content = Content(text)
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if not score:
        return content
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


def _label(description: str, keys: str) -> Content:
    return Content.assemble(description, ("  " + keys, "dim"))


class ActionCommands(Provider):
    """Every key binding of the reader, by its description."""

    def _actions(self) -> list[tuple[KeyHelp, str]]:
        app = self.app
        if not hasattr(app, "palette_actions"):
            return []
        # The numbered saved-search keys are offered by name (ReaderCommands).
        return [
            (key_help, section)
            for key_help, section in app.palette_actions()
            if not key_help.binding_id.startswith("saved_search_")
        ]

    async def discover(self) -> Hits:
        app = self.app
        for key_help, section in self._actions():
            yield DiscoveryHit(
                _label(key_help.description, key_help.keys),
                partial(app.run_binding, key_help.binding_id),  # type: ignore[attr-defined]
                text=key_help.description,
                help=f"{section} · {key_help.binding_id}",
            )

    async def search(self, query: str) -> Hits:
        app = self.app
        matcher = self.matcher(query)
        for key_help, section in self._actions():
            haystack = f"{key_help.description} {key_help.binding_id}"
            score = matcher.match(haystack)
            if score > 0:
                yield Hit(
                    score,
                    _label(key_help.description, key_help.keys),
                    partial(app.run_binding, key_help.binding_id),  # type: ignore[attr-defined]
                    text=key_help.description,
                    help=f"{section} · {key_help.binding_id}",
                )


SORT_COMMANDS = (("digest", "digest order"), ("date", "date"), ("title", "title"), ("id", "id"))


class ReaderCommands(Provider):
    """Saved searches (apply, delete), export of the view, and the sort orders."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        if not hasattr(self.app, "saved_search_list"):
            return []
        app = cast(ReaderActions, self.app)
        commands: list[tuple[str, Callable[[], object], str]] = []
        searches = app.saved_search_list()
        for slot, (name, query) in enumerate(searches, start=1):
            label = one_line(name)
            key = f"  {slot}" if slot <= 9 else ""
            commands.append(
                (
                    f"Saved search: {label}",
                    partial(app.apply_search, query),
                    f"{one_line(query)}{key}",
                )
            )
        for name, _query in searches:
            commands.append(
                (
                    f"Delete saved search: {one_line(name)}",
                    partial(app.delete_saved_search, name),
                    "Saved searches",
                )
            )
        from digest_tui.export import LABELS

        for label in LABELS:
            commands.append(
                (
                    f"Export view as {label}",
                    partial(app.export_view, label),
                    "Every paper of the list, to a file",
                )
            )
        for sort, label in SORT_COMMANDS:
            commands.append((f"Sort by {label}", partial(app.set_sort, sort), "Views and filter"))
        if hasattr(self.app, "sync_marks"):
            commands.append(
                (
                    "Sync marks",
                    app.sync_marks,
                    "Pull and push read/starred/tags/notes ([sync] repo)",
                )
            )
        return commands

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands():
            yield DiscoveryHit(Content(text), callback, text=text, help=escape(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score, highlight(matcher, text), callback, text=text, help=escape(help_text)
                )


def title_query(text: str) -> Query | None:
    """The typed text as a query on titles (``None`` if it cannot be read)."""
    try:
        query = parse_query(text)
    except QueryError:
        return None
    if not query:
        return None
    terms = [t._replace(field="title") if t.field is None else t for t in query.terms]
    return Query(query.text, terms)


def find_papers(library: object, text: str, limit: int = JUMP_LIMIT) -> list[Row]:
    """Papers whose titles match ``text``, then any other match; thread-safe."""
    from digest_tui.library import Library

    assert isinstance(library, Library)
    pids: list[int] = []
    query = title_query(text)
    if query is not None:
        pids.extend(library.search(query, limit=limit).pids)
    if len(pids) < limit:
        try:
            more = list(library.search(text, limit=limit).pids)
        except QueryError:
            more = []
        pids.extend(p for p in more if p not in pids)
    pids = pids[:limit]
    rows = library.rows(pids)
    return [rows[p] for p in pids if p in rows]


class JumpToPaper(Provider):
    """Search the library's titles and jump to a paper."""

    async def search(self, query: str) -> Hits:
        text = query.strip()
        if len(text) < 2 or not hasattr(self.app, "find_papers"):
            return
        app = cast(ReaderActions, self.app)
        rows: list[Row] = await asyncio.to_thread(app.find_papers, text, JUMP_LIMIT)
        total = len(rows)
        for rank, row in enumerate(rows):
            title = one_line(row.title)
            # Plain text only: titles are untrusted and never markup.
            display = Content.assemble(("Jump: ", "dim"), Content(title))
            yield Hit(
                0.99 - rank / max(total * 2, 1),
                display,
                partial(app.jump_to_id, row.id),
                text=title,
                help=escape(f"{one_line(row.id)} · {one_line(row.date or '')}"),
            )


__all__ = [
    "ActionCommands",
    "JumpToPaper",
    "ReaderCommands",
    "find_papers",
    "highlight",
    "title_query",
]
