"""Signing in and out: the local password form, OpenID Connect with Microsoft or Google
(bridge.organisation.signin; the flow is kept in portal memory, bound to this browser's session and the
`state`), and what happens after a sign-in (new session id, managed connection, P7 prompt).

Must not check passwords or tokens itself (bridge.organisation.administration / .signin do) nor log them.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bridge.api import AuthFailed, BadInput, BridgeError, PolicyRefused, TooManyAttempts, UserRecord
from bridge.portal.context import (
    SESSION,
    TOKEN,
    USER,
    blocking,
    form_of,
    portal_of,
    redirect,
    render,
    session_key,
    state_of,
)
from bridge.portal.security import adopt, ensure_session, forget

log = logging.getLogger("davbridge.portal")

routes = web.RouteTableDef()

EXPIRED_LINK = "This sign-in link has expired or was not started here. Start again."


def sign_in_providers(request: web.Request) -> tuple[str, ...]:
    return portal_of(request).bridge.sign_in_providers()


def signin_page(
    request: web.Request, status: int = 200, error: str = "", name: str = ""
) -> web.Response:
    return render(
        request,
        "signin.html",
        status,
        title="Sign in",
        error=error,
        name=name,
        providers=sign_in_providers(request),
    )


@routes.get("/signin")
async def signin_form(request: web.Request) -> web.StreamResponse:
    if request[USER] is not None:
        return redirect("/")
    await ensure_session(request)
    return signin_page(request)


@routes.post("/signin")
async def signin_password(request: web.Request) -> web.StreamResponse:
    form = await form_of(request)
    name, password = form.get("name", "").strip(), form.get("password", "")
    bridge = portal_of(request).bridge
    client = request.remote or "unknown"
    try:
        user = await blocking(request, bridge.check_password, name, password, client)
    except TooManyAttempts as exc:
        response = signin_page(request, 429, str(exc), name)
        response.headers["Retry-After"] = str(max(1, int(exc.retry_after + 0.999)))
        return response
    except (AuthFailed, PolicyRefused) as exc:
        return signin_page(request, exc.http_status, str(exc), name)
    return await finish_sign_in(request, user)


@routes.get("/signin/{provider}")
async def signin_oidc(request: web.Request) -> web.StreamResponse:
    provider = request.match_info["provider"]
    if provider not in sign_in_providers(request):
        raise web.HTTPNotFound()
    portal = portal_of(request)
    await ensure_session(request)
    redirect_uri = portal.redirect_uri(f"signin/{provider}/callback")
    url, flow = await blocking(request, portal.bridge.begin_sign_in, provider, redirect_uri)
    state = str(flow.get("state") or state_of(url))
    portal.flows.put(session_key(request), state, f"signin:{provider}", flow)
    return web.Response(status=302, headers={"Location": url})


@routes.get("/signin/{provider}/callback")
async def signin_callback(request: web.Request) -> web.StreamResponse:
    provider = request.match_info["provider"]
    portal = portal_of(request)
    state = request.query.get("state", "")
    flow = portal.flows.pop(session_key(request), state, f"signin:{provider}") if state else None
    if flow is None or request[SESSION] is None:
        raise BadInput(EXPIRED_LINK)
    if request.query.get("error"):  # the person cancelled at the provider (RFC 6749 §4.1.2.1)
        label = "Microsoft" if provider == "microsoft" else "Google"
        return signin_page(request, 401, f"Signing in with {label} was cancelled or refused.")
    response = {k: v for k, v in request.query.items()}
    identity = await blocking(request, portal.bridge.complete_sign_in, provider, flow, response)
    try:
        user = await blocking(
            request, portal.bridge.sign_in_identity, identity.email, identity.name
        )
    except PolicyRefused as exc:
        return signin_page(request, 403, str(exc))
    return await finish_sign_in(request, user)


async def finish_sign_in(request: web.Request, user: UserRecord) -> web.StreamResponse:
    """A new session id for the signed-in user (no fixation), then the profile or, when the
    policy says so (P7), the connect page."""
    bridge = portal_of(request).bridge
    old = request[TOKEN] or ""
    token, session = await blocking(request, bridge.sign_session_in, old, user.id)
    adopt(request, token, session)
    request[USER] = user
    first = await blocking(request, bridge.record_sign_in, user.id)
    try:
        await blocking(request, bridge.ensure_managed_connection, user.id)
    except BridgeError as exc:  # the sign-in holds; the profile shows the connection's problem
        log.warning("managed connection for user %d: %s", user.id, type(exc).__name__)
    statuses = await blocking(request, bridge.connection_statuses, user.name)
    prompt = await blocking(request, bridge.should_prompt_connect, user.id, first, bool(statuses))
    return redirect("/connect" if prompt else "/")


@routes.post("/signout")
async def signout(request: web.Request) -> web.StreamResponse:
    token = request[TOKEN]
    if token:
        await blocking(request, portal_of(request).bridge.end_session, token)
    forget(request)
    return redirect("/signin")
