"""Expansion of Google recurrence lists (`["RRULE:…", "EXDATE;TZID=…:…", "RDATE…"]`).

The Calendar API stores RFC 5545 RRULE/EXRULE/RDATE/EXDATE lines in `recurrence`
(guides/recurringevents, "Events" resource). Occurrences keep the series' wall-clock time in the
event's time zone (`start.timeZone`). Expansion works on naive wall-clock datetimes because
dateutil refuses a UTC `UNTIL` with a naive DTSTART; UTC `UNTIL`/EXDATE values are converted to
the series zone first. (sandbox/recurrence.py expands Graph patterns, not RRULE text.)
Pure functions; no state, no I/O, no HTTP.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from dateutil import rrule

from sandbox.google.timeutil import UTC, zone

_UNTIL = re.compile(r"UNTIL=(\d{8})(T(\d{6})(Z?))?", re.IGNORECASE)


class BadRecurrence(ValueError):
    """The recurrence list cannot be parsed."""


def _value(text: str, params: dict[str, str], tz: str, start: dt.datetime) -> dt.datetime:
    text = text.strip()
    if len(text) == 8 or params.get("VALUE", "").upper() == "DATE":
        day = dt.datetime.strptime(text[:8], "%Y%m%d").date()
        return dt.datetime.combine(day, start.time())
    utc = text.endswith("Z")
    value = dt.datetime.strptime(text.rstrip("Z"), "%Y%m%dT%H%M%S")
    src = UTC if utc else (zone(params["TZID"]) if params.get("TZID") else None)
    if src is None:
        return value
    return value.replace(tzinfo=src).astimezone(zone(tz)).replace(tzinfo=None)


def _fix_until(line: str, tz: str, all_day: bool) -> str:
    def repl(m: re.Match[str]) -> str:
        day, time_part, utc = m.group(1), m.group(3), m.group(4)
        if time_part is None:
            return f"UNTIL={day}T235959"
        value = dt.datetime.strptime(day + time_part, "%Y%m%d%H%M%S")
        if utc:
            value = value.replace(tzinfo=UTC).astimezone(zone(tz)).replace(tzinfo=None)
        if all_day:
            value = value.replace(hour=23, minute=59, second=59)
        return "UNTIL=" + value.strftime("%Y%m%dT%H%M%S")

    return _UNTIL.sub(repl, line)


def ruleset(lines: list[str], start: dt.datetime, tz: str, all_day: bool) -> rrule.rruleset:
    """An rruleset over naive wall-clock datetimes in `tz` starting at `start`."""
    rs = rrule.rruleset()
    has_rule = False
    try:
        for raw in lines:
            head, _, body = str(raw).partition(":")
            name, *param_parts = head.split(";")
            params = dict(p.split("=", 1) for p in param_parts if "=" in p)
            name = name.upper()
            if name in ("RRULE", "EXRULE"):
                rule = rrule.rrulestr(_fix_until(body, tz, all_day), dtstart=start)
                assert isinstance(rule, rrule.rrule)
                if name == "RRULE":
                    rs.rrule(rule)
                    has_rule = True
                else:
                    rs.exrule(rule)
            elif name in ("RDATE", "EXDATE"):
                for part in body.split(","):
                    value = _value(part, params, tz, start)
                    rs.rdate(value) if name == "RDATE" else rs.exdate(value)
                    has_rule = has_rule or name == "RDATE"
            else:
                raise BadRecurrence(f"unsupported recurrence line {raw!r}")
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRecurrence(str(exc)) from exc
    if not has_rule:
        raise BadRecurrence("no RRULE or RDATE")
    return rs


def validate(lines: list[str], start: dt.datetime, tz: str, all_day: bool) -> None:
    rs = ruleset(lines, start, tz, all_day)
    try:
        next(iter(rs), None)
    except (ValueError, TypeError) as exc:
        raise BadRecurrence(str(exc)) from exc


def occurrences(
    lines: list[str],
    start: dt.datetime,
    tz: str,
    all_day: bool,
    lo: dt.datetime | None = None,
    hi: dt.datetime | None = None,
    limit: int = 5000,
) -> Iterator[dt.datetime]:
    """Wall-clock occurrence starts in [lo, hi] (naive, series zone), at most `limit` of them."""
    n = 0
    for occ in ruleset(lines, start, tz, all_day):
        if hi is not None and occ > hi:
            return
        if lo is not None and occ < lo:
            continue
        yield occ
        n += 1
        if n >= limit:
            return


def is_finite(lines: list[str]) -> bool:
    rules = [line for line in lines if str(line).upper().startswith("RRULE")]
    return all(re.search(r"(COUNT|UNTIL)=", r, re.IGNORECASE) for r in rules)


def contains(lines: list[str], start: dt.datetime, tz: str, all_day: bool, x: dt.datetime) -> bool:
    return x in ruleset(lines, start, tz, all_day)
