"""Property tests: no input makes a parser raise, and the counts stay consistent."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest_tui.models import ParseResult
from digest_tui.parsing import FORMATS, normalize_id, parse_bytes, parse_text

SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"
SEED_BYTES = [p.read_bytes() for p in sorted(SEEDS.iterdir())]
# Small slices of the seeds keep the examples fast but realistic.
SEED_SNIPPETS = [data[:6000] for data in SEED_BYTES]

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text built from digest-like pieces finds more than uniform random text.
PIECES = [
    "# ArXiv cs.CV --Fri, 22 May 2020",
    "# Arxiv Papers in cs.CV on 2020-11-22",
    "### ",
    "###",
    "### 1.Title  [ :arrow_down: ](https://arxiv.org/pdf/2005.10825.pdf)",
    ">  abstract <br> &amp; $\\colon$ {\\em x} \\emph{y",
    "- **Arxiv ID**: http://arxiv.org/abs/2011.10904v2",
    "- **Arxiv ID**: None",
    "- **Categories**: **cs.CV**, cs.LG",
    "- **Links**: [PDF](http://arxiv.org/pdf/2011.10904v2)",
    "- **Published**: 2020-11-22 01:11:19+00:00",
    "- **Authors**: A, B",
    "- **Comment**: x",
    "  continued",
    "- **Summary**: s",
    '<a href="https://x">this https URL</a>',
    "\x1b[2J",
    "\x1b]52;c;AAAA\x07",
    "\r\n",
    "\n",
    "\ufeff",
    "",
]
digest_like = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=30)), max_size=40).map(
    "\n".join
)
any_text = st.one_of(st.text(), digest_like)


# Formats whose entries start with a "###" heading; the others (e-mail, RSS,
# tables) count their own entry markers, checked in tests/test_formats.py.
HEADING_FORMATS = {"arxiv_daily", "arxiv_fields", "ai_enhanced"}


def heading_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.startswith("###"))


def check(result: ParseResult, text: str | None) -> None:
    assert isinstance(result, ParseResult)
    assert len(result.papers) <= result.entries
    if text is not None and result.format in HEADING_FORMATS:
        # NUL bytes are removed before parsing (documented), so count without them.
        assert result.entries <= heading_lines(text.removeprefix("\ufeff").replace("\x00", ""))
    for paper in result.papers:
        assert paper.id and paper.appearances
        assert normalize_id(paper.id) == (paper.id, None)
        for s in (paper.title, paper.abstract, *paper.authors):
            assert "\x1b" not in s and "\x07" not in s and "\x00" not in s
        assert "\n" not in paper.title


@FAST
@given(any_text)
def test_parse_text_never_raises(text: str) -> None:
    result = parse_text(text, "t")
    check(result, text)
    assert all(not w.message.startswith("internal parser error") for w in result.warnings)


@FAST
@given(any_text, st.sampled_from(sorted(FORMATS)))
def test_each_format_parse_never_raises(text: str, name: str) -> None:
    result = FORMATS[name].parse(text, "t")
    check(result, text)
    assert result.format == name
    assert isinstance(FORMATS[name].sniff(text), bool)


@FAST
@given(st.binary())
def test_parse_bytes_never_raises(data: bytes) -> None:
    check(parse_bytes(data, "b"), None)


@FAST
@given(st.text())
def test_normalize_id_never_raises(s: str) -> None:
    found = normalize_id(s)
    if found is not None:
        assert normalize_id(found[0]) == (found[0], None)


@st.composite
def mutated_seed(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(SEED_SNIPPETS))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["slice", "delete_line", "insert", "duplicate_line"]))
        n = len(data)
        if kind == "slice":
            a = draw(st.integers(0, n))
            b = draw(st.integers(a, n))
            data = data[a:b]
        elif kind == "insert":
            at = draw(st.integers(0, n))
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
        else:
            lines = data.split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            if kind == "delete_line":
                del lines[i]
            else:
                lines.insert(i, lines[i])
            data = b"\n".join(lines)
    return data


@FAST
@given(mutated_seed())
def test_mutated_seeds_never_raise(data: bytes) -> None:
    result = parse_bytes(data, "m")
    check(result, data.decode("utf-8", errors="replace"))
    for name, module in FORMATS.items():
        text = data.decode("utf-8", errors="replace")
        check(module.parse(text, "m"), text)
        assert module.parse(text, "m").format == name
