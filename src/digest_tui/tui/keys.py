"""The reader's keys as data: every app binding (each with an id and a
description) and the sections that the help screen and the command palette
list them in.  The list, detail and filter bindings live with their widgets;
ids name them all (``list.down``, ``detail.top``...), and the config's
``[keys]`` table remaps any of them by id."""

from __future__ import annotations

from textual.binding import Binding

SAVED_SEARCH_KEYS = range(1, 10)

APP_BINDINGS: tuple[Binding, ...] = (
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
    Binding("D", "mark_day_read", "Mark the day read", id="mark_day_read", show=False),
    Binding("u", "undo_mark_all", "Undo mark all (or day) read", id="undo_mark_all", show=False),
    Binding("a", "view('all')", "View: all papers", id="view_all", show=False),
    Binding("U", "view('unread')", "View: unread only", id="view_unread", show=False),
    Binding("S", "view('starred')", "View: starred only", id="view_starred", show=False),
    Binding("w", "view('watched')", "View: watched only", id="view_watched", show=False),
    Binding(
        "f",
        "view('foryou')",
        "View: for you (newest day's unread, best first)",
        id="view_foryou",
        show=False,
    ),
    Binding(
        "i",
        "view('new')",
        "View: new since the reader was last closed",
        id="view_new",
        show=False,
    ),
    Binding(
        "m",
        "more_like_this",
        "More like this paper (Esc goes back)",
        id="more_like_this",
        show=False,
    ),
    Binding("z", "cycle_sort", "Sort: digest, date, title, id, relevance", id="sort", show=False),
    Binding("p", "triage('star')", "Triage: star it, next paper", id="triage_star", show=False),
    Binding(
        "x", "triage('skip')", "Triage: skip it (read), next paper", id="triage_skip", show=False
    ),
    Binding(
        "l",
        "triage('later')",
        "Triage: later (left unread), next paper",
        id="triage_later",
        show=False,
    ),
    Binding("ctrl+s", "save_search", "Save the filter as a search", id="save_search", show=False),
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
)


#: Help and palette sections: (title, binding ids).
HELP_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
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
        (
            "star",
            "toggle_read",
            "mark_day_read",
            "mark_all_read",
            "undo_mark_all",
            "tag",
            "edit_note",
        ),
    ),
    ("Triage", ("triage_star", "triage_skip", "triage_later")),
    (
        "Views and filter",
        (
            "view_all",
            "view_unread",
            "view_starred",
            "view_watched",
            "view_foryou",
            "view_new",
            "more_like_this",
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
)
