"""Opening links safely: only http(s), never through a shell, never blocking.

Only URLs that pass :mod:`digest_tui.links` are opened, and a configured
opener gets the canonical, percent-encoded form (:func:`~digest_tui.links.opener_url`):
``{url}`` becomes exactly one argument, with no character left that a shell
would act on, even if the user's opener is ``sh -c '... {url}'``.

Over SSH (``SSH_CONNECTION`` or ``SSH_TTY`` set and no ``DISPLAY`` or
``WAYLAND_DISPLAY``) nothing is started on the remote host: the reader
copies the link to the user's own clipboard instead (OSC 52).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
from collections.abc import Mapping

from digest_tui.links import canonical_url, opener_url
from digest_tui.text import is_web_url


class OpenError(Exception):
    """A link that cannot be opened, as one readable line."""


def is_remote_session(env: Mapping[str, str] | None = None) -> bool:
    """True when running over SSH with no display to open a browser on."""
    env = os.environ if env is None else env
    over_ssh = bool(env.get("SSH_CONNECTION") or env.get("SSH_TTY"))
    has_display = bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    return over_ssh and not has_display


def opener_argv(command: str, url: str) -> list[str]:
    """The argument vector for a configured opener such as ``"zathura {url}"``.

    ``{url}`` in a word is replaced by the URL's opener form (canonical and
    percent-encoded, see :func:`digest_tui.links.opener_url`), so it stays one
    argument and carries nothing a shell would act on; without ``{url}`` it is
    appended.  A URL that is not a safe http(s) link raises :class:`OpenError`.
    """
    safe = opener_url(url)
    if safe is None:
        raise OpenError(f"not an http(s) link: {url!r}")
    url = safe
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise OpenError(f"opener {command!r} cannot be read: {exc}") from None
    if not words:
        raise OpenError("opener is empty")
    if any("{url}" in w for w in words):
        return [w.replace("{url}", url) for w in words]
    return [*words, url]


def open_url(url: str | None, command: str | None = None) -> None:
    """Open ``url`` with ``command`` or the system browser, in the background.

    Raises :class:`OpenError` for a link that is not http(s) or an opener
    that cannot be started.  Never waits for the opened program.
    """
    if not url or not is_web_url(url):
        raise OpenError(f"not an http(s) link: {url!r}")
    canonical = canonical_url(url)
    assert canonical is not None  # is_web_url said so
    url = canonical
    if command:
        argv = opener_argv(command, url)
        try:
            subprocess.Popen(  # noqa: S603 - argv list, no shell
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            raise OpenError(f"cannot run {argv[0]!r}: {exc.strerror or exc}") from None
        return
    # webbrowser may block (it runs a console browser in this terminal when no
    # GUI one is found), so run it on a thread and never wait for it.
    import webbrowser

    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
