"""Control API of the Graph sandbox: the provider side and the test harness, under /_control.

JSON in and out, no authentication, loopback clients only (403 otherwise; sandbox.core.control,
which also serves /_control/info, /_control/requests/count and /_control/save). Never part of the
emulated surface: requests here are not logged, throttled or subject to faults. Provider-side
writes go through the same model as Graph writes, so they change changeKeys and show up in
delta exactly as an edit in Outlook on the web would (and may write read-only shared calendars,
as their owner can). `user` (UPN or id) selects a mailbox; default: the demo user.

  GET    /_control/info                              SandboxInfo as JSON (sandbox.core.control)
  GET    /_control/calendars[?user=]                 calendars (Graph JSON)
  POST   /_control/calendars                         {name, hexColor?, canEdit?, ownerName?,
                                                      ownerAddress?, isDefault?, user?}
  PATCH  /_control/calendars/{id}                    {name?, hexColor?, color?, canEdit?}
  DELETE /_control/calendars/{id}
  GET    /_control/calendars/{id}/events             stored events: singles and series masters
                                                      (with every singleValueExtendedProperty)
  POST   /_control/calendars/{id}/events             Graph event body -> 201 event
  GET|PATCH|DELETE /_control/events/{id}             any id: single, master, occurrence (PATCH
                                                      makes an exception, DELETE cancels it)
  PATCH|DELETE /_control/events/{id}/occurrences/{n} edit / cancel the n-th occurrence (0-based)
  GET    /_control/faults   POST /_control/faults    {match: regex on "METHOD /path?query",
                                                      status, code?, message?, retry_after?,
                                                      times?, skip?}  (skip=N: fail after N
                                                      matching requests, e.g. N delta pages;
                                                      delay_ms=N: no failure, the request is
                                                      served and its answer held N ms)
  DELETE /_control/faults                            remove all fault rules
  POST   /_control/delta/expire                      every delta/skip token (calendar and
                                                      contacts) -> 410 syncStateNotFound
  POST   /_control/tokens/expire                     every access token expires now
  POST   /_control/tokens/lifetime                   {seconds} for new access tokens
  POST   /_control/tokens/revoke                     {user?} refresh tokens revoked (password
                                                      change): refresh -> invalid_grant 50173
  POST   /_control/devices/approve                   {user_code, user?}
  GET    /_control/requests?since=&prefix=           [{method, path, status, ts, mailbox}]
  POST   /_control/requests/reset
  POST   /_control/throttle                          {max_concurrent?, max_requests?,
                                                      window_seconds?, retry_after?, latency_ms?}
  POST   /_control/reset                             {seed?: true, bulk_events?: 0}: wipe
                                                      calendars, events, delta state, faults and
                                                      log of the mailboxes; reseed the demo user
  /_control/contacts/…                               contacts: see contacts_control.py
  GET|POST /_control/users                           identities: see users_control.py
  GET    /_control/issued                            test-only: see issued_control.py
This module must not implement Graph semantics itself; it calls the mailbox model.
"""

from __future__ import annotations

from aiohttp import web

from sandbox import identity
from sandbox.core import control as core
from sandbox.core.control import json_body as _body
from sandbox.delta import DeltaStore
from sandbox.eventprops import EXTENDED_KEY
from sandbox.extprops import expanded
from sandbox.gerrors import GraphError
from sandbox.graph_http import error_response
from sandbox.mailbox import Calendar, Instance, User
from sandbox.render import render_calendar, render_event
from sandbox.state import STATE_KEY, SandboxState


def _st(request: web.Request) -> SandboxState:
    return request.app[STATE_KEY]


def _user(st: SandboxState, name: str | None) -> User:
    return st.mailboxes.find_user(name) if name else st.mailboxes.users[st.user_id]


def _changed(request: web.Request) -> None:
    _st(request).dirty = True


guard = core.guard(GraphError, error_response, _changed)


async def calendars(request: web.Request) -> web.Response:
    st = _st(request)
    if request.method == "GET":
        user = _user(st, request.query.get("user"))
        return web.json_response([render_calendar(c) for c in st.mailboxes.calendars_of(user.id)])
    body = await _body(request)
    user = _user(st, body.get("user"))
    cal = st.mailboxes.add_calendar(
        user.id,
        str(body.get("name") or "Calendar"),
        hex_color=str(body.get("hexColor") or ""),
        can_edit=bool(body.get("canEdit", True)),
        can_share=bool(body.get("canEdit", True)),
        is_default=bool(body.get("isDefault", False)),
        owner_name=str(body.get("ownerName") or user.display_name),
        owner_address=str(body.get("ownerAddress") or user.upn),
    )
    return web.json_response(render_calendar(cal), status=201)


