"""The minimal `events.patch` body between a Google event and what a client wants.

What it does: keeps only the fields of the wanted body that really differ from the current
event, compared the way a user sees them (an HTML description whose text is unchanged, the same
instant in the same zone, the same rule written differently are no change), and keeps the
attendees' responses Google already has.
What it must not do: I/O.
Vendor reference: Google Calendar API "Events: patch" (only the fields sent change; arrays are
replaced as a whole).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bridge.ical.htmltext import html_to_text
from bridge.providers.google.mapping_common import as_utc, event_zone, parse_edt, zone_of
from bridge.providers.google.mapping_read import description_text
from bridge.providers.google.mapping_recurrence import parse_recurrence


def google_body_diff(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """Fields of `wanted` that differ from `current` (an event as Google returns it)."""
    diff: dict[str, Any] = {}
    for key, value in wanted.items():
        if not _same(key, current, value, wanted):
            diff[key] = value
    if {"start", "end"} & diff.keys():
        diff["start"], diff["end"] = wanted["start"], wanted["end"]  # validated together
    if "reminders" not in wanted and _reminder_key(current.get("reminders")) not in ("default", []):
        # The client removed every VALARM of an event with its own reminders.
        diff["reminders"] = {"useDefault": False, "overrides": []}
    if "attendees" in diff:
        diff["attendees"] = _keep_responses(current.get("attendees"), wanted["attendees"])
    return diff


def _text(value: Any) -> str:
    lines = str(value or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _same(key: str, current: Mapping[str, Any], value: Any, wanted: Mapping[str, Any]) -> bool:
    if key == "description":
        have = str(current.get(key) or "")
        return _text(value) in (_text(description_text(have)), _text(html_to_text(have)))
    if key in ("summary", "location"):
        return _text(current.get(key)) == _text(value)
    if key in ("start", "end"):
        return _same_time(current.get(key), value)
    if key == "visibility":
        return bool(str(current.get(key) or "default") == value)
    if key == "transparency":
        return bool(str(current.get(key) or "opaque") == value)
    if key == "attendees":
        return _attendee_keys(current.get(key)) == _attendee_keys(value)
    if key == "reminders":
        return _reminder_key(current.get(key)) == _reminder_key(value)
    if key == "recurrence":
        return _recurrence_key(current, current.get(key)) == _recurrence_key(current, value)
    return bool(current.get(key) == value)


def _same_time(have: Any, want: Any) -> bool:
    if not have or not want:
        return bool(have) == bool(want)
    if ("date" in have) != ("date" in want):
        return False
    if "date" in want:
        return str(have.get("date"))[:10] == str(want["date"])[:10]
    if (zone_of(have) or "UTC") != (zone_of(want) or "UTC"):
        return False
    a, b = parse_edt(have, "UTC"), parse_edt(want, "UTC")
    return a is not None and b is not None and as_utc(a) == as_utc(b)


def _attendee_keys(attendees: Any) -> list[tuple[str, bool, bool]]:
    return sorted(
        (str(a.get("email") or "").lower(), bool(a.get("optional")), bool(a.get("resource")))
        for a in attendees or []
        if isinstance(a, Mapping)
    )


def _keep_responses(current: Any, wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    known = {
        str(a.get("email") or "").lower(): a
        for a in current or []
        if isinstance(a, Mapping) and a.get("email")
    }
    merged = []
    for entry in wanted:
        have = known.get(entry["email"].lower())
        if have is not None:
            entry = {**entry, "responseStatus": have.get("responseStatus", "needsAction")}
        merged.append(entry)
    return merged


def _reminder_key(reminders: Any) -> str | list[tuple[int, str]]:
    reminders = reminders or {}
    if reminders.get("useDefault", True) is not False:
        return "default"
    return sorted(
        (int(r.get("minutes") or 0), str(r.get("method") or "popup"))
        for r in reminders.get("overrides") or []
    )


def _recurrence_key(
    current: Mapping[str, Any], lines: Any
) -> tuple[list[str], list[str], list[dt.datetime], list[dt.datetime]] | None:
    if not lines:
        return None
    zone = event_zone(current)
    start = parse_edt(current.get("start"), zone) or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    rec = parse_recurrence(lines, start)
    return (
        sorted(r.to_ical().decode() for r in rec.rrules),  # type: ignore[no-untyped-call]  # icalendar's vRecur.to_ical is unannotated
        sorted(r.to_ical().decode() for r in rec.exrules),  # type: ignore[no-untyped-call]  # icalendar's vRecur.to_ical is unannotated
        sorted(as_utc(v) for v in rec.rdates),
        sorted(as_utc(v) for v in rec.exdates),
    )
