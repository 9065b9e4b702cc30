"""``digest-tui state sync``: the state file carried by a git repository of the user's own.

The repository is a clone of a private repository (``[sync] repo`` in the
config, e.g. ``~/digest-state``).  The first sync sets it up:

* ``digest-state.txt`` (the file of :mod:`digest_tui.sync`) is committed;
* ``.gitattributes`` names a merge driver for it
  (``digest-state.txt merge=digest-tui-state``);
* the driver is defined in that repository's own ``.git/config``, never in
  the user's global config: ``merge.digest-tui-state.driver`` runs this very
  interpreter, ``'/path/to/python' -m digest_tui state merge %O %A %B``
  (git runs driver lines through ``sh``, so the path is shell-quoted; it is
  the only shell involved).  Every sync writes that line again, so after the
  virtualenv moves (or digest-tui is installed elsewhere) the next sync puts
  the new path there.  A ``git pull`` by hand between the move and that sync
  fails to run the driver; git then stops with the state file unmerged but
  without conflict markers, and the next ``digest-tui state sync`` finishes
  that merge itself (it merges git's two sides of the file, see below).

Then each sync: fetch ``origin``, merge its branch (the driver merges the
state file field by field, so there is nothing for a person to resolve),
import the file into the local state, export the local state into the file,
commit, push.  A push rejected because the remote moved in between is
retried after a new fetch and merge (three times at most).

Failures never touch local marks: the import is the only step that changes
the state store, and it only runs on a file git merged cleanly.  With no
network, no remote or a rejected push, the local commit stays and the next
sync sends it; :attr:`SyncResult.problem` says what happened in one line.

git runs with an argument list (never a shell), ``GIT_TERMINAL_PROMPT=0``,
no standard input and in a session of its own (so neither git nor ssh can
ask for a password on the terminal the reader draws on), under a timeout.
Nothing is assumed of the user's git config: when no ``user.name`` /
``user.email`` is set, the commit is made with ``-c`` values.

This module is part of the core and must not import Textual.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from digest_tui.export import atomic_write_text
from digest_tui.state import StateStore
from digest_tui.sync import (
    HEADER,
    LineWarning,
    SyncFormatError,
    exportable_changes,
    format_changes,
    import_state,
    merge_parsed,
    merge_texts,
    parse_state,
)
from digest_tui.text import one_line

__all__ = [
    "ATTRIBUTES_LINE",
    "DRIVER",
    "GIT_TIMEOUT_S",
    "STATE_FILE",
    "SyncResult",
    "SyncSetupError",
    "driver_command",
    "sync_repo",
]

STATE_FILE = "digest-state.txt"
DRIVER = "digest-tui-state"
ATTRIBUTES_LINE = f"{STATE_FILE} merge={DRIVER}"
GIT_TIMEOUT_S = 60.0
PUSH_ATTEMPTS = 3
REMOTE = "origin"


class SyncSetupError(Exception):
    """Sync cannot start (not a git repository, no git, detached HEAD): one line."""


@dataclass(slots=True)
class SyncResult:
    """What :func:`sync_repo` did."""

    repo: Path
    updated: set[str] = field(default_factory=set)  # papers whose local marks changed
    sent: int = 0  # papers whose line in the file this machine changed
    committed: bool = False
    pushed: bool = False
    set_up: bool = False  # this sync wrote the driver into .gitattributes
    problem: str | None = None  # one line: what went wrong (local marks are intact)
    warnings: list[LineWarning] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        """One line for the user."""
        changed = len(self.updated)
        here = f"{changed} paper{'s' if changed != 1 else ''} changed here"
        sent = f"{self.sent} sent" if self.pushed else f"{self.sent} committed locally"
        if self.problem is not None:
            return f"{self.problem} ({here}, {sent})"
        return f"synced marks: {here}, {sent}"


def driver_command(python: str | None = None) -> str:
    """The merge driver line for git's config: this interpreter, shell-quoted."""
    return f"{shlex.quote(python or sys.executable)} -m digest_tui state merge %O %A %B"


# --------------------------------------------------------------------------- running git


class _GitError(Exception):
    def __init__(self, args: Sequence[str], code: int, output: str) -> None:
        super().__init__(_git_message(output) or f"git {args[0]} failed (exit {code})")
        self.code = code
        self.output = output


def _git_message(output: str) -> str:
    """The line of git's output that says what went wrong."""
    lines = [one_line(line) for line in output.splitlines() if line.strip()]
    for prefix in ("fatal:", "error:", "!", "CONFLICT"):
        for line in lines:
            if line.startswith(prefix):
                return line.removeprefix("fatal: ").removeprefix("error: ")
    return lines[-1] if lines else ""


