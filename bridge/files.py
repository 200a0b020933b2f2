"""Private files and directories: everything davbridge writes is readable by its owner only.

Directories are created 0700 and files 0600 (the mirror database, SQLite's -wal/-shm files,
which SQLite creates with the database file's mode, key files, sandbox state). Command-line
entry points also narrow the process umask to 077 so that files written by libraries get the
same modes. This module does only that; it must not import anything of the bridge.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def restrict_umask() -> None:
    """Files and directories created from now on by this process: owner only."""
    os.umask(0o077)


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) owner-only; tighten it if it exists and is ours."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _tighten(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty owner-only when missing (so that SQLite, which gives its journal
    files the database's mode, never widens it); tighten it if it exists and is ours."""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        _tighten(path, PRIVATE_FILE)
    return path


def loose(path: Path) -> bool:
    """Whether group or others may read, write or enter `path`."""
    return bool(path.stat().st_mode & 0o077)


def _tighten(path: Path, mode: int) -> None:
    info = path.stat()
    if info.st_mode & stat.S_ISVTX:
        # a shared directory such as /tmp (sticky): others' files live there; a data directory
        # or a database file placed straight in it must never lock everyone else out
        return
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
        path.chmod(mode)
