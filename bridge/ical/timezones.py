"""Time-zone names and VTIMEZONE components: Windows (Exchange/Graph) names <-> IANA ids.

What it does: resolves the zone names providers use (Windows names such as "Pacific Standard
Time", IANA ids, "UTC" and its aliases) to IANA ids and tzinfo objects, maps IANA ids back to
Windows names for writes, and builds VTIMEZONE components with icalendar's `Timezone` API.
What it must not do: I/O beyond reading the local tz database, guessing a zone for names it
does not know (callers decide the fallback, usually UTC with the instant preserved).

The Windows <-> IANA tables are CLDR's windowsZones, as shipped in `exchangelib.winzone`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from exchangelib import winzone
from icalendar import Timezone

UTC_NAMES = frozenset(
    {
        "utc",
        "etc/utc",
        "etc/gmt",
        "gmt",
        "z",
        "zulu",
        "etc/zulu",
        "universal",
        "etc/universal",
        "coordinated universal time",
        "tzone://microsoft/utc",
    }
)

# CLDR's windowsZones still names a few zones by their pre-rename IANA ids ("backward" links in
# tzdata). Clients accept both; we emit the current names so TZIDs look like what users expect.
_CURRENT_IANA = {
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Europe/Kiev": "Europe/Kyiv",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Indianapolis": "America/Indiana/Indianapolis",
    "Atlantic/Faeroe": "Atlantic/Faroe",
    "Pacific/Truk": "Pacific/Chuuk",
    "Pacific/Ponape": "Pacific/Pohnpei",
}

# Windows names compared case-insensitively (Graph accepts any case on input).
# exchangelib ships no type information: its CLDR tables, typed here
MS_TIMEZONE_TO_IANA_MAP: dict[str, str] = winzone.MS_TIMEZONE_TO_IANA_MAP
IANA_TO_MS_TIMEZONE_MAP: dict[str, tuple[str, str]] = winzone.IANA_TO_MS_TIMEZONE_MAP
_WINDOWS_LOWER = {name.lower(): iana for name, iana in MS_TIMEZONE_TO_IANA_MAP.items()}

# Thunderbird (old Lightning) and Citadel prefix IANA ids: "/mozilla.org/20050126_1/Europe/Berlin".
_PREFIXED_TZID = re.compile(r"^/(?:[^/]+\.[a-z]+)/(?:[^/]+/)?(?P<iana>[A-Za-z_]+/.+)$")


def is_utc_name(name: str) -> bool:
    return name.strip().lower() in UTC_NAMES


@functools.lru_cache(maxsize=1024)
def to_iana(name: str | None) -> str | None:
    """The IANA id for a provider zone name, "UTC" for UTC aliases, None when unknown.

    Accepts Windows names (Graph `originalStartTimeZone`, `dateTimeTimeZone.timeZone`), IANA ids
    (Graph accepts those too) and prefixed ids some clients send as TZID.
    """
    if not name:
        return None
    name = name.strip()
    if is_utc_name(name):
        return "UTC"
    iana = _WINDOWS_LOWER.get(name.lower())
    if iana is None:
        match = _PREFIXED_TZID.match(name)
        candidate = match.group("iana") if match else name
        if _loadable(candidate):
            iana = candidate
    if iana is None:
        return None
    if iana in ("Etc/UTC", "Etc/GMT"):
        return "UTC"
    return _CURRENT_IANA.get(iana, iana)


@functools.lru_cache(maxsize=1024)
def to_windows(name: str | None) -> str | None:
    """The Windows zone name Graph expects for an IANA id (or Windows name); None when unknown."""
    iana = to_iana(name)
    if iana is None:
        return None
    if iana == "UTC":
        return "UTC"
    if name and name.strip().lower() in _WINDOWS_LOWER:
        # Already a Windows name: keep Microsoft's spelling.
        return next(w for w in MS_TIMEZONE_TO_IANA_MAP if w.lower() == name.strip().lower())
    for candidate in (iana, *(old for old, new in _CURRENT_IANA.items() if new == iana)):
        entry = IANA_TO_MS_TIMEZONE_MAP.get(candidate)
        if entry:
            return entry[0]
    return None


def tzinfo_for(iana: str) -> dt.tzinfo:
    """The tzinfo for an IANA id that `to_iana` returned ("UTC" -> datetime.UTC)."""
    if iana == "UTC":
        return dt.UTC
    return ZoneInfo(iana)


def _loadable(name: str) -> bool:
    if not re.fullmatch(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*", name):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@functools.lru_cache(maxsize=512)
def vtimezone(iana: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for `iana` valid from Jan 1 of `first_year` to the end of `last_year`.

    The component is cached and shared: callers must not modify it. Limiting the years keeps
    the text short (a zone with DST otherwise lists every transition since 1970) while staying
    exact for the instants the resource uses; clients resolve well-known IANA TZIDs from their
    own database anyway.
    """
    first = dt.date(max(first_year, 1), 1, 1)
    last = dt.date(min(last_year, 9998) + 1, 1, 1)
    return Timezone.from_tzid(iana, first_date=first, last_date=last)
