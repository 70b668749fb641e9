"""Atomic writes: a record is replaced whole or not at all, with the mode a plain open() gives; JSON without NaN."""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from rdfia_tui.engine.errors import RecordError, RecordWriteError


def atomic_write(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder, then rename over ``path``."""
    atomic_replace(path, lambda fh: fh.write(text.encode("utf-8")))


def atomic_replace(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """``write`` fills a temporary file in ``path``'s folder; it is flushed, then renamed over ``path``,
    so a reader sees the old file or the new one, never a mix.

    The file gets the mode a plain ``open()`` would give it (0666 less the umask), so a runs folder
    shared by a group stays readable. Raises RecordWriteError when the disk refuses (full, file too
    large, read-only); the previous file is then untouched and no temporary file is left.
    """
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise RecordWriteError(path, exc.strerror or str(exc)) from None


def json_safe(value: Any) -> Any:
    """NaN and infinities become null: JSON has no spelling for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


@contextmanager
def held(folder: Path, doing: str) -> Iterator[None]:
    """While inside, this process holds ``folder`` (an exclusive ``flock`` on the folder itself, freed by the kernel
    when the process ends, however it ends). A second process that tries gets RecordError saying what the first is
    ``doing`` ("trains it", "runs this sweep"). Where the system has no flock (Windows) nothing is held."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RecordError(f"another process {doing} in {folder} now; 'rdfia-tui attach {folder}' follows it") from None
        yield
    finally:
        os.close(fd)
