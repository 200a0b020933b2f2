"""Thunderbird (Debian's package, headless, driven over Marionette) as a davbridge user's
calendar and address book client, against `davbridge demo` (issue 10, point 7):

- given only the server URL, user name and app password, Thunderbird's network-calendar and
  CardDAV discovery finds every calendar and every address book the server lists;
- a Zoom meeting created at each provider with the invitation only in its body shows its join
  link in Thunderbird's Location and Related link (URL);
- changing that event's title and time in Thunderbird changes exactly those fields at the
  provider, nothing else;
- a contact added in Thunderbird reaches the provider, and deleting it removes it there.
"""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from sandbox.seed_invites import zoom_text, zoom_url
from tests.e2e.conftest import RunningDemo, demo_of_its_own, wait_for
from tests.e2e.provider_sides import LABELS, ProviderSide
from tests.e2e.thunderbird import start_thunderbird
from tests.e2e.thunderbird_client import Collection, ThunderbirdClient


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    """This module's own demo (conftest.demo_of_its_own): the seeded data only."""
    yield from demo_of_its_own(tmp_path_factory, "thunderbird-demo")


DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
CARDDAV = "{urn:ietf:params:xml:ns:carddav}"
PACIFIC = ZoneInfo("America/Los_Angeles")


@pytest.fixture(scope="module")
def sides(demo: RunningDemo) -> dict[str, ProviderSide]:
    return {label: ProviderSide(label, demo.info) for label in LABELS}


Meeting = tuple[str, str]  # (title, join URL)


@pytest.fixture(scope="module")
def meetings(demo: RunningDemo, sides: dict[str, ProviderSide]) -> dict[tuple[str, str], Meeting]:
    """Per (service, purpose): a Zoom meeting made at the provider with an empty location and
    the Zoom invitation text as its body, before Thunderbird first syncs; one to look at
    ("show") and one to edit ("edit"), so the tests do not depend on their order. Returned
    once the bridge serves each of them: Thunderbird syncs when it subscribes and then only
    every 30 minutes, so a meeting the bridge had not pulled yet would stay unseen."""
    made: dict[tuple[str, str], Meeting] = {}
    day = dt.date.today() + dt.timedelta(days=4)
    start = dt.datetime.combine(day, dt.time(10, 0), PACIFIC)
    n = 0
    for label, side in sides.items():
        for purpose in ("show", "edit"):
            meeting_id = f"8501234{n:04d}"
            url = zoom_url("us02web.zoom.us", meeting_id, f"VGh1bmRlcmJpcmQ{n}.1")
            title = f"Thunderbird {purpose} {label} {uuid.uuid4().hex[:6]}"
            text = zoom_text("Megan Bowen", url, meeting_id, "246810")
            side.create_meeting(title, start, 45, text)
            made[label, purpose] = (title, url)
            n += 1
    listing = server_listing(demo, "calendar")
    for (label, _purpose), (title, _url) in made.items():
        url = listing[f"Calendar — {label}"]
        wait_for(lambda url=url, title=title: served_titled(demo, url, title), timeout=60)
    return made


def served_titled(demo: RunningDemo, calendar_url: str, title: str) -> bool:
    """Whether the bridge serves an event with this SUMMARY (a calendar-query, RFC 4791 §7.8)."""
    query = (
        '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        "<D:prop><D:getetag/></D:prop><C:filter>"
        '<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        f'<C:prop-filter name="SUMMARY"><C:text-match>{title}</C:text-match></C:prop-filter>'
        "</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
    )
    r = requests.request(
        "REPORT",
        calendar_url,
        auth=demo.auth,
        headers={"Depth": "1", "Content-Type": "application/xml"},
        data=query,
        timeout=30,
    )
    assert r.status_code == 207, r.text
    return any(True for _ in ET.fromstring(r.content).iter(DAV + "response"))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThunderbirdClient]:
    tb = start_thunderbird(Path(tmp_path_factory.mktemp("thunderbird")) / "profile")
    try:
        yield ThunderbirdClient(tb)
    finally:
        tb.stop()


@pytest.fixture(scope="module")
def calendars(
    demo: RunningDemo, client: ThunderbirdClient, meetings: dict[tuple[str, str], Meeting]
) -> list[Collection]:
    user, password = demo.auth
    # subscribes to the main calendars only: the others would just lengthen the first sync
    return client.discover_calendars(
        demo.url, user, password, subscribe={f"Calendar — {label}" for label in LABELS}
    )


@pytest.fixture(scope="module")
def address_books(demo: RunningDemo, client: ThunderbirdClient) -> list[Collection]:
    user, password = demo.auth
    return client.discover_address_books(demo.url, user, password)


def server_listing(demo: RunningDemo, kind: str) -> dict[str, str]:
    """Display name → absolute URL of the user's collections of one kind ("calendar" or
    "addressbook"), from a Depth 1 PROPFIND of the user's home."""
    r = requests.request(
        "PROPFIND",
        f"{demo.url.rstrip('/')}/{demo.auth[0]}/",
        auth=demo.auth,
        headers={"Depth": "1"},
        data='<propfind xmlns="DAV:"><prop><resourcetype/><displayname/></prop></propfind>',
        timeout=30,
    )
    assert r.status_code == 207, r.text
    tag = CALDAV + "calendar" if kind == "calendar" else CARDDAV + "addressbook"
    found: dict[str, str] = {}
    for resp in ET.fromstring(r.content).iter(DAV + "response"):
        if resp.find(f".//{DAV}resourcetype/{tag}") is not None:
            href = resp.findtext(DAV + "href") or ""
            found[resp.findtext(f".//{DAV}displayname") or ""] = demo.url.rstrip("/") + href
    return found


