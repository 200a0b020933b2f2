"""The C allocator's setting for a long-running server process with many threads (glibc).

glibc's malloc gives threads that allocate at the same time arenas of their own (up to 8 per
core, mallopt(3) M_ARENA_MAX) and keeps memory freed inside an arena for that arena's reuse
rather than returning it to the system. davbridge answers DAV requests on a pool of worker
threads and builds each response in memory, so bursts of large responses leave freed memory
spread over many arenas: under load the process's RSS ratchets up in steps although the Python
heap stays flat (bench/load.py; measured with tracemalloc: Python heap 65–70 MiB throughout a
run whose RSS grew by 60 MiB). Two arenas keep the reuse in one place; the cost is some lock
contention inside malloc, which the GIL already serialises for Python code.

`limit_arenas()` must run before the worker threads start (entry points call it first). An
explicit MALLOC_ARENA_MAX in the environment (glibc reads it itself) wins; on other C
libraries it does nothing. This module must not import anything of the bridge.
"""

from __future__ import annotations

import ctypes
import os
import platform

M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap the malloc arenas of this process; True when the cap was set here."""
    if os.environ.get("MALLOC_ARENA_MAX") or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))
