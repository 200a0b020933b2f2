"""A lane of its own for `GET`/`HEAD /health` in waitress (issue 9: /health answers within 1 s
whatever the server is doing).

waitress hands every request to one pool of worker threads (`[server] threads`). When all of
them are busy — writes waiting for a slow provider or a held collection lock (up to the write
budget, 25 s by default), large multigets — a /health request waits in the same queue, and a
load balancer takes a busy server for a dead one. `QuickLane` wraps waitress's task
dispatcher: a request whose first line is `GET /health` or `HEAD /health` goes to two threads
of its own, everything else to the shared pool. The health answer itself reads one small table
of the mirror (SQLite WAL: readers never wait for writers) and takes no lock a write holds.

What it must not do: look at anything but the request line, or run application code itself.
Imports waitress and the standard library only.
"""

from __future__ import annotations

from typing import Any, Protocol

from waitress.task import ThreadedTaskDispatcher

HEALTH_PATH = "/health"
LANE_THREADS = 2


class Dispatcher(Protocol):
    def add_task(self, task: Any) -> None: ...
    def set_thread_count(self, count: int) -> None: ...
    def shutdown(self, cancel_pending: bool = True, timeout: int = 5) -> bool: ...


def is_health(task: Any) -> bool:
    """True when the channel's next request is GET/HEAD /health (parsed, without error)."""
    requests = getattr(task, "requests", None)
    if not requests:
        return False
    first = requests[0]
    return (
        getattr(first, "error", None) is None
        and getattr(first, "command", "") in ("GET", "HEAD")
        and getattr(first, "path", "") == HEALTH_PATH
    )


class QuickLane(ThreadedTaskDispatcher):
    """waitress's dispatcher with /health routed to threads no other request uses.

    A ThreadedTaskDispatcher by type (what waitress's server holds) whose own pool stays
    empty: every method waitress calls is routed to `lane` or `shared`."""

    def __init__(self, shared: Dispatcher, threads: int = LANE_THREADS) -> None:
        super().__init__()
        self.shared = shared
        self.lane = ThreadedTaskDispatcher()
        self.lane.set_thread_count(threads)

    def add_task(self, task: Any) -> None:
        (self.lane if is_health(task) else self.shared).add_task(task)

    def set_thread_count(self, count: int) -> None:
        self.shared.set_thread_count(count)

    def shutdown(self, cancel_pending: bool = True, timeout: int = 5) -> bool:
        self.lane.shutdown(cancel_pending=cancel_pending, timeout=timeout)
        return bool(self.shared.shutdown(cancel_pending=cancel_pending, timeout=timeout))
