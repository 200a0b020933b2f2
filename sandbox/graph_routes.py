"""Emulated Microsoft Graph v1.0 calendar surface under /v1.0.

Paths (case-insensitive, as Graph's are), with `/me` or `/users/{id|upn}` as the mailbox:
  GET  /me, /users/{id}                                    user-get.md
  GET  /calendars  POST /calendars   GET|PATCH|DELETE /calendars/{id}   user-list-calendars.md
  GET  /calendar                                           calendar-get.md (default calendar)
  GET|POST /events, /calendar/events, /calendars/{id}/events           user-post-events.md
  GET|PATCH|DELETE .../events/{id}                  event-get.md, event-update.md, event-delete.md
  GET  .../events/{id}/instances?startDateTime&endDateTime             event-list-instances.md
  GET  /calendarView, /calendars/{id}/calendarView                 calendar-list-calendarview.md
  GET  .../calendarView/delta (or delta())                          event-delta.md
  /contacts…, /contactFolders…                                     contacts_routes.py
  /todo/lists…                                                      todo_routes.py
Delegated tokens reach only their own mailbox (403 ErrorAccessDenied otherwise); application
tokens may use /users/{id} for any mailbox, and /me gives 400 as Graph does.
This module must not hold state of its own; it reads and writes SandboxState.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from aiohttp import web

from sandbox import delta as deltamod
from sandbox import extprops, graph_scheduling, graph_sharing, gtime
from sandbox.eventprops import EXTENDED_KEY
from sandbox.gerrors import GraphError, access_denied, bad_request, not_found
from sandbox.graph_http import authenticate, mailbox_slot
from sandbox.mailbox import Calendar, Instance, Mailboxes, User
from sandbox.messages import log_of
from sandbox.render import etag, removed, render_calendar, render_event
from sandbox.state import STATE_KEY, SandboxState

DEFAULT_PAGE = 10  # Graph's default page size for Outlook collections


class Ctx:
    """One parsed Graph request."""

    def __init__(self, st: SandboxState, request: web.Request, user: User, prefix: str) -> None:
        self.st, self.request, self.user, self.prefix = st, request, user, prefix
        self.mb: Mailboxes = st.mailboxes
        self.query = {k.lower(): v for k, v in request.query.items()}
        prefer = request.headers.getall("Prefer", [])
        self.prefer = ", ".join(prefer)
        try:
            self.zone = gtime.prefer_zone(self.prefer)
        except gtime.BadTimeZone as exc:
            raise bad_request(
                f"A valid TimeZone value must be specified. ({exc})",
                "TimeZoneNotSupportedException",
            ) from exc

    def url(self, path: str, **params: str) -> str:
        base = f"{self.st.base_url}/v1.0{self.prefix}{path}"
        if not params:
            return base
        return base + "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())

    def event_json(self, inst: Instance) -> dict[str, Any]:
        out = render_event(self.mb, inst, self.zone)
        expand, prop_id = extprops.expand_filter(self.query)
        if expand:  # extended properties live on the item (single event / series master)
            own = inst.kind in ("singleInstance", "seriesMaster")
            values = inst.event.props.get(EXTENDED_KEY, {}) if own else {}
            out[extprops.EXTENDED] = extprops.expanded(values, prop_id)
        return out

    def respond(
        self, body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        hdrs = dict(headers or {})
        if "outlook.timezone" in self.prefer:
            hdrs["Preference-Applied"] = f'outlook.timezone="{self.zone}"'
        return web.json_response(body, status=status, headers=hdrs)

    def page_size(self) -> int:
        top = self.query.get("$top")
        if top is not None:
            if not top.isdigit():
                raise bad_request(f"Invalid $top value '{top}'.", "BadRequest")
            return max(1, min(int(top), 1000))
        return min(gtime.prefer_page_size(self.prefer) or DEFAULT_PAGE, 1000)

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        start, end = self.query.get("startdatetime"), self.query.get("enddatetime")
        if not start or not end:
            # calendar-list-calendarview.md: both parameters are required
            raise bad_request(
                "This request requires a time window specified by the query "
                "string parameters StartDateTime and EndDateTime.",
                "ErrorInvalidParameter",
            )
        try:
            return gtime.parse_query_instant(start), gtime.parse_query_instant(end)
        except ValueError as exc:
            raise bad_request(
                f"The value '{exc}' of parameter 'StartDateTime' or 'EndDateTime' is invalid.",
                "ErrorInvalidParameter",
            ) from exc


def _paged(
    ctx: Ctx, rows: list[dict[str, Any]], path: str, extra: dict[str, str] | None = None
) -> web.Response:
    size = ctx.page_size()
    skip_text = ctx.query.get("$skip", "0")
    skip = int(skip_text) if skip_text.isdigit() else 0
    body: dict[str, Any] = {
        "@odata.context": f"{ctx.st.base_url}/v1.0/$metadata#Collection",
        "value": rows[skip : skip + size],
    }
    if skip + size < len(rows):
        params = dict(extra or {})
        params.update({"$top": str(size), "$skip": str(skip + size)})
        body["@odata.nextLink"] = ctx.url(path, **params)
    return ctx.respond(body)


async def _json(request: web.Request) -> dict[str, Any]:
    body = await request.json()
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", "BadRequest")
    return body


def _check_if_match(request: web.Request, change_key: str) -> None:
    # event-update.md/event-delete.md accept If-Match; a stale changeKey gives 412
    value = request.headers.get("If-Match")
    if not value or value.strip() == "*":
        return
    tags = [t.strip().removeprefix("W/").strip('"') for t in value.split(",")]
    if change_key not in tags:
        raise GraphError(
            412,
            "ErrorIrresolvableConflict",
            "The send or update operation could not be performed because the change "
            "key passed in the request does not match the current change key for the "
            "item.",
        )


def _user_json(ctx: Ctx, user: User) -> dict[str, Any]:
    return {
        "@odata.context": f"{ctx.st.base_url}/v1.0/$metadata#users/$entity",
        "id": user.id,
        "displayName": user.display_name,
        "mail": user.upn,
        "userPrincipalName": user.upn,
        "businessPhones": [],
        "givenName": user.display_name.split()[0],
        "surname": user.display_name.split()[-1],
        "jobTitle": None,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": "en-US",
    }


async def graph(request: web.Request) -> web.StreamResponse:
    st = request.app[STATE_KEY]
    caller = authenticate(st, request)
    tail = request.match_info["tail"].strip("/")
    parts = [p for p in tail.split("/") if p]
    low = [p.lower() for p in parts]
    if not parts:
        raise GraphError(400, "BadRequest", "Invalid request.")
    if low[0] == "me":
        if not caller.delegated:
            raise GraphError(
                400, "BadRequest", "/me request is only valid with delegated authentication flow."
            )
        user = st.mailboxes.users[caller.token.user_id or ""]
        prefix, rest = "/me", parts[1:]
    elif low[0] == "users" and len(parts) >= 2:
        user = st.mailboxes.find_user(parts[1])
        if caller.delegated and user.id != caller.token.user_id:
            raise access_denied()
        if not caller.delegated and not caller.token.scopes:
            raise access_denied()
        prefix, rest = f"/users/{parts[1]}", parts[2:]
    else:
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{parts[0]}'.")
    async with mailbox_slot(st, request, caller, user.id):
        ctx = Ctx(st, request, user, prefix)
        return await _dispatch(ctx, request.method, rest)


async def _dispatch(ctx: Ctx, method: str, parts: list[str]) -> web.StreamResponse:
    low = [p.lower() for p in parts]
    mb, uid = ctx.mb, ctx.user.id
    if not parts:
        if method != "GET":
            raise GraphError(405, "Request_BadRequest", "Method not allowed.")
        return ctx.respond(_user_json(ctx, ctx.user))
    if low[0] in ("contacts", "contactfolders"):
        from sandbox import contacts_routes

        return await contacts_routes.dispatch(ctx, method, parts)
    if low[0] == "todo":  # Microsoft To Do (todo_routes.py)
        from sandbox import todo_routes

        return await todo_routes.dispatch(ctx, method, parts)
    # resolve the calendar part: calendars/{id}/..., calendar/..., or (default) events/...
    cal: Calendar | None = None
    if low[0] == "calendars":
        if len(parts) == 1:
            return await _calendars_collection(ctx, method)
        cal = mb.calendar(uid, parts[1])
        cal_path, rest, rest_low = f"/calendars/{parts[1]}", parts[2:], low[2:]
        if not rest:
            return await _calendar_item(ctx, method, cal)
        if rest_low == ["calendarpermissions"]:
            return ctx.respond(graph_sharing.permissions_json(ctx.st, cal, ctx.user.id, method))
    elif low[0] == "calendar":
        cal = mb.default_calendar(uid)
        cal_path, rest, rest_low = "/calendar", parts[1:], low[1:]
        if not rest:
            return await _calendar_item(ctx, method, cal)
    else:
        cal_path, rest, rest_low = "", parts, low
    explicit = cal is not None
    cal = cal or mb.default_calendar(uid)
    head = rest_low[0]
    if head == "events":
        if len(rest) == 1:
            return await _events_collection(ctx, method, cal, cal_path + "/events")
        inst = mb.resolve(uid, rest[1], cal.id if explicit else None)
        if len(rest) == 2:
            return await _event_item(ctx, method, inst)
        if rest_low[2] == "instances" and len(rest) == 3 and method == "GET":
            return _instances(ctx, inst, f"{cal_path}/events/{rest[1]}/instances")
        if len(rest) == 3 and method == "POST":  # accept, decline, tentativelyAccept, cancel
            return await _event_action(ctx, inst, rest_low[2])
    elif head == "getschedule" and len(rest) == 1 and method == "POST":
        body = await _json(ctx.request)
        return ctx.respond({"value": graph_scheduling.get_schedule(ctx.mb, body)})
    elif head == "calendarview":
        if method != "GET":
            raise GraphError(405, "ErrorInvalidRequest", "The OData request is not supported.")
        if len(rest) == 1:
            lo, hi = ctx.window()
            rows = [ctx.event_json(i) for i in mb.view(cal, lo, hi)]
            return _paged(
                ctx,
                rows,
                cal_path + "/calendarView",
                {
                    "startDateTime": ctx.query["startdatetime"],
                    "endDateTime": ctx.query["enddatetime"],
                },
            )
        if len(rest) == 2 and rest_low[1] in ("delta", "delta()"):
            return _delta(ctx, cal, f"{cal_path}/calendarView/{rest[1]}")
    raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest[0]}'.")


async def _calendars_collection(ctx: Ctx, method: str) -> web.Response:
    if method == "GET":
        rows = [render_calendar(c) for c in ctx.mb.calendars_of(ctx.user.id)]
        rows += graph_sharing.shared_rows(ctx.mb, ctx.user.id)  # shared with / delegated to
        return _paged(ctx, rows, "/calendars")
    if method == "POST":
        body = await _json(ctx.request)
        name = str(body.get("name") or "").strip()
        if not name:
            raise bad_request("The property 'name' is required.", "ErrorInvalidRequest")
        if any(c.name.lower() == name.lower() for c in ctx.mb.calendars_of(ctx.user.id)):
            raise GraphError(
                409, "ErrorFolderExists", "A folder with the specified name already exists."
            )
        cal = ctx.mb.add_calendar(
            ctx.user.id,
            name,
            hex_color=str(body.get("hexColor") or ""),
            color=str(body.get("color") or "auto"),
        )
        ctx.st.dirty = True
        return ctx.respond(render_calendar(cal), 201)
    raise GraphError(405, "ErrorInvalidRequest", "Method not allowed.")


async def _calendar_item(ctx: Ctx, method: str, cal: Calendar) -> web.StreamResponse:
    if method == "GET":
        return ctx.respond(graph_sharing.render_for(ctx.mb, cal, ctx.user.id))
    if cal.owner_user_id != ctx.user.id:  # only the owner changes or deletes a calendar
        raise access_denied()
    if method == "PATCH":
        body = await _json(ctx.request)
        ctx.mb.update_calendar(
            cal, {k: v for k, v in body.items() if k in ("name", "color", "hexColor")}
        )
        ctx.st.dirty = True
        return ctx.respond(render_calendar(cal))
    if method == "DELETE":
        ctx.mb.delete_calendar(cal)
        ctx.st.dirty = True
        return web.Response(status=204)
    raise GraphError(405, "ErrorInvalidRequest", "Method not allowed.")


async def _events_collection(ctx: Ctx, method: str, cal: Calendar, path: str) -> web.StreamResponse:
    if method == "GET":
        events = sorted(
            (e for e in ctx.mb.events.values() if e.calendar_id == cal.id),
            key=lambda e: (e.created, e.id),
        )
        flt = ctx.query.get("$filter")
        if flt:  # singlevaluelegacyextendedproperty-get.md: items whose property has a value
            wanted = extprops.parse_filter(flt)
            if wanted is None:
                raise bad_request(
                    "The sandbox supports only singleValueExtendedProperties/Any(...) filters.",
                    "ErrorInvalidUrlQueryFilter",
                )
            events = [e for e in events if extprops.matches(e.props.get(EXTENDED_KEY, {}), *wanted)]
        rows = [ctx.event_json(ctx.mb.resolve(ctx.user.id, e.id)) for e in events]
        return _paged(ctx, rows, path)
    if method == "POST":
        ctx.mb.require_writable(cal, ctx.user.id)
        body = await _json(ctx.request)
        ev, created = ctx.mb.create_event(cal, body)
        ctx.st.dirty = True
        if created:  # user-post-events.md: a meeting's invitations go out on create
            graph_scheduling.sent(log_of(ctx.request.app), ctx.mb, ev, None)
        inst = ctx.mb.resolve(ctx.user.id, ev.id)
        # event.md transactionId: a client retrying a create gets the event already made, with
        # the answer it missed (201) instead of a duplicate
        del created
        return ctx.respond(ctx.event_json(inst), 201)
    raise GraphError(405, "ErrorInvalidRequest", "Method not allowed.")


async def _event_item(ctx: Ctx, method: str, inst: Instance) -> web.StreamResponse:
    cal = ctx.mb.calendars[inst.event.calendar_id]
    if method == "GET":
        return ctx.respond(ctx.event_json(inst), headers={"ETag": etag(inst.change_key)})
    if method == "PATCH":
        ctx.mb.require_writable(cal, ctx.user.id)
        _check_if_match(ctx.request, inst.change_key)
        body = await _json(ctx.request)
        before = graph_scheduling.snapshot(inst.event)
        updated = ctx.mb.update(inst, body)
        ctx.st.dirty = True
        # event-update.md: the attendees get the update (removed ones a cancellation)
        graph_scheduling.updated(log_of(ctx.request.app), ctx.mb, inst.event, before)
        return ctx.respond(ctx.event_json(updated))
    if method == "DELETE":
        ctx.mb.require_writable(cal, ctx.user.id)
        _check_if_match(ctx.request, inst.change_key)
        ctx.mb.delete(inst)
        ctx.st.dirty = True
        # event-delete.md: deleting a meeting as its organizer cancels it for the attendees
        graph_scheduling.deleted(log_of(ctx.request.app), ctx.mb, inst)
        return web.Response(status=204)
    raise GraphError(405, "ErrorInvalidRequest", "Method not allowed.")


async def _event_action(ctx: Ctx, inst: Instance, action: str) -> web.StreamResponse:
    """event-accept.md, event-decline.md, event-tentativelyaccept.md, event-cancel.md:
    202 Accepted, no body."""
    if action not in (*graph_scheduling.RESPONSES, "cancel"):
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{action}'.")
    body = await _json(ctx.request) if ctx.request.can_read_body else {}
    log = log_of(ctx.request.app)
    if action == "cancel":
        graph_scheduling.cancel(log, ctx.mb, inst, body)
    else:
        graph_scheduling.respond(log, ctx.mb, inst, action, body)
    ctx.st.dirty = True
    return web.Response(status=202)


def _instances(ctx: Ctx, inst: Instance, path: str) -> web.Response:
    lo, hi = ctx.window()
    if inst.kind != "seriesMaster":
        raise not_found("The specified object is not a recurring series master.")
    rows = [
        ctx.event_json(i)
        for i in sorted(ctx.mb.expand(inst.event, lo, hi), key=lambda i: (i.start, i.id))
    ]
    return _paged(
        ctx,
        rows,
        path,
        {"startDateTime": ctx.query["startdatetime"], "endDateTime": ctx.query["enddatetime"]},
    )


def _gone(ctx: Ctx, path: str, window: tuple[str, str] | None) -> GraphError:
    location = (
        ctx.url(path, startDateTime=window[0], endDateTime=window[1]) if window else ctx.url(path)
    )
    return GraphError(
        410,
        "syncStateNotFound",
        "The sync state was not found or has expired. Start a new synchronization "
        "without a delta token.",
        {"Location": location},
    )


def _delta(ctx: Ctx, cal: Calendar, path: str) -> web.Response:
    store, q = ctx.st.delta, ctx.query
    size = gtime.prefer_page_size(ctx.prefer) or deltamod.DEFAULT_PAGE_SIZE
    if "$skiptoken" in q:
        found = store.find_round(q["$skiptoken"])
        if found is None or found[0].calendar_id != cal.id or found[0].user_id != ctx.user.id:
            raise _gone(ctx, path, store.window_of(q["$skiptoken"]))
        rnd, pos = found
    elif "$deltatoken" in q:
        state = store.find_state(q["$deltatoken"])
        if state is None or state.calendar_id != cal.id or state.user_id != ctx.user.id:
            raise _gone(ctx, path, store.window_of(q["$deltatoken"]))
        lo, hi = dt.datetime.fromisoformat(state.lo), dt.datetime.fromisoformat(state.hi)
        rnd, pos = store.start_round(ctx.mb, ctx.user.id, cal, lo, hi, state), 0
    else:
        if "$select" in q:  # event-delta.md: $select is not supported
            raise bad_request("$select is not supported with delta.", "ErrorInvalidParameter")
        if "$expand" in q:  # event-delta.md "OData query parameters": $expand is not supported
            raise bad_request("$expand is not supported with delta.", "ErrorInvalidParameter")
        lo, hi = ctx.window()
        rnd, pos = store.start_round(ctx.mb, ctx.user.id, cal, lo, hi), 0
    page = store.page(rnd, pos, size)
    ctx.st.dirty = True
    value: list[dict[str, Any]] = []
    for kind, iid in page.items:
        if kind == "upsert":
            try:
                value.append(ctx.event_json(ctx.mb.resolve(ctx.user.id, iid, cal.id)))
                continue
            except GraphError:
                pass
        value.append(removed(iid))
    body: dict[str, Any] = {"@odata.context": f"{ctx.st.base_url}/v1.0/$metadata#Collection(event)"}
    if page.next_skiptoken:
        body["@odata.nextLink"] = ctx.url(path, **{"$skiptoken": page.next_skiptoken})
    else:
        body["@odata.deltaLink"] = ctx.url(path, **{"$deltatoken": page.deltatoken or ""})
    body["value"] = value
    return ctx.respond(body)


def add_routes(app: web.Application) -> None:
    app.router.add_route("*", "/v1.0/{tail:.*}", graph)
