"""The argparse parsers of the commands of ``digest-tui``.

Imported only when a command line needs argparse: a launch of the reader
with plain arguments is read by :func:`digest_tui.cli.quick_open_args`.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from digest_tui import __version__
from digest_tui.cli import EXIT_USAGE, LIST_SORTS
from digest_tui.text import visible


class _Parser(argparse.ArgumentParser):
    """argparse, with the offending argument shown escaped in its error line."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {visible(message)}\n")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", metavar="DIR", help="where read/starred state lives (default: per user)"
    )
    parser.add_argument("--cache-dir", metavar="DIR", help="where the rebuildable index lives")
    parser.add_argument("--config", metavar="FILE", help="config file to read")


def build_parsers(only: str | None = None) -> dict[str, argparse.ArgumentParser]:
    """The parser of each command; with ``only="open"``, of the reader alone
    (building them all takes 3.4 ms, most of it argparse asking gettext for
    translations, at every launch)."""
    prog = "digest-tui"
    epilog = (
        "commands: list, similar, check, mark, paths, export, state"
        " (see 'digest-tui COMMAND --help'). "
        "With no PATH: the folders in the config file, else the built-in sample."
    )
    main = _Parser(
        prog=prog,
        description="A terminal reader for daily arXiv digests.",
        epilog=epilog,
    )
    main.add_argument("paths", nargs="*", metavar="PATH", help="digest files or folders")
    main.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _common(main)
    if only == "open":
        return {"open": main}

    lst = _Parser(
        prog=f"{prog} list",
        description="Print the papers of some digests, one a line.",
        epilog=(
            "--format tsv prints five tab-separated columns: arXiv id, digest date, flags, "
            "title, authors. The flags are two characters: '*' starred or '-' not, then "
            "'r' read or 'u' unread: '-r' is read and not starred, '*u' starred and unread."
        ),
    )
    lst.add_argument("paths", nargs="*", metavar="PATH", help="digest files or folders")
    lst.add_argument("-q", "--query", default="", help="filter, e.g. 'author:smith is:unread'")
    lst.add_argument(
        "-f", "--format", choices=("jsonl", "tsv", "ids"), default="tsv", help="output format"
    )
    lst.add_argument("-n", "--limit", type=int, default=None, help="at most N papers")
    lst.add_argument(
        "-s",
        "--sort",
        choices=LIST_SORTS,
        default="digest",
        help="order: digest (default), date, title, id, or relevance (learned from your"
        " stars, tags, notes and read papers; ties in digest order)",
    )
    _common(lst)

    sim = _Parser(
        prog=f"{prog} similar",
        description="List the papers most like one paper (cosine of their words and authors).",
        epilog="Exit status 1 when the paper is not in the digests.",
    )
    sim.add_argument("id", metavar="ID", help="an arXiv id (the version is ignored)")
    sim.add_argument("paths", nargs="*", metavar="PATH", help="digest files or folders")
    sim.add_argument("-n", "--limit", type=int, default=10, help="at most N papers (default 10)")
    sim.add_argument(
        "-f", "--format", choices=("jsonl", "tsv", "ids"), default="tsv", help="output format"
    )
    _common(sim)

    chk = _Parser(
        prog=f"{prog} check",
        description="Parse digest files and report format, papers and warnings per file.",
        epilog="Exit status 1 when a file could not be read as a digest.",
    )
    chk.add_argument("paths", nargs="+", metavar="PATH", help="digest files or folders")
    chk.add_argument("--quiet", action="store_true", help="print only problems")
    _common(chk)

    mark = _Parser(
        prog=f"{prog} mark", description="Mark papers read, unread, starred or unstarred."
    )
    group = mark.add_mutually_exclusive_group(required=True)
    for flag in ("read", "unread", "star", "unstar"):
        group.add_argument(f"--{flag}", action="store_const", const=flag, dest="action")
    mark.add_argument("ids", nargs="+", metavar="ID", help="arXiv ids (versions are ignored)")
    _common(mark)

    paths = _Parser(
        prog=f"{prog} paths", description="Show where the config, state and index live."
    )
    _common(paths)

    exp = _Parser(
        prog=f"{prog} export",
        description="Write papers as BibTeX, a markdown reading list, JSON or CSV.",
        epilog="The format is taken from -o's name (.bib .md .json .csv) when -f is not given.",
    )
    exp.add_argument("paths", nargs="*", metavar="PATH", help="digest files or folders")
    exp.add_argument("-q", "--query", default="", help="filter, e.g. 'is:starred'")
    exp.add_argument("-f", "--format", help="bibtex, markdown, json or csv")
    exp.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    _common(exp)

    st = _Parser(
        prog=f"{prog} state",
        description="Carry read/starred/notes/tags between machines through a text file.",
        epilog=(
            "'state export FILE' writes one paper a line, sorted, each change with its time "
            "(diffs and merges cleanly in git); 'state import FILE' merges such a file: the "
            "later change of each field wins, importing twice changes nothing. FILE may be "
            "'-' (stdout/stdin). 'state sync' does it all through a git repository. "
            "Exit 1 when lines were skipped, the file was refused or a sync failed."
        ),
    )
    actions = st.add_subparsers(dest="action", required=True, metavar="ACTION")
    st_export = actions.add_parser(
        "export", prog=f"{prog} state export", help="write the state to FILE"
    )
    st_export.add_argument("file", metavar="FILE", help="the state file ('-': stdout)")
    st_import = actions.add_parser(
        "import", prog=f"{prog} state import", help="merge FILE into the state"
    )
    st_import.add_argument("file", metavar="FILE", help="the state file ('-': stdin)")
    st_merge = actions.add_parser(
        "merge",
        prog=f"{prog} state merge",
        help="merge three state files into OURS (a git merge driver)",
        description=(
            "Merge two versions of a state file field by field (the later change wins) and "
            "write the result into OURS; git runs it as the merge driver that 'state sync' "
            "sets up. Never writes conflict markers."
        ),
    )
    for name in ("base", "ours", "theirs"):
        st_merge.add_argument(name, metavar=name.upper(), help=f"the {name} version")
    st_sync = actions.add_parser(
        "sync",
        prog=f"{prog} state sync",
        help="pull, import, export, commit and push through a git repository",
        description=(
            "Sync the marks through REPO, a clone of your own private git repository "
            "(default: [sync] repo in the config). The first sync sets it up; git merges "
            "the state file itself, so there is never a conflict to resolve."
        ),
    )
    st_sync.add_argument("repo", nargs="?", metavar="REPO", help="the git repository")
    for sub in (st_export, st_import, st_merge, st_sync):
        _common(sub)
    return {
        "open": main,
        "list": lst,
        "similar": sim,
        "check": chk,
        "mark": mark,
        "paths": paths,
        "export": exp,
        "state": st,
    }
