"""The ``digest-tui`` command.

``digest-tui [PATH...]`` opens the reader; the other commands (``list``,
``similar``, ``check``, ``mark``, ``paths``, ``export``, ``state``) use the
core alone and never import Textual (``--sort relevance`` and ``similar``
import numpy, and only then).

Exit codes: 0 success, 1 a file could not be read as a digest (``check``),
nothing matched (``similar``: the paper is not in the digests), a state file
(``state import``) had unreadable lines or could not be imported at all, or
``state sync`` could not pull or push, 2 a usage error (bad option, bad query,
missing path, not a git repository to sync with), 3 the state or index could
not be opened or saved, 130 interrupted.
"""

from __future__ import annotations

import difflib
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from digest_tui.config import (
    Config,
    Paths,
    load_config,
    resolve_paths,
    sample_dir,
)
from digest_tui.text import one_line, visible

if TYPE_CHECKING:
    import argparse

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_STORE = 3

COMMANDS = ("list", "similar", "check", "mark", "paths", "export", "state")
#: ``list --sort`` choices: the index's own sorts and the learned relevance.
LIST_SORTS = ("digest", "date", "title", "id", "relevance")


class UsageError(Exception):
    """A mistake in how the command was called: one line, exit code 2."""


def _say(message: str, file: TextIO | None = None) -> None:
    """Print a message that may echo a name: its control characters shown as escapes."""
    print(visible(message), file=sys.stdout if file is None else file)


def _warn(message: str) -> None:
    """One line on stderr, ``digest-tui: message``, nothing in it raw for the terminal."""
    _say(f"digest-tui: {message}", sys.stderr)


def _count(n: int, word: str, plural: str | None = None) -> str:
    """``1 paper``, ``2 papers`` (``plural`` for irregular words)."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _mistyped_command(word: str) -> str | None:
    """The command ``word`` looks like a typo of, unless it is a path (or an option)."""
    if word.startswith("-") or os.path.lexists(os.path.expanduser(word)):
        return None
    close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.6)
    return close[0] if close else None


def _build_parsers(only: str | None = None) -> dict[str, argparse.ArgumentParser]:
    """The parser of each command (:mod:`digest_tui.cli_parsers`, imported
    only when a command line needs argparse)."""
    from digest_tui.cli_parsers import build_parsers

    return build_parsers(only)


class OpenArgs:
    """The reader's arguments, as argparse would give them."""

    __slots__ = ("paths", "data_dir", "cache_dir", "config")

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.data_dir: str | None = None
        self.cache_dir: str | None = None
        self.config: str | None = None


_OPEN_OPTIONS = {"--data-dir": "data_dir", "--cache-dir": "cache_dir", "--config": "config"}


def quick_open_args(argv: Sequence[str]) -> OpenArgs | None:
    """The reader's arguments read without argparse when they are plain:
    paths, and ``--data-dir``, ``--cache-dir``, ``--config`` with a value.
    Anything else (help, a version, an abbreviation, ``--``, a value that
    looks like an option, paths on both sides of an option) is None, for
    argparse to read or to refuse.  argparse's import and parser are 2 ms
    of every launch."""
    args = OpenArgs()
    paths_done = False  # argparse takes the paths as one run of words
    i = 0
    while i < len(argv):
        word = argv[i]
        if not word.startswith("-"):
            if paths_done:
                return None
            j = i
            while j < len(argv) and not argv[j].startswith("-"):
                j += 1
            args.paths = list(argv[i:j])
            paths_done = True
            i = j
            continue
        name, equals, value = word.partition("=")
        field = _OPEN_OPTIONS.get(name)
        if field is None:
            return None
        if not equals:
            if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
                return None
            value = argv[i + 1]
            i += 1
        setattr(args, field, value)
        i += 1
    return args


