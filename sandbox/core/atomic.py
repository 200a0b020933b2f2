"""Crash-safe replacement of a state file (sandbox.core.persistence), for all three emulators.

The text goes to a temporary file in the same directory, which is flushed and fsync'ed, then
renamed over the target with os.replace (atomic on POSIX, rename(2)), and the directory is
fsync'ed so the rename itself survives a crash. A reader — or a process restarted after
kill -9 or a power cut — sees either the old file or the new one, never a torn one.
This module must not know what the text means.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # some filesystems refuse to open a directory
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
