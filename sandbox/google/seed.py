"""Seed of the Google sandbox: the demo account's calendars and events, and a bulk calendar.

A seed is calendars plus an ordered list of items (event inserts, then occurrence edits and
cancellations) replayed through the store as provider-side writes, so seeded events have the
ids, etags, exceptions and cancelled instances an API client would see. Content (seed_events.py)
derives from `now` rounded to its UTC day and a fixed random seed; ids and etags come from a
seeded generator and a clock starting 30 days before that day, so equal days give equal seeds.
This module must not do HTTP or I/O.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from sandbox.google.store import Calendar, Store
from sandbox.google.timeutil import UTC

Body = dict[str, Any]
SEED_RANDOM = 20_240_612
PT = "America/Los_Angeles"


@dataclass(frozen=True)
class SeedCalendar:
    key: str
    summary: str
    access_role: str
    owner: str
    color_id: str
    background: str
    primary: bool = False
    time_zone: str = PT
    description: str = ""


@dataclass
class Plan:
    """Seed items in order for one UTC day `day0` and one random stream."""

    day0: dt.date
    rng: random.Random
    calendars: list[SeedCalendar] = field(default_factory=list)
    items: list[tuple[str, str, Any]] = field(default_factory=list)  # (op, key, payload)
    salt: int = 0  # another id stream, for a plan applied on top of another one

    def day(self, offset: int) -> dt.date:
        return self.day0 + dt.timedelta(days=offset)

    def workday(self, offset: int) -> dt.date:
        d = self.day(offset)
        return d if d.weekday() < 5 else d + dt.timedelta(days=7 - d.weekday())

    def at(self, offset: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(self.workday(offset), dt.time(hour, minute))

    def add(self, key: str, body: Body, calendar: str = "primary") -> None:
        self.items.append(("insert", key, (calendar, body)))

    def edit(self, key: str, index: int, patch: Body) -> None:
        self.items.append(("edit", key, (index, patch)))

    def cancel(self, key: str, index: int) -> None:
        self.items.append(("cancel", key, index))


def timed(
    summary: str,
    start: dt.datetime,
    minutes: int,
    tz: str = PT,
    *,
    end: dt.datetime | None = None,
    end_tz: str | None = None,
    **extra: Any,
) -> Body:
    stop = end or start + dt.timedelta(minutes=minutes)
    return {
        "summary": summary,
        "start": {"dateTime": start.isoformat(), "timeZone": tz},
        "end": {"dateTime": stop.isoformat(), "timeZone": end_tz or tz},
        **extra,
    }


def all_day(summary: str, day: dt.date, days: int = 1, **extra: Any) -> Body:
    return {
        "summary": summary,
        "start": {"date": day.isoformat()},
        "end": {"date": (day + dt.timedelta(days=days)).isoformat()},
        "transparency": "transparent",
        **extra,
    }


def apply_seed(store: Store, plan: Plan) -> dict[str, str]:
    """Replay `plan` into `store` deterministically; returns seed key -> id."""
    base = dt.datetime.combine(plan.day0 - dt.timedelta(days=30), dt.time(8), UTC)
    saved_clock, saved_rng = store.clock, store.rng
    store.rng = random.Random(SEED_RANDOM + plan.day0.toordinal() + 1_000_003 * plan.salt)
    store.last_us = max(store.last_us, 0)
    store.clock = lambda: base
    ids: dict[str, str] = {}
    cals: dict[str, Calendar] = {}
    try:
        for sc in plan.calendars:
            cid = store.user if sc.primary else f"c_{store.new_id(26)}@group.calendar.google.com"
            cals[sc.key] = store.add_calendar(
                Calendar(
                    id=cid,
                    summary=store.user if sc.primary else sc.summary,
                    time_zone=sc.time_zone,
                    access_role=sc.access_role,
                    owner=sc.owner or store.user,
                    primary=sc.primary,
                    description=sc.description,
                    color_id=sc.color_id,
                    background_color=sc.background,
                )
            )
            ids[sc.key] = cid
        for op, key, payload in plan.items:
            if op == "insert":
                cal_key, body = payload
                cal = cals[cal_key]
                data = store.insert(cal, body, use_conference=True, provider_side=True)
                ids[key] = data["id"]
                ids[f"{key}@cal"] = cal.id
                continue
            cal = store.calendar(ids[f"{key}@cal"])
            index = payload[0] if op == "edit" else payload
            occ = store.occurrence_id(cal, ids[key], index)
            if op == "edit":
                store.modify(
                    cal, occ, payload[1], replace=False, use_conference=True, provider_side=True
                )
            else:
                store.delete(cal, occ, provider_side=True)
    finally:
        store.clock, store.rng = saved_clock, saved_rng
    return ids


def day_of(now: dt.datetime) -> dt.date:
    aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return aware.astimezone(UTC).date()


def demo_plan(now: dt.datetime) -> Plan:
    from sandbox.google import seed_series

    plan = Plan(day_of(now), random.Random(SEED_RANDOM))
    seed_series.build(plan)
    return plan


BULK_CALENDAR = "Bulk"  # clients see "Bulk — Google" (`davbridge demo --bulk-events N`)


def bulk_plan(n: int, now: dt.datetime, calendar: str | None = None) -> Plan:
    """One owned calendar with `n` single events (every third a Zoom add-on meeting): the
    primary one, or a secondary one named `calendar`."""
    plan = Plan(day_of(now), random.Random(SEED_RANDOM))
    key = "bulk" if calendar else "primary"
    plan.calendars.append(
        SeedCalendar(key, calendar or "", "owner", "", "14", "#9fe1e7", calendar is None)
    )
    base = dt.datetime.combine(plan.day0 - dt.timedelta(days=150), dt.time(8))
    for i in range(n):
        slot = (i * 7919) % (36 * 600)
        start = base + dt.timedelta(days=slot // 36, minutes=15 * (slot % 36))
        extra: Body = {}
        if i % 3 == 0:
            mid = str(85_000_000_000 + i)
            url = f"https://us02web.zoom.us/j/{mid}?pwd=TG9hZFRlc3Q{i:05d}.1"
            extra = {"location": url, "description": f"Join Zoom Meeting\n{url}\n"}
        plan.add(f"bulk-{i:05d}", timed(f"Load test event {i:05d}", start, 30, **extra), key)
    return plan


def ensure_bulk_calendar(store: Store, n: int, now: dt.datetime | None = None) -> bool:
    """Add a secondary calendar named BULK_CALENDAR with `n` generated events beside what the
    account has, unless it has one already (a restarted demo keeps its own); True if added."""
    if n <= 0 or any(c.summary == BULK_CALENDAR for c in store.calendars.values()):
        return False
    plan = bulk_plan(n, now or dt.datetime.now(UTC), BULK_CALENDAR)
    plan.salt = 1  # the demo seed's ids (calendars included) are drawn from stream 0
    apply_seed(store, plan)
    return True


def seed_store(
    store: Store, bulk_events: int = 0, now: dt.datetime | None = None
) -> dict[str, str]:
    now = now or dt.datetime.now(UTC)
    plan = bulk_plan(bulk_events, now) if bulk_events > 0 else demo_plan(now)
    return apply_seed(store, plan)
