"""The e-mail, RSS, cv-arxiv-daily and ai-enhanced digest formats.

The fixtures in tests/fixtures/formats are invented, written in each format's
exact layout.  The real samples (outside the repository, in
../shared/corpus/other) are checked when present.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest_tui.cli import main
from digest_tui.models import ParseResult
from digest_tui.parsing import (
    FORMATS,
    ai_enhanced,
    arxiv_email,
    arxiv_rss,
    cv_arxiv_daily,
    parse_file,
    parse_text,
)
from digest_tui.text import is_web_url

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "formats"
SEEDS = HERE / "fixtures" / "seeds"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "other"

EXPECTED_FORMAT = {
    "arxiv_email.txt": "arxiv_email",
    "arxiv_rss1.xml": "arxiv_rss",
    "arxiv_rss2.xml": "arxiv_rss",
    "cv_arxiv_daily.md": "cv_arxiv_daily",
    "ai_enhanced_2026-02-04.md": "ai_enhanced",
    "rss1_affiliations.xml": "arxiv_rss",
    "rss2_defects.xml": "arxiv_rss",
}
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def parsed(name: str) -> ParseResult:
    return parse_file(FIXTURES / name)


def assert_safe(result: ParseResult) -> None:
    for paper in result.papers:
        assert is_web_url(paper.pdf_url) and is_web_url(paper.abs_url)
        texts = [paper.title, paper.abstract, *paper.authors, *paper.extras.values()]
        for s in texts:
            assert not UNSAFE.search(s.replace("\n", "")), (paper.id, s)


# --------------------------------------------------------------------------
# Sniffing
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED_FORMAT))
def test_each_fixture_is_recognised_as_its_own_format(name: str) -> None:
    text = (FIXTURES / name).read_bytes().decode("utf-8")
    expected = EXPECTED_FORMAT[name]
    assert parsed(name).format == expected
    assert FORMATS[expected].sniff(text)
    others = [n for n, m in FORMATS.items() if n != expected and m.sniff(text)]
    assert others == []


@pytest.mark.parametrize("seed", sorted(SEEDS.iterdir()), ids=lambda p: p.name)
def test_seeds_are_still_recognised_as_before(seed: Path) -> None:
    text = seed.read_bytes().decode("utf-8", errors="replace")
    result = parse_file(seed)
    assert result.format in ("arxiv_daily", "arxiv_fields")
    for module in (arxiv_email, arxiv_rss, cv_arxiv_daily, ai_enhanced):
        assert not module.sniff(text), (seed.name, module.NAME)


def test_check_names_the_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(FIXTURES / "cv_arxiv_daily.md")]) in (0, 1)
    out = capsys.readouterr().out
    assert "cv_arxiv_daily.md: cv_arxiv_daily, 2024-05-06, 3 papers (5 entries)" in out


# --------------------------------------------------------------------------
# arXiv e-mail
# --------------------------------------------------------------------------


def test_email_fixture() -> None:
    raw = (FIXTURES / "arxiv_email.txt").read_bytes()
    assert b"\r\n" in raw  # the fixture keeps the mail's CRLF line ends
    result = parsed("arxiv_email.txt")
    assert result.format == "arxiv_email"
    assert result.date == "2026-02-04"  # the weekday after "to Tue 3 Feb 26"
    assert result.category is None  # two lists
    assert result.entries == 5
    assert [p.id for p in result.papers] == ["2602.01001", "2602.01002", "2512.04567"]
    assert [(w.line, w.message) for w in result.warnings] == [(45, "entry skipped: no arXiv id")]
    crane, pebbles, kites = result.papers
    assert crane.title == (
        "Folding Paper Cranes with Diffusion Priors: A Study of Creases and Shadows"
    )
    assert crane.authors == ["Ada Quill", "Bruno Tern", "Chiara Wren", "Dmitri Lark"]
    assert crane.categories == ["cs.CV", "cs.LG"] and crane.primary_category == "cs.CV"
    assert crane.comment == "12 pages, 4 figures; code to follow"
    assert crane.abstract == (
        "We study how paper cranes are folded when a diffusion model proposes the creases."
        " A small benchmark of forty cranes is introduced.\n\n"
        "In a second paragraph we report that shadows help."
    )
    assert crane.published == "2026-02-02T21:15:07+00:00"
    assert crane.abs_url == "https://arxiv.org/abs/2602.01001"
    # Listed as new and again as a cross-list: one paper, two appearances.
    assert [(a.line, a.position, a.category) for a in crane.appearances] == [
        (15, 0, "cs.CV"),
        (55, 3, "cs.LG"),
    ]
    assert all(a.date == "2026-02-04" for a in crane.appearances)
    assert pebbles.authors == ["Erin Moss", "Felix Reed"]
    assert pebbles.journal_ref == "Journal of Pebbles 3 (2026) 1-9"
    assert pebbles.doi == "10.1234/pebbles.2026.1"
    assert pebbles.abstract == "Pebbles are counted from one photograph."
    assert kites.title == "Older Work on Kites, Revised" and kites.abstract == ""
    assert kites.updated == "2026-02-03T10:30:00+00:00"
    assert kites.appearances[0].category == "cs.LG"
    assert_safe(result)


def test_email_single_list_gives_the_category_and_lf_works_too() -> None:
    text = (FIXTURES / "arxiv_email.txt").read_text().replace("Machine Learning\n", "")
    result = parse_text(text, "one.txt")
    assert result.format == "arxiv_email" and result.category == "cs.CV"
    assert {a.category for p in result.papers for a in p.appearances} == {"cs.CV"}


def test_email_friday_listing_is_dated_monday() -> None:
    text = (FIXTURES / "arxiv_email.txt").read_text()
    text = text.replace("Mon 2 Feb 26 19:00:00 GMT  to  Tue 3 Feb 26", "x  to  Fri 6 Feb 26")
    assert parse_text(text, "fri.txt").date == "2026-02-09"


# --------------------------------------------------------------------------
# arXiv RSS
# --------------------------------------------------------------------------


def test_rss1_fixture() -> None:
    result = parsed("arxiv_rss1.xml")
    assert result.format == "arxiv_rss"
    assert result.date == "2023-11-08"  # announced the evening before
    assert result.category == "cs.RO"
    assert result.entries == 2 and result.warnings == []
    broom, wheels = result.papers
    assert broom.id == "2311.04001" and broom.version == 1
    assert broom.title == "Teaching a Broom to Balance"
    assert broom.authors == ["Iris Plume", "Jonas Sorrel"]
    assert (
        broom.abstract
        == "A broom is balanced on a moving cart using very little data & no simulator."
    )
    assert broom.primary_category == "cs.RO"
    assert broom.appearances[0].line == 23
    assert wheels.id == "2201.00777" and wheels.version == 3
    assert wheels.title == "Wheels That Remember Their Roads"
    assert wheels.primary_category == "cs.LG"
    assert_safe(result)


def test_rss2_fixture() -> None:
    result = parsed("arxiv_rss2.xml")
    assert result.format == "arxiv_rss"
    assert result.date == "2025-03-05" and result.category == "eess.IV"
    assert result.entries == 3 and result.warnings == []
    assert [p.id for p in result.papers] == ["2503.02001", "2503.02002", "2410.09876"]
    fog, moon, rivers = result.papers
    assert fog.title == "Denoising Photographs of Fog with Fog"
    assert fog.authors == ["Lena Birch", "Milo Aster"]
    assert fog.categories == ["eess.IV", "cs.CV"] and fog.primary_category == "eess.IV"
    assert fog.abstract == (
        "Fog is removed from photographs by adding more fog first.\n\n"
        "A second paragraph says why that works."
    )
    assert fog.abs_url == "https://arxiv.org/abs/2503.02001"
    assert moon.primary_category == "astro-ph.IM"
    assert rivers.version == 2
    assert rivers.doi == "10.5555/rivers.2025.7"
    assert rivers.journal_ref == "Proc. River Maps 2025"
    # RSS 2.0 descriptions are plain text: entities are decoded once, nothing more.
    assert rivers.abstract == "River maps are compressed <b>losslessly</b> with x &lt; y."
    assert [p.appearances[0].line for p in result.papers] == [11, 25, 37]
    assert_safe(result)


def test_rss_never_fetches_or_opens_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", refuse)
    # A "feed" that is a URL or a file name is parsed as text, not fetched/opened.
    for text in ("http://arxiv.org/rss/cs.CV", str(FIXTURES / "arxiv_rss2.xml")):
        result = arxiv_rss.parse(text, "x.xml")
        assert result.papers == []
    text = (FIXTURES / "arxiv_rss2.xml").read_text()
    entity = '<!DOCTYPE rss [<!ENTITY x SYSTEM "http://example.com/x">]>\n'
    result = arxiv_rss.parse(text.replace("<rss ", entity + "<rss ", 1), "x.xml")
    assert len(result.papers) == 3


# --------------------------------------------------------------------------
# cv-arxiv-daily
# --------------------------------------------------------------------------


def test_cv_arxiv_daily_fixture() -> None:
    result = parsed("cv_arxiv_daily.md")
    assert result.format == "cv_arxiv_daily"
    assert result.date == "2024-05-06" and result.category is None
    assert result.entries == 5
    assert [(w.line, w.message) for w in result.warnings] == [
        (19, "entry skipped: no arXiv link in the row")
    ]
    assert [p.id for p in result.papers] == ["2405.01234", "2405.00999", "1412.1234"]
    cave, keys, old = result.papers
    assert cave.title == "Mapping Caves with a Single Torch"
    assert cave.authors == ["Quinn Alder et al."]
    assert cave.version == 1 and cave.published == "2024-05-03"
    assert cave.extras == {"Code": "https://github.com/example/cave-torch"}
    assert cave.abs_url == "http://arxiv.org/abs/2405.01234v1"
    # One paper under two topics: two appearances; the code link of the second row kept.
    assert [(a.category, a.line, a.position) for a in keys.appearances] == [
        ("SLAM", 18, 1),
        ("NeRF", 27, 3),
    ]
    assert keys.extras == {"Code": "https://gitlab.com/example/lost-keys"}
    assert old.version == 1 and old.extras == {}
    assert_safe(result)


# --------------------------------------------------------------------------
# daily-arxiv-ai-enhanced
# --------------------------------------------------------------------------


def test_ai_enhanced_fixture() -> None:
    result = parsed("ai_enhanced_2026-02-04.md")
    assert result.format == "ai_enhanced"
    assert result.date == "2026-02-04"  # from the file name
    assert result.entries == 3 and result.warnings == []
    glass, clouds = result.papers
    assert glass.id == "2602.03001"
    assert glass.title == "Seeing Through Frosted Glass [Extended]"
    assert glass.authors == ["Uma Reed", "Victor Sage", "Wanda Yew"]
    assert glass.primary_category == "cs.CV"
    assert list(glass.extras.items()) == [
        ("TL;DR", "A model sees through frosted glass."),
        ("Motivation", "Frosted glass hides things."),
        ("Method", "Train on pairs of clear and frosted photos."),
        ("Result", "Objects are recognised behind the glass."),
        ("Conclusion", "Frosted glass is less private than thought."),
    ]
    assert glass.abstract == (
        "We train a model to see through frosted glass.\n\n"
        "In a second paragraph, we discuss privacy."
    )
    assert [(a.category, a.line) for a in glass.appearances] == [("cs.CV", 13)]
    # Listed under cs.CV and again under cs.LG: one paper, two appearances.
    assert clouds.id == "2602.03002"
    assert [(a.category, a.line, a.position) for a in clouds.appearances] == [
        ("cs.CV", 37, 1),
        ("cs.LG", 64, 2),
    ]
    assert clouds.categories == ["cs.LG", "cs.CV"]
    assert_safe(result)


def test_ai_enhanced_without_a_date_warns_once() -> None:
    text = (FIXTURES / "ai_enhanced_2026-02-04.md").read_text()
    result = parse_text(text, "digest.md")
    assert result.date is None and len(result.papers) == 2
    assert [w.message for w in result.warnings] == [
        "no digest date (the file has none and its name holds no YYYY-MM-DD)"
    ]


# --------------------------------------------------------------------------
# Robustness
# --------------------------------------------------------------------------

PIECES = [
    "\\\\",
    "arXiv:2602.01001",
    "arXiv:2602.01001 (*cross-listing*)",
    "Title: x",
    "  y",
    "Authors: A, B and C",
    "Categories: cs.CV cs.LG",
    " received from  Mon 2 Feb 26 19:00:00 GMT  to  Tue 3 Feb 26 19:00:00 GMT",
    "\\\\ ( https://arxiv.org/abs/2602.01001 ,  812kb)",
    "-" * 78,
    "<rss version='2.0'><channel><title>cs.CV updates on arXiv.org</title>",
    "<item><title>t</title><link>https://arxiv.org/abs/2503.02001</link>",
    "<description>arXiv:2503.02001v1 Announce Type: new \nAbstract: a</description></item>",
    "<rdf:RDF><item><title>T. (arXiv:2311.04001v1 [cs.RO])</title></item>",
    "## Updated on 2024.05.06",
    "## SLAM",
    "|Publish Date|Title|Authors|PDF|Code|",
    "|---|---|---|---|---|",
    "|**2024-05-03**|**T**|A et.al.|[2405.01234v1](http://arxiv.org/abs/2405.01234v1)|null|",
    "# cs.CV [[Back]](#toc)",
    "### [1] [T](https://arxiv.org/abs/2602.03001)",
    "*A,B*",
    "TL;DR: x",
    "Abstract: y",
    "</details>",
    "\x1b[2J",
    "\r\n",
    "",
]
digest_like = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=30)), max_size=40).map(
    "\n".join
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), digest_like))
def test_new_parsers_never_raise(text: str) -> None:
    for module in (arxiv_email, arxiv_rss, cv_arxiv_daily, ai_enhanced):
        result = module.parse(text, "h.txt")
        assert isinstance(result, ParseResult)
        assert len(result.papers) <= result.entries
        assert not any(w.message.startswith("internal") for w in result.warnings)
        assert all(w.line >= 1 and "\n" not in w.message for w in result.warnings)
        assert_safe(result)
    assert isinstance(parse_text(text, "h.txt"), ParseResult)


# --------------------------------------------------------------------------
# The real samples, when present
# --------------------------------------------------------------------------


def _samples(kind: str) -> list[Path]:
    folder = CORPUS / kind
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _count(kind: str, text: str) -> int:
    """Entries in a sample, counted without the parser."""
    if kind == "arxiv-email-text":
        return len(re.findall(r"^arXiv:\d{4}\.\d{4,5}", text, re.M))
    if kind == "arxiv-rss-xml":
        return len(re.findall(r"<item[\s>]", text))
    if kind == "cv-arxiv-daily-table":
        return len(re.findall(r"^\|.*\]\(https?://arxiv\.org/abs/", text, re.M))
    return len(re.findall(r"^### \[", text, re.M))


SAMPLE_FORMATS = {
    "arxiv-email-text": "arxiv_email",
    "arxiv-rss-xml": "arxiv_rss",
    "cv-arxiv-daily-table": "cv_arxiv_daily",
    "daily-arxiv-ai-enhanced": "ai_enhanced",
}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
@pytest.mark.parametrize("kind", sorted(SAMPLE_FORMATS))
def test_real_samples_account_for_every_entry(kind: str) -> None:
    samples = _samples(kind)
    assert samples
    for path in samples:
        text = path.read_text(encoding="utf-8")
        result = parse_file(path)
        assert result.format == SAMPLE_FORMATS[kind], path
        expected = _count(kind, text)
        skipped = sum(1 for w in result.warnings if w.message.startswith("entry skipped"))
        appearances = sum(len(p.appearances) for p in result.papers)
        assert appearances + skipped == expected == result.entries, path
        # The samples are clean, but for TeX their authors wrote wrongly
        # ("MPH]{Thai ...") or with their own macros ("\\spot").
        tex = "TeX kept as written"
        assert [w for w in result.warnings if not w.message.startswith(tex)] == [], path
        assert result.date is not None, path
        assert all(p.title and p.id for p in result.papers), path
        assert_safe(result)
