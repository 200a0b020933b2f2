"""Demo content of the Google sandbox: one event per variety the bridge must handle.

Zoom as the Zoom for Google Workspace add-on leaves it (conferenceData, solution type `addOn`)
and as people paste it (location, HTML or text description), Google Meet (hangoutsMeet
conferenceData), Teams/Webex/GoTo invitations in descriptions, plain and private events, all-day
single and multi-day, several IANA zones, DST-crossing events, recurring series with a moved and
a cancelled occurrence, EXDATEs, and a read-only "Team Holidays" calendar shared by Megan.
Invitation texts come from sandbox.seed_invites. This part: builders, online meetings and
plain events; seed_series.py adds time zones, series, holidays, filler and the calendars.
This module must not do I/O and must not read the clock: everything derives from `plan.day0`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox import seed_invites as inv
from sandbox.google.seed import Body, Plan, all_day, timed
from sandbox.seed_demo import (
    ADELE,
    ALEX,
    DIEGO,
    ISAIAH,
    JOHANNA,
    KENJI,
    LEE,
    LIDIA,
    MEGAN,
    NESTOR,
    OLIVIA,
    PRADEEP,
    PRIYA,
    ROOM,
    SAM,
)
from sandbox.seed_model import Person, on_or_after

PT, ET, LON = "America/Los_Angeles", "America/New_York", "Europe/London"
BER, KOL, TYO, UTC = "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo", "UTC"
ZOOM_ICON = "https://lh3.googleusercontent.com/pw/zoom-meeting-addon-icon=w96-h96-n-nu"


def zoom_addon(
    host: Person, mid: str, pwd: str, passcode: str, domain: str = "us02web.zoom.us"
) -> Body:
    """conferenceData the Zoom for Google Workspace add-on writes (solution type addOn)."""
    url = inv.zoom_url(domain, mid, pwd)
    gov = domain.endswith("zoomgov.com")
    phones = inv.ZOOMGOV_ONE_TAP if gov else inv.ZOOM_ONE_TAP
    points: list[dict[str, Any]] = [
        {
            "entryPointType": "video",
            "uri": url,
            "label": url.split("://", 1)[1],
            "meetingCode": mid,
            "passcode": passcode,
        }
    ]
    points += [
        {
            "entryPointType": "phone",
            "uri": f"tel:{num},,{mid}#",
            "label": f"{num[:2]} {num[2:5]} {num[5:8]} {num[8:]}",
            "regionCode": "US",
            "meetingCode": mid,
            "passcode": passcode,
        }
        for num, _ in phones[:2]
    ]
    points.append(
        {
            "entryPointType": "sip",
            "uri": f"sip:{mid}@zoomcrc.com",
            "label": f"{mid}@zoomcrc.com",
            "meetingCode": mid,
            "passcode": passcode,
        }
    )
    points.append({"entryPointType": "more", "uri": f"https://{domain}/u/kbQ7xPz"})
    return {
        "conferenceData": {
            "entryPoints": points,
            "conferenceSolution": {
                "key": {"type": "addOn"},
                "name": "Zoom Meeting",
                "iconUri": ZOOM_ICON,
            },
            "conferenceId": mid,
            "notes": f"Meeting host: {host.address}<br /><br />Join Zoom Meeting:<br />{url}",
            "parameters": {
                "addOnParameters": {
                    "parameters": {
                        "meetingCreatedBy": host.address,
                        "meetingType": "2",
                        "realMeetingId": mid,
                        "meetingUuid": f"{mid[:4]}Zm9vYmFy{mid[-4:]}==",
                    }
                }
            },
        }
    }


def meet(code: str, pin: str) -> Body:
    url = f"https://meet.google.com/{code}"
    return {
        "hangoutLink": url,
        "conferenceData": {
            "entryPoints": [
                {"entryPointType": "video", "uri": url, "label": f"meet.google.com/{code}"},
                {
                    "entryPointType": "phone",
                    "uri": "tel:+1-505-555-0142",
                    "label": "+1 505-555-0142",
                    "pin": pin,
                    "regionCode": "US",
                },
                {"entryPointType": "more", "uri": f"https://tel.meet/{code}?pin={pin}", "pin": pin},
            ],
            "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
            "conferenceId": code,
        },
    }


def person(p: Person, status: str, **extra: Any) -> Body:
    return {"email": p.address, "displayName": p.name, "responseStatus": status, **extra}


def hosting(*guests: tuple[Person, str]) -> Body:
    people = [person(ALEX, "accepted", organizer=True)]
    people += [person(p, r, resource=True) if p is ROOM else person(p, r) for p, r in guests]
    return {"attendees": people}


def invited(organizer: Person, mine: str, *others: tuple[Person, str]) -> Body:
    people = [person(organizer, "accepted")]
    people += [person(ALEX, mine)] + [person(p, r) for p, r in others]
    return {
        "organizer": {"email": organizer.address, "displayName": organizer.name},
        "creator": {"email": organizer.address, "displayName": organizer.name},
        "attendees": people,
    }


def zoom_events(p: Plan) -> None:
    p.add(
        "zoom-addon",
        timed(
            "Design review",
            p.at(2, 9),
            60,
            colorId="9",
            reminders={"useDefault": False, "overrides": [{"method": "popup", "minutes": 15}]},
            **zoom_addon(ALEX, "85512345678", "bGxRbXZQa2JzVU9HTnBzZz09.1", "123456"),
            **hosting((MEGAN, "accepted"), (ADELE, "tentative"), (LEE, "needsAction")),
        ),
    )
    url = inv.zoom_url("us06web.zoom.us", "83498765432", "RmFicmlrYW1DdXN0b21lcg.1")
    p.add(
        "zoom-addon-with-text",
        timed(
            "Customer call - Fabrikam",
            p.at(1, 11),
            45,
            ET,
            description=inv.zoom_text(PRIYA.name, url, "83498765432", "771204"),
            **zoom_addon(
                PRIYA, "83498765432", "RmFicmlrYW1DdXN0b21lcg.1", "771204", "us06web.zoom.us"
            ),
            **invited(PRIYA, "accepted", (MEGAN, "accepted")),
        ),
    )
    url = inv.zoom_url("us02web.zoom.us", "87654321098", "cXlUR3NvWmRKTmRrQm1wUT09")
    p.add(
        "zoom-location-link",
        timed(
            "Vendor demo - Northwind",
            p.at(6, 10),
            60,
            ET,
            location=url,
            **invited(OLIVIA, "needsAction", (ADELE, "accepted")),
        ),
    )
    url = inv.zoom_url("us02web.zoom.us", "84411223344", "Um9hZG1hcENoYXQ.1")
    p.add(
        "zoom-description-html",
        timed(
            "Roadmap chat",
            p.at(10, 14),
            30,
            description=inv.zoom_html(MEGAN.name, url, "84411223344", "902134"),
            **invited(MEGAN, "accepted"),
        ),
    )
    p.add(
        "zoom-description-id-only",
        timed(
            "Partner sync (dial-in details)",
            p.at(4, 16),
            30,
            description="Hi Alex,<br>Let's use my Zoom room.<br>"
            "Zoom Meeting ID: 864 2051 9937<br>Passcode: 739201",
            **invited(KENJI, "tentative"),
        ),
    )
    taps = "\n".join(inv.one_tap_lines("86123456789", "204816"))
    p.add(
        "zoom-one-tap",
        timed(
            "Board prep (dial-in)",
            p.at(3, 7),
            30,
            description=f"Dial in from your phone:\n{taps}\n\nMeeting ID: 861 2345 6789\n"
            "Passcode: 204816\n",
            **invited(MEGAN, "accepted"),
        ),
    )
    p.add(
        "zoom-private",
        timed(
            "Interview: senior engineer candidate",
            p.at(11, 16),
            60,
            visibility="private",
            **zoom_addon(ALEX, "86677889900", "SW50ZXJ2aWV3.1", "551177"),
            **hosting((LIDIA, "accepted")),
        ),
    )
    p.add(
        "zoom-gov",
        timed(
            "Grant review (ZoomGov)",
            p.at(15, 10),
            60,
            ET,
            **zoom_addon(SAM, "1612345678", "R292UmV2aWV3MjAyNQ.1", "384756", "www.zoomgov.com"),
            **invited(SAM, "accepted", (LIDIA, "accepted")),
        ),
    )
    vanity = "https://contoso.zoom.us/my/alex.wilber"
    first = on_or_after(p.day(-14), 3)
    p.add(
        "zoom-vanity-weekly",
        timed(
            "Office hours",
            dt.datetime.combine(first, dt.time(15)),
            60,
            location=vanity,
            description=f"Drop in any time during office hours:\n{vanity}\n",
            recurrence=["RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=12"],
        ),
    )
    p.add(
        "zoom-declined",
        timed(
            "Marketing sync",
            p.at(3, 15),
            30,
            transparency="transparent",
            **zoom_addon(DIEGO, "82244668800", "TWFya2V0aW5n.1", "135790"),
            **invited(DIEGO, "declined", (ADELE, "accepted")),
        ),
    )


def online_events(p: Plan) -> None:
    p.add(
        "google-meet",
        timed(
            "Open-source sync (Google Meet)",
            p.at(6, 8),
            30,
            **meet("abc-mnop-xyz", "123456789"),
            **hosting((PRIYA, "tentative")),
        ),
    )
    p.add(
        "meet-in-description",
        timed(
            "Coffee chat",
            p.at(9, 9),
            30,
            description=inv.meet_html("kqz-wxyv-rst", "987654321"),
            **invited(LEE, "accepted"),
        ),
    )
    join = inv.teams_join_url(
        "MmM4YjNiNzYtZjQzNy00ZDQ0LWE2ZjItYjk4N2Q4YjJhZTg0",
        "5b1f0c2e-7a6d-4f3c-9e8a-1b2c3d4e5f60",
        "7f3e2d1c-0b9a-4c8d-8e7f-6a5b4c3d2e1f",
    )
    p.add(
        "teams-in-description",
        timed(
            "Architecture board",
            p.at(5, 10),
            60,
            location="Microsoft Teams Meeting",
            description=inv.teams_html(
                join,
                "231 456 789 012",
                "aB3cD4",
                "+1 323-555-0166",
                "612345789",
                "Agenda: service boundaries.",
            ),
            **invited(ISAIAH, "accepted", (PRADEEP, "accepted")),
        ),
    )
    p.add(
        "webex",
        timed(
            "Auditor walkthrough (Webex)",
            p.at(9, 6),
            60,
            description=inv.webex_html(
                "tailspin", "m4f6c2a1b3d5e7f9081726354a6b8c9d0", "2634 123 4567", "Xy7pQ2mK"
            ),
            **invited(KENJI, "accepted"),
        ),
    )
    p.add(
        "goto",
        timed(
            "Training: expense tool (GoTo)",
            p.at(14, 9),
            60,
            description=inv.goto_html("123456789"),
            **invited(NESTOR, "accepted"),
        ),
    )


def plain_events(p: Plan) -> None:
    p.add(
        "lunch",
        timed(
            "Lunch with Nestor",
            p.at(1, 12),
            60,
            location="Fourth Coffee",
            colorId="5",
            transparency="transparent",
            **hosting((NESTOR, "accepted")),
        ),
    )
    p.add(
        "private-dentist",
        timed(
            "Dentist", p.at(16, 8), 60, visibility="private", location="Smile Dental, 123 Main St"
        ),
    )
    p.add("focus-time", timed("Focus time", p.at(0, 13), 120, reminders={"useDefault": False}))
    p.add(
        "tentative-talk",
        timed(
            "Tech talk: event sourcing",
            p.at(4, 12),
            60,
            location="Auditorium",
            status="tentative",
            **invited(DIEGO, "tentative"),
        ),
    )
    p.add(
        "room-booking",
        timed(
            "Budget workshop",
            p.at(3, 10),
            90,
            location=ROOM.name,
            **hosting(
                (ROOM, "accepted"), (MEGAN, "accepted"), (ADELE, "declined"), (PRADEEP, "tentative")
            ),
        ),
    )
    guests = hosting((LEE, "accepted"), (JOHANNA, "needsAction"))
    guests["attendees"][2]["optional"] = True
    p.add(
        "optional-attendees",
        timed(
            "Lunch & learn: calendars",
            p.at(8, 12),
            60,
            description="Bring your lunch; optional for everyone.",
            **guests,
        ),
    )
    p.add(
        "public-event",
        timed(
            "Community meetup",
            p.at(12, 18),
            120,
            visibility="public",
            location="Contoso HQ, Redmond",
        ),
    )
    p.add(
        "past-retro",
        timed("Quarter retrospective", p.at(-14, 15), 60, **hosting((MEGAN, "accepted"))),
    )
    p.add("far-past", all_day("Kick-off offsite", p.workday(-150), 2))
    p.add("far-future", all_day("Company 10-year celebration", p.workday(400)))
    p.add("all-day-single", all_day("Release day", p.workday(7)))
    p.add(
        "all-day-vacation",
        all_day("Vacation \u2014 Lisbon", on_or_after(p.day(30), 0), 5, colorId="2"),
    )
    p.add("private-all-day", all_day("Personal day", p.workday(45), visibility="private"))
    p.add(
        "working-elsewhere",
        all_day("Working from Berlin office", p.workday(17), location="Contoso Berlin"),
    )
    p.add("confidential", timed("HR case review", p.at(13, 11), 30, visibility="confidential"))
