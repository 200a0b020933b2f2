"""The lossless overlay's keys (C10, bridge.ical.overlay): which properties it may store, how a
component is found again (RECURRENCE-ID as a zone-free instant), group names (DTEND and DURATION
are one), guards (a short hash of what the provider rendered) and the units of a resource.

What it must not do: I/O, or parse values beyond date-times for keys.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bridge.ical.contentlines import Block, Line, parse, split_line
from bridge.ical.timezones import to_iana

PROVIDER_OWNED = frozenset(
    {
        "UID",
        "DTSTAMP",
        "CREATED",
        "LAST-MODIFIED",
        "DTSTART",
        "DTEND",
        "DUE",
        "RRULE",
        "RDATE",
        "EXDATE",
        "EXRULE",
        "RECURRENCE-ID",
        "VERSION",
        "PRODID",
        "REV",
        "PHOTO",
        "LOGO",
        "SOUND",
        # enrichment output (bridge.joinlinks): recomputed from the provider on every render
        "CONFERENCE",
        "X-MICROSOFT-SKYPETEAMSMEETINGURL",
        "X-GOOGLE-CONFERENCE",
    }
)
BRIDGE_PREFIXES = ("X-DAVBRIDGE-", "X-ZOOM-")
UNITS = frozenset({"VEVENT", "VTODO", "VJOURNAL", "VCARD"})
ADDRESS_VALUES = frozenset({"ATTENDEE", "ORGANIZER", "EMAIL"})


# --- keys ------------------------------------------------------------------------------------
def is_stored(name: str) -> bool:
    return name not in PROVIDER_OWNED and not name.startswith(BRIDGE_PREFIXES)


def group_of(name: str) -> str:
    """DTEND and DURATION are one choice (RFC 5545 §3.6.1): the client's DURATION replaces the
    provider's DTEND as a group."""
    return "DTEND" if name in ("DTEND", "DURATION") else name


def entries(block: Block) -> list[tuple[str, str]]:
    """(group name, exact text) of every line and sub-component (VALARM as one entry)."""
    out: list[tuple[str, str]] = []
    for child in block.children:
        if isinstance(child, Line):
            out.append((group_of(child.name), child.text))
        else:
            out.append(("BEGIN:" + child.name, child.text()))
    return out


def digest(texts: Iterable[str]) -> str:
    joined = "\n\x00".join(sorted(texts))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:20]


def value_key(name: str, text: str) -> str:
    value = split_line(text)[3]
    return value.casefold() if name in ADDRESS_VALUES else value


def time_key(line: Line | None) -> str:
    """A RECURRENCE-ID/EXDATE value as a zone-free key: YYYYMMDD for dates, UTC otherwise.
    Unknown zones keep the wall time (stable for the same sender)."""
    if line is None:
        return ""
    params = dict(line.params)
    return instant(line.value.split(",")[0].strip(), params.get("TZID", ""))


def instant(value: str, tzid: str) -> str:
    raw = value.strip().upper()
    if len(raw) == 8 and raw.isdigit():
        return raw
    try:
        wall = dt.datetime.strptime(raw.rstrip("Z"), "%Y%m%dT%H%M%S")
    except ValueError:
        return raw
    if raw.endswith("Z"):
        return wall.strftime("%Y%m%dT%H%M%SZ")
    zone_name = to_iana(tzid.strip('"')) if tzid else None
    if not zone_name:
        return raw
    try:
        aware = wall.replace(tzinfo=ZoneInfo(zone_name))
    except (ZoneInfoNotFoundError, ValueError):
        return raw
    return aware.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def units_of(text: str) -> tuple[list[Block], dict[str, Block]]:
    tops = parse(text)
    units: dict[str, Block] = {}
    for top in tops:
        inner = [top] if top.name in UNITS else [b for b in top.blocks() if b.name in UNITS]
        for unit in inner:
            units.setdefault(time_key(unit.first("RECURRENCE-ID")), unit)
    return tops, units


def uid_of(units: dict[str, Block]) -> str | None:
    for unit in units.values():
        line = unit.first("UID")
        if line is not None:
            return line.value.strip()
    return None
