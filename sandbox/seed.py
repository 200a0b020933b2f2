"""Seed data of the Microsoft Graph sandbox (R1): the sample mailbox the demo and tests start
with, and a bulk mailbox for benchmarks.

A seed is a user, calendars, and an ordered list of Graph request bodies (event creations, then
occurrence edits and cancellations of recurring series) that the sandbox replays through its
mailbox model. Everything is derived from `now` rounded to its UTC day and a fixed random seed,
so equal days give equal seeds.
This module must not do I/O, must not read the clock and must not import the sandbox's model.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sandbox.seed_demo import (
    ALEX,
    CALENDAR,
    HOLIDAYS,
    MEGAN,
    PROJECTS,
    PT,
    Plan,
    online_events,
    plain_events,
    series_events,
    timezone_events,
    zoom_events,
)
from sandbox.seed_filler import filler_events, holiday_events
from sandbox.seed_model import (
    Seed,
    SeedCalendar,
    SeedEvent,
    SeedItem,
    SeedOccurrenceCancel,
    SeedOccurrenceEdit,
    text,
    timed,
)

__all__ = [
    "Seed",
    "SeedCalendar",
    "SeedEvent",
    "SeedItem",
    "SeedOccurrenceCancel",
    "SeedOccurrenceEdit",
    "bulk_seed",
    "demo_seed",
    "day_of",
]

DEMO_RANDOM_SEED = 20_240_611
FILLER_MEETINGS = 170

DEMO_CALENDARS = (
    SeedCalendar(CALENDAR, "Calendar", "#0078D4", True, ALEX.name, ALEX.address, True),
    SeedCalendar(PROJECTS, "Projects", "#8764B8", True, ALEX.name, ALEX.address, False),
    SeedCalendar(HOLIDAYS, "Team Holidays", "#107C10", False, MEGAN.name, MEGAN.address, False),
)


def day_of(now: dt.datetime) -> dt.date:
    """The UTC day of `now` (naive values are taken as UTC), as SyncWindow.around rounds it."""
    aware = now if now.tzinfo is not None else now.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).date()


def demo_seed(now: dt.datetime) -> Seed:
    """The demo mailbox of Alex Wilber: 3 calendars and 230-odd events around `now`."""
    plan = Plan(day_of(now), random.Random(DEMO_RANDOM_SEED))
    zoom_events(plan)
    online_events(plan)
    plain_events(plan)
    timezone_events(plan)
    series_events(plan)
    holiday_events(plan)
    filler_events(plan, FILLER_MEETINGS)
    return Seed(ALEX.address, ALEX.name, DEMO_CALENDARS, tuple(plan.items))


def bulk_seed(
    n: int, now: dt.datetime, calendar_name: str = "Load test", is_default: bool = True
) -> Seed:
    """One editable calendar (the default one unless `is_default` is False) with `n` single
    events for benchmarks.

    Events sit on working-hour quarter-hour slots from 150 days before `now` to 450 days after;
    slot = i * 7919 mod 21600 (a prime stride), so the first 21,600 events never share a start.
    Every third event is a Zoom meeting (link in location), so join-link enrichment is exercised.
    """
    base = dt.datetime.combine(day_of(now) - dt.timedelta(days=150), dt.time(8))
    slots_per_day, days = 36, 600
    calendar = SeedCalendar(
        "load-test", calendar_name, "#0078D4", True, ALEX.name, ALEX.address, is_default
    )
    events: list[SeedItem] = []
    for i in range(n):
        slot = (i * 7919) % (slots_per_day * days)
        start = base + dt.timedelta(days=slot // slots_per_day, minutes=15 * (slot % slots_per_day))
        extra: dict[str, Any] = {}
        if i % 3 == 0:
            url = f"https://us02web.zoom.us/j/{85_000_000_000 + i}?pwd=TG9hZFRlc3Q{i:05d}.1"
            extra = {"location": {"displayName": url}, "body": text(f"Join Zoom Meeting\n{url}\n")}
        events.append(
            SeedEvent(
                "load-test",
                f"bulk-{i:05d}",
                timed(f"Load test event {i:05d}", start, 30, PT, **extra),
            )
        )
    return Seed(ALEX.address, ALEX.name, (calendar,), tuple(events))
