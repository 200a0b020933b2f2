"""Small shared pieces of the Graph <-> iCalendar mapping: Graph date/time values and zones.

Used by the Graph mappings and by the Outlook write mapping EWS shares (outlook_write.py).

What it does: parses Graph `dateTimeTimeZone` values ({"dateTime": local wall time with up to
7 fractional digits, "timeZone": Windows name | IANA id | "UTC"}) and DateTimeOffset strings,
and resolves the zone an event belongs to.
What it must not do: I/O, or produce naive datetimes for timed values (everything is aware).

Vendor reference: Microsoft Graph v1.0 "dateTimeTimeZone resource type" and "event resource
type" (start/end are returned in UTC unless the request carries `Prefer: outlook.timezone`;
`originalStartTimeZone`/`originalEndTimeZone` keep the zone the event was created in).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bridge.ical.timezones import to_iana, tzinfo_for


def parse_wall(value: str) -> dt.datetime:
    """A Graph `dateTime` ("2017-04-15T11:00:00.0000000") as a naive wall-clock datetime."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1]
    if "." in text:
        head, fraction = text.split(".", 1)
        digits = "".join(ch for ch in fraction if ch.isdigit())
        rest = fraction[len(digits) :]
        text = f"{head}.{(digits + '000000')[:6]}{rest}"
    parsed = dt.datetime.fromisoformat(text)
    return (
        parsed.replace(tzinfo=None, microsecond=0)
        if parsed.tzinfo is None
        else (parsed.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0))
    )


def parse_instant(value: Any) -> dt.datetime | None:
    """A Graph DateTimeOffset ("2017-04-15T03:00:50.7579581Z") as aware UTC, seconds precision."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    offset = dt.UTC
    if text.endswith(("Z", "z")):
        text = text[:-1]
    elif len(text) > 6 and text[-6] in "+-" and text[-3] == ":":
        sign = 1 if text[-6] == "+" else -1
        offset = dt.timezone(sign * dt.timedelta(hours=int(text[-5:-3]), minutes=int(text[-2:])))
        text = text[:-6]
    try:
        wall = parse_wall(text)
    except ValueError:
        return None
    if wall.year < 1900:  # Graph's "0001-01-01T00:00:00Z" means "never"
        return None
    return wall.replace(tzinfo=offset).astimezone(dt.UTC)


def parse_utc(value: Any) -> dt.datetime | None:
    """A Graph DateTimeOffset ("2017-09-04T15:54:02Z", up to 7 fractional digits) in UTC, to
    the microsecond (parse_instant drops the fraction); None when it is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if "." in text:
        head, rest = text.split(".", 1)
        digits = "".join(ch for ch in rest if ch.isdigit())
        text = head + "." + digits[:6].ljust(6, "0") + rest[len(digits) :]
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def event_zone(event: Mapping[str, Any], which: str = "start") -> str:
    """The IANA id (or "UTC") the event's `which` end was created in.

    Order: originalStartTimeZone/originalEndTimeZone, the recurrence's recurrenceTimeZone,
    the zone the value was returned in; a name none of these resolves (e.g.
    "tzone://Microsoft/Custom") falls back to UTC, keeping the instant.
    """
    original = event.get("originalEndTimeZone" if which == "end" else "originalStartTimeZone")
    candidates: list[Any] = [original]
    if which == "end":
        candidates.append(event.get("originalStartTimeZone"))
    recurrence = event.get("recurrence") or {}
    candidates.append((recurrence.get("range") or {}).get("recurrenceTimeZone"))
    candidates.append((event.get(which) or {}).get("timeZone"))
    for candidate in candidates:
        if isinstance(candidate, str):
            iana = to_iana(candidate)
            if iana:
                return iana
    return "UTC"


def graph_time(value: Mapping[str, Any] | None, zone: str, all_day: bool) -> dt.date | None:
    """A Graph dateTimeTimeZone as an aware datetime in `zone`, or a date for all-day events.

    All-day values are midnight in the event's zone; returned in another zone (UTC by default)
    they are not midnight any more, so the date is taken in the event's zone, rounded to the
    nearest day.
    """
    if not value or not value.get("dateTime"):
        return None
    wall = parse_wall(str(value["dateTime"]))
    given = to_iana(str(value.get("timeZone") or "UTC")) or "UTC"
    aware = wall.replace(tzinfo=tzinfo_for(given))
    if all_day:
        if wall.time() == dt.time(0, 0):
            return wall.date()
        return nearest_date(aware, zone)
    return aware.astimezone(tzinfo_for(zone))


def nearest_date(instant: dt.datetime, zone: str) -> dt.date:
    """The calendar date an all-day occurrence starting at `instant` falls on in `zone`."""
    if instant.astimezone(dt.UTC).time() == dt.time(0, 0) and zone == "UTC":
        return instant.astimezone(dt.UTC).date()
    local = instant.astimezone(tzinfo_for(zone))
    return local.date() + dt.timedelta(days=1 if local.hour >= 12 else 0)


def all_day_original(instant: dt.datetime, zone: str) -> dt.date:
    """The date of an all-day occurrence from `originalStart` (UTC midnight or zone midnight)."""
    utc = instant.astimezone(dt.UTC)
    if utc.time() == dt.time(0, 0):
        return utc.date()
    return nearest_date(instant, zone)
