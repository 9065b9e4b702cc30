"""Export: BibTeX that a BibTeX parser reads back, markdown, JSON, CSV, and the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import bibtexparser
import pytest

from digest_tui.cli import main
from digest_tui.export import (
    bibtex_entry,
    bibtex_escape,
    bibtex_key,
    export_papers,
)
from digest_tui.models import Appearance, Paper
from digest_tui.state import Mark, StateStore


def paper(pid: str = "2005.10825", **kw: object) -> Paper:
    fields: dict[str, object] = {
        "title": "Attention Is All You Need",
        "authors": ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"],
        "primary_category": "cs.CL",
        "categories": ["cs.CL", "cs.LG"],
        "published": "2017-06-12T17:57:34+00:00",
        "abs_url": f"http://arxiv.org/abs/{pid}v5",
        "pdf_url": f"http://arxiv.org/pdf/{pid}v5",
        "appearances": [Appearance("2017-06-13", "cs.CL", "d.md", 3, 0)],
    }
    fields.update(kw)
    return Paper(id=pid, **fields)  # type: ignore[arg-type]


def parse_bib(text: str) -> bibtexparser.Library:
    lib = bibtexparser.parse_string(text)
    assert not lib.failed_blocks, [b.error for b in lib.failed_blocks]
    return lib


def unbrace(value: str) -> str:
    while value.startswith("{") and value.endswith("}"):
        value = value[1:-1]
    return value


# ------------------------------------------------------------------ BibTeX


def test_bibtex_entry_cites_an_arxiv_preprint() -> None:
    lib = parse_bib(bibtex_entry(paper()))
    (entry,) = lib.entries
    assert entry.entry_type == "misc"
    assert entry.key == "vaswani2017attention"
    f = {k: unbrace(v.value) for k, v in entry.fields_dict.items()}
    assert f["eprint"] == "2005.10825"
    assert f["archivePrefix"] == "arXiv"
    assert f["primaryClass"] == "cs.CL"
    assert f["year"] == "2017"
    assert f["url"] == "https://arxiv.org/abs/2005.10825"
    assert f["title"] == "Attention Is All You Need"
    assert f["author"] == "Ashish Vaswani and Noam Shazeer and Niki Parmar"
    # The title is double-braced so styles keep its capitals.
    assert entry.fields_dict["title"].value.startswith("{")
    assert "doi" not in f and "journal" not in f and "note" not in f


def test_bibtex_optional_fields_and_old_style_ids() -> None:
    p = paper(
        "quant-ph/9802028",
        published=None,
        authors=[],
        doi="10.1103/PhysRevA.58.1",
        journal_ref="Phys. Rev. A 58, 1 (1998)",
        comment="12 pages & 3 figures",
        primary_category=None,
        categories=["quant-ph"],
    )
    (entry,) = parse_bib(bibtex_entry(p)).entries
    f = {k: unbrace(v.value) for k, v in entry.fields_dict.items()}
    assert entry.key == "arxivquant_ph_9802028"
    assert f["year"] == "1998"  # from the id
    assert f["eprint"] == "quant-ph/9802028"
    assert f["primaryClass"] == "quant-ph"
    assert f["doi"] == "10.1103/PhysRevA.58.1"
    assert f["journal"] == "Phys. Rev. A 58, 1 (1998)"
    assert f["note"] == r"12 pages \& 3 figures"
    assert "author" not in f


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("R&D at 100% for C# and snake_case", r"R\&D at 100\% for C\# and snake\_case"),
        ("costs $5 or $10", r"costs \$5 or \$10"),
        ("a ~ b ^ c", r"a \~{} b \^{} c"),
        ("a \\ b\\1", r"a \textbackslash{} b\textbackslash{}1"),
        ("\\emph{kept}", "\\emph{kept}"),
        ("one { brace", r"one \textbraceleft{} brace"),
        ("close } first {", r"close \textbraceright{} first \textbraceleft{}"),
        # LaTeX-looking text stays readable.
        ("$\\mathcal{O}(n^2)$ time", "$\\mathcal{O}(n^2)$ time"),
        ("M{\\\"u}ller's {BERT}", "M{\\\"u}ller's {BERT}"),
        ("$x_1 = 50\\%$ and 5%", "$x_1 = 50\\%$ and 5\\%"),
        ("already \\& escaped", "already \\& escaped"),
    ],
)
def test_bibtex_escape(text: str, expected: str) -> None:
    assert bibtex_escape(text) == expected


def test_hostile_titles_still_parse_and_keep_every_entry() -> None:
    titles = [
        "Unbalanced { brace",
        "} closing first",
        "100% & #1: a_b ~ c^d \\ e $",
        "Math $\\frac{a}{b}$ with { stray",
        "Escapes \x1b[31mred\x1b[0m and \u202e bidi",
        "@misc{injected, title={x}}",
        "",
    ]
    papers = [paper(f"2101.{i:05d}", title=t) for i, t in enumerate(titles)]
    text = export_papers(papers, "bibtex")
    assert "\x1b" not in text and "\u202e" not in text
    lib = parse_bib(text)
    assert len(lib.entries) == len(titles)
    assert [unbrace(e.fields_dict["eprint"].value) for e in lib.entries] == [p.id for p in papers]
    assert "\\%" in text and "\\&" in text and "\\#" in text and "\\_" in text


def test_keys_are_ascii_stable_and_unique_within_an_export() -> None:
    assert bibtex_key(paper(authors=["José Müller-Łopez"])) == "mullerlopez2017attention"
    assert bibtex_key(paper(authors=["Smith, John"], title="The Art of Code")) == ("smith2017art")
    assert bibtex_key(paper(authors=['M{\\"u}ller'])) == "muller2017attention"
    assert bibtex_key(paper(authors=[], published=None)) == "arxiv2005_10825"
    same = [paper(f"2005.1082{i}") for i in range(4)]
    lib = parse_bib(export_papers(same, "bibtex"))
    keys = [e.key for e in lib.entries]
    assert keys == [
        "vaswani2017attention",
        "vaswani2017attentiona",
        "vaswani2017attentionb",
        "vaswani2017attentionc",
    ]
    # The same papers give the same keys every time.
    assert [e.key for e in parse_bib(export_papers(same, "bibtex")).entries] == keys


def test_author_named_and_is_kept_as_one_person() -> None:
    (entry,) = parse_bib(bibtex_entry(paper(authors=["Smith and Sons Ltd", "Jane Doe"]))).entries
    assert entry.fields_dict["author"].value == "{Smith and Sons Ltd} and Jane Doe"


# ------------------------------------------------------------------ other formats


def test_markdown_reading_list_groups_by_digest_date() -> None:
    papers = [
        paper("2005.00001", title="First [draft] *bold*"),
        paper("2005.00002", authors=["Solo Author"]),
        paper(
            "2005.00003",
            authors=["A One", "B Two"],
            appearances=[Appearance("2017-06-12", None, "x", 1, 0)],
        ),
        paper("2005.00004", appearances=[]),
    ]
    marks = {
        "2005.00001": Mark("2005.00001", read=True, starred=True, tags=frozenset({"nlp"})),
        "2005.00002": Mark("2005.00002", note="compare with\nthe baseline"),
    }
    text = export_papers(papers, "markdown", marks)
    lines = text.splitlines()
    assert lines[0] == "# Reading list"
    assert lines.index("## 2017-06-13") < lines.index("## 2017-06-12") < lines.index("## Undated")
    assert (
        "- [x] ★ [First \\[draft\\] \\*bold\\*](https://arxiv.org/abs/2005.00001)"
        " — Ashish Vaswani et al. (2017-06-12) [PDF](https://arxiv.org/pdf/2005.00001)"
    ) in lines
    assert "  `nlp`" in lines
    assert "- [ ] [Attention Is All You Need](https://arxiv.org/abs/2005.00002) — Solo Author" in (
        text
    )
    assert "  > compare with" in lines and "  > the baseline" in lines
    assert "— A One and B Two (2017-06-12)" in text
    assert text.count("](https://arxiv.org/abs/") == 4


def test_json_export_loads_with_state_only_when_marks_are_given() -> None:
    papers = [paper("2005.00001"), paper("2005.00002", title="Bell\x07 \x9b31m")]
    data = json.loads(export_papers(papers, "json"))
    assert [d["id"] for d in data] == ["2005.00001", "2005.00002"]
    assert "read" not in data[0]
    assert data[1]["title"] == "Bell "  # BEL and the 8-bit CSI sequence removed
    assert data[0]["digests"][0]["date"] == "2017-06-13"
    marks = {"2005.00002": Mark("2005.00002", starred=True, tags=frozenset({"b", "a"}), note="n")}
    data = json.loads(export_papers(papers, "json", marks))
    assert (data[0]["read"], data[0]["starred"], data[0]["tags"], data[0]["note"]) == (
        False,
        False,
        [],
        None,
    )
    assert (data[1]["starred"], data[1]["tags"], data[1]["note"]) == (True, ["a", "b"], "n")
    assert json.loads(export_papers([], "json")) == []


def test_csv_round_trips_through_dictreader() -> None:
    tricky = 'Commas, "quotes"\nand newlines'
    papers = [paper("2005.00001", title=tricky, abstract="line one\nline two"), paper()]
    marks = {"2005.00001": Mark("2005.00001", read=True, tags=frozenset({"x", "y"}), note="a,b")}
    text = export_papers(papers, "csv", marks)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == 2
    assert rows[0]["id"] == "2005.00001"
    assert rows[0]["title"] == 'Commas, "quotes" and newlines'
    assert rows[0]["authors"] == "Ashish Vaswani; Noam Shazeer; Niki Parmar"
    assert rows[0]["abstract"] == "line one line two"
    assert (rows[0]["read"], rows[0]["starred"], rows[0]["tags"], rows[0]["note"]) == (
        "1",
        "0",
        "x; y",
        "a,b",
    )
    assert rows[1]["digest_date"] == "2017-06-13"
    assert rows[1]["categories"] == "cs.CL cs.LG"
    header = next(csv.reader(io.StringIO(export_papers([], "csv"))))
    assert header[:3] == ["id", "version", "title"] and "read" not in header


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown export format"):
        export_papers([paper()], "xml")


# ------------------------------------------------------------------ CLI


def test_cli_export_every_format_over_the_seeds(
    seeds_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    common = ["--data-dir", str(data), "--cache-dir", str(tmp_path / "cache")]
    assert main(["list", str(seeds_dir), "-f", "ids", *common]) == 0
    ids = capsys.readouterr().out.split()
    assert len(ids) == 301
    with StateStore(data) as s:
        s.set_starred(ids[0])
        s.add_tag(ids[0], "must-read")

    assert main(["export", str(seeds_dir), "-f", "bibtex", *common]) == 0
    lib = parse_bib(capsys.readouterr().out)
    assert [unbrace(e.fields_dict["eprint"].value) for e in lib.entries] == ids
    assert len({e.key for e in lib.entries}) == 301
    assert all(unbrace(e.fields_dict["archivePrefix"].value) == "arXiv" for e in lib.entries)

    assert main(["export", str(seeds_dir), "-f", "json", "-q", "is:starred", *common]) == 0
    (only,) = json.loads(capsys.readouterr().out)
    assert (only["id"], only["starred"], only["tags"]) == (ids[0], True, ["must-read"])

    assert main(["export", str(seeds_dir), "-f", "csv", *common]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out, newline="")))
    assert [r["id"] for r in rows] == ids

    assert main(["export", str(seeds_dir), "-f", "markdown", *common]) == 0
    text = capsys.readouterr().out
    assert text.count("- [ ] ") + text.count("- [x] ") == 301
    assert "★ [" in text and f"https://arxiv.org/abs/{ids[0]})" in text


def test_cli_export_to_a_file_infers_the_format(
    seeds_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--data-dir", str(tmp_path / "data"), "--cache-dir", str(tmp_path / "cache")]
    out = tmp_path / "refs.bib"
    out.write_text("old\n")
    os.chmod(out, 0o640)
    assert main(["export", str(seeds_dir), "-o", str(out), "-q", "cat:cs.CV", *common]) == 0
    assert "exported" in capsys.readouterr().out
    assert len(parse_bib(out.read_text()).entries) > 0
    assert out.stat().st_mode & 0o777 == 0o640  # permissions kept
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".refs")] == []
    md = tmp_path / "list.md"
    assert main(["export", str(seeds_dir), "-o", str(md), *common]) == 0
    assert md.read_text().startswith("# Reading list\n")


@pytest.mark.parametrize(
    "args",
    [
        ["-f", "xml"],
        ["-o", "refs.txt"],  # no format given and none implied
        [],
        ["-f", "bibtex", "-q", "is:banana"],
        ["-f", "bibtex", "-o", "no/such/dir/refs.bib"],
    ],
)
def test_cli_export_mistakes_exit_2_with_one_line(
    args: list[str],
    seeds_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    common = ["--data-dir", str(tmp_path / "data"), "--cache-dir", str(tmp_path / "cache")]
    assert main(["export", str(seeds_dir), *args, *common]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("digest-tui: ")
    assert not (tmp_path / "refs.txt").exists()
