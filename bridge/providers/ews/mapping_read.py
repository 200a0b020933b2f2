"""EWS CalendarItem (exchangelib object) -> deterministic VCALENDAR text, one per item or series.

What it does: maps a Single item, or a RecurringMaster together with its modified occurrences
(Exception items fetched by GetItem), to one VCALENDAR: master with RRULE, EXDATE from
DeletedOccurrences (their original start), one RECURRENCE-ID override per exception (from
OriginalStart), a VTIMEZONE per TZID used. Times are written in the item's own zone
(StartTimeZone/EndTimeZone, Windows names -> IANA). exchangelib turns all-day values into dates
with an *inclusive* end date; iCalendar's DTEND is exclusive, so one day is added here.
What it must not do: I/O, read the clock (DTSTAMP/LAST-MODIFIED come from LastModifiedTime,
CREATED from DateTimeCreated), enrich with join links, or vary the bytes for the same input.

Known gap: exchangelib 5.6 has no fields for JoinOnlineMeetingUrl/OnlineMeetingSettings, so no
CONFERENCE property is produced; Teams/Zoom links in LOCATION/DESCRIPTION are found by the
join-link layer.

Vendor references: Microsoft EWS reference "CalendarItem", "Occurrence", "DeletedOccurrence",
"ResponseType", "Sensitivity", "LegacyFreeBusyStatus", "StartTimeZone"; "Create all-day events by
using EWS in Exchange" (midnight to midnight in the item's zone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from exchangelib.properties import HTMLBody
from icalendar import vCalAddress

from bridge.ical.complete import complete_overrides, require
from bridge.ical.htmltext import html_to_text
from bridge.ical.rendering import Rendering
from bridge.ical.timezones import to_iana, tzinfo_for
from bridge.providers.common.outlook_recurrence import pattern_to_rrule
from bridge.providers.common.zones import (
    NO_END_YEAR,
    Kit,
    ZoneYears,
    best_rendering,
    cal_address,
    calendar_rendering,
    new_vevent,
)
from bridge.providers.ews.mapping_recurrence import to_graph

SENSITIVITY_TO_CLASS = {
    "Normal": "PUBLIC",
    "Personal": "PRIVATE",
    "Private": "PRIVATE",
    "Confidential": "CONFIDENTIAL",
}
BUSY_TO_CDO = {
    "Free": "FREE",
    "Tentative": "TENTATIVE",
    "Busy": "BUSY",
    "OOF": "OOF",
    "WorkingElsewhere": "WORKINGELSEWHERE",
}
RESPONSE_TO_PARTSTAT = {
    "Unknown": "NEEDS-ACTION",
    "NoResponseReceived": "NEEDS-ACTION",
    "Accept": "ACCEPTED",
    "Decline": "DECLINED",
    "Tentative": "TENTATIVE",
    "Organizer": "ACCEPTED",
}
IMPORTANCE_TO_PRIORITY = {"High": 1, "Low": 9}


def plain(value: dt.datetime) -> dt.datetime:
    """An exchangelib EWSDateTime as a plain aware datetime in UTC."""
    if value.tzinfo is None:  # exchangelib only hands out aware values; be safe anyway
        return dt.datetime(*value.timetuple()[:6], tzinfo=dt.UTC)
    return dt.datetime.fromtimestamp(int(value.timestamp()), dt.UTC)


def plain_date(value: dt.date) -> dt.date:
    return dt.date(value.year, value.month, value.day)


def item_zone(item: Any, which: str = "start") -> str:
    """The IANA zone of an item's start (or end); "UTC" when EWS did not say."""
    tz = getattr(item, f"_{which}_timezone", None)
    if tz is None and which == "end":
        tz = getattr(item, "_start_timezone", None)
    if tz is None:
        tz = getattr(item, "_meeting_timezone", None)
    if tz is None:
        return "UTC"
    return to_iana(getattr(tz, "ms_id", None)) or to_iana(getattr(tz, "key", None)) or "UTC"


