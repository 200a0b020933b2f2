"""Graph event JSON -> deterministic VCALENDAR text (one resource per single event or series).

What it does: maps a Graph `event` (singleInstance or seriesMaster) and, for a series, the
instances Graph listed over the series' reach (the sync window widened back to the series'
start, bridge.providers.common.reach), to one VCALENDAR: the master with RRULE, EXDATE
for pattern occurrences missing from the instances, one RECURRENCE-ID override per exception,
and a VTIMEZONE per TZID used.
What it must not do: I/O, read the clock (DTSTAMP comes from lastModifiedDateTime), enrich with
join-link metadata (bridge.joinlinks does that), or vary the bytes for the same input.

Vendor reference: Microsoft Graph v1.0 "event resource type", "attendee resource type",
"onlineMeetingInfo resource type", "event: instances" (occurrence/exception instances carry
`originalStart`; cancelled occurrences are not listed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from icalendar import vCalAddress, vGeo, vText

from bridge.ical.complete import complete_overrides, require
from bridge.ical.htmltext import body_text
from bridge.ical.rendering import Rendering
from bridge.ical.timezones import tzinfo_for
from bridge.model import SyncWindow
from bridge.providers.common.outlook_recurrence import expand, first_occurrence, pattern_to_rrule
from bridge.providers.common.outlook_time import (
    all_day_original,
    event_zone,
    graph_time,
    parse_instant,
)
from bridge.providers.common.zones import (
    Kit,
    ZoneYears,
    best_rendering,
    cal_address,
    calendar_rendering,
    last_year,
    new_vevent,
)

SENSITIVITY_TO_CLASS = {
    "normal": "PUBLIC",
    "personal": "PRIVATE",
    "private": "PRIVATE",
    "confidential": "CONFIDENTIAL",
}
SHOWAS_TO_BUSYSTATUS = {
    "free": "FREE",
    "tentative": "TENTATIVE",
    "busy": "BUSY",
    "oof": "OOF",
    "workingElsewhere": "WORKINGELSEWHERE",
}
RESPONSE_TO_PARTSTAT = {
    "none": "NEEDS-ACTION",
    "notResponded": "NEEDS-ACTION",
    "accepted": "ACCEPTED",
    "declined": "DECLINED",
    "tentativelyAccepted": "TENTATIVE",
    "organizer": "ACCEPTED",
}
TYPE_TO_ROLE = {
    "required": "REQ-PARTICIPANT",
    "optional": "OPT-PARTICIPANT",
    "resource": "NON-PARTICIPANT",
}
IMPORTANCE_TO_PRIORITY = {"high": 1, "low": 9}
PROVIDER_LABELS = {
    "teamsForBusiness": "Microsoft Teams",
    "skypeForBusiness": "Skype for Business",
    "skypeForConsumer": "Skype",
}


def graph_to_ical(
    event: Mapping[str, Any], instances: Sequence[Mapping[str, Any]], window: SyncWindow
) -> str:
    """VCALENDAR text for one Graph event or series (see bridge.providers.graph.mapping)."""
    return graph_rendering(event, instances, window).text


def graph_rendering(
    event: Mapping[str, Any], instances: Sequence[Mapping[str, Any]], window: SyncWindow
) -> Rendering:
    """The VCALENDAR text and its time range, taken from the components built here (light
    components where they cover the event, icalendar's otherwise: the same text)."""
    return best_rendering(lambda kit: _rendering(event, instances, window, kit))


def _rendering(
    event: Mapping[str, Any], instances: Sequence[Mapping[str, Any]], window: SyncWindow, kit: Kit
) -> Rendering:
    uid = str(event.get("iCalUId") or event.get("id") or "")
    zones = ZoneYears()
    master = _vevent(event, uid, zones, kit)
    require(master, "graph", str(event.get("id") or ""))
    components = [master]
    recurrence = event.get("recurrence")
    start = master.get("DTSTART").dt if master.get("DTSTART") is not None else None
    if event.get("type") == "seriesMaster" and recurrence and start is not None:
        rule = pattern_to_rrule(recurrence, start)
        if rule is not None:
            shift = _start_on_pattern(master, rule, start)
            start = start + shift
            master.add("RRULE", rule)
            zones.note(start, last_year(rule, start))
            zone = event_zone(event)
            missing = _missing(event, instances, start, rule, zone, window, shift)
            if missing:
                master.add("EXDATE", missing)
            overrides = _overrides(instances, uid, start, zone, zones, kit)
            components.extend(complete_overrides(overrides, "graph", str(event.get("id"))))
    return calendar_rendering(components, zones, kit)


def _start_on_pattern(master: Any, rule: Any, start: dt.date) -> dt.timedelta:
    """Move DTSTART (and DTEND, keeping the duration) to the first start the pattern selects
    (see mapping_recurrence.first_occurrence); the shift applied."""
    first = first_occurrence(rule, start)
    if first is None or first == start:
        return dt.timedelta(0)
    shift = first - start
    for name in ("DTSTART", "DTEND"):
        prop = master.get(name)
        if prop is not None:
            params = dict(prop.params)
            del master[name]
            master.add(name, prop.dt + shift)
            master[name].params.update(params)
    return shift


def _missing(
    event: Mapping[str, Any],
    instances: Sequence[Mapping[str, Any]],
    start: dt.date,
    rule: Any,
    zone: str,
    window: SyncWindow,
    shift: dt.timedelta = dt.timedelta(0),
) -> list[dt.date]:
    """Occurrences the pattern makes inside the window that Graph did not list (cancelled)."""
    all_day = not isinstance(start, dt.datetime)
    present: set[dt.date] = set()
    for instance in instances:
        original = parse_instant(instance.get("originalStart"))
        if original is None:
            value = graph_time(instance.get("start"), zone, all_day)
            if value is None:
                continue
            present.add(value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value)
        else:
            present.add(all_day_original(original, zone) if all_day else original)
    end = graph_time(event.get("end"), event_zone(event, "end"), all_day)
    if end is None:
        duration = dt.timedelta(days=1) if all_day else dt.timedelta(0)
    else:
        duration = end + shift - start
    missing = []
    for occurrence in expand(rule, start, window.start, window.end, duration, tzinfo_for(zone)):
        key = occurrence.astimezone(dt.UTC) if isinstance(occurrence, dt.datetime) else occurrence
        if key not in present:
            missing.append(occurrence)
    return missing


def _overrides(
    instances: Sequence[Mapping[str, Any]],
    uid: str,
    start: dt.date,
    zone: str,
    zones: ZoneYears,
    kit: Kit,
) -> list[Any]:
    all_day = not isinstance(start, dt.datetime)
    keyed: list[tuple[dt.datetime, str, str, Any]] = []
    for instance in instances:
        if instance.get("type") != "exception":
            continue
        original = parse_instant(instance.get("originalStart"))
        if original is None:
            original_value = graph_time(instance.get("start"), zone, all_day)
            if original_value is None:
                continue
            recurrence_id: dt.date = original_value
        elif all_day:
            recurrence_id = all_day_original(original, zone)
        else:
            recurrence_id = original.astimezone(tzinfo_for(zone))
        override = _vevent(instance, uid, zones, kit)
        override.add("RECURRENCE-ID", recurrence_id)
        zones.note(recurrence_id)
        sort_key = (
            recurrence_id.astimezone(dt.UTC)
            if isinstance(recurrence_id, dt.datetime)
            else dt.datetime.combine(recurrence_id, dt.time(), dt.UTC)
        )
        stamp = str(instance.get("lastModifiedDateTime") or "")
        keyed.append((sort_key, stamp, str(instance.get("id") or ""), override))
    # Graph may list an instance twice (delta duplicates): keep the newest per RECURRENCE-ID.
    newest: dict[dt.datetime, tuple[str, str, Any]] = {}
    for sort_key, stamp, ident, override in keyed:
        if sort_key not in newest or (stamp, ident) > newest[sort_key][:2]:
            newest[sort_key] = (stamp, ident, override)
    return [newest[key][2] for key in sorted(newest)]


def _vevent(event: Mapping[str, Any], uid: str, zones: ZoneYears, kit: Kit) -> Any:
    all_day = bool(event.get("isAllDay"))
    modified = parse_instant(event.get("lastModifiedDateTime"))
    created = parse_instant(event.get("createdDateTime"))
    vevent = new_vevent(uid, created, modified, kit)
    start = graph_time(event.get("start"), event_zone(event), all_day)
    end = graph_time(event.get("end"), event_zone(event, "end"), all_day)
    if start is not None:
        vevent.add("DTSTART", start)
        zones.note(start)
        if end is not None and end != start and _after(end, start):
            vevent.add("DTEND", end)
            zones.note(end)
        elif all_day:
            vevent.add("DTEND", start + dt.timedelta(days=1))
    if event.get("subject"):
        vevent.add("SUMMARY", str(event["subject"]))
    _location(vevent, event)
    description = body_text(event.get("body"))
    if description:
        vevent.add("DESCRIPTION", description)
    _classification(vevent, event)
    if event.get("importance") in IMPORTANCE_TO_PRIORITY:
        vevent.add("PRIORITY", IMPORTANCE_TO_PRIORITY[str(event["importance"])])
    if event.get("isCancelled"):
        vevent.add("STATUS", "CANCELLED")
    categories = [str(c) for c in event.get("categories") or [] if c]
    if categories:
        vevent.add("CATEGORIES", categories)
    _people(vevent, event)
    _conference(vevent, event)
    if event.get("webLink"):
        vevent.add("X-MICROSOFT-WEBLINK", vText(str(event["webLink"])))
    minutes = event.get("reminderMinutesBeforeStart")
    if event.get("isReminderOn") and isinstance(minutes, int) and minutes >= 0 and start:
        alarm = kit.alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("DESCRIPTION", str(event.get("subject") or "Reminder"))
        alarm.add("TRIGGER", -dt.timedelta(minutes=minutes))
        vevent.add_component(alarm)
    return vevent


def _after(end: dt.date, start: dt.date) -> bool:
    if isinstance(end, dt.datetime) != isinstance(start, dt.datetime):
        return False
    return end > start


def _location(vevent: Any, event: Mapping[str, Any]) -> None:
    location = event.get("location") or {}
    names = [
        str(loc.get("displayName")).strip()
        for loc in event.get("locations") or []
        if isinstance(loc, Mapping) and str(loc.get("displayName") or "").strip()
    ]
    main = str(location.get("displayName") or "").strip()
    if len(names) > 1 and not main:
        main = "; ".join(names)
    elif not main and names:
        main = names[0]
    if main:
        vevent.add("LOCATION", main)
    coordinates = location.get("coordinates") or {}
    lat, lon = coordinates.get("latitude"), coordinates.get("longitude")
    if isinstance(lat, int | float) and isinstance(lon, int | float) and len(names) <= 1:
        vevent.add("GEO", vGeo((float(lat), float(lon))))


def _classification(vevent: Any, event: Mapping[str, Any]) -> None:
    sensitivity = str(event.get("sensitivity") or "")
    if sensitivity in SENSITIVITY_TO_CLASS:
        vevent.add("CLASS", SENSITIVITY_TO_CLASS[sensitivity])
        if sensitivity == "personal":
            vevent.add("X-MICROSOFT-SENSITIVITY", "personal")
    show_as = str(event.get("showAs") or "")
    if show_as:
        vevent.add("TRANSP", "TRANSPARENT" if show_as == "free" else "OPAQUE")
        if show_as in SHOWAS_TO_BUSYSTATUS:
            vevent.add("X-MICROSOFT-CDO-BUSYSTATUS", SHOWAS_TO_BUSYSTATUS[show_as])


def _address(email: Mapping[str, Any] | None) -> vCalAddress | None:
    if not email:
        return None
    return cal_address(str(email.get("address") or ""), email.get("name"))


def _people(vevent: Any, event: Mapping[str, Any]) -> None:
    organizer = _address((event.get("organizer") or {}).get("emailAddress"))
    if organizer is not None:
        vevent.add("ORGANIZER", organizer)
    rooms = {
        str(loc.get("locationEmailAddress") or "").lower()
        for loc in [event.get("location") or {}, *(event.get("locations") or [])]
        if isinstance(loc, Mapping) and loc.get("locationType") == "conferenceRoom"
    }
    for attendee in event.get("attendees") or []:
        if not isinstance(attendee, Mapping):
            continue
        address = _address(attendee.get("emailAddress"))
        if address is None:
            continue
        kind = str(attendee.get("type") or "required").lower()
        address.params["ROLE"] = TYPE_TO_ROLE.get(kind, "REQ-PARTICIPANT")
        if kind == "resource":
            email = str(attendee["emailAddress"]["address"]).strip().lower()
            address.params["CUTYPE"] = "ROOM" if email in rooms else "RESOURCE"
        response = str((attendee.get("status") or {}).get("response") or "none")
        address.params["PARTSTAT"] = RESPONSE_TO_PARTSTAT.get(response, "NEEDS-ACTION")
        vevent.add("ATTENDEE", address)


def _tel(number: str) -> str | None:
    digits = "".join(ch for ch in number if ch.isdigit())
    if not digits:
        return None
    return f"tel:{'+' if number.strip().startswith('+') else ''}{digits}"


def _conference(vevent: Any, event: Mapping[str, Any]) -> None:
    meeting = event.get("onlineMeeting") or {}
    join_url = str(meeting.get("joinUrl") or event.get("onlineMeetingUrl") or "").strip()
    label = PROVIDER_LABELS.get(str(event.get("onlineMeetingProvider") or ""), "Online meeting")
    if join_url:
        vevent.add(
            "CONFERENCE", join_url, parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": label}
        )
    numbers: list[str] = []
    if meeting.get("tollNumber"):
        numbers.append(str(meeting["tollNumber"]))
    numbers.extend(str(n) for n in meeting.get("tollFreeNumbers") or [] if n)
    if meeting.get("tollFreeNumber"):
        numbers.append(str(meeting["tollFreeNumber"]))
    numbers.extend(
        str(p.get("number"))
        for p in meeting.get("phones") or []
        if isinstance(p, Mapping) and p.get("number")
    )
    seen: set[str] = set()
    for number in numbers:
        uri = _tel(number)
        if uri and uri not in seen:
            seen.add(uri)
            vevent.add("CONFERENCE", uri, parameters={"VALUE": "URI", "FEATURE": "PHONE"})
    if meeting.get("conferenceId"):
        vevent.add("X-CONFERENCE-ID", vText(str(meeting["conferenceId"])))