def _calendar(st: SandboxState, cal_id: str) -> Calendar:
    cal = st.mailboxes.calendars.get(cal_id)
    if cal is None:
        raise GraphError(404, "ErrorItemNotFound", "No such calendar.")
    return cal


async def calendar_item(request: web.Request) -> web.StreamResponse:
    st = _st(request)
    cal = _calendar(st, request.match_info["cal"])
    if request.method == "GET":
        return web.json_response(render_calendar(cal))
    if request.method == "PATCH":
        st.mailboxes.update_calendar(cal, await _body(request))
        return web.json_response(render_calendar(cal))
    st.mailboxes.delete_calendar(cal)
    return web.Response(status=204)


async def calendar_events(request: web.Request) -> web.StreamResponse:
    st = _st(request)
    cal = _calendar(st, request.match_info["cal"])
    mb = st.mailboxes
    if request.method == "GET":
        rows = [
            {
                **render_event(mb, mb.resolve(cal.owner_user_id, e.id)),
                "singleValueExtendedProperties": expanded(e.props.get(EXTENDED_KEY, {}), None),
            }
            for e in mb.events.values()
            if e.calendar_id == cal.id
        ]
        return web.json_response(rows)
    ev, created = mb.create_event(cal, await _body(request))
    return web.json_response(
        render_event(mb, mb.resolve(cal.owner_user_id, ev.id)), status=201 if created else 200
    )


def _instance(st: SandboxState, item_id: str) -> Instance:
    from sandbox.mailbox import parse_occurrence_id

    occ = parse_occurrence_id(item_id)
    ev = st.mailboxes.events.get(occ[0] if occ else item_id)
    if ev is None:
        raise GraphError(404, "ErrorItemNotFound", "No such event.")
    owner = st.mailboxes.calendars[ev.calendar_id].owner_user_id
    return st.mailboxes.resolve(owner, item_id)


async def _edit(st: SandboxState, inst: Instance, request: web.Request) -> web.StreamResponse:
    mb = st.mailboxes
    if request.method == "GET":
        return web.json_response(render_event(mb, inst))
    if request.method == "PATCH":
        return web.json_response(render_event(mb, mb.update(inst, await _body(request))))
    mb.delete(inst)
    return web.Response(status=204)


async def event_item(request: web.Request) -> web.StreamResponse:
    st = _st(request)
    return await _edit(st, _instance(st, request.match_info["id"]), request)


async def occurrence_item(request: web.Request) -> web.StreamResponse:
    st = _st(request)
    master = _instance(st, request.match_info["id"])
    if master.kind != "seriesMaster":
        raise GraphError(400, "ErrorInvalidRequest", "Not a series master.")
    key = st.mailboxes.nth_occurrence_key(master.event, int(request.match_info["n"]))
    inst = st.mailboxes.instance_for_key(master.event, key)
    if inst is None:
        raise GraphError(404, "ErrorItemNotFound", "That occurrence is cancelled.")
    return await _edit(st, inst, request)


async def faults(request: web.Request) -> web.Response:
    st = _st(request)
    if request.method == "POST":
        rule = st.faults.add(await _body(request))
        return web.json_response(rule.to_json(), status=201)
    if request.method == "DELETE":
        st.faults.clear()
    return web.json_response([r.to_json() for r in st.faults.rules])


async def delta_expire(request: web.Request) -> web.Response:
    st = _st(request)
    return web.json_response({"expired": st.delta.expire_all() + st.contacts.delta.expire_all()})


async def tokens_expire(request: web.Request) -> web.Response:
    return web.json_response({"expired": _st(request).tokens.expire_access()})


async def tokens_lifetime(request: web.Request) -> web.Response:
    st = _st(request)
    st.tokens.access_lifetime = int((await _body(request)).get("seconds", 3600))
    return web.json_response({"seconds": st.tokens.access_lifetime})


async def tokens_revoke(request: web.Request) -> web.Response:
    st = _st(request)
    name = (await _body(request)).get("user")
    user_id = _user(st, name).id if name else None
    return web.json_response({"revoked": st.tokens.revoke_refresh(user_id)})


