"""Client VCALENDAR -> exchangelib CalendarItem field values, and the fields an update changes.

What it does: validates and interprets the client's calendar object with the Graph write
mapping (Graph and EWS share Exchange's data model: patternedRecurrence is EWS's Recurrence,
showAs is LegacyFreeBusyStatus, attendee types are Required/Optional/Resources), then converts
the result into exchangelib attribute values: the master's fields, one field map per
RECURRENCE-ID override, and the cancelled occurrences (EXDATE). `changed_fields` lists only
the fields whose value really differs from the item EWS holds (as a user sees them).
What it must not do: I/O, or write read-only EWS fields (organizer, UID of an occurrence ...).

All-day: iCalendar DTEND is exclusive, exchangelib's all-day `end` is an inclusive date (it
adds the day back when it writes XML), so one day is subtracted here.

Vendor references: Microsoft EWS reference "CalendarItem", "UpdateItem" (SetItemField per
changed property), "Create all-day events by using EWS in Exchange"; exchangelib 5.6
CalendarItem.to_xml/date_to_datetime.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from exchangelib.ewsdatetime import EWSDate, EWSDateTime, EWSTimeZone
from exchangelib.properties import Attendee, Body, Mailbox

from bridge.errors import BadInput
from bridge.ical.timezones import to_windows
from bridge.providers.common.outlook_time import parse_wall
from bridge.providers.common.outlook_write import ical_to_graph
from bridge.providers.ews.mapping_read import _description, times
from bridge.providers.ews.mapping_recurrence import from_graph, to_graph

SENSITIVITY = {
    "normal": "Normal",
    "personal": "Personal",
    "private": "Private",
    "confidential": "Confidential",
}
FREE_BUSY = {
    "free": "Free",
    "tentative": "Tentative",
    "busy": "Busy",
    "oof": "OOF",
    "workingElsewhere": "WorkingElsewhere",
}
IMPORTANCE = {"low": "Low", "normal": "Normal", "high": "High"}
TIME_FIELDS = ("start", "end", "is_all_day", "_start_timezone", "_end_timezone")
ATTENDEE_FIELDS = ("required_attendees", "optional_attendees", "resources")


@dataclass(frozen=True)
class EwsWrite:
    """What a client PUT asks Exchange to hold: as GraphWrite (common/outlook_write.py), with
    exchangelib field values where GraphWrite has Graph bodies."""

    uid: str
    master: Mapping[str, Any]
    overrides: Mapping[dt.datetime, Mapping[str, Any]]
    exdates: tuple[dt.datetime, ...]

    @property
    def has_attendees(self) -> bool:
        return any(self.master.get(name) for name in ATTENDEE_FIELDS)


def ical_to_ews(text: str) -> EwsWrite:
    """Map a client VCALENDAR to exchangelib field values; BadInput says what is wrong."""
    try:
        plan = ical_to_graph(text)
        master = _fields(plan.master, with_recurrence=True)
        overrides = {k: _fields(v, with_recurrence=False) for k, v in plan.overrides.items()}
    except BadInput as error:
        raise BadInput(error.message.replace("Microsoft 365", "Exchange")) from error
    return EwsWrite(plan.uid, master, overrides, plan.exdates)


def _zone(windows: str) -> EWSTimeZone:
    if windows.upper() == "UTC":
        return EWSTimeZone("UTC")
    try:
        return EWSTimeZone.from_ms_id(windows)
    except Exception as error:  # exchangelib raises UnknownTimeZone / ValueError
        raise BadInput(f"time zone {windows!r} is not known to Exchange") from error


def _time(value: Mapping[str, str], all_day: bool) -> tuple[Any, EWSTimeZone]:
    wall = parse_wall(str(value["dateTime"]))
    zone = _zone(str(value.get("timeZone") or "UTC"))
    if all_day:
        return EWSDate(wall.year, wall.month, wall.day), zone
    return EWSDateTime(
        wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second, tzinfo=zone
    ), zone


def _fields(body: Mapping[str, Any], with_recurrence: bool) -> dict[str, Any]:
    all_day = bool(body.get("isAllDay"))
    start, start_zone = _time(body["start"], all_day)
    end, end_zone = _time(body["end"], all_day)
    if all_day:
        last = end - dt.timedelta(days=1)  # exchangelib's all-day end is inclusive
        end = max(EWSDate(last.year, last.month, last.day), start)
    fields: dict[str, Any] = {
        "subject": str(body.get("subject") or ""),
        "body": Body(str((body.get("body") or {}).get("content") or "")),
        "start": start,
        "end": end,
        "is_all_day": all_day,
        "_start_timezone": start_zone,
        "_end_timezone": end_zone,
        "location": str((body.get("location") or {}).get("displayName") or "") or None,
        "categories": list(body.get("categories") or []) or None,
        "reminder_is_set": bool(body.get("isReminderOn")),
    }
    if body.get("isReminderOn"):
        fields["reminder_minutes_before_start"] = int(body.get("reminderMinutesBeforeStart") or 0)
    groups: dict[str, list[Attendee]] = {name: [] for name in ATTENDEE_FIELDS}
    kinds = {"required": "required_attendees", "optional": "optional_attendees"}
    for attendee in body.get("attendees") or []:
        email = attendee["emailAddress"]
        mailbox = Mailbox(email_address=email["address"], name=email.get("name"))
        group = kinds.get(attendee.get("type"), "resources")
        groups[group].append(Attendee(mailbox=mailbox, response_type="Unknown"))
    fields.update({name: value or None for name, value in groups.items()})
    if body.get("sensitivity") in SENSITIVITY:
        fields["sensitivity"] = SENSITIVITY[body["sensitivity"]]
    if body.get("showAs") in FREE_BUSY:
        fields["legacy_free_busy_status"] = FREE_BUSY[body["showAs"]]
    if body.get("importance") in IMPORTANCE:
        fields["importance"] = IMPORTANCE[body["importance"]]
    if with_recurrence:
        recurrence = body.get("recurrence")
        fields["recurrence"] = from_graph(recurrence) if recurrence else None
    return fields


def windows_zone(iana_or_windows: str) -> str:
    return to_windows(iana_or_windows) or "UTC"


# --- minimal update -----------------------------------------------------------------------------


def _norm(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip()


def _zone_id(zone: Any) -> str:
    return str(getattr(zone, "ms_id", None) or getattr(zone, "key", None) or "UTC")


def _same_times(current: Any, wanted: Mapping[str, Any]) -> bool:
    if bool(current.is_all_day) != bool(wanted["is_all_day"]):
        return False
    have_start, have_end = times(current)
    if wanted["is_all_day"]:
        want_end = wanted["end"] + dt.timedelta(days=1)
        return (have_start, have_end) == (wanted["start"], want_end)
    if have_start is None or have_end is None:
        return False
    if _zone_id(current._start_timezone) != _zone_id(wanted["_start_timezone"]):
        return False
    return bool(have_start == wanted["start"] and have_end == wanted["end"])


def _recurrence_key(recurrence: Any, start: dt.date | None) -> Any:
    if recurrence is None or start is None:
        return None
    shape = to_graph(recurrence, start) or {}
    shape.get("pattern", {}).pop("firstDayOfWeek", None)  # never worth regenerating a series
    return shape


def changed_fields(current: Any, wanted: Mapping[str, Any]) -> list[str]:
    """Names of the exchangelib fields of `wanted` that differ from `current`."""
    changed: list[str] = []
    for name, value in wanted.items():
        if name in TIME_FIELDS or name in ATTENDEE_FIELDS:
            continue
        have = getattr(current, name, None)
        if name == "body":
            same = _norm(_description(have)) == _norm(str(value or ""))
        elif name in ("subject", "location"):
            same = str(have or "").strip() == str(value or "").strip()
        elif name == "categories":
            same = list(have or []) == list(value or [])
        elif name == "reminder_is_set":
            same = bool(have) == bool(value)
        elif name == "reminder_minutes_before_start":
            same = not wanted.get("reminder_is_set") or have == value
        elif name == "recurrence":
            start = times(current)[0]
            same = _recurrence_key(have, start) == _recurrence_key(value, start)
        else:
            same = have == value
        if not same:
            changed.append(name)
    if "start" in wanted and not _same_times(current, wanted):
        changed.extend(n for n in TIME_FIELDS if n in wanted)
    # Only the attendee groups that differ: writing an occurrence's Resources is refused
    # (ErrorInvalidPropertyForOperation, as the EWS sandbox answers) even when an empty list
    # stays empty, which failed python-caldav's testIssue397 (one required attendee added to
    # an exception).
    changed.extend(
        n
        for n in ATTENDEE_FIELDS
        if n in wanted and _group_keys(getattr(current, n, None)) != _group_keys(wanted[n])
    )
    return changed


def _group_keys(attendees: Any) -> list[str]:
    return sorted(str(a.mailbox.email_address or "").lower() for a in attendees or [])
