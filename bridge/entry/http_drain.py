"""Graceful stop of the waitress server (issue 17: a rolling restart loses no request).

On SIGTERM a bridge process must stop taking new connections, finish the requests it has
already accepted, and only then exit. waitress's own shutdown
(`ThreadedTaskDispatcher.shutdown(cancel_pending=True)`) cancels the requests still queued
for a worker thread, and closing the server drops the connections whose answers are being
written. `drain` does it in stages instead:

1. the connections already completed by the kernel are accepted, then the listening socket
   is closed (in waitress's loop thread, which owns the socket map), so a load balancer's
   next connection is refused and goes to another process;
2. every answer from now on carries `Connection: close` (RFC 9112 §9.6), so no client sends
   another request on a connection about to go; connections that are idle between requests
   are closed (a client reusing one at that very moment must retry, as RFC 9112 §9.3.1 asks
   of idempotent requests — the unavoidable keep-alive race);
3. it waits until no connection has a request queued, running, half received, or an answer
   not yet flushed — at most `timeout_s` (10 s by default); what is left then is cut off.

What it must not do: run application code, or touch waitress's socket map outside the
loop thread. Imports waitress and the standard library only.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

from waitress import wasyncore

from bridge.entry.http_linger import LingeringChannel

DRAIN_S = 10.0
POLL_S = 0.05


def draining(server: Any) -> bool:
    """True once `drain` began: answers then close their connection."""
    return bool(getattr(server, "davbridge_draining", False))


def busy(channel: Any) -> bool:
    """A connection with a request in flight: queued or running, half received, or an
    answer not yet written out. A lingering 413 (http_linger.py) only throws bytes away."""
    if getattr(channel, "_lingering", False):
        return False
    return bool(
        getattr(channel, "requests", None)
        or getattr(channel, "request", None) is not None
        or getattr(channel, "total_outbufs_len", 0)
        or getattr(channel, "close_when_flushed", False)
    )


class DrainingChannel(LingeringChannel):
    """The bridge's channel: once the server drains, each answer closes its connection."""

    def service(self) -> None:
        if draining(self.server) and self.requests:
            headers: Any = self.requests[0].headers
            headers["CONNECTION"] = "close"  # read by waitress's Task for the answer
        super().service()


def _in_loop(server: Any, thunk: Any) -> None:
    """Run `thunk` in waitress's loop thread and wait for it (the loop owns the socket map)."""
    done = threading.Event()

    def run() -> None:
        try:
            thunk()
        finally:
            done.set()

    server.trigger.pull_trigger(run)
    done.wait(5)


def _stop_accepting(server: Any) -> None:
    server.davbridge_draining = True
    # connections the kernel completed but waitress has not accepted yet are requests a
    # client already sent: take them before the socket closes (closing would reset them)
    for _ in range(10_000):
        before = len(server.active_channels)
        with contextlib.suppress(OSError):
            server.handle_accept()
        if len(server.active_channels) == before:
            break
    server.accepting = False
    with contextlib.suppress(OSError):
        wasyncore.dispatcher.close(server)  # the listening socket only, not the trigger


def _close_idle(server: Any) -> int:
    """Close the idle connections; the number of busy ones left."""
    left = 0
    for channel in list(server.active_channels.values()):
        if busy(channel):
            left += 1
        elif not getattr(channel, "_lingering", False):
            channel.will_close = True
    return left


def drain(server: Any, timeout_s: float = DRAIN_S) -> bool:
    """Stop accepting and wait for the requests in flight; True when none was left over."""
    _in_loop(server, lambda: _stop_accepting(server))
    deadline = time.monotonic() + timeout_s
    counts: list[int] = []
    while True:
        counts.clear()
        _in_loop(server, lambda: counts.append(_close_idle(server)))
        if counts and counts[0] == 0:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)
