"""Running the servers: the DAV application (Radicale + plugins) on waitress, and the web
portal (bridge.portal, aiohttp on its own thread) beside it.

This is a composition root: it may import radicale_plugins. It holds no business logic.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from typing import Protocol

from waitress.server import TcpWSGIServer, create_server

from bridge import api
from bridge.api import Bridge
from bridge.entry.http_drain import DrainingChannel, drain, grace_s
from bridge.entry.http_lanes import QuickLane
from radicale_plugins.app import make_wsgi

log = logging.getLogger("davbridge")


_frozen: list[bool] = []


def _freeze_startup_heap() -> None:
    """What exists when the first server starts (modules, settings, the application) lives as
    long as the process: out of the garbage collector's sight (gc.freeze), so that the full
    collections that bulk answers' many short-lived objects bring about do not walk it each
    time (a 2,000-href multiget parses 2,000 elements: ~1.5 ms per request on average). Once
    per process: a later server (tests start many) leaves the heap to the collector."""
    if not _frozen:
        _frozen.append(True)
        gc.freeze()


class HttpServer:
    """The bridge's HTTP endpoint on a background thread."""

    def __init__(self, bridge: Bridge, host: str, port: int) -> None:
        # Radicale builds the plugins from class names, so they cannot be handed the facade:
        # the server hosting them publishes it, and they ask for it with api.current()
        api.install(bridge)
        s = bridge.settings.server
        server = create_server(
            make_wsgi(
                s.max_content_length,
                bridge.settings.limits.instances_per_expansion,
                bridge.settings.max_resource_size,
            ),
            host=host,
            port=port,
            threads=s.threads,
            max_request_body_size=s.max_content_length + 1,  # waitress refuses >= this
            ident="davbridge",
            clear_untrusted_proxy_headers=True,
            channel_timeout=120,
            # Answers Radicale renders whole would otherwise be spilled to a temporary file by
            # waitress above 1 MB and copied back: keep them in memory. Streamed bulk answers
            # (radicale_plugins.multistatus) wait once 4 MB are queued for a slow client, so
            # one never holds more than that per connection.
            outbuf_overflow=64 * 1024 * 1024,
            outbuf_high_watermark=4 * 1024 * 1024,
            inbuf_overflow=16 * 1024 * 1024,
        )
        # one host and port: one TCP server (waitress.server.create_server), never a multi-socket one
        assert isinstance(server, TcpWSGIServer), type(server)
        self._server = server
        # a 413 the client can read instead of a reset (bridge/entry/http_linger.py), and
        # `Connection: close` on every answer once a graceful stop began (http_drain.py)
        self._server.channel_class = DrainingChannel
        # /health on threads of its own: never queued behind busy DAV workers (http_lanes.py)
        self._server.task_dispatcher = QuickLane(self._server.task_dispatcher)
        # a stop waits for the longest a request may take (http_drain.grace_s)
        self.grace_s = grace_s(s.write_budget_seconds, s.lock_timeout_seconds)
        self.host = host
        self.port = int(self._server.getsockname()[1])  # waitress's effective_port
        self._thread = threading.Thread(target=self._run, name="http", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def _run(self) -> None:
        with contextlib.suppress(OSError):  # closed during shutdown
            self._server.run()

    def start(self) -> HttpServer:
        _freeze_startup_heap()
        self._thread.start()
        log.info("listening on %s", self.url)
        return self

    def stop(self, grace: float | None = None) -> None:
        """Stop accepting, finish the requests in flight (at most `grace`, by default the
        longest a request may take), then close (bridge/entry/http_drain.py): a rolling
        restart loses no accepted request."""
        limit = self.grace_s if grace is None else grace
        if self._thread.is_alive() and limit > 0 and not drain(self._server, limit):
            log.warning("stopping with requests still in flight after %g s", limit)
        # let worker threads finish what they are writing before the trigger pipe goes
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        with contextlib.suppress(OSError):
            self._server.close()
        self._thread.join(timeout=5)


class PortalServerLike(Protocol):
    """What the composition roots use of bridge.portal.server.PortalServer."""

    @property
    def url(self) -> str: ...

    def stop(self) -> None: ...


def start_portal(
    bridge: Bridge, host: str | None = None, port: int | None = None, dav_url: str = ""
) -> PortalServerLike:
    """The web portal on its own thread; host and port default to the [portal] settings
    (port 0: any free port; `.url` tells which). `dav_url`: what the portal tells users to
    type into their clients (default: from the [server] settings)."""
    from bridge.portal.server import PortalServer

    p = bridge.settings.portal
    server = PortalServer(
        bridge,
        p.host if host is None else host,
        p.port if port is None else port,
        public_url=p.public_url,
        dav_url=dav_url,
    ).start()
    log.info("web portal on %s", server.url)
    return server
