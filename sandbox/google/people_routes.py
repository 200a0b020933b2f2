"""People API v1 routes (paths of the bundled discovery document, root = the sandbox base URL).

  GET    /v1/people/me/connections                 people.connections.list (people_sync.py)
  GET    /v1/people/{id}                           people.get (personFields required)
  POST   /v1/people:createContact                  people.createContact (personFields)
  PATCH  /v1/people/{id}:updateContact             updatePersonFields required; etag checked
  DELETE /v1/people/{id}:deleteContact
  PATCH  /v1/people/{id}:updateContactPhoto        {photoBytes (base64), personFields?}
  DELETE /v1/people/{id}:deleteContactPhoto
  GET    /v1/contactGroups                         contactGroups.list (pageSize, pageToken)
  POST   /v1/contactGroups                         contactGroups.create {contactGroup{name}}
  GET    /v1/contactGroups/{id}                    contactGroups.get (maxMembers)
  POST   /v1/contactGroups/{id}/members:modify     resourceNamesToAdd / resourceNamesToRemove
  GET    /people-photos/{key}                      photo bytes (public, as googleusercontent)
Bearer tokens: reads need contacts or contacts.readonly, writes contacts, else 403
PERMISSION_DENIED (method scopes of the discovery document). This module must not hold state.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from aiohttp import web

from sandbox.google.errors import auth_error
from sandbox.google.people_errors import PeopleError, insufficient_scope, invalid
from sandbox.google.people_model import CONTACTS, PEOPLE_SCOPES, PeopleStore
from sandbox.google.people_render import (
    PHOTO_PATH,
    parse_fields,
    render_group,
    render_person,
)
from sandbox.google.people_seed import jpeg_bytes
from sandbox.google.people_sync import list_connections
from sandbox.google.state import STATE_KEY, GoogleState

DEFAULT_FIELDS = "names,emailAddresses,phoneNumbers,metadata"


def _st(request: web.Request) -> GoogleState:
    return request.app[STATE_KEY]


def _people(request: web.Request) -> PeopleStore:
    return _st(request).people


def authorize(request: web.Request, write: bool = False) -> None:
    st = _st(request)
    header = request.headers.get("Authorization", "")
    value = header[7:].strip() if header.lower().startswith("bearer ") else ""
    tok = st.tokens.valid_access(value or request.query.get("access_token", ""))
    if tok is None:
        raise auth_error()
    allowed = {CONTACTS} if write else set(PEOPLE_SCOPES)
    if not allowed.intersection(tok.scopes):
        raise insufficient_scope()


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise invalid("Invalid JSON payload received.") from exc
    if not isinstance(data, dict):
        raise invalid("Invalid JSON payload received.")
    return data


def _json(data: Any) -> web.Response:
    return web.json_response(data, content_type="application/json")


def _written(request: web.Request) -> None:
    _st(request).dirty = True


async def connections(request: web.Request) -> web.Response:
    authorize(request)
    st = _st(request)
    return _json(list_connections(st.people, request.query, st.base_url))


async def person(request: web.Request) -> web.StreamResponse:
    """people/{id}[:verb] — one route for get, updateContact, deleteContact and the photo verbs."""
    st = _st(request)
    store = st.people
    pid, _, verb = request.match_info["name"].partition(":")
    rn = f"people/{pid}"
    if request.method == "GET" and not verb:
        authorize(request)
        fields = parse_fields(request.query.get("personFields"))
        if pid == "me":
            return _json(_me(st, fields))
        return _json(render_person(store, store.contact(rn), fields, st.base_url))
    authorize(request, write=True)
    contact = store.contact(rn)
    if request.method == "PATCH" and verb == "updateContact":
        body = await _body(request)
        mask = [p for p in request.query.get("updatePersonFields", "").split(",") if p]
        if body.get("resourceName") and body["resourceName"] != rn:
            raise invalid("person.resourceName does not match the resource name of the request.")
        store.update(contact, body, [m.removeprefix("person.") for m in mask])
        fields = parse_fields(request.query.get("personFields"), required=False)
        _written(request)
        return _json(render_person(store, contact, fields or list(_all()), st.base_url))
    if request.method == "DELETE" and verb == "deleteContact":
        store.delete(contact)
        _written(request)
        return _json({})
    if request.method == "PATCH" and verb == "updateContactPhoto":
        body = await _body(request)
        try:
            data = base64.b64decode(str(body.get("photoBytes") or ""), validate=False)
        except (binascii.Error, ValueError) as exc:
            raise invalid("Invalid value at 'photo_bytes' (TYPE_BYTES).") from exc
        if not data:
            raise invalid("photoBytes is required.")
        store.set_photo(contact, data)
        _written(request)
        fields = parse_fields(str(body.get("personFields") or ""), required=False)
        out: dict[str, Any] = {}
        if fields:
            out["person"] = render_person(store, contact, fields, st.base_url)
        return _json(out)
    if request.method == "DELETE" and verb == "deleteContactPhoto":
        store.set_photo(contact, None)
        _written(request)
        fields = parse_fields(request.query.get("personFields"), required=False)
        resp: dict[str, Any] = {}
        if fields:
            resp["person"] = render_person(store, contact, fields, st.base_url)
        return _json(resp)
    raise PeopleError(404, "notFound", "Method not found.")


def _all() -> tuple[str, ...]:
    from sandbox.google.people_model import READABLE

    return tuple(sorted(READABLE))


def _me(st: GoogleState, fields: list[str]) -> dict[str, Any]:
    user = st.user
    source = {"type": "PROFILE", "id": hashlib.sha256(user.encode()).hexdigest()[:21]}
    out: dict[str, Any] = {"resourceName": f"people/{source['id']}", "etag": "%EgMBAgM="}
    if "names" in fields:
        name = st.names.get(user, user)
        out["names"] = [{"metadata": {"primary": True, "source": source}, "displayName": name}]
    if "emailAddresses" in fields:
        out["emailAddresses"] = [{"metadata": {"primary": True, "source": source}, "value": user}]
    return out


async def create_contact(request: web.Request) -> web.Response:
    authorize(request, write=True)
    st = _st(request)
    fields = parse_fields(request.query.get("personFields"), required=False)
    contact = st.people.create(await _body(request))
    _written(request)
    return _json(render_person(st.people, contact, fields or list(_all()), st.base_url))


async def groups(request: web.Request) -> web.Response:
    st = _st(request)
    store = st.people
    if request.method == "POST":
        authorize(request, write=True)
        body = await _body(request)
        spec = body.get("contactGroup") or {}
        grp = store.add_group(str(spec.get("name") or ""))
        _written(request)
        return _json(render_group(store, grp))
    authorize(request)
    rows = [g for g in store.groups.values() if not g.deleted]
    try:
        size = int(request.query.get("pageSize") or 0) or 30
        offset = int(request.query.get("pageToken") or 0)
    except ValueError as exc:
        raise invalid("Invalid page token or size.") from exc
    wanted = [f for f in request.query.get("groupFields", "").split(",") if f] or None
    page = rows[offset : offset + size]
    out: dict[str, Any] = {
        "contactGroups": [render_group(store, g, group_fields=wanted) for g in page],
        "totalItems": len(rows),
    }
    if offset + size < len(rows):
        out["nextPageToken"] = str(offset + size)
    else:
        out["nextSyncToken"] = f"GR{store.seq}"
    return _json(out)


async def group(request: web.Request) -> web.Response:
    authorize(request)
    store = _people(request)
    grp = store.group(request.match_info["gid"])
    try:
        max_members = int(request.query.get("maxMembers") or 0)
    except ValueError as exc:
        raise invalid("Invalid value at 'max_members' (TYPE_INT32).") from exc
    wanted = [f for f in request.query.get("groupFields", "").split(",") if f] or None
    return _json(render_group(store, grp, max_members, wanted))


async def modify_members(request: web.Request) -> web.Response:
    authorize(request, write=True)
    store = _people(request)
    grp = store.group(request.match_info["gid"])
    body = await _body(request)
    add = [str(x) for x in body.get("resourceNamesToAdd") or []]
    remove = [str(x) for x in body.get("resourceNamesToRemove") or []]
    if len(add) + len(remove) > 1000:
        raise invalid("Too many resource names: at most 1000 may be added or removed.")
    missing, last = store.modify_members(grp, add, remove)
    _written(request)
    out: dict[str, Any] = {}
    if missing:
        out["notFoundResourceNames"] = missing
    if last:
        out["canNotRemoveLastContactGroupResourceNames"] = last
    return _json(out)


# What the generated default avatar URL serves.
DEFAULT_AVATAR = jpeg_bytes("default avatar")


async def photo(request: web.Request) -> web.Response:
    store = _people(request)
    key = request.match_info["key"]
    if key.startswith("default-"):
        return web.Response(body=DEFAULT_AVATAR, content_type="image/jpeg")
    data = store.photos.get(key)
    if data is None:
        raise web.HTTPNotFound()
    raw = base64.b64decode(data)
    kind = "image/png" if raw.startswith(b"\x89PNG") else "image/jpeg"
    return web.Response(body=raw, content_type=kind)


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/v1/people/me/connections", connections)
    r.add_post("/v1/people:createContact", create_contact)
    for method in ("GET", "PATCH", "DELETE"):
        r.add_route(method, "/v1/people/{name}", person)
    r.add_get("/v1/contactGroups", groups)
    r.add_post("/v1/contactGroups", groups)
    r.add_get("/v1/contactGroups/{gid}", group)
    r.add_post("/v1/contactGroups/{gid}/members:modify", modify_members)
    r.add_get(PHOTO_PATH + "{key}", photo)
