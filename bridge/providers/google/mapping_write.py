"""Client VCALENDAR -> what to write to Google Calendar (master body, overrides, cancellations).

What it does: validates a client's calendar object (VEVENTs of one UID, one main VEVENT with a
DTSTART, no RANGE=THISANDFUTURE, at most 5 reminders of up to 4 weeks) and maps it to Calendar
v3 event bodies: summary, description, location, start/end with timeZone, recurrence lines,
visibility, transparency, reminders, attendees; one body per RECURRENCE-ID override keyed by
Google's instance key; cancelled occurrences (EXDATE, STATUS:CANCELLED overrides) as keys.
What it must not do: I/O, or write what Google owns (organizer, id, iCalUID, conferenceData);
CONFERENCE, URL and X-ZOOM-* (enrichment) are ignored.

Decisions: floating DTSTART/DTEND are written in `floating_zone` ("UTC" by default: wall-clock
digits kept); a TZID that is not an IANA/Windows zone but has a VTIMEZONE is written in UTC with
the instant kept. No VALARM leaves the event's reminders alone on update and gives the calendar's
defaults on create (Google applies `useDefault`).
Vendor reference: Google Calendar API "Events" resource (reminders.overrides: at most 5,
minutes 0..40320; recurrence: RRULE, EXRULE, RDATE and EXDATE lines; start.timeZone required
for recurring events), "Events: patch".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from icalendar import Component

from bridge.errors import BadInput
from bridge.ical.resource import calendar_resource, check_event
from bridge.ical.timezones import to_iana, tzinfo_for
from bridge.providers.common.occurrences import as_list, overrides_of, settled
from bridge.providers.google.mapping_common import instance_key
from bridge.providers.google.mapping_recurrence import date_line, rule_line

CLASS_TO_VISIBILITY = {"PUBLIC": "public", "PRIVATE": "private", "CONFIDENTIAL": "confidential"}
PARTSTAT_TO_RESPONSE = {
    "NEEDS-ACTION": "needsAction",
    "ACCEPTED": "accepted",
    "DECLINED": "declined",
    "TENTATIVE": "tentative",
}
MAX_REMINDERS = 5
MAX_REMINDER_MINUTES = 40320


@dataclass(frozen=True)
class GoogleWrite:
    """What a client PUT asks Google to hold.

    `master` is the event body (its `recurrence` holds the RRULE/EXRULE/RDATE lines only);
    `exdates` and the keys of `overrides` are Google instance keys ("20150604T160000Z" or
    "20150604") of the original starts.
    """

    uid: str
    master: dict[str, Any]
    overrides: Mapping[str, dict[str, Any]]
    exdates: tuple[str, ...]
    all_day: bool


def ical_to_google(text: str, *, floating_zone: str = "UTC") -> GoogleWrite:
    """Map a client VCALENDAR to Google bodies; BadInput says what is wrong."""
    resource = calendar_resource(text)
    events, uid = resource.events, resource.uid
    masters = [e for e in events if e.get("RECURRENCE-ID") is None]
    if len(masters) != 1:
        raise BadInput(
            f"UID {uid} needs exactly one VEVENT without RECURRENCE-ID "
            f"(found {len(masters)}); Google Calendar stores the whole series"
        )
    zone = to_iana(floating_zone) or "UTC"
    for event in events:
        check_event(event)
    master = masters[0]
    body, start = _body(master, zone)
    all_day = not isinstance(start, dt.datetime)
    lines = [rule_line("RRULE", r, start) for r in as_list(master.get("RRULE"))]
    lines += [rule_line("EXRULE", r, start) for r in as_list(master.get("EXRULE"))]
    rdates = [_aware(d.dt, zone) for p in as_list(master.get("RDATE")) for d in p.dts]
    rdate = date_line("RDATE", [d for d in rdates if isinstance(d, dt.datetime) != all_day])
    if rdate:
        lines.append(rdate)
    if lines:
        body["recurrence"] = lines
    exdates = {
        instance_key(_aware(d.dt, zone)) for p in as_list(master.get("EXDATE")) for d in p.dts
    }
    overrides, cancelled = overrides_of(
        events,
        lambda start: instance_key(_aware(start, zone)),
        lambda event: _body(event, zone)[0],
        "RECURRENCE-ID;RANGE=THISANDFUTURE cannot be stored in Google Calendar; "
        "split the series instead",
    )
    kept, skipped = settled(overrides, exdates | cancelled)
    return GoogleWrite(uid=uid, master=body, overrides=kept, exdates=skipped, all_day=all_day)


def _aware(value: dt.date, zone: str) -> dt.date:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=tzinfo_for(zone))
    return value


def _edt(prop: Any, zone: str) -> tuple[dict[str, str], dt.date]:
    """An EventDateTime for a DTSTART/DTEND property, and the (aware) value."""
    value = prop.dt
    if not isinstance(value, dt.datetime):
        return {"date": value.isoformat()}, value
    tzid = str(prop.params.get("TZID") or "")
    if value.tzinfo is None:
        if tzid:
            iana = to_iana(tzid)
            if iana is None:
                raise BadInput(f"unknown time zone {tzid!r} and no VTIMEZONE defines it")
        else:
            iana = zone
        value = value.replace(tzinfo=tzinfo_for(iana))
    else:
        iana = (to_iana(tzid) if tzid else None) or (
            "UTC" if value.utcoffset() == dt.timedelta(0) and not tzid else None
        )
        if iana is None:  # a custom VTIMEZONE: keep the instant, in UTC
            iana = "UTC"
        value = value.astimezone(tzinfo_for(iana))
    value = value.replace(microsecond=0)
    return {"dateTime": value.isoformat(), "timeZone": iana}, value


def _body(event: Component, zone: str) -> tuple[dict[str, Any], dt.date]:
    start_edt, start = _edt(event["DTSTART"], zone)
    end_prop: Any = event.get("DTEND")
    if end_prop is not None:
        end_edt, end = _edt(end_prop, zone)
        if isinstance(end, dt.datetime) != isinstance(start, dt.datetime):
            raise BadInput("DTSTART and DTEND must both be dates or both be date-times")
    else:
        duration: Any = event.get("DURATION")
        all_day = not isinstance(start, dt.datetime)
        delta = duration.dt if duration is not None else dt.timedelta(days=1 if all_day else 0)
        if not isinstance(delta, dt.timedelta):
            raise BadInput("DURATION must be a duration such as PT1H")
        end = start + delta
        if isinstance(end, dt.datetime):
            end_edt = {"dateTime": end.isoformat(), "timeZone": start_edt["timeZone"]}
        else:
            end_edt = {"date": end.isoformat()}
    if _key(end) < _key(start):
        raise BadInput("DTEND is before DTSTART")
    if not isinstance(start, dt.datetime) and end == start:
        end = start + dt.timedelta(days=1)
        end_edt = {"date": end.isoformat()}
    body: dict[str, Any] = {
        "summary": str(event.get("SUMMARY") or ""),
        "description": str(event.get("DESCRIPTION") or ""),
        "location": str(event.get("LOCATION") or ""),
        "start": start_edt,
        "end": end_edt,
        "visibility": CLASS_TO_VISIBILITY.get(str(event.get("CLASS") or "").upper(), "default"),
        "transparency": (
            "transparent" if str(event.get("TRANSP") or "").upper() == "TRANSPARENT" else "opaque"
        ),
        "attendees": _attendees(event),
    }
    reminders = _reminders(event, start, end)
    if reminders is not None:
        body["reminders"] = reminders
    return body, start


def _key(value: dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _email(value: Any) -> str:
    text = str(value or "").strip()
    return text[7:] if text.lower().startswith("mailto:") else text


def _attendees(event: Component) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for prop in as_list(event.get("ATTENDEE")):
        address = _email(prop)
        if "@" not in address or address.lower() in seen:
            continue
        seen.add(address.lower())
        params = getattr(prop, "params", {})
        if str(params.get("SCHEDULE-AGENT", "SERVER")).upper() != "SERVER":
            continue  # RFC 6638 §7.1: the client schedules it; kept in the overlay only
        entry: dict[str, Any] = {"email": address}
        if params.get("CN"):
            entry["displayName"] = str(params["CN"])
        if str(params.get("ROLE", "")).upper() == "OPT-PARTICIPANT":
            entry["optional"] = True
        if str(params.get("CUTYPE", "")).upper() in ("RESOURCE", "ROOM"):
            entry["resource"] = True
        partstat = str(params.get("PARTSTAT", "")).upper()
        if partstat in PARTSTAT_TO_RESPONSE:
            entry["responseStatus"] = PARTSTAT_TO_RESPONSE[partstat]
        result.append(entry)
    return result


def _reminders(event: Component, start: dt.date, end: dt.date) -> dict[str, Any] | None:
    """VALARMs -> reminders.overrides; None when the event has no VALARM."""
    alarms = [c for c in event.subcomponents if c.name == "VALARM"]
    if not alarms:
        return None
    overrides: list[dict[str, Any]] = []
    for alarm in alarms:
        trigger: Any = alarm.get("TRIGGER")
        value = getattr(trigger, "dt", None)
        if isinstance(value, dt.timedelta):
            if str(trigger.params.get("RELATED", "START")).upper() == "END":
                value = value + (_key(end) - _key(start))
            before = -value
        elif isinstance(value, dt.datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            before = _key(start) - moment.astimezone(dt.UTC)
        else:
            continue
        if before < dt.timedelta(0):
            continue  # Google reminders are before the start only
        minutes = int(before.total_seconds() // 60)
        if minutes > MAX_REMINDER_MINUTES:
            raise BadInput(
                f"a reminder {minutes} minutes before the start cannot be stored in Google "
                f"Calendar (at most {MAX_REMINDER_MINUTES} minutes, 4 weeks)"
            )
        method = "email" if str(alarm.get("ACTION") or "").upper() == "EMAIL" else "popup"
        entry = {"method": method, "minutes": minutes}
        if entry not in overrides:
            overrides.append(entry)
    if len(overrides) > MAX_REMINDERS:
        raise BadInput(
            f"Google Calendar stores at most {MAX_REMINDERS} reminders per event "
            f"({len(overrides)} given)"
        )
    overrides.sort(key=lambda r: (r["minutes"], r["method"]))
    return {"useDefault": False, "overrides": overrides}
