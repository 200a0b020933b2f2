"""The portal's aiohttp application: its routes (one module per area), static CSS, and the
error middleware that turns every failure into a page with a plain message and the right
status (BridgeError.http_status; unknown paths 404).

Must not contain page logic nor security rules (pages_*.py, security.py).
"""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from bridge.api import Bridge, BridgeError, NotFound, ProviderError, TooManyAttempts
from bridge.portal import (
    pages_admin,
    pages_app_passwords,
    pages_auth,
    pages_connect,
    pages_connections,
    pages_grants,
    pages_views,
)
from bridge.portal.context import PORTAL, Portal, render
from bridge.portal.security import Handler, headers_middleware_for, session_middleware
from bridge.portal.shared_memory import SharedFlows, SharedNotices

log = logging.getLogger("davbridge.portal")

STATIC = Path(__file__).parent / "static"

NOT_FOUND = "This page does not exist, or it is not yours."
SERVER_FAULT = (
    "Something went wrong on the server. Try again; if it keeps happening, tell your administrator."
)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = NOT_FOUND if exc.status == 404 else exc.reason
        return render(request, "error.html", exc.status, title=exc.reason, message=message)
    except NotFound:
        return render(request, "error.html", 404, title="Not found", message=NOT_FOUND)
    except BridgeError as exc:
        status = exc.http_status
        if status >= 500 and not isinstance(exc, ProviderError):
            log.error("portal %s %s failed: %s", request.method, request.path, type(exc).__name__)
            return render(request, "error.html", 500, title="Server error", message=SERVER_FAULT)
        response = render(request, "error.html", status, title=title_for(status), message=str(exc))
        if isinstance(exc, TooManyAttempts):
            response.headers["Retry-After"] = str(max(1, int(exc.retry_after + 0.999)))
        return response
    except Exception as exc:  # noqa: BLE001 - the user gets a page, the log the type
        log.error("portal %s %s failed: %s", request.method, request.path, type(exc).__name__)
        return render(request, "error.html", 500, title="Server error", message=SERVER_FAULT)


def title_for(status: int) -> str:
    return {
        400: "That did not work",
        401: "Sign-in failed",
        403: "Not allowed",
        404: "Not found",
        429: "Too many attempts",
        502: "The service did not answer as expected",
        503: "The service is busy",
    }.get(status, "Error")


def make_app(bridge: Bridge, public_url: str, dav_url: str = "") -> web.Application:
    """The portal application; `public_url` is where browsers reach it (ends with "/")."""
    public = public_url if public_url.endswith("/") else public_url + "/"
    portal = Portal(
        bridge=bridge,
        public_url=public,
        dav_url=dav_url or dav_url_of(bridge),
        flows=SharedFlows(bridge),  # in the database: any bridge process answers (issue 17)
        notices=SharedNotices(bridge),
    )
    app = web.Application(
        middlewares=[headers_middleware_for(portal), errors_middleware, session_middleware],
        client_max_size=256 * 1024,
    )
    app[PORTAL] = portal
    for module in (
        pages_auth,
        pages_connections,
        pages_connect,
        pages_app_passwords,
        pages_admin,
        pages_views,  # C4 meeting-view switches (branch views)
        pages_grants,
    ):
        app.add_routes(module.routes)
    app.router.add_static("/static/", STATIC, show_index=False, follow_symlinks=False)
    return app


def dav_url_of(bridge: Bridge) -> str:
    s = bridge.config().server
    return s.public_url or f"http://{s.host}:{s.port}/"
