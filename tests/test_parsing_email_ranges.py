"""A large e-mail parsed in byte ranges (``parsing.email_ranges``, the
library's worker processes) gives exactly what it gives parsed in one pass."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from digest_tui import library, parsing
from digest_tui.library import Library, index_path_for
from digest_tui.models import Paper, ParseResult
from digest_tui.parsing import MAX_WARNINGS, email_ranges

from .conftest import load_make_corpus

LIST = "Computer Vision and Pattern Recognition"
SEPARATOR = b"\n" + b"-" * 78 + b"\n"


def _email(tmp_path: Path, papers: int, seed: int = 3) -> bytes:
    root = tmp_path / f"mail{papers}-{seed}"
    load_make_corpus().make_corpus(
        papers, root, seed=seed, fmt="email", per_file=papers, start=date(2021, 3, 1)
    )
    (path,) = root.rglob("*.txt")
    return path.read_bytes()


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A generated e-mail of 400 papers."""
    return _email(tmp_path_factory.mktemp("ranges"), 400)


def _flat(parts: list[ParseResult]) -> tuple[list[Paper], ParseResult]:
    return [p for part in parts for p in part.papers], parts[-1]


def assert_same(data: bytes, range_bytes: int, head: int = 100) -> None:
    """Papers (each its own: batches of one), appearances, warnings, entry
    count, date and category in ranges as in one pass."""
    serial = list(parsing.iter_parse_bytes(data, "d.txt", 1, min_bytes=0))
    ranged = list(email_ranges.iter_parse_ranges(data, "d.txt", head, range_bytes, batch=1))
    papers, last = _flat(ranged)
    want, want_last = _flat(serial)
    assert [p.id for p in papers] == [p.id for p in want]
    assert papers == want
    assert last.warnings == want_last.warnings
    assert (last.entries, last.more, last.format) == (want_last.entries, False, want_last.format)
    assert all(r.more for r in ranged[:-1])
    assert {(r.date, r.category) for r in ranged} == {(want_last.date, want_last.category)}


def _ranges(data: bytes, range_bytes: int, head: int = 100) -> int:
    """How many ranges follow the head."""
    cut = email_ranges.head_cut(data, head)
    if cut is None or cut >= len(data):
        return 0
    n, start = 0, cut
    while start < len(data):
        start = email_ranges.next_cut(
            lambda at, k: data[at : at + k], start + range_bytes, len(data)
        )
        n += 1
    return n


@pytest.mark.parametrize("range_bytes", [1, 700, 5000, 60000, 10**9])
def test_ranges_give_what_one_pass_gives(mail: bytes, range_bytes: int) -> None:
    assert_same(mail, range_bytes)
    if range_bytes < 10**9:
        assert _ranges(mail, range_bytes) >= 5


def test_whole_results_merge_papers_listed_twice_as_one_pass_does(mail: bytes) -> None:
    # Batches of the library's size: each range one result.
    one = parsing.parse_bytes(mail, "d.txt")
    parts = list(email_ranges.iter_parse_ranges(mail, "d.txt", 100, 20000))
    assert len(parts) > 5
    assert [p for part in parts for p in part.papers] == one.papers
    assert parts[-1].warnings == one.warnings and parts[-1].entries == one.entries


def test_every_cut_place_near_entry_boundaries(tmp_path: Path) -> None:
    data = _email(tmp_path, 110, seed=9)
    cut = email_ranges.head_cut(data, 100)
    assert cut is not None
    # Ranges ending at every byte around the next few entry boundaries:
    # exactly at a separator, in its line break, just after it.
    for range_bytes in range(1, 3600, 53):
        assert_same(data, range_bytes)
    sep = data.find(b"\n" + b"-" * 78 + b"\n", cut + 1000)
    for at in range(sep - 3, sep + 83):
        assert_same(data, at - cut)


