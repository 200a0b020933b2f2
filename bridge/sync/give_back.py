"""Return the memory a large pull freed to the system (glibc `malloc_trim`).

A large pull leaves garbage (provider pages, converted drafts, a streamed first sync's
batches); freed, that memory stays in the process's heap and counts in its RSS until something
trims it (bench/memory_sync.py: 353 MiB right after the first sync of 30,000 events, 261 MiB
once the next bulk answer's trim ran, when a first sync still held the whole pull). After a
pull of `LARGE` items or more the engine trims at once.
Standard library only; on a C library without `malloc_trim` it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

LARGE = 1000  # items changed by one pull


def _load() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


_TRIM = _load()


def after_pull(changed: int) -> None:
    if changed >= LARGE and _TRIM is not None:
        _TRIM(0)
