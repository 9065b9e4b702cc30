"""The ``digest-tui`` command.

``digest-tui [PATH...]`` opens the reader; the other commands (``list``,
``similar``, ``check``, ``mark``, ``paths``, ``export``, ``state``) use the
core alone and never import Textual (``--sort relevance`` and ``similar``
import numpy, and only then).

Exit codes: 0 success, 1 a file could not be read as a digest (``check``),
nothing matched (``similar``: the paper is not in the digests), or a state
file (``state import``) had unreadable lines or could not be imported at
all, 2 a usage error (bad option, bad query, missing path), 3 the state or
index could not be opened or saved, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from digest_tui import __version__
from digest_tui.config import (
    Config,
    ConfigError,
    Paths,
    load_config,
    resolve_paths,
    sample_dir,
)
from digest_tui.text import one_line

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_STORE = 3

COMMANDS = ("list", "similar", "check", "mark", "paths", "export", "state")
#: ``list --sort`` choices: the index's own sorts and the learned relevance.
LIST_SORTS = ("digest", "date", "title", "id", "relevance")


class UsageError(Exception):
    """A mistake in how the command was called: one line, exit code 2."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", metavar="DIR", help="where read/starred state lives (default: per user)"
    )
    parser.add_argument("--cache-dir", metavar="DIR", help="where the rebuildable index lives")
    parser.add_argument("--config", metavar="FILE", help="config file to read")