def server_read_only(demo: RunningDemo) -> set[str]:
    """Display names of the calendars whose current-user-privilege-set (RFC 3744 §5.4) grants
    no DAV:write: the shared ones and those delegated to the user read-only."""
    r = requests.request(
        "PROPFIND",
        f"{demo.url.rstrip('/')}/{demo.auth[0]}/",
        auth=demo.auth,
        headers={"Depth": "1"},
        data='<propfind xmlns="DAV:"><prop><resourcetype/><displayname/>'
        "<current-user-privilege-set/></prop></propfind>",
        timeout=30,
    )
    assert r.status_code == 207, r.text
    names: set[str] = set()
    for resp in ET.fromstring(r.content).iter(DAV + "response"):
        if resp.find(f".//{DAV}resourcetype/{CALDAV}calendar") is None:
            continue
        if resp.find(f".//{DAV}current-user-privilege-set//{DAV}write") is None:
            names.add(resp.findtext(f".//{DAV}displayname") or "")
    return names


def main_calendar(calendars: list[Collection], label: str) -> Collection:
    return next(c for c in calendars if c.name == f"Calendar — {label}")


def test_discovery_from_the_server_url_alone_finds_every_calendar_and_address_book(
    demo: RunningDemo, calendars: list[Collection], address_books: list[Collection]
) -> None:
    expected_calendars = server_listing(demo, "calendar")
    expected_books = server_listing(demo, "addressbook")
    for label in LABELS:  # the listing holds every connected service's collections
        assert any(n.endswith(f" — {label}") for n in expected_calendars), label
        assert any(n.endswith(f" — {label}") for n in expected_books), label
    assert {c.name: c.url for c in calendars} == expected_calendars
    assert len(calendars) == len(expected_calendars)
    assert {b.name: b.url for b in address_books} == expected_books
    assert len(address_books) == len(expected_books)
    # the shared calendars and those delegated read-only are offered read-only, the user's
    # own ones (and those delegated with write access) writable
    read_only = server_read_only(demo)
    assert {n for n in expected_calendars if n.startswith("Team Holidays")} <= read_only
    assert not any(n.startswith("Calendar — ") for n in read_only)
    assert {c.name for c in calendars if c.read_only} == read_only


@pytest.mark.parametrize("label", LABELS)
def test_zoom_event_shows_its_join_link_as_location_and_related_link(
    client: ThunderbirdClient,
    calendars: list[Collection],
    meetings: dict[tuple[str, str], Meeting],
    label: str,
) -> None:
    title, join_url = meetings[label, "show"]
    calendar = main_calendar(calendars, label)
    (event,) = wait_for(lambda: client.events(calendar.id, title), timeout=60)
    assert event.location == join_url
    assert event.url == join_url


@pytest.mark.parametrize("label", LABELS)
def test_title_and_time_edit_changes_exactly_those_fields_at_the_provider(
    client: ThunderbirdClient,
    calendars: list[Collection],
    meetings: dict[tuple[str, str], Meeting],
    sides: dict[str, ProviderSide],
    label: str,
) -> None:
    side = sides[label]
    title, _ = meetings[label, "edit"]
    calendar = main_calendar(calendars, label)
    (event,) = wait_for(lambda: client.events(calendar.id, title), timeout=60)
    (before,) = side.events(title)
    new_title = title + " (moved)"
    shift = dt.timedelta(days=1, hours=2)

    client.retitle_and_move(calendar.id, event.id, new_title, shift)

    (after,) = wait_for(lambda: side.events(new_title), timeout=30)
    assert side.events(title) == []
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    # a moved meeting's sequence number goes up (RFC 5545 3.8.7.4); the provider keeps it
    sequence = side.sequence_key()
    assert changed - {sequence} - side.overlay_keys() == {side.title_key(), "start", "end"}, {
        k: (before.get(k), after.get(k)) for k in changed
    }
    if sequence in changed:
        assert after[sequence] > (before[sequence] or 0)
    for key in ("start", "end"):
        assert side.instant(after, key) == side.instant(before, key) + shift
    (seen,) = client.events(calendar.id, new_title)
    assert (seen.start, seen.end) == (event.start + shift, event.end + shift)


@pytest.mark.parametrize("label", LABELS)
def test_contact_added_and_deleted_in_thunderbird_reaches_the_provider(
    client: ThunderbirdClient,
    address_books: list[Collection],
    sides: dict[str, ProviderSide],
    label: str,
) -> None:
    side = sides[label]
    name = "My Contacts" if label == "Google" else "Contacts"
    book = next(b for b in address_books if b.name == f"{name} — {label}")
    last = f"Thunderbird{uuid.uuid4().hex[:6]}"
    uid = client.add_contact(book.id, "Robin", last, f"robin.{last}@example.com", "+49 30 5550142")

    wait_for(lambda: side.contacts_named(f"Robin {last}"), timeout=30)
    assert len(side.contacts_named(f"Robin {last}")) == 1
    # Thunderbird deletes at the server only once it holds the server's copy (_href)
    wait_for(lambda: client.contact_href(book.id, uid), timeout=30)

    client.delete_contact(book.id, uid)
    wait_for(lambda: not side.contacts_named(f"Robin {last}"), timeout=30)
