"""Calendars of other Google Workspace users of the demo domain, shared with the demo user
(issue 15), from the provider-neutral people and events of sandbox.seed_delegation.

The demo user's calendar list gets each colleague's primary calendar (id and summary: the
colleague's address, as Google names primary calendars) with the demo user's role: Megan Bowen
`writer` (details of private events visible), Nestor Wilke `reader` (private events without
details), Adele Vance `freeBusyReader` (free/busy only) — the roles of the acl resource
(developers.google.com/calendar/api/v3/reference/acl); sandbox.google.visibility applies them.
Events are stored as the owner wrote them (visibility private/confidential with their details).
Deterministic for a day; no I/O.
"""

from __future__ import annotations

import datetime as dt

from sandbox.google.store import Calendar, Store
from sandbox.seed_delegation import MAILBOXES, events_of

ROLE = {"Megan Bowen": "writer", "Nestor Wilke": "reader", "Adele Vance": "freeBusyReader"}
ZONE = "America/Los_Angeles"
VISIBILITY = {"normal": "default", "private": "private", "confidential": "confidential"}


def apply_google(store: Store, day0: dt.date) -> None:
    domain = store.user.split("@")[-1]
    for box in MAILBOXES:
        address = f"{box.address.split('@')[0]}@{domain}"
        if address in store.calendars:
            continue
        cal = store.add_calendar(
            Calendar(address, address, ZONE, ROLE[box.name], address, color_id="7")
        )
        for ev in events_of(box):
            start = dt.datetime.combine(day0 + dt.timedelta(days=ev.day), dt.time(ev.hour))
            end = start + dt.timedelta(minutes=ev.minutes)
            store.insert(
                cal,
                {
                    "summary": ev.subject,
                    "start": {"dateTime": start.isoformat(), "timeZone": ZONE},
                    "end": {"dateTime": end.isoformat(), "timeZone": ZONE},
                    "location": ev.location,
                    "description": ev.body,
                    "visibility": VISIBILITY[ev.sensitivity],
                    "attendees": [{"email": ev.guest, "responseStatus": "accepted"}],
                    "organizer": {"email": address, "displayName": box.name},
                    "creator": {"email": address, "displayName": box.name},
                },
                use_conference=False,
                provider_side=True,
            )
