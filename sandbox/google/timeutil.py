"""Time values of the Calendar API: RFC 3339 parsing/formatting and event start/end handling.

Event times are `{"date": "YYYY-MM-DD"}` (all-day, end exclusive) or `{"dateTime": RFC3339,
"timeZone"?: IANA}` (Calendar API reference, "Events" resource). Pure functions; no state, no I/O.
This module must not know about events beyond their start/end/originalStartTime objects.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sandbox.google.errors import bad_request

UTC = dt.UTC


def zone(name: str | None) -> dt.tzinfo:
    if not name or name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise KeyError(name) from exc


def valid_zone(name: str) -> bool:
    try:
        zone(name)
    except KeyError:
        return False
    return True


def parse_rfc3339(value: str, param: str = "timeMin") -> dt.datetime:
    """An RFC 3339 timestamp with offset (a bare local time is refused, as Google does)."""
    try:
        out = dt.datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError as exc:
        raise bad_request(f"Bad Request: invalid {param}", "badRequest", param) from exc
    if out.tzinfo is None:
        raise bad_request(f"Bad Request: {param} needs an offset", "badRequest", param)
    return out


def fmt_datetime(value: dt.datetime, tz: str | None) -> str:
    """`2025-01-06T10:00:00+01:00` in `tz` (UTC renders with `Z`, as Google does)."""
    local = value.astimezone(zone(tz))
    if local.utcoffset() == dt.timedelta(0):
        return local.strftime("%Y-%m-%dT%H:%M:%SZ")
    return local.isoformat(timespec="seconds")


def fmt_updated(value: dt.datetime) -> str:
    """`updated`/`created`: UTC with milliseconds, `2025-01-06T10:00:00.123Z`."""
    u = value.astimezone(UTC)
    return u.strftime("%Y-%m-%dT%H:%M:%S.") + f"{u.microsecond // 1000:03d}Z"


def from_us(us: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=us)


def to_us(value: dt.datetime) -> int:
    return (value - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(microseconds=1)


def is_all_day(t: dict[str, Any]) -> bool:
    return "date" in t and not t.get("dateTime")


def normalize_time(t: Any, which: str, default_tz: str | None = None) -> dict[str, Any]:
    """Validate an event time object and store it canonically (dateTime in its own zone)."""
    if not isinstance(t, dict) or not (t.get("date") or t.get("dateTime")):
        raise bad_request(f"Missing {which} time.", "required", which)
    if t.get("date") and not t.get("dateTime"):
        try:
            day = dt.date.fromisoformat(str(t["date"]))
        except ValueError as exc:
            raise bad_request(f"Invalid {which} time.", "invalid", which) from exc
        out: dict[str, Any] = {"date": day.isoformat()}
        if t.get("timeZone"):
            out["timeZone"] = str(t["timeZone"])
        return out
    tz = t.get("timeZone")
    if tz and not valid_zone(str(tz)):
        raise bad_request(f"Invalid time zone definition for {which} time.", "invalid", which)
    try:
        value = dt.datetime.fromisoformat(str(t["dateTime"]).replace("z", "Z"))
    except ValueError as exc:
        raise bad_request(f"Invalid {which} time.", "invalid", which) from exc
    if value.tzinfo is None:
        if not tz:
            if not default_tz:
                raise bad_request(
                    f"Missing time zone definition for {which} time.", "required", which
                )
            tz = default_tz
        value = value.replace(tzinfo=zone(str(tz)))
    out = {"dateTime": fmt_datetime(value, str(tz)) if tz else value.isoformat(timespec="seconds")}
    if tz:
        out["timeZone"] = str(tz)
    return out


def instant(t: dict[str, Any], cal_tz: str) -> dt.datetime:
    """The UTC instant a time object denotes (all-day dates at midnight in the calendar zone)."""
    if is_all_day(t):
        return dt.datetime.combine(dt.date.fromisoformat(t["date"]), dt.time(), zone(cal_tz))
    return dt.datetime.fromisoformat(t["dateTime"]).astimezone(UTC)


def event_zone(t: dict[str, Any], cal_tz: str) -> str:
    return str(t.get("timeZone") or cal_tz)


def local_naive(t: dict[str, Any], cal_tz: str) -> dt.datetime:
    """Wall-clock start in the event's zone (all-day: midnight of the date)."""
    if is_all_day(t):
        return dt.datetime.combine(dt.date.fromisoformat(t["date"]), dt.time())
    return instant(t, cal_tz).astimezone(zone(event_zone(t, cal_tz))).replace(tzinfo=None)


def instance_stamp(occ: dict[str, Any], cal_tz: str) -> str:
    """Suffix of an instance id (guides/recurringevents): `20250106T090000Z` or `20250106`."""
    if is_all_day(occ):
        return str(occ["date"]).replace("-", "")
    return instant(occ, cal_tz).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def render_time(t: dict[str, Any], out_tz: str) -> dict[str, Any]:
    """A stored time object as returned: dateTime expressed in the response time zone."""
    if is_all_day(t):
        return {"date": t["date"]}
    out: dict[str, Any] = {"dateTime": fmt_datetime(instant(t, out_tz), out_tz)}
    if t.get("timeZone"):
        out["timeZone"] = t["timeZone"]
    return out


def occurrence_time(
    series: dict[str, Any], local: dt.datetime, cal_tz: str, shift: dt.timedelta = dt.timedelta()
) -> dict[str, Any]:
    """A time object like `series` (start or end) for a wall-clock occurrence start `local`."""
    if is_all_day(series):
        return {"date": (local.date() + shift).isoformat()}
    tz = event_zone(series, cal_tz)
    start = local.replace(tzinfo=zone(tz))
    # absolute duration: an 8-hour event crossing a DST change still lasts 8 hours
    out: dict[str, Any] = {"dateTime": fmt_datetime(start.astimezone(UTC) + shift, tz)}
    if series.get("timeZone"):
        out["timeZone"] = series["timeZone"]
    return out