def _build_parsers() -> dict[str, argparse.ArgumentParser]:
    prog = "digest-tui"
    epilog = (
        "commands: list, similar, check, mark, paths, export, state"
        " (see 'digest-tui COMMAND --help'). "
        "With no PATH: the folders in the config file, else the built-in sample."
    )
    main = argparse.ArgumentParser(
        prog=prog,
        description="A terminal reader for daily arXiv digests.",
        epilog=epilog,
    )
    main.add_argument("paths", nargs="*", metavar="PATH", help="digest files or folders")
    main.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _common(main)

    lst = argparse.ArgumentParser(
        prog=f"{prog} list", description="Print the papers of some digests, one a line."
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

    sim = argparse.ArgumentParser(
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

    chk = argparse.ArgumentParser(
        prog=f"{prog} check",
        description="Parse digest files and report format, papers and warnings per file.",
        epilog="Exit status 1 when a file could not be read as a digest.",
    )
    chk.add_argument("paths", nargs="+", metavar="PATH", help="digest files or folders")
    chk.add_argument("--quiet", action="store_true", help="print only problems")
    _common(chk)

    mark = argparse.ArgumentParser(
        prog=f"{prog} mark", description="Mark papers read, unread, starred or unstarred."
    )
    group = mark.add_mutually_exclusive_group(required=True)
    for flag in ("read", "unread", "star", "unstar"):
        group.add_argument(f"--{flag}", action="store_const", const=flag, dest="action")
    mark.add_argument("ids", nargs="+", metavar="ID", help="arXiv ids (versions are ignored)")
    _common(mark)

    paths = argparse.ArgumentParser(
        prog=f"{prog} paths", description="Show where the config, state and index live."
    )
    _common(paths)

    exp = argparse.ArgumentParser(
        prog=f"{prog} export",
        description="Write papers as BibTeX, a markdown reading list, JSON or CSV.",
        epilog="The format is taken from -o's name (.bib .md .json .csv) when -f is not given.",
    )
    exp.add_argument("paths", nargs="*", metavar="PATH", help="digest files or folders")
    exp.add_argument("-q", "--query", default="", help="filter, e.g. 'is:starred'")
    exp.add_argument("-f", "--format", help="bibtex, markdown, json or csv")
    exp.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    _common(exp)

    st = argparse.ArgumentParser(
        prog=f"{prog} state",
        description="Carry read/starred/notes/tags between machines through a text file.",
        epilog=(
            "'state export FILE' writes one paper a line, sorted, each change with its time "
            "(diffs and merges cleanly in git); 'state import FILE' merges such a file: the "
            "later change of each field wins, importing twice changes nothing. FILE may be "
            "'-' (stdout/stdin). Exit 1 when lines were skipped or the file was refused."
        ),
    )
    st.add_argument("action", choices=("export", "import"), help="export or import")
    st.add_argument("file", metavar="FILE", help="the state file ('-': stdout or stdin)")
    _common(st)
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


def _resolve(args: argparse.Namespace) -> tuple[Paths, Config]:
    paths = resolve_paths(data_dir=args.data_dir, cache_dir=args.cache_dir)
    config_file = Path(args.config).expanduser() if args.config else paths.config_file
    if args.config and not config_file.exists():
        raise UsageError(f"config file not found: {config_file}")
    config = load_config(config_file)
    for problem in config.problems:
        print(f"digest-tui: {problem}", file=sys.stderr)
    return paths, config


def _digest_roots(
    args_paths: Sequence[str], config: Config, *, for_reader: bool = False
) -> tuple[list[Path], bool]:
    """The paths to open and whether they are the built-in sample."""
    if args_paths:
        roots = [Path(p).expanduser() for p in args_paths]
        missing = [str(p) for p in roots if not p.exists()]
        if missing:
            raise UsageError(f"no such file or folder: {', '.join(missing)}")
        return roots, False
    if config.paths:
        existing = [p for p in config.paths if p.exists()]
        for p in config.paths:
            if not p.exists():
                print(f"digest-tui: {config.source}: path not found: {p}", file=sys.stderr)
        if not existing and not for_reader:
            raise UsageError(f"none of the paths in {config.source} exist")
        # The reader shows its first-run screen, naming the config file.
        return existing, False
    return [sample_dir()], True


def _open_library(paths: Paths, roots: list[Path]):  # type: ignore[no-untyped-def]
    from digest_tui.library import Library, index_path_for

    return Library(index_path_for(paths.cache_dir, roots), roots, state_db=paths.state_db)


def _open_state(paths: Paths):  # type: ignore[no-untyped-def]
    from digest_tui.state import StateStore

    return StateStore(paths.data_dir)


def cmd_list(args: argparse.Namespace) -> int:
    from digest_tui.query import QueryError, parse_query

    paths, config = _resolve(args)
    roots, _ = _digest_roots(args.paths, config)
    try:
        query = parse_query(args.query)
    except QueryError as exc:
        raise UsageError(f"bad query: {exc}") from None
    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit must be 0 or more")
    state = _open_state(paths)
    try:
        with _open_library(paths, roots) as lib:
            report = lib.scan()
            for w in report.warnings:
                print(f"digest-tui: {one_line(str(w))}", file=sys.stderr)
            if args.sort == "relevance":
                # A core sort computed after the query: every match is ranked,
                # then the limit applies.
                from digest_tui.ranking import Ranker

                result = lib.search(query)
                with Ranker(lib, state, watch=config.watch) as ranker:
                    pids: Sequence[int] = ranker.order(list(result.pids))
                if args.limit is not None:
                    pids = pids[: args.limit]
            else:
                pids = lib.search(query, limit=args.limit, sort=args.sort).pids
            _write_papers(sys.stdout, lib, state, pids, args.format)
    finally:
        state.close()
    return EXIT_OK


def _write_papers(  # type: ignore[no-untyped-def]
    out: TextIO,
    lib,
    state,
    pids: Sequence[int],
    fmt: str,
    extra: dict[int, float] | None = None,
) -> None:
    """Papers one a line as ``list`` prints them; ``extra`` adds a number per
    paper (a last tsv column, a ``similarity`` jsonl key)."""
    from digest_tui.export import paper_record

    if fmt == "ids":
        ids = {r.pid: r.id for r in lib.rows(pids).values()}
        for pid in pids:
            out.write(ids[pid] + "\n")
        return
    for start in range(0, len(pids), 1000):
        chunk = list(pids[start : start + 1000])
        papers = lib.papers(chunk)
        marks = state.get_many(p.id for p in papers)
        for pid, paper in zip(chunk, papers, strict=True):
            mark = marks.get(paper.id)
            read = bool(mark and mark.read)
            starred = bool(mark and mark.starred)
            if fmt == "jsonl":
                # The same record as `export -f json`, with the marks.
                record = paper_record(paper, mark, with_state=True)
                if extra is not None:
                    record["similarity"] = round(extra[pid], 4)
                out.write(json.dumps(record) + "\n")
            else:
                first = paper.appearances[0].date if paper.appearances else ""
                cells = [
                    paper.id,
                    first or "",
                    ("*" if starred else "-") + ("r" if read else "u"),
                    one_line(paper.title),
                    one_line(", ".join(paper.authors)),
                ]
                if extra is not None:
                    cells.append(f"{extra[pid]:.4f}")
                out.write("\t".join(cells) + "\n")


def cmd_similar(args: argparse.Namespace) -> int:
    from digest_tui.parsing import normalize_id

    found = normalize_id(args.id)
    if found is None:
        raise UsageError(f"not an arXiv id: {args.id!r}")
    if args.limit < 0:
        raise UsageError("--limit must be 0 or more")
    paths, config = _resolve(args)
    roots, _ = _digest_roots(args.paths, config)
    state = _open_state(paths)
    try:
        with _open_library(paths, roots) as lib:
            report = lib.scan()
            for w in report.warnings:
                print(f"digest-tui: {one_line(str(w))}", file=sys.stderr)
            if lib.pid_of(found[0]) is None:
                print(f"digest-tui: {found[0]} is not in these digests", file=sys.stderr)
                return EXIT_FAIL
            from digest_tui.ranking import Ranker

            with Ranker(lib, state, watch=config.watch) as ranker:
                near = ranker.similar(found[0], args.limit)
            pid_of = {i: lib.pid_of(i) for i, _ in near}
            pids = [p for i, _ in near if (p := pid_of[i]) is not None]
            sims = {p: s for i, s in near if (p := pid_of[i]) is not None}
            _write_papers(sys.stdout, lib, state, pids, args.format, sims)
    finally:
        state.close()
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from digest_tui.export import FORMATS, Exporter, atomic_writer, format_for_path
    from digest_tui.query import QueryError, parse_query

    fmt = args.format or (format_for_path(args.output) if args.output else None)
    if fmt is None:
        raise UsageError(f"choose a format with -f ({', '.join(FORMATS)})")
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    output = Path(args.output).expanduser() if args.output else None
    if output is not None and (output.is_dir() or not output.parent.is_dir()):
        where = "is a folder" if output.is_dir() else "is in a folder that does not exist"
        raise UsageError(f"cannot write {output}: it {where}")
    paths, config = _resolve(args)
    roots, _ = _digest_roots(args.paths, config)
    try:
        query = parse_query(args.query)
    except QueryError as exc:
        raise UsageError(f"bad query: {exc}") from None
    state = _open_state(paths)
    try:
        with _open_library(paths, roots) as lib:
            report = lib.scan()
            for w in report.warnings:
                print(f"digest-tui: {one_line(str(w))}", file=sys.stderr)
            result = lib.search(query)

            def write(out: TextIO) -> int:
                exporter = Exporter(fmt, out, with_state=True)
                for start in range(0, len(result.pids), 1000):
                    papers = lib.papers(list(result.pids[start : start + 1000]))
                    exporter.write(papers, state.get_many(p.id for p in papers))
                exporter.close()
                return exporter.count

            if output is None:
                write(sys.stdout)
            else:
                try:
                    with atomic_writer(output) as stream:
                        count = write(stream)
                except OSError as exc:
                    raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
                print(f"exported {count} paper{'s' if count != 1 else ''} to {output}")
    finally:
        state.close()
    return EXIT_OK


def cmd_state(args: argparse.Namespace) -> int:
    from digest_tui.sync import SyncFormatError, export_state, import_state

    paths, _config = _resolve(args)
    to_std = args.file == "-"
    target = None if to_std else Path(args.file).expanduser()
    if args.action == "import" and target is not None and not target.is_file():
        raise UsageError(f"no such file: {target}")
    if args.action == "export":
        if target is not None and (target.is_dir() or not target.parent.is_dir()):
            where = "is a folder" if target.is_dir() else "is in a folder that does not exist"
            raise UsageError(f"cannot write {target}: it {where}")
        from digest_tui.state import StateStore

        state = StateStore(paths.data_dir, readonly=True)
        try:
            try:
                text, papers = export_state(state, target)
            except OSError as exc:
                raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
        finally:
            state.close()
        if target is None:
            sys.stdout.write(text)
        else:
            print(f"exported the state of {papers} paper{'s' if papers != 1 else ''} to {target}")
        return EXIT_OK
    state = _open_state(paths)
    try:
        try:
            report = import_state(state, target)
        except SyncFormatError as exc:
            print(f"digest-tui: {one_line(str(exc))}", file=sys.stderr)
            return EXIT_FAIL
        except OSError as exc:
            print(f"digest-tui: cannot read {target}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_FAIL
    finally:
        state.close()
    for w in report.warnings:
        print(f"digest-tui: {one_line(str(w))}", file=sys.stderr)
    n = len(report.updated)
    print(f"{n} paper{'s' if n != 1 else ''} updated")
    return EXIT_FAIL if report.warnings else EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from digest_tui import parsing
    from digest_tui.library import walk

    roots = [Path(p).expanduser() for p in args.paths]
    missing = [str(p) for p in roots if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    failed = 0
    total_papers = 0
    digests = 0
    skipped = 0
    for path, _size, _mtime in walk(roots):
        result = parsing.parse_file(path)
        shown = one_line(os.path.relpath(path) if not os.path.isabs(args.paths[0]) else path)
        if result.format is None:
            failed += 1
            skipped += 1
            print(f"{shown}: not a digest")
        else:
            digests += 1
            total_papers += len(result.papers)
            if not args.quiet or result.warnings:
                date = result.date or "no date"
                print(
                    f"{shown}: {result.format}, {date}, {len(result.papers)} papers"
                    f" ({result.entries} entries), {len(result.warnings)} warnings"
                )
        for w in result.warnings:
            print(f"  {one_line(str(w))}")
    print(f"{digests} digests, {total_papers} papers, {skipped} files not digests")
    return EXIT_FAIL if failed else EXIT_OK


def cmd_mark(args: argparse.Namespace) -> int:
    from digest_tui.parsing import normalize_id

    paths, _config = _resolve(args)
    ids = []
    for raw in args.ids:
        found = normalize_id(raw)
        if found is None:
            raise UsageError(f"not an arXiv id: {raw!r}")
        ids.append(found[0])
    state = _open_state(paths)
    try:
        for paper_id in ids:
            if args.action == "read":
                state.set_read(paper_id, True)
            elif args.action == "unread":
                state.set_read(paper_id, False)
            elif args.action == "star":
                state.set_starred(paper_id, True)
            else:
                state.set_starred(paper_id, False)
    finally:
        state.close()
    verb = {"read": "read", "unread": "unread", "star": "starred", "unstar": "unstarred"}
    print(f"marked {len(ids)} paper{'s' if len(ids) != 1 else ''} {verb[args.action]}")
    return EXIT_OK


def cmd_paths(args: argparse.Namespace) -> int:
    paths, config = _resolve(args)
    config_file = Path(args.config).expanduser() if args.config else paths.config_file
    print(f"config  {config_file}{'' if config_file.exists() else '  (not created yet)'}")
    print(f"state   {paths.state_db}")
    print(f"cache   {paths.cache_dir}")
    print(f"sample  {sample_dir()}")
    for p in config.paths:
        print(f"digests {p}")
    return EXIT_OK


def cmd_open(args: argparse.Namespace) -> int:
    paths, config = _resolve(args)
    roots, is_sample = _digest_roots(args.paths, config, for_reader=True)
    from digest_tui.tui.app import run_reader  # type: ignore[import-untyped,unused-ignore]

    return int(
        run_reader(
            roots=roots,
            paths=paths,
            config=config,
            is_sample=is_sample,
            config_file=Path(args.config).expanduser() if args.config else paths.config_file,
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parsers = _build_parsers()
    command = argv[0] if argv and argv[0] in COMMANDS else "open"
    rest = argv[1:] if command != "open" else argv
    handler = {
        "open": cmd_open,
        "list": cmd_list,
        "similar": cmd_similar,
        "check": cmd_check,
        "mark": cmd_mark,
        "paths": cmd_paths,
        "export": cmd_export,
        "state": cmd_state,
    }[command]
    try:
        args = parsers[command].parse_args(rest)
        return handler(args)
    except UsageError as exc:
        print(f"digest-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"digest-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `digest-tui list | head`: the reader went away; that is fine.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        except OSError:
            pass
        return EXIT_OK
    except Exception as exc:  # a store that cannot be opened, and the like
        from digest_tui.library import LibraryError
        from digest_tui.state import StateError

        if isinstance(exc, (StateError, LibraryError)):
            print(f"digest-tui: {exc}", file=sys.stderr)
            return EXIT_STORE
        raise