@dataclass(slots=True)
class _Git:
    repo: Path
    timeout: float = GIT_TIMEOUT_S

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        env.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_MERGE_AUTOEDIT": "no"})
        argv = ["git", "-C", str(self.repo), *args]
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                env=env,
                start_new_session=True,  # no terminal to prompt on
            )
        except FileNotFoundError:
            raise SyncSetupError("git is not installed (it is needed to sync marks)") from None
        try:
            out, _ = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise _GitError(
                args, -1, f"fatal: git {args[0]} took longer than {self.timeout:g} s; stopped"
            ) from None
        except BaseException:
            _kill(proc)
            raise
        result = subprocess.CompletedProcess(argv, proc.returncode, out, "")
        if check and proc.returncode != 0:
            raise _GitError(args, proc.returncode, out)
        return result

    def ok(self, *args: str) -> bool:
        return self(*args, check=False).returncode == 0

    def text(self, *args: str) -> str:
        return self(*args).stdout.strip()


def _kill(proc: subprocess.Popen[str]) -> None:
    """Stop git and what it started (ssh, the merge driver): its whole session."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.communicate()


# --------------------------------------------------------------------------- the steps


def _check_repo(repo: Path, git: _Git) -> str:
    """The checked-out branch; SyncSetupError if ``repo`` is not a usable work tree."""
    how = (
        f"{repo} is not a git repository (make one: 'git clone URL-OF-YOUR-PRIVATE-REPO {repo}',"
        f" or 'git init {repo}' to keep the marks on this machine only)"
    )
    if not repo.is_dir():
        raise SyncSetupError(how)
    top = git("rev-parse", "--show-toplevel", check=False)
    if top.returncode != 0 or not top.stdout.strip():
        raise SyncSetupError(how)
    if Path(top.stdout.strip()).resolve() != repo.resolve():
        raise SyncSetupError(
            f"{repo} is inside the git repository {top.stdout.strip()}, not one of its own; "
            f"use a repository for the marks alone ('git clone URL {repo}')"
        )
    branch = git("symbolic-ref", "-q", "--short", "HEAD", check=False)
    if branch.returncode != 0 or not branch.stdout.strip():
        raise SyncSetupError(f"{repo}: HEAD is detached; check out a branch ('git switch main')")
    return branch.stdout.strip()


def _ensure_driver(git: _Git) -> None:
    git("config", "--local", f"merge.{DRIVER}.name", "digest-tui state file (latest change wins)")
    git("config", "--local", f"merge.{DRIVER}.driver", driver_command())


def _ensure_attributes(repo: Path) -> bool:
    """Name the driver in .gitattributes; True if the line had to be added."""
    path = repo / ".gitattributes"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    if ATTRIBUTES_LINE in (line.strip() for line in text.splitlines()):
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    atomic_write_text(path, text + ATTRIBUTES_LINE + "\n")
    return True


def _resolve_state_file(repo: Path, git: _Git, warn: Callable[[LineWarning], None]) -> None:
    """Finish a merge git left with only the state file unmerged (a driver that
    could not run): merge git's three versions of it, commit."""

    def stage(n: int) -> bytes:
        proc = git("show", f":{n}:{STATE_FILE}", check=False)
        return proc.stdout.encode("utf-8") if proc.returncode == 0 else b""

    merged = merge_texts(
        stage(1), stage(2) or HEADER.encode(), stage(3) or HEADER.encode(), warn=warn
    )
    atomic_write_text(repo / STATE_FILE, merged)
    git("add", "--", STATE_FILE)
    git(*_identity(git), "commit", "-q", "--no-edit", "--cleanup=strip")


def _unmerged(git: _Git) -> set[str]:
    out = git("diff", "--name-only", "--diff-filter=U", check=False).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


def _finish_or_refuse_merge(
    repo: Path, git: _Git, warn: Callable[[LineWarning], None], what: str, why: str = ""
) -> None:
    """After a failed merge (or one found unfinished): finish it when only the
    state file is unmerged, else abort it (raise) so that nothing is half done."""
    unmerged = _unmerged(git)
    if unmerged and unmerged <= {STATE_FILE}:
        _resolve_state_file(repo, git, warn)
        return
    if what == "found":
        raise SyncSetupError(
            f"{repo} has an unfinished merge ({', '.join(sorted(unmerged)) or 'no conflicts'}); "
            "finish it ('git commit') or abort it ('git merge --abort')"
        )
    if unmerged:
        git("merge", "--abort", check=False)
        why = f"conflicts in {', '.join(sorted(unmerged))}"
    raise _GitError(("merge",), 1, f"fatal: cannot merge {what}: {why or 'git merge failed'}")


def _identity(git: _Git) -> list[str]:
    """``-c`` options for a commit when the user's git has no name or e-mail."""
    extra: list[str] = []
    if not git("config", "user.name", check=False).stdout.strip():
        extra += ["-c", "user.name=digest-tui"]
    if not git("config", "user.email", check=False).stdout.strip():
        extra += ["-c", "user.email=digest-tui@localhost"]
    return extra  # `git -c` options: they go before the subcommand


def _has_ref(git: _Git, ref: str) -> bool:
    return git.ok("rev-parse", "--verify", "-q", ref)


