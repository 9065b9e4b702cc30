"""Terminal safety in the core: digest text never carries escape sequences or
controls to the screen or to CLI output, markup stays text, and only http(s)
links are ever offered for opening.  (How the reader draws text is tested
with the reader.)"""

from __future__ import annotations

import json
import re
import subprocess
import webbrowser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest_tui import opening
from digest_tui.cli import main
from digest_tui.models import Paper
from digest_tui.opening import OpenError, open_url
from digest_tui.parsing import parse_text
from digest_tui.text import is_web_url, one_line, strip_controls

from .conftest import SEEDS

ESC = "\x1b"
HOSTILE = {
    "clear-screen": "\x1b[2J",
    "sgr": "\x1b[31;1m",
    "alt-screen": "\x1b[?1049h",
    "osc52-bel": "\x1b]52;c;ZXZpbCBjb21tYW5k\x07",
    "osc52-st": "\x1b]52;c;ZXZpbA==\x1b\\",
    "osc8-link": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "title-set": "\x1b]0;pwned\x07",
    "dcs": "\x1bP1$r\x1b\\",
    "c1-csi": "\x9b2J",
    "c1-osc": "\x9d52;c;eA==\x9c",
    "lone-cr": "over\rwrite",
    "bel": "\x07",
    "del": "\x7f",
    "backspace": "abc\x08\x08\x08xyz",
    "nul": "\x00",
    "bidi-override": "\u202egnp.exe",
    "entity-esc": "&#27;[2J",
    "entity-hex-esc": "&#x1b;]52;c;eA==&#7;",
    "entity-c1": "&#155;2J",
    "entity-del": "&#127;",
}
# Anything a terminal could act on: C0 but tab/newline, DEL, C1, bidi controls.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def daily_digest(s: str) -> str:
    return (
        "# ArXiv cs.CV --Fri, 22 May 2020\n"
        f"### 1.Title {s} end  [ :arrow_down: ](https://arxiv.org/pdf/2005.10825.pdf)\n"
        f">  Abstract {s} end.\n"
    )


def fields_digest(s: str) -> str:
    return (
        "# Arxiv Papers in cs.CV on 2020-11-22\n"
        f"### Title {s} end\n"
        "- **Arxiv ID**: http://arxiv.org/abs/2011.10904v2\n"
        f"- **DOI**: 10.1000/{s}\n"
        f"- **Categories**: **cs.CV**, cs.LG{s}\n"
        "- **Links**: [PDF](http://arxiv.org/pdf/2011.10904v2)\n"
        f"- **Published**: 2020-11-22 01:11:19+00:00{s}\n"
        "- **Updated**: 2021-08-18 13:35:00+00:00\n"
        f"- **Authors**: Ann {s} Lee, Bo Chen\n"
        f"- **Comment**: 6 pages {s}\n"
        f"  continued {s}\n"
        f"- **Journal**: Nature {s}\n"
        f"- **Summary**: Summary {s} end.\n"
        "\n"
        f"  Second paragraph {s}.\n"
    )


def paper_texts(p: Paper) -> list[str]:
    values = [p.id, p.title, p.abstract, *p.authors, *p.categories, p.primary_category]
    values += [p.pdf_url, p.abs_url, p.published, p.updated, p.comment, p.journal_ref, p.doi]
    return [v for v in values if v]


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("make", [daily_digest, fields_digest], ids=["daily", "fields"])
def test_escape_sequences_and_controls_are_removed_from_every_parsed_field(make, name) -> None:  # type: ignore[no-untyped-def]
    result = parse_text(make(HOSTILE[name]), "h.md")
    assert len(result.papers) == 1, result.warnings
    paper = result.papers[0]
    for value in paper_texts(paper):
        assert not UNSAFE.search(value), (name, value)
    assert "\n" not in paper.title and all("\n" not in a for a in paper.authors)
    if name == "lone-cr":
        return  # a lone CR ends a line (old Mac files), so it splits the heading
    # The text around the sequence survives.
    assert paper.title.startswith("Title") and paper.title.endswith("end")
    assert "end" in paper.abstract
    if not name.startswith("entity"):  # (an entity's ESC is dropped, its payload is text)
        for value in paper_texts(paper):  # nothing of a sequence's payload leaks as text
            assert "52;c;" not in value and "8;;https://evil" not in value


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_strip_controls_leaves_nothing_a_terminal_acts_on(text: str) -> None:
    cleaned = strip_controls(text)
    assert not UNSAFE.search(cleaned)
    assert "\r" not in cleaned
    assert strip_controls(cleaned) == cleaned
    line = one_line(text)
    assert "\n" not in line and "\t" not in line and not UNSAFE.search(line)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(sorted(HOSTILE.values())), st.text(max_size=5)), max_size=6
    ).map("".join)
)
def test_any_mix_of_hostile_sequences_in_fields_parses_to_safe_text(s: str) -> None:
    for text in (daily_digest(s), fields_digest(s)):
        for paper in parse_text(text, "h").papers:
            for value in paper_texts(paper):
                assert not UNSAFE.search(value)


