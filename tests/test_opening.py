from __future__ import annotations

import subprocess

import pytest

from digest_tui import opening
from digest_tui.opening import OpenError, is_remote_session, open_url, opener_argv


def test_remote_session_detection() -> None:
    assert is_remote_session({"SSH_CONNECTION": "1.2.3.4 5 6.7.8.9 22"})
    assert is_remote_session({"SSH_TTY": "/dev/pts/1"})
    assert not is_remote_session({"SSH_TTY": "/dev/pts/1", "DISPLAY": ":0"})
    assert not is_remote_session({"SSH_TTY": "/dev/pts/1", "WAYLAND_DISPLAY": "wayland-0"})
    assert not is_remote_session({})


def test_opener_keeps_the_url_one_argument() -> None:
    url = "https://arxiv.org/pdf/1?a=1;rm$(id)`x`"
    safe = "https://arxiv.org/pdf/1?a=1%3Brm%24%28id%29%60x%60"
    assert opener_argv("zathura --fork {url}", url) == ["zathura", "--fork", safe]
    assert opener_argv("xdg-open", url) == ["xdg-open", safe]
    with pytest.raises(OpenError):  # a space is no part of a link
        opener_argv("xdg-open", "https://arxiv.org/pdf/1?a=1;rm -rf ~")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "", None])
def test_non_http_links_are_never_opened(url: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: started.append(a))
    with pytest.raises(OpenError):
        open_url(url, "echo {url}")
    assert started == []


def test_configured_opener_runs_without_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, dict[str, object]]] = []

    def fake_popen(argv: object, **kwargs: object) -> None:
        calls.append((argv, kwargs))

    monkeypatch.setattr(opening.subprocess, "Popen", fake_popen)
    open_url("https://arxiv.org/pdf/2005.10825", "zathura {url}")
    argv, kwargs = calls[0]
    assert argv == ["zathura", "https://arxiv.org/pdf/2005.10825"]
    assert not kwargs.get("shell")
    assert kwargs["start_new_session"] is True


def test_missing_opener_is_one_line_error() -> None:
    with pytest.raises(OpenError, match="cannot run"):
        open_url("https://arxiv.org/", "no-such-program-here {url}")