def _adopt_remote_branch(git: _Git, branch: str) -> str:
    """The branch to sync: ours, or, while ours has no commit yet and the remote
    has no branch of that name, the remote's (a clone of an empty repository
    made before another machine's first push may name its branch differently)."""
    if _has_ref(git, f"refs/remotes/{REMOTE}/{branch}") or _has_ref(git, "HEAD"):
        return branch
    names = git.text(
        "for-each-ref", "--format=%(refname:lstrip=3)", f"refs/remotes/{REMOTE}"
    ).split()
    names = [n for n in names if n != "HEAD"]
    if len(names) != 1:
        return branch
    git("symbolic-ref", "HEAD", f"refs/heads/{names[0]}")
    return names[0]


def _write_state(repo: Path, store: StateStore, now: float | None) -> int:
    """Export into the state file, keeping fields only a newer digest-tui knows.

    Returns the number of papers whose line changed.
    """
    path = repo / STATE_FILE
    try:
        before = path.read_bytes()
    except FileNotFoundError:
        before = b""
    exported = format_changes(exportable_changes(store.changes(), now=now))[0]
    states = [parse_state(exported.encode("utf-8"), "export", now=now)]
    if before:
        try:
            # The file first: its header, and its unknown fields, carried through.
            states.insert(0, parse_state(before, str(path), now=now, in_merge=True))
        except SyncFormatError:
            pass  # not a state file: replaced by ours
    text = merge_parsed(states)
    if text.encode("utf-8") == before:
        return 0
    atomic_write_text(path, text)
    old = set(before.decode("utf-8", errors="replace").splitlines()[1:])
    return len({line.split("\t", 1)[0] for line in set(text.splitlines()[1:]) - old})


def sync_repo(
    store: StateStore,
    repo: Path,
    *,
    now: float | None = None,
    timeout: float = GIT_TIMEOUT_S,
) -> SyncResult:
    """Pull, import, export, commit and push the state through ``repo``.

    Raises :class:`SyncSetupError` when sync cannot start at all and
    :class:`~digest_tui.state.StateError` when the store cannot save; every
    other failure is reported in :attr:`SyncResult.problem`.
    """
    repo = Path(repo).expanduser()
    git = _Git(repo, timeout)
    branch = _check_repo(repo, git)
    result = SyncResult(repo)
    warn = result.warnings.append
    try:
        _ensure_driver(git)
        if _has_ref(git, "MERGE_HEAD"):
            _finish_or_refuse_merge(repo, git, warn, "found")
        has_remote = REMOTE in git.text("remote").split()
        for attempt in range(PUSH_ATTEMPTS):
            fetched = False
            if has_remote:
                try:
                    git("fetch", "-q", REMOTE)
                    fetched = True
                except _GitError as exc:
                    result.problem = f"cannot reach {REMOTE}: {exc}"
            if fetched:
                branch = _adopt_remote_branch(git, branch)
            remote_ref = f"refs/remotes/{REMOTE}/{branch}"
            if fetched and _has_ref(git, remote_ref):
                # Unrelated histories: two machines whose first syncs were both offline.
                merged = git(
                    *_identity(git),
                    "merge",
                    "-q",
                    "--no-edit",
                    "--allow-unrelated-histories",
                    remote_ref,
                    check=False,
                )
                if merged.returncode != 0:
                    _finish_or_refuse_merge(
                        repo, git, warn, f"{REMOTE}/{branch}", _git_message(merged.stdout)
                    )
            if (repo / STATE_FILE).exists():
                report = import_state(store, repo / STATE_FILE, source=STATE_FILE, now=now)
                result.updated |= report.updated
                result.warnings.extend(report.warnings)
            result.sent += _write_state(repo, store, now)
            result.set_up |= _ensure_attributes(repo)
            git("add", "--", STATE_FILE, ".gitattributes")
            if not git.ok("diff", "--cached", "--quiet"):
                host = one_line(socket.gethostname()) or "a machine"
                git(*_identity(git), "commit", "-q", "-m", f"digest-tui: marks from {host}")
                result.committed = True
            if not has_remote:
                result.problem = (
                    f"no remote '{REMOTE}' in {repo}: committed locally only (add one: "
                    f"'git -C {repo} remote add {REMOTE} URL')"
                )
                break
            if not fetched:
                result.problem = f"{result.problem}; committed locally, the next sync sends it"
                break
            if _has_ref(git, remote_ref) and git.text("rev-parse", remote_ref) == git.text(
                "rev-parse", "HEAD"
            ):
                result.pushed = True
                break
            pushed = git(
                "push", "-q", "--set-upstream", REMOTE, f"HEAD:refs/heads/{branch}", check=False
            )
            if pushed.returncode == 0:
                result.pushed = True
                result.problem = None
                break
            message = _git_message(pushed.stdout)
            rejected = any(
                s in pushed.stdout for s in ("[rejected]", "fetch first", "non-fast-forward")
            )
            result.problem = f"push to {REMOTE} failed: {message}"
            if not rejected or attempt == PUSH_ATTEMPTS - 1:
                result.problem += "; committed locally, the next sync sends it"
                break
            # The remote moved since the fetch: fetch, merge and try again.
    except _GitError as exc:
        result.problem = f"sync stopped: {exc}"
    except SyncFormatError as exc:
        result.problem = one_line(str(exc))
    return result