def test_a_file_cut_short_mid_entry(mail: bytes) -> None:
    in_fields = mail.rfind(b"\nTitle:") + 9
    for end in (len(mail) * 2 // 3, len(mail) - 300, len(mail) - 1, in_fields):
        assert_same(mail[:end], 3000)
    last = list(email_ranges.iter_parse_ranges(mail[:in_fields], "d.txt", 100, 3000))[-1]
    assert any("file truncated" in w.message for w in last.warnings)


def test_no_line_break_at_the_end(mail: bytes) -> None:
    assert_same(mail.rstrip(b"\n"), 3000)
    no_link = mail[: mail.rfind(b"\\\\ ( https")].rstrip(b"\n")
    assert_same(no_link, 3000)
    last = list(email_ranges.iter_parse_ranges(no_link, "d.txt", 100, 3000))[-1]
    assert any("does not end with a newline" in w.message for w in last.warnings)


def test_invalid_utf8_is_warned_at_its_first_byte_only(mail: bytes) -> None:
    middle = mail.find(b"\n  ", len(mail) // 2) + 5
    later = mail.find(b"\n  ", len(mail) * 3 // 4) + 5
    bad = mail[:middle] + b"\xff\xfe" + mail[middle:later] + b"\xc3" + mail[later:]
    assert_same(bad, 3000)
    (warning,) = [
        w
        for w in list(email_ranges.iter_parse_ranges(bad, "d", 100, 3000))[-1].warnings
        if "UTF-8" in w.message
    ]
    assert f"at byte {middle};" in warning.message
    head = mail.find(b"\n  ", 2000) + 5
    assert_same(mail[:head] + b"\xe2\x82" + bad[head:], 3000)


def test_line_breaks_of_every_kind(mail: bytes) -> None:
    assert_same(mail.replace(b"\n", b"\r\n"), 3000)
    half = len(mail) // 2
    assert_same(mail[:half] + mail[half:].replace(b"Authors:", b"\rAuthors:"), 3000)


def test_a_byte_order_mark_and_one_that_is_not_at_the_start(mail: bytes) -> None:
    at = mail.find(b"\n\\\\\n", len(mail) // 2) + 1
    assert_same(b"\xef\xbb\xbf" + mail[:at] + "\ufeff".encode() + mail[at:], 3000)


def test_warnings_past_the_cap_across_ranges(tmp_path: Path) -> None:
    data = _email(tmp_path, 1300, seed=2)
    # No title: one warning an entry, most of them in ranges.
    untitled = data.replace(b"\nTitle:", b"\nTitel:")
    assert _ranges(untitled, 30000) > 10
    assert_same(untitled, 30000)
    last = list(email_ranges.iter_parse_ranges(untitled, "d.txt", 100, 30000))[-1]
    assert len(last.warnings) == MAX_WARNINGS + 1
    assert last.warnings[-1].message == "... 300 more warnings not shown"
    # Few in the head, more than the cap in one range.
    assert_same(untitled, 10**6)


def _several_lists(data: bytes) -> bytes:
    return data.replace(LIST.encode(), f"{LIST}\nMachine Learning\nRobotics".encode(), 1)


def test_categories_chosen_for_a_paper_listed_in_earlier_ranges(
    mail: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = _several_lists(mail).split(SEPARATOR)
    # Entries listed again, later, as they are and as cross-lists, some twice.
    again = entries[5:300:7]
    crossed = [
        e.replace(b"\n", b" (*cross-listing*)\n", 2).replace(
            b"\\\\ (*cross-listing*)\n", b"\\\\\n", 1
        )
        for e in entries[10:200:11]
    ]
    mixed = SEPARATOR.join(entries[:-1] + again + crossed + again[:10] + entries[-1:])
    one = parsing.parse_bytes(mixed, "d.txt")
    assert one.category is None
    assert any(len({a.category for a in p.appearances}) > 1 for p in one.papers)
    chosen_again: list[int] = []
    real = email_ranges.Merger.take

    def recording(
        self: email_ranges.Merger, part: email_ranges.RangePart, last: bool
    ) -> tuple[ParseResult, email_ranges.Shift]:
        result, shift = real(self, part, last)
        chosen_again.append(len(shift.categories))
        return result, shift

    monkeypatch.setattr(email_ranges.Merger, "take", recording)
    assert_same(mixed, 4000)
    assert sum(chosen_again) > 10  # not what the range alone chose


def test_a_file_without_a_head_cut_is_parsed_in_one_pass(mail: bytes) -> None:
    # No separator lines: nowhere to cut.
    flat = mail.replace(b"-" * 78, b"=" * 78)
    assert email_ranges.head_cut(flat, 100) is None
    assert_same(flat, 3000)
    # Entries only in what looks like the preamble: no "\\" line before the cut.
    assert email_ranges.head_cut(b"x\narXiv:1\n" + b"-" * 30 + b"\n", 0) is None


# -- the library --------------------------------------------------------------


def _dump(index: Path) -> list[list[tuple[object, ...]]]:
    with sqlite3.connect(index) as conn:
        return [
            conn.execute("SELECT * FROM papers ORDER BY pid").fetchall(),
            conn.execute("SELECT * FROM appearances ORDER BY fid, pid, position").fetchall(),
            conn.execute(
                "SELECT path, size, hash, parser_version, format, date, category, entries,"
                " papers, warnings FROM files"
            ).fetchall(),
        ]


def test_a_scan_with_workers_stores_what_one_without_stores(
    tmp_path: Path, mail: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "digests"
    root.mkdir()
    entries = _several_lists(mail).split(SEPARATOR)
    data = SEPARATOR.join(entries[:-1] + entries[5:300:9] + entries[-1:])
    middle = data.find(b"\n  ", len(data) // 2) + 5
    (root / "2021-03-01.txt").write_bytes(data[:middle] + b"\xff" + data[middle:-400])
    monkeypatch.setattr(library, "RANGED_MIN_BYTES", 0)
    monkeypatch.setattr(email_ranges, "RANGE_BYTES", 20000)
    taken: list[bool] = []
    real = library._RangedEmail.take

    def recording(self: library._RangedEmail, future: object, last: bool) -> object:
        taken.append(last)
        return real(self, future, last)  # type: ignore[arg-type]

    monkeypatch.setattr(library._RangedEmail, "take", recording)
    dumps = []
    for workers in (1, 2):
        index = index_path_for(tmp_path / f"cache{workers}", [root])
        with Library(index, [root]) as lib:
            report = lib.scan(workers=workers)
            assert report.files_parsed == 1
            found = lib.search("learning", limit=10**6).pids
        dumps.append([*_dump(index), list(found)])
    assert len(taken) > 10 and taken[-1] and not any(taken[:-1])
    assert dumps[0] == dumps[1]
    papers, appearances, files, found = dumps[1]
    assert found
    assert len(papers) >= 400 and len(appearances) > len(papers)
    assert "invalid UTF-8" in str(files[0][-1]) and "cut short" in str(files[0][-1])


def test_one_large_file_is_parsed_with_workers(
    tmp_path: Path, mail: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "digests"
    root.mkdir()
    (root / "2021-03-01.txt").write_bytes(mail)
    chosen: list[int | None] = []

    def recording(paths: list[str], workers: int | None, max_bytes: int) -> object:
        chosen.append(workers)
        return iter(())

    monkeypatch.setattr(Library, "_parse_all", staticmethod(recording))
    monkeypatch.setattr(library.os, "cpu_count", lambda: 2)
    for least in (1 << 60, 0):
        monkeypatch.setattr(library, "RANGED_MIN_BYTES", least)
        with Library(index_path_for(tmp_path / f"c{least}", [root]), [root]) as lib:
            lib.scan()
    assert chosen == [1, 2]


def test_a_range_that_fails_ends_the_file_with_a_warning(tmp_path: Path, mail: bytes) -> None:
    from concurrent.futures import Future

    path = tmp_path / "2021-03-01.txt"
    path.write_bytes(mail)
    assert library._RangedEmail.open(str(path), 2**30) is None  # small
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(library, "RANGED_MIN_BYTES", 0)
        ranged = library._RangedEmail.open(str(path), 2**30)
    assert ranged is not None
    parts = list(ranged.head_parts())
    assert parts[0][4] and not any(p[5] for p in parts)
    assert len(list(ranged.ranges())) == 1  # one range of RANGE_BYTES: the rest
    broken: Future[tuple[email_ranges.RangePart, list[library._Stored]]] = Future()
    broken.set_exception(ValueError("bug"))
    failed = ranged.take(broken, False)
    assert failed is not None
    _path, _digest, result, rows, first, last = failed
    assert (rows, first, last) == ([], False, True)
    assert result.warnings[0].message == "internal parser error: ValueError: bug"
    assert ranged.take(broken, True) is None  # nothing after the last part


def test_a_large_file_that_cannot_be_ranged_is_not_read_whole_for_it(
    tmp_path: Path, mail: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only what its first 4 MB say decides; the whole file is read (to be
    hashed) for the ranges only once they can be cut, so any other large
    file is read whole once, by the usual path."""
    hashed: list[str] = []
    real = library._hash_blocks

    def counting(path: str, max_bytes: int) -> tuple[str, bytes, bool] | str:
        hashed.append(path)
        return real(path, max_bytes)

    monkeypatch.setattr(library, "_hash_blocks", counting)
    monkeypatch.setattr(library, "RANGED_MIN_BYTES", 0)
    others = {
        "markdown.md": (tmp_path / "seed.md", b"## Papers\n\n" + b"- a line\n" * 20000),
        "no-cut.txt": (tmp_path / "flat.txt", mail.replace(SEPARATOR, b"\n")),
        "nul.txt": (tmp_path / "nul.txt", mail[:5000] + b"\x00" + mail[5000:]),
    }
    for path, data in others.values():
        path.write_bytes(data)
        assert library._RangedEmail.open(str(path), 2**30) is None
    assert hashed == []
    ranged_path = tmp_path / "2021-03-01.txt"
    ranged_path.write_bytes(mail)
    assert library._RangedEmail.open(str(ranged_path), 2**30) is not None
    assert hashed == [str(ranged_path)]
    # A NUL byte past the first 4 MB is found by the hash, and the file not ranged.
    late = tmp_path / "late-nul.txt"
    late.write_bytes(mail + b"\n" * (4 * 2**20) + b"\x00\n")
    assert library._RangedEmail.open(str(late), 2**30) is None
