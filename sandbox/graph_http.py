"""Cross-cutting HTTP behaviour of the emulated services: request log, injected faults, Graph
error envelope, bearer-token check and per-mailbox throttling.

- errors.md: every Graph error is {"error": {"code", "message", "innerError": {"date",
  "request-id", "client-request-id"}}}; responses carry `request-id`/`client-request-id` headers.
- errors.md/auth: a missing, malformed or expired bearer token gives 401
  `InvalidAuthenticationToken`.
- throttling.md / throttling-limits.md: 429 with `Retry-After`; Outlook allows 4 concurrent
  requests per app per mailbox ("Application is over its MailboxConcurrency limit.").
This module must not know individual Graph resources; graph_routes.py does.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from sandbox.gerrors import GraphError
from sandbox.state import STATE_KEY, SandboxState
from sandbox.tokens import AccessToken

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# per-request values (each aiohttp request runs in its own task, so its own context)
_REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_MAILBOX: contextvars.ContextVar[str | None] = contextvars.ContextVar("mailbox", default=None)


def error_response(request: web.Request, err: GraphError) -> web.Response:
    request_id = _REQUEST_ID.get() or str(uuid.uuid4())
    client_rid = request.headers.get("client-request-id", request_id)
    body = {
        "error": {
            "code": err.code,
            "message": err.message,
            "innerError": {
                "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
                "request-id": request_id,
                "client-request-id": client_rid,
            },
        }
    }
    headers = {"request-id": request_id, "client-request-id": client_rid, **err.headers}
    return web.json_response(body, status=err.status, headers=headers)


@web.middleware
async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Log, inject faults, and turn GraphError into the envelope. /_control is exempt."""
    st = request.app[STATE_KEY]
    path = request.path
    if path.startswith("/_control"):
        return await handler(request)
    request_id = str(uuid.uuid4())
    _REQUEST_ID.set(request_id)
    _MAILBOX.set(None)
    status = 500
    resp: web.StreamResponse
    try:
        rule = st.faults.check(request.method, request.path_qs)
        if rule is not None and rule.delay_ms > 0:
            try:
                resp = await handler(request)
            finally:
                await asyncio.sleep(rule.delay_ms / 1000.0)
        elif rule is not None:
            headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
            if path.startswith("/v1.0"):
                raise GraphError(rule.status, rule.code, rule.message, headers)
            resp = web.json_response(
                {"error": "temporarily_unavailable", "error_description": rule.message},
                status=rule.status,
                headers=headers,
            )
        else:
            resp = await handler(request)
    except GraphError as err:
        resp = error_response(request, err)
    except web.HTTPException as exc:
        if path.startswith("/v1.0") and exc.status >= 400:
            code = "ResourceNotFound" if exc.status == 404 else "BadRequest"
            resp = error_response(request, GraphError(exc.status, code, exc.reason))
        else:
            st.record(request.method, path, exc.status, _MAILBOX.get())
            raise
    except json.JSONDecodeError:
        resp = error_response(
            request,
            GraphError(
                400,
                "BadRequest",
                "Unable to read JSON request "
                "payload. Please ensure Content-Type header is "
                "set and payload is of valid JSON format.",
            ),
        )
    status = resp.status
    if path.startswith("/v1.0"):
        resp.headers.setdefault("request-id", request_id)
        resp.headers.setdefault(
            "client-request-id", request.headers.get("client-request-id", request_id)
        )
    st.record(request.method, path, status, _MAILBOX.get())
    return resp


@dataclass(frozen=True)
class Caller:
    token: AccessToken

    @property
    def delegated(self) -> bool:
        return self.token.kind == "delegated"


def authenticate(st: SandboxState, request: web.Request) -> Caller:
    auth = request.headers.get("Authorization", "")
    if not auth:
        raise GraphError(
            401,
            "InvalidAuthenticationToken",
            "Access token is empty.",
            {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'},
        )
    scheme, _, value = auth.partition(" ")
    at = st.tokens.access.get(value.strip()) if scheme.lower() == "bearer" else None
    if at is None:
        raise GraphError(
            401,
            "InvalidAuthenticationToken",
            "IDX14100: JWT is not well formed, there are no dots (.).",
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if st.tokens.lookup_access(at.token) is None:
        raise GraphError(
            401,
            "InvalidAuthenticationToken",
            "Lifetime validation failed, the token is expired.",
            {
                "WWW-Authenticate": 'Bearer error="invalid_token", '
                'error_description="The access token expired"'
            },
        )
    check_permission(at, request.method, request.path)
    return Caller(at)


# permissions-reference.md: Calendars.Read allows reading events of calendars the user can
# access; Calendars.ReadWrite also allows create/update/delete. A delegated token without the
# needed permission gets 403 ErrorAccessDenied (errors.md). Application tokens of the admin
# app hold Calendars.ReadWrite as an application permission (role).
_CALENDAR_READ = {"calendars.read", "calendars.readwrite"}
_CALENDAR_WRITE = {"calendars.readwrite"}


# Contacts.Read / Contacts.ReadWrite likewise for /contacts and /contactFolders (contact-get.md,
# user-post-contacts.md permission tables).
_CONTACTS_READ = {"contacts.read", "contacts.readwrite"}
_CONTACTS_WRITE = {"contacts.readwrite"}
# Tasks.Read / Tasks.ReadWrite for /todo (todo-overview: "Tasks.ReadWrite" in the permission
# tables of todotasklist-post-tasks, todotask-delta …).
_TASKS_READ = {"tasks.read", "tasks.readwrite"}
_TASKS_WRITE = {"tasks.readwrite"}


def check_permission(at: AccessToken, method: str, path: str) -> None:
    if at.kind != "delegated":
        return
    read = method in ("GET", "HEAD")
    if "/contact" in path.lower():
        needed = _CONTACTS_READ if read else _CONTACTS_WRITE
    elif "/todo/" in path.lower():
        needed = _TASKS_READ if read else _TASKS_WRITE
    elif "/calendar" in path or "/events" in path:
        needed = _CALENDAR_READ if read else _CALENDAR_WRITE
    else:
        return
    granted = {s.lower() for s in at.scopes}
    if not granted & needed:
        raise GraphError(
            403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
        )


@asynccontextmanager
async def mailbox_slot(
    st: SandboxState, request: web.Request, caller: Caller, mailbox_id: str
) -> AsyncIterator[None]:
    """Hold one of the mailbox's concurrent-request slots for the request's duration."""
    _MAILBOX.set(mailbox_id)
    broke = st.throttle.enter(caller.token.client_id, mailbox_id)
    if broke is not None:
        # throttling-limits.md Outlook service limits; message as the service words it
        raise GraphError(
            429,
            "ApplicationThrottled",
            f"Application is over its {broke} limit.",
            {"Retry-After": str(st.throttle.retry_after)},
        )
    try:
        if st.latency:
            await asyncio.sleep(st.latency)
        yield
    finally:
        st.throttle.leave(caller.token.client_id, mailbox_id)
