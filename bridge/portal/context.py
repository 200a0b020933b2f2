"""The portal's shared state (one `Portal` per application) and the small helpers every page
handler uses: run a blocking bridge call off the event loop, the signed-in user, redirects,
notices, and the URLs the portal gives to providers.

Must not render pages or check security rules itself (security.py does that).
"""

from __future__ import annotations

import asyncio
import functools
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import jinja2
from aiohttp import web

from bridge.api import Bridge, SessionRecord, UserRecord
from bridge.portal.memory import Notices, PendingFlows
from bridge.portal.render import make_env, page

T = TypeVar("T")

SESSION_COOKIE = "davbridge_session"


@dataclass
class Portal:
    bridge: Bridge
    public_url: str  # ends with "/"
    dav_url: str
    flows: PendingFlows = field(default_factory=PendingFlows)
    notices: Notices = field(default_factory=Notices)
    env: jinja2.Environment = field(default_factory=make_env)

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def cookie_name(self) -> str:
        # the __Host- prefix pins the cookie to this host, Secure and Path=/ (RFC 6265bis 4.1.3.2)
        return f"__Host-{SESSION_COOKIE}" if self.https else SESSION_COOKIE

    @property
    def origin(self) -> str:
        parts = urllib.parse.urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    def redirect_uri(self, path: str) -> str:
        return self.public_url + path.lstrip("/")


PORTAL = web.AppKey("portal", Portal)
# what the session middleware learns about a request (security.py)
SESSION = web.RequestKey[SessionRecord | None]("session")
USER = web.RequestKey[UserRecord | None]("user")
TOKEN = web.RequestKey[str | None]("token")
NEW_TOKEN = web.RequestKey[str]("new_token")  # the answer sets this cookie
CLEAR_COOKIE = web.RequestKey[bool]("clear_cookie")  # the answer clears the cookie


def portal_of(request: web.Request) -> Portal:
    return request.app[PORTAL]


async def blocking(request: web.Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking bridge call (SQLite, provider HTTP) in the default executor."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))


def user_of(request: web.Request) -> UserRecord:
    user: UserRecord | None = request.get(USER)
    if user is None:  # the session middleware lets no such request reach a page handler
        raise web.HTTPUnauthorized()
    return user


def session_key(request: web.Request) -> str:
    session = request.get(SESSION)
    return session.token_hash if session is not None else ""


def notify(request: web.Request, text: str) -> None:
    """Show `text` once on the session's next page."""
    key = session_key(request)
    if key:
        portal_of(request).notices.add(key, text)


def redirect(location: str) -> web.Response:
    """303 See Other: after a POST the browser GETs the next page."""
    return web.Response(status=303, headers={"Location": location})


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """The page; notices waiting for this session are shown on it (and so used up)."""
    portal = portal_of(request)
    key = session_key(request)
    session = request.get(SESSION)
    base: dict[str, Any] = {
        "user": request.get(USER),
        "csrf": session.csrf if session is not None else "",
        "path": request.path,
        "notices": portal.notices.take(key) if key else [],
        "title": "",
    }
    return page(portal.env, template, status, {**base, **context})


def state_of(url: str) -> str:
    """The `state` parameter of an authorization URL (RFC 6749 4.1.1)."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    values = query.get("state") or [""]
    return values[0]


async def form_of(request: web.Request) -> dict[str, str]:
    data = await request.post()
    return {k: v for k, v in data.items() if isinstance(v, str)}
