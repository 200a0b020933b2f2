"""Google `recurrence` lines <-> iCalendar RRULE/RDATE/EXDATE values.

What it does: parses the RFC 5545 lines Google keeps in an event's `recurrence` list
("RRULE:FREQ=WEEKLY;UNTIL=20110701T170000Z", "EXDATE;TZID=America/Los_Angeles:20150604T090000",
"RDATE;VALUE=DATE:20150609" — "Events" resource and guides/recurringevents) into values of the
series' own kind and zone (fix-ups: a floating or foreign-zone EXDATE/RDATE is converted to the
DTSTART zone; a date UNTIL on a timed series becomes the end of that day in UTC, as RFC 5545
§3.3.10 requires UTC when DTSTART has a TZID), and formats client rules back into such lines.
What it must not do: I/O or expansion beyond finding the last year a rule reaches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from icalendar import vRecur

from bridge.ical.timezones import to_iana, tzinfo_for


@dataclass
class Recurrence:
    """The parsed `recurrence` of a master."""

    rrules: list[vRecur] = field(default_factory=list)
    exrules: list[vRecur] = field(default_factory=list)
    rdates: list[dt.date] = field(default_factory=list)
    exdates: list[dt.date] = field(default_factory=list)


def _split(line: str) -> tuple[str, dict[str, str], str]:
    head, _, value = line.strip().partition(":")
    name, *raw = head.split(";")
    params = {}
    for item in raw:
        key, _, val = item.partition("=")
        params[key.strip().upper()] = val.strip().strip('"')
    return name.strip().upper(), params, value.strip()


def _value(text: str, params: dict[str, str], start: dt.date) -> dt.date | None:
    """One EXDATE/RDATE value in the kind (date or datetime) and zone of `start`."""
    text = text.split("/", 1)[0].strip()  # PERIOD: its start
    try:
        if len(text) == 8:
            day = dt.datetime.strptime(text, "%Y%m%d").date()
            if not isinstance(start, dt.datetime):
                return day
            return dt.datetime.combine(day, start.timetz().replace(tzinfo=None)).replace(
                tzinfo=start.tzinfo
            )
        wall = dt.datetime.strptime(text.rstrip("Zz"), "%Y%m%dT%H%M%S")
    except ValueError:
        return None
    if text.endswith(("Z", "z")):
        aware = wall.replace(tzinfo=dt.UTC)
    else:
        zone = to_iana(params.get("TZID")) if params.get("TZID") else None
        if zone:
            aware = wall.replace(tzinfo=tzinfo_for(zone))
        elif isinstance(start, dt.datetime) and start.tzinfo is not None:
            aware = wall.replace(tzinfo=start.tzinfo)  # floating: the series' zone
        else:
            aware = wall.replace(tzinfo=dt.UTC)
    if not isinstance(start, dt.datetime):
        return aware.date()  # the date where the value was written
    return aware.astimezone(start.tzinfo or dt.UTC)


def _fix_until(rule: vRecur, start: dt.date) -> vRecur:
    until = rule.get("UNTIL")
    if not until:
        return rule
    value = until[0]
    if isinstance(start, dt.datetime):
        zone = start.tzinfo or dt.UTC
        if not isinstance(value, dt.datetime):
            local = dt.datetime.combine(value, dt.time(23, 59, 59)).replace(tzinfo=zone)
            value = local.astimezone(dt.UTC)
        elif value.tzinfo is None:
            value = value.replace(tzinfo=zone).astimezone(dt.UTC)
        else:
            value = value.astimezone(dt.UTC)
    elif isinstance(value, dt.datetime):
        value = value.date()
    rule["UNTIL"] = [value]
    return rule


def parse_recurrence(lines: Sequence[Any], start: dt.date) -> Recurrence:
    """The `recurrence` list of a master whose DTSTART is `start`."""
    result = Recurrence()
    for line in lines:
        if not isinstance(line, str) or ":" not in line:
            continue
        name, params, value = _split(line)
        if name in ("RRULE", "EXRULE"):
            try:
                rule = _fix_until(vRecur.from_ical(value), start)
            except ValueError:
                continue
            (result.rrules if name == "RRULE" else result.exrules).append(rule)
        elif name in ("EXDATE", "RDATE"):
            for text in value.split(","):
                parsed = _value(text, params, start)
                if parsed is not None:
                    (result.exdates if name == "EXDATE" else result.rdates).append(parsed)
    return result


# --- writes ---------------------------------------------------------------------------------


def rule_line(name: str, rule: vRecur, start: dt.date) -> str:
    """ "RRULE:…" for Google, UNTIL in UTC for timed series (RFC 5545 §3.3.10)."""
    fixed = _fix_until(vRecur(dict(rule)), start)
    return f"{name}:{fixed.to_ical().decode()}"  # type: ignore[no-untyped-call]  # icalendar's vRecur.to_ical is unannotated


def date_line(name: str, values: Sequence[dt.date]) -> str | None:
    """ "EXDATE:20150604T160000Z,…" (UTC) or "EXDATE;VALUE=DATE:20150604,…"."""
    timed = [v for v in values if isinstance(v, dt.datetime) and v.tzinfo is not None]
    if timed:
        texts = sorted({v.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ") for v in timed})
        return f"{name}:{','.join(texts)}"
    days = sorted({v.strftime("%Y%m%d") for v in values if not isinstance(v, dt.datetime)})
    return f"{name};VALUE=DATE:{','.join(days)}" if days else None
