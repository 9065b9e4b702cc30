"""The reader: a list of papers and a detail pane, over the core.

The app only presents the core: the :class:`~digest_tui.library.Library`
finds papers, the :class:`~digest_tui.state.StateStore` keeps marks (every
change is committed before the key press returns), and the widgets post
messages up to this class, which coordinates them.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import quote

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.markup import escape
from textual.message import Message
from textual.theme import Theme
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer

from digest_tui.config import Config, Paths, sample_dir, save_setting_theme
from digest_tui.library import Library, LibraryError, Row, ScanReport, SearchResult
from digest_tui.models import Paper
from digest_tui.opening import OpenError, is_remote_session, open_url
from digest_tui.query import SORTS, Query, QueryError, parse_query
from digest_tui.state import StateError, StateStore
from digest_tui.text import is_web_url, one_line
from digest_tui.tui.bars import FilterBar, HeaderInfo, StatusHeader
from digest_tui.tui.commands import ActionCommands, JumpToPaper, ReaderCommands, find_papers
from digest_tui.tui.detail import DetailScroll, PaperDetail
from digest_tui.tui.editor import EditorError, edit_text, editor_command, note_filename
from digest_tui.tui.paper_list import MarkSets, PaperList
from digest_tui.tui.screens import (
    ConfirmScreen,
    FirstRunScreen,
    HelpScreen,
    KeyHelp,
    PromptScreen,
)

if TYPE_CHECKING:
    from digest_tui.download import DownloadResult
    from digest_tui.searches import SavedSearches

Opener = Callable[[str], None]
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

EXIT_STORE = 3
# Benchmarks only (benchmarks/bench.py): run headless and exit once the list is
# on screen ("list") or once the first scan's result is on screen ("scanned").
_EXIT_WHEN_READY = os.environ.get("DIGEST_TUI_EXIT_WHEN_READY", "")
TYPING_PAUSE = 0.12  # seconds of quiet before a typed filter's whole list is read
FIRST_PAGE = 200  # rows found at once for each keystroke
COUNT_PAUSE = 0.25
THEME_SAVE_DELAY = 1.0

#: The views: name -> (label in the header, terms added to the filter).
VIEWS: dict[str, tuple[str, str]] = {
    "all": ("All", ""),
    "unread": ("Unread", "is:unread"),
    "starred": ("Starred", "is:starred"),
    "watched": ("Watched", "is:watched"),
}

SORT_LABELS = {"digest": "digest order", "date": "by date", "title": "by title", "id": "by id"}

#: Export formats: palette label -> (format, file extension).
EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "BibTeX": ("bibtex", "bib"),
    "Markdown": ("markdown", "md"),
    "JSON": ("json", "json"),
    "CSV": ("csv", "csv"),
}
SAVED_SEARCH_KEYS = range(1, 10)


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


class _ScanCancelled(Exception):
    """The app is closing: stop scanning."""


def _link_markup(url: str, text: str | None = None) -> str:
    """Content markup for a clickable link to an http(s) URL (quotes and brackets
    percent-encoded so the URL cannot break out of the markup)."""
    safe = quote(url, safe=":/?#@!$&()*+,;=%~-._")
    return f'[link="{safe}"]{escape(text if text is not None else safe)}[/link]'


def pdf_filename(paper: Paper) -> str:
    """The file a paper's PDF is saved as: its id and version (``2012.07810v1.pdf``)."""
    version = f"v{paper.version}" if paper.version else ""
    stem = _UNSAFE_NAME.sub("_", one_line(paper.id) + version).strip("._")
    return f"{stem or 'paper'}.pdf"


def _display_path(path: Path) -> str:
    text = str(path)
    home = str(Path.home())
    if home and home != "/" and text.startswith(home + os.sep):
        return "~" + text[len(home) :]
    return text


