"""Running the portal: the aiohttp application on its own thread and event loop, on a socket
bound before the thread starts (so `port 0` gives a known port at once).

Must not contain page logic; blocking bridge calls run in the loop's default executor
(context.blocking), never on the loop.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading

from aiohttp import web

from bridge.api import Bridge
from bridge.portal.app import make_app

log = logging.getLogger("davbridge.portal")


class PortalServer:
    """The portal on `host:port` (0 = any free port); `public_url` is where browsers reach it
    (default http://host:port/), `dav_url` what app-password pages tell clients to use."""

    def __init__(
        self, bridge: Bridge, host: str, port: int, public_url: str = "", dav_url: str = ""
    ) -> None:
        self.bridge = bridge
        self.host = host
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(128)
        self._sock.setblocking(False)
        self.port = int(self._sock.getsockname()[1])
        configured = getattr(getattr(bridge.config(), "portal", None), "public_url", "")
        url = public_url or configured or f"http://{self._netloc()}/"
        self.public_url = url if url.endswith("/") else url + "/"
        self.dav_url = dav_url
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def _netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return self.public_url

    def start(self) -> PortalServer:
        self._thread = threading.Thread(target=self._run, name="portal", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise RuntimeError("the portal failed to start") from self._error
        log.info("portal listening on %s", self.public_url)
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        app = make_app(self.bridge, self.public_url, self.dav_url)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        await web.SockSite(runner, self._sock).start()
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(15)
        self._thread = None
        self._sock.close()
