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
    add_provider_account,
    collections,
    connect_oauth,
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
    add_provider_account(demo, "microsoft365", email, password)
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
    yield Owner(name, email, auth, portal)


def granted_copy(demo: RunningDemo, owner: Owner) -> str | None:
    for c in collections(demo, A, demo.auth):
        if f"({owner.email})" in c.display_name:
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
    # B sees the grant on B's page and revokes it; A loses the calendar at once
    page = owner.portal.get("/grants")
    assert page.status_code == 200 and A in page.text
    grant_id = page.text.split('action="/grants/')[1].split("/revoke")[0]
    r = owner.portal.post(f"/grants/{grant_id}/revoke", {})
    assert r.status_code == 200
    assert granted_copy(demo, owner) is None
    r = dav(demo, "REPORT", path, demo.auth, "<x/>", {"Depth": "1", **XML})
    assert r.status_code in (403, 404)
    assert f"access to {owner.name}'s calendars" not in admin.get("/admin/grants").text
