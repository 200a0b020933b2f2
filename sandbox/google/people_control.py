"""Control API for Google contacts (the provider side and the test harness), under /_control/people.

Registered by control.py's guard (loopback only, not logged, no faults). Writes go through the
same PeopleStore as API writes, so they get new etags and show up in incremental sync exactly as
an edit in Google Contacts would; they need no etag.

  GET    /_control/people                          every live contact (all fields)
  POST   /_control/people                          person body (+ photoBytes?) -> 201 person
  GET|PATCH|DELETE /_control/people/{id}           {id} = "c123…" or "people/c123…"; PATCH
                                                   replaces the fields present in the body
                                                   (null clears one)
  POST   /_control/people/{id}/photo               {photoBytes: base64 | null}
  GET    /_control/people-groups                   every contact group (with members)
  POST   /_control/people-groups                   {name} -> 201 user contact group
  POST   /_control/people-groups/{gid}/members     {add: [...], remove: [...]} ({gid} is an id,
                                                   "contactGroups/…" or a group name)
  POST   /_control/people-sync/expire              every contacts sync token -> 400
                                                   EXPIRED_SYNC_TOKEN
This module must not implement People semantics itself; it calls the store.
"""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web

from sandbox.google.people_model import READABLE, WRITABLE, Contact, Group, PeopleStore
from sandbox.google.people_render import render_group, render_person
from sandbox.google.state import STATE_KEY, GoogleState

ALL_FIELDS = sorted(READABLE)


def _st(request: web.Request) -> GoogleState:
    return request.app[STATE_KEY]


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    data = await request.json()
    return data if isinstance(data, dict) else {}


def _render(st: GoogleState, contact: Contact) -> dict[str, Any]:
    return render_person(st.people, contact, ALL_FIELDS, st.base_url)


def _contact(request: web.Request) -> Contact:
    pid = request.match_info["id"].removeprefix("people/")
    return _st(request).people.contact(f"people/{pid}")


def _photo(body: dict[str, Any]) -> bytes | None:
    raw = body.pop("photoBytes", None)
    return base64.b64decode(raw) if raw else None


async def people(request: web.Request) -> web.Response:
    st = _st(request)
    if request.method == "GET":
        return web.json_response([_render(st, c) for c in st.people.live()])
    body = await _body(request)
    photo = _photo(body)
    contact = st.people.create(body, photo)
    return web.json_response(_render(st, contact), status=201)


async def person(request: web.Request) -> web.StreamResponse:
    st = _st(request)
    contact = _contact(request)
    if request.method == "DELETE":
        st.people.delete(contact)
        return web.Response(status=204)
    if request.method == "PATCH":
        body = await _body(request)
        mask = [k for k in body if k in WRITABLE]
        st.people.update(
            contact, {k: v for k, v in body.items() if v is not None}, mask, check_etag=False
        )
    return web.json_response(_render(st, contact))


async def photo(request: web.Request) -> web.Response:
    st = _st(request)
    contact = _contact(request)
    st.people.set_photo(contact, _photo(await _body(request)))
    return web.json_response(_render(st, contact))


def _group(store: PeopleStore, key: str) -> Group:
    for grp in store.groups.values():
        if (
            not grp.deleted
            and key in (grp.id, grp.resource_name)
            or (grp.group_type == "USER_CONTACT_GROUP" and grp.name == key)
        ):
            return grp
    return store.group(key)


async def groups(request: web.Request) -> web.Response:
    st = _st(request)
    if request.method == "POST":
        grp = st.people.add_group(str((await _body(request)).get("name") or ""))
        return web.json_response(render_group(st.people, grp, 10**6), status=201)
    return web.json_response(
        [render_group(st.people, g, 10**6) for g in st.people.groups.values() if not g.deleted]
    )


async def members(request: web.Request) -> web.Response:
    st = _st(request)
    grp = _group(st.people, request.match_info["gid"])
    body = await _body(request)

    def names(key: str) -> list[str]:
        return [f"people/{str(x).removeprefix('people/')}" for x in body.get(key) or []]

    missing, last = st.people.modify_members(grp, names("add"), names("remove"))
    return web.json_response(
        {"notFound": missing, "canNotRemoveLast": last, **render_group(st.people, grp, 10**6)}
    )


async def sync_expire(request: web.Request) -> web.Response:
    st = _st(request)
    st.people.epoch += 1
    return web.json_response({"epoch": st.people.epoch})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_route("GET", "/_control/people", people)
    r.add_route("POST", "/_control/people", people)
    for method in ("GET", "PATCH", "DELETE"):
        r.add_route(method, "/_control/people/{id}", person)
    r.add_post("/_control/people/{id}/photo", photo)
    r.add_route("GET", "/_control/people-groups", groups)
    r.add_route("POST", "/_control/people-groups", groups)
    r.add_post("/_control/people-groups/{gid}/members", members)
    r.add_post("/_control/people-sync/expire", sync_expire)
