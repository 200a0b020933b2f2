"""Emulated Microsoft Graph v1.0 directory surface (K5): the organisation's users.

  GET /v1.0/users          "List users" (learn.microsoft.com/graph/api/user-list): `$select`,
                           `$top` (1-999, default 100), paged by `@odata.nextLink` carrying a
                           `$skiptoken`.
  GET /v1.0/users/delta    "user: delta" (learn.microsoft.com/graph/api/user-delta): a first
                           round pages through everyone (`@odata.nextLink` with `$skiptoken`),
                           its last page carries `@odata.deltaLink` with a `$deltatoken`; that
                           link later returns only users changed since, and users gone as
                           `{"id", "@removed": {"reason": "changed"}}`. Page size follows
                           `Prefer: odata.maxpagesize`. A token the service no longer knows ->
                           410 syncStateNotFound (delta-query-overview: "synchronization reset").

Permissions ("Microsoft Graph permissions reference"; user-list "Permissions"): a delegated
token needs User.ReadBasic.All, User.Read.All or Directory.Read.All, else 403
Authorization_RequestDenied "Insufficient privileges to complete the operation.". With only
User.ReadBasic.All the answer is limited to the basic profile — displayName, givenName,
surname, mail, userPrincipalName (and id); businessPhones, mobilePhone, jobTitle, department
are left out, as the permissions reference says of User.ReadBasic.All. Application tokens need
the User.Read.All role. This module must not hold state; the directory is the app's.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

from aiohttp import web

from sandbox.directory_control import DIRECTORY_KEY
from sandbox.directory_people import Directory, Person
from sandbox.gerrors import GraphError
from sandbox.graph_http import authenticate
from sandbox.state import STATE_KEY

_FULL = {"user.read.all", "user.readwrite.all", "directory.read.all", "directory.readwrite.all"}
_BASIC = {"user.readbasic.all"}
BASIC_PROPS = ("id", "displayName", "givenName", "surname", "mail", "userPrincipalName")
ALL_PROPS = (
    *BASIC_PROPS,
    "jobTitle",
    "department",
    "businessPhones",
    "mobilePhone",
)
DEFAULT_TOP = 100


def _denied() -> GraphError:
    return GraphError(
        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
    )


def _allowed_props(request: web.Request) -> tuple[str, ...]:
    caller = authenticate(request.app[STATE_KEY], request)
    granted = {s.lower() for s in caller.token.scopes}
    if granted & _FULL:
        return ALL_PROPS
    if caller.delegated and granted & _BASIC:
        return BASIC_PROPS
    raise _denied()


def user_json(p: Person, props: tuple[str, ...]) -> dict[str, Any]:
    full: dict[str, Any] = {
        "id": p.id,
        "displayName": p.display_name,
        "givenName": p.given or None,
        "surname": p.family or None,
        "mail": p.email,
        "userPrincipalName": p.email,
        "jobTitle": p.title or None,
        "department": p.department or None,
        "businessPhones": [p.office] if p.office else [],
        "mobilePhone": p.mobile or None,
    }
    return {k: full[k] for k in props if k in full}


def _selected(
    request: web.Request, allowed: tuple[str, ...], select: str | None
) -> tuple[str, ...]:
    if not select:
        return allowed
    wanted = {s.strip().lower() for s in select.split(",") if s.strip()}
    known = {p.lower() for p in ALL_PROPS}
    bad = sorted(wanted - known)
    if bad:
        raise GraphError(
            400,
            "Request_BadRequest",
            f"Could not find a property named '{bad[0]}' on type "
            "'Microsoft.DirectoryServices.User'.",
        )
    return tuple(p for p in allowed if p.lower() in wanted or p == "id")


def _base(request: web.Request) -> str:
    return f"{request.app[STATE_KEY].base_url}/v1.0"


def _query(request: web.Request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.query.items()}


def _page_size(request: web.Request, query: dict[str, str]) -> int:
    top = query.get("$top")
    if top is not None:
        if not top.isdigit() or not 1 <= int(top) <= 999:
            raise GraphError(400, "Request_BadRequest", f"Invalid page size specified: '{top}'.")
        return int(top)
    for prefer in request.headers.getall("Prefer", []):
        for part in prefer.split(","):
            key, _, value = part.strip().partition("=")
            if key.lower() == "odata.maxpagesize" and value.isdigit():
                return max(1, min(int(value), 999))
    return DEFAULT_TOP


async def users(request: web.Request) -> web.Response:
    allowed = _allowed_props(request)
    q = _query(request)
    d: Directory = request.app[DIRECTORY_KEY]
    props = _selected(request, allowed, q.get("$select"))
    size = _page_size(request, q)
    skip_text = q.get("$skiptoken", "0")
    skip = int(skip_text) if skip_text.isdigit() else 0
    people = d.listing()
    body: dict[str, Any] = {
        "@odata.context": f"{_base(request)}/$metadata#users",
        "value": [user_json(p, props) for p in people[skip : skip + size]],
    }
    if skip + size < len(people):
        extra = f"&$select={quote(q['$select'], safe=',')}" if q.get("$select") else ""
        body["@odata.nextLink"] = (
            f"{_base(request)}/users?$top={size}&$skiptoken={skip + size}{extra}"
        )
    return web.json_response(body)


def _token(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, sort_keys=True).encode()).decode().rstrip("=")


def _untoken(text: str) -> dict[str, Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(raw, dict) or not isinstance(raw.get("v"), int):
            raise ValueError(text)
        return raw
    except ValueError as exc:
        raise GraphError(
            410, "syncStateNotFound", "The sync state generation is not found or expired."
        ) from exc


async def users_delta(request: web.Request) -> web.Response:
    allowed = _allowed_props(request)
    q = _query(request)
    d: Directory = request.app[DIRECTORY_KEY]
    size = _page_size(request, q)
    if "$deltatoken" in q:
        state = _untoken(q["$deltatoken"])
        if state["v"] > d.version:
            state = _untoken("")
        state = {"since": state["v"], "v": d.version, "o": 0, "s": state.get("s", "")}
    elif "$skiptoken" in q:
        state = _untoken(q["$skiptoken"])
    else:  # a new round: everyone, from the version now
        state = {"since": 0, "v": d.version, "o": 0, "s": q.get("$select", "")}
    props = _selected(request, allowed, state.get("s") or None)
    since = int(state.get("since", 0))
    if since:
        changed, gone = d.changed_since(since)
        rows = [user_json(p, props) for p in changed]
        rows += [{"id": pid, "@removed": {"reason": "changed"}} for pid in gone]
    else:
        rows = [user_json(p, props) for p in d.listing()]
    offset = int(state.get("o", 0))
    body: dict[str, Any] = {
        "@odata.context": f"{_base(request)}/$metadata#users",
        "value": rows[offset : offset + size],
    }
    if offset + size < len(rows):
        body["@odata.nextLink"] = (
            f"{_base(request)}/users/delta?$skiptoken={_token({**state, 'o': offset + size})}"
        )
    else:
        done = {"v": state["v"], "s": state.get("s", "")}
        body["@odata.deltaLink"] = f"{_base(request)}/users/delta?$deltatoken={_token(done)}"
    return web.json_response(body)


def add_routes(app: web.Application) -> None:
    """Before the catch-all Graph route (routes match in the order added)."""
    app.router.add_get("/v1.0/users", users)
    app.router.add_get("/v1.0/users/delta", users_delta)
    app.router.add_get("/v1.0/users/delta()", users_delta)
