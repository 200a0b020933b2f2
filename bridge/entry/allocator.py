"""The C allocator's settings for a long-running server process with many threads (glibc).

davbridge answers DAV requests on a pool of worker threads, builds each response in memory and
pulls provider pages in other threads, so it allocates and frees many large buffers. Under
glibc's defaults (mallopt(3)) two things keep that freed memory in the process for good:

- the *dynamic mmap threshold*: a large buffer (≥ 128 KiB) is first mmap'ed and unmapped when
  freed, but each such free raises the threshold to the buffer's size (up to 32 MiB), so later
  large buffers come from the heap, where freed space stays resident and fragments;
- per-thread *arenas* (up to 8 per core), each keeping its own freed memory for its own reuse.

Measured with bench/load.py (50 clients, 5 minutes): the Python heap stayed flat at 65–70 MiB
(tracemalloc) while RSS went from 242 to 300 MiB in steps; with the mmap threshold fixed at
MMAP_THRESHOLD and two arenas, RSS starts ~90 MiB lower and stays flat. The trim threshold
is set to what the dynamic one would be (TRIM_THRESHOLD), so that buffers freed between two
batches of a bulk answer are reused instead of given back and faulted in again.

`tune()` must run before the worker threads start (the CLI calls it first). An explicit
MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ in the environment (glibc
reads them itself) wins for that setting; on other C libraries it does nothing. This module
must not import anything of the bridge.
"""

from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1  # glibc's malloc.h
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD = 1024 * 1024  # buffers from 1 MiB up are mapped, and unmapped when freed
#: Free memory an arena keeps at its top before free() gives it back: what glibc's dynamic
#: setting would make of MMAP_THRESHOLD (twice it). Fixing the mmap threshold also fixes this
#: one at its 128 KiB default, and then a bulk answer's buffers of a few hundred KiB were
#: given back after each batch of items and faulted in again for the next (a 2,000-event
#: multiget: ~500 page faults). What is kept is returned after answers by
#: radicale_plugins.multistatus (malloc_trim).
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD
ARENAS = 2

_SETTINGS = (
    ("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, MMAP_THRESHOLD),
    ("MALLOC_TRIM_THRESHOLD_", M_TRIM_THRESHOLD, TRIM_THRESHOLD),
    ("MALLOC_ARENA_MAX", M_ARENA_MAX, ARENAS),
)


def tune() -> list[str]:
    """Apply the settings the environment does not set; the names of those applied."""
    if platform.libc_ver()[0] != "glibc":
        return []
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return []
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return [
        env
        for env, param, value in _SETTINGS
        if not os.environ.get(env) and mallopt(param, value) == 1
    ]
