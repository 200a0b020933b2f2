"""exchangelib recurrence objects <-> the patternedRecurrence shape the Graph mapping speaks.

What it does: EWS `Recurrence` (DailyRecurrence, WeeklyRecurrence, Absolute/RelativeMonthly,
Absolute/RelativeYearly + NoEnd/EndDate/Numbered boundary) and Graph's `patternedRecurrence`
are the same Exchange data model, so RRULE conversion and validation are reused from
bridge.providers.common.outlook_recurrence: this module only converts between the two object
shapes (and refuses, with BadInput, the one difference: EWS yearly patterns have no interval).
What it must not do: I/O, or accept a pattern EWS cannot store.

Vendor references: Microsoft EWS reference "Recurrence (RecurrenceType)", "DailyRecurrence",
"WeeklyRecurrence" (Interval, DaysOfWeek, FirstDayOfWeek), "AbsoluteMonthlyRecurrence",
"RelativeMonthlyRecurrence" (DaysOfWeek incl. Day/Weekday/WeekendDay, DayOfWeekIndex
First..Fourth|Last), "AbsoluteYearlyRecurrence", "RelativeYearlyRecurrence", "NoEndRecurrence",
"EndDateRecurrence", "NumberedRecurrence"; exchangelib 5.6 recurrence.py (enums as 1-based ints).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from exchangelib.ewsdatetime import EWSDate
from exchangelib.recurrence import (
    AbsoluteMonthlyPattern,
    AbsoluteYearlyPattern,
    DailyPattern,
    EndDatePattern,
    NoEndPattern,
    NumberedPattern,
    Recurrence,
    RelativeMonthlyPattern,
    RelativeYearlyPattern,
    WeeklyPattern,
)

from bridge.errors import BadInput

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
INDEXES = ("first", "second", "third", "fourth", "last")  # DayOfWeekIndex 1..5
# RelativeMonthly/Yearly DaysOfWeek beyond the 7 days (exchangelib WEEKDAYS 8, 9, 10)
_DAY_SETS = {8: DAYS, 9: DAYS[:5], 10: DAYS[5:]}


def _day_names(values: Any) -> list[str]:
    if values is None:
        return []
    items = values if isinstance(values, list | tuple | set) else [values]
    names: list[str] = []
    for value in items:
        number = int(value)
        names.extend(_DAY_SETS.get(number, (DAYS[number - 1],) if 1 <= number <= 7 else ()))
    return sorted(set(names), key=DAYS.index)


def _relative(pattern: Any) -> dict[str, Any]:
    week = int(pattern.week_number or 1)
    return {
        "daysOfWeek": _day_names(pattern.weekday),
        "index": INDEXES[min(max(week, 1), 5) - 1],
    }


def to_graph(recurrence: Any, start: dt.date) -> dict[str, Any] | None:
    """Graph-shaped {"pattern", "range"} for an exchangelib Recurrence (None if unknown)."""
    if recurrence is None or recurrence.pattern is None:
        return None
    pattern = recurrence.pattern
    out: dict[str, Any]
    if isinstance(pattern, DailyPattern):
        out = {"type": "daily", "interval": pattern.interval}
    elif isinstance(pattern, WeeklyPattern):
        out = {
            "type": "weekly",
            "interval": pattern.interval,
            "daysOfWeek": _day_names(pattern.weekdays),
        }
        if pattern.first_day_of_week:
            out["firstDayOfWeek"] = DAYS[int(pattern.first_day_of_week) - 1]
    elif isinstance(pattern, AbsoluteMonthlyPattern):
        out = {
            "type": "absoluteMonthly",
            "interval": pattern.interval,
            "dayOfMonth": pattern.day_of_month,
        }
    elif isinstance(pattern, RelativeMonthlyPattern):
        out = {"type": "relativeMonthly", "interval": pattern.interval, **_relative(pattern)}
    elif isinstance(pattern, AbsoluteYearlyPattern):
        out = {
            "type": "absoluteYearly",
            "interval": 1,
            "month": int(pattern.month),
            "dayOfMonth": pattern.day_of_month,
        }
    elif isinstance(pattern, RelativeYearlyPattern):
        out = {"type": "relativeYearly", "interval": 1, "month": int(pattern.month)}
        out.update(_relative(pattern))
    else:
        return None
    boundary = recurrence.boundary
    start_date = start.date() if isinstance(start, dt.datetime) else start
    rng: dict[str, Any] = {"type": "noEnd", "startDate": start_date.isoformat()}
    if isinstance(boundary, EndDatePattern) and boundary.end is not None:
        end = boundary.end.date() if isinstance(boundary.end, dt.datetime) else boundary.end
        rng.update(type="endDate", endDate=end.isoformat())
    elif isinstance(boundary, NumberedPattern) and boundary.number:
        rng.update(type="numbered", numberOfOccurrences=int(boundary.number))
    return {"pattern": out, "range": rng}


def _weekday_value(days: list[str]) -> int:
    """exchangelib's DaysOfWeek value for a relative pattern (one day, or Day/Weekday/WeekendDay)."""
    wanted = sorted({d.lower() for d in days}, key=DAYS.index)
    if len(wanted) == 1:
        return DAYS.index(wanted[0]) + 1
    for value, group in _DAY_SETS.items():
        if tuple(wanted) == group:
            return value
    raise BadInput(
        f"BYDAY={','.join(d[:2].upper() for d in wanted)} with BYSETPOS cannot be stored in "
        "Exchange (one day, all days, weekdays MO-FR or weekend days SA,SU only)"
    )


