"""The portal's security rules, as aiohttp middlewares and helpers: server-side sessions
(bridge.admin sessions; the cookie holds only a random token), cookie flags, the CSRF token
on every POST, the Origin/Referer same-origin check, sign-in required outside /signin, and
the security headers on every answer.

OWASP Cross-Site Request Forgery Prevention Cheat Sheet: synchronizer token + origin check;
OWASP Session Management Cheat Sheet: HttpOnly, Secure (whenever the portal is reached over
https), SameSite, renew the id at sign-in.
Must not render pages (raises errors the error middleware renders) nor log tokens.
"""

from __future__ import annotations

import hmac
import urllib.parse
from collections.abc import Awaitable, Callable

from aiohttp import web

from bridge.api import Forbidden, SessionRecord
from bridge.portal.context import (
    CLEAR_COOKIE,
    NEW_TOKEN,
    SESSION,
    TOKEN,
    USER,
    Portal,
    blocking,
    form_of,
    portal_of,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# what went wrong with a form's CSRF token, named apart (only an ended session "expired")
FORM_EXPIRED = "The form expired; reload the page and try again."
NO_COOKIE = (
    "Your browser did not send the portal's session cookie with this form, so it cannot be "
    "accepted: allow cookies for this site, reload the page and try again."
)
MISSING_CSRF = "The form did not carry its security token; reload the page and try again."
OTHER_SESSION = (
    "The form belongs to another sign-in (it was loaded before you signed in or out); "
    "reload the page and try again."
)
CROSS_SITE = "This form was sent from another site; the portal only accepts its own forms."

PUBLIC_PREFIXES = ("/signin", "/static/")


def is_public(path: str) -> bool:
    return path == "/signin" or any(path.startswith(p) for p in PUBLIC_PREFIXES)


def origin_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def provider_origins(portal: Portal) -> list[str]:
    """Where the portal's forms may lead (a POST answered by a redirect to a sign-in page
    counts as the form's target for CSP form-action)."""
    s = portal.bridge.config()
    found = [origin_of(s.graph.authority_host), origin_of(s.google.auth_uri)]
    return sorted({o for o in found if o})


def content_security_policy(portal: Portal) -> str:
    form_targets = " ".join(["'self'", *provider_origins(portal)])
    return (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        f"form-action {form_targets}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


def same_origin(request: web.Request, portal: Portal) -> bool:
    """False when the browser says the request comes from another origin."""
    allowed = {portal.origin, f"{request.scheme}://{request.host}"}
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin in allowed
    referer = request.headers.get("Referer")
    if referer:
        return origin_of(referer) in allowed
    return True


async def ensure_session(request: web.Request) -> SessionRecord:
    """The request's session, creating an anonymous one (and its cookie) when there is none."""
    current = request.get(SESSION)
    if isinstance(current, SessionRecord):
        return current
    token, session = await blocking(request, portal_of(request).bridge.new_session, None)
    adopt(request, token, session)
    return session


def adopt(request: web.Request, token: str, session: SessionRecord) -> None:
    """Make (token, session) the request's session; the answer carries the new cookie."""
    request[TOKEN] = token
    request[SESSION] = session
    request[NEW_TOKEN] = token


def forget(request: web.Request) -> None:
    """The answer clears the session cookie (sign-out)."""
    request[TOKEN] = None
    request[SESSION] = None
    request[USER] = None
    request[CLEAR_COOKIE] = True


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[SESSION] = None
    request[USER] = None
    request[TOKEN] = None
    if request.path.startswith("/static/"):
        return await handler(request)
    portal = portal_of(request)
    bridge = portal.bridge
    token = request.cookies.get(portal.cookie_name, "")
    session = await blocking(request, bridge.session, token) if token else None
    if session is not None:
        request[TOKEN] = token
        request[SESSION] = session
        if session.user_id is not None:
            request[USER] = await blocking(request, bridge.user, session.user_id)
    if request.method == "POST":
        if not same_origin(request, portal):
            raise Forbidden(CROSS_SITE)
        form = await form_of(request)
        sent = form.get("csrf", "")
        if session is None:
            raise Forbidden(FORM_EXPIRED if token else NO_COOKIE)
        if not sent:
            raise Forbidden(MISSING_CSRF)
        if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            raise Forbidden(OTHER_SESSION)
    unmatched = request.match_info.http_exception is not None
    if request[USER] is None and not is_public(request.path) and not unmatched:
        return web.Response(status=303, headers={"Location": "/signin"})
    return await handler(request)


def cookie_secure(request: web.Request, portal: Portal) -> bool:
    """`Secure` whenever browsers reach the portal over https: its public URL is https (behind
    a TLS proxy; the settings allow plain http on loopback only) or this request came over
    TLS. Not on plain-http loopback, where a Secure cookie would not be sent back by clients
    such as Python's requests (RFC 6265bis 5.8.3: Secure cookies only to "secure" channels)."""
    return portal.https or request.secure


def headers_middleware_for(portal: Portal) -> Callable[..., Awaitable[web.StreamResponse]]:
    csp = content_security_policy(portal)

    @web.middleware
    async def headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        h = response.headers
        h["Content-Security-Policy"] = csp
        h["X-Frame-Options"] = "DENY"
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "same-origin"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        if portal.https:
            h["Strict-Transport-Security"] = "max-age=31536000"
        if request.path.startswith("/static/"):
            h.setdefault("Cache-Control", "public, max-age=3600")
        else:
            h["Cache-Control"] = "no-store"
        new_token = request.get(NEW_TOKEN)
        secure = cookie_secure(request, portal)
        if new_token:
            response.set_cookie(
                portal.cookie_name,
                new_token,
                path="/",
                httponly=True,
                secure=secure,
                samesite="Lax",
            )
        elif request.get(CLEAR_COOKIE):
            response.del_cookie(
                portal.cookie_name, path="/", secure=secure, httponly=True, samesite="Lax"
            )
        return response

    return headers_middleware