class DigestApp(App[int]):
    """The digest reader."""

    CSS_PATH = "app.tcss"
    TITLE = "digest-tui"
    COMMANDS = App.COMMANDS | {ActionCommands, ReaderCommands, JumpToPaper}
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [
        (0, "-narrow"),
        (100, "-wide"),
    ]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("slash", "focus_filter", "Filter", id="filter"),
        Binding("escape", "clear_filter", "Clear filter", id="clear_filter", show=False),
        Binding("s", "star", "Star", id="star"),
        Binding("r", "toggle_read", "Read", id="toggle_read", tooltip="Mark read / unread"),
        Binding("n", "next_unread", "Next unread", id="next_unread"),
        Binding("N", "previous_unread", "Previous unread", id="previous_unread", show=False),
        Binding("right_square_bracket", "next_day", "Next digest day", id="next_day", show=False),
        Binding(
            "left_square_bracket",
            "previous_day",
            "Previous digest day",
            id="previous_day",
            show=False,
        ),
        Binding("o", "open_pdf", "PDF", id="open_pdf", tooltip="Open the PDF"),
        Binding("O", "open_abstract", "Open abstract page", id="open_abstract", show=False),
        Binding("y", "copy_link", "Copy PDF link", id="copy_link", show=False),
        Binding("B", "copy_bibtex", "Copy BibTeX", id="copy_bibtex", show=False),
        Binding("d", "download_pdf", "Download the PDF", id="download_pdf", show=False),
        Binding("t", "tag", "Add or remove a tag", id="tag", show=False),
        Binding("e", "edit_note", "Edit the note in $EDITOR", id="edit_note", show=False),
        Binding("A", "mark_all_read", "Mark all in view read", id="mark_all_read", show=False),
        Binding("u", "undo_mark_all", "Undo mark all read", id="undo_mark_all", show=False),
        Binding("a", "view('all')", "View: all papers", id="view_all", show=False),
        Binding("U", "view('unread')", "View: unread only", id="view_unread", show=False),
        Binding("S", "view('starred')", "View: starred only", id="view_starred", show=False),
        Binding("w", "view('watched')", "View: watched only", id="view_watched", show=False),
        Binding("z", "cycle_sort", "Sort: digest, date, title, id", id="sort", show=False),
        Binding(
            "ctrl+s", "save_search", "Save the filter as a search", id="save_search", show=False
        ),
        *(
            Binding(
                str(n),
                f"saved_search({n})",
                f"Saved search {n}",
                id=f"saved_search_{n}",
                show=False,
            )
            for n in SAVED_SEARCH_KEYS
        ),
        Binding("ctrl+r", "rescan", "Rescan digests and state", id="rescan", show=False),
        Binding("T", "change_theme", "Choose theme", id="theme", show=False),
        Binding("ctrl+p", "command_palette", "Command palette", id="command_palette", show=False),
    ]

    #: Help and palette sections: (title, binding ids).
    SECTIONS: ClassVar[list[tuple[str, tuple[str, ...]]]] = [
        (
            "Moving",
            (
                "list.down",
                "list.up",
                "list.first",
                "list.last",
                "list.page_down",
                "list.page_up",
                "list.half_down",
                "list.half_up",
                "next_day",
                "previous_day",
                "next_unread",
                "previous_unread",
                "list.detail",
            ),
        ),
        (
            "Marks",
            ("star", "toggle_read", "mark_all_read", "undo_mark_all", "tag", "edit_note"),
        ),
        (
            "Views and filter",
            (
                "view_all",
                "view_unread",
                "view_starred",
                "view_watched",
                "sort",
                "filter",
                "clear_filter",
                "filter.clear",
                "filter.leave",
                "save_search",
                *(f"saved_search_{n}" for n in SAVED_SEARCH_KEYS),
            ),
        ),
        ("Links", ("open_pdf", "open_abstract", "copy_link", "copy_bibtex", "download_pdf")),
        (
            "Detail pane",
            (
                "detail.down",
                "detail.up",
                "detail.top",
                "detail.bottom",
                "detail.page_down",
                "detail.page_up",
                "detail.back",
            ),
        ),
        ("App", ("help", "command_palette", "rescan", "theme", "quit")),
    ]

    def __init__(
        self,
        library: Library,
        state: StateStore,
        *,
        config: Config | None = None,
        config_file: Path | None = None,
        roots: Sequence[Path] = (),
        is_sample: bool = False,
        sample_path: Path | None = None,
        opener: Opener | None = None,
        scan_on_start: bool = True,
        state_poll_interval: float | None = 3.0,
        watch_interval: float | None = None,
        searches: SavedSearches | None = None,
    ) -> None:
        self.config = config or Config()
        self.library = library
        self.library.watch = self.config.watch
        self.state = state
        self.config_file = config_file
        self.roots = list(roots)
        self.is_sample = is_sample
        self.sample_path = sample_path
        # Worker processes for parsing need multiprocessing's fork server
        # started before the app runs (see _start_process_helpers); without it
        # scans parse in this process.
        self.scan_workers: int | None = 1
        self._opener = opener
        self._scan_on_start = scan_on_start
        self._state_poll_interval = state_poll_interval
        #: Seconds between checks of the folders for new digests (0: never).
        self.watch_interval = (
            self.config.watch_interval if watch_interval is None else watch_interval
        )
        self._searches = searches
        self.marks = MarkSets()
        self.view = "all"
        self.sort = self.config.sort if self.config.sort in SORTS else "digest"
        self._download: str | None = None  # what the header says of a running download
        self._download_cancel = threading.Event()  # set when the reader closes
        self._cursor_chosen = False  # the user has moved the cursor since the start
        self._watch_timer: Timer | None = None
        self.filter_text = ""
        self._query: Query = parse_query("")
        self._search_gen = 0
        self._count_gen = 0
        self._result: SearchResult | None = None
        self._partial = False  # _result is only the first screen of a search
        self._exit_after_next_result = False
        self._counts: tuple[int | None, int | None] = (None, None)
        self._current_pid: int | None = None
        self._anchor_pid: int | None = None
        self._current_paper: Paper | None = None
        self._read_timer: Timer | None = None
        self._undo: dict[str, bool] | None = None
        self._pending_jump: int | None = None
        self._scanning = False
        self._scan_progress = ""
        self._scanned_once = False
        self._reader_closing = False
        self._state_version = -1
        self._saved_theme: str | None = None
        self._first_run_shown = False
        self._signals_installed = False
        self._theme_timer: Timer | None = None
        super().__init__()

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        yield FilterBar(id="filter-bar")
        with Horizontal(id="main"):
            yield PaperList(self.library.rows, self.marks, id="paper-list")
            with DetailScroll(id="detail-scroll"):
                yield PaperDetail(id="detail")
        yield Footer(id="footer")

    @property
    def paper_list(self) -> PaperList:
        return self.query_one("#paper-list", PaperList)

    @property
    def detail(self) -> PaperDetail:
        return self.query_one("#detail", PaperDetail)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one("#filter-bar", FilterBar)

    def on_mount(self) -> None:
        for problem in self.config.problems:
            self.notify(one_line(problem), severity="warning", markup=False, timeout=8)
        self._apply_keymap()
        self._apply_theme()
        self._load_marks()
        self._focus_now(self.paper_list)
        self.paper_list.empty_message = "Loading…"
        self._install_signal_handlers()
        if self.state.readonly:
            self.notify(
                f"Marks cannot be saved: {self.state.readonly_reason or 'read-only'}",
                severity="warning",
                markup=False,
                timeout=10,
            )
        # The first screen of the list is read first; the check of the folders
        # for new digests (mostly stat calls, which release the GIL) then runs
        # beside the first paint.
        self._first_search()
        if self._scan_on_start:
            self._start_scan(announce=False)
        if self._state_poll_interval:
            self.set_interval(self._state_poll_interval, self._poll_state)
        if self.watch_interval and self.watch_interval > 0:
            self._watch_timer = self.set_interval(self.watch_interval, self._watch_folders)
        # Watched and noted papers are looked up once the list is on screen.
        self.call_after_refresh(self._refresh_marked_pids)

    def _install_signal_handlers(self) -> None:
        """A hang-up (closed terminal, dropped SSH) or TERM exits cleanly.

        Marks are committed as they are made, so nothing is lost either way;
        this just lets the app close its stores instead of dying mid-write.
        """
        if threading.current_thread() is not threading.main_thread():
            return
        try:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGHUP, signal.SIGTERM):
                loop.add_signal_handler(sig, self._on_hangup, sig)
            self._signals_installed = True
        except (NotImplementedError, RuntimeError, ValueError, AttributeError):
            pass

    def _on_hangup(self, sig: int) -> None:
        self._reader_closing = True
        # If the terminal is gone, shutting down may block on it: do not wait long.
        timer = threading.Timer(3.0, os._exit, (128 + int(sig),))
        timer.daemon = True
        timer.start()
        self.exit(128 + int(sig))

    def _apply_keymap(self) -> None:
        known = set(self.all_binding_ids())
        keymap: dict[str, str] = {}
        for binding_id, keys in self.config.keys.items():
            if binding_id in known:
                keymap[binding_id] = keys
            else:
                self.notify(
                    f"[keys] {binding_id!r} is not a key binding id; ignored (see ? for ids)",
                    severity="warning",
                    markup=False,
                    timeout=8,
                )
        if keymap:
            self.set_keymap(keymap)
        filter_keys = keymap.get("filter")
        if filter_keys:
            self.paper_list.filter_keys = frozenset(
                k.strip() for k in filter_keys.split(",") if k.strip()
            )

    def _apply_theme(self) -> None:
        wanted = self.config.theme
        if wanted:
            if wanted in self.available_themes:
                self.theme = wanted
            else:
                self.notify(
                    f"theme {wanted!r} is not known; using {self.theme}",
                    severity="warning",
                    markup=False,
                )
        self._saved_theme = self.theme
        self.theme_changed_signal.subscribe(self, self._on_theme_changed)

    def _on_theme_changed(self, theme: Theme) -> None:
        # The theme picker previews themes as the user moves through them:
        # save the one they stay with, a moment later (or on quitting).
        if self._theme_timer is not None:
            self._theme_timer.stop()
        self._theme_timer = self.set_timer(THEME_SAVE_DELAY, self._save_theme_soon)

    def _save_theme_soon(self) -> None:
        self._theme_timer = None
        name = self.theme
        if name != self._saved_theme and self.config_file is not None:
            self._saved_theme = name
            self._save_theme_worker(name)

    def _save_theme_now(self) -> None:
        """On quitting: keep a theme chosen in the last moment too."""
        if self._theme_timer is not None:
            self._theme_timer.stop()
            self._theme_timer = None
        name = self.theme
        if name != self._saved_theme and self.config_file is not None:
            self._saved_theme = name
            self._save_theme_file(name)

    @work(thread=True, group="config", exit_on_error=False)
    def _save_theme_worker(self, name: str) -> None:
        self._save_theme_file(name, from_thread=True)

    def _save_theme_file(self, name: str, *, from_thread: bool = False) -> None:
        assert self.config_file is not None
        try:
            save_setting_theme(self.config_file, name)
        except OSError as exc:
            message = f"cannot save the theme in {self.config_file}: {exc.strerror or exc}"
            if from_thread:
                self._from_thread(self.notify, message, severity="error", markup=False)
            else:
                self.notify(message, severity="error", markup=False)

    # ------------------------------------------------------------------ bindings

    def _all_bindings(self) -> Iterable[tuple[Binding, str]]:
        """Every binding of the reader and where it acts: app, list, detail, filter."""
        sources: list[tuple[str, list[BindingType]]] = [
            ("app", list(self.BINDINGS)),
            ("list", list(PaperList.BINDINGS)),
            ("detail", list(DetailScroll.BINDINGS)),
            ("filter", list(FilterBar.BINDINGS)),
            ("screen", list(HelpScreen.BINDINGS)),
            ("screen", list(FirstRunScreen.BINDINGS)),
            ("screen", list(ConfirmScreen.BINDINGS)),
        ]
        for target, bindings in sources:
            for binding in bindings:
                if isinstance(binding, Binding) and binding.id:
                    yield binding, target

    def all_binding_ids(self) -> list[str]:
        return [b.id for b, _ in self._all_bindings() if b.id]

    def key_display(self, binding: Binding) -> str:
        keymap: dict[str, str] = getattr(self, "_keymap", {})
        keys = keymap.get(binding.id or "", binding.key)
        shown = []
        for key in keys.split(","):
            key = key.strip()
            if key:
                shown.append(self.get_key_display(Binding(key, binding.action)))
        return " ".join(shown)

    def help_sections(self) -> list[tuple[str, list[KeyHelp]]]:
        by_id = {b.id: b for b, _ in self._all_bindings()}
        sections: list[tuple[str, list[KeyHelp]]] = []
        for title, ids in self.SECTIONS:
            rows = []
            for binding_id in ids:
                binding = by_id.get(binding_id)
                if binding is not None:
                    rows.append(KeyHelp(self.key_display(binding), binding.description, binding_id))
            sections.append((title, rows))
        return sections

    def palette_actions(self) -> list[tuple[KeyHelp, str]]:
        """Every action for the command palette (all but the palette itself)."""
        return [
            (row, title)
            for title, rows in self.help_sections()
            for row in rows
            if row.binding_id != "command_palette"
        ]

    def run_binding(self, binding_id: str) -> None:
        """Run the action of a binding, on the pane it belongs to (command palette)."""
        for binding, target in self._all_bindings():
            if binding.id != binding_id:
                continue
            namespace: object = self
            if target == "list":
                namespace = self.paper_list
            elif target == "detail":
                namespace = self.query_one("#detail-scroll", DetailScroll)
            elif target == "filter":
                namespace = self.filter_bar
            self.call_later(self.run_action, binding.action, namespace)
            return

    #: What the app's keys may do while another screen is on top.
    _OTHER_SCREEN_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {"quit", "command_palette", "change_theme"}
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        screen = self.screen
        if isinstance(screen, (HelpScreen, ConfirmScreen, FirstRunScreen, PromptScreen)):
            if action == "rescan":
                return isinstance(screen, FirstRunScreen)
            return action in self._OTHER_SCREEN_ACTIONS
        return True

    # ------------------------------------------------------------------ marks

    def _load_marks(self) -> None:
        try:
            self._state_version = self.state.data_version()
            read = self.state.ids_where(read=True)
            starred = self.state.ids_where(starred=True)
            tagged: dict[str, set[str]] = {}
            for tag in dict(self.state.all_tags()):
                for paper_id in self.state.ids_with_tag(tag):
                    tagged.setdefault(paper_id, set()).add(tag)
        except StateError as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False)
            return
        self.marks.read = read
        self.marks.starred = starred
        self.marks.tags = {}
        for paper_id, tags in tagged.items():
            self.marks.set_tags(paper_id, tags)

    def _poll_state(self) -> None:
        """Pick up marks another digest-tui (or `digest-tui mark`) saved."""
        try:
            version = self.state.data_version()
        except StateError:
            return
        if version != self._state_version:
            self._reload_marks()

    def _reload_marks(self) -> None:
        self._load_marks()
        self.paper_list.refresh()
        self._refresh_detail_marks()
        self._refresh_detail_user()
        self._request_counts()
        self._refresh_marked_pids()

    def _refresh_marked_pids(self) -> None:
        """Find the papers on the watch list and those with a note, for the list."""
        self._marked_pids_worker(bool(self.config.watch))

    @work(thread=True, exclusive=True, group="marked", exit_on_error=False)
    def _marked_pids_worker(self, watching: bool) -> None:
        try:
            watched = set(self.library.search("is:watched").pids) if watching else set()
            noted = set(self.library.search("is:noted").pids)
        except Exception:  # the list then just shows no markers
            return
        if not self._reader_closing:
            self._from_thread(self._apply_marked_pids, watched, noted)

    def _apply_marked_pids(self, watched: set[int], noted: set[int]) -> None:
        if (watched, noted) == (self.marks.watched, self.marks.noted):
            return
        new_watched = watched != self.marks.watched
        self.marks.watched = watched
        self.marks.noted = noted
        self.paper_list.refresh()
        if new_watched and not self._cursor_chosen and self._pending_jump is None:
            # A day's digest starts with what the user follows.
            paper_list = self.paper_list
            if len(paper_list.pids):
                paper_list.move_to(paper_list.first_unread_index(), by_user=False)
        paper = self._current_paper
        if paper is not None and self._current_pid is not None:
            self.detail.watched = self._current_pid in watched
            self.detail.refresh(layout=True)

    def _refresh_detail_user(self) -> None:
        """Show the current paper's tags and note as the state has them now."""
        paper = self._current_paper
        if paper is None:
            return
        try:
            note = self.state.get(paper.id).note
        except StateError:
            note = None
        self.detail.set_user(tags=self.marks.tags_of(paper.id), note=note)

    def _note_own_write(self) -> None:
        try:
            self._state_version = self.state.data_version()
        except StateError:
            pass

    def _refresh_detail_marks(self) -> None:
        paper = self._current_paper
        if paper is not None:
            self.detail.set_marks(
                read=self.marks.is_read(paper.id), starred=self.marks.is_starred(paper.id)
            )

    def _set_mark(
        self, paper: Paper, *, read: bool | None = None, starred: bool | None = None
    ) -> bool:
        """Save a mark; True when it was saved."""
        was_read = self.marks.is_read(paper.id)
        was_starred = self.marks.is_starred(paper.id)
        try:
            if read is not None and read != was_read:
                self.state.set_read(paper.id, read)
            if starred is not None and starred != was_starred:
                self.state.set_starred(paper.id, starred)
        except StateError as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False, timeout=8)
            return False
        self._note_own_write()
        unread, starred_count = self._counts
        if read is not None and read != was_read:
            self.marks.set_read(paper.id, read)
            if unread is not None:
                unread += -1 if read else 1
        if starred is not None and starred != was_starred:
            self.marks.set_starred(paper.id, starred)
            if starred_count is not None:
                starred_count += 1 if starred else -1
        self._counts = (unread, starred_count)
        pid = self._current_pid
        if pid is not None:
            self.paper_list.refresh_pid(pid)
        self._refresh_detail_marks()
        self._update_header()
        return True

    def action_star(self) -> None:
        paper = self._sync_current()
        if paper is None:
            return
        self._set_mark(paper, starred=not self.marks.is_starred(paper.id))

    def action_toggle_read(self) -> None:
        paper = self._sync_current()
        if paper is None:
            return
        self._stop_read_timer()  # the user decides now
        self._set_mark(paper, read=not self.marks.is_read(paper.id))

    def _stop_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.stop()
            self._read_timer = None

    def _start_read_timer(self, pid: int) -> None:
        self._stop_read_timer()
        delay = self.config.mark_read_delay
        if delay < 0:
            return
        if delay == 0:
            self._auto_read(pid)
            return
        self._read_timer = self.set_timer(delay, partial(self._auto_read, pid))

    def _auto_read(self, pid: int) -> None:
        self._read_timer = None
        paper = self._current_paper
        if pid != self._current_pid or paper is None or self.marks.is_read(paper.id):
            return
        if self.state.readonly:
            return
        self._set_mark(paper, read=True)

    def action_mark_all_read(self) -> None:
        result = self._result
        if result is None or not len(result):
            self.notify("No papers in this view.", markup=False)
            return
        count = len(result)
        unread = self._counts[0]
        detail = f"{VIEWS[self.view][0]} view"
        if self.filter_text:
            detail += f", filter: {one_line(self.filter_text)}"
        if unread is not None:
            detail += f" ({unread:,} unread)"
        detail += ". Press u afterwards to undo."

        partial = self._partial
        query = self._query

        def answered(yes: bool | None) -> None:
            if yes:
                # A list still showing only its first screen is read in full.
                self._mark_all_worker(None if partial else result.pids, query)

        title = (
            "Mark every paper in this view read?"
            if partial
            else f"Mark all {count:,} paper{'s' if count != 1 else ''} read?"
        )
        self.push_screen(ConfirmScreen(title, detail), answered)

    @work(thread=True, group="marks", exit_on_error=False)
    def _mark_all_worker(self, pids: Sequence[int] | None, query: Query) -> None:
        if pids is None:
            pids = self.library.search(query).pids
        ids: list[str] = []
        chunk = 2000
        for start in range(0, len(pids), chunk):
            part = list(pids[start : start + chunk])
            rows = self.library.rows(part)
            ids.extend(rows[p].id for p in part if p in rows)
        try:
            previous = self.state.set_read_many(ids, True)
        except StateError as exc:
            self._from_thread(self.notify, one_line(str(exc)), severity="error", markup=False)
            return
        changed = {pid: False for pid, was in previous.items() if not was}
        self._from_thread(self._after_mark_all, changed)

    def _after_mark_all(self, changed: dict[str, bool]) -> None:
        self._note_own_write()
        self._stop_read_timer()
        self._undo = changed
        self.marks.read.update(changed)
        self.paper_list.refresh()
        self._refresh_detail_marks()
        self._request_counts()
        n = len(changed)
        self.notify(
            f"Marked {n:,} paper{'s' if n != 1 else ''} read. Press u to undo.", markup=False
        )

    def action_undo_mark_all(self) -> None:
        undo = self._undo
        if not undo:
            self.notify("Nothing to undo.", markup=False)
            return
        try:
            self.state.restore_read(undo)
        except StateError as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False)
            return
        self._note_own_write()
        self._undo = None
        for paper_id, value in undo.items():
            self.marks.set_read(paper_id, value)
        self.paper_list.refresh()
        self._refresh_detail_marks()
        self._request_counts()
        n = len(undo)
        self.notify(f"Undone: {n:,} paper{'s' if n != 1 else ''} unread again.", markup=False)

    # ------------------------------------------------------------------ searching

    def _view_query(self, *, typing: bool = False) -> Query | None:
        try:
            query = parse_query(self.filter_text, typing=typing)
        except QueryError as exc:
            self.filter_bar.show_error(str(exc))
            return None
        self.filter_bar.show_error(None)
        extra = VIEWS[self.view][1]
        return query.with_terms(extra) if extra else query

    def _request_search(
        self, *, first: bool = False, keep_pid: int | None = None, typing: bool = False
    ) -> None:
        query = self._view_query(typing=typing)
        if query is None:
            return
        self._query = query
        self._search_gen += 1
        if keep_pid is None:
            keep_pid = (
                self._pending_jump
                if self._pending_jump is not None
                else (self._anchor_pid if self._anchor_pid is not None else self._current_pid)
            )
        self._search_worker(query, self._search_gen, keep_pid, first, TYPING_PAUSE if typing else 0)

    def _first_search(self) -> None:
        """The first screen of the list, read before the first paint.

        It is one bounded read of an index (the first rows in display order,
        about a millisecond at any size), so the reader opens with its list
        instead of painting an empty screen first; the whole list follows in
        a worker.
        """
        query = self._view_query()
        if query is None:
            return
        self._query = query
        self._search_gen += 1
        try:
            page = self.library.search(query, limit=FIRST_PAGE, sort=self.sort)
        except Exception:
            self._search_worker(query, self._search_gen, None, True, 0)
            return
        complete = len(page) < FIRST_PAGE
        self._apply_result(self._search_gen, page, None, True, not complete)
        if not complete:
            self._search_worker(query, self._search_gen, None, True, 0, whole_only=True)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search_worker(
        self,
        query: Query,
        gen: int,
        keep_pid: int | None,
        first: bool,
        pause: float,
        *,
        whole_only: bool = False,
    ) -> None:
        # Two steps: the first screen at once (the index reads matches in
        # display order and stops), then, once typing pauses, the whole list.
        sort = self.sort
        try:
            if not whole_only:
                page = self.library.search(query, limit=FIRST_PAGE, sort=sort)
                if gen != self._search_gen or self._reader_closing:
                    return
                complete = len(page) < FIRST_PAGE
                self._from_thread(self._apply_result, gen, page, keep_pid, first, not complete)
                if complete:
                    return
            if pause:
                time.sleep(pause)  # only the query the user pauses on is run in full
                if gen != self._search_gen:
                    return
            result = self.library.search(query, sort=sort)
        except (QueryError, LibraryError) as exc:
            self._from_thread(self._search_failed, gen, str(exc))
            return
        except Exception as exc:  # sqlite errors: the index is a cache, say so
            self._from_thread(self._search_failed, gen, f"search failed: {exc}")
            return
        if gen != self._search_gen or self._reader_closing:
            return
        self._from_thread(self._apply_result, gen, result, keep_pid, first, False)

    def _search_failed(self, gen: int, message: str) -> None:
        if gen == self._search_gen:
            self.filter_bar.show_error(message)

    def _apply_result(
        self,
        gen: int,
        result: SearchResult,
        keep_pid: int | None,
        first: bool,
        partial: bool = False,
    ) -> None:
        if gen != self._search_gen:
            return
        self._result = result
        self._partial = partial
        paper_list = self.paper_list
        paper_list.empty_message = self._empty_message()
        if self._pending_jump is not None:
            keep_pid = self._pending_jump
            self._pending_jump = None
        paper_list.set_result(
            result.pids,
            result.day_starts(),
            result.date_at,
            keep_pid=keep_pid,
            first_unread=first,
        )
        self._counts = (None, None)
        self._update_header()
        if not partial:
            self._request_counts()
        if len(result) and (_EXIT_WHEN_READY == "list" or self._exit_after_next_result):
            self.call_after_refresh(self._bench_ready)

    def _empty_message(self) -> str:
        if self._scanning and self.library_is_empty():
            return f"Reading digests… {self._scan_progress}".strip()
        if self.filter_text:
            return f"No papers match “{one_line(self.filter_text)}” in this view."
        if self.view == "unread":
            return "No unread papers. Press a to see all."
        if self.view == "starred":
            return "No starred papers yet: press s on a paper to star it."
        if self.view == "watched":
            if not self.config.watch:
                return "No watch list: add authors or keywords under [watch] in the config file."
            return "No papers match the watch list. Press a to see all."
        return "No papers."

    def _detail_hint(self) -> str:
        if self.filter_text:
            return "Esc clears the filter."
        if self.view != "all":
            return "Press a to see all papers."
        return ""

    def library_is_empty(self) -> bool:
        return self._result is None or (not len(self._result) and not self.filter_text)

    def _request_counts(self) -> None:
        self._count_gen += 1
        shown = len(self._result) if self._result is not None else 0
        self._count_worker(self._query, self._count_gen, self.view, shown)

    @work(thread=True, exclusive=True, group="count", exit_on_error=False)
    def _count_worker(self, query: Query, gen: int, view: str, shown: int) -> None:
        if shown > 5000:
            time.sleep(COUNT_PAUSE)  # big lists: let quick changes settle first
            if gen != self._count_gen:
                return
        try:
            if view == "unread":
                unread = shown
            else:
                unread = self.library.count_matching(query.with_terms("is:unread"))
            if view == "starred":
                starred = shown
            else:
                starred = self.library.count_matching(query.with_terms("is:starred"))
        except Exception:
            return
        if gen != self._count_gen or self._reader_closing:
            return
        self._from_thread(self._apply_counts, gen, unread, starred)

    def _apply_counts(self, gen: int, unread: int, starred: int) -> None:
        if gen == self._count_gen:
            self._counts = (unread, starred)
            self._update_header()

    def _update_header(self) -> None:
        paper = self._current_paper
        date = self.paper_list.current_date
        category = None
        if paper is not None and paper.appearances:
            match = [a for a in paper.appearances if a.date == date]
            category = (match or paper.appearances)[0].category
        unread, starred = self._counts
        activity = ""
        if self._scanning:
            activity = f"scanning {self._scan_progress}".strip()
        if self._download:
            activity = f"{activity} · {self._download}" if activity else self._download
        self.query_one(StatusHeader).update_info(
            HeaderInfo(
                view=VIEWS[self.view][0],
                category=category,
                date=date,
                shown=len(self._result) if self._result is not None else 0,
                partial=self._partial,
                unread=unread,
                starred=starred,
                filter_text=self.filter_text,
                sort=SORT_LABELS[self.sort] if self.sort != "digest" else "",
                activity=activity,
                readonly=self.state.readonly,
                sample=self.is_sample,
            )
        )

    # ------------------------------------------------------------------ messages

    @on(FilterBar.Changed)
    def _filter_changed(self, event: FilterBar.Changed) -> None:
        if event.text == self.filter_text:
            return
        self.filter_text = event.text
        self._request_search(typing=True)

    @on(PaperList.TypeAhead)
    def _type_ahead(self, event: PaperList.TypeAhead) -> None:
        self.filter_bar.input.insert_text_at_cursor(event.text)

    @on(FilterBar.Submitted)
    def _filter_submitted(self, event: FilterBar.Submitted) -> None:
        if self._query.unfinished:  # typing is over: "title:" at the end is an error now
            self.filter_bar.show_error(self._query.unfinished)
        self._focus_now(self.paper_list)

    @on(FilterBar.Cleared)
    def _filter_cleared(self, event: FilterBar.Cleared) -> None:
        self._focus_now(self.paper_list)

    @on(DetailScroll.Back)
    def _detail_back(self, event: DetailScroll.Back) -> None:
        self._focus_now(self.paper_list)

    @on(PaperList.Selected)
    def _paper_selected(self, event: PaperList.Selected) -> None:
        self._focus_now(self.query_one("#detail-scroll", DetailScroll))

    @on(PaperList.Highlighted)
    def _paper_highlighted(self, event: PaperList.Highlighted) -> None:
        # The anchor is the paper the user chose: a filter that hides it for a
        # moment (while typing) does not lose it.
        if event.by_user or self._anchor_pid is None:
            self._anchor_pid = event.pid
        if event.by_user:
            self._cursor_chosen = True
        self._sync_current()

    def _sync_current(self) -> Paper | None:
        """Show the paper under the list's cursor, now.

        Keys are handled before the list's Highlighted messages arrive, so
        every action on "the current paper" syncs first: ``j r`` typed fast
        marks the second paper, never the first.
        """
        pid = self.paper_list.current_pid
        if pid == self._current_pid and (pid is None or self._current_paper is not None):
            self._update_header()
            return self._current_paper
        self._current_pid = pid
        self._stop_read_timer()
        paper = None
        if pid is not None:
            try:
                paper = self.library.paper(pid)
            except Exception as exc:
                self.notify(f"cannot read the paper: {exc}", severity="error", markup=False)
        self._current_paper = paper
        if paper is None:
            self.detail.set_hint(self._detail_hint() if pid is None else "Paper not found.")
            self.detail.show(None, read=False, starred=False)
        else:
            try:
                note = self.state.get(paper.id).note
            except StateError:
                note = None
            self.detail.show(
                paper,
                read=self.marks.is_read(paper.id),
                starred=self.marks.is_starred(paper.id),
                tags=self.marks.tags_of(paper.id),
                note=note,
                watched=pid in self.marks.watched,
            )
        self.query_one("#detail-scroll", DetailScroll).scroll_home(animate=False)
        self._update_header()
        if pid is not None and paper is not None:
            self._start_read_timer(pid)
        return paper

    # ------------------------------------------------------------------ actions

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_sections()))

    def _focus_now(self, widget: Widget) -> None:
        """Move focus at once, not after the keys already queued: typing ``/``
        and a query in one burst must put the whole query in the filter."""
        if widget.screen is self.screen:
            self.screen.set_focus(widget)
        else:
            widget.focus()

    def action_focus_filter(self) -> None:
        self._focus_now(self.filter_bar.input)

    def action_clear_filter(self) -> None:
        if self.filter_text:
            self.filter_bar.action_clear()
            self.filter_text = ""
            self._request_search()
        self._focus_now(self.paper_list)

    def action_view(self, name: str) -> None:
        if name not in VIEWS:
            return
        if name == self.view:
            return
        self.view = name
        self._request_search()

    def action_next_unread(self) -> None:
        if not self.paper_list.next_unread():
            self.notify("No unread papers further down.", markup=False, timeout=3)

    def action_previous_unread(self) -> None:
        if not self.paper_list.previous_unread():
            self.notify("No unread papers further up.", markup=False, timeout=3)

    def action_next_day(self) -> None:
        self.paper_list.next_day()

    def action_previous_day(self) -> None:
        self.paper_list.previous_day()

    def jump_to_pid(self, pid: int) -> None:
        """Put the cursor on a paper, widening the view if it is filtered out."""
        self._anchor_pid = pid
        result = self._result
        if result is not None:
            try:
                index = result.pids.index(pid)
            except ValueError:
                index = -1
            if index >= 0:
                self.paper_list.move_to(index)
                self._focus_now(self.paper_list)
                return
        self._pending_jump = pid
        self.view = "all"
        self.filter_text = ""
        self.filter_bar.set_text("")
        self.filter_bar.show_error(None)
        self._request_search(keep_pid=pid)
        self._focus_now(self.paper_list)

    def find_papers(self, text: str, limit: int) -> list[Row]:
        """Titles matching ``text`` (runs on a thread for the command palette)."""
        return find_papers(self.library, text, limit)

    # ------------------------------------------------------------------ links

    def _paper_url(self, kind: str) -> str | None:
        paper = self._sync_current()
        if paper is None:
            self.notify("No paper selected.", markup=False)
            return None
        url = paper.pdf_url if kind == "pdf" else paper.abs_url
        if not url or not is_web_url(url):
            what = "PDF" if kind == "pdf" else "abstract page"
            self.notify(f"This paper has no http(s) {what} link.", severity="warning", markup=False)
            return None
        return url

    def action_open_pdf(self) -> None:
        url = self._paper_url("pdf")
        if url:
            self.open_link(url)

    def action_open_abstract(self) -> None:
        url = self._paper_url("abs")
        if url:
            self.open_link(url)

    def action_copy_link(self) -> None:
        url = self._paper_url("pdf")
        if url:
            self.copy_link(url)

    def copy_link(self, url: str, *, why: str = "") -> None:
        """Copy to the user's own clipboard (OSC 52) and show the link, clickable."""
        self.copy_to_clipboard(url)
        self.notify(f"{why}Copied {_link_markup(url)}", title="Link copied", markup=True)

    def open_link(self, url: str) -> None:
        """Open with the configured opener, or copy when over SSH (start nothing)."""
        if not is_web_url(url):
            self.notify("Only http(s) links are opened.", severity="warning", markup=False)
            return
        if is_remote_session():
            self.copy_link(url, why="Over SSH nothing is started on this host. ")
            return
        self._open_worker(url)
        self.notify(f"Opening {_link_markup(url)}", markup=True, timeout=3)

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Textual's own link opening goes through the same rules."""
        self.open_link(url)

    @work(thread=True, group="open", exit_on_error=False)
    def _open_worker(self, url: str) -> None:
        opener = self._opener or partial(open_url, command=self.config.opener)
        try:
            opener(url)
        except OpenError as exc:
            self._from_thread(self.notify, one_line(str(exc)), severity="error", markup=False)

    def action_copy_bibtex(self) -> None:
        paper = self._sync_current()
        if paper is None:
            self.notify("No paper selected.", markup=False)
            return
        from digest_tui.export import bibtex_entry

        try:
            entry = bibtex_entry(paper)
        except Exception as exc:
            self.notify(f"cannot make BibTeX: {one_line(str(exc))}", severity="error", markup=False)
            return
        self.copy_to_clipboard(entry)
        self.notify(f"Copied the BibTeX entry of {one_line(paper.id)}.", markup=False)

    # ------------------------------------------------------------------ downloads

    def action_download_pdf(self) -> None:
        url = self._paper_url("pdf")
        paper = self._current_paper
        if url is None or paper is None:
            return
        if self._download is not None:
            self.notify("A download is already running.", markup=False, timeout=3)
            return
        name = pdf_filename(paper)
        self._download = f"downloading {name}"
        self._update_header()
        self._download_worker(url, Path(self.config.download_dir).expanduser(), name)

    @work(thread=True, exclusive=True, group="download", exit_on_error=False)
    def _download_worker(self, url: str, dest_dir: Path, name: str) -> None:
        from digest_tui.download import DownloadError, download

        last = 0.0

        def progress(done: int, total: int | None = None) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= 0.2 or (total is not None and done >= total):
                last = now
                self.post_message(DownloadProgress(name, done, total))

        try:
            result = download(url, dest_dir, name, progress=progress, cancel=self._download_cancel)
        except DownloadError as exc:
            if self._download_cancel.is_set():
                return
            self._from_thread(self._download_done, None, one_line(str(exc)))
            return
        except Exception as exc:
            self._from_thread(self._download_done, None, f"download failed: {one_line(str(exc))}")
            return
        self._from_thread(self._download_done, result, None)

    def on_download_progress(self, message: DownloadProgress) -> None:
        if self._download is None:
            return
        if message.total:
            percent = min(100, message.done * 100 // max(message.total, 1))
            self._download = f"downloading {message.name} {percent}%"
        else:
            self._download = f"downloading {message.name} {message.done // 1024:,} KiB"
        self._update_header()

    def _download_done(self, result: DownloadResult | None, error: str | None) -> None:
        self._download = None
        self._update_header()
        if error is not None or result is None:
            self.notify(error or "download failed", severity="error", markup=False, timeout=10)
            return
        path = result.path
        status = result.status
        what = {
            "downloaded": "Downloaded",
            "resumed": "Downloaded (resumed)",
            "exists": "Already downloaded",
        }.get(status, "Downloaded")
        self.notify(f"{what}: {_display_path(path)}", title="PDF", markup=False, timeout=8)

    # ------------------------------------------------------------------ tags and notes

    def _user_paper(self) -> Paper | None:
        """The current paper, when the user's state can be changed."""
        paper = self._sync_current()
        if paper is None:
            self.notify("No paper selected.", markup=False)
            return None
        if self.state.readonly:
            self.notify(
                f"Marks cannot be saved: {self.state.readonly_reason or 'read-only'}",
                severity="warning",
                markup=False,
            )
            return None
        return paper

    def action_tag(self) -> None:
        paper = self._user_paper()
        if paper is None:
            return
        current = self.marks.tags_of(paper.id)
        detail = Text()
        detail.append("This paper: ")
        detail.append(" ".join("#" + one_line(t) for t in current) if current else "no tags")
        try:
            others = [t for t in dict(self.state.all_tags()) if t not in current]
        except StateError:
            others = []
        if others:
            detail.append("\nYour tags: " + " ".join("#" + one_line(t) for t in others[:12]))
            if len(others) > 12:
                detail.append(" …")
        detail.append("\nTyping a tag the paper has removes it.")
        self.push_screen(
            PromptScreen(f"Tag {one_line(paper.id)}", detail, placeholder="tag (several: a b c)"),
            partial(self._tag_answered, paper),
        )

    def _tag_answered(self, paper: Paper, answer: str | None) -> None:
        if not answer:
            return
        names = [t.lstrip("#") for t in answer.replace(",", " ").split()]
        names = [t for t in names if t]
        if not names:
            return
        added: list[str] = []
        removed: list[str] = []
        mark = None
        try:
            for name in names:
                current = self.marks.tags_of(paper.id)
                if name in current:
                    mark = self.state.remove_tag(paper.id, name)
                    removed.append(name)
                else:
                    mark = self.state.add_tag(paper.id, name)
                    added.append(name)
                self.marks.set_tags(paper.id, mark.tags)
        except (StateError, ValueError) as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False, timeout=8)
        self._note_own_write()
        self._after_user_change(paper)
        said = []
        if added:
            said.append("tagged " + " ".join("#" + t for t in added))
        if removed:
            said.append("removed " + " ".join("#" + t for t in removed))
        if said:
            self.notify(f"{one_line(paper.id)}: {'; '.join(said)}.", markup=False, timeout=3)

    def _after_user_change(self, paper: Paper) -> None:
        """Redraw the paper's row and detail after its tags or note changed."""
        pid = self._current_pid
        if pid is not None:
            self.paper_list.refresh_pid(pid)
        if self._current_paper is not None and self._current_paper.id == paper.id:
            self._refresh_detail_user()

    def action_edit_note(self) -> None:
        paper = self._user_paper()
        if paper is None:
            return
        pid = self._current_pid
        try:
            current = self.state.get(paper.id).note or ""
            command = editor_command()
        except (StateError, EditorError) as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False)
            return
        self._stop_read_timer()
        try:
            with self.suspend():
                text = edit_text(current, command, note_filename(paper.id))
        except SuspendNotSupported:
            self.notify(
                "An editor cannot be started in this terminal.", severity="error", markup=False
            )
            return
        except EditorError as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False, timeout=8)
            return
        note = text.rstrip()
        if note == current.rstrip():
            self.notify("Note not changed.", markup=False, timeout=3)
            return
        try:
            self.state.set_note(paper.id, note or None)
        except (StateError, ValueError) as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False, timeout=8)
            return
        self._note_own_write()
        if pid is not None:
            if note:
                self.marks.noted.add(pid)
            else:
                self.marks.noted.discard(pid)
        self._after_user_change(paper)
        self.notify("Note saved." if note else "Note removed.", markup=False, timeout=3)

    # ------------------------------------------------------------------ saved searches

    @property
    def saved_searches(self) -> SavedSearches:
        if self._searches is None:
            from digest_tui.searches import SavedSearches

            self._searches = SavedSearches(self.state.data_dir)
            if self._searches.problem:
                self.notify(one_line(self._searches.problem), severity="warning", markup=False)
        return self._searches

    def current_query_text(self) -> str:
        """The filter and the view's terms: what brings this list back."""
        extra = VIEWS[self.view][1]
        text = self.filter_text.strip()
        if extra and extra.casefold() not in text.casefold().split():
            text = f"{text} {extra}".strip()
        return text

    def action_save_search(self) -> None:
        query = self.current_query_text()
        if not query:
            self.notify("Type a filter (/) or choose a view first.", markup=False)
            return
        detail = Text()
        detail.append("Query: ")
        detail.append(one_line(query))
        self.push_screen(
            PromptScreen("Save this search as", detail, placeholder="name"),
            partial(self._save_search_answered, query),
        )

    def _save_search_answered(self, query: str, name: str | None) -> None:
        name = one_line(name or "").strip()
        if not name:
            return
        try:
            slot = self.saved_searches.save(name, query)
        except (ValueError, OSError) as exc:
            self.notify(
                f"cannot save the search: {one_line(str(exc))}", severity="error", markup=False
            )
            return
        self.notify(f"Saved “{name}”: press {slot} to bring it back.", markup=False)

    def action_saved_search(self, slot: int) -> None:
        try:
            found = self.saved_searches.get_slot(int(slot))
        except (ValueError, OSError) as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False)
            return
        if found is None:
            self.notify(
                f"No saved search {slot} (ctrl+s saves the filter).", markup=False, timeout=3
            )
            return
        self.apply_search(found[1])

    def apply_search(self, query: str) -> None:
        """Show the papers of a saved query (in the all view)."""
        self.view = "all"
        self.filter_text = query
        self.filter_bar.set_text(query)
        self._request_search()
        self._focus_now(self.paper_list)

    def saved_search_list(self) -> list[tuple[str, str]]:
        try:
            return list(self.saved_searches.all())
        except (ValueError, OSError):
            return []

    def delete_saved_search(self, name: str) -> None:
        try:
            deleted = self.saved_searches.delete(name)
        except (ValueError, OSError) as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False)
            return
        self.notify(
            f"Deleted the saved search “{name}”." if deleted else f"No saved search “{name}”.",
            markup=False,
        )

    # ------------------------------------------------------------------ sorting and export

    def action_cycle_sort(self) -> None:
        index = SORTS.index(self.sort) if self.sort in SORTS else 0
        self.set_sort(SORTS[(index + 1) % len(SORTS)])

    def set_sort(self, sort: str) -> None:
        if sort not in SORTS or sort == self.sort:
            return
        self.sort = sort
        self._request_search()
        self.notify(f"Sorted {SORT_LABELS[sort]}.", markup=False, timeout=2)

    def export_view(self, label: str) -> None:
        """Write every paper of the view to a file (in a worker)."""
        fmt, ext = EXPORT_FORMATS[label]
        folder = self.config.export_dir
        folder = Path(folder).expanduser() if folder else Path.cwd()
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        self._export_worker(self._query, self.sort, fmt, folder / f"digest-tui-{stamp}.{ext}")

    @work(thread=True, group="export", exit_on_error=False)
    def _export_worker(self, query: Query, sort: str, fmt: str, target: Path) -> None:
        from digest_tui.export import export_papers

        try:
            pids = self.library.search(query, sort=sort).pids
            papers: list[Paper] = []
            chunk = 500
            for start in range(0, len(pids), chunk):
                papers.extend(self.library.papers(list(pids[start : start + chunk])))
            marks = self.state.get_many(p.id for p in papers)
            text = export_papers(papers, fmt, marks=marks)
            target.parent.mkdir(parents=True, exist_ok=True)
            path = target
            n = 1
            while True:
                try:
                    with open(path, "x", encoding="utf-8", newline="") as out:
                        out.write(text)
                    break
                except FileExistsError:
                    n += 1
                    path = target.with_name(f"{target.stem}-{n}{target.suffix}")
        except OSError as exc:
            message = f"cannot export: {exc.strerror or exc} ({target})"
            self._from_thread(self.notify, message, severity="error", markup=False)
            return
        except Exception as exc:
            message = f"cannot export: {one_line(str(exc))}"
            self._from_thread(self.notify, message, severity="error", markup=False)
            return
        count = len(papers)
        self._from_thread(
            self.notify,
            f"Exported {count:,} paper{'s' if count != 1 else ''} to {_display_path(path)}",
            title="Export",
            markup=False,
            timeout=8,
        )

    # ------------------------------------------------------------------ scanning

    def _watch_folders(self) -> None:
        """The timer of the watch interval: look for new digests in the background."""
        if self._scanning or self._reader_closing:
            return
        self._start_scan(announce=False)

    def action_rescan(self) -> None:
        self._reload_marks()
        self._start_scan(announce=True)

    def _start_scan(self, *, announce: bool) -> None:
        if self._scanning:
            return
        self._scanning = True
        self._scan_progress = ""
        self._update_header()
        self._scan_worker(announce)

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
    def _scan_worker(self, announce: bool) -> None:
        last = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last
            if self._reader_closing:
                raise _ScanCancelled
            now = time.monotonic()
            if total and (now - last >= 0.2 or done == total):
                last = now
                # Posted, not awaited: the scan never waits for the screen.
                self.post_message(ScanProgress(done, total))

        last_batch = 0.0
        before = 0

        def on_batch(report: ScanReport) -> None:
            # A first open shows the newest digests while older ones are indexed.
            nonlocal last_batch
            if self._reader_closing:
                raise _ScanCancelled
            now = time.monotonic()
            if report.papers_added and now - last_batch >= 1.0:
                last_batch = now
                try:
                    self.call_from_thread(self._show_partial_index, before == 0)
                except RuntimeError:
                    raise _ScanCancelled from None

        try:
            before = 0 if self.library.is_empty() else 1
            report = self.library.scan(progress, on_batch=on_batch, workers=self.scan_workers)
            after = 0 if self.library.is_empty() else 1
        except _ScanCancelled:
            return
        except Exception as exc:
            if not self._reader_closing:
                self._from_thread(self._scan_failed, one_line(str(exc)))
            return
        if not self._reader_closing:
            self._from_thread(self._after_scan, report, before, after, announce)

    def on_scan_progress(self, message: ScanProgress) -> None:
        self._show_scan_progress(message.done, message.total)

    def _show_scan_progress(self, done: int, total: int) -> None:
        self._scan_progress = f"{done:,}/{total:,} files"
        paper_list = self.paper_list
        if self.library_is_empty():
            paper_list.empty_message = self._empty_message()
            paper_list.refresh()
        self._update_header()

    def _show_partial_index(self, first: bool) -> None:
        if first or self._result is None or not len(self._result):
            self.paper_list.forget_rows()
            self._request_search(first=self._anchor_pid is None)

    def _scan_failed(self, message: str) -> None:
        self._scanning = False
        self._update_header()
        self.notify(f"Scanning failed: {message}", severity="error", markup=False, timeout=10)

    def _bench_ready(self) -> None:
        """Benchmarks: the list is on screen; say when (wall clock) and exit."""
        os.write(2, f"ready_at={time.time()!r}\n".encode())
        self.exit(0)

    def _after_scan(self, report: ScanReport, before: int, after: int, announce: bool) -> None:
        self._scanning = False
        self._scanned_once = True
        self._scan_progress = ""
        if _EXIT_WHEN_READY == "scanned":
            if report.changed or self._result is None or not len(self._result):
                self._exit_after_next_result = True
            else:
                self.call_after_refresh(self._bench_ready)
        if report.changed:
            self._refresh_marked_pids()
        if report.changed or self._result is None or not len(self._result):
            self.paper_list.forget_rows()
            self._current_paper = None
            keep = self._current_pid
            self._current_pid = None
            self._request_search(keep_pid=keep, first=before == 0)
        else:
            self.paper_list.empty_message = self._empty_message()
            self._update_header()
        if report.warnings:
            n = len(report.warnings)
            self.notify(
                f"{n} problem{'s' if n != 1 else ''} reading digests"
                " (`digest-tui check PATH` lists them).",
                severity="warning",
                markup=False,
            )
        if after == 0:
            self._show_first_run(report.files_seen)
            return
        if self._first_run_shown and isinstance(self.screen, FirstRunScreen):
            self.pop_screen()
            self._first_run_shown = False
        new = report.papers_added
        if before and new > 0:
            self.notify(f"{new:,} new paper{'s' if new != 1 else ''}.", markup=False)
        elif announce:
            if report.changed:
                self.notify("Digests updated.", markup=False)
            else:
                self.notify("No new digests.", markup=False, timeout=3)

    def _show_first_run(self, files_seen: int) -> None:
        if self._first_run_shown:
            return
        self._first_run_shown = True
        self.push_screen(
            FirstRunScreen(
                [Path(_display_path(r)) for r in self.roots],
                Path(_display_path(self.config_file)) if self.config_file else None,
                self.sample_path,
                files_seen,
            )
        )

    # ------------------------------------------------------------------ exit

    def _from_thread(
        self, callback: Callable[..., object], *args: object, **kwargs: object
    ) -> None:
        """``call_from_thread`` that does nothing once the app has gone."""
        try:
            self.call_from_thread(callback, *args, **kwargs)
        except RuntimeError:
            pass

    async def action_quit(self) -> None:
        self._reader_closing = True
        self._download_cancel.set()
        self._stop_read_timer()
        self.exit(0)

    def on_unmount(self) -> None:
        self._reader_closing = True
        self._download_cancel.set()
        self._save_theme_now()
        if self._signals_installed:
            try:
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGHUP, signal.SIGTERM):
                    loop.remove_signal_handler(sig)
            except (RuntimeError, ValueError, NotImplementedError):
                pass


