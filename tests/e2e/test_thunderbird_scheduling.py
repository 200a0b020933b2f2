"""An invitation round trip between two Thunderbird users (issue 16 point 5), both bridge
users whose Microsoft 365 accounts are mailboxes of one sandbox tenant (the `two` fixture of
test_scheduling.py): headless Thunderbird (Debian's package, over Marionette) holds A's and
B's calendars, discovered from the server URL as its "On the Network" wizard does.

- A creates a meeting in Thunderbird inviting B (the event dialog's save: `addItem` of an
  event with an ORGANIZER and an ATTENDEE); the bridge advertises calendar-auto-schedule, so
  Thunderbird only PUTs it and Graph sends the invitation;
- B's calendar in Thunderbird shows the invitation, B NEEDS-ACTION; B accepts as the
  invitation bar's "Accept" saves it on a server-scheduled calendar (`modifyItem` with B's
  PARTSTAT ACCEPTED);
- A's calendar in Thunderbird shows B ACCEPTED.
Every wait is on a state Thunderbird shows (its calendars are refreshed while waiting).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import wait_for
from tests.e2e.portal_client import collections
from tests.e2e.test_scheduling import A, Two, two  # noqa: F401 - the shared fixture
from tests.e2e.thunderbird import start_thunderbird
from tests.e2e.thunderbird_client import ThunderbirdClient

_STATUS = """
const [id, title, address] = args;
const c = cal.manager.getCalendarById(id);
c.refresh();
const items = await c.getItemsAsArray(
  Ci.calICalendar.ITEM_FILTER_TYPE_EVENT | Ci.calICalendar.ITEM_FILTER_ALL_ITEMS, 0, null, null);
const item = items.find(i => i.title == title);
if (!item) return null;
const who = item.getAttendees().find(a => a.id.toLowerCase() == address.toLowerCase());
return who ? who.participationStatus || "NEEDS-ACTION" : "NO-ATTENDEE";
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThunderbirdClient]:
    tb = start_thunderbird(Path(tmp_path_factory.mktemp("thunderbird-sched")) / "profile")
    try:
        yield ThunderbirdClient(tb)
    finally:
        tb.stop()


def _subscribe(client: ThunderbirdClient, pair: Two, user: str, auth: tuple[str, str]) -> str:
    """Thunderbird's id of `user`'s Microsoft 365 calendar, subscribed through discovery."""
    path = pair.a_calendar if user == A else pair.b_calendar
    name = next(c.display_name for c in collections(pair.demo, user, auth) if c.path == path)
    found = client.discover_calendars(pair.demo.url, auth[0], auth[1], subscribe={name})
    return next(c.id for c in found if c.name == name)


def _status(client: ThunderbirdClient, calendar_id: str, title: str, address: str) -> str | None:
    return client.tb.js(_STATUS, calendar_id, title, address)  # type: ignore[no-any-return]


@pytest.mark.timeout(300)
def test_thunderbird_invites_accepts_and_sees_the_answer(
    two: Two,  # noqa: F811
    client: ThunderbirdClient,
) -> None:
    a_cal = _subscribe(client, two, A, two.a_auth)
    b_cal = _subscribe(client, two, two.b, two.b_auth)
    title = f"Thunderbird meeting {uuid.uuid4().hex[:8]}"
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=9)).strftime("%Y%m%dT100000Z")
    client.tb.js(
        """
const [id, title, start, organizer, attendee] = args;
const { CalEvent } = ChromeUtils.importESModule("resource:///modules/CalEvent.sys.mjs");
const { CalAttendee } = ChromeUtils.importESModule("resource:///modules/CalAttendee.sys.mjs");
const c = cal.manager.getCalendarById(id);
const event = new CalEvent();
event.title = title;
event.startDate = cal.createDateTime(start);
const end = event.startDate.clone();
end.hour += 1;
event.endDate = end;
const org = new CalAttendee();
org.id = organizer;
org.isOrganizer = true;
event.organizer = org;
const self = new CalAttendee();
self.id = organizer;
self.participationStatus = "ACCEPTED";
self.role = "CHAIR";
event.addAttendee(self);
const guest = new CalAttendee();
guest.id = attendee;
guest.participationStatus = "NEEDS-ACTION";
guest.role = "REQ-PARTICIPANT";
guest.rsvp = "TRUE";
event.addAttendee(guest);
await c.addItem(event);
""",
        a_cal,
        title,
        start,
        two.a_address,
        two.b_address,
    )
    sent = two.messages(to=two.b_address.removeprefix("mailto:"), method="REQUEST")
    assert any(m["subject"] == title for m in sent), sent

    # B's Thunderbird shows the invitation, unanswered; B accepts it
    wait_for(lambda: _status(client, b_cal, title, two.b_address) == "NEEDS-ACTION", 60, 1.0)
    client.tb.js(
        """
const [id, title, address] = args;
const c = cal.manager.getCalendarById(id);
const items = await c.getItemsAsArray(
  Ci.calICalendar.ITEM_FILTER_TYPE_EVENT | Ci.calICalendar.ITEM_FILTER_ALL_ITEMS, 0, null, null);
const old = items.find(i => i.title == title);
const changed = old.clone();
const me = changed.getAttendees().find(a => a.id.toLowerCase() == address.toLowerCase());
const answered = me.clone();
answered.participationStatus = "ACCEPTED";
changed.removeAttendee(me);
changed.addAttendee(answered);
await c.modifyItem(changed, old);
""",
        b_cal,
        title,
        two.b_address,
    )
    replies = two.messages(method="REPLY", to=two.a_address.removeprefix("mailto:"))
    assert any(m["subject"] == title and m["partstat"] == "accepted" for m in replies), replies

    # A's Thunderbird shows B's answer, and A still among the attendees
    wait_for(lambda: _status(client, a_cal, title, two.b_address) == "ACCEPTED", 60, 1.0)
    assert _status(client, a_cal, title, two.a_address) == "ACCEPTED"
