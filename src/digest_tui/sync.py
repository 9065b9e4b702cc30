"""Carry the user's state between machines through a plain text file.

There is no server: ``digest-tui state export FILE`` writes everything the
user recorded (read, starred, note, tags) to a text file that any file-sync
tool or a git repository can carry, and ``digest-tui state import FILE``
merges such a file into the local state, field by field, the later change
winning.  Importing the same file twice changes nothing.

The file
========

UTF-8 text, ``\\n`` line ends.  The first line is the header::

    # digest-tui state v1 ...

(the version is the number after ``v``; a file from a newer format is refused
whole).  Other lines starting with ``#`` and blank lines are ignored.  Then one
line per paper, sorted by id, its fields separated by tabs::

    2005.10825<TAB>read=1@2026-11-22T01:02:03.123456Z<TAB>note="see §3"@2026-11-22T...
    2005.11000<TAB>starred=0@2026-11-20T09:00:00.000000Z<TAB>tag:cv=1@2026-11-21T...

* the id comes first (``%``, ``=``, ``#``, whitespace and control characters
  are written as ``%XX`` UTF-8 escapes; real arXiv ids never need any);
* each field is ``NAME=VALUE@TIME``: TIME is the UTC time of the last change
  of that field, ISO 8601 with microseconds and ``Z``;
* ``read`` and ``starred``: ``1`` or ``0``;
* ``note``: a JSON string, or ``null`` when the note was deleted;
* ``tag:NAME``: ``1`` when the tag is on the paper, ``0`` when it was removed
  (NAME escaped like ids).  **Each tag is its own field**: adding ``cv`` on
  one machine and ``nlp`` on another keeps both; removing a tag is a change
  with a time like any other, so it wins over an older add and loses to a
  newer one;
* fields never changed are left out; fields come in the order read,
  starred, note, tags by name, so the same state always gives the same bytes.

Merging (``state import``)
==========================

For every field the change with the later time wins (at microsecond
resolution); on equal times with different values the greater value wins
(``1`` over ``0``, a note over none, then the note that sorts last), so two
machines that import each other's files end with the same state whatever
order they do it in.  Times are the machines' wall clocks: keep them roughly
right (NTP).  The import is one transaction: either all of it is saved or,
on an error, nothing.  A line that cannot be read is skipped with a warning
``FILE:LINE: message`` and the rest is imported (the command then exits 1).
A file with git conflict markers, without the header, or from a newer format
is refused whole and nothing is imported.

Syncing through git
===================

One paper a line, sorted, with no export time in the file: two machines that
changed different papers merge without a conflict.  The recommended cycle,
on each machine, in a clone of a private repository::

    git pull                                   # nothing local to conflict with
    digest-tui state import digest-state.txt   # take the other machines' changes
    digest-tui state export digest-state.txt   # ours + theirs, latest wins
    git commit -am "digest state" && git push  # if rejected: start again

If two machines push at the same time, ``git pull`` stops with a conflict on
the lines of the papers both changed.  Import both sides and export the result
(the import refuses the file with conflict markers)::

    git show :2:digest-state.txt | digest-tui state import -   # ours
    git show :3:digest-state.txt | digest-tui state import -   # theirs
    digest-tui state export digest-state.txt
    git add digest-state.txt && git commit --no-edit && git push

This module is part of the core and must not import Textual.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

from digest_tui.export import atomic_write_text
from digest_tui.models import ParseWarning
from digest_tui.state import Change, StateStore

__all__ = [
    "FORMAT_VERSION",
    "HEADER",
    "ImportReport",
    "LineWarning",
    "ParsedState",
    "SyncFormatError",
    "export_state",
    "format_changes",
    "format_time",
    "import_state",
    "parse_state",
    "parse_time",
]

FORMAT_VERSION = 1
HEADER = (
    f"# digest-tui state v{FORMAT_VERSION} (one paper a line: ID, then FIELD=VALUE@UTC-TIME,"
    " tab-separated; merge it with 'digest-tui state import')"
)
_HEADER_RE = re.compile(r"# digest-tui state v(\d+)(?:\s|$)")
_TIME_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Characters escaped in ids and tag names: the separators, whitespace, controls.
_ESCAPE_RE = re.compile(r"[%=#@\s\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONFLICT_PREFIXES = ("<<<<<<<", ">>>>>>>", "|||||||")


class SyncFormatError(Exception):
    """The file cannot be imported at all (nothing was imported): one line."""


# A skipped line is reported like a parser warning: "FILE:LINE: message".
LineWarning = ParseWarning


@dataclass(slots=True)
class ParsedState:
    """The changes read from a state file and the lines that were skipped."""

    changes: list[Change] = field(default_factory=list)
    warnings: list[LineWarning] = field(default_factory=list)
    papers: int = 0  # paper lines read


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What :func:`import_state` did."""

    updated: set[str]  # ids whose local state changed
    papers: int  # paper lines read
    warnings: list[LineWarning]


# --------------------------------------------------------------------------- times


