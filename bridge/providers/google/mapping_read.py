"""Google event(s) -> deterministic VCALENDAR text (one resource per single event or series).

What it does: maps a Calendar v3 event (single or recurring master) plus, for a series, its
exceptions (events with `recurringEventId` + `originalStartTime`) to one VCALENDAR: the master
with RRULE/RDATE/EXDATE from `recurrence`, cancelled exceptions as EXDATE, one RECURRENCE-ID
override per modified exception, a VTIMEZONE per TZID used; structured `conferenceData` as
RFC 7986 CONFERENCE properties (mapping_conference.py).
What it must not do: I/O, read the clock (DTSTAMP/LAST-MODIFIED come from `updated`, CREATED from
`created`), add join-link metadata (bridge.joinlinks does that), or vary the bytes for the same
input.

Exceptions are kept when their original or actual start lies in the series' reach (the sync
window widened back to the series' start, bridge.providers.common.reach), so a series reads the
same whether its exceptions came from a windowed listing or a full one.
Vendor reference: Google Calendar API "Events" resource, guides/recurringevents.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from icalendar import vCalAddress

from bridge.ical.complete import complete_overrides, require
from bridge.ical.htmltext import html_to_text
from bridge.ical.rendering import Rendering
from bridge.model import SyncWindow
from bridge.providers.common.reach import series_reach
from bridge.providers.common.zones import (
    Kit,
    ZoneYears,
    best_rendering,
    cal_address,
    calendar_rendering,
    last_year,
    new_vevent,
)
from bridge.providers.google.mapping_common import (
    as_utc,
    event_zone,
    instance_key,
    parse_edt,
    parse_rfc3339,
    zone_of,
)
from bridge.providers.google.mapping_conference import add_conference
from bridge.providers.google.mapping_recurrence import parse_recurrence
from bridge.providers.google.mapping_types import add_event_type

VISIBILITY_TO_CLASS = {"public": "PUBLIC", "private": "PRIVATE", "confidential": "CONFIDENTIAL"}
STATUS = {"confirmed": "CONFIRMED", "tentative": "TENTATIVE", "cancelled": "CANCELLED"}
RESPONSE_TO_PARTSTAT = {
    "needsAction": "NEEDS-ACTION",
    "accepted": "ACCEPTED",
    "declined": "DECLINED",
    "tentative": "TENTATIVE",
}
# possessive: "<" followed by a megabyte of spaces must not backtrack (issue 9)
_HTML = re.compile(
    r"<\s*+(?:/\s*+)?(br|p|div|a|b|i|u|ul|ol|li|span|strong|em|html|body|table)\b", re.I
)


def google_to_ical(
    event: Mapping[str, Any],
    exceptions: Sequence[Mapping[str, Any]],
    window: SyncWindow,
) -> str:
    """VCALENDAR text for one Google event, or a master with its exceptions."""
    return google_rendering(event, exceptions, window).text


def google_rendering(
    event: Mapping[str, Any],
    exceptions: Sequence[Mapping[str, Any]],
    window: SyncWindow,
) -> Rendering:
    """The VCALENDAR text and its time range, taken from the components built here (light
    components where they cover the event, icalendar's otherwise: the same text)."""
    return best_rendering(lambda kit: _rendering(event, exceptions, window, kit))


def _rendering(
    event: Mapping[str, Any],
    exceptions: Sequence[Mapping[str, Any]],
    window: SyncWindow,
    kit: Kit,
) -> Rendering:
    uid = str(event.get("iCalUID") or event.get("id") or "")
    zone = event_zone(event)
    zones = ZoneYears()
    master = _vevent(event, uid, zone, zones, kit)
    require(master, "google", str(event.get("id") or ""))
    components = [master]
    start = master.decoded("DTSTART") if master.get("DTSTART") is not None else None
    if event.get("recurrence") and start is not None:
        rec = parse_recurrence(event.get("recurrence") or [], start)
        for rule in rec.rrules:
            master.add("RRULE", rule)
            zones.note(start, last_year(rule, start))
        for rule in rec.exrules:
            master.add("EXRULE", rule)
        if rec.rdates:
            master.add("RDATE", sorted(set(rec.rdates), key=as_utc))
            for value in rec.rdates:
                zones.note(value)
        exdates = {instance_key(v): v for v in rec.exdates}
        overrides: dict[str, Any] = {}
        reach = series_reach(window, start)
        for exc in sorted(exceptions, key=_exception_order):
            original = parse_edt(exc.get("originalStartTime"), zone)
            if original is None or not _in_window(exc, original, zone, reach):
                continue
            if isinstance(start, dt.datetime) != isinstance(original, dt.datetime):
                continue  # an all-day series with a timed original (or vice versa): malformed
            key = instance_key(original)
            if exc.get("status") == "cancelled":
                exdates[key] = original
                overrides.pop(key, None)
            else:
                override = _vevent(exc, uid, zone, zones, kit)
                override.add("RECURRENCE-ID", original)
                zones.note(original)
                overrides[key] = override
                exdates.pop(key, None)
        if exdates:
            master.add("EXDATE", [exdates[k] for k in sorted(exdates, key=lambda k: k)])
        kept = [overrides[k] for k in sorted(overrides)]
        components.extend(complete_overrides(kept, "google", str(event.get("id") or "")))
    return calendar_rendering(components, zones, kit)


def _exception_order(exc: Mapping[str, Any]) -> tuple[str, str, str]:
    """Later `updated` wins for the same original start (duplicates across pages)."""
    return (str(exc.get("updated") or ""), str(exc.get("status") or ""), str(exc.get("id") or ""))


def _in_window(exc: Mapping[str, Any], original: dt.date, zone: str, window: SyncWindow) -> bool:
    candidates = [original]
    actual = parse_edt(exc.get("start"), zone)
    if actual is not None:
        candidates.append(actual)
    return any(window.start <= as_utc(v) < window.end for v in candidates)


def _vevent(event: Mapping[str, Any], uid: str, zone: str, zones: ZoneYears, kit: Kit) -> Any:
    updated = parse_rfc3339(event.get("updated"))
    created = parse_rfc3339(event.get("created"))
    vevent = new_vevent(uid, created, updated, kit)
    # Each time in its own zone: a flight from New York to Berlin ends in Berlin time, and an
    # occurrence moved to a Berlin afternoon starts in Berlin time (RECURRENCE-ID stays in the
    # series' zone).
    own = zone_of(event.get("start")) or zone
    start = parse_edt(event.get("start"), own)
    end = parse_edt(event.get("end"), zone_of(event.get("end")) or own)
    if start is not None:
        vevent.add("DTSTART", start)
        zones.note(start)
        if (
            end is not None
            and isinstance(end, dt.datetime) == isinstance(start, dt.datetime)
            and as_utc(end) > as_utc(start)
        ):
            vevent.add("DTEND", end)  # all-day: Google's end date is exclusive, as iCalendar's
            zones.note(end)
        elif not isinstance(start, dt.datetime):
            vevent.add("DTEND", start + dt.timedelta(days=1))
    if event.get("summary"):
        vevent.add("SUMMARY", str(event["summary"]))
    if event.get("location"):
        vevent.add("LOCATION", str(event["location"]))
    description = description_text(event.get("description"))
    if description:
        vevent.add("DESCRIPTION", description)
    if event.get("visibility") in VISIBILITY_TO_CLASS:
        vevent.add("CLASS", VISIBILITY_TO_CLASS[str(event["visibility"])])
    if event.get("transparency") in ("opaque", "transparent"):
        vevent.add("TRANSP", str(event["transparency"]).upper())
    if event.get("status") in STATUS:
        vevent.add("STATUS", STATUS[str(event["status"])])
    add_event_type(vevent, event)
    _people(vevent, event)
    add_conference(vevent, event)
    if start is not None:
        _alarms(vevent, event, kit)
    return vevent


def description_text(value: Any) -> str:
    """Google keeps what the web UI wrote: often HTML ("<br>", "<a href=…>"), sometimes text."""
    if not isinstance(value, str) or not value.strip():
        return ""
    text = html_to_text(value) if _HTML.search(value) else value
    return text.strip()


def _address(person: Mapping[str, Any]) -> vCalAddress | None:
    return cal_address(str(person.get("email") or ""), person.get("displayName"))


def _people(vevent: Any, event: Mapping[str, Any]) -> None:
    organizer = _address(event.get("organizer") or {})
    if organizer is not None:
        vevent.add("ORGANIZER", organizer)
    for attendee in event.get("attendees") or []:
        if not isinstance(attendee, Mapping):
            continue
        address = _address(attendee)
        if address is None:
            continue
        if attendee.get("resource"):
            address.params["CUTYPE"] = "RESOURCE"
        address.params["ROLE"] = (
            "OPT-PARTICIPANT" if attendee.get("optional") else "REQ-PARTICIPANT"
        )
        response = str(attendee.get("responseStatus") or "needsAction")
        address.params["PARTSTAT"] = RESPONSE_TO_PARTSTAT.get(response, "NEEDS-ACTION")
        vevent.add("ATTENDEE", address)


def _owner(event: Mapping[str, Any]) -> str | None:
    """The calendar owner's address as far as the event tells (for EMAIL alarms)."""
    for person in [event.get("organizer") or {}, *(event.get("attendees") or [])]:
        if isinstance(person, Mapping) and person.get("self") and person.get("email"):
            return str(person["email"])
    creator = event.get("creator") or {}
    return str(creator["email"]) if creator.get("email") else None


def _alarms(vevent: Any, event: Mapping[str, Any], kit: Kit) -> None:
    """reminders.overrides -> VALARMs. `useDefault` reminders depend on the calendar's settings,
    not on the event: they are left to the client (no VALARM)."""
    reminders = event.get("reminders") or {}
    if reminders.get("useDefault", True) is not False:
        return
    summary = str(event.get("summary") or "Reminder")
    owner = _owner(event)
    entries = sorted(
        (int(r["minutes"]), str(r.get("method") or "popup"))
        for r in reminders.get("overrides") or []
        if isinstance(r, Mapping) and isinstance(r.get("minutes"), int) and r["minutes"] >= 0
    )
    for minutes, method in entries:
        alarm = kit.alarm()
        if method == "email" and owner:
            alarm.add("ACTION", "EMAIL")
            alarm.add("SUMMARY", summary)
            alarm.add("DESCRIPTION", summary)
            alarm.add("ATTENDEE", f"mailto:{owner}")
        else:
            alarm.add("ACTION", "DISPLAY")
            alarm.add("DESCRIPTION", summary)
        alarm.add("TRIGGER", -dt.timedelta(minutes=minutes))
        vevent.add_component(alarm)
