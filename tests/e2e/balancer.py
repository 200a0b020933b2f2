"""A round-robin HTTP balancer for the e2e tests on several bridge processes (issue 17): each
request goes to the next process in turn — as Caddy's `lb_policy round_robin` in
deploy/compose.postgres.yaml does per request — so a client's write is answered by one process
and its next read by another. A refused connection (a process restarting) goes to the next
one; nothing else is retried. No sticky sessions, nothing cached.

Bodies are read whole (the tests' requests and answers are small); hop-by-hop headers are not
forwarded (RFC 9110 §7.6.1); the Host header is passed as the client sent it.
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RoundRobin

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if body is not None:
            headers["Content-Length"] = str(len(body))
        answer = None
        for backend in self.server.turns():
            conn = http.client.HTTPConnection(backend[0], backend[1], timeout=300)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
            except ConnectionRefusedError:
                conn.close()
                continue
            response = conn.getresponse()
            answer = (response.status, response.reason, response.getheaders(), response.read())
            conn.close()
            self.server.served[backend] = self.server.served.get(backend, 0) + 1
            break
        if answer is None:
            self.send_error(502, "no bridge process accepted the connection")
            return
        status, reason, response_headers, data = answer
        self.send_response(status, reason)
        length_sent = False
        for name, value in response_headers:
            if name.lower() == "content-length" and self.command == "HEAD":
                self.send_header(name, value)
                length_sent = True
            elif name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        if not length_sent:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_OPTIONS = _forward
    do_PROPFIND = do_PROPPATCH = do_REPORT = do_MKCOL = do_MKCALENDAR = _forward
    do_MOVE = do_COPY = do_LOCK = do_UNLOCK = do_ACL = _forward


class RoundRobin(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, urls: list[str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.backends = [(urlsplit(u).hostname or "", urlsplit(u).port or 80) for u in urls]
        self.served: dict[tuple[str, int], int] = {}
        self._turn = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def turns(self) -> list[tuple[str, int]]:
        """Every backend once, starting with the next in turn."""
        with self._lock:
            start = self._turn
            self._turn += 1
        n = len(self.backends)
        return [self.backends[(start + i) % n] for i in range(n)]

    def start(self) -> RoundRobin:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(10)
