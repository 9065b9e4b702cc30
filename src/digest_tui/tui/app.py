"""The reader: a list of papers and a detail pane, over the core.

The app only presents the core: the :class:`~digest_tui.library.Library`
finds papers, the :class:`~digest_tui.state.StateStore` keeps marks (every
change is committed before the key press returns), and the widgets post
messages up to this class, which coordinates them.
"""

from __future__ import annotations

import asyncio
import gc
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
from urllib.parse import quote, urlsplit

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.markup import escape
from textual.theme import Theme
from textual.timer import Timer
from textual.widget import Widget

from digest_tui.config import Config, Paths, sample_dir, save_setting_theme
from digest_tui.library import Library, LibraryError, Row, ScanReport, SearchResult
from digest_tui.models import Paper
from digest_tui.query import Query, QueryError, parse_query
from digest_tui.session import (
    SORT_LABELS,
    VIEWS,
    Counts,
    DayUnread,
    MarkAllPlan,
    ReadingSession,
    tag_key,
)
from digest_tui.state import StateBusyError, StateError, StateStore
from digest_tui.text import is_web_url, one_line
from digest_tui.tui.keys import APP_BINDINGS, HELP_SECTIONS
from digest_tui.tui.messages import DownloadProgress, ScanProgress
from digest_tui.tui.widgets.bars import FilterBar, HeaderInfo, StatusHeader
from digest_tui.tui.widgets.detail import DetailScroll, PaperDetail
from digest_tui.tui.widgets.key_bar import KeyBar
from digest_tui.tui.widgets.paper_list import PaperList

if TYPE_CHECKING:
    from textual.command import Provider

    from digest_tui.download import DownloadResult
    from digest_tui.searches import SavedSearches
    from digest_tui.tui.screens import KeyHelp

Opener = Callable[[str], None]
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

# Benchmarks only (benchmarks/bench.py): run headless and exit once the list is
# on screen ("list") or once the first scan's result is on screen ("scanned").
_EXIT_WHEN_READY = os.environ.get("DIGEST_TUI_EXIT_WHEN_READY", "")
#: The terminal size of benchmark runs (``benchmarks/bench.py`` gives its bare app the same).
BENCH_SIZE = (120, 36)
TYPING_PAUSE = 0.12  # seconds of quiet before a typed filter's whole list is read
FIRST_PAGE = 200  # rows found at once for each keystroke
COUNT_PAUSE = 0.25
THEME_SAVE_DELAY = 1.0
UI_WRITE_WAIT = 0.2  # seconds a mark made on screen waits for another process's lock
BUSY_RETRY_S = 600.0  # how long a worker keeps a refused mark to save it
FEATURE_DELAY = 2.0  # seconds after a scan before its new papers are featurized
UNFINISHED_PAUSE = 1.0  # seconds after the last keystroke before an unfinished term is an error


def _action_commands() -> type[Provider]:
    # The palette's providers are imported when it first opens, not at launch.
    from digest_tui.tui.commands import ActionCommands

    return ActionCommands


def _reader_commands() -> type[Provider]:
    from digest_tui.tui.commands import ReaderCommands

    return ReaderCommands


def _jump_to_paper() -> type[Provider]:
    from digest_tui.tui.commands import JumpToPaper

    return JumpToPaper


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


#: What a failed download's reason says when the network cannot be reached.
_OFFLINE_SIGNS = (
    "name or service not known",
    "temporary failure in name resolution",
    "no address associated",
    "nodename nor servname",
    "network is unreachable",
    "no route to host",
    "errno -2]",
    "errno -3]",
    "errno -5]",
)


def download_problem(name: str, url: str, reason: str) -> str:
    """One line on a failed download: the file, the host, and why, in words."""
    host = urlsplit(url).hostname or "the server"
    detail = one_line(reason).removeprefix("cannot download: ")
    if any(sign in detail.casefold() for sign in _OFFLINE_SIGNS):
        return f"cannot download {name} from {host}: the network is unreachable ({detail})"
    return f"cannot download {name} from {host}: {detail}"


