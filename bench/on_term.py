"""SIGTERM (and SIGHUP) as an orderly exit for the benchmarks: the signal raises SystemExit in
the main thread, so every `finally` and `with` on the way out runs and stops the servers the
benchmark started (without it Python dies at once and leaves its child processes running).
A second signal while cleaning up is ignored, so the cleanup is not cut short.

Imports only the standard library; must be called from the main thread."""

from __future__ import annotations

import signal
import sys
from types import FrameType


def _exit(signum: int, _frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    sys.exit(128 + signum)


def exit_on_term() -> None:
    """Turn SIGTERM and SIGHUP into SystemExit(128 + signal number)."""
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGHUP, _exit)
