"""Hosting an emulator: an aiohttp application on its own thread and event loop, served on a
socket bound beforehand (so the port is known before the app starts), with an optional
once-a-second callback (state autosave). Shared by the Graph and Google sandboxes.

Must not know anything about what the application emulates.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import threading
from collections.abc import Callable
from typing import Any

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


class AppHost:
    """Runs one aiohttp application until stopped."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(
        self,
        build_app: Callable[[], web.Application],
        sock: socket.socket,
        ssl_ctx: Any,
        tick: Callable[[], None] | None = None,
    ) -> None:
        """Serve until stop(); returns once the site listens (raises if it could not)."""
        self._thread = threading.Thread(
            target=self._run, args=(build_app, sock, ssl_ctx, tick), name=self.name, daemon=True
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
