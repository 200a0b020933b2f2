"""Expansion of Graph `patternedRecurrence` into occurrence start times.

Semantics follow resources/recurrencepattern.md and resources/recurrencerange.md: pattern types
daily|weekly|absoluteMonthly|relativeMonthly|absoluteYearly|relativeYearly with interval,
daysOfWeek, dayOfMonth, month, index, firstDayOfWeek; range types endDate|noEnd|numbered with
startDate/endDate/numberOfOccurrences/recurrenceTimeZone. Occurrences keep the series' wall-clock
time in the series' zone. Pure functions on dicts; no state, no I/O, no HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, Literal

from dateutil import rrule

PATTERN_TYPES = (
    "daily",
    "weekly",
    "absoluteMonthly",
    "relativeMonthly",
    "absoluteYearly",
    "relativeYearly",
)
RANGE_TYPES = ("endDate", "noEnd", "numbered")
_DAYS = {
    "monday": rrule.MO,
    "tuesday": rrule.TU,
    "wednesday": rrule.WE,
    "thursday": rrule.TH,
    "friday": rrule.FR,
    "saturday": rrule.SA,
    "sunday": rrule.SU,
}
_INDEX = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_NO_END = "0001-01-01"


class BadRecurrence(ValueError):
    """The recurrence object is not valid."""


def normalize(rec: dict[str, Any], start_local: dt.datetime, start_zone: str) -> dict[str, Any]:
    """Validate and fill defaults the way Graph echoes a recurrence back (event.md example)."""
    pattern = dict(rec.get("pattern") or {})
    rng = dict(rec.get("range") or {})
    ptype = pattern.get("type")
    if ptype not in PATTERN_TYPES:
        raise BadRecurrence(f"unsupported recurrence pattern type {ptype!r}")
    rtype = rng.get("type")
    if rtype not in RANGE_TYPES:
        raise BadRecurrence(f"unsupported recurrence range type {rtype!r}")
    days = [str(d).lower() for d in pattern.get("daysOfWeek") or []]
    if any(d not in _DAYS for d in days):
        raise BadRecurrence("bad daysOfWeek")
    if ptype in ("weekly", "relativeMonthly", "relativeYearly") and not days:
        raise BadRecurrence(f"{ptype} recurrence needs daysOfWeek")
    interval = int(pattern.get("interval") or 1)
    if interval < 1:
        raise BadRecurrence("interval must be positive")
    out_pattern = {
        "type": ptype,
        "interval": interval,
        "month": int(pattern.get("month") or 0),
        "dayOfMonth": int(pattern.get("dayOfMonth") or 0),
        "firstDayOfWeek": str(pattern.get("firstDayOfWeek") or "sunday").lower(),
        "index": str(pattern.get("index") or "first"),
    }
    if days or ptype in ("weekly", "relativeMonthly", "relativeYearly"):
        out_pattern["daysOfWeek"] = days
    if ptype in ("absoluteMonthly", "absoluteYearly") and not out_pattern["dayOfMonth"]:
        raise BadRecurrence(f"{ptype} recurrence needs dayOfMonth")
    if ptype in ("absoluteYearly", "relativeYearly") and not out_pattern["month"]:
        raise BadRecurrence(f"{ptype} recurrence needs month")
    if out_pattern["index"] not in _INDEX:
        raise BadRecurrence("bad index")
    start_date = str(rng.get("startDate") or start_local.date().isoformat())
    out_range = {
        "type": rtype,
        "startDate": start_date,
        "endDate": str(rng.get("endDate") or _NO_END) if rtype == "endDate" else _NO_END,
        "recurrenceTimeZone": str(rng.get("recurrenceTimeZone") or start_zone),
        "numberOfOccurrences": int(rng.get("numberOfOccurrences") or 0)
        if rtype == "numbered"
        else 0,
    }
    if rtype == "numbered" and out_range["numberOfOccurrences"] < 1:
        raise BadRecurrence("numbered range needs numberOfOccurrences")
    if rtype == "endDate" and out_range["endDate"] == _NO_END:
        raise BadRecurrence("endDate range needs endDate")
    try:
        dt.date.fromisoformat(out_range["startDate"])
        dt.date.fromisoformat(out_range["endDate"]) if rtype == "endDate" else None
    except ValueError as exc:
        raise BadRecurrence(str(exc)) from exc
    return {"pattern": out_pattern, "range": out_range}


def _rule(rec: dict[str, Any], first_local: dt.datetime) -> rrule.rrule:
    p, r = rec["pattern"], rec["range"]
    kwargs: dict[str, Any] = {
        "dtstart": first_local,
        "interval": p["interval"],
        "wkst": _DAYS.get(p["firstDayOfWeek"], rrule.SU),
    }
    days = [_DAYS[d] for d in p.get("daysOfWeek", [])]
    ptype = p["type"]
    freq: Literal[0, 1, 2, 3]  # rrule.YEARLY … rrule.DAILY
    if ptype == "daily":
        freq = rrule.DAILY
    elif ptype == "weekly":
        freq = rrule.WEEKLY
        kwargs["byweekday"] = days
    elif ptype == "absoluteMonthly":
        freq = rrule.MONTHLY
        kwargs["bymonthday"] = p["dayOfMonth"]
    elif ptype == "relativeMonthly":
        freq = rrule.MONTHLY
        kwargs["byweekday"] = days
        kwargs["bysetpos"] = _INDEX[p["index"]]
    elif ptype == "absoluteYearly":
        freq = rrule.YEARLY
        kwargs["bymonth"] = p["month"]
        kwargs["bymonthday"] = p["dayOfMonth"]
    else:
        freq = rrule.YEARLY
        kwargs["bymonth"] = p["month"]
        kwargs["byweekday"] = days
        kwargs["bysetpos"] = _INDEX[p["index"]]
    if r["type"] == "numbered":
        kwargs["count"] = r["numberOfOccurrences"]
    elif r["type"] == "endDate":
        kwargs["until"] = dt.datetime.combine(dt.date.fromisoformat(r["endDate"]), dt.time.max)
    return rrule.rrule(freq, **kwargs)


def occurrence_starts(
    rec: dict[str, Any], series_start_local: dt.datetime
) -> Iterator[dt.datetime]:
    """Local (naive, in the series zone) start of every occurrence, in series order."""
    first = dt.datetime.combine(
        dt.date.fromisoformat(rec["range"]["startDate"]), series_start_local.time()
    )
    yield from _rule(rec, first)


def starts_between(
    rec: dict[str, Any], series_start_local: dt.datetime, lo: dt.datetime, hi: dt.datetime
) -> list[dt.datetime]:
    """Local starts within [lo, hi] (naive local bounds; callers pad for zone offsets)."""
    first = dt.datetime.combine(
        dt.date.fromisoformat(rec["range"]["startDate"]), series_start_local.time()
    )
    return list(_rule(rec, first).between(lo, hi, inc=True))


def nth_start(rec: dict[str, Any], series_start_local: dt.datetime, index: int) -> dt.datetime:
    for i, start in enumerate(occurrence_starts(rec, series_start_local)):
        if i == index:
            return start
    raise IndexError(index)
