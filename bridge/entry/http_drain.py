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
3. it waits until no connection has a request queued, running, half received, waiting unread
   in the socket, or an answer not yet flushed — at most `timeout_s`, which the server derives
   from the longest a request may take (`grace_s`: the write budget plus the lock wait plus a
   margin); what is left then is cut off.

A connection counts as idle only when nothing is waiting in its socket either (peeked, not
read): a client's request that the kernel already holds — on a connection accepted in stage 1
and not yet read by the loop, or on a keep-alive connection between two polls — is read,
answered and then closed. Before this, such connections were taken for idle and closed
unanswered (a PUT the worker had received ended in RemoteDisconnected: issue 17). A connection
that has not carried a request yet gets `FIRST_REQUEST_S` for its first bytes to arrive.

What it must not do: run application code, or touch waitress's socket map outside the
loop thread. Imports waitress and the standard library only.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

from waitress import wasyncore

from bridge.entry.http_linger import LingeringChannel

DRAIN_S = 10.0
POLL_S = 0.05
MARGIN_S = 5.0
FIRST_REQUEST_S = 1.0


def grace_s(write_budget_s: float, lock_timeout_s: float) -> float:
    """How long a stop waits for the requests in flight: the longest one may take (a write
    waits for its collection's lock, then for the provider within its budget), plus a margin."""
    return write_budget_s + lock_timeout_s + MARGIN_S


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


def waiting_bytes(channel: Any) -> bool:
    """True when the client sent bytes the loop has not read yet (or closed its side: then
    the read finds the end and waitress closes the connection itself)."""
    sock = getattr(channel, "socket", None)
    if sock is None:
        return False
    try:
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return False


class DrainingChannel(LingeringChannel):
    """The bridge's channel: once the server drains, each answer closes its connection."""

    _used = False  # the client sent bytes on it at least once

    def received(self, data: bytes) -> Any:
        if data:
            self._used = True
        return super().received(data)

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


def _close_idle(server: Any, first_request_due: bool = True) -> int:
    """Close the idle connections; the number of busy ones left. `first_request_due`: a
    connection that never carried a request counts as idle (else it is waited for)."""
    left = 0
    for channel in list(server.active_channels.values()):
        if getattr(channel, "_lingering", False):
            continue
        unused = not getattr(channel, "_used", True)
        if busy(channel) or waiting_bytes(channel) or (unused and not first_request_due):
            left += 1
        else:
            channel.will_close = True
    return left


def drain(server: Any, timeout_s: float = DRAIN_S) -> bool:
    """Stop accepting and wait for the requests in flight; True when none was left over."""
    _in_loop(server, lambda: _stop_accepting(server))
    start = time.monotonic()
    deadline = start + timeout_s
    counts: list[int] = []
    while True:
        counts.clear()
        due = time.monotonic() - start >= FIRST_REQUEST_S
        _in_loop(server, lambda due=due: counts.append(_close_idle(server, due)))
        if counts and counts[0] == 0:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)
