"""Client VCALENDAR -> what to write to Graph, and the minimal PATCH between two Graph bodies.

Shared by the Graph provider and the EWS provider (ews/mapping_write.py turns these Outlook
event bodies into exchangelib fields), so both refuse and map a client's event the same way.

What it does: validates a client's calendar object (one UID, VEVENTs only, DTSTART present,
recurrence Graph can express) and maps it to Graph event bodies: the master, one body per
RECURRENCE-ID override, and the cancelled occurrences (EXDATE). `graph_body_diff` keeps only the
fields that really changed, comparing the way a user sees them (an HTML body whose text is
unchanged is left alone, the same instant in the same zone is no change).
What it must not do: I/O, or write read-only Graph fields (organizer, id, iCalUId, webLink ...);
ORGANIZER, URL, CONFERENCE and X-ZOOM-* (enrichment) are ignored.

Decisions: a floating DTSTART/DTEND (no TZID, no Z) and all-day dates are written in
`floating_zone` (default "UTC": the wall-clock digits are kept; the provider client can pass
the mailbox's zone from mailboxSettings instead). A TZID that is neither IANA nor Windows but
defined by a VTIMEZONE is converted to UTC with the instant kept.

Vendor reference: Microsoft Graph v1.0 "event resource type", "Update event" (PATCH: only the
properties sent are changed), "dateTimeTimeZone resource type", "attendee resource type".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from icalendar import Component

from bridge.errors import BadInput
from bridge.ical.htmltext import body_text
from bridge.ical.resource import calendar_resource, check_event
from bridge.ical.timezones import to_iana, to_windows, tzinfo_for
from bridge.providers.common.occurrences import as_list, overrides_of, settled
from bridge.providers.common.outlook_recurrence import rrule_to_recurrence
from bridge.providers.common.outlook_time import event_zone, graph_time, parse_wall

CLASS_TO_SENSITIVITY = {"PUBLIC": "normal", "PRIVATE": "private", "CONFIDENTIAL": "confidential"}
BUSYSTATUS_TO_SHOWAS = {
    "FREE": "free",
    "TENTATIVE": "tentative",
    "BUSY": "busy",
    "OOF": "oof",
    "WORKINGELSEWHERE": "workingElsewhere",
}


@dataclass(frozen=True)
class GraphWrite:
    """What a client PUT asks Graph to hold.

    `overrides` maps each RECURRENCE-ID (aware UTC; all-day: midnight UTC of the date) to the
    Graph body of that occurrence; `exdates` are the original starts (same convention) of
    occurrences the client cancelled.
    """

    uid: str
    master: dict[str, Any]
    overrides: Mapping[dt.datetime, dict[str, Any]]
    exdates: tuple[dt.datetime, ...]


def ical_to_graph(text: str, *, floating_zone: str = "UTC") -> GraphWrite:
    """Map a client VCALENDAR to Graph bodies; BadInput says what is wrong and where."""
    resource = calendar_resource(text)
    events, uid = resource.events, resource.uid
    masters = [e for e in events if e.get("RECURRENCE-ID") is None]
    if len(masters) > 1:
        raise BadInput(
            f"UID {uid} has {len(masters)} VEVENTs without RECURRENCE-ID; "
            "only one main event is allowed"
        )
    if not masters:
        raise BadInput(
            f"UID {uid} has only RECURRENCE-ID overrides and no main VEVENT; "
            "Microsoft 365 needs the whole series"
        )
    for event in events:
        _check(event)
    zone = _zone_name(floating_zone)
    master = _body(masters[0], zone, with_recurrence=True)
    overrides, exdates = overrides_of(
        events,
        lambda start: _utc_key(start, zone),
        lambda event: _body(event, zone, with_recurrence=False),
        "RECURRENCE-ID;RANGE=THISANDFUTURE cannot be expressed in Microsoft 365; "
        "change the series instead",
    )
    for prop in as_list(masters[0].get("EXDATE")):
        for item in prop.dts:
            exdates.add(_utc_key(item.dt, zone))
    kept, cancelled = settled(overrides, exdates)
    return GraphWrite(uid=uid, master=master, overrides=kept, exdates=cancelled)


def _zone_name(name: str) -> str:
    windows = to_windows(name)
    if windows is None:
        raise ValueError(f"unknown floating_zone {name!r}")
    return windows


def _check(event: Component) -> None:
    """The shared VEVENT check, then what Microsoft 365 cannot hold."""
    check_event(event)
    if event.get("RDATE") is not None:
        raise BadInput(
            "RDATE (extra dates outside the RRULE) cannot be expressed in Microsoft "
            "365; add those dates as separate events or edit single occurrences"
        )
    if len(as_list(event.get("RRULE"))) > 1:
        raise BadInput("several RRULEs cannot be expressed in Microsoft 365 (only one pattern)")


def _utc_key(value: dt.date, zone: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=tzinfo_for(to_iana(zone) or "UTC")).astimezone(dt.UTC)
    return value.astimezone(dt.UTC)


def _graph_time(prop: Any, value: dt.date, zone: str) -> tuple[dict[str, str], dt.date]:
    """A Graph dateTimeTimeZone for an iCalendar DTSTART/DTEND value, and the value itself."""
    if not isinstance(value, dt.datetime):
        return {"dateTime": f"{value.isoformat()}T00:00:00", "timeZone": zone}, value
    tzid = str(prop.params.get("TZID") or "") if prop is not None else ""
    if value.tzinfo is None:
        if tzid:
            windows = to_windows(tzid)
            if windows is None:
                raise BadInput(f"unknown time zone {tzid!r} and no VTIMEZONE defines it")
            return _format(value, windows), value.replace(tzinfo=tzinfo_for(to_iana(tzid) or ""))
        return _format(value, zone), value.replace(tzinfo=tzinfo_for(to_iana(zone) or "UTC"))
    # "Z" -> UTC; a TZID without a Windows name (custom VTIMEZONE) -> UTC, keeping the instant.
    windows = (to_windows(tzid) if tzid else "UTC") or "UTC"
    if windows == "UTC":
        value = value.astimezone(dt.UTC)
    return _format(value, windows), value


def _format(value: dt.datetime, windows: str) -> dict[str, str]:
    return {"dateTime": value.replace(tzinfo=None, microsecond=0).isoformat(), "timeZone": windows}


def _body(event: Component, zone: str, with_recurrence: bool) -> dict[str, Any]:
    start_prop: Any = event["DTSTART"]
    start_value = start_prop.dt
    start, start_aware = _graph_time(start_prop, start_value, zone)
    all_day = not isinstance(start_value, dt.datetime)
    end_prop: Any = event.get("DTEND")
    if end_prop is not None:
        end_value = end_prop.dt
        if isinstance(end_value, dt.datetime) != isinstance(start_value, dt.datetime):
            raise BadInput("DTSTART and DTEND must both be dates or both be date-times")
        end, end_aware = _graph_time(end_prop, end_value, zone)
    else:
        duration = event.get("DURATION")
        if duration is not None:
            delta = duration.dt
        else:
            delta = dt.timedelta(days=1) if all_day else dt.timedelta(0)
        end_aware = start_aware + delta  # wall-clock addition in the start's zone
        if all_day:
            end = {"dateTime": f"{end_aware.isoformat()[:10]}T00:00:00", "timeZone": zone}
        else:
            end = _format(end_aware, start["timeZone"])
    if _before(end_aware, start_aware):
        raise BadInput("DTEND is before DTSTART")
    body: dict[str, Any] = {
        "subject": str(event.get("SUMMARY") or ""),
        "body": {"contentType": "text", "content": str(event.get("DESCRIPTION") or "")},
        "start": start,
        "end": end,
        "isAllDay": all_day,
        "location": {"displayName": str(event.get("LOCATION") or "")},
        "categories": _categories(event),
        "attendees": _attendees(event),
    }
    body.update(_reminder(event, start_aware, end_aware))
    body.update(_classification(event))
    level = _int(event.get("PRIORITY"))
    if level is not None:
        body["importance"] = "high" if 1 <= level <= 4 else "low" if level >= 6 else "normal"
    if with_recurrence:
        rules = as_list(event.get("RRULE"))
        body["recurrence"] = (
            rrule_to_recurrence(rules[0], start_aware, start["timeZone"]) if rules else None
        )
    return body


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _before(end: dt.date, start: dt.date) -> bool:
    if isinstance(end, dt.datetime) and isinstance(start, dt.datetime):
        return end < start
    if not isinstance(end, dt.datetime) and not isinstance(start, dt.datetime):
        return end < start
    return False


def _categories(event: Component) -> list[str]:
    names: list[str] = []
    for prop in as_list(event.get("CATEGORIES")):
        for name in getattr(prop, "cats", []):
            text = str(name).strip()
            if text and text not in names:
                names.append(text)
    return names


def _email(value: Any) -> str:
    text = str(value or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text


def _attendees(event: Component) -> list[dict[str, Any]]:
    organizer = _email(event.get("ORGANIZER")).lower()
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for prop in as_list(event.get("ATTENDEE")):
        address = _email(prop)
        if not address or "@" not in address or address.lower() in (organizer, *seen):
            continue
        seen.add(address.lower())
        params = getattr(prop, "params", {})
        if str(params.get("SCHEDULE-AGENT", "SERVER")).upper() != "SERVER":
            # RFC 6638 §7.1: the client schedules this attendee; Exchange would send an
            # invitation to any attendee it holds, so it is kept in the overlay only
            continue
        cutype = str(params.get("CUTYPE", "")).upper()
        role = str(params.get("ROLE", "")).upper()
        if cutype in ("RESOURCE", "ROOM") or role == "NON-PARTICIPANT":
            kind = "resource"
        elif role == "OPT-PARTICIPANT":
            kind = "optional"
        else:
            kind = "required"
        email: dict[str, str] = {"address": address}
        if params.get("CN"):
            email["name"] = str(params["CN"])
        result.append({"emailAddress": email, "type": kind})
    return result


def _reminder(event: Component, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The first DISPLAY/AUDIO alarm before (or at) the start, as Graph reminder fields."""
    for alarm in event.subcomponents:
        if alarm.name != "VALARM":
            continue
        if str(alarm.get("ACTION") or "").upper() not in ("DISPLAY", "AUDIO"):
            continue
        trigger = alarm.get("TRIGGER")
        if trigger is None or isinstance(getattr(trigger, "dt", None), type(None)):
            continue
        value = trigger.dt
        if isinstance(value, dt.timedelta):
            if str(trigger.params.get("RELATED", "START")).upper() == "END":
                value = value + _span(start, end)
            before = -value
        elif isinstance(value, dt.datetime) and isinstance(start, dt.datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            before = start - moment
        else:
            continue
        if before < dt.timedelta(0):
            continue
        return {
            "isReminderOn": True,
            "reminderMinutesBeforeStart": int(before.total_seconds() // 60),
        }
    return {"isReminderOn": False}


def _span(start: dt.date, end: dt.date) -> dt.timedelta:
    try:
        return end - start
    except TypeError:
        return dt.timedelta(0)


def _classification(event: Component) -> dict[str, Any]:
    out: dict[str, Any] = {}
    klass = event.get("CLASS")
    if klass is not None:
        value = str(klass).upper()
        sensitivity = CLASS_TO_SENSITIVITY.get(value, "private")  # RFC 5545: unknown = PRIVATE
        if sensitivity == "private" and str(event.get("X-MICROSOFT-SENSITIVITY") or "") == (
            "personal"
        ):
            sensitivity = "personal"
        out["sensitivity"] = sensitivity
    transp = str(event.get("TRANSP") or "").upper()
    busy = BUSYSTATUS_TO_SHOWAS.get(str(event.get("X-MICROSOFT-CDO-BUSYSTATUS") or "").upper())
    if transp == "TRANSPARENT":
        out["showAs"] = "free"
    elif transp == "OPAQUE":
        out["showAs"] = busy if busy and busy != "free" else "busy"
    elif busy:
        out["showAs"] = busy
    return out


# --- minimal PATCH ----------------------------------------------------------------------------


def graph_body_diff(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of `wanted` that differ from `current` (a Graph event as GET returns it)."""
    diff: dict[str, Any] = {}
    for key, value in wanted.items():
        if not _same(key, current, value, wanted):
            diff[key] = value
    if {"start", "end", "isAllDay"} & diff.keys():
        # Graph validates start/end/isAllDay together: send them as one.
        for key in ("start", "end", "isAllDay"):
            if key in wanted:
                diff[key] = wanted[key]
    if diff.get("isReminderOn") is True or "reminderMinutesBeforeStart" in diff:
        for key in ("isReminderOn", "reminderMinutesBeforeStart"):
            if key in wanted:
                diff[key] = wanted[key]
    return diff


def _norm_text(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip()


def _same(key: str, current: Mapping[str, Any], value: Any, wanted: Mapping[str, Any]) -> bool:
    if key == "body":
        return _norm_text(body_text(current.get("body"))) == _norm_text(
            body_text(dict(value)) if isinstance(value, Mapping) else str(value or "")
        )
    if key in ("start", "end"):
        return _same_time(key, current, value, bool(wanted.get("isAllDay")))
    if key == "location":
        have = str((current.get("location") or {}).get("displayName") or "").strip()
        return have == str((value or {}).get("displayName") or "").strip()
    if key == "attendees":
        return _attendee_keys(current.get("attendees")) == _attendee_keys(value)
    if key == "recurrence":
        return _recurrence_key(current.get("recurrence"), value) == _recurrence_key(value, value)
    if key == "reminderMinutesBeforeStart":
        return not wanted.get("isReminderOn") or current.get(key) == value
    if key == "subject":
        return str(current.get(key) or "") == str(value or "")
    if key == "categories":
        return list(current.get(key) or []) == list(value or [])
    if key in ("isAllDay", "isReminderOn"):
        return bool(current.get(key)) == bool(value)
    return bool(current.get(key) == value)


def _same_time(key: str, current: Mapping[str, Any], value: Any, all_day: bool) -> bool:
    have = current.get(key)
    if not have or not value:
        return bool(have == value)
    if bool(current.get("isAllDay")) != all_day:
        return False
    which = "end" if key == "end" else "start"
    zone = event_zone(current, which)
    if all_day:
        return graph_time(have, zone, True) == parse_wall(str(value["dateTime"])).date()
    wanted_zone = to_iana(str(value.get("timeZone") or "UTC")) or "UTC"
    if wanted_zone != zone:
        return False
    wanted_instant = parse_wall(str(value["dateTime"])).replace(tzinfo=tzinfo_for(wanted_zone))
    return graph_time(have, zone, False) == wanted_instant


def _attendee_keys(attendees: Any) -> list[tuple[str, str]]:
    keys = []
    for attendee in attendees or []:
        address = str((attendee.get("emailAddress") or {}).get("address") or "").lower()
        keys.append((address, str(attendee.get("type") or "required").lower()))
    return sorted(keys)


_PATTERN_FIELDS = {
    "daily": ("interval",),
    "weekly": ("interval", "daysOfWeek", "firstDayOfWeek"),
    "absoluteMonthly": ("interval", "dayOfMonth"),
    "relativeMonthly": ("interval", "daysOfWeek", "index"),
    "absoluteYearly": ("interval", "month", "dayOfMonth"),
    "relativeYearly": ("interval", "month", "daysOfWeek", "index"),
}


def _recurrence_key(recurrence: Any, reference: Any) -> list[Any] | None:
    """Comparable form of a patternedRecurrence: only the fields its type uses.

    Fields the wanted side (`reference`) leaves out (e.g. firstDayOfWeek without WKST) are not
    compared.
    """
    if not recurrence:
        return None
    pattern = recurrence.get("pattern") or {}
    ref_pattern = (reference or {}).get("pattern") or {}
    kind = str(pattern.get("type") or "")
    fields = [f for f in _PATTERN_FIELDS.get(kind, ()) if f in ref_pattern or f == "interval"]
    values: list[Any] = [kind]
    for name in fields:
        item = pattern.get(name)
        if name == "daysOfWeek":
            item = sorted(str(d).lower() for d in item or [])
        elif name in ("index", "firstDayOfWeek"):
            item = str(item or "").lower()
        elif name == "interval":
            item = int(item or 1)
        values.append((name, item))
    rng = recurrence.get("range") or {}
    range_type = str(rng.get("type") or "noEnd")
    values.append(("range", range_type, str(rng.get("startDate") or "")[:10]))
    if range_type == "endDate":
        values.append(("endDate", str(rng.get("endDate") or "")[:10]))
    elif range_type == "numbered":
        values.append(("count", int(rng.get("numberOfOccurrences") or 0)))
    return values
