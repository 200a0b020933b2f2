"""Graph `patternedRecurrence` <-> iCalendar RRULE, and expansion of a series over a window.

Shared by the Graph provider and the EWS provider (whose Recurrence objects are converted to
and from this pattern shape in ews/mapping_recurrence.py), so the RRULE rules live once.

What it does: turns a Graph recurrence (pattern + range) into an RRULE (and back, refusing with
BadInput what Graph cannot express), and lists the occurrence starts a pattern produces inside
a SyncWindow, in the event's own zone (wall-clock arithmetic, so DST changes keep local times).
What it must not do: I/O, or guess: an RRULE part Graph has no field for is an error naming it.

Vendor reference: Microsoft Graph v1.0 "recurrencePattern resource type" (type daily | weekly |
absoluteMonthly | relativeMonthly | absoluteYearly | relativeYearly; interval, month,
dayOfMonth, daysOfWeek, firstDayOfWeek, index first|second|third|fourth|last) and
"recurrenceRange resource type" (type endDate | noEnd | numbered; startDate, endDate,
numberOfOccurrences, recurrenceTimeZone). RFC 5545 section 3.3.10 for RRULE.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from dateutil.rrule import rrulestr
from icalendar import vRecur

from bridge.errors import BadInput

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_TO_ICAL = dict(zip(DAYS, ICAL_DAYS, strict=True))
_ICAL_TO_DAY = dict(zip(ICAL_DAYS, DAYS, strict=True))
INDEXES = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_INDEX_NAMES = {number: name for name, number in INDEXES.items()}
_SUPPORTED_PARTS = frozenset(
    {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "COUNT", "UNTIL", "WKST"}
)
_EXPANSION_LIMIT = 5000  # occurrences examined per series inside one window


def _days(pattern: Mapping[str, Any]) -> list[str]:
    days = [str(d).lower() for d in pattern.get("daysOfWeek") or []]
    ordered = sorted({d for d in days if d in _DAY_TO_ICAL}, key=DAYS.index)
    return [_DAY_TO_ICAL[d] for d in ordered]


def pattern_to_rrule(recurrence: Mapping[str, Any], start: dt.date) -> vRecur | None:
    """The RRULE for a Graph recurrence whose first occurrence starts at `start`.

    `start` is the DTSTART value: an aware datetime in the event's zone, or a date (all-day).
    UNTIL for a range `endDate` is the end of that local day, converted to UTC for a timed
    DTSTART (RFC 5545 3.3.10: UNTIL must be UTC when DTSTART has a TZID), a DATE otherwise.
    Returns None for a pattern type we do not know (the series is then shown as its first
    occurrence plus the instances Graph listed, rather than wrongly expanded).
    """
    pattern = recurrence.get("pattern") or {}
    rng = recurrence.get("range") or {}
    kind = str(pattern.get("type") or "")
    interval = int(pattern.get("interval") or 1)
    rule = vRecur()
    days = _days(pattern)
    index = INDEXES.get(str(pattern.get("index") or "first").lower(), 1)
    if kind == "daily":
        rule["FREQ"] = ["DAILY"]
    elif kind == "weekly":
        rule["FREQ"] = ["WEEKLY"]
        rule["BYDAY"] = days or [ICAL_DAYS[start.weekday()]]
    elif kind == "absoluteMonthly":
        rule["FREQ"] = ["MONTHLY"]
        rule["BYMONTHDAY"] = [int(pattern.get("dayOfMonth") or start.day)]
    elif kind == "relativeMonthly":
        rule["FREQ"] = ["MONTHLY"]
        _relative(rule, days or [ICAL_DAYS[start.weekday()]], index)
    elif kind == "absoluteYearly":
        rule["FREQ"] = ["YEARLY"]
        rule["BYMONTH"] = [int(pattern.get("month") or start.month)]
        rule["BYMONTHDAY"] = [int(pattern.get("dayOfMonth") or start.day)]
    elif kind == "relativeYearly":
        rule["FREQ"] = ["YEARLY"]
        rule["BYMONTH"] = [int(pattern.get("month") or start.month)]
        _relative(rule, days or [ICAL_DAYS[start.weekday()]], index)
    else:
        return None
    if interval != 1:
        rule["INTERVAL"] = [interval]
    range_type = str(rng.get("type") or "noEnd")
    if range_type == "endDate" and rng.get("endDate"):
        end_date = dt.date.fromisoformat(str(rng["endDate"])[:10])
        rule["UNTIL"] = [until_for(end_date, start)]
    elif range_type == "numbered" and int(rng.get("numberOfOccurrences") or 0) > 0:
        rule["COUNT"] = [int(rng["numberOfOccurrences"])]
    if kind == "weekly" and pattern.get("firstDayOfWeek"):
        wkst = _DAY_TO_ICAL.get(str(pattern["firstDayOfWeek"]).lower())
        if wkst:
            rule["WKST"] = [wkst]
    return rule


def _relative(rule: vRecur, days: list[str], index: int) -> None:
    if len(days) == 1:
        rule["BYDAY"] = [f"{index}{days[0]}"]
    else:
        rule["BYDAY"] = days
        rule["BYSETPOS"] = [index]


def until_for(end_date: dt.date, start: dt.date) -> dt.date:
    """UNTIL for a Graph range endDate: the whole local day, in UTC for a zoned DTSTART."""
    if not isinstance(start, dt.datetime):
        return end_date
    local_end = dt.datetime(end_date.year, end_date.month, end_date.day, 23, 59, 59)
    if start.tzinfo is None:
        return local_end
    return local_end.replace(tzinfo=start.tzinfo).astimezone(dt.UTC)


def rrule_to_recurrence(
    rule: Mapping[str, list[Any]], start: dt.date, windows_zone: str
) -> dict[str, Any]:
    """A Graph `patternedRecurrence` for an RRULE; BadInput naming the part Graph cannot hold.

    `start` is the DTSTART (aware datetime in its zone, or a date) and `windows_zone` the zone
    name written to `recurrenceTimeZone`.
    """
    parts = {str(k).upper(): list(v) for k, v in rule.items()}
    unsupported = sorted(set(parts) - _SUPPORTED_PARTS)
    if unsupported:
        raise BadInput(
            f"RRULE part {unsupported[0]} cannot be expressed in Microsoft 365 recurrence "
            "(supported: FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, COUNT, UNTIL, WKST)"
        )
    freq = str(parts.get("FREQ", [""])[0]).upper()
    interval = int(parts.get("INTERVAL", [1])[0])
    if interval < 1:
        raise BadInput(f"RRULE INTERVAL={interval} is invalid: it must be 1 or more")
    byday = [str(d).upper() for d in parts.get("BYDAY", [])]
    bymonthday = [int(d) for d in parts.get("BYMONTHDAY", [])]
    bymonth = [int(m) for m in parts.get("BYMONTH", [])]
    bysetpos = [int(p) for p in parts.get("BYSETPOS", [])]
    pattern: dict[str, Any] = {"interval": interval}

    def refuse(what: str) -> BadInput:
        return BadInput(f"RRULE {what} cannot be expressed in Microsoft 365 recurrence")

    if freq == "DAILY":
        if bymonthday or bymonth or bysetpos:
            raise refuse("FREQ=DAILY with BYMONTHDAY/BYMONTH/BYSETPOS")
        if byday:
            if interval != 1:
                raise refuse(f"FREQ=DAILY;INTERVAL={interval} with BYDAY")
            pattern.update(type="weekly", daysOfWeek=_plain_days(byday, "FREQ=DAILY"))
        else:
            pattern["type"] = "daily"
    elif freq == "WEEKLY":
        if bymonthday or bymonth or bysetpos:
            raise refuse("FREQ=WEEKLY with BYMONTHDAY/BYMONTH/BYSETPOS")
        days = _plain_days(byday, "FREQ=WEEKLY") if byday else [DAYS[start.weekday()]]
        pattern.update(type="weekly", daysOfWeek=days)
    elif freq in ("MONTHLY", "YEARLY"):
        prefix = "relative" if byday else "absolute"
        pattern["type"] = prefix + ("Monthly" if freq == "MONTHLY" else "Yearly")
        if freq == "YEARLY":
            if len(bymonth) > 1:
                raise refuse(f"BYMONTH={','.join(map(str, bymonth))} (several months)")
            pattern["month"] = bymonth[0] if bymonth else start.month
        elif bymonth:
            raise refuse("FREQ=MONTHLY with BYMONTH")
        if byday:
            if bymonthday:
                raise refuse("BYDAY together with BYMONTHDAY")
            days, index = _relative_days(byday, bysetpos, freq)
            pattern.update(daysOfWeek=days, index=_INDEX_NAMES[index])
        else:
            if bysetpos:
                raise refuse("BYSETPOS without BYDAY")
            if len(bymonthday) > 1:
                raise refuse(f"BYMONTHDAY={','.join(map(str, bymonthday))} (several days)")
            day = bymonthday[0] if bymonthday else start.day
            if day < 1:
                raise refuse(f"BYMONTHDAY={day} (counting from the end of the month)")
            pattern["dayOfMonth"] = day
    else:
        raise BadInput(
            f"RRULE FREQ={freq or '(missing)'} cannot be expressed in Microsoft 365 recurrence "
            "(only DAILY, WEEKLY, MONTHLY and YEARLY)"
        )
    if parts.get("WKST"):
        wkst = str(parts["WKST"][0]).upper()
        if wkst not in _ICAL_TO_DAY:
            raise BadInput(f"RRULE WKST={wkst} is not a day of the week")
        pattern["firstDayOfWeek"] = _ICAL_TO_DAY[wkst]
    start_date = start.date() if isinstance(start, dt.datetime) else start
    rng: dict[str, Any] = {"startDate": start_date.isoformat(), "recurrenceTimeZone": windows_zone}
    if parts.get("COUNT") and parts.get("UNTIL"):
        raise BadInput("RRULE has both COUNT and UNTIL; RFC 5545 allows only one of them")
    if parts.get("COUNT"):
        count = int(parts["COUNT"][0])
        if count < 1:
            raise BadInput(f"RRULE COUNT={count} is invalid: it must be 1 or more")
        rng.update(type="numbered", numberOfOccurrences=count)
    elif parts.get("UNTIL"):
        rng.update(type="endDate", endDate=_until_date(parts["UNTIL"][0], start).isoformat())
    else:
        rng["type"] = "noEnd"
    return {"pattern": pattern, "range": rng}


def _plain_days(byday: list[str], context: str) -> list[str]:
    days = []
    for value in byday:
        if value not in _ICAL_TO_DAY:
            raise BadInput(
                f"RRULE {context};BYDAY={value} cannot be expressed in Microsoft 365 recurrence "
                "(no ordinal days in daily or weekly rules)"
            )
        days.append(_ICAL_TO_DAY[value])
    return sorted(set(days), key=DAYS.index)


def _relative_days(byday: list[str], bysetpos: list[int], freq: str) -> tuple[list[str], int]:
    """Days and index for "the <index> <day(s)> of the month/year"."""
    ordinals = []
    plain = []
    for value in byday:
        if value[-2:] not in _ICAL_TO_DAY:
            raise BadInput(f"RRULE BYDAY={value} is not a valid day")
        if value[:-2]:
            ordinals.append((int(value[:-2]), value[-2:]))
        else:
            plain.append(value)
    if ordinals and (plain or len(ordinals) > 1 or bysetpos):
        raise BadInput(
            f"RRULE BYDAY={','.join(byday)} cannot be expressed in Microsoft 365 recurrence "
            "(only one ordinal day, such as 2TU, or several days with one BYSETPOS)"
        )
    if ordinals:
        index, day = ordinals[0]
        days = [_ICAL_TO_DAY[day]]
    else:
        if len(bysetpos) != 1:
            raise BadInput(
                f"RRULE FREQ={freq};BYDAY={','.join(byday)} without one BYSETPOS (every such day "
                "of the period) cannot be expressed in Microsoft 365 recurrence"
            )
        index = bysetpos[0]
        days = sorted({_ICAL_TO_DAY[d] for d in plain}, key=DAYS.index)
    if index not in _INDEX_NAMES:
        raise BadInput(
            f"RRULE position {index} cannot be expressed in Microsoft 365 recurrence "
            "(only 1, 2, 3, 4 and -1 for the last)"
        )
    return days, index


def _until_date(until: dt.date, start: dt.date) -> dt.date:
    """Graph's range endDate: UNTIL as a local date in the zone of DTSTART."""
    if not isinstance(until, dt.datetime):
        return until
    if until.tzinfo is not None and isinstance(start, dt.datetime) and start.tzinfo is not None:
        return until.astimezone(start.tzinfo).date()
    return until.date()