def _has_browser() -> bool:
    """Whether Python's webbrowser module finds a browser to start."""
    import webbrowser

    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


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
    # The list has the focus from the start: focusing the filter first (the
    # first focusable widget) and then moving away restyled both at launch.
    AUTO_FOCUS = "#paper-list"
    COMMANDS = App.COMMANDS | {_action_commands, _reader_commands, _jump_to_paper}
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (100, "-wide"),
    ]

    BINDINGS: ClassVar[list[BindingType]] = list(APP_BINDINGS)
    SECTIONS: ClassVar[list[tuple[str, tuple[str, ...]]]] = list(HELP_SECTIONS)

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
        # A mark on the screen never waits long for another process's lock:
        # a short try here, then a worker retries (see _save_mark_later).
        state.write_wait = min(state.write_wait, UI_WRITE_WAIT)
        self.config_file = config_file
        self.roots = list(roots)
        self.is_sample = is_sample
        self.sample_path = sample_path
        # Worker processes for parsing need multiprocessing's fork server
        # started before the app runs (see _start_process_helpers); without it
        # scans parse in this process.
        self.scan_workers: int | None = 1
        #: Whether the objects alive once the marks are loaded are moved out of
        #: the cyclic garbage collector's sight (``gc.freeze``): the set of read
        #: ids holds a string a paper, and a full collection that walks a
        #: million of them stalls a key press for 0.3-0.9 s.  The command sets
        #: it; tests leave it off (a frozen test would keep its garbage).
        self.freeze_after_load = False
        #: Whether the read marks are read after the first paint (a million of
        #: them take a second on the UI thread); the papers shown meanwhile
        #: have theirs read as they are drawn.  The command sets it.
        self.read_marks_later = False
        #: Whether the command paused the cyclic garbage collector for the
        #: launch (see cli.cmd_open): it is resumed after the first paint, with
        #: what the launch built frozen out of its sight.
        self.resume_gc_after_paint = False
        self._opener = opener
        self._scan_on_start = scan_on_start
        self._state_poll_interval = state_poll_interval
        #: Seconds between checks of the folders for new digests (0: never).
        self.watch_interval = (
            self.config.watch_interval if watch_interval is None else watch_interval
        )
        self._searches = searches
        self.session = ReadingSession(library, state, sort=self.config.sort)
        self.marks = self.session.marks
        self._download: str | None = None  # what the header says of a running download
        self._download_cancel = threading.Event()  # set when the reader closes
        self._cursor_chosen = False  # the user has moved the cursor since the start
        self._watch_timer: Timer | None = None
        self._search_gen = 0
        #: Searches up to this one come from a first scan: newer digests may
        #: have arrived, so the cursor goes to the newest day's first unread.
        self._fresh_gen = 0
        self._count_gen = 0
        self._exit_after_next_result = False
        self._bench_said_ready = False
        #: The first screen has been drawn (work that can wait, waits for it).
        self._painted_once = False
        #: What waits for it: each callback once, with the arguments it was last given.
        self._after_paint: dict[Callable[..., object], tuple[object, ...]] = {}
        #: Events of workers waiting for the next paint (see _wait_for_paint).
        self._paint_waits: set[threading.Event] = set()
        self._read_timer: Timer | None = None
        self._read_timer_id: str | None = None
        self._unfinished_timer: Timer | None = None
        #: n (+1) or N (-1) pressed before the view's unread papers were known.
        self._pending_unread: int | None = None
        self._scanning = False
        self._scan_progress = ""
        self._reader_closing = False
        self._saved_theme: str | None = None
        self._first_run_shown = False
        self._signals_installed = False
        self._theme_timer: Timer | None = None
        super().__init__()

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        self._apply_breakpoints()  # before the widgets: nothing to restyle yet
        yield StatusHeader(id="header")
        yield FilterBar(id="filter-bar")
        with Horizontal(id="main"):
            yield PaperList(self._fetch_rows, self.marks, id="paper-list")
            with DetailScroll(id="detail-scroll"):
                yield PaperDetail(id="detail")
        yield KeyBar(id="footer")

    def _fetch_rows(self, pids: Sequence[int]) -> dict[int, Row]:
        """The list's rows, as of the index generation its pids were read at."""
        result = self.session.result
        rows = self.library.rows(pids, generation=result.generation if result else None)
        if not self.session.marks_complete:  # the read marks of what is drawn
            try:
                self.session.know_read([row.id for row in rows.values()])
            except StateError:
                pass  # drawn as unread until every mark is read
        return rows

    @property
    def paper_list(self) -> PaperList:
        return self.query_one("#paper-list", PaperList)

    @property
    def detail(self) -> PaperDetail:
        return self.query_one("#detail", PaperDetail)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one("#filter-bar", FilterBar)

    # The view model lives in the session; these name its parts for the UI.

    @property
    def view(self) -> str:
        return self.session.view

    @property
    def sort(self) -> str:
        return self.session.sort

    @property
    def filter_text(self) -> str:
        return self.session.filter_text

    @filter_text.setter
    def filter_text(self, text: str) -> None:
        self.session.filter_text = text

    @property
    def _result(self) -> SearchResult | None:
        return self.session.result

    @property
    def _current_paper(self) -> Paper | None:
        return self.session.current_paper

    def _apply_breakpoints(self) -> None:
        """The screen's width class (``-narrow``/``-wide``), set from the
        terminal's size before the first layout: Textual sets it at the first
        resize, after that layout, and then restyles and lays out every widget
        again."""
        width = self.size.width
        chosen = next(
            (
                name
                for least, name in sorted(self.HORIZONTAL_BREAKPOINTS, reverse=True)
                if width >= least
            ),
            None,
        )
        for _least, name in self.HORIZONTAL_BREAKPOINTS:
            self.screen.set_class(name == chosen, name)

    def on_mount(self) -> None:
        self.call_after_refresh(self._first_paint)  # first: before any work it releases
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
        if self.resume_gc_after_paint:
            self.call_after_refresh(self._resume_gc)
        # The first screen of the list is read first; the check of the folders
        # for new digests (mostly stat calls, which release the GIL) then runs
        # beside the first paint.
        self._first_search()
        if self._scan_on_start:
            if self._result is not None and len(self._result):
                # The list is on screen from the index: the check of the
                # folders waits for the first paint instead of taking the
                # GIL from it.
                self.call_after_refresh(self._start_scan, announce=False)
            else:
                self._start_scan(announce=False)
        # Timers start once the widgets they use are on screen (a slow start
        # must not let the watch timer look for a list not mounted yet).
        self.call_after_refresh(self._start_timers)
        # Watched and noted papers are looked up once the list is on screen.
        self.call_after_refresh(self._refresh_marked_ids)
        if self.config.sync_on_start and self.config.sync_repo is not None:
            self.sync_marks()

    def _start_timers(self) -> None:
        if self._reader_closing:
            return
        if self._state_poll_interval:
            self.set_interval(self._state_poll_interval, self._poll_state)
        if self.watch_interval and self.watch_interval > 0:
            self._watch_timer = self.set_interval(self.watch_interval, self._watch_folders)

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
        if not self.config.keys:
            return  # the screens' keys are not even imported at launch
        known = set(self.all_binding_ids())
        keymap: dict[str, str] = {}
        where = f" in {_display_path(self.config_file)}" if self.config_file else ""
        for binding_id, keys in self.config.keys.items():
            if binding_id in known:
                keymap[binding_id] = keys
            else:
                import difflib  # only for a mistyped key id in the config

                close = difflib.get_close_matches(binding_id, sorted(known), n=1, cutoff=0.5)
                hint = f"did you mean {close[0]!r}? " if close else ""
                self.notify(
                    one_line(
                        f"[keys]{where}: {binding_id!r} is not a key binding id;"
                        f" {hint}ignored (? lists the ids)"
                    ),
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
        from digest_tui.tui.screens import ConfirmScreen, FirstRunScreen, HelpScreen

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
        from digest_tui.tui.screens import KeyHelp

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
        # The reader's own screens say so by a class attribute: checked for
        # every key at each frame, and their modules are imported when first
        # shown, not at launch.
        if getattr(screen, "READER_SCREEN", False):
            if action == "rescan":
                return bool(getattr(screen, "ALLOWS_RESCAN", False))
            return action in self._OTHER_SCREEN_ACTIONS
        return True

    # ------------------------------------------------------------------ marks

    def _load_marks(self) -> None:
        try:
            self.session.load_marks(read=not self.read_marks_later)
        except StateError as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False)
            return
        if not self.session.marks_complete:
            self.call_after_refresh(self._read_marks_worker)
        elif self.freeze_after_load:
            gc.freeze()  # still freed by reference counting; only cycles stay

    def _after_first_paint(self, callback: Callable[..., object], *args: object) -> bool:
        """True when the first screen is drawn; else ``callback(*args)`` is
        called just after it (once, however often it is asked for before)."""
        if self._painted_once:
            return True
        self._after_paint.pop(callback, None)  # asked again: in the order last asked
        self._after_paint[callback] = args
        return False

    def _first_paint(self) -> None:
        self._painted_once = True
        self.filter_bar.mount_input()
        waiting, self._after_paint = self._after_paint, {}
        for callback, args in waiting.items():
            callback(*args)

    def _resume_gc(self) -> None:
        """The first screen is painted: collect cycles again.

        What the launch built (modules, styles, widgets) lives as long as the
        reader, so it is frozen first: later collections do not walk it.
        """
        self.resume_gc_after_paint = False
        gc.freeze()
        gc.enable()

    @work(thread=True, exclusive=True, group="marks", exit_on_error=False)
    def _read_marks_worker(self) -> None:
        try:
            seq, read = self.state.read_snapshot()
        except StateError as exc:
            self._from_thread(self.notify, one_line(str(exc)), severity="error", markup=False)
            return
        self._from_thread(self._marks_read, seq, read)

    def _marks_read(self, seq: int, read: set[str]) -> None:
        try:
            self.session.complete_marks(seq, read)
        except StateError as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False)
            return
        if self.freeze_after_load:
            gc.freeze()
        self.paper_list.refresh()
        self._refresh_detail_marks()

    def _poll_state(self) -> None:
        """Pick up marks another digest-tui (or `digest-tui mark`) saved."""
        try:
            changed = self.session.state_changed()
        except StateError:
            return
        if changed:
            self._reload_marks()

    def _reload_marks(self) -> None:
        """Read the marks changed elsewhere (only those) and show them."""
        try:
            self.session.reload_changed_marks()
        except StateError as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False)
            return
        self.paper_list.refresh()
        self._refresh_detail_marks()
        self._refresh_detail_user()
        self._request_counts()
        self._refresh_marked_ids()

    def _refresh_marked_ids(self) -> None:
        """Find the papers on the watch list and those with a note, for the list."""
        self._marked_ids_worker(bool(self.config.watch))
        self._new_versions_worker()

    @work(thread=True, exclusive=True, group="marked", exit_on_error=False)
    def _marked_ids_worker(self, watching: bool) -> None:
        try:
            watched, noted = self.session.compute_marked_ids(watching)
        except Exception:  # the list then just shows no markers
            return
        if not self._reader_closing:
            self._from_thread(self._apply_marked_ids, watched, noted)

    def _apply_marked_ids(self, watched: set[str], noted: set[str]) -> None:
        if (watched, noted) == (self.marks.watched, self.marks.noted):
            return
        new_watched = watched != self.marks.watched
        self.marks.watched = watched
        self.marks.noted = noted
        self.paper_list.refresh()
        if new_watched and not self._cursor_chosen and self.session.pending_jump is None:
            # A day's digest starts with what the user follows.
            if len(self.session):
                self.paper_list.move_to(
                    self.session.first_unread_index(), by_user=False, reveal=True
                )
                # The session follows now, not when the list's message comes:
                # a list arriving in between must keep this paper.
                self._show_current(by_user=False)
        paper = self._current_paper
        if paper is not None:
            self.detail.watched = paper.id in watched
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
            self.session.note_own_write()
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
        """Save a mark (committed before the key press returns); True when saved.

        When another process holds the state's lock past a short wait, a
        worker saves the mark as soon as the lock is let go: the screen never
        waits for it."""
        if read is not None and read == self.marks.is_read(paper.id):
            read = None
        if starred is not None and starred == self.marks.is_starred(paper.id):
            starred = None
        try:
            self.session.set_mark(paper.id, read=read, starred=starred)
        except StateBusyError:
            self.notify(
                "Marks are locked by another digest-tui: saving as soon as it lets go.",
                markup=False,
                timeout=4,
            )
            self._save_mark_later(paper, read, starred)
            return False
        except StateError as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False, timeout=8)
            return False
        self._show_mark(paper)
        return True

    def _write_mark(self, paper_id: str, read: bool | None, starred: bool | None) -> None:
        if read is not None:
            self.state.set_read(paper_id, read)
        if starred is not None:
            self.state.set_starred(paper_id, starred)

    @work(thread=True, group="marks", exit_on_error=False)
    def _save_mark_later(self, paper: Paper, read: bool | None, starred: bool | None) -> None:
        """Retry a mark another process's lock refused, off the UI thread."""
        try:
            self.state.retry_while_busy(
                partial(self._write_mark, paper.id, read, starred), timeout=BUSY_RETRY_S
            )
        except StateError as exc:
            if not self._reader_closing:
                self._from_thread(self.notify, one_line(str(exc)), severity="error", markup=False)
            return
        if not self._reader_closing:
            self._from_thread(self._mark_saved_later, paper, read, starred)

    def _mark_saved_later(self, paper: Paper, read: bool | None, starred: bool | None) -> None:
        self._note_own_write()
        self.session.apply_mark(paper.id, read=read, starred=starred)
        self._show_mark(paper)

    def _show_mark(self, paper: Paper) -> None:
        self.paper_list.refresh_id(paper.id)
        self._refresh_detail_marks()
        self._update_header()
        self._marks_changed_for_ranking()

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
        self._read_timer_id = None

    def _start_read_timer(self, paper_id: str) -> None:
        self._stop_read_timer()
        delay = self.config.mark_read_delay
        if delay < 0:
            return
        if delay == 0:
            self._auto_read(paper_id)
            return
        self._read_timer_id = paper_id
        self._read_timer = self.set_timer(delay, partial(self._auto_read, paper_id))

    def _auto_read(self, paper_id: str) -> None:
        """The user has looked at ``paper_id`` long enough: it is read.  Only
        that paper, and only while it is still the one shown."""
        self._read_timer = None
        self._read_timer_id = None
        paper = self._current_paper
        if paper is None or paper.id != paper_id or self.marks.is_read(paper_id):
            return
        if self.paper_list.cursor != self.session.index:
            return
        if self.state.readonly:
            return
        self._set_mark(paper, read=True)

    def action_mark_all_read(self) -> None:
        plan = self.session.plan_mark_all()
        if plan is None:
            self.notify("No papers in this view.", markup=False)
            return
        unread = self.session.counts.unread
        detail = f"{VIEWS[self.view][0]} view"
        if self.filter_text:
            detail += f", filter: {one_line(self.filter_text)}"
        if unread is not None:
            detail += f" ({unread:,} unread)"
        days = self.session.day_count()
        if days > 1:
            result = self._result
            assert result is not None
            newest, oldest = self.session.date_at(0), self.session.date_at(len(result) - 1)
            more = "+" if plan.partial else ""
            detail += f", {days:,}{more} digest days"
            if newest and oldest and not plan.partial:
                detail += f" ({oldest} to {newest})"
        detail += ". Press u afterwards to undo."

        def answered(yes: bool | None) -> None:
            if yes:
                self._mark_all_worker(plan)

        count = plan.count
        title = (
            "Mark every paper in this view read?"
            if plan.partial
            else f"Mark all {count:,} paper{'s' if count != 1 else ''} read?"
        )
        from digest_tui.tui.screens import ConfirmScreen

        self.push_screen(ConfirmScreen(title, detail), answered)

    def action_mark_day_read(self) -> None:
        """Mark every paper of the cursor's digest day read (u undoes it)."""
        index = self.paper_list.cursor
        plan = self.session.plan_mark_day(index)
        if plan is None:
            self.notify("No papers in this view.", markup=False)
            return
        date = self.session.date_at(index)
        self._mark_all_worker(plan, f" of {date}" if date else "")

    @work(thread=True, group="marks", exit_on_error=False)
    def _mark_all_worker(self, plan: MarkAllPlan, what: str = "") -> None:
        try:
            changed = self.session.compute_mark_all(plan, busy_timeout=BUSY_RETRY_S)
        except StateError as exc:
            self._from_thread(self.notify, one_line(str(exc)), severity="error", markup=False)
            return
        self._from_thread(self._after_mark_all, changed, what)

    def _after_mark_all(self, changed: dict[str, bool], what: str = "") -> None:
        self._stop_read_timer()
        self.session.apply_mark_all(changed)
        self._marks_changed_for_ranking()
        self.paper_list.refresh()
        self._refresh_detail_marks()
        self._request_counts()
        n = len(changed)
        self.notify(
            f"Marked {n:,} paper{'s' if n != 1 else ''}{what} read. Press u to undo.",
            markup=False,
        )

    def action_undo_mark_all(self) -> None:
        try:
            n = self.session.undo_mark_all()
        except StateError as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False)
            return
        if not n:
            self.notify("Nothing to undo.", markup=False)
            return
        self.paper_list.refresh()
        self._refresh_detail_marks()
        self._request_counts()
        self.notify(f"Undone: {n:,} paper{'s' if n != 1 else ''} unread again.", markup=False)

    # ------------------------------------------------------------------ searching

    def _view_query(self, *, typing: bool = False) -> Query | None:
        try:
            query = self.session.view_query(typing=typing)
        except QueryError as exc:
            self.filter_bar.show_error(str(exc))
            return None
        self.filter_bar.show_error(None)
        return query

    def _request_search(self, *, first: bool = False, typing: bool = False) -> None:
        """Read the view again; the cursor stays on its paper (by arXiv id)."""
        query = self._view_query(typing=typing)
        if query is None:
            return
        self.session.query = query
        self._search_gen += 1
        if self._unfinished_timer is not None:
            self._unfinished_timer.stop()
            self._unfinished_timer = None
        if typing and query.unfinished:
            # It may still be finished; once the user pauses it is an error.
            self._unfinished_timer = self.set_timer(UNFINISHED_PAUSE, self._show_unfinished)
        derived = self.session.take_derived(query)
        if derived is not None:  # shown at once; the index's answer follows if need be
            result, exact = derived
            self._apply_result(self._search_gen, result, first, False, counts=exact)
            if not exact:
                self._search_worker(query, self._search_gen, first, 0, whole_only=True)
            return
        self._search_worker(query, self._search_gen, first, TYPING_PAUSE if typing else 0)

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
        self.session.query = query
        self._search_gen += 1
        try:
            page = self.session.search(query, limit=FIRST_PAGE)
        except Exception:
            self._search_worker(query, self._search_gen, True, 0)
            return
        complete = len(page) < FIRST_PAGE
        self._apply_result(self._search_gen, page, True, not complete)
        # The paper under the cursor is shown in the same first layout, not
        # after the list's Highlighted message has come round (a second
        # layout of the whole screen before the first screen is complete).
        self._show_current(by_user=False)
        if not complete:
            # The worker starts once the first screen is drawn: its thread (and
            # its pool, the first of the app) would otherwise be made before it.
            self._after_first_paint(self._whole_list_after_paint, query, self._search_gen)

    def _whole_list_after_paint(self, query: Query, gen: int) -> None:
        self._search_worker(query, gen, True, 0, whole_only=True, painted=True)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search_worker(
        self,
        query: Query,
        gen: int,
        first: bool,
        pause: float,
        *,
        whole_only: bool = False,
        painted: bool = False,
    ) -> None:
        # Two steps: the first screen at once (the index reads matches in
        # display order and stops), then, once typing pauses, the whole list.
        session = self.session
        try:
            if not whole_only:
                page = session.search(query, limit=FIRST_PAGE)
                if gen != self._search_gen or self._reader_closing:
                    return
                complete = len(page) < FIRST_PAGE
                self._from_thread(self._apply_result, gen, page, first, not complete)
                if complete:
                    return
            # Reading the whole list holds the GIL for a while: let the first
            # screen be drawn before it, not beside it.
            if not painted:
                self._wait_for_paint()
            if gen != self._search_gen or self._reader_closing:
                return
            if pause:
                time.sleep(pause)  # only the query the user pauses on is run in full
                if gen != self._search_gen:
                    return
            result = session.search(query)
        except (QueryError, LibraryError) as exc:
            self._from_thread(self._search_failed, gen, str(exc))
            return
        except Exception as exc:  # sqlite errors: the index is a cache, say so
            if not self._reader_closing:  # else stopped by interrupt_reads
                self._from_thread(self._search_failed, gen, f"search failed: {exc}")
            return
        if gen != self._search_gen or self._reader_closing:
            return
        self._from_thread(self._apply_result, gen, result, first, False)

    @work(thread=True, exclusive=True, group="order", exit_on_error=False)
    def _prefetch_order(self, sort: str, generation: int) -> None:
        """Read every paper in the order ``z`` goes to next, after the list is
        drawn and the counts are in, so that ``z`` shows it at once."""
        time.sleep(COUNT_PAUSE * 2)
        if self._reader_closing or self.library.generation() != generation:
            return
        try:
            order = self.library.search(parse_query(""), sort=sort)
        except Exception:
            return
        if order.generation == generation and not self._reader_closing:
            self._from_thread(self._keep_prefetched_order, order)

    def _keep_prefetched_order(self, order: SearchResult) -> None:
        if self.session.view == "all":  # (the session keeps orders of all papers only)
            self.session.keep_order(order)

    def _wait_for_paint(self, timeout: float = 0.25) -> None:
        """In a worker: until the screen has been drawn once more (or
        ``timeout``, or the reader closing: see :meth:`_release_workers`)."""
        if self._reader_closing:
            return
        painted = threading.Event()
        self._paint_waits.add(painted)
        try:
            self._from_thread(self.call_after_refresh, painted.set)
            painted.wait(timeout)
        finally:
            self._paint_waits.discard(painted)

    def _release_workers(self) -> None:
        """The reader is closing: workers waiting for a paint go on (to find
        it closing), and queries under way on the index stop.  Otherwise a
        worker listing a million papers holds the exit for half a second."""
        self._reader_closing = True
        for painted in list(self._paint_waits):
            painted.set()
        self.library.interrupt_reads()

    def _search_failed(self, gen: int, message: str) -> None:
        if gen == self._search_gen:
            self.filter_bar.show_error(message)

    def _apply_result(
        self,
        gen: int,
        result: SearchResult,
        first: bool,
        partial: bool = False,
        *,
        counts: bool = True,
    ) -> None:
        if gen != self._search_gen:
            return
        fresh = first and gen <= self._fresh_gen and not self._cursor_chosen
        index = self.session.apply_result(result, partial=partial, first=first, fresh=fresh)
        paper_list = self.paper_list
        paper_list.empty_message = self._empty_message()
        highlights = self.session.highlights()
        paper_list.set_highlights(highlights)
        if highlights != self.detail.highlights:
            self.detail.highlights = highlights
            self.detail.refresh(layout=True)
        paper_list.day_unread = self.session.day_unread
        paper_list.set_result(
            result.pids,
            self.session.day_starts(),
            self.session.date_at,
            index,
            reveal=first and not self._cursor_chosen,
        )
        self._update_header()
        if not partial and counts:
            self._request_counts()
        if not partial:
            self.session.keep_order(result)
            sort = self.session.order_to_prefetch()
            if sort is not None:
                # Its thread (the app's first, with its pool) waits for the first paint.
                if self._after_first_paint(self._prefetch_order, sort, result.generation):
                    self._prefetch_order(sort, result.generation)
        if len(result) and (_EXIT_WHEN_READY == "list" or self._exit_after_next_result):
            # Through the list's own queue: the app's may hold other messages,
            # which would put the callback after a later refresh.
            self.paper_list.call_after_refresh(self._bench_ready)

    def _empty_message(self) -> str:
        if self._scanning and self.library_is_empty():
            return f"Reading digests… {self._scan_progress}".strip()
        ranked = self._ranked_empty_message()
        if ranked:
            return ranked
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
        # The counts (the header's, the day separators') come just after the
        # first screen, not beside it: the worker's own connection to the
        # index and its query would share the GIL with the first paint.
        if not self._after_first_paint(self._request_counts):
            return
        self._count_gen += 1
        # Unread papers per digest day, for the day separators (digest order only).
        days = self.session.day_count() > 1
        self._count_worker(
            self.session.query,
            self._count_gen,
            self.view,
            len(self.session),
            self.session.read_seq,
            days=days,
        )

    @work(thread=True, exclusive=True, group="count", exit_on_error=False)
    def _count_worker(
        self, query: Query, gen: int, view: str, shown: int, seq: int, *, days: bool = False
    ) -> None:
        if shown > 5000:
            time.sleep(COUNT_PAUSE)  # big lists: let quick changes settle first
            if gen != self._count_gen:
                return
        try:
            # The unread papers first: n/N, the day separators and the unread
            # count are all answered from this one query.
            unread = self.session.compute_day_unread(query, seq)
            counts = self.session.compute_counts(query, view, shown, unread=len(unread.pids))
        except Exception:
            return
        if gen != self._count_gen or self._reader_closing:
            return
        self._from_thread(self._apply_counts, gen, counts, unread, days)

    def _apply_counts(self, gen: int, counts: Counts, unread: DayUnread, days: bool) -> None:
        if gen == self._count_gen:
            self.session.counts = counts
            known = self.session.apply_day_unread(unread)
            if known and days:
                self.paper_list.refresh()
            self._update_header()
            step, self._pending_unread = self._pending_unread, None
            if step is not None and known:
                self._move_to_unread(step)

    def _update_header(self) -> None:
        paper = self._current_paper
        date = self.paper_list.current_date
        category = None
        if paper is not None and paper.appearances:
            match = [a for a in paper.appearances if a.date == date]
            category = (match or paper.appearances)[0].category
        unread, starred = self.session.counts.unread, self.session.counts.starred
        activity = ""
        if self._scanning:
            activity = f"scanning {self._scan_progress}".strip()
        if self._download:
            activity = f"{activity} · {self._download}" if activity else self._download
        self.query_one(StatusHeader).update_info(
            HeaderInfo(
                view=self.session.view_label(),
                category=category,
                date=date,
                shown=len(self.session),
                partial=self.session.partial,
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
    async def _type_ahead(self, event: PaperList.TypeAhead) -> None:
        field = await self.filter_bar.ready_input()
        field.insert_text_at_cursor(event.text)

    @on(FilterBar.Submitted)
    def _filter_submitted(self, event: FilterBar.Submitted) -> None:
        self._show_unfinished()  # typing is over: "title:" at the end is an error now
        self._focus_now(self.paper_list)

    def _show_unfinished(self) -> None:
        """Show an unfinished last term as the error it is once typing stopped."""
        self._unfinished_timer = None
        unfinished = self.session.query.unfinished
        if unfinished:
            self.filter_bar.show_error(unfinished)

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
        if event.by_user:
            self._cursor_chosen = True
        self._show_current(by_user=event.by_user)

    def _sync_current(self) -> Paper | None:
        """Show the paper under the list's cursor, now.

        Keys are handled before the list's Highlighted messages arrive, so
        every action on "the current paper" syncs first: ``j r`` typed fast
        marks the second paper, never the first.
        """
        return self._show_current(by_user=False)

    def _show_current(self, *, by_user: bool) -> Paper | None:
        session = self.session
        index = self.paper_list.cursor
        before = session.current_id
        known = session.current_paper is not None
        try:
            paper = session.move(index, by_user=by_user)
        except Exception as exc:
            self.notify(f"cannot read the paper: {exc}", severity="error", markup=False)
            paper = None
        same_paper = session.current_id == before
        if same_paper and (paper is not None) == known and index >= 0:
            self._update_header()
            return paper
        if not same_paper:
            self._stop_read_timer()
        if paper is None:
            self.detail.set_hint(self._detail_hint() if index < 0 else "Paper not found.")
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
                watched=paper.id in self.marks.watched,
            )
        self.query_one("#detail-scroll", DetailScroll).scroll_home(animate=False)
        self._update_header()
        if paper is not None and not same_paper:
            # Only a paper the cursor came to starts the read timer: the same
            # paper shown again (a rescan) does not, nor does one it left.
            self._start_read_timer(paper.id)
        return paper

    # ------------------------------------------------------------------ actions

    def action_help(self) -> None:
        # Built once (the keys are fixed for the session), then shown again
        # as it was: no compose and no styling of sixty rows at each press.
        if not self.is_screen_installed("help"):
            from digest_tui.tui.screens import HelpScreen

            self.install_screen(HelpScreen(self.help_sections()), name="help")
        self.push_screen("help")

    def _focus_now(self, widget: Widget) -> None:
        """Move focus at once, not after the keys already queued: typing ``/``
        and a query in one burst must put the whole query in the filter."""
        if widget.screen is self.screen:
            self.screen.set_focus(widget)
        else:
            widget.focus()

    async def action_focus_filter(self) -> None:
        # The keys after this one go to the filter: it is mounted first if
        # the first screen has not been drawn yet.
        self._focus_now(await self.filter_bar.ready_input())

    def action_clear_filter(self) -> None:
        if not self.filter_text and self.session.leave_similar():
            self._request_search()
            self._focus_now(self.paper_list)
            return
        if self.filter_text:
            self.filter_bar.action_clear()
            self.filter_text = ""
            self._request_search()
        self._focus_now(self.paper_list)

    def action_view(self, name: str) -> None:
        if name == "foryou":
            self._say_ranking()
        if self.session.set_view(name):
            self._request_search()

    def action_next_unread(self) -> None:
        self._move_to_unread(1)

    def action_previous_unread(self) -> None:
        self._move_to_unread(-1)

    def _move_to_unread(self, step: int) -> None:
        """n / N; until the count worker has read the view's unread papers
        (a moment after a new list), the move waits for it, not the screen."""
        if not self.session.unread_known():
            if self._pending_unread is None:
                self._request_counts()
            self._pending_unread = step
            return
        index = self.session.next_unread() if step > 0 else self.session.previous_unread()
        if index >= 0:
            self.paper_list.move_to(index)
        elif step > 0:
            self.notify("No unread papers further down.", markup=False, timeout=3)
        else:
            self.notify("No unread papers further up.", markup=False, timeout=3)

    def action_next_day(self) -> None:
        index = self.session.next_day(self.paper_list.cursor)
        if index >= 0:
            self.paper_list.move_to(index, to_top=True)

    def action_previous_day(self) -> None:
        index = self.session.previous_day(self.paper_list.cursor)
        if index >= 0:
            self.paper_list.move_to(index, to_top=True)

    def jump_to_id(self, paper_id: str) -> None:
        """Put the cursor on a paper, widening the view if it is filtered out."""
        index = self.session.jump_to(paper_id)
        if index >= 0:
            self.paper_list.move_to(index)
            self._focus_now(self.paper_list)
            return
        self.filter_bar.set_text("")
        self.filter_bar.show_error(None)
        self._request_search()
        self._focus_now(self.paper_list)

    def find_papers(self, text: str, limit: int) -> list[Row]:
        """Titles matching ``text`` (runs on a thread for the command palette)."""
        from digest_tui.tui.commands import find_papers

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
        from digest_tui.opening import is_remote_session

        if is_remote_session():
            self.copy_link(url, why="Over SSH nothing is started on this host. ")
            return
        self._open_worker(url)

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Textual's own link opening goes through the same rules."""
        self.open_link(url)

    @work(thread=True, group="open", exit_on_error=False)
    def _open_worker(self, url: str) -> None:
        from digest_tui.opening import OpenError, open_url

        if self._opener is None and not self.config.opener and not _has_browser():
            self._from_thread(self.copy_link, url, why="No web browser found here. ")
            return
        opener = self._opener or partial(open_url, command=self.config.opener)
        try:
            opener(url)
        except OpenError as exc:
            self._from_thread(self.notify, one_line(str(exc)), severity="error", markup=False)
            return
        self._from_thread(self.notify, f"Opening {_link_markup(url)}", markup=True, timeout=3)

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
            self._from_thread(self._download_done, None, download_problem(name, url, str(exc)))
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
        from digest_tui.tui.screens import PromptScreen

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
                # Tags compare without case: typing #ml removes #ML.
                same = [t for t in current if tag_key(t) == tag_key(name)]
                if same:
                    mark = self.state.remove_tag(paper.id, same[0])
                    removed.append(same[0])
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
        self._marks_changed_for_ranking()
        self.paper_list.refresh_id(paper.id)
        if self._current_paper is not None and self._current_paper.id == paper.id:
            self._refresh_detail_user()

    def action_edit_note(self) -> None:
        from digest_tui.tui.editor import EditorError, edit_text, editor_command, note_filename

        paper = self._user_paper()
        if paper is None:
            return
        try:
            current = self.state.get(paper.id).note or ""
            command = editor_command()
        except (StateError, EditorError) as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False)
            return
        self._stop_read_timer()
        text: str | None = None
        failure: str | None = None
        try:
            # Nothing may leave the suspended block by an exception: Textual
            # resumes the screen only when the block ends normally.
            with self.suspend():
                try:
                    text = edit_text(current, command, note_filename(paper.id))
                except EditorError as exc:
                    failure = str(exc)
                except KeyboardInterrupt:
                    failure = "the editor was interrupted; note not changed"
                except Exception as exc:
                    failure = f"the editor failed: {exc}; note not changed"
        except SuspendNotSupported:
            self.notify(
                "An editor cannot be started in this terminal.", severity="error", markup=False
            )
            return
        self.refresh(layout=True)
        self.screen.refresh(layout=True)
        if failure is not None or text is None:
            message = one_line(failure or "the editor failed; note not changed")
            self.notify(message, severity="error", markup=False, timeout=8)
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
        if note:
            self.marks.noted.add(paper.id)
        else:
            self.marks.noted.discard(paper.id)
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
        from digest_tui.tui.screens import PromptScreen

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
        self.session.set_view("all")
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
        self.set_sort(self.session.next_sort())

    def set_sort(self, sort: str) -> None:
        if sort == "relevance":
            self._say_ranking()
        if not self.session.set_sort(sort):
            return
        self._request_search()
        self.notify(f"Sorted {SORT_LABELS[sort]}.", markup=False, timeout=2)

    def export_view(self, label: str) -> None:
        """Write every paper of the view to a file (in a worker)."""
        from digest_tui.export import LABELS

        fmt, ext = LABELS[label]
        folder = self.config.export_dir
        folder = Path(folder).expanduser() if folder else Path.cwd()
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        self._export_worker(
            self.session.query,
            self.session.library_sort,
            fmt,
            folder / f"digest-tui-{stamp}.{ext}",
        )

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

    # ------------------------------------------------------------------ relevance and triage
    #
    # Ranking, training, explaining and "more like this" run in workers (the
    # session's ranked searches run in the search worker); the ranker (and
    # numpy) is created only when relevance is first asked for.

    _retrain_wanted = False
    _retrain_running = False

    def _ranked_empty_message(self) -> str:
        if self.view == "foryou" and not self.filter_text:
            return "Nothing unread in the newest digest. Press a to see all."
        if self.view == "new" and not self.filter_text:
            return "No digests arrived since the reader was last closed. Press a to see all."
        if self.view == "similar":
            return "No papers like this one. Esc goes back."
        return ""

    def _say_ranking(self) -> None:
        """The first ranking with an index featurizes it: say why the list waits."""
        if not self.session.ranking_started and not self.session.has_features():
            self.notify(
                "Ranking by your marks: reading every paper's words once…",
                markup=False,
                timeout=4,
            )

    def action_more_like_this(self) -> None:
        paper = self._sync_current()
        if paper is None:
            self.notify("No paper selected.", markup=False)
            return
        self._say_ranking()
        if self.session.show_similar(paper.id):
            self._request_search()
        self._focus_now(self.paper_list)

    def action_triage(self, decision: str) -> None:
        """One key per decision: save it and go to the next paper of the view."""
        paper = self._sync_current()
        if paper is None:
            self.notify("No paper selected.", markup=False)
            return
        self._stop_read_timer()
        read, starred = self.session.triage_marks(decision)
        self._set_mark(paper, read=read, starred=starred)
        self._acknowledge_version(paper)
        following = self.session.after_triage(decision)
        if following >= 0:
            self.paper_list.move_to(following)
            return
        done = self.session.triaged
        self.notify(
            f"End of the list: {done['star']:,} starred, {done['skip']:,} skipped,"
            f" {done['later']:,} for later.",
            markup=False,
        )

    def _marks_changed_for_ranking(self, *, start: bool = False) -> None:
        """Retrain on the new marks in a worker once ranking has been used
        (``start``: even before; the worker then creates the ranker)."""
        if not (start or self.session.ranking_started) or self._reader_closing:
            return
        self._retrain_wanted = True
        if not self._retrain_running:
            self._retrain_running = True
            self._retrain_worker()

    def _keep_features_current(self) -> None:
        """New papers were indexed: featurize them in the background, if
        relevance was ever used with this index (its feature store exists)."""
        if _EXIT_WHEN_READY or self._reader_closing:
            return
        if self.session.ranking_started or self.session.has_features():
            # A moment later: the scan's result is painted first.
            self.set_timer(FEATURE_DELAY, partial(self._marks_changed_for_ranking, start=True))

    @work(thread=True, group="rank", exit_on_error=False)
    def _retrain_worker(self) -> None:
        changed = False
        try:
            while self._retrain_wanted and not self._reader_closing:
                self._retrain_wanted = False
                changed = self.session.compute_refresh() or changed
        except Exception as exc:  # the model is a cache: say so, keep reading
            self._from_thread(
                self.notify,
                f"ranking failed: {one_line(str(exc))}",
                severity="warning",
                markup=False,
            )
        finally:
            self._from_thread(self._retrain_done, changed)

    def _retrain_done(self, changed: bool) -> None:
        self._retrain_running = False
        if self._retrain_wanted:
            self._marks_changed_for_ranking()
            return
        if changed:
            self._request_why(self.session.current_id)

    @on(PaperList.Highlighted)
    def _why_on_highlight(self, event: PaperList.Highlighted) -> None:
        self._request_why(self.session.id_at(event.index))

    def _request_why(self, paper_id: str | None) -> None:
        if paper_id is None or not self.session.ranking_started or self._reader_closing:
            return
        self._why_worker(paper_id)

    @work(thread=True, exclusive=True, group="why", exit_on_error=False)
    def _why_worker(self, paper_id: str) -> None:
        try:
            why = self.session.compute_why(paper_id)
        except Exception:
            return
        if why is not None and not self._reader_closing:
            self._from_thread(self._show_why, paper_id, why)

    def _show_why(self, paper_id: str, why: str) -> None:
        self.detail.set_why(paper_id, why)

    @work(thread=True, exclusive=True, group="versions", exit_on_error=False)
    def _new_versions_worker(self) -> None:
        try:
            updated = self.session.compute_new_versions()
        except Exception:
            return
        if not self._reader_closing:
            self._from_thread(self._apply_new_versions, updated)

    def _apply_new_versions(self, updated: dict[str, tuple[int, int]]) -> None:
        if updated == self.marks.updated:
            return
        self.session.apply_new_versions(updated)
        self.paper_list.refresh()
        self.detail.set_versions(updated)

    def _acknowledge_version(self, paper: Paper) -> None:
        """The user has seen this version of a starred paper: no flag now."""
        try:
            if self.session.acknowledge_version(paper):
                self.paper_list.refresh_id(paper.id)
                self.detail.set_versions(self.marks.updated)
        except StateError:
            pass

    @on(PaperList.Selected)
    def _version_seen_on_open(self, event: PaperList.Selected) -> None:
        paper = self._current_paper
        if paper is not None:
            self._acknowledge_version(paper)

    def _close_session(self) -> None:
        try:
            self.session.close()
        except StateError:
            pass

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
            self._request_search(first=not self._cursor_chosen)
            self._fresh_gen = self._search_gen

    def _scan_failed(self, message: str) -> None:
        self._scanning = False
        self._update_header()
        self.notify(f"Scanning failed: {message}", severity="error", markup=False, timeout=10)

    def _bench_ready(self) -> None:
        """Benchmarks: the list is on screen; say when (wall clock) and exit.

        Said once: a second result (the whole list after the first screen)
        can be drawn while the app is still exiting.
        """
        if self._bench_said_ready:
            return
        self._bench_said_ready = True
        os.write(2, f"ready_at={time.time()!r}\n".encode())
        self.exit(0)

    def _after_scan(self, report: ScanReport, before: int, after: int, announce: bool) -> None:
        self._scanning = False
        self._scan_progress = ""
        if _EXIT_WHEN_READY == "scanned":
            if report.changed or self._result is None or not len(self._result):
                self._exit_after_next_result = True
            else:
                self.call_after_refresh(self._bench_ready)
        if report.changed:
            self._refresh_marked_ids()
            self._keep_features_current()
        if report.changed or self._result is None or not len(self._result):
            # The cursor's paper is remembered by its arXiv id: the new list
            # puts the cursor back on it wherever the rescan moved it.
            self.paper_list.forget_rows()
            self.session.current_paper = None
            self._request_search(first=before == 0)
            if before == 0:
                self._fresh_gen = self._search_gen
        else:
            self.paper_list.empty_message = self._empty_message()
            self._update_header()
        for notice in self.library.take_notices():  # e.g. a damaged index rebuilt
            self.notify(one_line(notice), severity="warning", markup=False, timeout=10)
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
        if self._first_run_shown and getattr(self.screen, "ALLOWS_RESCAN", False):
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
        from digest_tui.tui.screens import FirstRunScreen

        self.push_screen(
            FirstRunScreen(
                [Path(_display_path(r)) for r in self.roots],
                Path(_display_path(self.config_file)) if self.config_file else None,
                self.sample_path,
                files_seen,
                config_exists=self.config_file.exists() if self.config_file else None,
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

    # ------------------------------------------------------------------ sync

    _syncing_to_quit = False  # a quit waits for its sync once; a second quit does not
    _sync_lock: ClassVar[threading.Lock] = threading.Lock()

    @work(thread=True, group="sync", exit_on_error=False)
    def sync_marks(self, quit_after: bool = False) -> None:
        """Sync the marks through ``[sync] repo`` (digest_tui.gitsync), off the UI thread."""
        from digest_tui.gitsync import SyncSetupError, sync_repo

        repo = self.config.sync_repo
        if repo is None:
            message = 'No repository to sync with: set [sync] repo = "~/digest-state".'
            self._from_thread(self._sync_done, message, False, quit_after)
            return
        # Before quitting, wait for a sync already running (then sync once more).
        if not self._sync_lock.acquire(blocking=quit_after):
            self._from_thread(self._sync_done, "A sync is already running.", True, False)
            return
        try:
            result = sync_repo(self.state, repo)
            message, ok = result.summary(), result.ok
        except (SyncSetupError, StateError) as exc:
            message, ok = str(exc), False
        finally:
            self._sync_lock.release()
        self._from_thread(self._sync_done, message, ok, quit_after)

    def _sync_done(self, message: str, ok: bool, quit_after: bool) -> None:
        if quit_after and ok:
            self.call_next(self.action_quit)
            return
        text = one_line(message)
        self.notify(
            text[:1].upper() + text[1:] + (". Press q again to quit." if quit_after else ""),
            title="Sync",
            severity="information" if ok else "warning",
            markup=False,
            timeout=6 if ok else 12,
        )
        self._poll_state()  # marks that came from the other machines

    async def action_quit(self) -> None:
        if self.config.sync_on_quit and self.config.sync_repo and not self._syncing_to_quit:
            self._syncing_to_quit = True
            self.notify("Syncing marks before quitting…", title="Sync", markup=False)
            self.sync_marks(quit_after=True)
            return
        self._reader_closing = True
        self._download_cancel.set()
        self._stop_read_timer()
        self._release_workers()
        self.exit(0)

    def on_unmount(self) -> None:
        self._reader_closing = True
        self._download_cancel.set()
        self._release_workers()  # any way out: q, a signal, the benchmarks
        self._save_theme_now()
        self._close_session()
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
    from digest_tui.cli import EXIT_STORE
    from digest_tui.library import index_path_for

    try:
        state = StateStore(paths.data_dir, write_wait=UI_WRITE_WAIT)
    except StateError as exc:
        print(f"digest-tui: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_STORE
    try:
        library = Library(
            index_path_for(paths.cache_dir, roots),
            roots,
            state_db=paths.state_db,
            max_digest_bytes=config.max_digest_bytes,
        )
    except (LibraryError, OSError) as exc:
        state.close()
        print(f"digest-tui: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_STORE
    first_open = library.is_empty()
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
    app.freeze_after_load = True
    app.read_marks_later = True
    app.resume_gc_after_paint = not gc.isenabled()
    if first_open:
        app.scan_workers = None
    try:
        # Benchmarks run headless at one fixed size, as a terminal would report
        # it (left to itself, headless Textual starts at 80x25 and then resizes
        # to 80x24, laying the screen out twice).
        value = app.run(headless=True, size=BENCH_SIZE) if _EXIT_WHEN_READY else app.run()
    finally:
        gc.enable()
        app._reader_closing = True
        scanning = any(w.group == "scan" and not w.is_finished for w in app.workers)
        if not scanning:
            library.close()
        # Last: the library's connections read the state too, and the state
        # notes a clean close only once no connection has it open.
        state.close()
    return int(value if value is not None else (app.return_code or 0))