def day_of(instant: dt.datetime, zone: str) -> dt.date:
    """The date an all-day occurrence starting at `instant` (local midnight) falls on."""
    local = plain(instant).astimezone(tzinfo_for(zone))
    return local.date() + dt.timedelta(days=1 if local.hour >= 12 else 0)


def local(value: dt.datetime, zone: str) -> dt.datetime:
    return plain(value).astimezone(tzinfo_for(zone))


def times(item: Any) -> tuple[dt.date | None, dt.date | None]:
    """DTSTART and (exclusive) DTEND of an item in its own zone(s)."""
    start, end = item.start, item.end
    if start is None and getattr(item, "first_occurrence", None) is not None:
        start, end = item.first_occurrence.start, item.first_occurrence.end
    if start is None:
        return None, None
    if not isinstance(start, dt.datetime):  # all-day: exchangelib gives dates, end inclusive
        first = plain_date(start)
        last = plain_date(end) if end is not None and not isinstance(end, dt.datetime) else first
        return first, max(last, first) + dt.timedelta(days=1)
    begin = local(start, item_zone(item))
    finish = local(end, item_zone(item, "end")) if isinstance(end, dt.datetime) else None
    return begin, finish


def series_start(item: Any) -> dt.date | None:
    return times(item)[0]


def ews_to_ical(master: Any, exceptions: Sequence[Any] = ()) -> str:
    """VCALENDAR text for one EWS item or series (see the module docstring)."""
    return ews_rendering(master, exceptions).text


def ews_rendering(master: Any, exceptions: Sequence[Any] = ()) -> Rendering:
    """The VCALENDAR text and its time range, taken from the components built here (light
    components where they cover the item, icalendar's otherwise: the same text)."""
    return best_rendering(lambda kit: _rendering(master, exceptions, kit))


def _rendering(master: Any, exceptions: Sequence[Any], kit: Kit) -> Rendering:
    uid = str(master.uid or master.id or "")
    zones = ZoneYears()
    event = _vevent(master, uid, zones, kit)
    require(event, "ews", str(master.id or ""))
    components = [event]
    start = series_start(master)
    if master.type == "RecurringMaster" and start is not None:
        recurrence = to_graph(master.recurrence, start)
        rule = pattern_to_rrule(recurrence, start) if recurrence else None
        if rule is not None:
            event.add("RRULE", rule)
            zones.note(start, _last_year(recurrence or {}, start))
        zone = item_zone(master)
        exdates = _exdates(master, start, zone)
        if exdates:
            event.add("EXDATE", exdates)
        overrides = _overrides(master, exceptions, uid, start, zone, zones, kit)
        components.extend(complete_overrides(overrides, "ews", str(master.id or "")))
    return calendar_rendering(components, zones, kit)


def _last_year(recurrence: dict[str, Any], start: dt.date) -> int:
    rng = recurrence.get("range") or {}
    if rng.get("type") == "endDate":
        return int(str(rng["endDate"])[:4])
    if rng.get("type") == "numbered":
        return start.year + 1 + int(rng.get("numberOfOccurrences") or 0) // 12
    return max(NO_END_YEAR, start.year + 1)


def recurrence_key(original: dt.datetime, start: dt.date, zone: str) -> dt.date:
    """RECURRENCE-ID/EXDATE value for an occurrence's original start (date for all-day)."""
    if isinstance(start, dt.datetime):
        return local(original, zone)
    return day_of(original, zone)


def _exdates(master: Any, start: dt.date, zone: str) -> list[dt.date]:
    values = {
        recurrence_key(d.start, start, zone)
        for d in master.deleted_occurrences or []
        if d.start is not None
    }
    return sorted(values, key=_sort_key)


