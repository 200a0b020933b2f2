"""The part of the control API (`/_control/…`) every emulator shares: loopback-only access
(403 for anyone else), JSON bodies, and three routes that are the same everywhere:

  GET  /_control/info                    the emulator's Info as JSON
  GET  /_control/requests/count?prefix=  {"count": n}: emulated-API requests served so far whose
                                          path (EWS: operation name) starts with prefix
  POST /_control/save                    {"saved": true}: the state is on disk now (what the
                                          1 s autosave would do; benchmarks wait on it)

`common()` answers them for any host; `guard()` and `add_common_routes()` adapt it to aiohttp
(the Graph and Google emulators); the EWS emulator calls `allowed()` and `common()` from its
stdlib handler. Everything else under /_control is each emulator's own. This module must not
know what is emulated.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web
from aiohttp.typedefs import Handler

Json = dict[str, Any]


class Controlled(Protocol):
    @property
    def info(self) -> Any: ...

    def request_count(self, prefix: str = "") -> int: ...

    def save(self, only_if_changed: bool = False) -> None: ...


EMULATOR_KEY: web.AppKey[Controlled] = web.AppKey("emulator", Controlled)


def allowed(remote: str | None) -> bool:
    """Only loopback clients may use the control API."""
    try:
        return ipaddress.ip_address(remote or "").is_loopback
    except ValueError:
        return False


FORBIDDEN = (403, {"error": "control API is loopback-only"})


def common(
    emulator: Controlled, method: str, path: str, query: dict[str, str]
) -> tuple[int, Any] | None:
    """The shared routes' answer, or None when `path` is not one of them."""
    if method == "GET" and path == "/_control/info":
        return 200, emulator.info.to_json()
    if method == "GET" and path == "/_control/requests/count":
        return 200, {"count": emulator.request_count(query.get("prefix", ""))}
    if method == "POST" and path == "/_control/save":
        emulator.save()
        return 200, {"saved": True}
    return None


async def json_body(request: web.Request) -> Json:
    """The request's JSON object ({} without a body, or when it is not an object)."""
    if not request.can_read_body:
        return {}
    data = await request.json()
    return data if isinstance(data, dict) else {}


def guard(
    error_type: type[Exception],
    error_response: Callable[[web.Request, Any], web.StreamResponse],
    mark_changed: Callable[[web.Request], None],
) -> Any:
    """aiohttp middleware for /_control: loopback only; the emulator's own errors answered as
    its API answers them; the state marked changed after every control request."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/_control"):
            return await handler(request)
        if not allowed(request.remote):
            status, body = FORBIDDEN
            return web.json_response(body, status=status)
        try:
            resp = await handler(request)
        except error_type as err:
            return error_response(request, err)
        mark_changed(request)
        return resp

    return middleware


async def _common_route(request: web.Request) -> web.Response:
    query = {k: v for k, v in request.query.items()}
    answer = common(request.app[EMULATOR_KEY], request.method, request.path, query)
    assert answer is not None  # only the shared paths are routed here
    return web.json_response(answer[1], status=answer[0])


def add_common_routes(app: web.Application, emulator: Controlled) -> None:
    app[EMULATOR_KEY] = emulator
    app.router.add_get("/_control/info", _common_route)
    app.router.add_get("/_control/requests/count", _common_route)
    app.router.add_post("/_control/save", _common_route)
