"""Demo content, second part: time zones and DST, recurring series with exceptions, the Projects
calendar, Team Holidays and everyday filler meetings; `build` assembles the whole demo seed
(about 130 events with seed_events.py).
This module must not do I/O and must not read the clock: everything derives from `plan.day0`.
"""

from __future__ import annotations

import datetime as dt

from sandbox.google.seed import Body, Plan, SeedCalendar, all_day, timed
from sandbox.google.seed_events import (
    BER,
    ET,
    KOL,
    LON,
    PT,
    TYO,
    UTC,
    hosting,
    invited,
    meet,
    online_events,
    plain_events,
    zoom_addon,
    zoom_events,
)
from sandbox.seed_demo import (
    ALEX,
    COLLEAGUES,
    DIEGO,
    ISAIAH,
    JOHANNA,
    KENJI,
    LEE,
    MEGAN,
    PRADEEP,
    next_dst_change,
)
from sandbox.seed_filler import HOLIDAY_RULES, PLACES, TOPICS
from sandbox.seed_model import nth_weekday, on_or_after

FILLER = 80


def timezone_events(p: Plan) -> None:
    p.add(
        "tz-pacific",
        timed("Seattle customer visit", p.at(18, 10), 120, location="Contoso HQ, Redmond"),
    )
    p.add(
        "tz-eastern", timed("NYC investor breakfast", p.at(19, 8), 60, ET, location="Midtown Grill")
    )
    p.add("tz-london", timed("London partner meeting", p.at(22, 14), 60, LON))
    p.add(
        "tz-berlin",
        timed("Berlin team dinner", p.at(23, 19), 150, BER, location="Restaurant Spree"),
    )
    p.add(
        "tz-kolkata",
        timed("Bengaluru dev sync", p.at(2, 19, 30), 30, KOL, **invited(PRADEEP, "accepted")),
    )
    p.add(
        "tz-tokyo",
        timed(
            "Tokyo supplier call",
            p.at(8, 9),
            45,
            TYO,
            **zoom_addon(KENJI, "89012345678", "VG9reW9DYWxs.1", "246810", "us04web.zoom.us"),
            **invited(KENJI, "accepted"),
        ),
    )
    p.add("tz-utc", timed("Production deploy window", p.at(6, 2), 120, UTC))
    p.add(
        "flight",
        timed(
            "Flight SEA \u2192 LHR",
            p.at(24, 13, 30),
            0,
            PT,
            end_tz=LON,
            end=p.at(24, 7, 5) + dt.timedelta(days=1),
            location="SEA",
        ),
    )
    for key, summary, iana in (
        ("dst-europe", "Overnight data migration", BER),
        ("dst-us", "Overnight on-call", PT),
    ):
        start = dt.datetime.combine(
            next_dst_change(p.day0, iana) - dt.timedelta(days=1), dt.time(22)
        )
        p.add(key, timed(summary, start, 0, iana, end=start + dt.timedelta(hours=8)))


def series_events(p: Plan) -> None:
    first = on_or_after(p.day(-56), 0)
    p.add(
        "weekly-sync",
        timed(
            "Weekly sync",
            dt.datetime.combine(first, dt.time(10)),
            30,
            BER,
            recurrence=["RRULE:FREQ=WEEKLY;WKST=MO;BYDAY=MO"],
            **zoom_addon(ALEX, "82012345678", "V2Vla2x5U3luYw.1", "112233"),
            **hosting((MEGAN, "accepted"), (JOHANNA, "accepted"), (LEE, "tentative")),
        ),
    )
    moved = dt.datetime.combine(first + dt.timedelta(weeks=9, days=1), dt.time(14))
    p.edit(
        "weekly-sync",
        9,
        {
            "summary": "Weekly sync (moved to Tuesday)",
            "start": {"dateTime": moved.isoformat(), "timeZone": BER},
            "end": {"dateTime": (moved + dt.timedelta(minutes=30)).isoformat(), "timeZone": BER},
        },
    )
    p.cancel("weekly-sync", 10)
    first = p.day(-10)
    until = p.day(18).strftime("%Y%m%d") + "T235959Z"
    p.add(
        "daily-standup",
        timed(
            "Daily standup",
            dt.datetime.combine(first, dt.time(9, 15)),
            15,
            recurrence=[f"RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;UNTIL={until}"],
            **zoom_addon(LEE, "87788990011", "U3RhbmR1cA.1", "909090"),
            **invited(LEE, "accepted", (DIEGO, "accepted"), (JOHANNA, "accepted")),
        ),
    )
    p.edit("daily-standup", 10, {"summary": "Daily standup (demo day, later)"})
    p.cancel("daily-standup", 8)
    first = on_or_after(p.day(-21), 1)
    skip = dt.datetime.combine(first + dt.timedelta(weeks=2), dt.time(7))
    p.add(
        "gym-private",
        timed(
            "Gym",
            dt.datetime.combine(first, dt.time(7)),
            60,
            visibility="private",
            location="Gym",
            reminders={"useDefault": False},
            recurrence=[
                "RRULE:FREQ=WEEKLY;BYDAY=TU,TH;COUNT=30",
                f"EXDATE;TZID={PT}:{skip.strftime('%Y%m%dT%H%M%S')}",
            ],
        ),
    )
    ref = p.day(-60)
    first = nth_weekday(ref.year, ref.month, 1, 2)
    p.add(
        "monthly-review",
        timed(
            "Monthly business review",
            dt.datetime.combine(first, dt.time(9)),
            60,
            recurrence=["RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=12"],
            **meet("mbr-qwer-tyu", "555123987"),
            **hosting((MEGAN, "accepted"), (ISAIAH, "accepted")),
        ),
    )
    d = p.day(-90)
    first = (
        d.replace(day=15) if d.day <= 15 else (d.replace(day=1) + dt.timedelta(32)).replace(day=15)
    )
    p.add(
        "monthly-expenses",
        all_day(
            "Expense report due",
            first,
            recurrence=[f"RRULE:FREQ=MONTHLY;BYMONTHDAY=15;UNTIL={p.day(365).strftime('%Y%m%d')}"],
        ),
    )
    first = p.day(40)
    if (first.month, first.day) == (2, 29):
        first += dt.timedelta(days=1)
    p.add(
        "yearly-anniversary", all_day("Work anniversary", first, recurrence=["RRULE:FREQ=YEARLY"])
    )


