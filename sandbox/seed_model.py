"""Seed data types for the Graph sandbox, and builders for Graph event request bodies.

The types are what `sandbox.seed` exports; the builders turn plain Python values into the
JSON shapes of Microsoft's documented `POST /me/calendars/{id}/events` request (pages "Create
Event" user-post-events, "event resource type", "recurrencePattern resource type",
"recurrenceRange resource type", "dateTimeTimeZone resource type" in microsoft-graph-docs).
This module must not hold demo content, must not do I/O and must not import the sandbox itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

Body = dict[str, Any]

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"  # dateTimeTimeZone.dateTime, no offset (zone given apart)


@dataclass(frozen=True)
class SeedCalendar:
    """One calendar of the seeded mailbox (owned by the user unless owner_* say otherwise)."""

    key: str
    name: str
    hex_color: str
    can_edit: bool
    owner_name: str
    owner_address: str
    is_default: bool


@dataclass(frozen=True)
class SeedEvent:
    """A Graph `POST /me/calendars/{id}/events` request body for calendar `calendar_key`."""

    calendar_key: str
    key: str
    body: Body


@dataclass(frozen=True)
class SeedOccurrenceEdit:
    """A PATCH applied to the Nth occurrence (0-based, series order); it becomes an exception."""

    event_key: str
    occurrence_index: int
    patch: Body


@dataclass(frozen=True)
class SeedOccurrenceCancel:
    """A DELETE of the Nth occurrence (0-based, series order) of a recurring seed event."""

    event_key: str
    occurrence_index: int


SeedItem = SeedEvent | SeedOccurrenceEdit | SeedOccurrenceCancel


@dataclass(frozen=True)
class Seed:
    """The whole sample mailbox: its user, calendars, and events applied in order."""

    user_upn: str
    user_name: str
    calendars: tuple[SeedCalendar, ...]
    events: tuple[SeedItem, ...]


@dataclass(frozen=True)
class Person:
    name: str
    address: str


def email(p: Person) -> Body:
    """An emailAddress value (page "emailAddress resource type")."""
    return {"name": p.name, "address": p.address}


def when(local: dt.datetime, tz: str) -> Body:
    """A dateTimeTimeZone: wall-clock time in a Windows zone name, no offset, no fraction."""
    return {"dateTime": local.strftime(DATETIME_FORMAT), "timeZone": tz}


def attendee(
    p: Person,
    response: str | None = None,
    kind: str = "required",
    responded: dt.datetime | None = None,
) -> Body:
    """An attendee (page "attendee resource type"); `response` is a responseStatus value.

    Real Graph computes `status`; the sandbox stores the seed's value so clients see mixed replies.
    """
    out: Body = {"emailAddress": email(p), "type": kind}
    if response is not None:
        out["status"] = response_status(response, responded)
    return out


def response_status(response: str, at: dt.datetime | None = None) -> Body:
    """A responseStatus: `time` is Graph's zero date when the attendee has not replied."""
    stamp = (
        "0001-01-01T00:00:00Z"
        if at is None or response in ("none", "notResponded")
        else at.strftime(DATETIME_FORMAT) + "Z"
    )
    return {"response": response, "time": stamp}


def html(content: str) -> Body:
    return {"contentType": "html", "content": content}


def text(content: str) -> Body:
    return {"contentType": "text", "content": content}


def timed(
    subject: str,
    start: dt.datetime,
    minutes: int,
    tz: str,
    *,
    end_tz: str | None = None,
    end: dt.datetime | None = None,
    **extra: Any,
) -> Body:
    """A timed event from naive wall-clock `start` in Windows zone `tz` lasting `minutes`.

    `end`/`end_tz` give an end in another zone (Graph allows start and end zones to differ).
    """
    stop = end if end is not None else start + dt.timedelta(minutes=minutes)
    body: Body = {
        "subject": subject,
        "start": when(start, tz),
        "end": when(stop, end_tz or tz),
        "isAllDay": False,
    }
    body.update(extra)
    return body


def all_day(subject: str, day: dt.date, days: int, tz: str, **extra: Any) -> Body:
    """An all-day event: Graph requires start and end at midnight in the same zone
    (page "event resource type", isAllDay), end exclusive."""
    first = dt.datetime.combine(day, dt.time())
    body: Body = {
        "subject": subject,
        "start": when(first, tz),
        "end": when(first + dt.timedelta(days=days), tz),
        "isAllDay": True,
    }
    body.update(extra)
    return body


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def weekday_name(day: dt.date) -> str:
    return WEEKDAYS[day.weekday()]


def recurrence(
    pattern: Body,
    start: dt.date,
    tz: str,
    *,
    until: dt.date | None = None,
    count: int | None = None,
) -> Body:
    """A patternedRecurrence. Range type follows the arguments: endDate, numbered or noEnd.

    recurrenceRange.startDate must equal the date of the event's start (page "recurrenceRange
    resource type"); callers pass the first occurrence's date.
    """
    rng: Body = {"type": "noEnd", "startDate": start.isoformat()}
    if until is not None:
        rng = {"type": "endDate", "startDate": start.isoformat(), "endDate": until.isoformat()}
    elif count is not None:
        rng = {"type": "numbered", "startDate": start.isoformat(), "numberOfOccurrences": count}
    rng["recurrenceTimeZone"] = tz
    return {"pattern": pattern, "range": rng}


# Pattern builders: page "recurrencePattern resource type" says to include only the properties a
# type needs ("any property that you include that does not have a supported value would result
# in an error"), so each builder emits exactly the required (plus documented optional) fields.


def daily(interval: int = 1) -> Body:
    return {"type": "daily", "interval": interval}


def weekly(days: list[str], interval: int = 1, first_day: str = "sunday") -> Body:
    return {"type": "weekly", "interval": interval, "daysOfWeek": days, "firstDayOfWeek": first_day}


def absolute_monthly(day_of_month: int, interval: int = 1) -> Body:
    return {"type": "absoluteMonthly", "interval": interval, "dayOfMonth": day_of_month}


def relative_monthly(days: list[str], index: str, interval: int = 1) -> Body:
    return {"type": "relativeMonthly", "interval": interval, "daysOfWeek": days, "index": index}


def absolute_yearly(day_of_month: int, month: int, interval: int = 1) -> Body:
    return {
        "type": "absoluteYearly",
        "interval": interval,
        "dayOfMonth": day_of_month,
        "month": month,
    }


def relative_yearly(days: list[str], index: str, month: int, interval: int = 1) -> Body:
    return {
        "type": "relativeYearly",
        "interval": interval,
        "daysOfWeek": days,
        "index": index,
        "month": month,
    }


def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The nth (1-based; -1 = last) given weekday (0 = Monday) of a month."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)
