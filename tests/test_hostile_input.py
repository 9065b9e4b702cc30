"""Hostile and broken digest files: what each gives (this table is the documentation).

Every warning is ``file:line: message`` (:class:`digest_tui.models.ParseWarning`);
nothing here ever raises, and a bad file never stops its neighbours loading.

====================================  ===========  =========================================
input                                 format       papers / warning (line: message)
====================================  ===========  =========================================
empty, blank, or only a BOM           None         none / 1: ``empty file``
binary (a NUL in the first 8 KiB,     None         none / 1: ``not a digest (binary data)``,
no digest marker)                                  after ``invalid UTF-8 at byte N ...`` at
                                                   its line when the bytes do not decode
markdown with ``###`` headings that   None         none / 1: ``not a digest (no known digest
is not a digest (a README)                         header or entries)``
markdown that quotes digest entries   sniffed      its entries: content decides, not names
truncated mid-line (no final          sniffed      every complete entry, and the cut one with
newline)                                           what it has / its heading line: ``entry may
                                                   be cut short ... (truncated?)``; cut inside
                                                   a heading or before the id: ``entry
                                                   skipped: no arXiv id (..., file
                                                   truncated?)``
truncated at a line end mid-entry     sniffed      as above; a last entry without abstract:
                                                   ``entry has no abstract (file truncated?)``
                                                   / ``entry has no Summary field (file
                                                   truncated?)``
NUL bytes in a digest                 sniffed      all; NULs removed from the text / line of
                                                   the first: ``N NUL bytes removed``
invalid UTF-8                         sniffed      all; bad bytes become U+FFFD / line of the
                                                   first: ``invalid UTF-8 at byte N; ...``
UTF-8 BOM, CRLF or CR line ends       sniffed      identical to the clean file, no warning
one 50 MB line                        any          at most one entry; a field over
                                                   MAX_FIELD_CHARS (100,000) is cut / its
                                                   heading: ``entry text longer than ...
                                                   cut short``; linear time (< 1 s here)
a million one-line entries            sniffed      papers <= entries; the first MAX_WARNINGS
                                                   (1000) warnings, then one ``... N more
                                                   warnings not shown`` at the line of the
                                                   first left out; ~10 s
two formats in one file               the first    the format whose header or first entry
                                      in the file  comes first parses its entries; each entry
                                                   of the other format: its heading line:
                                                   ``entry skipped: an arxiv_X entry in an
                                                   arxiv_Y digest``
====================================  ===========  =========================================

Property tests at the end drive both parsers with digests generated from the
seed grammar (then mutated), and the query language with generated queries
run against a real index.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest_tui.cli import main
from digest_tui.library import Library
from digest_tui.library_sql import where_sql
from digest_tui.models import ParseResult
from digest_tui.parsing import (
    FORMATS,
    MAX_WARNINGS,
    normalize_id,
    parse_bytes,
    parse_file,
    parse_text,
)
from digest_tui.parsing._common import MAX_FIELD_CHARS, split_lines
from digest_tui.query import QueryError, parse_query
from digest_tui.state import StateStore
from digest_tui.text import is_web_url

from .conftest import SEEDS

SEED_FILES = sorted(SEEDS.glob("*.txt"))
DAILY_SEED = SEED_FILES[0]  # 42 entries, format arxiv_daily
BIG_DAILY_SEED = SEED_FILES[1]  # 166 KB: longer than what the sniffers read
FIELDS_SEED = SEED_FILES[4]  # 28 entries, format arxiv_fields

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def heading_lines(text: str) -> list[int]:
    lines, _ = split_lines(text)
    return [i + 1 for i, line in enumerate(lines) if line.startswith("###")]


def summary(result: ParseResult) -> list[tuple[object, ...]]:
    """What a reader sees of the papers, for comparing two parses."""
    return [
        (p.id, p.version, p.title, p.authors, p.abstract, p.pdf_url, p.abs_url, p.comment)
        + tuple((a.line, a.position) for a in p.appearances)
        for p in result.papers
    ]


def messages(result: ParseResult) -> list[tuple[int, str]]:
    return [(w.line, w.message) for w in result.warnings]


def check_invariants(result: ParseResult, text: str | None = None) -> None:
    """What must hold for any input whatever."""
    assert isinstance(result, ParseResult)
    assert len(result.papers) <= result.entries
    assert all(not w.message.startswith("internal parser error") for w in result.warnings)
    assert len(result.warnings) <= MAX_WARNINGS + 3  # + NUL, decoding, "... N more"
    if text is not None and result.format in ("arxiv_daily", "arxiv_fields", "ai_enhanced", None):
        # NUL bytes are removed before parsing (documented), so count without them.
        heads = heading_lines(text.removeprefix("\ufeff").replace("\x00", ""))
        assert result.entries <= len(heads)
        for paper in result.papers:
            for a in paper.appearances:
                assert a.line in heads  # an appearance points at its heading
    for w in result.warnings:
        assert w.line >= 1 and "\n" not in w.message
    for paper in result.papers:
        assert normalize_id(paper.id) == (paper.id, None)
        assert is_web_url(paper.pdf_url) and is_web_url(paper.abs_url)
        texts = [paper.title, paper.abstract, *paper.authors, *paper.categories]
        texts += [paper.comment or "", paper.journal_ref or "", paper.doi or ""]
        texts += [paper.published or "", paper.updated or "", paper.primary_category or ""]
        for s in texts:
            assert not UNSAFE.search(s), (paper.id, s)
            assert len(s) <= MAX_FIELD_CHARS
        assert "\n" not in paper.title and all("\n" not in a for a in paper.authors)


# --------------------------------------------------------------------------
# The outcome table, one row at a time
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [b"", b"   \n\n\t\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n\r\n"], ids=repr
)
def test_empty_file_is_not_a_digest_and_warns_empty_file_at_line_1(data: bytes) -> None:
    result = parse_bytes(data, "e.md")
    assert result.format is None and not result.papers
    assert [str(w) for w in result.warnings] == ["e.md:1: empty file"]


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 64,
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(4000),
        b"SQLite format 3\x00" + bytes(range(256)) * 20,
        b"\x1f\x8b\x08\x00" + b"\x00\xff" * 3000,
    ],
    ids=["all-bytes", "png", "sqlite", "gzip"],
)
def test_binary_file_is_not_a_digest_with_a_warning_at_line_1(data: bytes) -> None:
    result = parse_bytes(data, "b.bin")
    check_invariants(result)
    assert result.format is None and not result.papers
    assert ("b.bin", 1, "not a digest (binary data)") in [
        (w.source, w.line, w.message) for w in result.warnings
    ]


def test_readme_with_headings_is_not_a_digest() -> None:
    readme = (
        "# digest-tui\n\nA reader.\n\n## Install\n\n### Linux\n\n```\npip install x\n```\n\n"
        "### macOS\n\n- **Note**: use brew\n- [link](https://example.org)\n\n"
        "### 1. Usage\n\n> quoted text\n"
    )
    result = parse_text(readme, "README.md")
    assert result.format is None and not result.papers
    assert messages(result) == [(1, "not a digest (no known digest header or entries)")]


def test_markdown_quoting_digest_entries_is_read_as_a_digest() -> None:
    # A README that shows an example entry *is* a digest of that entry: the
    # format is decided by content, never by file name.
    doc = (
        "# My reading list\n\nSome notes.\n\n"
        "### Evolving Search Space for Neural Architecture Search\n"
        "- **Arxiv ID**: http://arxiv.org/abs/2011.10904v2\n"
        "- **Summary**: An abstract.\n\n"
        "### Unrelated notes heading\n\nplain text\n"
    )
    result = parse_text(doc, "notes.md")
    check_invariants(result, doc)
    assert result.format == "arxiv_fields"
    assert [p.id for p in result.papers] == ["2011.10904"]
    assert (1, "no digest header") in messages(result)
    assert (9, "entry skipped: no arXiv id (no Arxiv ID field, file truncated?)") in messages(
        result
    )


@pytest.mark.parametrize("seed", [DAILY_SEED, FIELDS_SEED], ids=lambda p: p.name[:3])
@pytest.mark.parametrize("entry", [1, 5, -1])
def test_truncated_mid_entry_loads_complete_entries_and_warns_at_the_cut_entry(
    seed: Path, entry: int
) -> None:
    data = seed.read_bytes()
    full = parse_bytes(data, "t")
    heads = heading_lines(data.decode())
    head = heads[entry]  # the entry that gets cut
    lines = data.split(b"\n")
    # Cut in the middle of the entry's last non-blank line (its abstract).
    end = heads[entry + 1] - 1 if entry != -1 else len(lines)  # its last line
    last = max(i for i in range(head + 1, end + 1) if lines[i - 1].strip())
    cut = sum(len(x) + 1 for x in lines[: last - 1]) + len(lines[last - 1]) // 2
    result = parse_bytes(data[:cut], "t")
    check_invariants(result, data[:cut].decode())
    n = heads.index(head)
    # Complete entries are exactly as in the whole file.
    assert summary(result)[:n] == summary(full)[:n]
    assert len(result.papers) == n + 1  # and the cut one with what it has
    assert result.papers[n].id == full.papers[n].id
    assert full.papers[n].abstract.startswith(result.papers[n].abstract[:40])
    assert messages(result) == [
        (head, "entry may be cut short: the file does not end with a newline (truncated?)")
    ]


def test_truncated_inside_a_heading_skips_that_entry_with_a_warning_at_its_line() -> None:
    data = DAILY_SEED.read_bytes()
    heads = heading_lines(data.decode())
    lines = data.split(b"\n")
    start = sum(len(x) + 1 for x in lines[: heads[3] - 1])
    cut = data[: start + 20]  # "### 4.Some title..." without its link
    result = parse_bytes(cut, "t")
    assert len(result.papers) == 3 and result.entries == 4
    assert messages(result) == [
        (heads[3], "entry skipped: no arXiv id (no PDF link, file truncated?)")
    ]


def test_truncated_at_a_line_end_after_a_heading_warns_entry_has_no_abstract() -> None:
    data = FIELDS_SEED.read_bytes()
    heads = heading_lines(data.decode())
    lines = data.split(b"\n")
    cut = b"\n".join(lines[: heads[2] + 1]) + b"\n"  # heading and its Arxiv ID line
    result = parse_bytes(cut, "t")
    assert [p.id for p in result.papers] == [p.id for p in parse_bytes(data, "t").papers[:3]]
    assert messages(result) == [(heads[2], "entry has no Summary field (file truncated?)")]


@pytest.mark.parametrize("seed", [DAILY_SEED, FIELDS_SEED], ids=lambda p: p.name[:3])
def test_nul_bytes_are_removed_the_rest_parses_and_a_warning_names_the_line(seed: Path) -> None:
    data = seed.read_bytes()
    lines = data.split(b"\n")
    lines[9] = lines[9][:5] + b"\x00\x00" + lines[9][5:]
    lines[30] = b"\x00" + lines[30]
    dirty = parse_bytes(b"\n".join(lines), "n")
    check_invariants(dirty)
    assert summary(dirty) == summary(parse_bytes(data, "n"))
    assert messages(dirty) == [(10, "3 NUL bytes removed")]


@pytest.mark.parametrize("seed", [DAILY_SEED, FIELDS_SEED], ids=lambda p: p.name[:3])
@pytest.mark.parametrize("bad", [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80"], ids=repr)
def test_invalid_utf8_is_replaced_and_warned_at_its_line(seed: Path, bad: bytes) -> None:
    data = seed.read_bytes()
    lines = data.split(b"\n")
    lines[6] = lines[6] + bad  # the end of a line: ids and titles stay whole
    result = parse_bytes(b"\n".join(lines), "u")
    check_invariants(result)
    clean = parse_bytes(data, "u")
    assert [p.id for p in result.papers] == [p.id for p in clean.papers]
    assert len(result.warnings) == 1
    w = result.warnings[0]
    assert w.line == 7 and w.message.startswith("invalid UTF-8 at byte ")
    assert "\ufffd" in repr(result.papers)  # kept as a visible replacement character


@pytest.mark.parametrize("seed", SEED_FILES, ids=lambda p: p.name[:3])
@pytest.mark.parametrize("variant", ["bom", "crlf", "cr", "bom+crlf"])
def test_bom_and_crlf_and_cr_parse_identically_to_the_clean_file(seed: Path, variant: str) -> None:
    data = seed.read_bytes()
    clean = parse_bytes(data, "s")
    changed = data
    if "crlf" in variant:
        changed = changed.replace(b"\n", b"\r\n")
    elif variant == "cr":
        changed = changed.replace(b"\n", b"\r")
    if "bom" in variant:
        changed = b"\xef\xbb\xbf" + changed
    result = parse_bytes(changed, "s")
    assert summary(result) == summary(clean)
    assert messages(result) == messages(clean)
    assert (result.format, result.date, result.category) == (
        clean.format,
        clean.date,
        clean.category,
    )


def test_utf16_with_bom_parses_like_utf8() -> None:
    text = DAILY_SEED.read_text(encoding="utf-8")
    assert summary(parse_bytes(b"\xff\xfe" + text.encode("utf-16-le"), "s")) == summary(
        parse_bytes(DAILY_SEED.read_bytes(), "s")
    )


def test_two_formats_in_one_file_first_format_parses_other_entries_warned() -> None:
    daily, fields = DAILY_SEED.read_text(), FIELDS_SEED.read_text()
    n_daily, n_fields = len(heading_lines(daily)), len(heading_lines(fields))
    offset = len(daily.splitlines())

    result = parse_text(daily + fields, "two")
    check_invariants(result, daily + fields)
    assert result.format == "arxiv_daily"
    assert [p.id for p in result.papers] == [p.id for p in parse_text(daily, "x").papers]
    assert result.entries == n_daily + n_fields
    assert messages(result) == [
        (offset + line, "entry skipped: an arxiv_fields entry in an arxiv_daily digest")
        for line in heading_lines(fields)
    ]

    result = parse_text(fields + daily, "two")
    assert result.format == "arxiv_fields"
    assert [p.id for p in result.papers] == [p.id for p in parse_text(fields, "x").papers]
    offset = len(fields.splitlines())
    assert messages(result) == [
        (offset + line, "entry skipped: an arxiv_daily entry in an arxiv_fields digest")
        for line in heading_lines(daily)
    ]


def test_second_format_beyond_what_the_sniffers_read_is_still_warned_not_misparsed() -> None:
    # Before: the fields entries after a 166 KB daily digest were parsed as
    # daily entries whose abstract was the "- **Arxiv ID**: ..." field lines.
    daily, fields = BIG_DAILY_SEED.read_text(), FIELDS_SEED.read_text()
    result = parse_text(daily + fields, "two")
    assert result.format == "arxiv_daily"
    assert len(result.papers) == len(parse_text(daily, "x").papers)
    assert not any("**" in p.abstract for p in result.papers)
    assert len(result.warnings) == len(heading_lines(fields))


def test_one_entry_of_the_other_format_does_not_flip_the_whole_file() -> None:
    daily = DAILY_SEED.read_text()
    extra = "### Stray\n- **Arxiv ID**: http://arxiv.org/abs/2011.10904v2\n- **Summary**: s\n"
    result = parse_text(daily + extra, "x")
    assert result.format == "arxiv_daily" and len(result.papers) == 42
    assert messages(result) == [
        (
            len(daily.splitlines()) + 1,
            "entry skipped: an arxiv_fields entry in an arxiv_daily digest",
        )
    ]


# --------------------------------------------------------------------------
# Size: one huge line, a million entries
# --------------------------------------------------------------------------

FIFTY_MB = 50_000_000
DAILY_HEAD = b"# ArXiv cs.CV --Fri, 22 May 2020\n"
DAILY_ENTRY = b"### 1.T [ :arrow_down: ](https://arxiv.org/pdf/2005.10825.pdf)\n"
FIELDS_HEAD = b"# Arxiv Papers in cs.CV on 2020-11-22\n### T\n- **Arxiv ID**: 2011.10904\n"

# name -> (prefix, repeated unit, suffix): each a 50 MB line somewhere a parser looks.
HUGE_LINES = {
    "garbage": (b"", b"abcdefghij", b""),
    "daily-header-spaces": (b"# ArXiv cs.CV --", b" ", b"x\n"),
    "fields-header-spaces": (b"# Arxiv Papers in cs.CV on 2020", b" ", b"x\n"),
    "daily-title": (
        DAILY_HEAD + b"### 1.",
        b"word ",
        b" [ :arrow_down: ](https://arxiv.org/pdf/2005.10825.pdf)\n",
    ),
    "daily-abstract-anchors": (
        DAILY_HEAD + DAILY_ENTRY + b"> ",
        b"<a href=" + b"x" * 90 + b" ",
        b"\n",
    ),
    "daily-abstract-entities": (DAILY_HEAD + DAILY_ENTRY + b"> ", b"&\\", b"\n"),
    "daily-abstract-escapes": (
        DAILY_HEAD + DAILY_ENTRY + b"> ",
        b"\x1b[2J\x1b]52;c;eA==\x07",
        b"\n",
    ),
    "fields-authors": (FIELDS_HEAD + b"- **Authors**: ", b"A B, ", b"\n"),
    "fields-summary-latex": (FIELDS_HEAD + b"- **Summary**: ", b"\\emph{a $x$ ", b"\n"),
    "fields-links": (FIELDS_HEAD + b"- **Links**: ", b"[PDF](javascript:x) ", b"\n"),
    "fields-categories": (FIELDS_HEAD + b"- **Categories**: ", b"**cs.CV**, ", b"\n"),
    "fields-published": (FIELDS_HEAD + b"- **Published**: ", b"2020-11-22 ", b"\n"),
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(HUGE_LINES))
def test_one_50mb_line_parses(shape: str) -> None:
    prefix, unit, suffix = HUGE_LINES[shape]
    data = prefix + unit * (FIFTY_MB // len(unit)) + suffix
    # Measured 0.04-0.4 s per shape on one core (benchmarks/parse_growth.py);
    # a quadratic regex would take hours here.
    result = parse_bytes(data, "huge")
    check_invariants(result)
    assert result.entries <= 1
    if result.papers:
        assert (2, f"entry text longer than {MAX_FIELD_CHARS} characters cut short") in (
            messages(result)
        )


# The growth of parsing time with hostile input (linear, not quadratic) is
# measured by benchmarks/parse_growth.py: timings are reported there, never
# asserted here.


@pytest.mark.slow
def test_a_million_one_line_entries_parse_with_capped_warnings(
    tmp_path: Path,
) -> None:
    n = 1_000_000
    lines = [DAILY_HEAD]
    for i in range(n):
        yymm = b"%02d%02d" % (15 + i // 1_199_988, 1 + (i // 99_999) % 12)
        lines.append(
            b"### %d.Title %d [ :arrow_down: ](https://arxiv.org/pdf/%s.%05d.pdf)\n"
            % (i + 1, i, yymm, 1 + i % 99_999)
        )
    path = tmp_path / "million.md"
    path.write_bytes(b"".join(lines))
    del lines
    # ~9 s on one idle core; a quadratic parser would take hours.
    result = parse_file(path)
    assert result.format == "arxiv_daily"
    assert result.entries == n and len(result.papers) == n  # all ids are distinct
    # Every entry lacks an abstract: 1000 warnings, then one that counts the rest.
    assert len(result.warnings) == MAX_WARNINGS + 1
    assert all(w.message == "entry has no abstract" for w in result.warnings[:-1])
    assert [w.line for w in result.warnings[:3]] == [2, 3, 4]
    last = result.warnings[-1]
    assert (last.line, last.message) == (
        MAX_WARNINGS + 2,
        f"... {n - MAX_WARNINGS} more warnings not shown",
    )


@pytest.mark.slow
def test_many_fields_entries_without_ids_warn_capped() -> None:
    n = 300_000
    data = b"# Arxiv Papers in cs.CV on 2020-11-22\n" + b"### T\n- **Arxiv ID**: junk\n" * n
    result = parse_bytes(data, "f")
    assert result.entries == n and not result.papers
    assert len(result.warnings) == MAX_WARNINGS + 1
    assert result.warnings[0].message == "entry skipped: no arXiv id (unrecognised Arxiv ID 'junk')"
    assert result.warnings[-1].message == f"... {n - MAX_WARNINGS} more warnings not shown"


# --------------------------------------------------------------------------
# Neighbours still load: the library and `digest-tui check`
# --------------------------------------------------------------------------


def _bad_files() -> dict[str, tuple[bytes, int, str]]:
    """name -> (content, line of the expected warning, start of its message)."""
    daily = DAILY_SEED.read_bytes()
    fields = FIELDS_SEED.read_bytes()
    cut = len(daily) // 2
    return {
        "empty.md": (b"", 1, "empty file"),
        "binary.md": (bytes(range(256)) * 40, 1, "not a digest (binary data)"),
        "readme.md": (b"# Project\n\n### Install\n\nrun it\n", 1, "not a digest"),
        "truncated.md": (
            daily[:cut],
            heading_lines(daily[:cut].decode())[-1],
            "entry may be cut short",
        ),
        "nul.md": (daily.replace(b"colorization", b"color\x00ization", 1), 3, "1 NUL byte"),
        "badutf8.md": (daily[:3000] + b"\xff" + daily[3000:], 7, "invalid UTF-8 at byte 3000"),
        "two-formats.md": (
            daily + fields,
            len(daily.splitlines()) + 2,
            "entry skipped: an arxiv_fields entry",
        ),
    }


BAD = _bad_files()


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_beside_a_seed_the_seed_still_loads_and_check_names_file_and_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, line, message = BAD[name]
    folder = tmp_path / "digests"
    folder.mkdir()
    bad = folder / name
    bad.write_bytes(content)
    shutil.copy(FIELDS_SEED, folder / "z_seed.md")
    seed_ids = {p.id for p in parse_file(FIELDS_SEED).papers}

    with Library(tmp_path / "idx.sqlite3", [folder]) as lib:
        report = lib.scan(workers=1)
        assert report.files_seen == 2
        assert all(lib.pid_of(i) is not None for i in seed_ids)
        assert any(
            w.source == str(bad.resolve()) and w.line == line and w.message.startswith(message)
            for w in report.warnings
        ), report.warnings

    code = main(["check", str(folder)])
    out = capsys.readouterr().out
    expected = f"  {bad.resolve()}:{line}: {message}"
    assert any(row.startswith(expected) for row in out.splitlines()), out
    assert f"{folder.resolve() / 'z_seed.md'}: arxiv_fields, 2020-11-22, 28 papers" in out
    assert code == (1 if parse_bytes(content, "x").format is None else 0)


# --------------------------------------------------------------------------
# Property tests: digests generated from the seed grammar, then mutated
# --------------------------------------------------------------------------

PROPS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HOSTILE = [
    "\x1b[2J",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x1b]8;;https://evil.example\x1b\\x\x1b]8;;\x1b\\",
    "\r",
    "\x07",
    "\x7f",
    "\x9b31m",
    "\x00",
    "&#27;[1m",
    "\u202e",
    "[b]",
    "[/]",
    "[@click=app.quit]",
]
WORD = st.one_of(
    st.sampled_from(["Deep", "learning", "GAN", "3D", "$\\alpha$", "{\\em x}", "&amp;", "<br>"]),
    st.sampled_from(HOSTILE),
    # No line breaks, "#" or "*": a generated entry keeps the shape it was built with.
    st.text(st.characters(blacklist_characters="\n\r#*"), min_size=1, max_size=8),
)
PHRASE = st.lists(WORD, min_size=0, max_size=6).map(" ".join)
VALID_ID = st.builds(
    lambda yy, mm, n, v: (f"{yy:02d}{mm:02d}.{n:05d}", v),
    st.integers(15, 24),
    st.integers(1, 12),
    st.integers(1, 99999),
    st.one_of(st.none(), st.integers(1, 9)),
)
OLD_ID = st.builds(
    lambda a, yy, mm, n: (f"{a}/{yy:02d}{mm:02d}{n:03d}", None),
    st.sampled_from(["hep-th", "math", "quant-ph", "cs"]),
    st.integers(92, 99),
    st.integers(1, 12),
    st.integers(1, 999),
)
AN_ID = st.one_of(VALID_ID, OLD_ID)


def id_text(found: tuple[str, int | None]) -> str:
    return found[0] + (f"v{found[1]}" if found[1] else "")


@st.composite
def daily_entry(draw: st.DrawFn, number: int) -> tuple[str, str | None]:
    """One arxiv_daily entry and the id it must give (None: must be skipped)."""
    found = draw(AN_ID)
    link = draw(
        st.sampled_from(
            [
                f"https://arxiv.org/pdf/{id_text(found)}.pdf",
                f"http://arxiv.org/pdf/{id_text(found)}",
                f"javascript:alert(1)//arxiv.org/pdf/{id_text(found)}",
                f"file:///etc/arxiv.org/abs/{id_text(found)}",
                "https://example.org/paper.pdf",
                "",
                None,
            ]
        )
    )
    title = draw(PHRASE)
    expected: str | None = found[0] if link and "arxiv.org" in link else None
    head = f"### {number}.{title}"
    if link is not None:
        head += f"  [ :arrow_down: ]({link})"
    body = draw(
        st.lists(st.one_of(PHRASE.map(lambda s: ">  " + s), PHRASE, st.just("")), max_size=4)
    )
    if expected is None and find_id_in("\n".join([head, *body])):
        expected = find_id_in("\n".join([head, *body]))
    return "\n".join([head, *body]), expected


def find_id_in(text: str) -> str | None:
    from digest_tui.parsing._common import find_arxiv_id

    found = find_arxiv_id(text)
    return found[0] if found else None


FIELD_NAMES = [
    "Arxiv ID", "DOI", "Categories", "Links", "Published", "Updated",
    "Authors", "Comment", "Journal", "Summary", "Title", "Unknown field",
]  # fmt: skip


@st.composite
def fields_entry(draw: st.DrawFn, number: int) -> tuple[str, str | None]:
    """One arxiv_fields entry and the id it must give (None: no id in it)."""
    found = draw(AN_ID)
    id_value = draw(
        st.sampled_from(
            [
                f"http://arxiv.org/abs/{id_text(found)}",
                id_text(found),
                f"arXiv:{id_text(found)}",
                f"javascript:x//arxiv.org/abs/{id_text(found)}",
                "None",
                "",
                "junk",
            ]
        )
    )
    values = {
        "Arxiv ID": id_value,
        "DOI": draw(st.sampled_from(["None", "10.1000/x", "\x1b[2J"])),
        "Categories": draw(st.sampled_from(["**cs.CV**, cs.LG", "cs.AI", "None", "68T45, I.2"])),
        "Links": draw(
            st.sampled_from(
                [
                    f"[PDF](http://arxiv.org/pdf/{id_text(found)})",
                    "[PDF](javascript:alert(1))",
                    "[PDF](data:text/html,x)",
                    "[PDF](file:///etc/passwd)",
                    "None",
                ]
            )
        ),
        "Published": draw(st.sampled_from(["2020-11-22 01:11:19+00:00", "None", "yesterday"])),
        "Updated": "2021-08-18 13:35:00+00:00",
        "Authors": draw(PHRASE.map(lambda s: s.replace(" ", ", ", 2))),
        "Comment": draw(PHRASE),
        "Journal": draw(st.sampled_from(["None", "Nature"])),
        "Summary": draw(PHRASE),
        "Title": draw(PHRASE),
        "Unknown field": "x",
    }
    names = draw(st.permutations(FIELD_NAMES))[: draw(st.integers(0, len(FIELD_NAMES)))]
    lines = [f"### {draw(PHRASE)}"]
    for name in names:
        lines.append(f"- **{name}**: {values[name]}")
        if name != "Arxiv ID" and draw(st.booleans()):
            lines.append("  " + draw(PHRASE))  # a continuation line
    # The oracle: the id field when it holds an id, else the arXiv PDF link.
    expected: str | None = None
    if "Arxiv ID" in names and found[0] in id_value:
        expected = found[0]
    elif "Links" in names and "arxiv.org" in values["Links"]:
        expected = found[0]
    return "\n".join(lines), expected


@st.composite
def generated_digest(draw: st.DrawFn) -> tuple[str, str, list[str | None]]:
    """A digest of one format built from the grammar: (format, text, ids expected)."""
    # The grammar covers the two markdown formats; the others: tests/test_formats.py.
    fmt = draw(st.sampled_from(["arxiv_daily", "arxiv_fields"]))
    header = draw(
        st.sampled_from(
            {
                "arxiv_daily": [
                    "# ArXiv cs.CV --Fri, 22 May 2020",
                    "# arxiv cs.LG -- 2020-05-22",
                    "# ArXiv cs.CV --Fri, 31 Feb 2020",
                ],
                "arxiv_fields": [
                    "# Arxiv Papers in cs.CV on 2020-11-22",
                    "# Arxiv Papers in cs.CV on 2020-13-40",
                ],
            }[fmt]
        )
    )
    make = daily_entry if fmt == "arxiv_daily" else fields_entry
    entries = [draw(make(i + 1)) for i in range(draw(st.integers(0, 8)))]
    blank = draw(st.sampled_from(["\n", "\n\n"]))
    text = header + "\n" + blank.join(e[0] for e in entries) + "\n"
    return fmt, text, [e[1] for e in entries]


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[tuple[str, str, list[str | None]]]) -> str:
    """A generated digest with a few random edits, line ends and encodings."""
    _fmt, text, _ids = draw(base)
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "cut", "insert", "hash"]))
        if kind == "delete" and len(lines) > 1:
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "cut":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif kind == "insert":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = (
                lines[i][:at]
                + draw(st.sampled_from(HOSTILE + ["###", "\n", "- **"]))
                + lines[i][at:]
            )
        else:
            lines[i] = draw(st.sampled_from(["#", "##", "####", "###"])) + lines[i]
    text = "\n".join(lines)
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]  # truncated anywhere
    return text.replace("\n", draw(st.sampled_from(["\n", "\r\n", "\r"])))


@PROPS
@given(generated_digest())
def test_generated_digests_give_exactly_the_ids_they_were_built_with(
    generated: tuple[str, str, list[str | None]],
) -> None:
    fmt, text, expected = generated
    result = parse_text(text, "g")
    check_invariants(result, text)
    assert result.format == fmt
    assert result.entries == len(expected)
    # The oracle: the ids built into the entries (in order, first appearance kept).
    want = list(dict.fromkeys(i for i in expected if i is not None))
    assert [p.id for p in result.papers] == want
    skipped = [w for w in result.warnings if w.message.startswith("entry skipped")]
    assert len(skipped) == sum(1 for i in expected if i is None)


@PROPS
@given(mutated(generated_digest()), st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_mutated_generated_digests_never_raise_and_keep_every_invariant(
    text: str, encoding: str
) -> None:
    result = parse_text(text, "m")
    check_invariants(result, text)
    data = text.encode(encoding, errors="surrogatepass")
    check_invariants(parse_bytes(data, "m"))
    for module in FORMATS.values():
        check_invariants(module.parse(text, "m"), text)


@PROPS
@given(st.binary(max_size=3000), st.sampled_from(SEED_FILES), st.integers(0, 60_000))
def test_seed_with_random_bytes_spliced_in_never_raises(junk: bytes, seed: Path, at: int) -> None:
    data = seed.read_bytes()[:60_000]
    check_invariants(parse_bytes(data[:at] + junk + data[at:], "s"))


# --------------------------------------------------------------------------
# Property tests: the query language, run against a real index
# --------------------------------------------------------------------------

QUERY_TOKEN = st.one_of(
    st.sampled_from(
        [
            "title:",
            "ti:",
            "author:",
            "au:",
            "abs:",
            "cat:",
            "id:",
            "date:",
            "is:",
            "TITLE:",
            "-",
            '"',
            "(",
            ")",
            "*",
            "%",
            "_",
            "\\",
            "'",
            ";",
            "--",
            "..",
            "NEAR",
            "AND",
            "OR",
            "NOT",
            "^",
            ":",
            "\x1b",
            "\x01",
        ]
    ),
    st.sampled_from(
        [
            "gan",
            "image fusion",
            "cs.CV",
            "cs",
            "2005.10825",
            "2005.10825v2",
            "arxiv.org/abs/2005.10825",
            "quant-ph/9802028",
            "2020-05-22",
            "2020-05",
            ">=2020-05-01",
            "2020-05-01..2020-05-31",
            "..2020",
            "latest",
            "today",
            "starred",
            "unread",
            "read",
            "sta",
            "2020-13-01",
            "2020-02-30",
        ]
    ),
    # NUL and lone surrogates: see the test at the end.
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]), max_size=6),
)
QUERY = st.lists(QUERY_TOKEN, max_size=8).flatmap(
    lambda toks: st.lists(
        st.sampled_from(["", " ", "  "]), min_size=len(toks), max_size=len(toks)
    ).map(lambda seps: "".join(t + s for t, s in zip(toks, seps, strict=True)))
)


@pytest.fixture(scope="module")
def seed_library(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("lib")
    folder = root / "digests"
    shutil.copytree(SEEDS, folder)
    store = StateStore(root / "data")  # a real state database for is: queries
    store.set_starred("2005.10825", True)
    store.set_read("2011.10904", True)
    store.close()
    with Library(root / "idx.sqlite3", [folder], state_db=root / "data" / "state.sqlite3") as lib:
        lib.scan(workers=1)
        yield lib


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(QUERY)
def test_generated_queries_parse_and_run_or_give_one_line_query_error(
    seed_library: Library, text: str
) -> None:
    try:
        query = parse_query(text)
    except QueryError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    where, params = where_sql(query)
    assert where.count("?") == len(params)
    result = seed_library.search(query)  # the SQL is valid and runs
    assert len(result) <= 301


@settings(max_examples=300, deadline=None)
@given(QUERY)
def test_generated_queries_without_fts_also_run(seed_library: Library, text: str) -> None:
    try:
        query = parse_query(text)
    except QueryError:
        return
    where, params = where_sql(query, state_available=False, fts=False)
    sql = "SELECT count(*) FROM papers p" + (f" WHERE {where}" if where else "")
    with seed_library._read() as conn:
        conn.execute(sql, params).fetchone()


@pytest.mark.parametrize(
    "text", ["gan\x00", 'title:"a\x00b"', "\x00x", "gan\udcff", "0\ud800"], ids=repr
)
def test_query_with_a_nul_byte_or_lone_surrogate_runs_or_gives_query_error(
    seed_library: Library, text: str
) -> None:
    try:
        query = parse_query(text)
    except QueryError:
        return
    seed_library.search(query)