MARKUP = [
    "[b]bold[/b]",
    "[/]",
    "[link=https://evil.example]x[/link]",
    "[@click=app.quit]quit[/]",
    "[red on white]x",
    ":warning: :arrow_down:",
    "$x$ [i]",
]


@pytest.mark.parametrize("markup", MARKUP)
def test_rich_and_textual_markup_in_fields_survives_parsing_as_literal_text(markup: str) -> None:
    daily = parse_text(daily_digest(markup), "m").papers[0]
    assert markup.replace("$x$", "x") in daily.title
    assert markup.replace("$x$", "x") in daily.abstract
    fields = parse_text(fields_digest(markup), "m").papers[0]
    for value in (fields.title, fields.abstract, fields.comment, " ".join(fields.authors)):
        assert value is not None and markup.replace("$x$", "x") in value


BAD_SCHEMES = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "file:///etc/passwd",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox",
    "ftp://example.org/x.pdf",
    "//evil.example/x.pdf",
    "http:/x",
    "https://\u200barxiv.org/pdf/2011.10904",
    "https://arxiv.org/pdf/2011.10904\x1b]52;c;eA==\x07",
]


@pytest.mark.parametrize("url", BAD_SCHEMES, ids=repr)
def test_fields_links_with_other_schemes_give_canonical_arxiv_urls(url: str) -> None:
    text = (
        "# Arxiv Papers in cs.CV on 2020-11-22\n### T\n"
        f"- **Arxiv ID**: {url}#arxiv.org/abs/2011.10904v2\n"
        f"- **Links**: [PDF]({url}) [abs]({url}) {url}\n"
        "- **Summary**: s\n"
    )
    paper = parse_text(text, "l").papers[0]
    assert paper.id == "2011.10904"
    # Derived from the id (with the version when the id gave one).
    assert paper.pdf_url in (
        "https://arxiv.org/pdf/2011.10904v2",
        "https://arxiv.org/pdf/2011.10904",
    )
    assert paper.abs_url in (
        "https://arxiv.org/abs/2011.10904v2",
        "https://arxiv.org/abs/2011.10904",
    )


@pytest.mark.parametrize("url", BAD_SCHEMES, ids=repr)
def test_daily_pdf_links_with_other_schemes_give_canonical_arxiv_urls(url: str) -> None:
    text = (
        "# ArXiv cs.CV --Fri, 22 May 2020\n"
        f"### 1.T  [ :arrow_down: ]({url}/arxiv.org/pdf/2005.10825.pdf)\n>  a\n"
    )
    result = parse_text(text, "l")
    for paper in result.papers:
        assert paper.pdf_url is not None and paper.abs_url is not None
        assert is_web_url(paper.pdf_url) and is_web_url(paper.abs_url)
        assert paper.abs_url == f"https://arxiv.org/abs/{paper.id}"
        assert "javascript" not in paper.pdf_url.lower() and "\u200b" not in paper.pdf_url


def test_links_inside_abstracts_are_kept_as_text_not_as_links() -> None:
    text = (
        "# ArXiv cs.CV --Fri, 22 May 2020\n"
        "### 1.T  [ :arrow_down: ](https://arxiv.org/pdf/2005.10825.pdf)\n"
        '>  See <a href="javascript:alert(1)">this https URL</a> and '
        '<a href="file:///etc/passwd">data</a>.\n'
    )
    paper = parse_text(text, "a").papers[0]
    assert "javascript:alert(1)" in paper.abstract  # visible, so the reader can judge
    assert paper.pdf_url == "https://arxiv.org/pdf/2005.10825.pdf"


@pytest.mark.parametrize("url", [*BAD_SCHEMES, "", None, " https://arxiv.org/abs/1"], ids=repr)
def test_open_url_refuses_everything_but_http_and_starts_nothing(
    url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[object] = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: started.append(a))
    monkeypatch.setattr(webbrowser, "open", lambda *a, **k: started.append(a))
    assert not is_web_url(url)
    with pytest.raises(OpenError):
        open_url(url)
    with pytest.raises(OpenError):
        open_url(url, "xdg-open {url}")
    assert started == []
    assert opening.is_web_url is is_web_url  # the one gate


