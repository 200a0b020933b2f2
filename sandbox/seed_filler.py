"""Bulk part of the demo mailbox: everyday meetings that make the calendar look lived-in, and the
read-only "Team Holidays" calendar's US public holidays.

Filler meetings are drawn from the given random stream (most within +-2 months of day0, the rest
spread over the sync window); holidays are computed from their rules, the occurrence nearest day0.
This module must not do I/O and must not read the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sandbox.seed_demo import (
    ALEX,
    COLLEAGUES,
    ET,
    GMT,
    HOLIDAYS,
    IST,
    MEGAN,
    PROJECTS,
    PT,
    WE,
    Plan,
    zoom_add_in,
)
from sandbox.seed_model import Body, all_day, email, nth_weekday, timed

TOPICS = (
    "Project sync",
    "Design critique",
    "Customer escalation",
    "Hiring loop debrief",
    "Release readiness",
    "Backlog grooming",
    "Security review",
    "Budget check-in",
    "Partner onboarding",
    "Docs review",
    "Incident postmortem",
    "Roadmap review",
    "Data platform sync",
    "Mobile app demo",
    "Pricing discussion",
    "Team 1:1",
    "Vendor evaluation",
    "Launch checklist",
    "Support rotation handoff",
    "OKR review",
)
PLACES = ("Conf Room Adams", "Conf Room Baker", "Cafeteria", "Building 4 / 2150", "Fourth Coffee")
CATEGORIES = ("Blue category", "Green category", "Orange category", "Purple category")
REPLIES = ("accepted", "accepted", "accepted", "tentativelyAccepted", "declined", "none")


def filler_meeting(p: Plan, i: int) -> tuple[str, str, Body]:
    """The ith everyday meeting: (key, calendar key, request body)."""
    rng = p.rng
    near = rng.random() < 0.8
    offset = rng.randint(-60, 60) if near else rng.randint(-175, 525)
    tz = PT if rng.random() < 0.7 else rng.choice((ET, GMT, WE, IST))
    start = p.at(offset, rng.choice((8, 9, 10, 11, 13, 14, 15, 16)), rng.choice((0, 0, 30)))
    minutes = rng.choice((30, 30, 45, 60, 60, 90))
    kind = rng.choices(("zoom", "teams", "plain"), (35, 25, 40))[0]
    host = ALEX if rng.random() < 0.5 else rng.choice(COLLEAGUES)
    guests = rng.sample([c for c in COLLEAGUES if c is not host], rng.randint(1, 4))
    replies = [(g, rng.choice(REPLIES)) for g in guests]
    body: Body = {}
    if kind == "zoom":
        mid = str(rng.randint(81_000_000_000, 99_999_999_999))
        pwd = (
            "".join(
                rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
                for _ in range(32)
            )
            + ".1"
        )
        body.update(zoom_add_in(host, mid, pwd, str(rng.randint(100_000, 999_999))))
    elif kind == "teams":
        body.update(p.teams())
    else:
        body["location"] = {"displayName": rng.choice(PLACES)}
    if host is ALEX:
        body.update(p.hosting(*replies))
    else:
        mine = rng.choice(("accepted", "accepted", "tentativelyAccepted", "notResponded"))
        body.update(p.invited(host, mine, *replies))
        if mine == "tentativelyAccepted":
            body["showAs"] = "tentative"
    if rng.random() < 0.25:
        body["categories"] = [rng.choice(CATEGORIES)]
    if rng.random() < 0.15:
        body["isReminderOn"] = False
    subject = rng.choice(TOPICS)
    calendar = PROJECTS if rng.random() < 0.25 else "calendar"
    return f"meeting-{i:03d}-{kind}", calendar, timed(subject, start, minutes, tz, **body)


def filler_events(p: Plan, n: int) -> None:
    for i in range(n):
        key, calendar, body = filler_meeting(p, i)
        p.add(key, body, calendar)


def _fixed(month: int, day: int) -> Callable[[int], dt.date]:
    return lambda year: dt.date(year, month, day)


def _nth(month: int, weekday: int, n: int) -> Callable[[int], dt.date]:
    return lambda year: nth_weekday(year, month, weekday, n)


HOLIDAY_RULES: tuple[tuple[str, str, Callable[[int], dt.date]], ...] = (
    ("holiday-new-years-day", "New Year's Day", _fixed(1, 1)),
    ("holiday-mlk-day", "Martin Luther King Jr. Day", _nth(1, 0, 3)),
    ("holiday-presidents-day", "Presidents' Day", _nth(2, 0, 3)),
    ("holiday-memorial-day", "Memorial Day", _nth(5, 0, -1)),
    ("holiday-juneteenth", "Juneteenth", _fixed(6, 19)),
    ("holiday-independence-day", "Independence Day", _fixed(7, 4)),
    ("holiday-labor-day", "Labor Day", _nth(9, 0, 1)),
    ("holiday-indigenous-peoples-day", "Indigenous Peoples' Day", _nth(10, 0, 2)),
    ("holiday-veterans-day", "Veterans Day", _fixed(11, 11)),
    ("holiday-thanksgiving", "Thanksgiving Day", _nth(11, 3, 4)),
    (
        "holiday-day-after-thanksgiving",
        "Day after Thanksgiving",
        lambda y: nth_weekday(y, 11, 3, 4) + dt.timedelta(days=1),
    ),
    ("holiday-christmas-day", "Christmas Day", _fixed(12, 25)),
)


def holiday_events(p: Plan) -> None:
    """Twelve all-day holidays in Megan's shared calendar, each on its date nearest day0."""
    for key, name, rule in HOLIDAY_RULES:
        dates = [rule(y) for y in range(p.day0.year - 1, p.day0.year + 2)]
        day = min(dates, key=lambda d: (abs((d - p.day0).days), d < p.day0))
        p.add(
            key,
            all_day(
                name,
                day,
                1,
                PT,
                showAs="free",
                isReminderOn=False,
                categories=["Holiday"],
                organizer={"emailAddress": email(MEGAN)},
                body={"contentType": "text", "content": f"{name} (US office closed)"},
            ),
            HOLIDAYS,
        )