def first_occurrence(rule: vRecur, start: dt.date) -> dt.date | None:
    """The first start the pattern selects on or after `start` (same type as `start`).

    Graph's recurrenceRange.startDate "must be the same value as the start property of the
    recurring event", yet "the first occurrence of the meeting may be this date or later,
    depending on the recurrence pattern" (Microsoft Graph v1.0 recurrenceRange resource type,
    microsoft-graph-docs-contrib api-reference/v1.0/resources/recurrencerange.md). RFC 5545
    §3.8.5.3 counts DTSTART as the first instance whatever the rule says, so DTSTART must be
    this first selected start. None when the pattern selects nothing.
    """
    dtstart = (
        start if isinstance(start, dt.datetime) else dt.datetime(start.year, start.month, start.day)
    )
    rr = rrulestr(rule.to_ical().decode(), dtstart=dtstart)  # type: ignore[no-untyped-call]  # icalendar's vRecur.to_ical is unannotated
    first = next(iter(rr), None)
    if first is None:
        return None
    return first if isinstance(start, dt.datetime) else first.date()


def expand(
    rule: vRecur,
    start: dt.date,
    window_start: dt.datetime,
    window_end: dt.datetime,
    duration: dt.timedelta,
    zone: dt.tzinfo,
) -> Iterator[dt.date]:
    """Occurrence starts (same type as `start`) whose [start, start+duration) meets the window.

    Timed series are expanded in the zone of `start` (wall clock), dates at midnight in `zone`.
    """
    if isinstance(start, dt.datetime):
        dtstart = start
    else:
        dtstart = dt.datetime(start.year, start.month, start.day)
    rr = rrulestr(rule.to_ical().decode(), dtstart=dtstart)  # type: ignore[no-untyped-call]  # icalendar's vRecur.to_ical is unannotated
    earliest = window_start - max(duration, dt.timedelta(0)) - dt.timedelta(days=1)
    for seen, occurrence in enumerate(rr):
        if seen > _EXPANSION_LIMIT * 20:
            return
        instant = occurrence if occurrence.tzinfo else occurrence.replace(tzinfo=zone)
        instant_utc = instant.astimezone(dt.UTC)
        if instant_utc >= window_end:
            return
        if instant_utc < earliest:
            continue
        end = instant_utc + duration
        if end > window_start or (duration <= dt.timedelta(0) and instant_utc >= window_start):
            yield occurrence if isinstance(start, dt.datetime) else occurrence.date()
