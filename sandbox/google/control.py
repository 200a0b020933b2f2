"""Control API of the Google sandbox: the provider side and the test harness, under /_control.

JSON in and out, no authentication, loopback clients only (403 otherwise; sandbox.core.control,
which also serves /_control/info, /_control/requests/count and /_control/save). Never part of the
emulated surface: requests here are not logged, throttled or subject to faults. Provider-side
writes go through the same store as API writes, so they get new etags and show up in
incremental sync exactly as an edit in Google Calendar would; they may write the read-only
shared calendar (as its owner can) and may set `organizer`, `creator`, `iCalUID` and `id`.
`{cal}` is a calendar id (or `primary`); `{id}` any event id, including an instance id
`<masterId>_<YYYYMMDDTHHMMSSZ>` (PATCH makes an exception, DELETE cancels the occurrence).

  GET    /_control/info                               GoogleSandboxInfo as JSON
  GET    /_control/calendars                          calendarList entries
  POST   /_control/calendars                          {summary, accessRole?="owner", owner?,
                                                       timeZone?, description?, colorId?,
                                                       backgroundColor?} -> 201 entry
  ?user=<email> on the calendars/{cal}/events routes: that account's calendars (default: the
  demo user's)
  GET    /_control/calendars/{cal}/events             every stored event (incl. cancelled and
                                                       exceptions), as stored
  POST   /_control/calendars/{cal}/events             event body (conferenceData honoured) -> 201
  GET|PATCH|PUT|DELETE /_control/calendars/{cal}/events/{id}
  PATCH|DELETE /_control/calendars/{cal}/events/{id}/occurrences/{n}
                                                      edit / cancel the n-th occurrence (0-based)
  GET|POST|DELETE /_control/faults                    {match: regex on "METHOD /path?query",
                                                       status, reason?, message?, retry_after?,
                                                       times?, skip?}; reason defaults by status:
                                                       403/429 rateLimitExceeded, 5xx
                                                       backendError. skip=N: fail after N matches;
                                                       delay_ms=N: no failure, the request is
                                                       served and its answer held N ms
  POST   /_control/sync/expire                        every sync and page token -> 410
                                                       fullSyncRequired
  POST   /_control/tokens/expire                      every access token expires now (-> 401)
  POST   /_control/tokens/lifetime                    {seconds} for new access tokens
  POST   /_control/tokens/revoke                      {user?, include_inspect?=false}: refresh
                                                       tokens revoked as by a password change ->
                                                       invalid_grant "Token has been expired or
                                                       revoked." (the inspection grant survives
                                                       unless include_inspect)
  GET    /_control/requests?since=&prefix=            [{method, path, query, status, ts}]
  POST   /_control/requests/reset
  POST   /_control/reset                              {seed?: true, bulk_events?: 0}: wipe
                                                       calendars, events, contacts, faults and
                                                       log (sync tokens -> 410/400); reseed
  GET    /_control/users                              [{email, name}]
  POST   /_control/users                              {email, name, password} -> 201 {email,
                                                       name}: an account that can sign in
                                                       (OAuth / OpenID Connect); 400 if taken
  /_control/people…                                   contacts: see people_control.py
  GET    /_control/issued                             test-only: see issued_control.py
This module must not implement Calendar semantics itself; it calls the store.
"""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from sandbox import messages
from sandbox.core import control as core
from sandbox.core.control import json_body as _body
from sandbox.google import people_control
from sandbox.google.errors import ApiError, bad_request
from sandbox.google.gateway import DEFAULT_REASONS, error_response
from sandbox.google.people_seed import seed_people
from sandbox.google.render import render_event, render_list_entry
from sandbox.google.seed import seed_store
from sandbox.google.state import STATE_KEY, GoogleState, primary_calendar
from sandbox.google.store import Calendar, Store


def _st(request: web.Request) -> GoogleState:
    return request.app[STATE_KEY]


def _changed(request: web.Request) -> None:
    _st(request).dirty = True


guard = core.guard(ApiError, lambda _request, err: error_response(err), _changed)