def _start_process_helpers() -> None:
    """Start multiprocessing's fork server now, while ``sys.stderr`` is the terminal.

    A scan of many files parses them in worker processes.  Inside the app
    Textual replaces ``sys.stderr`` with an object whose ``fileno()`` is -1,
    and multiprocessing cannot start its helper processes from there
    ("bad value(s) in fds_to_keep"); started here, they are reused.
    """
    try:
        from multiprocessing import forkserver

        forkserver.ensure_running()
    except Exception:  # pragma: no cover - the scan then says what is wrong
        pass


def run_reader(
    *,
    roots: Sequence[Path],
    paths: Paths,
    config: Config,
    is_sample: bool = False,
    config_file: Path | None = None,
) -> int:
    """Open the stores, run the reader, close the stores; an exit code."""
    from digest_tui.library import index_path_for

    try:
        state = StateStore(paths.data_dir)
    except StateError as exc:
        print(f"digest-tui: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_STORE
    try:
        library = Library(index_path_for(paths.cache_dir, roots), roots, state_db=paths.state_db)
    except (LibraryError, OSError) as exc:
        state.close()
        print(f"digest-tui: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_STORE
    first_open = library.count() == 0
    if first_open:  # many files to parse: worker processes pay off
        _start_process_helpers()
    app = DigestApp(
        library,
        state,
        config=config,
        config_file=config_file,
        roots=roots,
        is_sample=is_sample,
        sample_path=sample_dir(),
    )
    if first_open:
        app.scan_workers = None
    try:
        value = app.run(headless=bool(_EXIT_WHEN_READY))
    finally:
        app._reader_closing = True
        state.close()
        scanning = any(w.group == "scan" and not w.is_finished for w in app.workers)
        if not scanning:
            library.close()
    return int(value if value is not None else (app.return_code or 0))
