"""EWS recurrence: `t:Recurrence` XML <-> the Graph-shaped dict of sandbox.recurrence, and
expansion of a recurring master into occurrences (UTC) honouring exceptions and deletions.

XML shapes follow web-service-reference "Recurrence (RecurrenceType)", "WeeklyRecurrence",
"DailyRecurrence", "AbsoluteMonthlyRecurrence", "RelativeMonthlyRecurrence",
"AbsoluteYearlyRecurrence", "RelativeYearlyRecurrence" (yearly patterns have no Interval),
"NoEndRecurrence", "EndDateRecurrence", "NumberedRecurrence". Occurrences keep the series'
wall-clock time in its StartTimeZone (Windows id, mapped to IANA with exchangelib.winzone).
This module must not touch the store's bookkeeping (ChangeKeys, sync).
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any
from zoneinfo import ZoneInfo

from exchangelib.winzone import MS_TIMEZONE_TO_IANA_MAP

from sandbox import recurrence as rec
from sandbox.ews.soap import EwsError, local, parse_date, sub
from sandbox.ews.store import CalItem

_INDEX = {
    "First": "first",
    "Second": "second",
    "Third": "third",
    "Fourth": "fourth",
    "Last": "last",
}
_INDEX_BACK = {v: k for k, v in _INDEX.items()}
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_PATTERNS = {
    "DailyRecurrence": "daily",
    "WeeklyRecurrence": "weekly",
    "AbsoluteMonthlyRecurrence": "absoluteMonthly",
    "RelativeMonthlyRecurrence": "relativeMonthly",
    "AbsoluteYearlyRecurrence": "absoluteYearly",
    "RelativeYearlyRecurrence": "relativeYearly",
}
_PATTERNS_BACK = {v: k for k, v in _PATTERNS.items()}


def zone(windows_id: str | None) -> dt.tzinfo:
    """ZoneInfo for a Windows time zone id (UTC when unknown or missing)."""
    iana = MS_TIMEZONE_TO_IANA_MAP.get(windows_id or "UTC", "UTC")
    try:
        return ZoneInfo(iana)
    except Exception:
        return dt.UTC


def parse(elem: ET.Element, start_local: dt.datetime, zone_id: str) -> dict[str, Any]:
    """A `t:Recurrence` element -> normalized Graph-shaped dict (raises EwsError)."""
    pattern: dict[str, Any] = {}
    rng: dict[str, Any] = {}
    for child in elem:
        name = local(child)
        vals = {local(c): (c.text or "").strip() for c in child}
        if name in _PATTERNS:
            pattern = {"type": _PATTERNS[name], "interval": int(vals.get("Interval") or 1)}
            if vals.get("DaysOfWeek"):
                pattern["daysOfWeek"] = [d.lower() for d in vals["DaysOfWeek"].split()]
            if vals.get("FirstDayOfWeek"):
                pattern["firstDayOfWeek"] = vals["FirstDayOfWeek"].lower()
            if vals.get("DayOfMonth"):
                pattern["dayOfMonth"] = int(vals["DayOfMonth"])
            if vals.get("DayOfWeekIndex"):
                pattern["index"] = _INDEX.get(vals["DayOfWeekIndex"], "first")
            if vals.get("Month"):
                pattern["month"] = _MONTHS.index(vals["Month"]) + 1
        elif name == "NoEndRecurrence":
            rng = {"type": "noEnd", "startDate": parse_date(vals["StartDate"]).isoformat()}
        elif name == "EndDateRecurrence":
            rng = {
                "type": "endDate",
                "startDate": parse_date(vals["StartDate"]).isoformat(),
                "endDate": parse_date(vals["EndDate"]).isoformat(),
            }
        elif name == "NumberedRecurrence":
            rng = {
                "type": "numbered",
                "startDate": parse_date(vals["StartDate"]).isoformat(),
                "numberOfOccurrences": int(vals["NumberOfOccurrences"]),
            }
        else:
            raise EwsError("ErrorSchemaValidation", f"Unsupported recurrence element {name}")
    if not rng:
        rng = {"type": "noEnd", "startDate": start_local.date().isoformat()}
    try:
        return rec.normalize({"pattern": pattern, "range": rng}, start_local, zone_id)
    except rec.BadRecurrence as exc:
        raise EwsError("ErrorInvalidRecurrence", str(exc)) from exc


def _date_with_offset(day: dt.date, tz: dt.tzinfo) -> str:
    off = dt.datetime.combine(day, dt.time(), tz).utcoffset() or dt.timedelta()
    minutes = int(off.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{day.isoformat()}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def render(parent: ET.Element, recurrence: dict[str, Any], tz: dt.tzinfo) -> None:
    """Append `t:Recurrence` for a normalized dict (elements in schema order)."""
    p, r = recurrence["pattern"], recurrence["range"]
    out = sub(parent, "t:Recurrence")
    pat = sub(out, f"t:{_PATTERNS_BACK[p['type']]}")
    days = " ".join(d.capitalize() for d in p.get("daysOfWeek", []))
    if p["type"] not in ("absoluteYearly", "relativeYearly"):
        sub(pat, "t:Interval", str(p["interval"]))
    if p["type"] in ("weekly", "relativeMonthly", "relativeYearly"):
        sub(pat, "t:DaysOfWeek", days)
    if p["type"] in ("relativeMonthly", "relativeYearly"):
        sub(pat, "t:DayOfWeekIndex", _INDEX_BACK[p["index"]])
    if p["type"] in ("absoluteMonthly", "absoluteYearly"):
        sub(pat, "t:DayOfMonth", str(p["dayOfMonth"]))
    if p["type"] in ("absoluteYearly", "relativeYearly"):
        sub(pat, "t:Month", _MONTHS[p["month"] - 1])
    if p["type"] == "weekly":
        sub(pat, "t:FirstDayOfWeek", p["firstDayOfWeek"].capitalize())
    start = _date_with_offset(dt.date.fromisoformat(r["startDate"]), tz)
    if r["type"] == "noEnd":
        sub(sub(out, "t:NoEndRecurrence"), "t:StartDate", start)
    elif r["type"] == "endDate":
        node = sub(out, "t:EndDateRecurrence")
        sub(node, "t:StartDate", start)
        sub(node, "t:EndDate", _date_with_offset(dt.date.fromisoformat(r["endDate"]), tz))
    else:
        node = sub(out, "t:NumberedRecurrence")
        sub(node, "t:StartDate", start)
        sub(node, "t:NumberOfOccurrences", str(r["numberOfOccurrences"]))


# ---- expansion ------------------------------------------------------------------------------


def _series(item: CalItem) -> tuple[dict[str, Any], dt.tzinfo, dt.datetime, dt.timedelta]:
    data = item.data
    tz = zone(data.get("StartTimeZone"))
    start: dt.datetime = data["Start"]
    return data["Recurrence"], tz, start.astimezone(tz).replace(tzinfo=None), data["End"] - start


def _to_utc(local_start: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return local_start.replace(tzinfo=tz).astimezone(dt.UTC)


def original_starts(item: CalItem, hi: dt.datetime) -> list[tuple[int, dt.datetime]]:
    """(index, original UTC start) of every occurrence starting before `hi`."""
    recurrence, tz, start_local, _ = _series(item)
    out = []
    for i, local_start in enumerate(rec.occurrence_starts(recurrence, start_local)):
        utc = _to_utc(local_start, tz)
        if utc >= hi:
            break
        out.append((i, utc))
    return out


def original_start(item: CalItem, index: int) -> dt.datetime | None:
    recurrence, tz, start_local, _ = _series(item)
    try:
        return _to_utc(rec.nth_start(recurrence, start_local, index), tz)
    except IndexError:
        return None


def index_of(item: CalItem, original: dt.datetime) -> int | None:
    for i, start in original_starts(item, original + dt.timedelta(seconds=1)):
        if start == original:
            return i
    return None


def count(item: CalItem, limit: int = 5000) -> int:
    recurrence, _, start_local, _ = _series(item)
    n = 0
    for n, _ in enumerate(rec.occurrence_starts(recurrence, start_local), start=1):
        if n >= limit:
            break
    return n


def occurrence_times(item: CalItem, index: int) -> tuple[dt.datetime, dt.datetime] | None:
    """Current (start, end) of an occurrence, exception overrides applied."""
    if index in item.deleted_occurrences:
        return None
    orig = original_start(item, index)
    if orig is None:
        return None
    exc = item.exceptions.get(index, {})
    _, _, _, duration = _series(item)
    return exc.get("Start", orig), exc.get("End", orig + duration)


def expand(item: CalItem, lo: dt.datetime, hi: dt.datetime) -> list[tuple[int, dt.datetime]]:
    """(index, current start) of occurrences overlapping [lo, hi), sorted by start."""
    _, _, _, duration = _series(item)
    found: list[tuple[int, dt.datetime]] = []
    pad = dt.timedelta(days=2) + max(duration, dt.timedelta())
    for i, orig in original_starts(item, hi + pad):
        if i in item.deleted_occurrences or i in item.exceptions:
            continue
        if orig < hi and orig + duration > lo or (duration == dt.timedelta() and orig == lo):
            found.append((i, orig))
    for i, exc in item.exceptions.items():
        if i in item.deleted_occurrences:
            continue
        times = occurrence_times(item, i)
        if times and times[0] < hi and times[1] > lo:
            found.append((i, times[0]))
        del exc  # fields are applied by the renderer
    return sorted(found, key=lambda pair: (pair[1], pair[0]))
