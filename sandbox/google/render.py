"""Stored calendar data -> Calendar API JSON (events, calendarList entries, calendars).

Event times come back expressed in the response time zone (the `timeZone` parameter, else the
calendar's), keeping the event's own `timeZone` field ("Events" resource / events.list
`timeZone`). In lists, a cancelled event carries only its identity (id, status, etag and, for an
instance, recurringEventId + originalStartTime), which is all guides/sync promises for deletions.
This module must not change state.
"""

from __future__ import annotations

import copy
from typing import Any

from sandbox.google.store import Calendar
from sandbox.google.timeutil import render_time

CANCELLED_KEYS = (
    "kind",
    "etag",
    "id",
    "status",
    "updated",
    "recurringEventId",
    "originalStartTime",
)


def render_event(
    data: dict[str, Any], out_tz: str, cal_tz: str, listing: bool = False
) -> dict[str, Any]:
    if listing and data.get("status") == "cancelled":
        out = {k: copy.deepcopy(data[k]) for k in CANCELLED_KEYS if k in data}
    else:
        out = copy.deepcopy(data)
        for key in ("start", "end"):
            if key in out:
                out[key] = render_time(out[key], out_tz)
    if "originalStartTime" in out:
        out["originalStartTime"] = render_time(out["originalStartTime"], out_tz)
    return out


def render_list_entry(cal: Calendar) -> dict[str, Any]:
    """A calendarList entry (CalendarList resource) as the signed-in user sees it."""
    out: dict[str, Any] = {
        "kind": "calendar#calendarListEntry",
        "etag": cal.etag,
        "id": cal.id,
        "summary": cal.summary,
        "timeZone": cal.time_zone,
        "colorId": cal.color_id,
        "backgroundColor": cal.background_color,
        "foregroundColor": cal.foreground_color,
        "selected": cal.selected,
        "accessRole": cal.access_role,
        "defaultReminders": [{"method": "popup", "minutes": 10}] if cal.writable else [],
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    }
    if cal.description:
        out["description"] = cal.description
    if cal.primary:
        out["primary"] = True
        out["notificationSettings"] = {
            "notifications": [
                {"type": t, "method": "email"}
                for t in ("eventCreation", "eventChange", "eventCancellation", "eventResponse")
            ]
        }
    return out


def render_calendar(cal: Calendar) -> dict[str, Any]:
    """A Calendars resource (calendars.get)."""
    out: dict[str, Any] = {
        "kind": "calendar#calendar",
        "etag": cal.etag,
        "id": cal.id,
        "summary": cal.summary,
        "timeZone": cal.time_zone,
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    }
    if cal.description:
        out["description"] = cal.description
    return out
