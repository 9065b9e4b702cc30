"""Small file-system helpers shared by the stores and the writers.

* :func:`move_aside` renames a damaged database (with its ``-wal`` and
  ``-shm`` files) out of the way, never deleting a byte of it.
* :func:`atomic_writer` / :func:`atomic_write_text` / :func:`atomic_write_bytes`
  replace a file only once its new content is complete and on disk: a
  temporary file in the same folder, fsynced, then renamed over it.  A
  symlink (a dotfiles repository) is written through to its target and stays
  a symlink; the target keeps its permissions.

This module is part of the core and must not import Textual.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

__all__ = [
    "NotRegularFileError",
    "TooLargeError",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_writer",
    "move_aside",
    "open_regular",
    "read_regular_blocks",
    "read_regular_file",
    "read_regular_range",
    "write_target",
]

SIDE_FILES = ("-wal", "-shm", "-journal")


class NotRegularFileError(OSError):
    """The path is a FIFO, device, socket or folder: it was not opened (or not read)."""


class TooLargeError(OSError):
    """The file is larger than the limit it was read with."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def open_regular(path: str | os.PathLike[str]) -> tuple[int, os.stat_result]:
    """A descriptor of the regular file at ``path``, opened read-only and
    non-blocking (so that a FIFO swapped in cannot block), and its status;
    raises :class:`NotRegularFileError` (the descriptor closed) or another
    :class:`OSError`."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFileError(f"{_kind(st.st_mode)}, not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def read_regular_file(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The content of a regular file of at most ``max_bytes`` bytes.

    Only a regular file is opened (checked before opening, and again on the
    open file, which is opened non-blocking so that a FIFO swapped in
    meanwhile cannot block), and at most ``max_bytes + 1`` bytes are read, so
    ``/dev/zero``, a FIFO or a huge sparse file cost nothing.  Raises
    :class:`NotRegularFileError`, :class:`TooLargeError` or another
    :class:`OSError`.
    """
    return b"".join(read_regular_blocks(path, max_bytes))


def read_regular_blocks(
    path: str | os.PathLike[str], max_bytes: int, block: int = 1 << 20
) -> Iterator[bytes]:
    """:func:`read_regular_file` as blocks of up to ``block`` bytes, read as
    they are taken (the same checks; the errors raise from the iteration)."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFileError(f"{_kind(st.st_mode)}, not a regular file")
    fd, st = open_regular(path)
    try:
        if st.st_size > max_bytes:
            raise TooLargeError(f"larger than {max_bytes} bytes")
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, block))
            if not chunk:
                break
            left -= len(chunk)
            if left <= 0:
                raise TooLargeError(f"larger than {max_bytes} bytes")
            yield chunk
    finally:
        os.close(fd)


def read_regular_range(path: str | os.PathLike[str], start: int, end: int) -> bytes:
    """Bytes ``start`` to ``end`` of the regular file at ``path`` (fewer if
    it is shorter), opened as :func:`read_regular_blocks` opens it."""
    fd, _ = open_regular(path)
    try:
        blocks: list[bytes] = []
        while start < end:
            block = os.pread(fd, end - start, start)
            if not block:
                break
            blocks.append(block)
            start += len(block)
        return blocks[0] if len(blocks) == 1 else b"".join(blocks)
    finally:
        os.close(fd)


def move_aside(path: Path, label: str = "corrupt") -> Path:
    """Rename ``path`` to ``NAME.LABEL-YYYYmmdd-HHMMSS`` (a free name) and return it.

    Its SQLite side files (``-wal``, ``-shm``, ``-journal``) follow it when they
    exist; failing to move those is not an error.  Raises :class:`OSError`
    when ``path`` itself cannot be renamed.
    """
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = path.with_name(f"{path.name}.{label}-{stamp}")
    n = 1
    while dest.exists() or any(dest.with_name(dest.name + s).exists() for s in SIDE_FILES):
        dest = path.with_name(f"{path.name}.{label}-{stamp}-{n}")
        n += 1
    os.rename(path, dest)
    for suffix in SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            try:
                os.rename(side, dest.with_name(dest.name + suffix))
            except OSError:
                pass
    return dest


def write_target(path: Path) -> Path:
    """The file a write to ``path`` should replace: the end of its symlinks."""
    path = Path(path)
    if not path.is_symlink():
        return path
    return Path(os.path.realpath(path))


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def _atomic(path: Path) -> Iterator[BinaryIO]:
    """A binary stream to a temporary file that replaces ``path``'s target on success."""
    target = write_target(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as stream:
            try:
                mode = target.stat().st_mode & 0o7777
            except FileNotFoundError:
                mode = _default_mode()
            os.fchmod(stream.fileno(), mode)
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


@contextmanager
def atomic_writer(
    path: Path, *, encoding: str = "utf-8", errors: str = "strict"
) -> Iterator[TextIO]:
    """A text stream whose content replaces ``path`` only if the block succeeds.

    On an error the temporary file is removed and ``path`` is untouched.
    Newlines are written as given.
    """
    with _atomic(Path(path)) as raw:
        stream = io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="")
        try:
            yield stream
            stream.flush()
        finally:
            stream.detach()


def atomic_write_text(
    path: Path, text: str, *, encoding: str = "utf-8", errors: str = "strict"
) -> None:
    """Replace ``path`` with ``text`` atomically."""
    with atomic_writer(path, encoding=encoding, errors=errors) as stream:
        stream.write(text)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically."""
    with _atomic(Path(path)) as stream:
        stream.write(data)
