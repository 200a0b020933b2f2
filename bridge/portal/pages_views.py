"""The user's meeting-view switches (C4) on their profile page: "Zoom meetings" and "Hosted
by me", read-only calendars over their own, each on or off (off by default).

Must not build the views (bridge.sync.views does, behind the facade).
"""

from __future__ import annotations

from aiohttp import web

from bridge.api import BadInput
from bridge.portal import context

routes = web.RouteTableDef()

LABELS = {"zoom": "Zoom meetings", "hosted": "Hosted by me"}


@routes.post("/settings/meeting-views")
async def meeting_views(request: web.Request) -> web.StreamResponse:
    form = await context.form_of(request)
    view = form.get("view", "")
    if view not in LABELS or form.get("on") not in ("0", "1"):
        raise BadInput("Choose a meeting view and on or off.")
    on = form["on"] == "1"
    bridge = context.portal_of(request).bridge
    user = context.user_of(request).name
    await context.blocking(request, bridge.set_meeting_view, user, view, on)
    state = "on: your calendar app lists it" if on else "off"
    context.notify(request, f"\u201c{LABELS[view]}\u201d calendar {state}.")
    return context.redirect("/")
