"""Serving an emulator on a socket bound beforehand (so the port is known before it serves),
on threads of its own, with an optional periodic callback (state autosave):

- `AppHost`: an aiohttp application on its own event loop (the Graph and Google emulators);
  the callback runs on that loop, so it sees the state between requests, never during one.
- `ThreadedHost`: a stdlib `ThreadingHTTPServer` (the EWS emulator: keep-alive connections
  carry NTLM's per-connection handshake); the callback runs on a thread of its own.

Both are `Host`s: start(sock, ssl_ctx, tick), stop(). Must not know what is emulated.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from aiohttp import web


def bind(host: str, requested: int, saved: int) -> socket.socket:
    """Bind the requested port, else the port of the saved state, else any free port."""
    candidates = [requested] if requested else ([saved] if saved else []) + [0]
    last: OSError | None = None
    for port in candidates:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            last = exc
            if exc.errno != errno.EADDRINUSE:
                raise
            continue
        sock.listen(128)
        sock.setblocking(False)
        return sock
    raise last or OSError("no port")


class Host(Protocol):
    def start(
        self, sock: socket.socket, ssl_ctx: Any, tick: Callable[[], None] | None = None
    ) -> None: ...

    def stop(self) -> None: ...


class AppHost:
    """Runs one aiohttp application until stopped."""

    def __init__(self, name: str, build_app: Callable[[], web.Application]) -> None:
        self.name = name
        self.build_app = build_app
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(
        self, sock: socket.socket, ssl_ctx: Any, tick: Callable[[], None] | None = None
    ) -> None:
        """Serve until stop(); returns once the site listens (raises if it could not)."""
        self._thread = threading.Thread(
            target=self._run,
            args=(self.build_app, sock, ssl_ctx, tick),
            name=self.name,
            daemon=True,
        )
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise RuntimeError(f"{self.name} failed to start") from self._error

    def _run(
        self,
        build_app: Callable[[], web.Application],
        sock: socket.socket,
        ssl_ctx: Any,
        tick: Callable[[], None] | None,
    ) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve(build_app, sock, ssl_ctx, tick))
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(
        self,
        build_app: Callable[[], web.Application],
        sock: socket.socket,
        ssl_ctx: Any,
        tick: Callable[[], None] | None,
    ) -> None:
        self._stop = asyncio.Event()
        runner = web.AppRunner(
            build_app(), access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await runner.setup()
        await web.SockSite(runner, sock, ssl_context=ssl_ctx).start()
        self._ready.set()
        ticker = asyncio.create_task(self._ticks(tick)) if tick is not None else None
        await self._stop.wait()
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        await runner.cleanup()

    @staticmethod
    async def _ticks(tick: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(1.0)
            tick()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(15)
        self._thread = None


class ThreadedHost:
    """Runs a stdlib threading HTTP server (one thread per connection) until stopped; `tick`
    runs every `tick_seconds` on a thread of its own."""

    def __init__(
        self, name: str, handler: type[BaseHTTPRequestHandler], tick_seconds: float = 1.0
    ) -> None:
        self.name = name
        self.handler = handler
        self.tick_seconds = tick_seconds
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    def start(
        self, sock: socket.socket, ssl_ctx: Any, tick: Callable[[], None] | None = None
    ) -> None:
        sock.setblocking(True)
        if ssl_ctx is not None:
            sock = ssl_ctx.wrap_socket(sock, server_side=True)
        server = ThreadingHTTPServer(sock.getsockname()[:2], self.handler, bind_and_activate=False)
        server.socket.close()
        server.socket = sock
        server.server_address = sock.getsockname()[:2]
        server.daemon_threads = True
        self._server = server
        self._stopping.clear()
        self._threads = [threading.Thread(target=server.serve_forever, name=self.name, daemon=True)]
        if tick is not None:
            self._threads.append(
                threading.Thread(
                    target=self._ticks, args=(tick,), name=f"{self.name}-tick", daemon=True
                )
            )
        for thread in self._threads:
            thread.start()

    def _ticks(self, tick: Callable[[], None]) -> None:
        while not self._stopping.wait(self.tick_seconds):
            tick()

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for thread in self._threads:
            thread.join(5)
        self._threads = []