async def calendars(request: web.Request) -> web.Response:
    st = _st(request)
    if request.method == "GET":
        return web.json_response([render_list_entry(c) for c in st.store.calendars.values()])
    body = await _body(request)
    role = str(body.get("accessRole") or "owner")
    if role not in ("owner", "writer", "reader", "freeBusyReader"):
        raise bad_request("Invalid accessRole.")
    cal = st.store.add_calendar(
        Calendar(
            id=f"c_{st.store.new_id(26)}@group.calendar.google.com",
            summary=str(body.get("summary") or "Calendar"),
            time_zone=str(body.get("timeZone") or "America/Los_Angeles"),
            access_role=role,
            owner=str(body.get("owner") or st.user),
            description=str(body.get("description") or ""),
            color_id=str(body.get("colorId") or "14"),
            background_color=str(body.get("backgroundColor") or "#9fe1e7"),
        )
    )
    return web.json_response(render_list_entry(cal), status=201)


def _store(request: web.Request) -> Store:
    """The demo user's calendars, or `?user=`'s (another account of the domain)."""
    st = _st(request)
    user = request.query.get("user")
    return st.store_for(user) if user else st.store


def _cal(request: web.Request) -> Calendar:
    return _store(request).calendar(request.match_info["cal"])


async def calendar_events(request: web.Request) -> web.Response:
    store = _store(request)
    cal = _cal(request)
    if request.method == "GET":
        return web.json_response([s.data for s in store.stored(cal).values()])
    data = store.insert(cal, await _body(request), use_conference=True, provider_side=True)
    return web.json_response(render_event(data, cal.time_zone, cal.time_zone), status=201)


async def _edit(request: web.Request, cal: Calendar, event_id: str) -> web.StreamResponse:
    store = _store(request)
    if request.method == "GET":
        _, data = store.resolve(cal, event_id)
        return web.json_response(render_event(data, cal.time_zone, cal.time_zone))
    if request.method == "DELETE":
        store.delete(cal, event_id, provider_side=True)
        return web.Response(status=204)
    data = store.modify(
        cal,
        event_id,
        await _body(request),
        replace=request.method == "PUT",
        use_conference=True,
        provider_side=True,
    )
    return web.json_response(render_event(data, cal.time_zone, cal.time_zone))


async def event_item(request: web.Request) -> web.StreamResponse:
    return await _edit(request, _cal(request), request.match_info["id"])


async def occurrence_item(request: web.Request) -> web.StreamResponse:
    cal = _cal(request)
    occ = _store(request).occurrence_id(cal, request.match_info["id"], int(request.match_info["n"]))
    return await _edit(request, cal, occ)


async def faults(request: web.Request) -> web.Response:
    st = _st(request)
    if request.method == "POST":
        spec = await _body(request)
        status = int(spec.get("status", 503))
        spec["code"] = (
            spec.get("reason") or spec.get("code") or DEFAULT_REASONS.get(status, "backendError")
        )
        rule = st.faults.add(spec)
        return web.json_response(rule.to_json(), status=201)
    if request.method == "DELETE":
        st.faults.clear()
    return web.json_response([r.to_json() for r in st.faults.rules])


async def sync_expire(request: web.Request) -> web.Response:
    st = _st(request)
    for store in (st.store, *st.others.values()):
        store.epoch += 1
    return web.json_response({"epoch": st.store.epoch})


async def tokens_expire(request: web.Request) -> web.Response:
    return web.json_response({"expired": _st(request).tokens.expire_access()})


async def tokens_lifetime(request: web.Request) -> web.Response:
    st = _st(request)
    st.tokens.access_lifetime = int((await _body(request)).get("seconds", 3599))
    return web.json_response({"seconds": st.tokens.access_lifetime})


