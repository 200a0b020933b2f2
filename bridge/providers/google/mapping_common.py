"""Shared pieces of the Google <-> iCalendar mapping: EventDateTime values, zones, instance keys.

What it does: parses Calendar v3 `EventDateTime` values (`{"date": "2015-05-28"}` for all-day,
`{"dateTime": RFC 3339 with offset, "timeZone": IANA id}` otherwise — "Events" resource: the
offset is required unless `timeZone` is given), RFC 3339 `updated`/`created` stamps, the zone a
series lives in, and the instance key Google uses in instance ids (`<masterId>_20150604T160000Z`,
`<masterId>_20150604` for all-day series) for a RECURRENCE-ID / originalStartTime.
What it must not do: I/O, or produce naive datetimes for timed values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bridge.ical.timezones import to_iana, tzinfo_for


def parse_rfc3339(value: Any) -> dt.datetime | None:
    """An RFC 3339 timestamp ("2011-06-03T10:00:00.000-07:00", "…Z") as aware UTC, seconds."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).replace(microsecond=0)


def zone_of(value: Mapping[str, Any] | None) -> str | None:
    """The IANA id (or "UTC") of an EventDateTime's `timeZone`, None when absent or unknown."""
    if not value or not isinstance(value.get("timeZone"), str):
        return None
    return to_iana(str(value["timeZone"]))


def event_zone(event: Mapping[str, Any]) -> str:
    """The zone an event (or series) is expressed in: start.timeZone, else end.timeZone, else
    UTC (the instant is kept)."""
    return zone_of(event.get("start")) or zone_of(event.get("end")) or "UTC"


def parse_edt(value: Mapping[str, Any] | None, zone: str) -> dt.date | None:
    """An EventDateTime as a date (all-day) or an aware datetime in `zone`."""
    if not value:
        return None
    if value.get("date"):
        try:
            return dt.date.fromisoformat(str(value["date"])[:10])
        except ValueError:
            return None
    text = value.get("dateTime")
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is None:  # wall time in the value's own timeZone
        parsed = parsed.replace(tzinfo=tzinfo_for(zone_of(value) or zone))
    return parsed.astimezone(tzinfo_for(zone)).replace(microsecond=0)


def instance_key(value: dt.date) -> str:
    """Google's instance-id suffix for an original start: basic UTC, or the date."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return value.strftime("%Y%m%d")


def key_instant(key: str) -> dt.datetime:
    """The UTC instant an instance key stands for (all-day: midnight UTC)."""
    if "T" in key:
        return dt.datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    return dt.datetime.strptime(key, "%Y%m%d").replace(tzinfo=dt.UTC)


def original_key(event: Mapping[str, Any]) -> str | None:
    """The instance key of an exception's `originalStartTime`."""
    value = parse_edt(event.get("originalStartTime"), "UTC")
    return None if value is None else instance_key(value)


def as_utc(value: dt.date) -> dt.datetime:
    """A date (midnight UTC) or datetime as aware UTC, for ordering and window checks."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
