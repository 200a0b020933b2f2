"""Graph `dateTimeTimeZone` values: zone names, parsing and formatting.

Graph writes local wall time with 7 fractional digits plus a zone name
(resources/datetimetimezone.md);
zone names are Windows names ("Pacific Standard Time") or "UTC", and `Prefer: outlook.timezone`
also accepts IANA names (api-reference/v1.0/api/event-get.md, "Prefer: outlook.timezone").
Windows <-> IANA mapping comes from exchangelib.winzone. Pure functions, no state, no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC


class BadTimeZone(ValueError):
    """An unknown time zone name."""


@lru_cache(maxsize=512)
def zone(name: str | None) -> dt.tzinfo:
    """The tzinfo for a Windows, IANA or UTC zone name."""
    if not name or name.upper() in ("UTC", "GMT", "Z", "ETC/UTC", "COORDINATED UNIVERSAL TIME"):
        return UTC
    from exchangelib.winzone import MS_TIMEZONE_TO_IANA_MAP

    iana = MS_TIMEZONE_TO_IANA_MAP.get(name, name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadTimeZone(name) from exc


def check_zone(name: str | None) -> None:
    zone(name)


_DT_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_local(value: str) -> dt.datetime:
    """Parse a Graph dateTime (no offset expected; an offset is converted away) to naive."""
    m = _DT_RE.match(value.strip())
    if not m:
        raise ValueError(f"bad dateTime {value!r}")
    date_part, hh, mm, ss, frac, off = m.groups()
    base = dt.datetime.fromisoformat(date_part).replace(
        hour=int(hh or 0),
        minute=int(mm or 0),
        second=int(ss or 0),
        microsecond=int((frac or "0")[:6].ljust(6, "0")),
    )
    if off:
        aware = base.replace(tzinfo=UTC if off == "Z" else _offset(off))
        return aware.astimezone(UTC).replace(tzinfo=None)
    return base


def _offset(text: str) -> dt.tzinfo:
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def parse_query_instant(value: str) -> dt.datetime:
    """startDateTime/endDateTime query values: ISO 8601; no offset means UTC
    (calendar-list-calendarview.md: "represented in ISO 8601 format")."""
    # a '+' in an unencoded query string arrives as a space
    return parse_local(value.strip().replace(" ", "+")).replace(tzinfo=UTC)


def to_aware(local: dt.datetime, zone_name: str | None) -> dt.datetime:
    return local.replace(tzinfo=zone(zone_name))


def format_local(value: dt.datetime) -> str:
    """Graph style: 2024-01-01T09:00:00.0000000 (7 fractional digits)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}0"


def format_utc_z(value: dt.datetime) -> str:
    """DateTimeOffset in UTC as Graph writes it: 2024-01-01T09:00:00Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_offset(value: dt.datetime) -> str:
    """createdDateTime/lastModifiedDateTime: 2024-01-01T09:00:00.1234567Z."""
    return format_local(value.astimezone(UTC).replace(tzinfo=None)) + "Z"


def render(instant: dt.datetime, out_zone: str) -> dict[str, str]:
    """A dateTimeTimeZone for an aware instant in the zone asked for."""
    local = instant.astimezone(zone(out_zone)).replace(tzinfo=None)
    return {"dateTime": format_local(local), "timeZone": out_zone}


def render_all_day(day: dt.date, out_zone: str) -> dict[str, str]:
    """All-day events are midnight-to-midnight in whatever zone is asked for (floating)."""
    return {"dateTime": format_local(dt.datetime.combine(day, dt.time())), "timeZone": out_zone}


def prefer_zone(prefer_header: str | None) -> str:
    """The zone named by `Prefer: outlook.timezone="…"`; UTC when absent (event-get.md)."""
    if prefer_header:
        m = re.search(r'outlook\.timezone\s*=\s*"([^"]+)"', prefer_header)
        if m:
            name = m.group(1)
            check_zone(name)
            return name
    return "UTC"


def prefer_page_size(prefer_header: str | None) -> int | None:
    if prefer_header:
        m = re.search(r"odata\.maxpagesize\s*=\s*(\d+)", prefer_header)
        if m:
            return max(1, int(m.group(1)))
    return None
