"""What a user with a lesser role on someone else's calendar sees of its events (issue 15).

Behaviour reproduced (Google Calendar API v3 docs):
- acl resource, `role` (developers.google.com/calendar/api/v3/reference/acl): "freeBusyReader -
  Provides read access to free/busy information"; "reader - Provides read access to the
  calendar. Private events will appear to users with reader access, but event details will be
  hidden"; "writer - ... Private events will appear to users with writer access, and event
  details will be visible"; owner as writer.
- events resource, `visibility` (developers.google.com/calendar/api/v3/reference/events):
  "private - The event is private and only event attendees may view event details";
  "confidential - ... provided for compatibility reasons" (treated as private here).
So a reader gets a private event with its times and identity only, and a free/busy reader gets
every event that way. The calendarList entry's accessRole is the user's role (store.Calendar).
This module must not define routes; it only filters rendered event resources.
"""

from __future__ import annotations

from typing import Any

from sandbox.google.store import Calendar

TIMES_ONLY = frozenset(
    {
        "kind",
        "etag",
        "id",
        "status",
        "created",
        "updated",
        "start",
        "end",
        "endTimeUnspecified",
        "recurrence",
        "recurringEventId",
        "originalStartTime",
        "transparency",
        "iCalUID",
        "sequence",
        "eventType",
    }
)
PRIVATE = ("private", "confidential")


def as_seen(cal: Calendar, event: dict[str, Any]) -> dict[str, Any]:
    """`event` as the signed-in user's role on `cal` lets them see it."""
    role = cal.access_role
    if role in ("owner", "writer"):
        return event
    if role == "freeBusyReader":
        return {k: v for k, v in event.items() if k in TIMES_ONLY}
    if event.get("visibility") in PRIVATE:
        hidden = {k: v for k, v in event.items() if k in TIMES_ONLY}
        hidden["visibility"] = event["visibility"]
        return hidden
    return event