def _resolve(args: argparse.Namespace | OpenArgs) -> tuple[Paths, Config]:
    paths = resolve_paths(data_dir=args.data_dir, cache_dir=args.cache_dir)
    config_file = Path(args.config).expanduser() if args.config else paths.config_file
    if args.config and not config_file.exists():
        raise UsageError(f"config file not found: {config_file}")
    config = load_config(config_file)
    for problem in config.problems:
        _warn(problem)
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
                _warn(f"{config.source}: path not found: {p}")
        if not existing and not for_reader:
            raise UsageError(f"none of the paths in {config.source} exist")
        # The reader shows its first-run screen, naming the config file.
        return existing, False
    return [sample_dir()], True


def _open_library(paths: Paths, roots: list[Path], config: Config):  # type: ignore[no-untyped-def]
    from digest_tui.library import Library, index_path_for

    return Library(
        index_path_for(paths.cache_dir, roots),
        roots,
        state_db=paths.state_db,
        max_digest_bytes=config.max_digest_bytes,
    )


def _scan(lib) -> None:  # type: ignore[no-untyped-def]
    """Bring the index up to date, printing its warnings and notices."""
    report = lib.scan()
    for w in report.warnings:
        _warn(one_line(str(w)))
    _notices(lib)


def _notices(lib) -> None:  # type: ignore[no-untyped-def]
    for notice in lib.take_notices():
        _warn(notice)


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
        with _open_library(paths, roots, config) as lib:
            _scan(lib)
            if args.sort == "relevance":
                # A core sort computed after the query: every match is ranked,
                # then the limit applies.
                from digest_tui.ranking import Ranker

                result = lib.search(query)
                with Ranker(lib, state, watch=config.watch) as ranker:
                    pids: Sequence[int] = ranker.order(list(result.pids))
                if args.limit is not None:
                    pids = pids[: args.limit]
                _notices(lib)
                _write_papers(sys.stdout, lib, state, pids, args.format)
            else:
                _notices(lib)
                # Streamed: a thousand papers at a time, whatever the matches.
                for chunk in lib.iter_search(query, limit=args.limit, sort=args.sort):
                    _write_papers(sys.stdout, lib, state, chunk, args.format)
                _notices(lib)  # an index found damaged by the search was rebuilt
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
    from digest_tui.export import json_text, paper_record

    if fmt == "ids":
        for start in range(0, len(pids), 1000):
            chunk = list(pids[start : start + 1000])
            ids = {r.pid: r.id for r in lib.rows(chunk).values()}
            out.write("".join(ids[pid] + "\n" for pid in chunk if pid in ids))
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
                out.write(json_text(record, ensure_ascii=True) + "\n")
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
        with _open_library(paths, roots, config) as lib:
            _scan(lib)
            if lib.pid_of(found[0]) is None:
                _warn(f"{found[0]} is not in these digests")
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
        with _open_library(paths, roots, config) as lib:
            _scan(lib)
            result = lib.search(query)
            _notices(lib)

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
                _say(f"exported {count} paper{'s' if count != 1 else ''} to {output}")
    finally:
        state.close()
    return EXIT_OK


def cmd_state(args: argparse.Namespace) -> int:
    if args.action == "merge":
        return _state_merge(args)
    if args.action == "sync":
        return _state_sync(args)
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
            _say(f"exported the state of {papers} paper{'s' if papers != 1 else ''} to {target}")
        return EXIT_OK
    state = _open_state(paths)
    try:
        try:
            report = import_state(state, target)
        except SyncFormatError as exc:
            _warn(one_line(str(exc)))
            return EXIT_FAIL
        except OSError as exc:
            _warn(f"cannot read {target}: {exc.strerror or exc}")
            return EXIT_FAIL
    finally:
        state.close()
    for w in report.warnings:
        _warn(one_line(str(w)))
    n = len(report.updated)
    print(f"{n} paper{'s' if n != 1 else ''} updated")
    return EXIT_FAIL if report.warnings else EXIT_OK