def from_graph(recurrence: Mapping[str, Any]) -> Recurrence:
    """The exchangelib Recurrence for a Graph-shaped recurrence (from rrule_to_recurrence)."""
    pattern = recurrence["pattern"]
    rng = recurrence["range"]
    kind = pattern["type"]
    interval = int(pattern.get("interval") or 1)
    index = INDEXES.index(str(pattern.get("index") or "first")) + 1
    ews_pattern: Any
    if kind == "daily":
        ews_pattern = DailyPattern(interval=interval)
    elif kind == "weekly":
        ews_pattern = WeeklyPattern(
            interval=interval,
            weekdays=[DAYS.index(d) + 1 for d in pattern["daysOfWeek"]],
            first_day_of_week=DAYS.index(pattern.get("firstDayOfWeek") or "monday") + 1,
        )
    elif kind == "absoluteMonthly":
        ews_pattern = AbsoluteMonthlyPattern(interval=interval, day_of_month=pattern["dayOfMonth"])
    elif kind == "relativeMonthly":
        ews_pattern = RelativeMonthlyPattern(
            interval=interval, weekday=_weekday_value(pattern["daysOfWeek"]), week_number=index
        )
    elif kind in ("absoluteYearly", "relativeYearly"):
        if interval != 1:
            raise BadInput(
                f"RRULE FREQ=YEARLY;INTERVAL={interval} cannot be stored in Exchange "
                "(yearly series repeat every year)"
            )
        if kind == "absoluteYearly":
            ews_pattern = AbsoluteYearlyPattern(
                day_of_month=pattern["dayOfMonth"], month=int(pattern["month"])
            )
        else:
            ews_pattern = RelativeYearlyPattern(
                weekday=_weekday_value(pattern["daysOfWeek"]),
                week_number=index,
                month=int(pattern["month"]),
            )
    else:  # rrule_to_recurrence only produces the types above
        raise BadInput(f"recurrence type {kind!r} cannot be stored in Exchange")
    start = EWSDate.from_date(dt.date.fromisoformat(str(rng["startDate"])[:10]))
    boundary: Any
    if rng["type"] == "endDate":
        end = EWSDate.from_date(dt.date.fromisoformat(str(rng["endDate"])[:10]))
        boundary = EndDatePattern(start=start, end=end)
    elif rng["type"] == "numbered":
        number = int(rng["numberOfOccurrences"])
        if number > 999:
            raise BadInput(f"RRULE COUNT={number} is more than Exchange's 999 occurrences")
        boundary = NumberedPattern(start=start, number=number)
    else:
        boundary = NoEndPattern(start=start)
    return Recurrence(pattern=ews_pattern, boundary=boundary)