def projects_events(p: Plan) -> None:
    p.add(
        "quarterly-planning",
        timed(
            "Quarterly planning",
            p.at(8, 13),
            90,
            **zoom_addon(
                ALEX, "91234567890", "Y29udG9zb1BsYW5uaW5nUTM.1", "918273", "contoso.zoom.us"
            ),
            **hosting((ISAIAH, "accepted"), (JOHANNA, "accepted"), (PRADEEP, "needsAction")),
        ),
        "projects",
    )
    p.add(
        "dev-summit",
        all_day(
            "Contoso Dev Summit", on_or_after(p.day(21), 1), 3, location="Seattle Convention Center"
        ),
        "projects",
    )
    ref = p.day(100)
    first = nth_weekday(ref.year, ref.month, 0, 1)
    p.add(
        "annual-planning",
        timed(
            "Annual planning kickoff",
            dt.datetime.combine(first, dt.time(9)),
            180,
            recurrence=["RRULE:FREQ=YEARLY;BYDAY=1MO;COUNT=2"],
            **hosting((MEGAN, "accepted"), (ISAIAH, "needsAction")),
        ),
        "projects",
    )


def holiday_events(p: Plan) -> None:
    for key, name, rule in HOLIDAY_RULES:
        dates = [rule(y) for y in range(p.day0.year - 1, p.day0.year + 2)]
        day = min(dates, key=lambda d: (abs((d - p.day0).days), d < p.day0))
        p.add(
            key,
            all_day(
                name,
                day,
                description=f"{name} (US office closed)",
                organizer={"email": MEGAN.address, "displayName": MEGAN.name},
                creator={"email": MEGAN.address, "displayName": MEGAN.name},
            ),
            "holidays",
        )


def filler_events(p: Plan, n: int) -> None:
    """Everyday meetings, most within two months of day0, the rest across the window."""
    rng = p.rng
    for i in range(n):
        offset = rng.randint(-60, 60) if rng.random() < 0.8 else rng.randint(-175, 525)
        tz = PT if rng.random() < 0.7 else rng.choice((ET, LON, BER, KOL))
        start = p.at(offset, rng.choice((8, 9, 10, 11, 13, 14, 15, 16)), rng.choice((0, 0, 30)))
        kind = rng.choices(("zoom", "meet", "plain"), (35, 20, 45))[0]
        host = ALEX if rng.random() < 0.5 else rng.choice(COLLEAGUES)
        guests = rng.sample([c for c in COLLEAGUES if c is not host], rng.randint(1, 4))
        replies = [
            (g, rng.choice(("accepted", "accepted", "tentative", "declined"))) for g in guests
        ]
        body: Body = {}
        if kind == "zoom":
            mid = str(rng.randint(81_000_000_000, 99_999_999_999))
            pwd = "".join(rng.choice("abcdefghijkLMNOPQRSTU0123456789") for _ in range(24)) + ".1"
            body.update(zoom_addon(host, mid, pwd, str(rng.randint(100_000, 999_999))))
        elif kind == "meet":
            letters = "abcdefghijklmnopqrstuvwxyz"
            code = "-".join("".join(rng.choice(letters) for _ in range(k)) for k in (3, 4, 3))
            body.update(meet(code, str(rng.randint(100_000_000, 999_999_999))))
        else:
            body["location"] = rng.choice(PLACES)
        body.update(hosting(*replies) if host is ALEX else invited(host, "accepted", *replies))
        calendar = "projects" if rng.random() < 0.25 else "primary"
        minutes = rng.choice((30, 30, 45, 60, 60, 90))
        p.add(
            f"meeting-{i:03d}-{kind}",
            timed(rng.choice(TOPICS), start, minutes, tz, **body),
            calendar,
        )


def build(p: Plan) -> None:
    p.calendars += [
        SeedCalendar("primary", "", "owner", "", "14", "#9fe1e7", primary=True),
        SeedCalendar(
            "projects",
            "Projects",
            "owner",
            "",
            "17",
            "#9a9cff",
            description="Project milestones and planning",
        ),
        SeedCalendar(
            "holidays",
            "Team Holidays",
            "reader",
            MEGAN.address,
            "8",
            "#16a765",
            description="US office holidays (maintained by Megan)",
        ),
    ]
    zoom_events(p)
    online_events(p)
    plain_events(p)
    timezone_events(p)
    series_events(p)
    projects_events(p)
    holiday_events(p)
    filler_events(p, FILLER)
