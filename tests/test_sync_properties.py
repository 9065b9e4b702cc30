"""Property tests of the state file: no input makes an import raise, good lines are
always imported, and the merge driver gives what importing both sides by hand gives."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest_tui.state import Change, StateStore
from digest_tui.sync import (
    HEADER,
    SyncFormatError,
    format_changes,
    format_time,
    import_state,
    merge_texts,
    parse_state,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NOW = 1_750_000_000.0  # the clock of every import here
TIMES = [NOW - 3600, NOW - 60, NOW - 59.5, NOW - 1, NOW, NOW + 3 * 86400]  # the last: refused
IDS = ["2005.10825", "2005.10826", "quant-ph/9802028", "2101.00001"]
TAGS = ["cv", "to read", "a=b@c%", "x\x1b[31m", "\x1b[2J"]
NOTES = [None, "", "  ", "see §3", "tab\there\nnewline", "\x9b31m\x7f", "\ud800 half", '"q"']

change = st.one_of(
    st.builds(
        Change,
        st.sampled_from(IDS),
        st.sampled_from(["read", "starred"]),
        st.booleans(),
        st.sampled_from(TIMES),
    ),
    st.builds(
        Change,
        st.sampled_from(IDS),
        st.just("note"),
        st.one_of(st.sampled_from(NOTES), st.text(max_size=12)),
        st.sampled_from(TIMES),
    ),
    st.builds(
        Change,
        st.sampled_from(IDS),
        st.just("tag"),
        st.booleans(),
        st.sampled_from(TIMES),
        st.one_of(st.sampled_from(TAGS), st.text(min_size=1, max_size=8)),
    ),
)

# Lines built from state-file pieces find more than uniform random text.
PIECES = [
    "2005.10825",
    "2005.10825v2",
    "arXiv:2005.10826",
    "https://arxiv.org/abs/2101.00001v3",
    "not-an-id",
    "%1B[31m",
    "%ZZ",
    "%ED%A0%80",
    "\t",
    "read=1",
    "starred=0",
    "note=",
    '"x"',
    '"\\ud800"',
    '"\\u001b]52;c;QUFB\\u0007"',
    "null",
    "[1]",
    "tag:",
    "tag:cv=1",
    "priority=2",
    "=",
    "@",
    "@2025-06-15T15:06:40Z",
    "@9999-12-31T23:59:59.999999Z",
    "@2999-01-01T00:00:00Z",
    "@1969-12-31T23:59:59Z",
    "@2025-02-30T00:00:00Z",
    "#",
    "\r",
    "\x00",
    "\ufeff",
]
line_like = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=12).map(
    "".join
)
junk_line = st.one_of(line_like, st.text(max_size=40)).map(lambda s: s.replace("\n", " "))


# A store per example: in memory-backed /dev/shm where there is one, where its
# fsyncs cost nothing.
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


@contextmanager
def fresh_store() -> Iterator[StateStore]:
    folder = Path(tempfile.mkdtemp(prefix="digest-sync-prop-", dir=SCRATCH))
    try:
        with StateStore(folder) as store:
            yield store
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def with_junk(good: str, junk: list[str], where: list[int]) -> bytes:
    lines = good.splitlines()
    for line, at in zip(junk, where, strict=False):
        lines.insert(1 + at % len(lines), line)
    return ("\n".join(lines) + "\n").encode("utf-8", errors="surrogatepass")


# ------------------------------------------------------------------ import


@FAST
@given(st.binary(max_size=400), st.lists(junk_line, max_size=8))
def test_import_never_raises_on_any_bytes(data: bytes, lines: list[str]) -> None:
    for blob in (
        data,
        HEADER.encode() + b"\n" + data,
        ("\n".join([HEADER, *lines]) + "\n").encode("utf-8", errors="surrogatepass"),
    ):
        try:
            parsed = parse_state(blob, "f", now=NOW)
        except SyncFormatError:
            continue
        with fresh_store() as store:
            store.merge(parsed.changes)  # whatever the parse let through, the store takes
            assert all(w.source == "f" and w.line > 1 for w in parsed.warnings)


@FAST
@given(
    st.lists(change, max_size=12),
    st.lists(junk_line, max_size=8),
    st.lists(st.integers(0, 50), max_size=8),
)
def test_good_lines_are_imported_whatever_lines_surround_them(
    good: list[Change], junk: list[str], where: list[int]
) -> None:
    # The good file: what a machine exports (one line a paper, clean values).
    with fresh_store() as source:
        source.merge([c for c in good if c.at <= NOW and _storable(c)])
        exported = format_changes(source.changes())[0]
        expected = source.changes()
    data = with_junk(exported, junk, where)
    with fresh_store() as store:
        folder = Path(tempfile.mkdtemp(dir=SCRATCH))
        try:
            (folder / "in.txt").write_bytes(data)
            import_state(store, folder / "in.txt", now=NOW)
        finally:
            shutil.rmtree(folder)
        # Every good change is in: importing it again changes nothing.
        assert store.merge(expected) == set()


def _storable(c: Change) -> bool:
    """What a store would hold after a clean import (the generator makes raw values)."""
    from digest_tui.sync import clean_note, clean_tag

    if c.field == "tag":
        return bool(clean_tag(c.tag or "")) and c.tag == clean_tag(c.tag or "")
    if c.field == "note":
        return c.value is None or (
            isinstance(c.value, str)
            and c.value == clean_note(c.value)
            and "\ud800" not in c.value
            and all(not 0xD800 <= ord(ch) <= 0xDFFF for ch in c.value)
        )
    return True


# ------------------------------------------------------------------ the merge driver


def text_of(changes: list[Change]) -> str:
    """A state file as a machine may hold it: any values, times, even future ones."""
    lines = [HEADER]
    by_id: dict[str, list[str]] = {}
    seen: set[tuple[str, str, str]] = set()
    for c in changes:
        key = (c.id, c.field, c.tag or "")
        if key in seen:
            continue
        seen.add(key)
        one = format_changes([c])[0].splitlines()[1].split("\t")
        by_id.setdefault(one[0], []).extend(one[1:])
    for pid, fields in sorted(by_id.items()):
        lines.append("\t".join([pid, *fields]))
    return "\n".join(lines) + "\n"


@FAST
@given(
    st.lists(change, max_size=10),
    st.lists(change, max_size=10),
    st.lists(change, max_size=4),
    st.lists(junk_line, max_size=3),
    st.lists(st.integers(0, 30), max_size=3),
)
def test_merge_driver_gives_what_importing_both_sides_gives(
    ours_changes: list[Change],
    theirs_changes: list[Change],
    base_changes: list[Change],
    junk: list[str],
    where: list[int],
) -> None:
    ours = with_junk(text_of(ours_changes), junk, where)
    theirs = text_of(theirs_changes).encode("utf-8", errors="surrogatepass")
    base = text_of(base_changes).encode("utf-8", errors="surrogatepass")
    merged = merge_texts(base, ours, theirs, now=NOW)
    assert not any(m in merged for m in ("<<<<<<<", ">>>>>>>", "\n=======\n"))
    with fresh_store() as by_driver, fresh_store() as by_hand:
        by_driver.merge(parse_state(merged.encode(), "merged", now=NOW).changes)
        for side in (ours, theirs):
            by_hand.merge(parse_state(side, "side", now=NOW).changes)
        assert by_driver.changes() == by_hand.changes()
        # The merge is what the store exports, byte for byte, but for unknown fields.
        if "priority" not in merged:
            assert merged == format_changes(by_hand.changes())[0]
    # Either side first: the same merge.
    assert merge_texts(base, theirs, ours, now=NOW) == merged


def test_format_time_round_trips_every_representable_microsecond() -> None:
    from digest_tui.sync import parse_time

    for at in (0.0, 0.000001, NOW + 0.123456, 253402300799.999999):
        assert parse_time(format_time(at)) == round(at * 1e6) / 1e6 or at > 2.5e11
