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
  are written as ``%XX`` UTF-8 escapes; real arXiv ids never need any).  It
  is read as the parsers read ids: ``2005.10825v2``, ``arXiv:2005.10825`` and
  ``https://arxiv.org/abs/2005.10825v2`` are all ``2005.10825``; a line whose
  id is not an arXiv id is skipped;
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
  starred, note, tags by name, then fields of other names (a later
  digest-tui's) by name, so the same state always gives the same bytes.

Escape sequences and control characters (C0 but tab and newline, DEL, C1)
are removed from tags and notes both when a file is read and when one is
written (:func:`clean_tag`, :func:`clean_note`); a note of nothing but
whitespace is no note.

Merging (``state import``)
==========================

For every field the change with the later time wins (at microsecond
resolution); on equal times with different values the greater value wins
(``1`` over ``0``, a note over none, then the note that sorts last), so two
machines that import each other's files end with the same state whatever
order they do it in.  Times are the machines' wall clocks: keep them roughly
right (NTP).  A field stamped more than :data:`MAX_CLOCK_SKEW_S` (a day)
after the importing machine's clock is left out with a warning: it would
otherwise win over every real change until that date.  A field of an unknown
name is ignored with a warning (an import keeps the rest of its line).  The
import is one transaction: either all of it is saved or, on an error,
nothing.  A line that cannot be read (bad syntax, a value of the wrong kind,
text with lone surrogates, not an arXiv id) is skipped with a warning
``FILE:LINE: message`` and the rest is imported (the command then exits 1).
A file with git conflict markers, without the header, or from a newer format
is refused whole and nothing is imported.

Merging files (``state merge``, the git merge driver)
======================================================

:func:`merge_texts` merges two versions of the file (and their common
ancestor, which per-field times make unnecessary) into the file that
importing both would give: the same rule, field by field; the header of
``ours``; fields of unknown names carried through (the later of each wins);
unreadable lines, and git conflict markers committed by mistake, left out.
``digest-tui state sync`` (:mod:`digest_tui.gitsync`) sets it up as the
merge driver of a git repository, so git merges the file without conflicts.

This module is part of the core and must not import Textual.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

from digest_tui.export import atomic_write_text
from digest_tui.models import ParseWarning
from digest_tui.state import Change, StateStore
from digest_tui.state import _rank as _rank  # one tie rule, so machines converge
from digest_tui.text import strip_controls

__all__ = [
    "FORMAT_VERSION",
    "HEADER",
    "MAX_CLOCK_SKEW_S",
    "ImportReport",
    "LineWarning",
    "ParsedState",
    "SyncFormatError",
    "clean_note",
    "clean_tag",
    "export_state",
    "exportable_changes",
    "format_changes",
    "format_time",
    "import_state",
    "merge_texts",
    "parse_state",
    "parse_time",
]

FORMAT_VERSION = 1
HEADER = (
    f"# digest-tui state v{FORMAT_VERSION} (one paper a line: ID, then FIELD=VALUE@UTC-TIME,"
    " tab-separated; merge it with 'digest-tui state import')"
)
#: A change stamped later than now plus this is refused: a wrong clock or a
#: hand-edited file would otherwise win over every real change for years.
MAX_CLOCK_SKEW_S = 24 * 3600.0
_HEADER_RE = re.compile(r"# digest-tui state v(\d+)(?:\s|$)")
_TIME_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LAST_MICROS = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - _EPOCH) // timedelta(
    microseconds=1
)
# Characters escaped in ids and tag names: the separators, whitespace, controls.
_ESCAPE_RE = re.compile(r"[%=#@\s\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A field name a later digest-tui may add: carried through merges, ignored here.
_FIELD_NAME_RE = re.compile(r"[a-z][a-z0-9_.-]{0,39}(?::[^\t=@]{1,200})?")
_CONFLICT_PREFIXES_B = (b"<<<<<<<", b">>>>>>>", b"|||||||")
_FIELD_ORDER = {"read": 0, "starred": 1, "note": 2, "tag": 3}


class SyncFormatError(Exception):
    """The file cannot be imported at all (nothing was imported): one line."""


# A skipped line is reported like a parser warning: "FILE:LINE: message".
LineWarning = ParseWarning

#: An unknown field as found in a file: (raw value, time in microseconds, raw time).
Extra = tuple[str, int, str]


@dataclass(slots=True)
class ParsedState:
    """The changes read from a state file and the lines that were skipped.

    ``extras`` holds fields this version does not know (``id -> name ->
    (raw value, microseconds, raw time)``): an import ignores them, a merge
    (:func:`merge_texts`) carries them through, so a newer digest-tui's fields
    survive an older one's sync.
    """

    changes: list[Change] = field(default_factory=list)
    warnings: list[LineWarning] = field(default_factory=list)
    papers: int = 0  # paper lines read
    header: str = HEADER
    version: int = FORMAT_VERSION
    extras: dict[str, dict[str, Extra]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What :func:`import_state` did."""

    updated: set[str]  # ids whose local state changed
    papers: int  # paper lines read
    warnings: list[LineWarning]


# --------------------------------------------------------------------------- times


def _micros(at: float) -> int:
    return round(at * 1_000_000)


def format_time(at: float) -> str:
    """A unix time as ``2026-11-22T01:02:03.123456Z`` (UTC, microseconds).

    Never raises: times outside 1970..9999 are written as the nearest end.
    """
    micros = min(max(_micros(at), 0), _LAST_MICROS)
    moment = _EPOCH + timedelta(microseconds=micros)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> float:
    """The unix time of a :func:`format_time` string; ValueError if it is not one."""
    m = _TIME_RE.fullmatch(text)
    if not m:
        raise ValueError(f"not a UTC time like 2026-11-22T01:02:03.123456Z: {text[:40]!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micros = int((m.group(7) or "0").ljust(6, "0"))
    try:
        moment = datetime(year, month, day, hour, minute, second, micros, tzinfo=UTC)
    except ValueError:
        raise ValueError(f"not a valid date and time: {text!r}") from None
    if moment < _EPOCH:
        raise ValueError(f"time before 1970: {text!r}")
    return ((moment - _EPOCH) // timedelta(microseconds=1)) / 1_000_000


# --------------------------------------------------------------------------- cleaning


def clean_tag(tag: str) -> str:
    """A tag name as it is stored and written: no controls or escape sequences,
    tabs and newlines as spaces, no surrounding whitespace ("" if nothing is left)."""
    return strip_controls(tag).replace("\t", " ").replace("\n", " ").strip()


def clean_note(note: str | None) -> str | None:
    """A note as it is stored and written: no controls or escape sequences
    (newlines and tabs kept); ``None`` when nothing is left."""
    if note is None:
        return None
    text = strip_controls(note)
    return text if text.strip() else None


def _normal_id(raw: str) -> str | None:
    """The versionless arXiv id in ``raw`` (an id, ``arXiv:...`` or an arXiv URL)."""
    # The parsers' normaliser, imported here so that the module stays light.
    from digest_tui.parsing import normalize_id

    found = normalize_id(raw)
    return found[0] if found is not None else None


def _is_unicode(text: str) -> bool:
    """False for text with lone surrogates (which no file or database can hold)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _later(new: Change, old: Change | None) -> bool:
    """Whether ``new`` replaces ``old`` of the same field: the rule of StateStore.merge."""
    if old is None:
        return True
    a, b = _micros(new.at), _micros(old.at)
    if a != b:
        return a > b
    return new.value != old.value and _rank(new.value) > _rank(old.value)


def _key(change: Change) -> tuple[str, str, str]:
    return (change.id, change.field, change.tag or "")


def _latest(changes: Iterable[Change]) -> dict[tuple[str, str, str], Change]:
    best: dict[tuple[str, str, str], Change] = {}
    for change in changes:
        key = _key(change)
        if _later(change, best.get(key)):
            best[key] = change
    return best


def exportable_changes(changes: Iterable[Change], *, now: float | None = None) -> list[Change]:
    """``changes`` as an import would accept them.

    Ids are normalised (``2005.10825v2`` -> ``2005.10825``) and those that
    are not arXiv ids left out, tags and notes cleaned (:func:`clean_tag`,
    :func:`clean_note`), changes stamped later than now plus
    :data:`MAX_CLOCK_SKEW_S` left out; where two changes become the same
    field, the later one is kept.
    """
    limit = (time.time() if now is None else now) + MAX_CLOCK_SKEW_S
    kept: list[Change] = []
    for change in changes:
        if change.at > limit or change.at < 0:
            continue
        pid = _normal_id(change.id)
        if pid is None:
            continue
        value, tag = change.value, change.tag
        if change.field == "note":
            value = clean_note(value if isinstance(value, str) else None)
        elif change.field == "tag":
            tag = clean_tag(tag or "")
            if not tag:
                continue
        if not _is_unicode(f"{pid}{tag or ''}{value if isinstance(value, str) else ''}"):
            continue
        kept.append(Change(pid, change.field, value, change.at, tag))
    return list(_latest(kept).values())


# --------------------------------------------------------------------------- writing


def _escape(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), text)


def _value(change: Change) -> str:
    if change.field == "note":
        return json.dumps(change.value, ensure_ascii=False)
    return "1" if change.value else "0"


def format_changes(
    changes: Iterable[Change],
    *,
    extras: dict[str, dict[str, Extra]] | None = None,
    header: str = HEADER,
) -> tuple[str, int]:
    """The file text for ``changes`` and the number of paper lines in it.

    ``extras`` (unknown fields, see :class:`ParsedState`) are written after
    the known fields of their paper, sorted by name.
    """
    by_id: dict[str, list[Change]] = {}
    for change in changes:
        by_id.setdefault(change.id, []).append(change)
    extras = extras or {}
    lines = [header]
    for pid in sorted(set(by_id) | set(extras)):
        fields = sorted(by_id.get(pid, ()), key=lambda c: (_FIELD_ORDER[c.field], c.tag or ""))
        parts = [_escape(pid)]
        for change in fields:
            name = f"tag:{_escape(change.tag or '')}" if change.field == "tag" else change.field
            parts.append(f"{name}={_value(change)}@{format_time(change.at)}")
        for name, (value, _micro, when) in sorted(extras.get(pid, {}).items()):
            parts.append(f"{name}={value}@{when}")
        lines.append("\t".join(parts))
    return "\n".join(lines) + "\n", len(by_id.keys() | extras.keys())


def export_state(
    store: StateStore, path: Path | None, *, now: float | None = None
) -> tuple[str, int]:
    """Write the store's state to ``path`` atomically (None: only return it).

    What is written is what an import accepts (:func:`exportable_changes`).
    Returns the text and the number of papers in it.
    """
    text, papers = format_changes(exportable_changes(store.changes(), now=now))
    if path is not None:
        atomic_write_text(path, text)
    return text, papers


# --------------------------------------------------------------------------- reading


@dataclass(slots=True)
class _Line:
    pid: str
    changes: list[Change]
    extras: dict[str, Extra]
    notes: list[str]  # fields left out, each a short reason


def _parse_line(line: str, limit: float) -> _Line:
    """One paper line; ValueError with a short reason if it is bad as a whole.

    Fields stamped after ``limit`` and fields of unknown names are left out
    of an otherwise good line, each with a note.
    """
    parts = line.split("\t")
    raw_id = unquote(parts[0], errors="strict")
    if not raw_id.strip() or raw_id != raw_id.strip():
        raise ValueError("missing paper id")
    pid = _normal_id(raw_id)
    if pid is None:
        raise ValueError(f"not an arXiv id: {strip_controls(raw_id)[:40]!r}")
    if len(parts) == 1:
        raise ValueError(f"no fields for {pid}")
    result = _Line(pid, [], {}, [])
    seen: set[str] = set()
    for part in parts[1:]:
        name, eq, rest = part.partition("=")
        value, at_sign, when = rest.rpartition("@")
        if not eq or not at_sign:
            raise ValueError(f"field is not NAME=VALUE@TIME: {strip_controls(part)[:60]!r}")
        at = parse_time(when)
        shown = strip_controls(name)[:40]
        if at > limit:
            # Checked before the value: a refused field is left out whatever it holds.
            if name in seen:
                raise ValueError(f"field {shown} given twice")
            seen.add(name)
            result.notes.append(f"{shown} changed in the future ({when}); field ignored")
            continue
        if name.startswith("tag:") and not clean_tag(unquote(name[4:], errors="strict")):
            result.notes.append("empty tag name (once controls are removed); field ignored")
            continue
        change = _parse_field(pid, name, value, at)
        key = name if change is None or change.field != "tag" else f"tag:{change.tag}"
        if key in seen:
            raise ValueError(f"field {strip_controls(key)[:40]} given twice")
        seen.add(key)
        if change is not None:
            result.changes.append(change)
        elif _FIELD_NAME_RE.fullmatch(name) and _is_unicode(value) and "\n" not in value:
            result.extras[name] = (value, _micros(at), when)
            result.notes.append(f"unknown field {shown!r} ignored (from a newer digest-tui?)")
        else:
            raise ValueError(f"unknown field {shown!r}")
    return result


def _parse_field(pid: str, name: str, value: str, at: float) -> Change | None:
    """A known field as a change (None for an unknown name); ValueError if it is bad."""
    if name in ("read", "starred"):
        if value not in ("0", "1"):
            raise ValueError(f"{name} must be 0 or 1, not {strip_controls(value)[:20]!r}")
        return Change(pid, name, value == "1", at)
    if name == "note":
        try:
            note = json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            raise ValueError("note is not a JSON string") from None
        if note is not None and not isinstance(note, str):
            raise ValueError("note is not a JSON string")
        if note is not None and not _is_unicode(note):
            raise ValueError("note holds a lone surrogate (not Unicode text)")
        return Change(pid, "note", clean_note(note), at)
    if name.startswith("tag:"):
        tag = clean_tag(unquote(name[4:], errors="strict"))  # not empty: checked before
        if value not in ("0", "1"):
            raise ValueError(f"tag {tag} must be 0 or 1, not {strip_controls(value)[:20]!r}")
        return Change(pid, "tag", value == "1", at, tag)
    return None


def _is_conflict_marker(raw: bytes) -> bool:
    if raw.startswith(_CONFLICT_PREFIXES_B):
        return True
    return raw.rstrip(b"\r") == b"=" * 7


def parse_state(
    data: bytes, source: str, *, now: float | None = None, in_merge: bool = False
) -> ParsedState:
    """Read a state file's bytes; raise :class:`SyncFormatError` if it is unusable whole.

    A line that cannot be read is skipped with a warning; fields stamped
    later than ``now`` (default: the clock) plus :data:`MAX_CLOCK_SKEW_S` and
    fields of unknown names are left out with a warning.  With ``in_merge``
    git conflict markers are skipped like other bad lines (the lines between
    them are each sides' good lines) instead of refusing the file.
    """
    limit = (time.time() if now is None else now) + MAX_CLOCK_SKEW_S
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    if not in_merge:
        for number, raw in enumerate(raw_lines, 1):
            if _is_conflict_marker(raw):
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
            version = int(m.group(1)[:6])
            if version > FORMAT_VERSION:
                raise SyncFormatError(
                    f"{source}: written by a newer digest-tui (state format v{m.group(1)[:6]}, "
                    f"this one reads v{FORMAT_VERSION}); nothing imported"
                )
            result.header = strip_controls(line).replace("\t", " ")
            result.version = version
            header_seen = True
            continue
        if in_merge and _is_conflict_marker(raw):
            result.warnings.append(LineWarning(source, number, "git conflict marker; skipped"))
            continue
        if not line.strip() or line.startswith("#"):
            continue
        try:
            parsed = _parse_line(line, limit)
        except (ValueError, UnicodeError, OverflowError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            result.warnings.append(LineWarning(source, number, f"{reason}; line skipped"))
            continue
        for note in parsed.notes:
            result.warnings.append(LineWarning(source, number, note))
        if parsed.changes:
            result.papers += 1
        result.changes.extend(parsed.changes)
        if parsed.extras:
            result.extras.setdefault(parsed.pid, {}).update(parsed.extras)
    if not header_seen:
        raise SyncFormatError(f"{source}: not a digest-tui state file (it is empty)")
    return result


def import_state(
    store: StateStore,
    path: Path | None,
    *,
    source: str | None = None,
    now: float | None = None,
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
    parsed = parse_state(data, name, now=now)
    updated = store.merge(parsed.changes)
    return ImportReport(updated=updated, papers=parsed.papers, warnings=parsed.warnings)


# --------------------------------------------------------------------------- merging


def _merge_extras(states: Sequence[ParsedState]) -> dict[str, dict[str, Extra]]:
    merged: dict[str, dict[str, Extra]] = {}
    for state in states:
        for pid, fields in state.extras.items():
            into = merged.setdefault(pid, {})
            for name, extra in fields.items():
                old = into.get(name)
                if old is None or (extra[1], extra[0]) > (old[1], old[0]):
                    into[name] = extra
    return merged


def merge_parsed(states: Sequence[ParsedState]) -> str:
    """The file holding, for every field, the latest change among ``states``.

    The same rule as :meth:`StateStore.merge`, so importing the result gives
    what importing each of ``states`` would.  The header is the first
    state's; unknown fields are carried through (the latest of each wins).
    """
    best = _latest(change for state in states for change in state.changes)
    header = states[0].header if states else HEADER
    return format_changes(best.values(), extras=_merge_extras(states), header=header)[0]


def merge_texts(
    base: bytes,
    ours: bytes,
    theirs: bytes,
    *,
    now: float | None = None,
    warn: Callable[[LineWarning], None] | None = None,
) -> str:
    """Three-way merge of state files, for ``git merge``: the merged text.

    Every field carries the time of its last change, so the latest change of
    each field is in ``ours`` or ``theirs`` and the common ancestor ``base``
    adds nothing: a removal (a tag taken off, a note deleted, an unstar) is a
    change with its own time, present on the side that made it.  ``base`` is
    read only to be sure it is a state file of a format this version knows.
    Raises :class:`SyncFormatError` when ``ours`` or ``theirs`` cannot be used
    at all (not a state file, a newer format); lines that cannot be read are
    left out, each reported through ``warn``.
    """
    parsed: list[ParsedState] = []
    for data, name in ((ours, "ours"), (theirs, "theirs"), (base, "base")):
        if name == "base" and not data.strip():
            continue  # a file added on both sides has an empty ancestor
        parsed.append(parse_state(data, name, now=now, in_merge=True))
    if warn is not None:
        for state in parsed[:2]:
            for w in state.warnings:
                warn(w)
    return merge_parsed(parsed[:2])
