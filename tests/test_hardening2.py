"""Hardening, round two: one test (or a few) per numbered item of the issue.

Each test names its item (``test_item01_...``) and failed before the fix.
"""

from __future__ import annotations

import subprocess
import webbrowser

import pytest

from digest_tui import opening
from digest_tui.opening import OpenError, open_url, opener_argv
from digest_tui.parsing import parse_text
from digest_tui.text import is_web_url

# --------------------------------------------------------------------------- 1. links

SMUGGLED = [
    "https://evil.com\\@arxiv.org/pdf/2005.10825.pdf",
    "https://evil.com\\.arxiv.org/abs/2005.10825",
    "https://arxiv.org@evil.com/pdf/2005.10825.pdf",
    "https://evil.com%2F@arxiv.org/pdf/2005.10825.pdf",
    "https://evil.com%2Earxiv.org/pdf/2005.10825.pdf",
    "https://\uff41rxiv.org/pdf/2005.10825.pdf",  # fullwidth a: IDNA maps it to "a"
    "https://evil.com\u3002arxiv.org/pdf/2005.10825.pdf",  # ideographic full stop
    "https://[::1]/arxiv.org/pdf/2005.10825.pdf",
    "https:///evil.com/arxiv.org/pdf/2005.10825.pdf",
    "https://arxiv.org:99999/pdf/2005.10825.pdf",
    "https://arxiv.org/pdf/2005.10825.pdf\\..\\..\\x",
    "https://arxiv.org/pdf/2005.10825.pdf\u00a0x",
    "https://arxiv.org/pdf/2005.10825.pdf\u2028x",
    "https://arxiv.org/pdf/2005.10825.pdf\u200b",
]


def _daily(link: str) -> str:
    return f"# ArXiv cs.CV --Fri, 22 May 2020\n### 1.A title  [ :arrow_down: ]({link})\n>  x\n"


def _rss(link: str) -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<rss version="2.0"><channel><title>cs.CV updates on arXiv.org</title>\n'
        "<link>http://rss.arxiv.org/rss/cs.CV</link>\n"
        "<pubDate>Wed, 05 Mar 2025 00:00:00 -0500</pubDate>\n"
        f"<item><title>A title</title><link>{link}</link>\n"
        "<description>arXiv:2005.10825v1 Announce Type: new \nAbstract: x.</description>\n"
        "<guid isPermaLink='false'>oai:arXiv.org:2005.10825v1</guid>\n"
        "<category>cs.CV</category></item></channel></rss>\n"
    )


@pytest.mark.parametrize("link", SMUGGLED, ids=repr)
def test_item01_no_link_smuggles_another_host_past_the_arxiv_check(link: str) -> None:
    for paper in parse_text(_daily(link), "d.md").papers:
        assert paper.pdf_url == "https://arxiv.org/pdf/2005.10825"
    rss_link = link.replace("/pdf/2005.10825.pdf", "/abs/2005.10825")
    (paper,) = parse_text(_rss(rss_link), "r.xml").papers
    assert paper.abs_url == "https://arxiv.org/abs/2005.10825v1"


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.com\\@arxiv.org/",
        "https://a.example/x\\y",
        "https://a.example/\tx",
        "https://a.example/\x7f",
        "https://a.example/\x85",
        "https://user:pw@a.example/",
    ],
    ids=repr,
)
def test_item01_the_one_gate_refuses_backslash_space_controls_and_userinfo(url: str) -> None:
    assert not is_web_url(url)
    with pytest.raises(OpenError):
        open_url(url, "xdg-open {url}")


def test_item01_good_links_still_pass() -> None:
    for url in (
        "https://arxiv.org/abs/2005.10825v2",
        "http://export.arxiv.org/pdf/math/0309136v1",
        "https://github.com/some-one/repo_name.git",
        "https://example.org:8443/a?b=c&d=e#f",
    ):
        assert is_web_url(url), url


# --------------------------------------------------------------------------- 2. opener


def test_item02_opener_gets_one_percent_encoded_argument_with_nothing_for_a_shell() -> None:
    url = "https://a.example/`touch${IFS}x`;$(id)|'q'\"&(*)!<>{}^"
    argv = opener_argv("sh -c 'xdg-open {url}'", url)
    assert len(argv) == 3 and argv[:2] == ["sh", "-c"]
    script = argv[2]
    assert script.startswith("xdg-open https://a.example/")
    assert not any(c in script[len("xdg-open ") :] for c in "`$;|'\"\\&()*!<>{}^ ")


def test_item02_open_url_hands_the_opener_the_encoded_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(opening.subprocess, "Popen", lambda argv, **k: started.append(argv))
    monkeypatch.setattr(webbrowser, "open", lambda *a, **k: None)
    open_url("https://a.example/$(reboot)", "sh -c 'echo {url}'")
    assert started == [["sh", "-c", "echo https://a.example/%24%28reboot%29"]]
    assert subprocess  # the module the opener uses
