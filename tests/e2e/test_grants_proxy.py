"""End to end for bridge-level grants and calendar-proxy (issue 15 points 3 and 4), on the
shared `davbridge demo`: the operator adds user B (their own Microsoft 365 mailbox with a
private event) and grants the demo user A access with `davbridge grant add`; A's clients see
B's calendar labelled with B, private events as busy blocks unless the grant includes private
access, and A's writes land in B's mailbox. Apple clients find the relation through the
calendar-proxy principals and properties: the requests replayed here are those of
CalendarServer's caldav-proxy draft (github.com/apple/ccs-calendarserver,
doc/Extensions/caldav-proxy.xml) and the expand-property REPORT Apple Calendar sends for its
Delegation pane. B revokes the grant on B's portal page and A loses the calendar at once."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

import pytest

from tests.e2e.conftest import GraphAdmin, RunningDemo, davbridge_command, wait_for
from tests.e2e.portal_client import (
    PortalUser,
    add_bridge_user,
    collections,
    connect_oauth,
    ctl,
    dav,
    new_app_password,
    sign_in,
)

A = "demo"
CS = "{http://calendarserver.org/ns/}"
D = "{DAV:}"
XML = {"Content-Type": "application/xml; charset=utf-8"}


@dataclass
class Owner:
    name: str
    email: str
    auth: tuple[str, str]
    portal: PortalUser
    display: str  # how the owner's Microsoft 365 account names them


def cli(demo: RunningDemo, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAVBRIDGE_")}
    done = subprocess.run(
        [*davbridge_command(), *args, "--config", str(demo.data_dir / "davbridge.toml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def owner(demo: RunningDemo, graph: GraphAdmin) -> Iterator[Owner]:
    name = f"own{uuid.uuid4().hex[:6]}"
    email, password = f"{name}@contoso.example", f"Pw-{uuid.uuid4().hex}"
    portal_password = f"portal-{uuid.uuid4().hex}"
    add_bridge_user(demo, name, email, portal_password)
    portal = sign_in(demo, name, portal_password)
    auth = (name, new_app_password(portal, "Phone"))
    display = f"Megan {name.title()}"
    s = demo.info["sandbox"]
    body = {"upn": email, "display_name": display, "password": password}
    ctl(s["control_url"], s["ca_file"], "POST", "/users", json=body)
    start = dt.datetime.now(dt.UTC).replace(hour=14, minute=0, second=0, microsecond=0)
    for subject, sensitivity, day in (
        ("Team sync", "normal", 1),
        ("Therapy session", "private", 2),
    ):
        when = start + dt.timedelta(days=day)
        graph.json(
            "POST",
            f"{graph.base}/users/{email}/calendar/events",
            json={
                "subject": subject,
                "sensitivity": sensitivity,
                "start": {"dateTime": f"{when:%Y-%m-%dT%H:%M:%S}", "timeZone": "UTC"},
                "end": {
                    "dateTime": f"{when + dt.timedelta(hours=1):%Y-%m-%dT%H:%M:%S}",
                    "timeZone": "UTC",
                },
                "location": {"displayName": "Dr. Lee's practice" if day == 2 else "Room 1"},
                "body": {
                    "contentType": "text",
                    "content": "https://zoom.us/j/81234567890" if day == 2 else "",
                },
            },
        )
    connect_oauth(portal, demo, "microsoft365", email, password)
    wait_for(lambda: collections(demo, name, auth))
    yield Owner(name, email, auth, portal, display)


def granted_copy(demo: RunningDemo, owner: Owner) -> str | None:
    for c in collections(demo, A, demo.auth):
        if f"({owner.display})" in c.display_name:  # labelled with the owner's name
            return c.path
    return None


def calendar_texts(demo: RunningDemo, path: str, auth: tuple[str, str]) -> str:
    body = (
        '<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop>'
        '<C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>'
    )
    r = dav(demo, "REPORT", path, auth, body, {"Depth": "1", **XML})
    assert r.status_code == 207, r.text[:500]
    return r.text


def text_with(demo: RunningDemo, path: str, needle: str) -> str | None:
    text = calendar_texts(demo, path, demo.auth)
    return text if needle in text else None


def test_grant_without_private_access(demo: RunningDemo, graph: GraphAdmin, owner: Owner) -> None:
    out = cli(demo, "grant", "add", owner.name, A, "--write")
    assert "may read and write" in out and "without private" in out
    path = wait_for(lambda: granted_copy(demo, owner))
    text = wait_for(lambda: text_with(demo, path, "Team sync"))
    assert "SUMMARY:Private" in text and "CLASS:PRIVATE" in text
    for secret in ("Therapy", "Lee", "zoom.us/j/81234567890"):
        assert secret not in text
    # A writes into B's calendar: the event is B's at the provider
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=3)
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:grant-{uuid.uuid4()}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{start + dt.timedelta(hours=1):%Y%m%dT%H%M%SZ}"
        "\r\nSUMMARY:Set up by the assistant\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    r = dav(demo, "PUT", f"{path}assistant.ics", demo.auth, ics, {"Content-Type": "text/calendar"})
    assert r.status_code in (201, 204), r.text
    rows = graph.json("GET", f"{graph.base}/users/{owner.email}/calendar/events")["value"]
    assert any(row["subject"] == "Set up by the assistant" for row in rows)
    # the calendar itself stays the owner's: no deleting or renaming it through the grant
    assert dav(demo, "DELETE", path, demo.auth).status_code == 403
    rename = (
        '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
        "<D:displayname>Mine now</D:displayname></D:prop></D:set></D:propertyupdate>"
    )
    r = dav(demo, "PROPPATCH", path, demo.auth, rename, XML)
    assert r.status_code == 403 or (r.status_code == 207 and "403" in r.text)
    names = [c.display_name for c in collections(demo, A, demo.auth) if c.path == path]
    assert names and "Mine now" not in names[0]


def test_calendar_proxy_for_apple_clients(demo: RunningDemo, owner: Owner) -> None:
    # caldav-proxy "Feature Discovery"
    r = dav(demo, "OPTIONS", f"/{A}/", demo.auth)
    assert "calendar-proxy" in r.headers.get("DAV", "")
    # the delegate's principal: calendar-proxy-write-for and group-membership
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><A:propfind xmlns:A="DAV:" '
        'xmlns:B="http://calendarserver.org/ns/"><A:prop><A:displayname/>'
        "<B:calendar-proxy-read-for/><B:calendar-proxy-write-for/><A:group-membership/>"
        "</A:prop></A:propfind>"
    )
    r = dav(demo, "PROPFIND", f"/{A}/", demo.auth, body, {"Depth": "0", **XML})
    assert r.status_code == 207
    tree = ElementTree.fromstring(r.content)
    write_for = tree.find(f".//{CS}calendar-proxy-write-for")
    assert write_for is not None
    assert [h.text for h in write_for.iter(f"{D}href")] == [f"/{owner.name}/"]
    membership = tree.find(f".//{D}group-membership")
    assert membership is not None
    assert f"/{owner.name}/calendar-proxy-write/" in [h.text for h in membership.iter(f"{D}href")]
    # what Apple Calendar's Delegation pane sends: expand-property on the principal
    expand = (
        '<?xml version="1.0" encoding="UTF-8"?><A:expand-property xmlns:A="DAV:">'
        '<A:property name="calendar-proxy-write-for" namespace="http://calendarserver.org/ns/">'
        '<A:property name="displayname" namespace="DAV:"/>'
        '<A:property name="calendar-user-address-set" namespace="urn:ietf:params:xml:ns:caldav"/>'
        '<A:property name="email-address-set" namespace="http://calendarserver.org/ns/"/>'
        "</A:property>"
        '<A:property name="calendar-proxy-read-for" namespace="http://calendarserver.org/ns/">'
        '<A:property name="displayname" namespace="DAV:"/></A:property></A:expand-property>'
    )
    r = dav(demo, "REPORT", f"/{A}/", demo.auth, expand, {"Depth": "0", **XML})
    assert r.status_code == 207
    tree = ElementTree.fromstring(r.content)
    write_for = tree.find(f".//{CS}calendar-proxy-write-for")
    assert write_for is not None
    inner = write_for.find(f"{D}response")
    assert inner is not None and inner.findtext(f"{D}href") == f"/{owner.name}/"
    assert inner.findtext(f".//{D}displayname") == owner.name
    assert f"mailto:{owner.email}" in [h.text for h in inner.iter(f"{D}href")]
    # the owner's proxy groups: children of the principal, members listed
    listing = (
        '<?xml version="1.0"?><A:propfind xmlns:A="DAV:"><A:prop><A:resourcetype/>'
        "<A:group-member-set/></A:prop></A:propfind>"
    )
    r = dav(demo, "PROPFIND", f"/{owner.name}/", owner.auth, listing, {"Depth": "1", **XML})
    assert r.status_code == 207
    tree = ElementTree.fromstring(r.content)
    groups = {
        resp.findtext(f"{D}href"): resp
        for resp in tree.iter(f"{D}response")
        if resp.find(f".//{D}resourcetype/{D}principal") is not None
        and resp.find(f".//{D}resourcetype/{CS}calendar-proxy-write") is not None
    }
    group = groups[f"/{owner.name}/calendar-proxy-write/"]
    assert [h.text for h in group.iter(f"{D}href")][1:] == [f"/{A}/"]
    # the group principal itself; nobody else reads it
    r = dav(
        demo,
        "PROPFIND",
        f"/{owner.name}/calendar-proxy-write/",
        owner.auth,
        listing,
        {"Depth": "0", **XML},
    )
    assert r.status_code == 207
    members = ElementTree.fromstring(r.content).find(f".//{D}group-member-set")
    assert members is not None and [h.text for h in members] == [f"/{A}/"]
    r = dav(
        demo,
        "PROPFIND",
        f"/{owner.name}/calendar-proxy-write/",
        demo.auth,
        listing,
        {"Depth": "0", **XML},
    )
    assert r.status_code in (403, 404)
    r = dav(
        demo,
        "PROPPATCH",
        f"/{owner.name}/calendar-proxy-read/",
        owner.auth,
        '<?xml version="1.0"?><A:propertyupdate xmlns:A="DAV:"><A:set><A:prop>'
        "<A:group-member-set><A:href>/x/</A:href></A:group-member-set></A:prop></A:set>"
        "</A:propertyupdate>",
        XML,
    )
    assert r.status_code == 403 and "administrator" in r.text


def event_ics(summary: str, days: int) -> str:
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=days)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:proxy-{uuid.uuid4()}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{start + dt.timedelta(hours=1):%Y%m%dT%H%M%SZ}"
        f"\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def owners_book(demo: RunningDemo, owner: Owner) -> str:
    books = [c.path for c in collections(demo, owner.name, owner.auth) if c.kind == "addressbook"]
    assert books, "the owner's Microsoft 365 contacts"
    return books[0]


def test_delegate_opens_the_owners_home(demo: RunningDemo, graph: GraphAdmin, owner: Owner) -> None:
    """What Apple Calendar sends once "Show" is ticked for the owner in the Delegation pane
    (caldav-proxy draft: a calendar-proxy-write member reads and writes the owner's calendars):
    the owner's principal, the calendar home at Depth 1, the calendar's listing, a multiget and
    a PUT. The delegate sees exactly the granted calendars, redacted (no private access)."""
    home = f"/{owner.name}/"
    principal = (
        '<?xml version="1.0" encoding="UTF-8"?><A:propfind xmlns:A="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:caldav"><A:prop><A:displayname/><A:resourcetype/>'
        "<A:principal-URL/><C:calendar-home-set/><C:calendar-user-address-set/>"
        "</A:prop></A:propfind>"
    )
    r = dav(demo, "PROPFIND", home, demo.auth, principal, {"Depth": "0", **XML})
    assert r.status_code == 207, r.text[:500]
    tree = ElementTree.fromstring(r.content)
    homes = tree.find(".//{urn:ietf:params:xml:ns:caldav}calendar-home-set")
    assert homes is not None and [h.text for h in homes.iter(f"{D}href")] == [home]
    # the home at Depth 1: the granted calendars only, writable (a write grant)
    seen = collections(demo, owner.name, demo.auth)
    own = collections(demo, owner.name, owner.auth)
    copies = [c for c in collections(demo, A, demo.auth) if f"({owner.display})" in c.display_name]
    assert seen and all(c.kind == "calendar" and c.writable for c in seen)
    assert sorted(c.display_name for c in seen) == sorted(c.display_name for c in copies)
    assert not {c.path for c in seen} & {c.path for c in own}  # never the owner's own mirror
    calendar = seen[0].path
    assert calendar.startswith(home)
    listing = (
        '<?xml version="1.0"?><A:propfind xmlns:A="DAV:"><A:prop><A:getetag/>'
        "<A:getcontenttype/></A:prop></A:propfind>"
    )
    r = dav(demo, "PROPFIND", calendar, demo.auth, listing, {"Depth": "1", **XML})
    assert r.status_code == 207, r.text[:500]
    hrefs = [
        h.text
        for h in ElementTree.fromstring(r.content).iter(f"{D}href")
        if h.text and h.text.endswith(".ics")
    ]
    assert hrefs and all(h.startswith(calendar) for h in hrefs)
    multiget = (
        '<?xml version="1.0"?><C:calendar-multiget xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/>'
        "</D:prop>" + "".join(f"<D:href>{h}</D:href>" for h in hrefs) + "</C:calendar-multiget>"
    )
    r = dav(demo, "REPORT", calendar, demo.auth, multiget, {"Depth": "1", **XML})
    assert r.status_code == 207 and "Team sync" in r.text, r.text[:500]
    assert "SUMMARY:Private" in r.text
    for secret in ("Therapy", "Lee", "zoom.us/j/81234567890"):
        assert secret not in r.text
    # a write through the owner's home lands in the owner's mailbox
    r = dav(
        demo,
        "PUT",
        f"{calendar}from-apple.ics",
        demo.auth,
        event_ics("Booked from the owner's home", 4),
        {"Content-Type": "text/calendar"},
    )
    assert r.status_code in (201, 204), r.text
    rows = graph.json("GET", f"{graph.base}/users/{owner.email}/calendar/events")["value"]
    assert any(row["subject"] == "Booked from the owner's home" for row in rows)
    # the calendar stays the owner's: no renaming it through the owner's home either
    rename = (
        '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
        "<D:displayname>Mine now</D:displayname></D:prop></D:set></D:propertyupdate>"
    )
    r = dav(demo, "PROPPATCH", calendar, demo.auth, rename, XML)
    assert r.status_code == 207 and "403" in r.text, (r.status_code, r.text[:300])
    # everything else of the owner's stays closed: the address book, the owner's own calendars
    book = owners_book(demo, owner)
    for path in (book, *(c.path for c in own if c.kind == "calendar")):
        r = dav(demo, "PROPFIND", path, demo.auth, listing, {"Depth": "1", **XML})
        assert r.status_code == 403, (path, r.status_code)
    r = dav(demo, "PUT", f"{book}x.vcf", demo.auth, "BEGIN:VCARD\r\nEND:VCARD\r\n")
    assert r.status_code == 403
    # someone without a grant sees nothing of the home
    r = dav(demo, "PROPFIND", f"/{A}/", owner.auth, principal, {"Depth": "0", **XML})
    assert r.status_code == 403


def test_private_access_then_revoked_by_owner(demo: RunningDemo, owner: Owner) -> None:
    # this time the administrator uses the portal (the demo user is one)
    admin = sign_in(demo, A, demo.info["portal_password"])
    assert admin.get("/admin/grants").status_code == 200
    r = admin.post("/admin/grants", {"owner": owner.name, "grantee": A, "private": "1"})
    rows = r.text[r.text.find("<tbody>") :]
    assert r.status_code == 200 and "details" in rows and "read and write" not in rows
    path = wait_for(lambda: granted_copy(demo, owner))
    text = wait_for(lambda: text_with(demo, path, "Therapy"))
    assert "Lee" in text
    # in the owner's home too; a read grant refuses writes there with the reason
    seen = collections(demo, owner.name, demo.auth)
    assert seen and not any(c.writable for c in seen)
    assert "Therapy" in calendar_texts(demo, seen[0].path, demo.auth)
    r = dav(
        demo,
        "PUT",
        f"{seen[0].path}from-apple-2.ics",
        demo.auth,
        event_ics("Not allowed", 5),
        {"Content-Type": "text/calendar"},
    )
    assert r.status_code == 403, r.text
    # B sees the grant on B's page and revokes it; A loses the calendar at once
    assert owner.portal.get("/admin/grants").status_code == 403  # not an administrator
    page = owner.portal.get("/grants")
    assert page.status_code == 200 and A in page.text
    grant_id = page.text.split('action="/grants/')[1].split("/revoke")[0]
    # the grantee cannot revoke on the owner's behalf through the owner's page route
    assert admin.post(f"/grants/{grant_id}/revoke", {}).status_code == 403
    r = owner.portal.post(f"/grants/{grant_id}/revoke", {})
    assert r.status_code == 200
    assert granted_copy(demo, owner) is None
    r = dav(demo, "REPORT", path, demo.auth, "<x/>", {"Depth": "1", **XML})
    assert r.status_code in (403, 404)
    r = dav(demo, "PROPFIND", f"/{owner.name}/", demo.auth, None, {"Depth": "1"})
    assert r.status_code == 403
    assert f"access to {owner.name}'s calendars" not in admin.get("/admin/grants").text