def format_time(at: float) -> str:
    """A unix time as ``2026-11-22T01:02:03.123456Z`` (UTC, microseconds)."""
    moment = _EPOCH + timedelta(microseconds=round(at * 1_000_000))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> float:
    """The unix time of a :func:`format_time` string; ValueError if it is not one."""
    m = _TIME_RE.fullmatch(text)
    if not m:
        raise ValueError(f"not a UTC time like 2026-11-22T01:02:03.123456Z: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micros = int((m.group(7) or "0").ljust(6, "0"))
    moment = datetime(year, month, day, hour, minute, second, micros, tzinfo=UTC)
    if moment < _EPOCH:
        raise ValueError(f"time before 1970: {text!r}")
    return ((moment - _EPOCH) // timedelta(microseconds=1)) / 1_000_000


# --------------------------------------------------------------------------- writing


def _escape(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), text)


def _value(change: Change) -> str:
    if change.field == "note":
        return json.dumps(change.value, ensure_ascii=False)
    return "1" if change.value else "0"


def format_changes(changes: Iterable[Change]) -> tuple[str, int]:
    """The file text for ``changes`` and the number of paper lines in it."""
    by_id: dict[str, list[Change]] = {}
    for change in changes:
        by_id.setdefault(change.id, []).append(change)
    order = {"read": 0, "starred": 1, "note": 2, "tag": 3}
    lines = [HEADER]
    for pid in sorted(by_id):
        fields = sorted(by_id[pid], key=lambda c: (order[c.field], c.tag or ""))
        parts = [_escape(pid)]
        for change in fields:
            name = f"tag:{_escape(change.tag or '')}" if change.field == "tag" else change.field
            parts.append(f"{name}={_value(change)}@{format_time(change.at)}")
        lines.append("\t".join(parts))
    return "\n".join(lines) + "\n", len(by_id)


def export_state(store: StateStore, path: Path | None) -> tuple[str, int]:
    """Write the store's state to ``path`` atomically (None: only return it).

    Returns the text and the number of papers in it.
    """
    text, papers = format_changes(store.changes())
    if path is not None:
        atomic_write_text(path, text)
    return text, papers


# --------------------------------------------------------------------------- reading


def _parse_line(line: str) -> list[Change]:
    """The changes on one paper line; ValueError with a short reason if it is bad."""
    parts = line.split("\t")
    pid = unquote(parts[0], errors="strict")
    if not pid.strip() or pid != pid.strip():
        raise ValueError("missing paper id")
    if len(parts) == 1:
        raise ValueError(f"no fields for {pid}")
    changes: list[Change] = []
    seen: set[str] = set()
    for part in parts[1:]:
        name, eq, rest = part.partition("=")
        value, at_sign, when = rest.rpartition("@")
        if not eq or not at_sign:
            raise ValueError(f"field is not NAME=VALUE@TIME: {part[:60]!r}")
        if name in seen:
            raise ValueError(f"field {name} given twice")
        seen.add(name)
        at = parse_time(when)
        if name in ("read", "starred"):
            if value not in ("0", "1"):
                raise ValueError(f"{name} must be 0 or 1, not {value[:20]!r}")
            changes.append(Change(pid, name, value == "1", at))
        elif name == "note":
            try:
                note = json.loads(value)
            except json.JSONDecodeError:
                raise ValueError("note is not a JSON string") from None
            if note is not None and not isinstance(note, str):
                raise ValueError("note is not a JSON string")
            changes.append(Change(pid, "note", note, at))
        elif name.startswith("tag:"):
            tag = unquote(name[4:], errors="strict")
            if not tag.strip():
                raise ValueError("empty tag name")
            if value not in ("0", "1"):
                raise ValueError(f"tag {tag} must be 0 or 1, not {value[:20]!r}")
            changes.append(Change(pid, "tag", value == "1", at, tag))
        else:
            raise ValueError(f"unknown field {name[:40]!r}")
    return changes


def parse_state(data: bytes, source: str) -> ParsedState:
    """Read a state file's bytes; raise :class:`SyncFormatError` if it is unusable whole."""
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    for number, raw in enumerate(raw_lines, 1):
        if raw.startswith(tuple(p.encode() for p in _CONFLICT_PREFIXES)) or raw.rstrip(b"\r") == (
            b"=" * 7
        ):
            raise SyncFormatError(
                f"{source}:{number}: unresolved git conflict markers; nothing imported "
                "(import each side: 'git show :2:FILE | digest-tui state import -', "
                "then ':3:', then export)"
            )
    result = ParsedState()
    header_seen = False
    for number, raw in enumerate(raw_lines, 1):
        try:
            line = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            if not header_seen:
                raise SyncFormatError(f"{source}: not a digest-tui state file") from None
            result.warnings.append(LineWarning(source, number, "not UTF-8 text; skipped"))
            continue
        if number == 1:
            line = line.removeprefix("\ufeff")
        if not header_seen:
            m = _HEADER_RE.match(line)
            if not m:
                raise SyncFormatError(
                    f"{source}: not a digest-tui state file (the first line should start "
                    f"with '# digest-tui state v{FORMAT_VERSION}')"
                )
            if int(m.group(1)) > FORMAT_VERSION:
                raise SyncFormatError(
                    f"{source}: written by a newer digest-tui (state format v{m.group(1)}, "
                    f"this one reads v{FORMAT_VERSION}); nothing imported"
                )
            header_seen = True
            continue
        if not line.strip() or line.startswith("#"):
            continue
        try:
            changes = _parse_line(line)
        except (ValueError, UnicodeDecodeError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            result.warnings.append(LineWarning(source, number, f"{reason}; line skipped"))
            continue
        result.papers += 1
        result.changes.extend(changes)
    if not header_seen:
        raise SyncFormatError(f"{source}: not a digest-tui state file (it is empty)")
    return result


def import_state(
    store: StateStore, path: Path | None, *, source: str | None = None
) -> ImportReport:
    """Merge a state file (``None``: standard input) into ``store`` in one transaction.

    Raises :class:`SyncFormatError` (nothing imported) for a file that cannot
    be used at all, ``OSError`` if it cannot be read, and
    :class:`~digest_tui.state.StateError` if the store cannot save.
    """
    if path is None:
        data = sys.stdin.buffer.read()
        name = source or "<stdin>"
    else:
        data = Path(path).read_bytes()
        name = source or str(path)
    parsed = parse_state(data, name)
    updated = store.merge(parsed.changes)
    return ImportReport(updated=updated, papers=parsed.papers, warnings=parsed.warnings)
