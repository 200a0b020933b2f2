"""Calendar API v3 routes that manage calendars themselves (not their events):

  POST         calendars                       calendars.insert: a secondary calendar owned by
                                               the user, added to the user's calendar list
  PATCH|PUT    calendars/{calendarId}          calendars.patch / update (summary, description,
                                               timeZone)
  DELETE       calendars/{calendarId}          calendars.delete: secondary calendars only
                                               ("Use calendars.clear for clearing all events on
                                               primary calendars")
  PATCH|PUT    users/me/calendarList/{cid}     calendarList.patch / update: backgroundColor and
                                               foregroundColor need colorRgbFormat=true, colorId
                                               is then set to the best matching option
Vendor reference: the discovery document bundled with google-api-python-client
(googleapiclient/discovery_cache/documents/calendar.v3.json: "calendars", "calendarList"
methods and the Calendar / CalendarListEntry schemas). Every write needs the full `calendar`
scope (calendar.events does not manage calendars). Holds no state: it calls the store.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.google.calendar_routes import (
    CALENDAR_COLORS,
    PREFIX,
    _body,
    _calendar,
    _json,
    _st,
    authorize,
    store_of,
)
from sandbox.google.errors import ApiError, bad_request, forbidden_reader
from sandbox.google.render import render_calendar, render_list_entry
from sandbox.google.store import Calendar, Store
from sandbox.google.timeutil import valid_zone
from sandbox.google.tokens import CALENDAR


def _manage(request: web.Request) -> Store:
    """The caller's calendars, when the token may manage calendars."""
    tok = authorize(request, write=True, lists=True)
    if CALENDAR not in tok.scopes:
        raise ApiError(403, "insufficientPermissions", "Insufficient Permission")
    return store_of(request, tok)


def _apply(cal: Calendar, body: dict[str, Any], replace: bool) -> None:
    if "summary" in body or replace:
        summary = str(body.get("summary") or "").strip()
        if not summary:
            raise bad_request("Missing title.", "required", "summary")
        cal.summary = summary
    if "description" in body or replace:
        cal.description = str(body.get("description") or "")
    if body.get("timeZone"):
        if not valid_zone(str(body["timeZone"])):
            raise bad_request("Invalid time zone definition for calendar.", "invalid", "timeZone")
        cal.time_zone = str(body["timeZone"])


async def calendars_insert(request: web.Request) -> web.Response:
    store = _manage(request)
    st = _st(request)
    body = await _body(request)
    cal = Calendar(
        id=f"{store.new_id()}@group.calendar.google.com",
        summary="",
        time_zone=store.calendar("primary").time_zone,
        access_role="owner",
        owner=store.user,
    )
    _apply(cal, body, replace=True)
    store.add_calendar(cal)
    st.dirty = True
    return _json(render_calendar(cal))


async def calendars_item(request: web.Request) -> web.StreamResponse:
    store = _manage(request)
    st = _st(request)
    cal = _calendar(request, store)
    if cal.access_role != "owner":
        raise forbidden_reader()
    if request.method == "DELETE":
        if cal.primary:
            raise bad_request("Cannot delete primary calendar.", "cannotDeletePrimaryCalendar")
        del store.calendars[cal.id]
        store.events.pop(cal.id, None)
        st.dirty = True
        return web.Response(status=204)
    _apply(cal, await _body(request), replace=request.method == "PUT")
    cal.etag = store.tick()[1]
    st.dirty = True
    return _json(render_calendar(cal))


def _nearest_color_id(hex_color: str) -> str:
    def rgb(text: str) -> tuple[int, int, int]:
        return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)

    want = rgb(hex_color)
    best = min(
        range(len(CALENDAR_COLORS)),
        key=lambda i: sum((a - b) ** 2 for a, b in zip(rgb(CALENDAR_COLORS[i]), want, strict=True)),
    )
    return str(best + 1)


def _hex(value: Any, field: str) -> str:
    text = str(value or "")
    if len(text) != 7 or not text.startswith("#"):
        raise bad_request("Invalid color.", "invalid", field)
    try:
        int(text[1:], 16)
    except ValueError as exc:
        raise bad_request("Invalid color.", "invalid", field) from exc
    return text.lower()


async def calendar_list_item(request: web.Request) -> web.Response:
    store = store_of(request, authorize(request, write=True, lists=True))
    st = _st(request)
    cal = _calendar(request, store)
    body = await _body(request)
    rgb = request.query.get("colorRgbFormat", "false").lower() == "true"
    if ("backgroundColor" in body or "foregroundColor" in body) and not rgb:
        raise bad_request(
            "colorRgbFormat must be true to set backgroundColor or foregroundColor.", "invalid"
        )
    if "backgroundColor" in body:
        cal.background_color = _hex(body["backgroundColor"], "backgroundColor")
        cal.color_id = _nearest_color_id(cal.background_color)
    if "foregroundColor" in body:
        cal.foreground_color = _hex(body["foregroundColor"], "foregroundColor")
    if "colorId" in body and "backgroundColor" not in body:
        index = int(str(body["colorId"] or "0")) if str(body["colorId"]).isdigit() else 0
        if not 1 <= index <= len(CALENDAR_COLORS):
            raise bad_request("Invalid color id.", "invalid", "colorId")
        cal.color_id, cal.background_color = str(index), CALENDAR_COLORS[index - 1]
    if "selected" in body:
        cal.selected = bool(body["selected"])
    cal.etag = store.tick()[1]
    st.dirty = True
    return _json(render_list_entry(cal))


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post(f"{PREFIX}/calendars", calendars_insert)
    for method in ("PATCH", "PUT", "DELETE"):
        r.add_route(method, f"{PREFIX}/calendars/{{cal}}", calendars_item)
    for method in ("PATCH", "PUT"):
        r.add_route(method, f"{PREFIX}/users/me/calendarList/{{cal}}", calendar_list_item)
