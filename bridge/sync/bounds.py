"""What a client may write (issue 9, bounded work per item): a calendar object or vCard past
a configured `[limits]` bound is refused with `LimitExceeded` (403 naming the limit and its
value) before anything reaches the provider — and so is a write over a mirrored copy that was
served shortened (it would cut the provider's whole item down to what the client saw).

RFC 4791 §5.3.2.1 names the matching CalDAV preconditions (max-attendees-per-instance,
min-date-time, max-date-time, max-resource-size); the message names the davbridge option.
Must not import radicale or any concrete provider; no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import icalendar

from bridge.errors import LimitExceeded
from bridge.ical.limits import limited_by
from bridge.model import ItemRecord
from bridge.settings import LimitsSettings

_DATE_PROPERTIES = ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID")
_DATE_LISTS = ("EXDATE", "RDATE")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _dt(prop: Any) -> Any:
    try:
        return getattr(prop, "dt", None)
    except Exception:  # icalendar 7's vBroken raises on .dt: unreadable, not out of range
        return None


def _dates(component: Any) -> Iterator[tuple[str, dt.date]]:
    for name in _DATE_PROPERTIES:
        value = _dt(component.get(name))
        if isinstance(value, dt.date):
            yield name, value
    for name in _DATE_LISTS:
        for prop in _as_list(component.get(name)):
            for entry in getattr(prop, "dts", ()):
                value = _dt(entry)
                value = value[0] if isinstance(value, tuple) else value
                if isinstance(value, dt.date):
                    yield name, value
    rrule = component.get("RRULE")
    if rrule is not None:
        for until in _as_list(rrule.get("UNTIL")):
            if isinstance(until, dt.date):
                yield "RRULE UNTIL", until


def check_calendar_limits(text: str, limits: LimitsSettings) -> None:
    """Refuse a client's calendar object past a bound (it was already parsed once: valid)."""
    cal = icalendar.Calendar.from_ical(text)
    events = [c for c in cal.subcomponents if c.name not in ("VTIMEZONE",)]
    if len(events) > limits.components_per_resource:
        raise LimitExceeded(
            "components_per_resource",
            limits.components_per_resource,
            f"the calendar object holds {len(events)} components",
        )
    for event in events:
        attendees = len(_as_list(event.get("ATTENDEE")))
        if attendees > limits.attendees_per_event:
            raise LimitExceeded(
                "attendees_per_event",
                limits.attendees_per_event,
                f"the event has {attendees} attendees (CALDAV:max-attendees-per-instance)",
            )
        for name in ("DESCRIPTION", "X-ALT-DESC"):
            size = len(str(event.get(name, "")))
            if size > limits.description_chars:
                raise LimitExceeded(
                    "description_chars",
                    limits.description_chars,
                    f"the event's {name} has {size} characters",
                )
        for name, value in _dates(event):
            if value.year < limits.min_year:
                raise LimitExceeded(
                    "min_year",
                    limits.min_year,
                    f"{name} is in the year {value.year} (CALDAV:min-date-time)",
                )
            if value.year > limits.max_year:
                raise LimitExceeded(
                    "max_year",
                    limits.max_year,
                    f"{name} is in the year {value.year} (CALDAV:max-date-time)",
                )


def check_vcard_limits(card: Any, limits: LimitsSettings) -> None:
    """Refuse a client's vCard (parsed by vobject) with more TELs than are indexed."""
    tels = len(card.contents.get("tel", []))
    if tels > limits.tels_per_contact:
        raise LimitExceeded(
            "tels_per_contact", limits.tels_per_contact, f"the contact has {tels} TEL numbers"
        )


def check_not_shortened(existing: ItemRecord | None) -> None:
    """Refuse to overwrite an item the mirror serves shortened (its provider copy is whole)."""
    if existing is None:
        return
    marks = limited_by(existing.text)
    if marks:
        limit, _, value = marks[0].partition("=")
        raise LimitExceeded(
            limit,
            int(value) if value.isdigit() else 0,
            "this event is served shortened because it is past a limit, and saving it would "
            "cut the provider's copy down too; change it at the provider",
        )