# --------------------------------------------------------------------------
# CLI output
# --------------------------------------------------------------------------


@pytest.fixture
def hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "digests"
    folder.mkdir()
    # Every sequence but the lone CR (a line break, which would split the title).
    s = "[b]x[/b] [@click=app.quit]q[/] " + "".join(v for k, v in HOSTILE.items() if k != "lone-cr")
    (folder / "daily.md").write_text(daily_digest(s), encoding="utf-8")
    (folder / "fields.md").write_text(fields_digest(s), encoding="utf-8")
    return folder


def assert_terminal_safe(output: str) -> None:
    assert not UNSAFE.search(output), repr(UNSAFE.search(output))


def test_list_jsonl_output_has_no_escape_sequences_or_controls(
    hostile_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["list", str(hostile_folder), "-f", "jsonl", "--cache-dir", str(tmp_path / "c")])
    out, err = capsys.readouterr()
    assert code == 0
    assert_terminal_safe(out)
    assert_terminal_safe(err)
    records = [json.loads(line) for line in out.splitlines()]
    assert {r["id"] for r in records} == {"2005.10825", "2011.10904"}
    for record in records:
        assert_terminal_safe(json.dumps(record, ensure_ascii=False))  # decoded values too
        assert "[b]x[/b]" in record["title"] and "[@click=app.quit]q[/]" in record["title"]
        assert is_web_url(record["pdf_url"]) and is_web_url(record["abs_url"])


def test_list_tsv_output_has_no_escape_sequences_and_one_line_per_paper(
    hostile_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["list", str(hostile_folder), "-f", "tsv", "--cache-dir", str(tmp_path / "c")])
    out, err = capsys.readouterr()
    assert code == 0
    assert_terminal_safe(out)
    assert_terminal_safe(err)
    rows = out.splitlines()
    assert len(rows) == 2 and all(row.count("\t") == 4 for row in rows)
    assert all("[b]x[/b]" in row for row in rows)


def test_check_output_of_hostile_digests_has_no_escape_sequences(
    hostile_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (hostile_folder / "broken.md").write_text(
        "# ArXiv cs.CV --\x1b[2J" + HOSTILE["osc52-bel"] + "\n### 1.\x1b]0;x\x07\n", "utf-8"
    )
    main(["check", str(hostile_folder)])
    out, err = capsys.readouterr()
    assert_terminal_safe(out)
    assert_terminal_safe(err)
    assert "broken.md:2: entry skipped" in out


def test_check_output_names_a_file_with_escapes_in_its_name_safely(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "evil\x1b]52;c;ZXZpbA==\x07.md").write_bytes(
        (SEEDS / "000_3ae2b7cffb64a415.txt").read_bytes()
    )
    (folder / "junk\x1b[2J.md").write_text("not a digest\n")
    main(["check", str(folder)])
    out, _err = capsys.readouterr()
    assert_terminal_safe(out)


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/arxiv.org/abs/2011.10904v2",
        "https://arxiv.org.evil.example/pdf/2011.10904v2",
        "http://evil.example/2011.10904v2.pdf",
    ],
)
def test_digest_links_to_other_hosts_become_the_canonical_arxiv_links(link: str) -> None:
    text = (
        "# Arxiv Papers in cs.CV on 2020-11-22\n"
        "### A title\n"
        "- **Arxiv ID**: 2011.10904v2\n"
        f"- **Links**: [PDF]({link}) [abs]({link})\n"
        "- **Summary**: An abstract.\n"
    )
    (paper,) = parse_text(text, "d.md").papers
    assert paper.pdf_url == "https://arxiv.org/pdf/2011.10904v2"
    assert paper.abs_url == "https://arxiv.org/abs/2011.10904v2"
    daily = f"# ArXiv cs.CV --Fri, 22 May 2020\n### 1.A title  [ :arrow_down: ]({link})\n>  x\n"
    result = parse_text(daily, "e.md")
    # The foreign link is never kept: the paper gets its canonical link, or, when
    # no arXiv id can be trusted from it, the entry is skipped with a warning.
    assert all(p.pdf_url == "https://arxiv.org/pdf/2011.10904v2" for p in result.papers)
    skipped = [w for w in result.warnings if w.line == 2 and "entry skipped" in w.message]
    assert len(result.papers) + len(skipped) == 1