def _state_merge(args: argparse.Namespace) -> int:
    """git's merge driver: BASE OURS THEIRS -> OURS; never conflict markers."""
    from digest_tui.export import atomic_write_text
    from digest_tui.sync import LineWarning, SyncFormatError, merge_texts

    def read(name: str, *, missing_ok: bool) -> bytes:
        try:
            return Path(name).read_bytes()
        except FileNotFoundError:
            if missing_ok:
                return b""
            raise UsageError(f"no such file: {name}") from None
        except OSError as exc:
            raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None

    def warn(w: LineWarning) -> None:
        print(f"digest-tui: state merge: {one_line(str(w))}", file=sys.stderr)

    base = read(args.base, missing_ok=True)
    ours = read(args.ours, missing_ok=False)
    theirs = read(args.theirs, missing_ok=False)
    try:
        merged = merge_texts(base, ours, theirs, warn=warn)
    except SyncFormatError as exc:
        print(
            f"digest-tui: state merge: {one_line(str(exc))}; {args.ours} left as it was",
            file=sys.stderr,
        )
        return EXIT_FAIL
    try:
        atomic_write_text(Path(args.ours), merged)
    except OSError as exc:
        print(f"digest-tui: cannot write {args.ours}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


def _state_sync(args: argparse.Namespace) -> int:
    from digest_tui.gitsync import SyncSetupError, sync_repo

    paths, config = _resolve(args)
    if args.repo:
        repo = Path(args.repo).expanduser()
    elif config.sync_repo is not None:
        repo = config.sync_repo
    else:
        raise UsageError(
            "no repository to sync with: give one ('digest-tui state sync ~/digest-state') "
            'or set [sync] repo = "~/digest-state" in the config'
        )
    state = _open_state(paths)
    try:
        try:
            result = sync_repo(state, repo)
        except SyncSetupError as exc:
            raise UsageError(one_line(str(exc))) from None
    finally:
        state.close()
    for w in result.warnings:
        print(f"digest-tui: {one_line(str(w))}", file=sys.stderr)
    if not result.ok:
        print(f"digest-tui: {one_line(result.summary())}", file=sys.stderr)
        return EXIT_FAIL
    if result.set_up:
        print(f"set up {repo} for digest-tui (merge driver in .gitattributes and .git/config)")
    print(result.summary())
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from digest_tui.library import parse_digest_file, walk

    roots = [Path(p).expanduser() for p in args.paths]
    missing = [str(p) for p in roots if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    _paths, config = _resolve(args)
    failed = 0
    total_papers = 0
    digests = 0
    skipped = 0
    for path, _size, _mtime in walk(roots):
        result = parse_digest_file(path, config.max_digest_bytes)
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
                    f"{shown}: {result.format}, {date}, {_count(len(result.papers), 'paper')}"
                    f" ({_count(result.entries, 'entry', 'entries')}),"
                    f" {_count(len(result.warnings), 'warning')}"
                )
        for w in result.warnings:
            print(f"  {one_line(str(w))}")
    not_digests = "not a digest" if skipped == 1 else "not digests"
    print(
        f"{_count(digests, 'digest')}, {_count(total_papers, 'paper')},"
        f" {_count(skipped, 'file')} {not_digests}"
    )
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
    _say(f"config  {config_file}{'' if config_file.exists() else '  (not created yet)'}")
    _say(f"state   {paths.state_db}")
    _say(f"cache   {paths.cache_dir}")
    _say(f"sample  {sample_dir()}")
    for p in config.paths:
        _say(f"digests {p}")
    return EXIT_OK


def cmd_open(args: argparse.Namespace | OpenArgs) -> int:
    # The launch builds a great many long-lived objects (Textual's modules,
    # styles, widgets) and no garbage worth a collection: the collector would
    # walk them all several times before the first paint (a sixth of a warm
    # start).  The reader resumes it after its first paint.
    gc.disable()
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
        if command == "open" and argv and (typo := _mistyped_command(argv[0])):
            raise UsageError(
                f"{argv[0]!r} is neither a command nor a file or folder: did you mean '{typo}'?"
            )
        if command == "open" and (quick := quick_open_args(rest)) is not None:
            return cmd_open(quick)
        parsers = _build_parsers(only="open" if command == "open" else None)
        args = parsers[command].parse_args(rest)
        return handler(args)
    except UsageError as exc:
        _warn(str(exc))
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
            _warn(str(exc))
            return EXIT_STORE
        raise
