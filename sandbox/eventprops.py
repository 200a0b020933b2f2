"""Event property rules: which properties a client may write, their allowed values, and times.

Checks follow user-post-events.md / resources/event.md: start and end are required
dateTimeTimeZone values with a known zone; end not before start; all-day events run midnight to
midnight (exclusive end); enums for sensitivity, showAs, importance, onlineMeetingProvider;
recurrence normalized as Graph echoes it. Pure functions; no state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox import extprops, gtime, recurrence
from sandbox.gerrors import bad_request

# properties a client may write on an event (resources/event.md, writable ones we model)
WRITABLE = {
    "subject",
    "body",
    "start",
    "end",
    "isAllDay",
    "location",
    "locations",
    "attendees",
    "organizer",
    "recurrence",
    "sensitivity",
    "showAs",
    "isReminderOn",
    "reminderMinutesBeforeStart",
    "categories",
    "isOnlineMeeting",
    "onlineMeetingProvider",
    "onlineMeeting",
    "importance",
    "responseRequested",
    "allowNewTimeProposals",
    "hideAttendees",
    "isCancelled",
    "responseStatus",
    "transactionId",
}
ENUMS = {
    "sensitivity": ("normal", "personal", "private", "confidential"),
    "showAs": ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown"),
    "importance": ("low", "normal", "high"),
    "onlineMeetingProvider": (
        "unknown",
        "teamsForBusiness",
        "skypeForBusiness",
        "skypeForConsumer",
    ),
}


def event_times(props: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    """Aware start/end of stored props (all-day: midnight UTC of the stored dates, floating)."""
    start, end = props["start"], props["end"]
    ls, le = gtime.parse_local(start["dateTime"]), gtime.parse_local(end["dateTime"])
    if props.get("isAllDay"):
        return ls.replace(tzinfo=dt.UTC), le.replace(tzinfo=dt.UTC)
    return gtime.to_aware(ls, start.get("timeZone")), gtime.to_aware(le, end.get("timeZone"))


# where an event's single-value extended properties are kept among its stored props
EXTENDED_KEY = "_extended"


def validate_props(body: dict[str, Any]) -> dict[str, Any]:
    """Keep writable properties and check the values Graph checks (user-post-events.md).
    `body` is the stored props merged with the client's body: extended properties written in
    `singleValueExtendedProperties` are merged into the stored ones (extprops.py)."""
    props = {k: v for k, v in body.items() if k in WRITABLE}
    ext = dict(body.get(EXTENDED_KEY) or {})
    if extprops.EXTENDED in body:
        ext = extprops.merged(ext, extprops.parse_written(body[extprops.EXTENDED]))
    if ext:
        props[EXTENDED_KEY] = ext
    for key, allowed in ENUMS.items():
        if key in props and props[key] is not None and props[key] not in allowed:
            raise bad_request(f"Invalid value '{props[key]}' for property '{key}'.")
    for key in ("start", "end"):
        value = props.get(key)
        if not isinstance(value, dict) or not value.get("dateTime"):
            raise bad_request(f"The property '{key}' is required.", "ErrorInvalidRequest")
        try:
            gtime.parse_local(str(value["dateTime"]))
            gtime.check_zone(value.get("timeZone"))
        except gtime.BadTimeZone as exc:
            raise bad_request(
                f"A valid TimeZone value must be specified. ({exc})",
                "TimeZoneNotSupportedException",
            ) from exc
        except ValueError as exc:
            raise bad_request(str(exc), "ErrorInvalidRequest") from exc
        props[key] = {
            "dateTime": str(value["dateTime"]),
            "timeZone": value.get("timeZone") or "UTC",
        }
    start, end = event_times(props)
    if end < start:
        raise bad_request("The end time must be after the start time.", "ErrorInvalidRequest")
    if props.get("isAllDay"):
        s_l = gtime.parse_local(props["start"]["dateTime"])
        e_l = gtime.parse_local(props["end"]["dateTime"])
        if s_l.time() != dt.time() or e_l.time() != dt.time() or e_l <= s_l:
            # event.md isAllDay: start and end must be midnight and at least a day apart
            raise bad_request(
                "All-day events must start and end at midnight.", "ErrorPropertyValidationFailure"
            )
    if props.get("recurrence"):
        local = gtime.parse_local(props["start"]["dateTime"])
        try:
            props["recurrence"] = recurrence.normalize(
                props["recurrence"], local, props["start"]["timeZone"]
            )
        except recurrence.BadRecurrence as exc:
            raise bad_request(str(exc), "ErrorPropertyValidationFailure") from exc
    else:
        props.pop("recurrence", None)
    return props