async def devices_approve(request: web.Request) -> web.Response:
    st = _st(request)
    body = await _body(request)
    ok = identity.approve_device(st, str(body.get("user_code", "")), _user(st, body.get("user")))
    return web.json_response({"approved": ok}, status=200 if ok else 404)


async def requests_log(request: web.Request) -> web.Response:
    st = _st(request)
    if request.method == "POST":
        st.log.clear()
        return web.json_response({"reset": True})
    since = float(request.query.get("since", "0") or 0)
    prefix = request.query.get("prefix", "")
    return web.json_response(
        [vars(r) for r in st.log if r.ts >= since and r.path.startswith(prefix)]
    )


async def throttle(request: web.Request) -> web.Response:
    st = _st(request)
    body = await _body(request)
    for key in ("max_concurrent", "max_requests", "retry_after"):
        if key in body:
            setattr(st.throttle, key, int(body[key]))
    if "window_seconds" in body:
        st.throttle.window_seconds = float(body["window_seconds"])
    if "latency_ms" in body:
        st.latency = float(body["latency_ms"]) / 1000.0
    return web.json_response(
        {
            "max_concurrent": st.throttle.max_concurrent,
            "max_requests": st.throttle.max_requests,
            "window_seconds": st.throttle.window_seconds,
            "retry_after": st.throttle.retry_after,
            "latency_ms": st.latency * 1000,
        }
    )


def reset_state(st: SandboxState, seed: bool, bulk_events: int) -> None:
    from sandbox.seeding import apply_seed, load_seed

    mb = st.mailboxes
    mb.calendars.clear()
    mb.events.clear()
    mb.tombstones.clear()
    mb.transactions.clear()
    for user in mb.users.values():
        if user.id != st.user_id:
            mb.add_calendar(user.id, "Calendar", is_default=True, hex_color="#0078d4")
    st.delta = DeltaStore()
    st.contacts.clear()
    st.todo.clear()
    st.faults.clear()
    st.log.clear()
    if seed or bulk_events:
        apply_seed(mb, st.user_id, load_seed(bulk_events))
    if seed:
        import datetime as dt

        from sandbox.contacts_seed import apply_contacts_seed
        from sandbox.seed import day_of
        from sandbox.seed_delegation import apply_graph

        apply_contacts_seed(st.contacts, st.user_id)
        apply_graph(mb, st.user_id, day_of(dt.datetime.now(dt.UTC)))  # issue 15
    if not mb.calendars_of(st.user_id):
        mb.add_calendar(st.user_id, "Calendar", is_default=True, hex_color="#0078d4")


async def reset(request: web.Request) -> web.Response:
    st = _st(request)
    body = await _body(request)
    reset_state(st, bool(body.get("seed", True)), int(body.get("bulk_events", 0)))
    return web.json_response(
        {"calendars": len(st.mailboxes.calendars), "events": len(st.mailboxes.events)}
    )


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_route("GET", "/_control/calendars", calendars)
    r.add_route("POST", "/_control/calendars", calendars)
    for method in ("GET", "PATCH", "DELETE"):
        r.add_route(method, "/_control/calendars/{cal}", calendar_item)
        r.add_route(method, "/_control/events/{id}", event_item)
    for method in ("GET", "POST"):
        r.add_route(method, "/_control/calendars/{cal}/events", calendar_events)
    for method in ("GET", "PATCH", "DELETE"):
        r.add_route(method, "/_control/events/{id}/occurrences/{n:\\d+}", occurrence_item)
    for method in ("GET", "POST", "DELETE"):
        r.add_route(method, "/_control/faults", faults)
    r.add_post("/_control/delta/expire", delta_expire)
    r.add_post("/_control/tokens/expire", tokens_expire)
    r.add_post("/_control/tokens/lifetime", tokens_lifetime)
    r.add_post("/_control/tokens/revoke", tokens_revoke)
    r.add_post("/_control/devices/approve", devices_approve)
    r.add_get("/_control/requests", requests_log)
    r.add_post("/_control/requests/reset", requests_log)
    r.add_post("/_control/throttle", throttle)
    r.add_post("/_control/reset", reset)
    from sandbox import contacts_control, issued_control, messages, users_control

    contacts_control.add_routes(app)
    users_control.add_routes(app)
    messages.add_routes(app)  # test-only: the meeting messages Graph would send
    issued_control.add_routes(app)  # test-only: the secrets issued (GET /_control/issued)