def _sort_key(value: dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _overrides(
    master: Any,
    exceptions: Sequence[Any],
    uid: str,
    start: dt.date,
    zone: str,
    zones: ZoneYears,
    kit: Kit,
) -> list[Any]:
    originals = {
        o.id: o.original_start
        for o in master.modified_occurrences or []
        if o.id and o.original_start is not None
    }
    newest: dict[dt.datetime, tuple[str, str, Any]] = {}
    for item in exceptions:
        original = item.original_start or originals.get(item.id)
        if original is None:
            continue
        recurrence_id = recurrence_key(original, start, zone)
        override = _vevent(item, uid, zones, kit)
        override.add("RECURRENCE-ID", recurrence_id)
        zones.note(recurrence_id)
        key = _sort_key(recurrence_id)
        stamp = plain(item.last_modified_time).isoformat() if item.last_modified_time else ""
        if key not in newest or (stamp, str(item.id)) > newest[key][:2]:
            newest[key] = (stamp, str(item.id), override)
    return [newest[key][2] for key in sorted(newest)]


def _vevent(item: Any, uid: str, zones: ZoneYears, kit: Kit) -> Any:
    modified = plain(item.last_modified_time) if item.last_modified_time else None
    created = plain(item.datetime_created) if item.datetime_created else None
    vevent = new_vevent(uid, created, modified, kit)
    start, end = times(item)
    if start is not None:
        vevent.add("DTSTART", start)
        zones.note(start)
        if end is not None and type(end) is type(start) and end > start:
            vevent.add("DTEND", end)
            zones.note(end)
    if item.subject:
        vevent.add("SUMMARY", str(item.subject))
    if item.location and str(item.location).strip():
        vevent.add("LOCATION", str(item.location).strip())
    description = _description(item.body)
    if description:
        vevent.add("DESCRIPTION", description)
    if item.sensitivity in SENSITIVITY_TO_CLASS:
        vevent.add("CLASS", SENSITIVITY_TO_CLASS[item.sensitivity])
        if item.sensitivity == "Personal":
            vevent.add("X-MICROSOFT-SENSITIVITY", "personal")
    busy = item.legacy_free_busy_status
    if busy:
        vevent.add("TRANSP", "TRANSPARENT" if busy == "Free" else "OPAQUE")
        if busy in BUSY_TO_CDO:
            vevent.add("X-MICROSOFT-CDO-BUSYSTATUS", BUSY_TO_CDO[busy])
    if item.importance in IMPORTANCE_TO_PRIORITY:
        vevent.add("PRIORITY", IMPORTANCE_TO_PRIORITY[item.importance])
    if item.is_cancelled:
        vevent.add("STATUS", "CANCELLED")
    categories = [str(c) for c in item.categories or [] if c]
    if categories:
        vevent.add("CATEGORIES", categories)
    _people(vevent, item)
    minutes = item.reminder_minutes_before_start
    if item.reminder_is_set and isinstance(minutes, int) and minutes >= 0 and start is not None:
        alarm = kit.alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("DESCRIPTION", str(item.subject or "Reminder"))
        alarm.add("TRIGGER", -dt.timedelta(minutes=minutes))
        vevent.add_component(alarm)
    return vevent


def _description(body: Any) -> str:
    if not body:
        return ""
    text = html_to_text(str(body)) if isinstance(body, HTMLBody) else str(body)
    return text.replace("\r\n", "\n").strip()


def _address(mailbox: Any) -> vCalAddress | None:
    return cal_address(
        str(getattr(mailbox, "email_address", None) or ""), getattr(mailbox, "name", None)
    )


def _people(vevent: Any, item: Any) -> None:
    organizer = _address(item.organizer) if item.organizer is not None else None
    if organizer is not None:
        vevent.add("ORGANIZER", organizer)
    groups = (
        (item.required_attendees, "REQ-PARTICIPANT", None),
        (item.optional_attendees, "OPT-PARTICIPANT", None),
        (item.resources, "NON-PARTICIPANT", "RESOURCE"),
    )
    for attendees, role, cutype in groups:
        for attendee in attendees or []:
            address = _address(attendee.mailbox)
            if address is None:
                continue
            address.params["ROLE"] = role
            if cutype:
                address.params["CUTYPE"] = cutype
            response = str(attendee.response_type or "Unknown")
            address.params["PARTSTAT"] = RESPONSE_TO_PARTSTAT.get(response, "NEEDS-ACTION")
            vevent.add("ATTENDEE", address)