async def tokens_revoke(request: web.Request) -> web.Response:
    st = _st(request)
    body = await _body(request)
    keep = None if body.get("include_inspect") else st.tokens.grants.get(st.inspect_refresh_token)
    was = keep.revoked if keep else False
    n = st.tokens.revoke_user(str(body["user"]) if body.get("user") else None)
    if keep is not None and not was:
        keep.revoked = False
        n -= 1
    return web.json_response({"revoked": n})


async def requests_log(request: web.Request) -> web.Response:
    st = _st(request)
    if request.method == "POST":
        st.log.clear()
        return web.json_response({"reset": True})
    since = float(request.query.get("since", "0") or 0)
    prefix = request.query.get("prefix", "")
    return web.json_response(
        [vars(r) for r in list(st.log) if r.ts >= since and r.path.startswith(prefix)]
    )


async def users(request: web.Request) -> web.Response:
    st = _st(request)
    if request.method == "GET":
        return web.json_response(
            [{"email": e, "name": st.names.get(e, e)} for e in sorted(st.passwords)]
        )
    body = await _body(request)
    email, name, password = (body.get(k) for k in ("email", "name", "password"))
    if (
        not isinstance(email, str)
        or "@" not in email
        or not isinstance(password, str)
        or not password
    ):
        raise bad_request("email and password are required.")
    email = email.strip().lower()
    if email in st.passwords:
        raise bad_request("That account already exists.")
    st.passwords[email] = password
    st.names[email] = name.strip() if isinstance(name, str) and name.strip() else email
    return web.json_response({"email": email, "name": st.names[email]}, status=201)


def reset_state(st: GoogleState, seed: bool, bulk_events: int) -> None:
    store = st.store
    store.calendars.clear()
    store.events.clear()
    store.epoch += 1
    st.reset_others()  # the other users' calendars start empty again
    st.tasks.clear()
    st.faults.clear()
    st.log.clear()
    if seed or bulk_events:
        seed_store(store, bulk_events)
    if seed and not bulk_events:
        seed_people(st.people)
        from sandbox.google.seed_delegation import apply_google
        from sandbox.seed import day_of

        apply_google(store, day_of(dt.datetime.now(dt.UTC)))  # colleagues' calendars (issue 15)
    else:
        st.people.reset()
    if store.user not in store.calendars:
        store.add_calendar(primary_calendar(store.user))


async def reset(request: web.Request) -> web.Response:
    st = _st(request)
    body = await _body(request)
    reset_state(st, bool(body.get("seed", True)), int(body.get("bulk_events", 0)))
    return web.json_response(
        {
            "calendars": len(st.store.calendars),
            "events": sum(len(v) for v in st.store.events.values()),
        }
    )


def add_routes(app: web.Application) -> None:
    r = app.router
    messages.add_routes(app)  # test-only: the meeting messages Google would send
    r.add_route("GET", "/_control/calendars", calendars)
    r.add_route("POST", "/_control/calendars", calendars)
    for method in ("GET", "POST"):
        r.add_route(method, "/_control/calendars/{cal}/events", calendar_events)
    for method in ("GET", "PATCH", "PUT", "DELETE"):
        r.add_route(method, "/_control/calendars/{cal}/events/{id}", event_item)
    for method in ("PATCH", "DELETE", "GET"):
        r.add_route(
            method, "/_control/calendars/{cal}/events/{id}/occurrences/{n:\\d+}", occurrence_item
        )
    for method in ("GET", "POST", "DELETE"):
        r.add_route(method, "/_control/faults", faults)
    r.add_post("/_control/sync/expire", sync_expire)
    r.add_post("/_control/tokens/expire", tokens_expire)
    r.add_post("/_control/tokens/lifetime", tokens_lifetime)
    r.add_post("/_control/tokens/revoke", tokens_revoke)
    r.add_get("/_control/requests", requests_log)
    r.add_post("/_control/requests/reset", requests_log)
    r.add_post("/_control/reset", reset)
    r.add_route("GET", "/_control/users", users)
    r.add_route("POST", "/_control/users", users)
    people_control.add_routes(app)
    from sandbox.google import issued_control

    issued_control.add_routes(app)  # test-only: the secrets issued (GET /_control/issued)
