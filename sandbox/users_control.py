"""Control API of the Graph sandbox for identities: add users to the tenant (test harness only).

  GET    /_control/users     [{id, upn, display_name}]
  POST   /_control/users     {upn, display_name, password} -> 201 {id, upn}: a new user with a
                             mailbox and a default calendar (as the seeded second user has), who
                             can sign in at /authorize and is read by Graph like any other user

Registered by control.py, so the loopback guard and persistence (the state's `dirty` flag) apply.
A duplicate UPN is refused as Graph's "Create user" refuses it (400 Request_BadRequest, "Another
object with the same value for property userPrincipalName already exists."). This module must
not implement sign-in or Graph semantics; it only calls the mailbox model.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.gerrors import GraphError
from sandbox.state import STATE_KEY


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise GraphError(400, "Request_BadRequest", f"Property '{key}' is required.")
    return value.strip()


async def users(request: web.Request) -> web.Response:
    mailboxes = request.app[STATE_KEY].mailboxes
    if request.method == "GET":
        return web.json_response(
            [
                {"id": u.id, "upn": u.upn, "display_name": u.display_name}
                for u in mailboxes.users.values()
            ]
        )
    data = await request.json() if request.can_read_body else {}
    body = data if isinstance(data, dict) else {}
    upn, name = _text(body, "upn").lower(), _text(body, "display_name")
    password = body.get("password")
    if not isinstance(password, str) or not password:
        raise GraphError(400, "Request_BadRequest", "Property 'password' is required.")
    if "@" not in upn:
        raise GraphError(
            400, "Request_BadRequest", "Property userPrincipalName has an invalid value."
        )
    if any(u.upn.lower() == upn for u in mailboxes.users.values()):
        raise GraphError(
            400,
            "Request_BadRequest",
            "Another object with the same value for property userPrincipalName already exists.",
        )
    user = mailboxes.add_user(upn, name, password)
    mailboxes.add_calendar(user.id, "Calendar", is_default=True, hex_color="#0078d4")
    return web.json_response({"id": user.id, "upn": user.upn}, status=201)


def add_routes(app: web.Application) -> None:
    app.router.add_route("GET", "/_control/users", users)
    app.router.add_route("POST", "/_control/users", users)
