"""A conservative time range enclosing every occurrence of every component of a VCALENDAR.

What it does: returns unix seconds (start, end) such that every instance of every VEVENT/VTODO/
VJOURNAL (RRULE, RDATE and RECURRENCE-ID overrides included) lies inside, for a CalDAV
time-range prefilter (RFC 4791 section 9.9) that must never wrongly exclude an item.
What it must not do: expand long series (UNTIL/COUNT bounds only), or be exact at the expense of
safety: floating times and dates get 14 hours of slack each side (the widest UTC offsets),
open-ended series end at 9999-12-31T23:59:59Z, and unknown shapes get the whole range.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from dateutil.rrule import rrulestr
from icalendar import Calendar, Component

MIN_TS = -62135596800  # 0001-01-01T00:00:00Z
MAX_TS = 253402300799  # 9999-12-31T23:59:59Z
SLACK = dt.timedelta(hours=14)
_COUNT_LIMIT = 5000  # above this, a COUNT series is treated as open-ended (no expansion)
_COMPONENTS = ("VEVENT", "VTODO", "VJOURNAL")


def enclosing_range(text_or_calendar: str | bytes | Calendar) -> tuple[int, int]:
    """(start, end) unix seconds enclosing every occurrence; (MIN_TS, MAX_TS) if unknowable.

    Raises ValueError when `text_or_calendar` is text that does not parse as iCalendar.
    """
    if isinstance(text_or_calendar, Calendar):
        calendar = text_or_calendar
    else:
        calendar = Calendar.from_ical(text_or_calendar)
    lo: int | None = None
    hi: int | None = None
    for component in _components(calendar):
        try:
            start, end = _component_range(component)
        except (AttributeError, TypeError, ValueError, OverflowError):
            start, end = MIN_TS, MAX_TS  # malformed values: never exclude the item
        lo = start if lo is None else min(lo, start)
        hi = end if hi is None else max(hi, end)
    if lo is None or hi is None:
        return MIN_TS, MAX_TS
    return max(lo, MIN_TS), min(hi, MAX_TS)


def _components(calendar: Component) -> Iterable[Component]:
    for component in calendar.walk():
        if component.name in _COMPONENTS:
            yield component


def _value(component: Component, name: str) -> dt.date | dt.timedelta | None:
    prop = component.get(name)
    if prop is None:
        return None
    if isinstance(prop, list):
        prop = prop[0]
    return getattr(prop, "dt", None)


def _bounds(value: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The earliest and latest UTC instant `value` can denote (dates/floating: +-14 h)."""
    if not isinstance(value, dt.datetime):
        midnight = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
        return midnight - SLACK, midnight + SLACK
    if value.tzinfo is None or value.utcoffset() is None:
        aware = value.replace(tzinfo=dt.UTC)
        return aware - SLACK, aware + SLACK
    aware = value.astimezone(dt.UTC)
    return aware, aware


def _ts(value: dt.datetime) -> int:
    return int(value.timestamp())


def component_range(component: Any) -> tuple[int, int]:
    """(start, end) of one VEVENT/VTODO/VJOURNAL — an icalendar component or anything with its
    `get(name)` (bridge.ical.light) — as `enclosing_range` counts it."""
    try:
        return _component_range(component)
    except (AttributeError, TypeError, ValueError, OverflowError):
        return MIN_TS, MAX_TS  # malformed values: never exclude the item


def _component_range(component: Component) -> tuple[int, int]:
    start = _value(component, "DTSTART")
    if not isinstance(start, dt.date):
        due = _value(component, "DUE")
        if isinstance(due, dt.date):
            return _ts(_bounds(due)[0]), _ts(_bounds(due)[1])
        return MIN_TS, MAX_TS
    duration = _duration(component, start)
    first_lo, first_hi = _bounds(start)
    last_start_hi = first_hi
    if component.get("RRULE") is not None:
        last = _last_rrule_start(component, start)
        if last is None:
            return _ts(first_lo), MAX_TS
        last_start_hi = max(last_start_hi, _bounds(last)[1])
    for rdate in _rdates(component):
        lo, hi = _bounds(rdate)
        first_lo = min(first_lo, lo)
        last_start_hi = max(last_start_hi, hi)
    try:
        end = last_start_hi + max(duration, dt.timedelta(0))
    except OverflowError:
        return _ts(first_lo), MAX_TS
    return _ts(first_lo), _ts(end)


def _duration(component: Component, start: dt.date) -> dt.timedelta:
    end = _value(component, "DTEND") or _value(component, "DUE")
    if isinstance(end, dt.date):
        if isinstance(end, dt.datetime) != isinstance(start, dt.datetime):
            return dt.timedelta(days=1)
        if isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
            # Different zones: compare the widest readings of both ends.
            return max(_bounds(end)[1] - _bounds(start)[0], dt.timedelta(0))
        return end - start
    duration = _value(component, "DURATION")
    if isinstance(duration, dt.timedelta):
        return duration
    return dt.timedelta(days=1) if not isinstance(start, dt.datetime) else dt.timedelta(0)


def _rdates(component: Component) -> Iterable[dt.date]:
    props = component.get("RDATE")
    if props is None:
        return
    for prop in props if isinstance(props, list) else [props]:
        for item in getattr(prop, "dts", []):
            value = item.dt
            if isinstance(value, tuple):  # PERIOD: (start, end or duration)
                begin, finish = value
                yield begin
                yield finish if isinstance(finish, dt.date) else begin + finish
            else:
                yield value


def _last_rrule_start(component: Component, start: dt.date) -> dt.date | None:
    """The latest start the RRULE can produce, or None when unbounded (or too long to find)."""
    rules = component.get("RRULE")
    for rule in rules if isinstance(rules, list) else [rules]:
        until = rule.get("UNTIL")
        count = rule.get("COUNT")
        if until:
            value = until[0]
            if not isinstance(value, dt.datetime):
                # A DATE UNTIL includes occurrences on that whole day.
                value = dt.datetime(value.year, value.month, value.day, 23, 59, 59)
            return value
        if count:
            if int(count[0]) > _COUNT_LIMIT:
                return None
            return _last_by_count(rule.to_ical().decode(), start)
    return None


def _last_by_count(rule: str, start: dt.date) -> dt.date | None:
    dtstart = (
        start if isinstance(start, dt.datetime) else dt.datetime(start.year, start.month, start.day)
    )
    try:
        occurrences = list(rrulestr(rule, dtstart=dtstart))
    except (ValueError, TypeError, OverflowError):
        return None
    return occurrences[-1] if occurrences else start
