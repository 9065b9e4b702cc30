"""Digest parsers: real seed files, the shared corpus, and every normalisation rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from digest_tui.parsing import (
    FORMATS,
    PARSER_VERSION,
    arxiv_daily,
    arxiv_fields,
    normalize_id,
    parse_bytes,
    parse_file,
    parse_text,
)
from digest_tui.parsing._common import clean_abstract, clean_inline, parse_categories
from digest_tui.tex import to_text

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "tests" / "fixtures" / "seeds"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PY_MARKDOWN = CORPUS / "arxiv-py-markdown"

F1_HEADER = "# ArXiv cs.CV --Fri, 22 May 2020\n"
F2_HEADER = "# Arxiv Papers in cs.CV on 2020-11-22\n"


def f1_entry(n: int, title: str, paper_id: str, abstract: str = "An abstract.") -> str:
    link = f"https://arxiv.org/pdf/{paper_id}.pdf"
    return f"### {n}.{title}  [ :arrow_down: ]({link})\n>  {abstract}      \n"


def f2_entry(title: str, paper_id: str, **fields: str) -> str:
    values = {
        "Arxiv ID": f"http://arxiv.org/abs/{paper_id}v2",
        "DOI": "None",
        "Categories": "**cs.CV**, cs.LG",
        "Links": f"[PDF](http://arxiv.org/pdf/{paper_id}v2)",
        "Published": "2020-11-22 01:11:19+00:00",
        "Updated": "2021-08-18 13:35:00+00:00",
        "Authors": "Ann Author, Bob Writer",
        "Comment": "None",
        "Journal": "None",
        "Summary": "An abstract.",
    }
    values.update({k.replace("_", " "): v for k, v in fields.items()})
    lines = [f"### {title}"]
    lines += [f"- **{k}**: {v}" for k, v in values.items() if v is not None]
    return "\n".join(lines) + "\n\n\n\n"


def messages(result: object) -> list[str]:
    return [w.message for w in result.warnings]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------
# API shape
# --------------------------------------------------------------------------


def test_api_shape() -> None:
    assert isinstance(PARSER_VERSION, int)
    assert set(FORMATS) == {
        "arxiv_daily",
        "arxiv_fields",
        "arxiv_email",
        "arxiv_rss",
        "cv_arxiv_daily",
        "ai_enhanced",
    }
    for name, module in FORMATS.items():
        assert module.NAME == name
        assert callable(module.sniff) and callable(module.parse)


def test_core_does_not_import_textual() -> None:
    code = "import sys, digest_tui.parsing; sys.exit('textual' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 0


# --------------------------------------------------------------------------
# Seeds and corpus
# --------------------------------------------------------------------------


def test_seeds_counts() -> None:
    results = [parse_file(p) for p in sorted(SEEDS.iterdir())]
    assert len(results) == 5
    assert [r.format for r in results] == ["arxiv_daily"] * 4 + ["arxiv_fields"]
    assert all(r.warnings == [] for r in results)
    assert sum(r.entries for r in results) == 302
    ids = [p.id for r in results for p in r.papers]
    assert len(ids) == 302
    assert len(set(ids)) == 301
    # The one paper listed twice is in two seeds of different formats.
    twice = [r.format for r in results for p in r.papers if p.id == "2012.07599"]
    assert sorted(twice) == ["arxiv_daily", "arxiv_fields"]
    for r in results:
        lines = Path(r.source).read_text().splitlines()
        assert r.entries == sum(1 for line in lines if line.startswith("### "))


def test_seed_000_first_paper() -> None:
    r = parse_file(SEEDS / "000_3ae2b7cffb64a415.txt")
    assert (r.date, r.category, r.entries, len(r.papers)) == ("2020-05-22", "cs.CV", 42, 42)
    p = r.papers[0]
    assert p.id == "2005.10825"
    assert p.title == "Instance-aware Image Colorization"
    assert p.version is None
    assert p.authors == []
    assert p.abstract.startswith("Image colorization is inherently an ill-posed problem")
    assert p.abstract.endswith("state-of-the-art performance on image colorization.")
    assert p.pdf_url == "https://arxiv.org/pdf/2005.10825.pdf"
    assert p.abs_url == "https://arxiv.org/abs/2005.10825"
    [a] = p.appearances
    assert (a.date, a.category, a.line, a.position) == ("2020-05-22", "cs.CV", 2, 0)
    assert a.source == str(SEEDS / "000_3ae2b7cffb64a415.txt")
    second = r.papers[1]
    assert second.title == "Hierarchical Multi-Scale Attention for Semantic Segmentation"
    assert (second.id, second.appearances[0].line, second.appearances[0].position) == (
        "2005.10821",
        4,
        1,
    )


def test_seed_titles_equal_headings() -> None:
    changed = []
    for path in sorted(SEEDS.iterdir()):
        r = parse_file(path)
        headings = [ln[4:] for ln in path.read_text().splitlines() if ln.startswith("### ")]
        for paper, heading in zip(r.papers, headings, strict=True):
            if r.format == "arxiv_daily":
                number, _, heading = heading.partition(".")
                assert number.isdigit()
                heading, _, link = heading.partition("  [ :arrow_down: ](")
                assert link.startswith(f"https://arxiv.org/pdf/{paper.id}")
            assert (paper.title_tex or paper.title) == clean_inline(heading)
            if paper.title != heading.strip():
                changed.append((heading, paper.title))
    # Only LaTeX needed work: the titles are otherwise exactly the headings.
    assert sorted(changed) == [
        (
            "D$^2$IM-Net: Learning Detail Disentangled Implicit Fields from Single Images",
            "D²IM-Net: Learning Detail Disentangled Implicit Fields from Single Images",
        ),
        (
            r"We don't Need Thousand Proposals$\colon$ Single Shot Actor-Action "
            "Detection in Videos",
            "We don't Need Thousand Proposals: Single Shot Actor-Action Detection in Videos",
        ),
    ]


def test_seed_004_fields() -> None:
    r = parse_file(SEEDS / "004_ce29fc885a87ee68.txt")
    assert (r.format, r.date, r.category, r.entries) == ("arxiv_fields", "2020-11-22", "cs.CV", 28)
    p = r.papers[0]
    assert p.id == "2011.10904" and p.version == 2
    assert p.title == "Evolving Search Space for Neural Architecture Search"
    assert p.authors[:2] == ["Yuanzheng Ci", "Chen Lin"] and len(p.authors) == 6
    assert p.categories == ["cs.CV"] and p.primary_category == "cs.CV"
    assert p.pdf_url == "http://arxiv.org/pdf/2011.10904v2"
    assert p.abs_url == "http://arxiv.org/abs/2011.10904v2"
    assert p.published == "2020-11-22T01:11:19+00:00"
    assert p.updated == "2021-08-18T13:35:00+00:00"
    assert p.comment == (
        "Accepted for publication at the 2021 International Conference on "
        "Computer Vision (ICCV 2021)"
    )
    assert p.journal_ref is None and p.doi is None
    assert p.abstract.startswith("The automation of neural architecture design")
    dup = next(q for q in r.papers if q.id == "2012.07599")
    assert dup.doi == "10.1109/ICCIT48885.2019.9038550"
    assert dup.categories == ["cs.CV", "cs.CL", "cs.LG"]


@pytest.mark.skipif(not PY_MARKDOWN.is_dir(), reason="shared corpus not present")
def test_corpus_py_markdown() -> None:
    files = sorted(p for p in PY_MARKDOWN.rglob("*") if p.is_file())
    assert files
    papers = 0
    warnings = []
    for path in files:
        r = parse_file(path)
        assert r.format == "arxiv_fields", path
        papers += len(r.papers)
        warnings += r.warnings
        assert r.date is not None and r.category == "cs.CV"
        for p in r.papers:
            assert p.title and p.abstract and p.authors and p.published
            assert p.primary_category in p.categories
    assert papers == 2924
    # Only TeX the converter could not read (a user's own macro) is warned about.
    assert [w for w in warnings if not w.message.startswith("TeX kept as written")] == []


# --------------------------------------------------------------------------
# Ids
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2005.10825", ("2005.10825", None)),
        ("2005.10825v2", ("2005.10825", 2)),
        ("  arXiv:2005.10825v12 ", ("2005.10825", 12)),
        ("0704.0001", ("0704.0001", None)),
        ("1412.6980v9", ("1412.6980", 9)),
        ("quant-ph/9802028v1", ("quant-ph/9802028", 1)),
        ("quant-ph/9802028", ("quant-ph/9802028", None)),
        ("hep-th/9711200", ("hep-th/9711200", None)),
        ("math.GT/0309136", ("math/0309136", None)),
        ("cs.AI/0101001v2", ("cs/0101001", 2)),
        ("http://arxiv.org/abs/2011.10904v2", ("2011.10904", 2)),
        ("https://arxiv.org/pdf/2005.10825.pdf", ("2005.10825", None)),
        ("https://arxiv.org/pdf/2005.10825v3.pdf", ("2005.10825", 3)),
        ("arxiv.org/pdf/2012.07599v1", ("2012.07599", 1)),
        ("https://export.arxiv.org/abs/quant-ph/9802028v1", ("quant-ph/9802028", 1)),
        ("http://arxiv.org/abs/math.GT/0309136", ("math/0309136", None)),
    ],
)
def test_normalize_id(raw: str, expected: tuple[str, int | None]) -> None:
    assert normalize_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "None",
        "hello",
        "2005.1082",  # too short for 2020
        "1412.69801",  # too long for 2014
        "2005.108251",  # too long
        "2013.10825",  # month 13
        "https://example.org/abs/2005.10825",
        "10.1109/ICCIT48885.2019.9038550",
        "quant-ph/98020",
        "٢٠٠٥.١٠٨٢٥",  # non-ASCII digits
        "2005.10825v" + "9" * 5000,
    ],
)
def test_normalize_id_rejects(raw: str) -> None:
    assert normalize_id(raw) is None


# --------------------------------------------------------------------------
# Text normalisation
# --------------------------------------------------------------------------


def test_html_entities_decoded() -> None:
    assert clean_inline("Fast &amp; Furious &lt;x&gt; &#233;t&eacute;") == "Fast & Furious <x> été"


def test_br_becomes_paragraph_break() -> None:
    assert clean_abstract("One. <br>Two.<br/>Three.<BR />") == "One.\n\nTwo.\n\nThree."
    assert clean_inline("a<br>b") == "a b"


def test_link_keeps_url() -> None:
    html = (
        'Code: <a class="link-external link-https" href="https://github.com/x/y" '
        'rel="external noopener nofollow">this https URL</a>.'
    )
    assert clean_abstract(html) == "Code: https://github.com/x/y ."
    assert clean_abstract('<a href="https://x.org/">site</a>') == "site (https://x.org/)"
    assert clean_abstract('<a href="https://x.org/?a=1&amp;b=2">this URL</a>') == (
        "https://x.org/?a=1&b=2"
    )


def test_other_tags_dropped_but_not_lookalikes() -> None:
    assert clean_abstract("a <i>b</i> <sup>2</sup> <span class='x'>c</span>") == "a b 2 c"
    for text in ("<human; verb; object>", "<https://git.io/Jqc0y>", "p <0.001 and q >", "<s>"):
        assert clean_abstract(text) == text
    # Escaped tags are text, not markup.
    assert clean_abstract("&lt;b&gt;bold&lt;/b&gt;") == "<b>bold</b>"


def test_latex_readable() -> None:
    def readable(text: str) -> str:
        return " ".join(to_text(clean_abstract(text)).split())

    # Cleaning keeps TeX as written (BibTeX needs it); the text form reads well.
    assert clean_abstract(r"a \emph{b} $\ell_0$") == r"a \emph{b} $\ell_0$"
    assert readable(r"toward {\em model-based robust deep learning}.") == (
        "toward model-based robust deep learning."
    )
    assert readable(r"a \emph{model of variation} b") == "a model of variation b"
    assert readable(r"\textbf{iperov} and \textit{x} \texttt{VoxCeleb2}") == (
        "iperov and x VoxCeleb2"
    )
    assert readable(r"Let $f$ be a map $\colon$ done") == "Let f be a map : done"
    assert readable(r"by $95\%$ and 97\% with $70.5$ AP") == "by 95% and 97% with 70.5 AP"
    assert readable(r"6.2$\times$ faster ($\leq$ 600M)") == "6.2× faster (≤ 600M)"
    assert readable(r"ranks \textbf{$1^{st}$} on") == "ranks 1ˢᵗ on"
    assert readable(r"by $\delta_1$ and $\ell_0$ norm") == "by δ₁ and ℓ₀ norm"
    # Dollars that are not math stay.
    assert readable("costs $5 and $10 each") == "costs $5 and $10 each"
    assert readable(r"code at \url{https://github.com/a/b}.") == "code at https://github.com/a/b."


def test_whitespace_collapsed_paragraphs_kept() -> None:
    assert clean_inline("  a \t b\n c  ") == "a b c"
    assert clean_abstract("a   b\n c\n\n\n  d  e  ") == "a b c\n\nd e"


def test_categories() -> None:
    assert parse_categories("**cs.CV**, cs.LG") == (["cs.CV", "cs.LG"], "cs.CV")
    assert parse_categories("cs.LG, **stat.ML**") == (["cs.LG", "stat.ML"], "stat.ML")
    assert parse_categories("**eess.IV**, cs.CV, 68Txx (Primary), 68T07, I.2; I.4; J.3") == (
        ["eess.IV", "cs.CV"],
        "eess.IV",
    )
    assert parse_categories("**hep-th**, math-ph, cond-mat.stat-mech") == (
        ["hep-th", "math-ph", "cond-mat.stat-mech"],
        "hep-th",
    )
    assert parse_categories("None") == ([], None)


# --------------------------------------------------------------------------
# Format 1
# --------------------------------------------------------------------------


def test_f1_basic_and_missing_link_recovery() -> None:
    text = (
        F1_HEADER
        + f1_entry(1, "First", "2005.10825")
        + "### 2.No link here\n>  Abstract mentions https://arxiv.org/abs/2005.00001v3 only.\n"
        + "### 3.Really no link\n>  Nothing to find.\n"
        + f1_entry(4, "Fourth", "2005.10826")
    )
    r = parse_text(text, "d.md")
    assert r.format == "arxiv_daily" and r.entries == 4
    assert [p.id for p in r.papers] == ["2005.10825", "2005.00001", "2005.10826"]
    assert r.papers[1].version == 3 and r.papers[1].title == "No link here"
    assert r.papers[1].pdf_url == "https://arxiv.org/pdf/2005.00001v3"
    assert [str(w) for w in r.warnings] == ["d.md:6: entry skipped: no arXiv id (no PDF link)"]
    assert [p.appearances[0].position for p in r.papers] == [0, 1, 3]


def test_f1_abstract_spanning_lines() -> None:
    text = F1_HEADER + (
        "### 1.T  [ :arrow_down: ](https://arxiv.org/pdf/2005.10825.pdf)\n"
        ">  First line\n> continues here.\n>\n>  Second paragraph\nlazy continuation\n\n\n"
    )
    [p] = parse_text(text, "s").papers
    assert p.abstract == "First line continues here.\n\nSecond paragraph lazy continuation"


def test_f1_no_header() -> None:
    text = f1_entry(1, "First", "2005.10825") + f1_entry(2, "Second", "2005.10826")
    r = parse_text(text, "s")
    assert r.format == "arxiv_daily" and len(r.papers) == 2
    assert (r.date, r.category) == (None, None)
    assert messages(r) == ["no digest header"]


def test_f1_truncated() -> None:
    text = (SEEDS / "000_3ae2b7cffb64a415.txt").read_text()
    cut = text.index("### 3.") + 40  # in the middle of the third heading
    r = parse_text(text[:cut], "t")
    assert r.entries == 3 and len(r.papers) == 2
    assert [(w.line, w.message) for w in r.warnings] == [
        (6, "entry skipped: no arXiv id (no PDF link, file truncated?)")
    ]
    cut = text.index("### 3.")
    cut = text.index("\n", cut) + 1  # heading complete, abstract missing
    r = parse_text(text[:cut], "t")
    assert len(r.papers) == 3 and r.papers[2].abstract == ""
    assert messages(r) == ["entry has no abstract (file truncated?)"]


# --------------------------------------------------------------------------
# Format 2
# --------------------------------------------------------------------------


def test_f2_none_is_absent_and_continuations() -> None:
    text = F2_HEADER + f2_entry(
        "A Title",
        "2011.10904",
        Comment="Accepted at\n  Some Conference\n  (SC 2021)",
        Journal="IEEE Trans 2021",
        DOI="10.1/abc",
        Categories="**math.OC**, cs.CV, 65F22, 94A12,\n  94A08, 47A52",
    )
    [p] = parse_text(text, "s").papers
    assert p.comment == "Accepted at Some Conference (SC 2021)"
    assert p.journal_ref == "IEEE Trans 2021" and p.doi == "10.1/abc"
    assert p.categories == ["math.OC", "cs.CV"] and p.primary_category == "math.OC"
    r = parse_text(F2_HEADER + f2_entry("T", "2011.10904", Authors="None"), "s")
    p = r.papers[0]
    assert (p.comment, p.journal_ref, p.doi, p.authors) == (None, None, None, [])
    assert r.warnings == []


def test_f2_summary_continuation_and_paragraphs() -> None:
    text = F2_HEADER + f2_entry("T", "2011.10904", Summary="Line one\ncontinues.\n\nNew para.")
    [p] = parse_text(text, "s").papers
    assert p.abstract == "Line one continues.\n\nNew para."


def test_f2_derived_urls_and_missing_version() -> None:
    text = F2_HEADER + f2_entry("T", "2011.10904", Arxiv_ID="2011.10904", Links="None")
    [p] = parse_text(text, "s").papers
    assert p.version is None
    assert p.abs_url == "https://arxiv.org/abs/2011.10904"
    assert p.pdf_url == "https://arxiv.org/pdf/2011.10904"
    text = F2_HEADER + f2_entry("T", "2011.10904", Arxiv_ID="arXiv:2011.10904v3", Links="x")
    [p] = parse_text(text, "s").papers
    assert p.version == 3
    assert p.abs_url == "https://arxiv.org/abs/2011.10904v3"
    assert p.pdf_url == "https://arxiv.org/pdf/2011.10904v3"


def test_f2_missing_id_warns_with_line_and_recovers_from_links() -> None:
    text = (
        F2_HEADER
        + f2_entry("Good", "2011.00001")
        + f2_entry("No id", "2011.00002", Arxiv_ID=None, Links="None")
        + f2_entry("Id from link", "2011.00003", Arxiv_ID="None")
    )
    r = parse_text(text, "dir/file.md")
    assert r.entries == 3
    assert [p.id for p in r.papers] == ["2011.00001", "2011.00003"]
    assert r.papers[1].version == 2
    [w] = r.warnings
    assert str(w) == "dir/file.md:16: entry skipped: no arXiv id (no Arxiv ID field)"


def test_duplicate_in_one_file_is_one_paper() -> None:
    text = (
        F2_HEADER
        + f2_entry("Same", "2011.00001", Comment="None")
        + f2_entry("Other", "2011.00002")
        + f2_entry("Same", "2011.00001", Comment="Now with a comment")
    )
    r = parse_text(text, "s")
    assert r.entries == 3 and len(r.papers) == 2
    p = r.papers[0]
    assert [(a.line, a.position) for a in p.appearances] == [(2, 0), (30, 2)]
    assert p.comment == "Now with a comment"
    text = F1_HEADER + f1_entry(1, "A", "2005.10825") + f1_entry(2, "A", "2005.10825")
    r = parse_text(text, "s")
    assert (r.entries, len(r.papers), len(r.papers[0].appearances)) == (2, 1, 2)


def test_f2_truncated() -> None:
    text = (SEEDS / "004_ce29fc885a87ee68.txt").read_text()
    cut = text.index("- **Summary**", text.index("### ", 100))  # 2nd entry, before Summary
    r = parse_text(text[:cut], "t")
    assert r.entries == 2 and len(r.papers) == 2
    assert messages(r) == ["entry has no Summary field (file truncated?)"]
    r = parse_text(text[: text.index("- **Arxiv ID**", 100)], "t")
    assert r.entries == 2 and len(r.papers) == 1
    assert messages(r) == ["entry skipped: no arXiv id (no Arxiv ID field, file truncated?)"]


def test_f2_no_header() -> None:
    r = parse_text(f2_entry("T", "2011.10904"), "s")
    assert r.format == "arxiv_fields" and len(r.papers) == 1
    assert messages(r) == ["no digest header"]


# --------------------------------------------------------------------------
# Files, bytes, hostile input
# --------------------------------------------------------------------------


def test_empty_and_not_a_digest(tmp_path: Path) -> None:
    for data in (b"", b"\n\n  \n", b"\xef\xbb\xbf"):
        r = parse_bytes(data, "e")
        assert r.format is None and r.papers == []
        assert [(w.line, w.message) for w in r.warnings] == [(1, "empty file")]
    r = parse_text("# Some README\n\n### Not an entry\ntext\n", "readme.md")
    assert r.format is None
    [w] = r.warnings
    assert w.line == 1 and w.message.startswith("not a digest")


def test_binary_garbage() -> None:
    data = bytes(range(256)) * 40 + b"\x00\xff\xfe###\x1b[2J"
    r = parse_bytes(data, "bin")
    assert r.format is None and r.papers == []
    assert any(m.startswith("not a digest") for m in messages(r))


def test_invalid_utf8_warns_and_rest_loads() -> None:
    text = F1_HEADER + f1_entry(1, "Good", "2005.10825") + f1_entry(2, "Bad", "2005.10826")
    data = text.encode().replace(b"Bad", b"B\xffd\xc3")
    r = parse_bytes(data, "u")
    assert len(r.papers) == 2 and r.papers[1].title == "B\ufffdd\ufffd"
    [w] = r.warnings
    assert w.line == 4 and "invalid UTF-8" in w.message


def test_bom_and_crlf() -> None:
    text = F2_HEADER + f2_entry("T", "2011.10904", Comment="a\n  b")
    plain = parse_bytes(text.encode(), "s")
    for data in (
        b"\xef\xbb\xbf" + text.encode(),
        text.replace("\n", "\r\n").encode(),
        b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(),
        text.replace("\n", "\r\n").encode("utf-16"),
    ):
        r = parse_bytes(data, "s")
        assert r.warnings == [] and r.date == "2020-11-22"
        assert r.papers == plain.papers
        assert r.papers[0].comment == "a b"


def test_markup_looking_title_kept_literally() -> None:
    text = F2_HEADER + f2_entry("[b]x[/] and [link=https://e.vil]y[/link] {z}", "2011.10904")
    [p] = parse_text(text, "s").papers
    assert p.title == "[b]x[/] and [link=https://e.vil]y[/link] {z}"
    text = F1_HEADER + f1_entry(1, "[red]alarm[/red]", "2005.10825", abstract="[i]abs[/i]")
    [p] = parse_text(text, "s").papers
    assert (p.title, p.abstract) == ("[red]alarm[/red]", "[i]abs[/i]")


def test_escape_sequences_removed() -> None:
    evil = "A\x1b[2J\x1b]52;c;ZXZpbA==\x07 title\x07\x00\u202e\x9b31m"
    text = F2_HEADER + f2_entry(
        evil, "2011.10904", Authors=f"Eve{evil}, Bob", Summary=f"sum {evil} mary &#27;[2J end"
    )
    [p] = parse_text(text, "s").papers
    assert p.title == "A title"
    assert p.authors == [p.authors[0], "Bob"]
    for s in [p.title, p.abstract, *p.authors]:
        assert "\x1b" not in s and "\x07" not in s and "\x00" not in s and "\u202e" not in s
        assert "52;c" not in s and "\x9b" not in s
    assert p.abstract == "sum A title mary [2J end"  # "&#27;" decoded, then ESC dropped
    text = F1_HEADER + f1_entry(1, "T\x1b[2J\x1b]52;c;AAAA\x07itle", "2005.10825")
    [p] = parse_text(text, "s").papers
    assert p.title == "Title"


def test_parse_file_errors_never_raise(tmp_path: Path) -> None:
    r = parse_file(tmp_path / "missing.md")
    assert r.format is None and len(r.warnings) == 1
    assert "cannot read" in r.warnings[0].message
    r = parse_file(tmp_path)  # a directory
    assert r.format is None and len(r.warnings) == 1
    good = tmp_path / "x.txt"
    good.write_text(F1_HEADER + f1_entry(1, "T", "2005.10825"))
    r = parse_file(good)
    assert r.source == str(good) and r.papers[0].appearances[0].source == str(good)


def test_sniff_is_content_based() -> None:
    f1 = F1_HEADER + f1_entry(1, "T", "2005.10825")
    f2 = F2_HEADER + f2_entry("T", "2011.10904")
    assert arxiv_daily.sniff(f1) and not arxiv_daily.sniff(f2)
    assert arxiv_fields.sniff(f2) and not arxiv_fields.sniff(f1)
    other = "### [1] [Title](https://arxiv.org/abs/2606.24021)\n*A, B*\n"
    assert not arxiv_daily.sniff(other) and not arxiv_fields.sniff(other)
