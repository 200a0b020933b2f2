"""Other mailboxes of the demo tenant and what they share with the demo user (issue 15).

Provider-neutral content (who, which events, who may open whose calendar) plus its Graph
application; each emulator maps the same people and events onto its own model so the demo
user is, on every provider, a delegate of Megan Bowen *with* private access and of Nestor Wilke
*without* it, and a reader of Adele Vance's calendar — the scenario of Microsoft's "Share or
delegate a calendar in Outlook" (learn.microsoft.com/graph/outlook-share-or-delegate-calendar).
Every mailbox has private and confidential events with join links, places and attendees, so a
leak of any detail is visible. Deterministic for a day; no randomness, no I/O.
Other mailboxes are ordinary users of the tenant (same store as the demo user's), usable by any
feature that needs several mailboxes (scheduling, directory).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sandbox.gerrors import GraphError
from sandbox.mailbox import Mailboxes
from sandbox.seed_model import Body, attendee, text, timed

PT = "Pacific Standard Time"


@dataclass(frozen=True)
class OtherMailbox:
    name: str
    address: str  # the Graph UPN; Google and EWS use the same local part in their domain
    role: str  # calendarPermission role the demo user holds on the primary calendar
    private_access: bool


MAILBOXES = (
    OtherMailbox("Megan Bowen", "megan@contoso.example", "delegateWithPrivateEventAccess", True),
    OtherMailbox(
        "Nestor Wilke", "nestor@contoso.example", "delegateWithoutPrivateEventAccess", False
    ),
    OtherMailbox("Adele Vance", "adele@contoso.example", "read", False),
)


@dataclass(frozen=True)
class SharedEvent:
    subject: str
    day: int  # days after the seed day
    hour: int
    minutes: int
    sensitivity: str  # normal | private | confidential
    location: str
    body: str
    guest: str  # attendee address


def events_of(box: OtherMailbox) -> tuple[SharedEvent, ...]:
    first = box.name.split()[0]
    zoom = "https://us02web.zoom.us/j/8551234{:04d}?pwd=U2VjcmV0UGFzcw.1"
    n = sum(map(ord, first)) % 10_000
    return (
        SharedEvent(
            f"{first}: weekly planning",
            1,
            9,
            30,
            "normal",
            "Room 4.12",
            "Agenda in the team notebook.",
            "lidia@contoso.example",
        ),
        SharedEvent(
            f"{first}: doctor appointment",
            2,
            15,
            60,
            "private",
            "Harbor Clinic, 12 Pier Street",
            f"Video consultation\nJoin Zoom Meeting\n{zoom.format(n)}\nPasscode: 424242",
            "dr.hart@harborclinic.example",
        ),
        SharedEvent(
            f"{first}: salary review with HR",
            3,
            11,
            45,
            "confidential",
            "HR office",
            f"Join Zoom Meeting\n{zoom.format(n + 1)}\nMeeting ID: 855 1234 {n + 1:04d}",
            "hr@contoso.example",
        ),
    )


def graph_body(ev: SharedEvent, day0: dt.date) -> Body:
    start = dt.datetime.combine(day0 + dt.timedelta(days=ev.day), dt.time(ev.hour))
    from sandbox.seed_model import Person

    guest = Person(ev.guest.split("@")[0].title(), ev.guest)
    return timed(
        ev.subject,
        start,
        ev.minutes,
        PT,
        sensitivity=ev.sensitivity,
        location={"displayName": ev.location},
        body=text(ev.body),
        attendees=[attendee(guest, "accepted")],
    )


def apply_graph(mb: Mailboxes, demo_user_id: str, day0: dt.date) -> None:
    """Create the other mailboxes (when missing), their events, and the demo user's roles."""
    from sandbox.graph_sharing import share

    demo = mb.users[demo_user_id]
    for box in MAILBOXES:
        try:
            user = mb.find_user(box.address)
        except GraphError:  # not a user of the tenant yet
            user = mb.add_user(box.address, box.name, secrets.token_urlsafe(12))
        cals = mb.calendars_of(user.id)
        primary = next((c for c in cals if c.is_default), None)
        if primary is None:
            primary = mb.add_calendar(user.id, "Calendar", is_default=True, hex_color="#0078d4")
        if any(e.calendar_id == primary.id for e in mb.events.values()):
            continue  # seeded already
        for ev in events_of(box):
            mb.create_event(primary, graph_body(ev, day0))
        share(mb, primary, demo.upn, box.role)
