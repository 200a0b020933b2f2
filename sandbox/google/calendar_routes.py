"""Calendar API v3 routes under /calendar/v3 (paths of the bundled discovery document).

  GET    users/me/calendarList[/{calendarId}]       calendarList.list (maxResults, pageToken,
                                                    minAccessRole) / get
  GET    calendars/{calendarId}                     calendars.get
  GET    calendars/{calendarId}/events              events.list (sync.py)
  POST   calendars/{calendarId}/events              events.insert (conferenceDataVersion, id)
  GET|PATCH|PUT|DELETE calendars/{cid}/events/{id}  events.get/patch/update/delete (If-Match)
  GET    calendars/{calendarId}/events/{id}/instances
  GET    colors                                     colors.get
  POST   freeBusy                                   freebusy.query
Every request sees the calendars of the user its access token was issued to (calendarList is
"the user's calendar list", `primary` their primary calendar: Calendar API v3 reference,
CalendarList and Calendars); writes by an organizer and guests' answers reach the other users'
calendars through delivery.py.
Bearer tokens: a read needs calendar, calendar.readonly, calendar.events(.readonly); a write needs
calendar or calendar.events, else 403 insufficientPermissions; calendarList/freeBusy need a
calendar scope. `fields` (partial response) is ignored: full resources are returned.
This module must not hold state; it calls the store.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from aiohttp import web

from sandbox.google import delivery, scheduling, sync
from sandbox.google.errors import ApiError, auth_error, bad_request, insufficient_scope
from sandbox.google.render import render_calendar, render_event, render_list_entry
from sandbox.google.state import STATE_KEY, GoogleState
from sandbox.google.store import Calendar, Store
from sandbox.google.timeutil import fmt_datetime, instant, parse_rfc3339, valid_zone
from sandbox.google.tokens import (
    CALENDAR,
    CALENDAR_READONLY,
    READ_SCOPES,
    WRITE_SCOPES,
    AccessToken,
)
from sandbox.google.visibility import as_seen
from sandbox.messages import log_of

PREFIX = "/calendar/v3"
ROLES = ("freeBusyReader", "reader", "writer", "owner")
CALENDAR_COLORS = [
    "#ac725e",
    "#d06b64",
    "#f83a22",
    "#fa573c",
    "#ff7537",
    "#ffad46",
    "#42d692",
    "#16a765",
    "#7bd148",
    "#b3dc6c",
    "#fbe983",
    "#fad165",
    "#92e1c0",
    "#9fe1e7",
    "#9fc6e7",
    "#4986e7",
    "#9a9cff",
    "#b99aff",
    "#c2c2c2",
    "#cabdbf",
    "#cca6ac",
    "#f691b2",
    "#cd74e6",
    "#a47ae2",
]
EVENT_COLORS = [
    "#a4bdfc",
    "#7ae7bf",
    "#dbadff",
    "#ff887c",
    "#fbd75b",
    "#ffb878",
    "#46d6db",
    "#e1e1e1",
    "#5484ed",
    "#51b749",
    "#dc2127",
]


def _st(request: web.Request) -> GoogleState:
    return request.app[STATE_KEY]


def authorize(request: web.Request, write: bool = False, lists: bool = False) -> AccessToken:
    st = _st(request)
    header = request.headers.get("Authorization", "")
    value = header[7:].strip() if header.lower().startswith("bearer ") else ""
    tok = st.tokens.valid_access(value or request.query.get("access_token", ""))
    if tok is None:
        raise auth_error()
    allowed = {CALENDAR, CALENDAR_READONLY} if lists else (WRITE_SCOPES if write else READ_SCOPES)
    if not allowed.intersection(tok.scopes):
        raise insufficient_scope()
    return tok


def _json(data: Any, status: int = 200, etag: str | None = None) -> web.Response:
    resp = web.json_response(data, status=status, content_type="application/json")
    if etag:
        resp.headers["ETag"] = etag
    return resp


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise bad_request("Parse Error", "parseError") from exc
    if not isinstance(data, dict):
        raise bad_request("Parse Error", "parseError")
    return data


def store_of(request: web.Request, tok: AccessToken) -> Store:
    """The calendars of the user `tok` was issued to."""
    return _st(request).store_for(tok.user)


def _calendar(request: web.Request, store: Store) -> Calendar:
    return store.calendar(request.match_info["cal"])


def _out_tz(request: web.Request, cal: Calendar) -> str:
    tz = request.query.get("timeZone")
    if tz and not valid_zone(tz):
        raise bad_request("Invalid time zone.", "invalid", "timeZone")
    return tz or cal.time_zone


def _conference(request: web.Request) -> bool:
    try:
        return int(request.query.get("conferenceDataVersion", "0")) >= 1
    except ValueError as exc:
        raise bad_request("Invalid conferenceDataVersion.", "invalid") from exc


async def calendar_list(request: web.Request) -> web.Response:
    store = store_of(request, authorize(request, lists=True))
    min_role = request.query.get("minAccessRole", "freeBusyReader")
    if min_role not in ROLES:
        raise bad_request("Invalid value for minAccessRole.", "invalid", "minAccessRole")
    cals = [
        c for c in store.calendars.values() if ROLES.index(c.access_role) >= ROLES.index(min_role)
    ]
    size = max(1, min(int(request.query.get("maxResults", "100")), 250))
    offset = 0
    if request.query.get("pageToken"):
        try:
            offset = int(base64.urlsafe_b64decode(request.query["pageToken"]).decode())
        except ValueError as exc:
            raise bad_request("Invalid page token value.", "invalid", "pageToken") from exc
    page = cals[offset : offset + size]
    body: dict[str, Any] = {
        "kind": "calendar#calendarList",
        "etag": f'"p3{store.seq:014d}g"',
        "items": [render_list_entry(c) for c in page],
    }
    if offset + size < len(cals):
        body["nextPageToken"] = base64.urlsafe_b64encode(str(offset + size).encode()).decode()
    else:
        body["nextSyncToken"] = base64.urlsafe_b64encode(f"L{store.seq}".encode()).decode()
    return _json(body)


async def calendar_list_entry(request: web.Request) -> web.Response:
    tok = authorize(request, lists=True)
    return _json(render_list_entry(_calendar(request, store_of(request, tok))))


async def calendar_get(request: web.Request) -> web.Response:
    tok = authorize(request, lists=True)
    return _json(render_calendar(_calendar(request, store_of(request, tok))))


async def events(request: web.Request) -> web.Response:
    st = _st(request)
    if request.method == "GET":
        store = store_of(request, authorize(request))
        cal = _calendar(request, store)
        return _json(sync.list_events(store, cal, request.query))
    store = store_of(request, authorize(request, write=True))
    cal = _calendar(request, store)
    body = await _body(request)
    data = store.insert(cal, body, use_conference=_conference(request))
    st.dirty = True
    _notify(request, store, None, data)
    return _json(render_event(data, cal.time_zone, cal.time_zone), etag=data["etag"])


async def event_item(request: web.Request) -> web.StreamResponse:
    st = _st(request)
    event_id = request.match_info["id"]
    if request.method == "GET":
        store = store_of(request, authorize(request))
        cal = _calendar(request, store)
        _, data = store.resolve(cal, event_id)
        out_tz = _out_tz(request, cal)
        seen = as_seen(cal, render_event(data, out_tz, cal.time_zone))  # role (issue 15)
        return _json(seen, etag=data["etag"])
    store = store_of(request, authorize(request, write=True))
    cal = _calendar(request, store)
    if_match = request.headers.get("If-Match")
    st.dirty = True
    before = _current(store, cal, event_id)
    if request.method == "DELETE":
        store.delete(cal, event_id, if_match=if_match)
        _notify(request, store, before, store.resolve(cal, event_id)[1])
        return web.Response(status=204)
    body = await _body(request)
    data = store.modify(
        cal,
        event_id,
        body,
        replace=request.method == "PUT",
        use_conference=_conference(request),
        if_match=if_match,
    )
    _notify(request, store, before, data)
    return _json(render_event(data, cal.time_zone, cal.time_zone), etag=data["etag"])


def _current(store: Store, cal: Calendar, event_id: str) -> dict[str, Any] | None:
    try:
        return copy.deepcopy(dict(store.resolve(cal, event_id)[1]))
    except ApiError:
        return None


def _notify(
    request: web.Request,
    store: Store,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    """Events: insert/patch/update/delete `sendUpdates` (google/scheduling.py: the messages,
    recorded only with sendUpdates) and the guests' and organizer's calendars (delivery.py:
    always, whatever sendUpdates says). `after` of a delete is the cancelled event."""
    send = request.query.get("sendUpdates", "none")
    gone = after.get("status") == "cancelled"
    scheduling.notify(log_of(request.app), store.user, before, None if gone else after, send)
    delivery.written(_st(request), store, before, after)


async def instances(request: web.Request) -> web.Response:
    store = store_of(request, authorize(request))
    cal = _calendar(request, store)
    return _json(sync.list_instances(store, cal, request.match_info["id"], request.query))


async def colors(request: web.Request) -> web.Response:
    authorize(request)
    return _json(
        {
            "kind": "calendar#colors",
            "updated": "2012-02-14T00:00:00.000Z",
            "calendar": {
                str(i + 1): {"background": c, "foreground": "#1d1d1d"}
                for i, c in enumerate(CALENDAR_COLORS)
            },
            "event": {
                str(i + 1): {"background": c, "foreground": "#1d1d1d"}
                for i, c in enumerate(EVENT_COLORS)
            },
        }
    )


async def freebusy(request: web.Request) -> web.Response:
    tok = authorize(request, lists=True)
    st = _st(request)
    own = store_of(request, tok)
    body = await _body(request)
    if not body.get("timeMin") or not body.get("timeMax"):
        raise bad_request("Missing timeMin or timeMax.", "required")
    lo = parse_rfc3339(str(body["timeMin"]), "timeMin")
    hi = parse_rfc3339(str(body["timeMax"]), "timeMax")
    out_tz = str(body.get("timeZone") or "UTC")
    cals: dict[str, Any] = {}
    for item in body.get("items") or []:
        cid = str((item or {}).get("id", ""))
        store, cal = _free_busy_calendar(st, own, cid)
        if cal is None:
            cals[cid] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
            continue
        params = {
            "singleEvents": "true",
            "timeMin": lo.isoformat(),
            "timeMax": hi.isoformat(),
            "maxResults": "2500",
            "orderBy": "startTime",
        }
        q = sync.parse_query(store, cal, params)
        busy = []
        for data in sorted(
            sync.candidates(store, cal, q, store.seq),
            key=lambda d: instant(d["start"], cal.time_zone),
        ):
            if data.get("transparency") == "transparent" or data.get("status") == "cancelled":
                continue
            start = max(instant(data["start"], cal.time_zone), lo)
            end = min(instant(data["end"], cal.time_zone), hi)
            busy.append({"start": fmt_datetime(start, out_tz), "end": fmt_datetime(end, out_tz)})
        cals[cid] = {"busy": busy}
    return _json(
        {
            "kind": "calendar#freeBusy",
            "timeMin": fmt_datetime(lo, "UTC"),
            "timeMax": fmt_datetime(hi, "UTC"),
            "calendars": cals,
        }
    )


def _free_busy_calendar(st: GoogleState, own: Store, cid: str) -> tuple[Store, Calendar | None]:
    """A calendar of the caller's list, else the primary calendar of another user of the
    domain: Workspace shares every user's free/busy with the organization by default (Google
    Workspace Admin Help, "Set Calendar sharing options": internal sharing defaults to "Only
    free/busy information"), which freebusy.query answers."""
    cal = own.calendars.get(own.user if cid == "primary" else cid)
    if cal is not None:
        return own, cal
    other = st.account_store(cid)
    if other is None:
        return own, None
    return other, other.calendars.get(other.user)


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get(f"{PREFIX}/users/me/calendarList", calendar_list)
    r.add_get(f"{PREFIX}/users/me/calendarList/{{cal}}", calendar_list_entry)
    r.add_get(f"{PREFIX}/calendars/{{cal}}", calendar_get)
    r.add_route("GET", f"{PREFIX}/calendars/{{cal}}/events", events)
    r.add_route("POST", f"{PREFIX}/calendars/{{cal}}/events", events)
    for method in ("GET", "PATCH", "PUT", "DELETE"):
        r.add_route(method, f"{PREFIX}/calendars/{{cal}}/events/{{id}}", event_item)
    r.add_get(f"{PREFIX}/calendars/{{cal}}/events/{{id}}/instances", instances)
    r.add_get(f"{PREFIX}/colors", colors)
    r.add_post(f"{PREFIX}/freeBusy", freebusy)


__all__ = ["ApiError", "add_routes", "authorize"]
