"""The one check of a client's calendar object resource before anything is written.

What it does: `calendar_resource(text)` parses a client's iCalendar body with icalendar and
checks that it is one calendar object resource of events (RFC 4791 §4.1: one VCALENDAR whose
components, VTIMEZONEs aside, are VEVENTs sharing one UID; RFC 5545 §3.6.1: every VEVENT has a
UID). It returns the parsed VCALENDAR, its VEVENTs and the UID, or raises BadInput saying what
is wrong. `check_event` checks one VEVENT's own properties: values icalendar could not read,
properties RFC 5545 §3.6.1 allows once at most, DTSTART/DTEND/RECURRENCE-ID of type DATE or
DATE-TIME, DURATION a duration, and a DTSTART (required where there is no METHOD, §3.6.1). The sync layer calls it before a write; each provider's mapping calls it again on the
text it maps, then checks what only that provider refuses (a series without its master …).
What it must not do: check what a particular provider can store, or change the text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from icalendar import Calendar, Component

from bridge.errors import BadInput

_CHECKED = ("DTSTART", "DTEND", "DURATION", "RRULE", "EXDATE", "RECURRENCE-ID", "RDATE")
_ONCE = (
    "UID",
    "DTSTART",
    "DTEND",
    "DURATION",
    "RECURRENCE-ID",
    "SUMMARY",
    "DESCRIPTION",
    "LOCATION",
    "CLASS",
    "TRANSP",
    "PRIORITY",
)  # RFC 5545 3.6.1: MUST NOT occur more than once


@dataclass(frozen=True)
class CalendarResource:
    calendar: Component
    events: tuple[Component, ...]
    uid: str


def parse_vcalendar(text: str, holding: str) -> Calendar:
    """A request body parsed as one VCALENDAR; BadInput (naming `holding`, e.g. "one VEVENT",
    as what was expected) when it is empty, malformed or another object."""
    if not text or not text.strip():
        raise BadInput(f"the request body is empty; expected a VCALENDAR with {holding}")
    try:
        calendar = Calendar.from_ical(text)
    except Exception as error:  # icalendar raises several types for malformed input
        raise BadInput(f"the iCalendar data could not be parsed: {error}") from error
    if calendar.name != "VCALENDAR":
        raise BadInput(f"expected a VCALENDAR object, got {calendar.name or 'nothing'}")
    return calendar


def calendar_resource(text: str) -> CalendarResource:
    """The parsed resource (see the module docstring); BadInput when it is not one."""
    calendar = parse_vcalendar(text, "one VEVENT")
    events = tuple(c for c in calendar.subcomponents if c.name == "VEVENT")
    others = sorted(
        {str(c.name) for c in calendar.subcomponents if c.name not in ("VEVENT", "VTIMEZONE")}
    )
    if others:
        raise BadInput(f"this calendar holds events only: {', '.join(others)} is not accepted")
    if not events:
        raise BadInput("the calendar object contains no VEVENT")
    uids = sorted({str(e.get("UID") or "").strip() for e in events})
    if "" in uids:
        raise BadInput("a VEVENT has no UID")
    if len(uids) > 1:
        raise BadInput(
            f"the calendar object holds several UIDs ({', '.join(uids)}); "
            "put each event in its own resource (RFC 4791 §4.1)"
        )
    return CalendarResource(calendar, events, uids[0])


def check_event(event: Component) -> None:
    """BadInput when one VEVENT's own properties are unusable (see the module docstring)."""
    for name, message in getattr(event, "errors", []):
        if name in _CHECKED:
            raise BadInput(f"{name} is invalid: {message}")
    for name in _ONCE:
        if isinstance(event.get(name), list):
            raise BadInput(f"{name} appears more than once in one VEVENT")
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        prop: Any = event.get(name)
        if prop is not None and not isinstance(getattr(prop, "dt", None), dt.date):
            raise BadInput(f"{name} must be a DATE or DATE-TIME value")
    duration: Any = event.get("DURATION")
    if duration is not None and not isinstance(getattr(duration, "dt", None), dt.timedelta):
        raise BadInput("DURATION must be a duration such as PT1H")
    if event.get("DTSTART") is None:
        summary = str(event.get("SUMMARY") or "").strip()
        label = f"{summary!r} " if summary else ""
        raise BadInput(f"the VEVENT {label}has no DTSTART")
