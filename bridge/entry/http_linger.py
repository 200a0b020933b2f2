"""waitress's HTTP channel, made to answer an oversized body with a 413 the client can read.

waitress refuses a body over `max_request_body_size` as soon as the headers announce it
(Content-Length) or as soon as a chunked body crosses it, with a 413 and `Connection: close`
— then closes the socket while the client is still sending, and the kernel answers the
unread bytes with a reset: the client sees "connection reset" instead of the 413. This
channel closes in stages as RFC 9112 §9.6 asks: the 413 is written, the sending side is shut
down, and what the client still sends is read and thrown away (up to `LINGER_BYTES` or
`LINGER_S`) until it closes. A client that sent `Expect: 100-continue` gets the 413 instead
of the 100 and need not send the body at all (RFC 9110 §10.1.1).

The body of the 413 names the limit. Nothing of the request body is buffered.
Imports waitress and the standard library only.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from waitress.channel import HTTPChannel
from waitress.utilities import RequestEntityTooLarge

LINGER_BYTES = 256 * 1024 * 1024
LINGER_S = 20.0


class LingeringChannel(HTTPChannel):
    _linger_wanted = False
    _lingering = False
    _linger_until = 0.0
    _lingered = 0

    def send_continue(self) -> None:
        if self.request is not None and self.request.error is not None:
            return  # refused at the headers: no 100, the 413 goes out instead
        super().send_continue()

    def service(self) -> None:
        request = self.requests[0] if self.requests else None
        if request is not None and isinstance(request.error, RequestEntityTooLarge):
            self._linger_wanted = True
            limit = max(0, int(self.adj.max_request_body_size) - 1)
            request.error.body = (
                f"The request body exceeds the limit of {limit} bytes "
                "([server] max_content_length)."
            )
        super().service()

    def handle_close(self) -> None:
        sock = self.socket
        if self._linger_wanted and not self._lingering and self.connected and sock is not None:
            self._linger_wanted = False
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                super().handle_close()
                return
            self._lingering = True
            self._linger_until = time.monotonic() + LINGER_S
            self.will_close = False
            self.close_when_flushed = False
            return
        self._lingering = False
        if self.socket is not None:
            super().handle_close()

    def readable(self) -> Any:
        if self._lingering:
            if time.monotonic() > self._linger_until:
                self.handle_close()
                return False
            return True
        return super().readable()

    def writable(self) -> Any:
        return False if self._lingering else super().writable()

    def handle_read(self) -> None:
        if not self._lingering:
            super().handle_read()
            return
        sock = self.socket
        try:
            data = sock.recv(self.adj.recv_bytes) if sock is not None else b""
        except BlockingIOError:
            return
        except OSError:
            data = b""
        self._lingered += len(data)
        self.last_activity = time.time()
        if not data or self._lingered > LINGER_BYTES:
            self.handle_close()
