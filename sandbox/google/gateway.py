"""The front door of every emulated Google endpoint: injected faults, error envelopes, request log.

Control API paths (/_control) pass straight through (not logged, no faults). Everything else is
checked against the fault rules (regex on "METHOD /path?query"), then handled; an ApiError
becomes Google's JSON envelope ("Handle API errors"). Injected quota faults answer as Google
does (403 `rateLimitExceeded`/`userRateLimitExceeded` in domain usageLimits, 429
`rateLimitExceeded`), optionally with Retry-After; on OAuth paths a fault answers RFC 6749 JSON.
This module must not implement endpoints.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox.google.errors import ApiError
from sandbox.google.state import STATE_KEY

DEFAULT_REASONS = {
    403: "rateLimitExceeded",
    429: "rateLimitExceeded",
    500: "backendError",
    502: "backendError",
    503: "backendError",
    401: "authError",
    404: "notFound",
    410: "fullSyncRequired",
}
DEFAULT_MESSAGES = {
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "backendError": "Backend Error",
    "authError": "Invalid Credentials",
    "notFound": "Not Found",
    "fullSyncRequired": "Sync token is no longer valid, a full sync is required.",
}


def error_response(err: ApiError) -> web.Response:
    resp = web.json_response(err.to_json(), status=err.status)
    if err.retry_after is not None:
        resp.headers["Retry-After"] = str(err.retry_after)
    if err.status == 401:
        resp.headers["WWW-Authenticate"] = (
            'Bearer realm="https://accounts.google.com/", error="invalid_token"'
        )
    return resp


def _fault_response(request: web.Request, rule: Any) -> web.Response:
    reason = rule.code
    # API paths (Calendar v3, People v1, userinfo) answer in Google's API error envelope
    # (cloud.google.com/apis/design/errors); the OAuth endpoints in RFC 6749's.
    if (
        request.path.startswith(("/calendar/", "/oauth2/v3/", "/v1/", "/tasks/"))
        or request.path == "/calendar"
    ):
        message = rule.message if rule.message != "Injected fault." else ""
        err = ApiError(
            rule.status,
            reason,
            message or DEFAULT_MESSAGES.get(reason, "Injected fault."),
            retry_after=rule.retry_after,
        )
        return error_response(err)
    resp = web.json_response(
        {"error": reason, "error_description": rule.message}, status=rule.status
    )
    if rule.retry_after is not None:
        resp.headers["Retry-After"] = str(rule.retry_after)
    return resp


@web.middleware
async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/_control"):
        return await handler(request)
    st = request.app[STATE_KEY]
    target = request.path_qs
    rule = st.faults.check(request.method, target)
    if rule is not None and rule.delay_ms <= 0:
        resp: web.StreamResponse = _fault_response(request, rule)
    else:
        try:
            resp = await handler(request)
        except ApiError as err:
            resp = error_response(err)
        except web.HTTPException as exc:
            if exc.status >= 400 and request.path.startswith("/calendar/"):
                reason = "notFound" if exc.status == 404 else "badRequest"
                resp = error_response(ApiError(exc.status, reason, exc.reason))
            else:
                st.record(request.method, request.path, request.query_string, exc.status)
                raise
    st.record(request.method, request.path, request.query_string, resp.status)
    if rule is not None:  # a slow answer: the request took effect, the reply waits
        await asyncio.sleep(rule.delay_ms / 1000.0)
    return resp
