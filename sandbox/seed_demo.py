"""Hand-written part of the demo mailbox: one event per variety the bridge must handle.

Zoom in every form the Zoom for Outlook add-in (and careless users) leave it, Teams / Meet /
Webex / GoTo meetings, plain events, recurring series with exceptions, all-day and private
events, several Windows time zones and DST-crossing events. Every event has a descriptive key.
This module must not do I/O and must not read the clock: everything derives from `Plan.day0`.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sandbox import seed_invites as inv
from sandbox.seed_model import (
    Body,
    Person,
    SeedEvent,
    SeedItem,
    SeedOccurrenceCancel,
    SeedOccurrenceEdit,
    absolute_monthly,
    absolute_yearly,
    all_day,
    attendee,
    daily,
    email,
    html,
    nth_weekday,
    on_or_after,
    recurrence,
    relative_monthly,
    relative_yearly,
    response_status,
    text,
    timed,
    weekday_name,
    weekly,
    when,
)

ALEX = Person("Alex Wilber", "alex@contoso.example")
MEGAN = Person("Megan Bowen", "megan@contoso.example")
ADELE = Person("Adele Vance", "adele@contoso.example")
LEE = Person("Lee Gu", "lee@contoso.example")
ISAIAH = Person("Isaiah Langer", "isaiah@contoso.example")
LIDIA = Person("Lidia Holloway", "lidia@contoso.example")
NESTOR = Person("Nestor Wilke", "nestor@contoso.example")
DIEGO = Person("Diego Siciliani", "diego@contoso.example")
JOHANNA = Person("Johanna Lorenz", "johanna@contoso.example")
PRADEEP = Person("Pradeep Gupta", "pradeep@contoso.example")
PRIYA = Person("Priya Natarajan", "priya@fabrikam.example")
KENJI = Person("Kenji Sato", "kenji@tailspin.example")
OLIVIA = Person("Olivia Brown", "olivia@northwind.example")
SAM = Person("Sam Rivera", "sam.rivera@agency.example")
JORDAN = Person("Jordan Lee", "jordan@coaching.example")
ROOM = Person("Conf Room Adams", "adams@contoso.example")
COLLEAGUES = (MEGAN, ADELE, LEE, ISAIAH, LIDIA, NESTOR, DIEGO, JOHANNA, PRADEEP)

PT, ET, GMT = "Pacific Standard Time", "Eastern Standard Time", "GMT Standard Time"
WE, IST, JST, UTC = "W. Europe Standard Time", "India Standard Time", "Tokyo Standard Time", "UTC"
CALENDAR, PROJECTS, HOLIDAYS = "calendar", "projects", "team-holidays"
TENANT = "5b1f0c2e-7a6d-4f3c-9e8a-1b2c3d4e5f60"
ZAK = (
    "eyJ0eXAiOiJKV1QiLCJzdiI6IjAwMDAwMSIsImFsZyI6IkhTMjU2In0."
    "eyJhdWQiOiJjbGllbnRzbSIsInVpZCI6ImFsZXgiLCJpc3MiOiJ3ZWIifQ.c2VlZC1ub3QtYS1zaWduYXR1cmU"
)


class Plan:
    """Collects seed items in order for one day (`day0`, a UTC date) and one random stream."""

    def __init__(self, day0: dt.date, rng: random.Random) -> None:
        self.day0 = day0
        self.rng = rng
        self.items: list[SeedItem] = []

    def day(self, offset: int) -> dt.date:
        return self.day0 + dt.timedelta(days=offset)

    def workday(self, offset: int) -> dt.date:
        """day0 + offset, moved forward to a Monday when it falls on a weekend."""
        d = self.day(offset)
        return d if d.weekday() < 5 else on_or_after(d, 0)

    def at(self, offset: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(self.workday(offset), dt.time(hour, minute))

    def replied(self) -> dt.datetime:
        return dt.datetime.combine(self.day(-3), dt.time(9, 12))

    def add(self, key: str, body: Body, calendar: str = CALENDAR) -> None:
        self.items.append(SeedEvent(calendar, key, body))

    def edit(self, key: str, index: int, patch: Body) -> None:
        self.items.append(SeedOccurrenceEdit(key, index, patch))

    def cancel(self, key: str, index: int) -> None:
        self.items.append(SeedOccurrenceCancel(key, index))

    def hosting(self, *guests: tuple[Person, str]) -> Body:
        """Attendee list of an event Alex organises (Graph sets organizer to the mailbox owner)."""
        return {
            "attendees": [
                attendee(p, r, "resource" if p is ROOM else "required", self.replied())
                for p, r in guests
            ]
        }

    def invited(self, organizer: Person, mine: str, *others: tuple[Person, str]) -> Body:
        """Fields of an event someone else organised, with Alex's own reply `mine`."""
        people = [attendee(ALEX, mine, responded=self.replied())]
        people += [attendee(p, r, responded=self.replied()) for p, r in others]
        return {
            "organizer": {"emailAddress": email(organizer)},
            "attendees": people,
            "responseStatus": response_status(mine, self.replied()),
        }

    def teams(self, intro: str = "") -> Body:
        """Teams fields: real Graph generates onlineMeeting; the sandbox stores the seed's."""
        guid = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        thread = base64.b64encode(str(guid).encode()).decode().rstrip("=")
        oid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        join = inv.teams_join_url(thread, TENANT, oid)
        conf = str(self.rng.randint(100_000_000, 999_999_999))
        mid = " ".join(str(self.rng.randint(100, 999)) for _ in range(4))
        code = "".join(
            self.rng.choice("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
            for _ in range(6)
        )
        toll = "+1 323-555-0166"
        return {
            "body": html(inv.teams_html(join, mid, code, toll, conf, intro)),
            "isOnlineMeeting": True,
            "onlineMeetingProvider": "teamsForBusiness",
            "onlineMeeting": {"joinUrl": join, "conferenceId": conf, "tollNumber": toll},
            "location": {"displayName": "Microsoft Teams Meeting"},
        }


def zoom_add_in(
    host: Person,
    meeting_id: str,
    pwd: str,
    passcode: str,
    domain: str = "us02web.zoom.us",
    **kw: Any,
) -> Body:
    """Body and location the Zoom for Outlook add-in writes: link in location, invite in body."""
    url = inv.zoom_url(domain, meeting_id, pwd)
    return {
        "body": html(inv.zoom_html(host.name, url, meeting_id, passcode, domain=domain, **kw)),
        "location": {"displayName": url},
    }


def zoom_events(p: Plan) -> None:
    p.add(
        "zoom-location-link",
        timed(
            "Design review",
            p.at(2, 9),
            60,
            PT,
            categories=["Blue category"],
            isReminderOn=True,
            reminderMinutesBeforeStart=15,
            **zoom_add_in(ALEX, "85512345678", "bGxRbXZQa2JzVU9HTnBzZz09.1", "123456"),
            **p.hosting(
                (MEGAN, "accepted"),
                (ADELE, "tentativelyAccepted"),
                (LEE, "none"),
                (PRIYA, "declined"),
            ),
        ),
    )
    url = inv.zoom_url("us06web.zoom.us", "83498765432", "RmFicmlrYW1DdXN0b21lcg.1")
    p.add(
        "zoom-body-link",
        timed(
            "Customer call - Fabrikam",
            p.at(1, 11),
            45,
            ET,
            location={"displayName": "Zoom"},
            body=html(
                inv.zoom_html(PRIYA.name, url, "83498765432", "771204", domain="us06web.zoom.us")
            ),
            **p.invited(PRIYA, "accepted", (MEGAN, "accepted")),
        ),
    )
    p.add(
        "zoom-body-id-only",
        timed(
            "Partner sync (dial-in details)",
            p.at(4, 16),
            30,
            PT,
            showAs="tentative",
            body=html(
                "<html><body><p>Hi Alex,</p><p>Let's use my Zoom room.</p>"
                "<p>Zoom Meeting ID: 864 2051 9937<br>Passcode: 739201</p></body></html>"
            ),
            **p.invited(KENJI, "tentativelyAccepted"),
        ),
    )
    url = inv.zoom_url("us02web.zoom.us", "87654321098", "cXlUR3NvWmRKTmRrQm1wUT09")
    p.add(
        "zoom-safelinks",
        timed(
            "Vendor demo - Northwind",
            p.at(6, 10),
            60,
            ET,
            location={"displayName": "Online"},
            body=html(
                inv.zoom_html(
                    OLIVIA.name,
                    url,
                    "87654321098",
                    "560331",
                    shown_url=inv.safelinks(url, ALEX.address),
                )
            ),
            **p.invited(OLIVIA, "notResponded", (ADELE, "accepted")),
        ),
    )
    vanity = "https://contoso.zoom.us/my/alex.wilber"
    first = on_or_after(p.day(-14), 3)
    p.add(
        "zoom-vanity",
        timed(
            "Office hours",
            dt.datetime.combine(first, dt.time(15)),
            60,
            PT,
            location={"displayName": vanity},
            isReminderOn=False,
            body=text(f"Drop in any time during office hours:\n{vanity}\n"),
            recurrence=recurrence(weekly(["thursday"]), first, PT, count=12),
        ),
    )
    taps = "\n".join(inv.one_tap_lines("86123456789", "204816"))
    p.add(
        "zoom-one-tap",
        timed(
            "Board prep (dial-in)",
            p.at(3, 7),
            30,
            PT,
            body=text(
                f"Dial in from your phone:\n{taps}\n\nMeeting ID: 861 2345 6789\nPasscode: 204816\n"
            ),
            **p.invited(MEGAN, "accepted"),
        ),
    )
    p.add(
        "zoom-company-subdomain",
        timed(
            "Quarterly planning",
            p.at(8, 13),
            90,
            PT,
            **zoom_add_in(
                ALEX, "91234567890", "Y29udG9zb1BsYW5uaW5nUTM.1", "918273", domain="contoso.zoom.us"
            ),
            **p.hosting((ISAIAH, "accepted"), (JOHANNA, "accepted"), (PRADEEP, "none")),
        ),
        PROJECTS,
    )
    p.add(
        "zoom-dot-com",
        timed(
            "Northwind webinar: scheduling at scale",
            p.at(12, 9),
            60,
            PT,
            showAs="tentative",
            **zoom_add_in(
                OLIVIA, "93456789012", "d2ViaW5hclpvb21Db20.1", "650021", domain="zoom.com"
            ),
            **p.invited(OLIVIA, "tentativelyAccepted"),
        ),
    )
    p.add(
        "zoom-gov",
        timed(
            "Grant review (ZoomGov)",
            p.at(15, 10),
            60,
            ET,
            **zoom_add_in(
                SAM, "1612345678", "R292UmV2aWV3MjAyNQ.1", "384756", domain="www.zoomgov.com"
            ),
            **p.invited(SAM, "accepted", (LIDIA, "accepted")),
        ),
    )
    p.add(
        "zoom-host-start-link",
        timed(
            "Webinar dry run",
            p.at(5, 8),
            45,
            PT,
            **zoom_add_in(
                ALEX,
                "85598765432",
                "ZHJ5UnVuV2ViaW5hcg.1",
                "310954",
                start_url=f"https://us02web.zoom.us/s/85598765432?zak={ZAK}",
            ),
            **p.hosting((DIEGO, "accepted"), (ADELE, "accepted")),
        ),
    )
    w = (
        "https://us02web.zoom.us/w/89912345678?tk=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789.DQMAAAAU"
        "&pwd=UHJvZHVjdExhdW5jaA.1"
    )
    p.add(
        "zoom-webinar-w-link",
        timed(
            "Zoom webinar: product launch",
            p.at(20, 9),
            60,
            PT,
            showAs="free",
            body=html(
                "<html><body><p>Hi Alex Wilber,</p><p>Thank you for registering. Please click"
                f' the link below to join the webinar:<br><a href="{w.replace("&", "&amp;")}">'
                f"{w.replace('&', '&amp;')}</a></p><p>Passcode: 445566</p></body></html>"
            ),
            **p.invited(PRIYA, "accepted"),
        ),
    )
    conf = "confno=85312345678&pwd=Um9vbXNUZXN0.1"
    p.add(
        "zoom-app-scheme",
        timed(
            "Zoom Rooms test",
            p.at(9, 12),
            30,
            PT,
            location={"displayName": ROOM.name, "locationEmailAddress": ROOM.address},
            body=text(
                f"Open in the app: zoommtg://zoom.us/join?action=join&{conf}\n"
                f"Mobile: zoomus://zoom.us/join?{conf}\n"
            ),
            **p.hosting((ROOM, "accepted"), (NESTOR, "accepted")),
        ),
    )
    p.add(
        "zoom-nine-digit-id",
        timed(
            "Legacy room check-in",
            p.at(7, 11),
            30,
            PT,
            location={"displayName": "https://zoom.us/j/912345678"},
            body=text(
                "Personal meeting room: https://zoom.us/j/912345678\nMeeting ID: 912 345 678\n"
            ),
            **p.invited(LEE, "accepted"),
        ),
    )
    url = inv.zoom_url("us02web.zoom.us", "84411223344", "Um9hZG1hcENoYXQ.1")
    p.add(
        "zoom-text-body",
        timed(
            "Roadmap chat",
            p.at(10, 14),
            30,
            PT,
            body=text(inv.zoom_text(MEGAN.name, url, "84411223344", "902134")),
            **p.invited(MEGAN, "accepted"),
        ),
    )
    p.add(
        "zoom-private",
        timed(
            "Interview: senior engineer candidate",
            p.at(11, 16),
            60,
            PT,
            sensitivity="private",
            **zoom_add_in(ALEX, "86677889900", "SW50ZXJ2aWV3.1", "551177"),
            **p.hosting((LIDIA, "accepted")),
        ),
    )
    first = on_or_after(p.day(-30), 2)
    p.add(
        "zoom-private-recurring",
        timed(
            "Leadership coaching",
            dt.datetime.combine(first, dt.time(7, 30)),
            45,
            PT,
            sensitivity="private",
            recurrence=recurrence(weekly(["wednesday"], 2), first, PT, count=20),
            **zoom_add_in(
                JORDAN, "81122334455", "Q29hY2hpbmc.1", "224466", domain="us05web.zoom.us"
            ),
            **p.invited(JORDAN, "accepted"),
        ),
    )
    p.add(
        "zoom-declined",
        timed(
            "Marketing sync",
            p.at(3, 15),
            30,
            PT,
            showAs="free",
            **zoom_add_in(DIEGO, "82244668800", "TWFya2V0aW5n.1", "135790"),
            **p.invited(DIEGO, "declined", (ADELE, "accepted")),
        ),
    )
    url = inv.zoom_url("us02web.zoom.us", "82233445566", "SHlicmlkUm9vbQ.1")
    p.add(
        "zoom-room-and-link",
        timed(
            "Hybrid all-hands rehearsal",
            p.at(13, 10),
            60,
            PT,
            location={"displayName": f"{ROOM.name}; {url}"},
            locations=[
                {"displayName": ROOM.name, "locationEmailAddress": ROOM.address},
                {"displayName": url},
            ],
            body=html(inv.zoom_html(ALEX.name, url, "82233445566", "808080")),
            **p.hosting((ROOM, "accepted"), (MEGAN, "accepted"), (NESTOR, "tentativelyAccepted")),
        ),
    )


def online_events(p: Plan) -> None:
    p.add(
        "teams-meeting",
        timed(
            "Sprint planning",
            p.at(2, 14),
            60,
            PT,
            **p.teams("Agenda: sprint goals, capacity."),
            **p.hosting((LEE, "accepted"), (DIEGO, "accepted"), (JOHANNA, "none")),
        ),
        PROJECTS,
    )
    p.add(
        "teams-external-organizer",
        timed(
            "Architecture board",
            p.at(5, 10),
            60,
            PT,
            **p.teams(),
            **p.invited(ISAIAH, "accepted", (PRADEEP, "accepted")),
        ),
    )
    p.add(
        "google-meet",
        timed(
            "Open-source sync (Google Meet)",
            p.at(6, 8),
            30,
            PT,
            body=html(inv.meet_html("abc-mnop-xyz", "123456789")),
            **p.invited(PRIYA, "tentativelyAccepted"),
        ),
    )
    p.add(
        "webex",
        timed(
            "Auditor walkthrough (Webex)",
            p.at(9, 6),
            60,
            PT,
            body=html(
                inv.webex_html(
                    "tailspin", "m4f6c2a1b3d5e7f9081726354a6b8c9d0", "2634 123 4567", "Xy7pQ2mK"
                )
            ),
            **p.invited(KENJI, "accepted"),
        ),
    )
    p.add(
        "goto",
        timed(
            "Training: expense tool (GoTo)",
            p.at(14, 9),
            60,
            PT,
            body=html(inv.goto_html("123456789")),
            **p.invited(NESTOR, "accepted"),
        ),
    )


def plain_events(p: Plan) -> None:
    p.add(
        "lunch-with-nestor",
        timed(
            "Lunch with Nestor",
            p.at(1, 12),
            60,
            PT,
            location={"displayName": "Fourth Coffee"},
            showAs="free",
            categories=["Yellow category"],
            isReminderOn=True,
            reminderMinutesBeforeStart=30,
            **p.hosting((NESTOR, "accepted")),
        ),
    )
    p.add(
        "private-dentist",
        timed(
            "Dentist",
            p.at(16, 8),
            60,
            PT,
            sensitivity="private",
            showAs="oof",
            location={"displayName": "Smile Dental, 123 Main St"},
            reminderMinutesBeforeStart=60,
        ),
    )
    p.add(
        "focus-time-no-reminder",
        timed(
            "Focus time",
            p.at(0, 13),
            120,
            PT,
            showAs="busy",
            isReminderOn=False,
            categories=["Focus"],
        ),
    )
    p.add(
        "tentative-tech-talk",
        timed(
            "Tech talk: event sourcing",
            p.at(4, 12),
            60,
            PT,
            showAs="tentative",
            location={"displayName": "Auditorium"},
            **p.invited(DIEGO, "tentativelyAccepted"),
        ),
    )
    p.add(
        "room-booking",
        timed(
            "Budget workshop",
            p.at(3, 10),
            90,
            PT,
            categories=["Green category", "Finance"],
            location={"displayName": ROOM.name, "locationEmailAddress": ROOM.address},
            **p.hosting(
                (ROOM, "accepted"),
                (MEGAN, "accepted"),
                (ADELE, "declined"),
                (PRADEEP, "tentativelyAccepted"),
                (LIDIA, "none"),
            ),
        ),
    )
    guests = p.hosting((LEE, "accepted"), (JOHANNA, "none"))
    guests["attendees"][1]["type"] = "optional"
    p.add(
        "optional-attendees",
        timed(
            "Lunch & learn: calendars",
            p.at(8, 12),
            60,
            PT,
            body=text("Bring your lunch; optional for everyone."),
            **guests,
        ),
    )
    p.add(
        "past-retrospective",
        timed("Quarter retrospective", p.at(-14, 15), 60, PT, **p.hosting((MEGAN, "accepted"))),
    )
    p.add("far-past-event", all_day("Kick-off offsite", p.workday(-150), 2, PT, showAs="oof"))
    p.add(
        "far-future-event",
        all_day("Company 10-year celebration", p.workday(400), 1, PT, showAs="free"),
    )
    p.add("all-day-single", all_day("Release day", p.workday(7), 1, PT, showAs="free"))
    p.add(
        "all-day-multi-vacation",
        all_day(
            "Vacation \u2014 Lisbon",
            on_or_after(p.day(30), 0),
            5,
            PT,
            showAs="oof",
            isReminderOn=False,
            categories=["Personal"],
        ),
    )
    p.add(
        "private-all-day",
        all_day("Personal day", p.workday(45), 1, PT, showAs="oof", sensitivity="private"),
    )
    p.add(
        "all-day-conference",
        all_day(
            "Contoso Dev Summit",
            on_or_after(p.day(21), 1),
            3,
            PT,
            location={"displayName": "Seattle Convention Center"},
        ),
        PROJECTS,
    )
    p.add(
        "working-elsewhere",
        all_day("Working from Berlin office", p.workday(17), 1, WE, showAs="workingElsewhere"),
    )


def next_dst_change(day0: dt.date, iana: str) -> dt.date:
    """The first day on or after day0 whose noon UTC offset differs from the day before's."""
    zone = ZoneInfo(iana)

    def offset(d: dt.date) -> dt.timedelta | None:
        return dt.datetime.combine(d, dt.time(12), zone).utcoffset()

    d = day0
    while offset(d) == offset(d - dt.timedelta(days=1)):
        d += dt.timedelta(days=1)
    return d


def timezone_events(p: Plan) -> None:
    p.add(
        "tz-pacific",
        timed(
            "Seattle customer visit",
            p.at(18, 10),
            120,
            PT,
            location={"displayName": "Contoso HQ, Redmond"},
        ),
    )
    p.add(
        "tz-eastern",
        timed(
            "NYC investor breakfast", p.at(19, 8), 60, ET, location={"displayName": "Midtown Grill"}
        ),
    )
    p.add(
        "tz-gmt",
        timed(
            "London partner meeting",
            p.at(22, 14),
            60,
            GMT,
            location={"displayName": "Fabrikam UK, Reading"},
        ),
    )
    p.add(
        "tz-w-europe",
        timed(
            "Berlin team dinner",
            p.at(23, 19),
            150,
            WE,
            location={"displayName": "Restaurant Spree"},
        ),
    )
    p.add(
        "tz-india",
        timed(
            "Bengaluru dev sync",
            p.at(2, 19, 30),
            30,
            IST,
            **p.teams(),
            **p.invited(PRADEEP, "accepted"),
        ),
    )
    p.add(
        "tz-tokyo",
        timed(
            "Tokyo supplier call",
            p.at(8, 9),
            45,
            JST,
            **zoom_add_in(
                KENJI, "89012345678", "VG9reW9DYWxs.1", "246810", domain="us04web.zoom.us"
            ),
            **p.invited(KENJI, "accepted"),
        ),
    )
    p.add("tz-utc", timed("Production deploy window", p.at(6, 2), 120, UTC))
    p.add(
        "flight-two-time-zones",
        timed(
            "Flight SEA \u2192 LHR",
            p.at(24, 13, 30),
            0,
            PT,
            end_tz=GMT,
            end=p.at(24, 7, 5) + dt.timedelta(days=1),
            location={"displayName": "SEA"},
            showAs="oof",
        ),
    )
    for key, subject, tz, iana in (
        ("dst-crossing-europe", "Overnight data migration", WE, "Europe/Berlin"),
        ("dst-crossing-us", "Overnight on-call", PT, "America/Los_Angeles"),
    ):
        change = next_dst_change(p.day0, iana)
        start = dt.datetime.combine(change - dt.timedelta(days=1), dt.time(22))
        p.add(key, timed(subject, start, 0, tz, end=start + dt.timedelta(hours=8)))


def series_events(p: Plan) -> None:
    first = on_or_after(p.day(-56), 0)
    p.add(
        "weekly-sync",
        timed(
            "Weekly sync",
            dt.datetime.combine(first, dt.time(10)),
            30,
            WE,
            recurrence=recurrence(weekly(["monday"], first_day="monday"), first, WE),
            **zoom_add_in(ALEX, "82012345678", "V2Vla2x5U3luYw.1", "112233"),
            **p.hosting((MEGAN, "accepted"), (JOHANNA, "accepted"), (LEE, "tentativelyAccepted")),
        ),
    )
    moved = dt.datetime.combine(first + dt.timedelta(weeks=9, days=1), dt.time(14))
    p.edit(
        "weekly-sync",
        9,
        {
            "subject": "Weekly sync (moved to Tuesday)",
            "start": when(moved, WE),
            "end": when(moved + dt.timedelta(minutes=30), WE),
        },
    )
    p.cancel("weekly-sync", 10)
    first = p.day(-10)
    p.add(
        "daily-standup",
        timed(
            "Daily standup",
            dt.datetime.combine(first, dt.time(9, 15)),
            15,
            PT,
            recurrence=recurrence(daily(), first, PT, until=p.day(18)),
            **zoom_add_in(LEE, "87788990011", "U3RhbmR1cA.1", "909090"),
            **p.invited(LEE, "accepted", (DIEGO, "accepted"), (JOHANNA, "accepted")),
        ),
    )
    p.edit(
        "daily-standup",
        15,
        {
            "subject": "Daily standup (demo day, later)",
            "start": when(dt.datetime.combine(first + dt.timedelta(15), dt.time(10)), PT),
            "end": when(dt.datetime.combine(first + dt.timedelta(15), dt.time(10, 15)), PT),
        },
    )
    p.cancel("daily-standup", 12)
    first = on_or_after(p.day(-21), 1)
    p.add(
        "weekly-gym-private",
        timed(
            "Gym",
            dt.datetime.combine(first, dt.time(7)),
            60,
            PT,
            sensitivity="private",
            isReminderOn=False,
            location={"displayName": "Gym"},
            recurrence=recurrence(weekly(["tuesday", "thursday"]), first, PT, count=30),
        ),
    )
    ref = p.day(-60)
    first = nth_weekday(ref.year, ref.month, 1, 2)
    p.add(
        "monthly-second-tuesday",
        timed(
            "Monthly business review",
            dt.datetime.combine(first, dt.time(9)),
            60,
            PT,
            recurrence=recurrence(relative_monthly(["tuesday"], "second"), first, PT, count=12),
            **p.teams(),
            **p.hosting((MEGAN, "accepted"), (ISAIAH, "accepted")),
        ),
    )
    d = p.day(-90)
    first = (
        d.replace(day=15)
        if d.day <= 15
        else (d.replace(day=1) + dt.timedelta(days=32)).replace(day=15)
    )
    p.add(
        "monthly-expenses",
        all_day(
            "Expense report due",
            first,
            1,
            PT,
            showAs="free",
            reminderMinutesBeforeStart=1080,
            recurrence=recurrence(absolute_monthly(15), first, PT, until=p.day(365)),
        ),
    )
    first = p.day(40)
    if (first.month, first.day) == (2, 29):
        first += dt.timedelta(days=1)  # a Feb 29 anniversary would skip three years in four
    p.add(
        "yearly-anniversary",
        all_day(
            "Work anniversary",
            first,
            1,
            PT,
            showAs="free",
            recurrence=recurrence(absolute_yearly(first.day, first.month), first, PT),
        ),
    )
    ref = p.day(100)
    first = nth_weekday(ref.year, ref.month, 0, 1)
    p.add(
        "yearly-relative-planning",
        timed(
            "Annual planning kickoff",
            dt.datetime.combine(first, dt.time(9)),
            180,
            PT,
            recurrence=recurrence(
                relative_yearly([weekday_name(first)], "first", first.month), first, PT, count=2
            ),
            **p.hosting((MEGAN, "accepted"), (ISAIAH, "none")),
        ),
        PROJECTS,
    )
