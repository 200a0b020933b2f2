"""Graceful stop of the HTTP server (bridge/entry/http_drain.py, issue 17): a request the
server has received is answered before it closes, new connections are refused.

The waitress loop thread is held on a gate while the clients connect and send, so their
requests sit in the kernel (completed handshakes, bytes unread) when the stop begins — the
state in which the rolling-restart test saw a received PUT closed without an answer. Nothing
here waits on time: the gate and the answers are the synchronisation."""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from waitress.server import create_server

from bridge.entry.http_drain import (
    DrainingChannel,
    _close_idle,
    _stop_accepting,
    drain,
    grace_s,
)


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["PATH_INFO"].encode()]


@pytest.fixture
def server() -> Iterator[Any]:
    srv: Any = create_server(app, host="127.0.0.1", port=0, threads=2)
    srv.channel_class = DrainingChannel
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield srv
    srv.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
    srv.close()
    thread.join(5)


def send(port: int, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    return sock


def answer(sock: socket.socket) -> tuple[int, bytes, str | None]:
    with sock:
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read(), response.getheader("Connection")


def test_requests_the_kernel_holds_when_the_stop_begins_are_answered(server: Any) -> None:
    """Connections completed by the kernel but not yet accepted, their requests unread: the
    stop accepts them, and checking for idle connections in that very loop turn (before any
    read) counts them busy — they were closed unanswered before (RemoteDisconnected)."""
    port = int(server.getsockname()[1])
    gate = threading.Event()
    busy_left: list[int] = []

    def stop_in_one_turn() -> None:
        gate.wait(30)
        _stop_accepting(server)
        busy_left.append(_close_idle(server))

    server.trigger.pull_trigger(stop_in_one_turn)
    socks = [send(port, f"/r{i}") for i in range(5)]
    gate.set()
    assert drain(server, 30) is True
    answers = [answer(sock) for sock in socks]
    assert busy_left == [5]
    assert [(status, body) for status, body, _ in answers] == [
        (200, f"/r{i}".encode()) for i in range(5)
    ]
    assert {conn for _, _, conn in answers} == {"close"}  # each answer closes its connection
    with pytest.raises(ConnectionRefusedError):  # new connections go elsewhere
        socket.create_connection(("127.0.0.1", port), timeout=30)


def test_a_keep_alive_request_sent_as_the_stop_begins_is_answered(server: Any) -> None:
    """A connection that served a request and then carried the next one, still unread when the
    idle connections are closed: it is read and answered (with Connection: close)."""
    port = int(server.getsockname()[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"GET /first HTTP/1.1\r\nHost: t\r\n\r\n")
    first = http.client.HTTPResponse(sock)
    first.begin()
    assert (first.status, first.read()) == (200, b"/first")
    gate = threading.Event()
    busy_left: list[int] = []

    def stop_in_one_turn() -> None:
        gate.wait(30)
        _stop_accepting(server)
        busy_left.append(_close_idle(server))

    server.trigger.pull_trigger(stop_in_one_turn)
    sock.sendall(b"GET /second HTTP/1.1\r\nHost: t\r\n\r\n")
    gate.set()
    assert drain(server, 30) is True
    assert busy_left == [1]
    assert answer(sock) == (200, b"/second", "close")


def test_an_idle_connection_is_closed_and_an_unused_one_waits_for_its_first_request(
    server: Any,
) -> None:
    port = int(server.getsockname()[1])
    used = socket.create_connection(("127.0.0.1", port), timeout=30)
    used.sendall(b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
    response = http.client.HTTPResponse(used)
    response.begin()
    response.read()
    unused = socket.create_connection(("127.0.0.1", port), timeout=30)
    counts: list[int] = []
    done = threading.Event()

    def check() -> None:
        _stop_accepting(server)
        counts.append(_close_idle(server, first_request_due=False))
        done.set()

    # the loop accepts `unused` before running the thunk only if it saw it: wait until it did
    while len(server.active_channels) < 2:
        server.trigger.pull_trigger(lambda: None)
    server.trigger.pull_trigger(check)
    assert done.wait(30)
    assert counts == [1]  # the unused one is waited for, the used idle one is closed
    assert used.recv(1) == b""  # closed by the server
    unused.sendall(b"GET /late HTTP/1.1\r\nHost: t\r\n\r\n")
    assert drain(server, 30) is True
    assert answer(unused) == (200, b"/late", "close")
    used.close()


def test_the_stop_waits_as_long_as_a_request_may_take() -> None:
    assert grace_s(25.0, 10.0) == 40.0  # write budget + collection lock wait + margin
