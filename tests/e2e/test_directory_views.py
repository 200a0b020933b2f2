"""End to end against a `davbridge demo` with the organisation directory switched on (K5) and
the meeting views (C4), as clients see them: plain CardDAV REPORTs searching the directory by
name, email and number, caller lookup answering the user's own contact before the directory,
the administrator's switch, and the "Zoom meetings" / "Hosted by me" calendars with python
`caldav` and raw sync-collection REPORTs (contents, source ETags and hrefs, their own sync
tokens, 403 naming the source calendar, the user's portal switches)."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import caldav
import icalendar
import pytest
import requests

from tests.e2e.conftest import (
    GraphAdmin,
    RunningDemo,
    start_demo,
    stop_demo,
    wait_for,
)
from tests.e2e.portal_client import PortalUser, collections, dav, sign_in

NS = {"d": "DAV:", "card": "urn:ietf:params:xml:ns:carddav", "cal": "urn:ietf:params:xml:ns:caldav"}
SERVICES = ("Microsoft 365", "Google", "Exchange")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    running = start_demo(tmp_path_factory.mktemp("directory-demo"), 0, directory=True)
    yield running
    assert stop_demo(running) == 0, running.log.read_text()[-3000:]


@pytest.fixture(scope="module")
def user(demo: RunningDemo) -> str:
    return str(demo.auth[0])


@pytest.fixture(scope="module")
def portal(demo: RunningDemo, user: str) -> PortalUser:
    return sign_in(demo, user, str(demo.info["portal_password"]))


def _paths(demo: RunningDemo, user: str) -> dict[str, Any]:
    return {c.display_name: c for c in collections(demo, user, demo.auth)}


def _graph_people(demo: RunningDemo) -> list[dict[str, Any]]:
    s = demo.info["sandbox"]
    r = requests.get(s["control_url"] + "/directory", verify=s["ca_file"], timeout=30)
    assert r.status_code == 200, r.text
    return list(r.json()["people"])


def _report(
    demo: RunningDemo, path: str, prop: str, match: str, text: str, limit: str = ""
) -> ET.Element:
    """addressbook-query (RFC 6352 §8.6) with one prop-filter text-match."""
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
        "<D:prop><D:getetag/><C:address-data/></D:prop>"
        f'<C:filter><C:prop-filter name="{prop}"><C:text-match collation="i;unicode-casemap" '
        f'match-type="{match}">{text}</C:text-match></C:prop-filter></C:filter>'
        f"{limit}</C:addressbook-query>"
    )
    r = dav(demo, "REPORT", path, demo.auth, body, {"Depth": "1", "Content-Type": "text/xml"})
    assert r.status_code == 207, (r.status_code, r.text[:1000])
    return ET.fromstring(r.content)


def _query(demo: RunningDemo, path: str, prop: str, match: str, text: str) -> list[str]:
    root = _report(demo, path, prop, match, text)
    return [e.text or "" for e in root.iter("{urn:ietf:params:xml:ns:carddav}address-data")]


# -- K5: the directory -------------------------------------------------------------------------
def test_each_service_has_a_read_only_directory_of_500_people(demo: RunningDemo, user: str) -> None:
    found = _paths(demo, user)
    for service in SERVICES:
        book = found[f"Directory — {service}"]
        assert book.kind == "addressbook" and not book.writable
        r = dav(demo, "PROPFIND", urllib.parse.quote(book.path), demo.auth, None, {"Depth": "1"})
        assert r.status_code == 207
        assert r.text.count(".vcf<") >= 500, service


def test_directory_search_by_name_email_and_number(demo: RunningDemo, user: str) -> None:
    book = urllib.parse.quote(_paths(demo, user)["Directory — Microsoft 365"].path)
    person = next(p for p in _graph_people(demo) if p["office"] and p["title"])
    by_name = _query(demo, book, "FN", "contains", person["family"])
    assert any(person["email"] in card for card in by_name)
    assert all(person["family"].lower() in card.lower() for card in by_name)
    by_email = _query(demo, book, "EMAIL", "equals", person["email"])
    assert len(by_email) == 1 and f"FN:{person['displayName']}" in by_email[0]
    by_number = _query(demo, book, "TEL", "equals", person["office"])
    assert [c for c in by_number if person["email"] in c], person["office"]
    # answered from the name index: it honours CR:limit and says the answer was cut (507),
    # where Radicale's own scan ignores the limit
    limited = _report(
        demo, book, "EMAIL", "contains", "contoso", "<C:limit><C:nresults>2</C:nresults></C:limit>"
    )
    statuses = [r.findtext("d:status", "", NS) for r in limited.findall("d:response", NS)]
    assert len(statuses) == 3 and "507" in statuses[-1], statuses


def test_lookup_answers_own_contact_before_the_directory(demo: RunningDemo, user: str) -> None:
    found = _paths(demo, user)
    person = next(p for p in _graph_people(demo) if p["office"].startswith("+1 "))
    own = urllib.parse.quote(found["Contacts — Microsoft 365"].path)
    uid = f"own-{uuid.uuid4()}"
    card = (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Own Caller\r\nN:Caller;Own;;;\r\n"
        f"TEL;TYPE=WORK:{person['office']}\r\nEND:VCARD\r\n"
    )
    put = dav(demo, "PUT", f"{own}{uid}.vcf", demo.auth, card, {"Content-Type": "text/vcard"})
    assert put.status_code in (201, 204), put.text
    r = dav(demo, "GET", "/lookup?number=" + urllib.parse.quote(person["office"]), demo.auth)
    assert r.status_code == 200, r.text
    matches = r.json()["matches"]
    assert matches[0]["name"] == "Own Caller"
    assert any(
        m["name"] == person["displayName"] and m["address_book"] == "Directory — Microsoft 365"
        for m in matches[1:]
    )
    text = dav(demo, "GET", "/phonebook/yealink.xml", demo.auth).text
    assert "Own Caller" in text and person["displayName"] in text
    assert text.index("Own Caller") < text.index(person["displayName"])


def test_directory_cannot_be_written(demo: RunningDemo, user: str) -> None:
    book = urllib.parse.quote(_paths(demo, user)["Directory — Google"].path)
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:x1\r\nFN:Intruder\r\nEND:VCARD\r\n"
    r = dav(demo, "PUT", f"{book}x1.vcf", demo.auth, card, {"Content-Type": "text/vcard"})
    assert r.status_code == 403 and "directory" in r.text


def _policy_form(directory: bool) -> dict[str, str]:
    form = {
        "enabled": "1",
        "default_service": "microsoft365",
        "setup": "user",
        "allowed_domains": "",
        "allow_write_calendars": "1",
        "allow_contacts": "1",
        "connect_prompt": "first",
    }
    return {**form, "directory": "1"} if directory else form


def test_the_administrator_switches_the_directory(
    demo: RunningDemo, user: str, portal: PortalUser
) -> None:
    portal.get("/admin")
    r = portal.post("/admin/settings", _policy_form(False))
    assert r.status_code == 200, r.text[:2000]
    assert not [n for n in _paths(demo, user) if n.startswith("Directory")]
    portal.get("/admin")
    page = portal.post("/admin/settings", _policy_form(True))
    assert page.status_code == 200
    wait_for(lambda: len([n for n in _paths(demo, user) if n.startswith("Directory")]) == 3, 60)


# -- C4: meeting views -------------------------------------------------------------------------
def _switch(portal: PortalUser, view: str, on: bool) -> None:
    portal.get("/")
    r = portal.post("/settings/meeting-views", {"view": view, "on": "1" if on else "0"})
    assert r.status_code == 200 and ("on" if on else "off") in r.text, r.text[:2000]


def _sync(demo: RunningDemo, path: str, token: str) -> tuple[str, list[str], list[str]]:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:">'
        f"<d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>"
        "<d:prop><d:getetag/></d:prop></d:sync-collection>"
    )
    r = dav(demo, "REPORT", path, demo.auth, body, {"Content-Type": "text/xml"})
    assert r.status_code == 207, (r.status_code, r.text[:1000])
    root = ET.fromstring(r.content)
    live, gone = [], []
    for resp in root.findall("d:response", NS):
        href = urllib.parse.unquote(resp.findtext("d:href", "", NS))
        (gone if "404" in (resp.findtext("d:status", "", NS) or "") else live).append(href)
    return root.findtext("d:sync-token", "", NS), live, gone


def _events(cal: caldav.Calendar) -> list[tuple[Any, icalendar.Event]]:
    out = []
    for obj in cal.events():  # one calendar-query REPORT with the data
        for ev in icalendar.Calendar.from_ical(obj.data).walk("VEVENT"):
            if not ev.get("RECURRENCE-ID"):
                out.append((obj, ev))
    return out


def test_meeting_views(demo: RunningDemo, user: str, portal: PortalUser) -> None:
    assert "zoom-meetings" not in str(_paths(demo, user))  # off by default
    _switch(portal, "zoom", True)
    _switch(portal, "hosted", True)
    found = _paths(demo, user)
    zoom_path, hosted_path = found["Zoom meetings"].path, found["Hosted by me"].path
    assert not found["Zoom meetings"].writable and not found["Hosted by me"].writable

    client = caldav.DAVClient(url=demo.url, username=user, password=demo.auth[1])
    real = [
        c
        for n, c in found.items()
        if c.kind == "calendar" and n not in ("Zoom meetings", "Hosted by me")
    ]
    zooms_in_sources = 0
    for c in real:
        cal = client.calendar(url=demo.url.rstrip("/") + c.path)
        zooms_in_sources += sum(1 for _, ev in _events(cal) if ev.get("X-ZOOM-MEETING") == "TRUE")
    zoom_cal = client.calendar(url=demo.url.rstrip("/") + zoom_path)
    zooms = _events(zoom_cal)
    assert zooms and all(ev.get("X-ZOOM-MEETING") == "TRUE" for _, ev in zooms)
    assert len(zooms) == zooms_in_sources

    # every item: the source's bytes and ETag, under an href naming the source calendar
    session = requests.Session()
    session.auth = demo.auth
    for obj, _ in zooms[:5]:
        name = str(obj.url.path).rsplit("/", 1)[-1]
        source, _, href = urllib.parse.unquote(name).partition("--")
        src = session.get(f"{demo.url.rstrip('/')}/{user}/{source}/{urllib.parse.quote(href)}")
        mine = session.get(str(obj.url))
        assert src.status_code == mine.status_code == 200
        assert src.headers["ETag"] == mine.headers["ETag"] and src.content == mine.content

    accounts = {demo.info["sandbox"]["user"].lower()}
    hosted = _events(client.calendar(url=demo.url.rstrip("/") + hosted_path))
    assert hosted
    for _, ev in hosted:
        org = str(ev.get("ORGANIZER") or "").lower().removeprefix("mailto:")
        assert not org or org in accounts or org.endswith("@contoso.example")

    # its own sync tokens: a Zoom meeting made at the provider arrives as one change
    token, live, _ = _sync(demo, zoom_path, "")
    assert len(live) == len(zooms)
    other_token, _, _ = _sync(demo, hosted_path, "")
    assert other_token != token
    graph = GraphAdmin(demo.info)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=2)
    subject = f"Views {uuid.uuid4().hex[:8]}"
    body = {
        "subject": subject,
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "end": {
            "dateTime": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
            "timeZone": "UTC",
        },
        "location": {"displayName": "https://contoso.zoom.us/j/81234567890"},
    }
    graph.json("POST", f"/calendars/{graph.calendar_id('Calendar')}/events", json=body)

    def arrived() -> list[str] | None:
        _, changed, _ = _sync(demo, zoom_path, token)
        return changed or None

    changed = wait_for(arrived, 30)
    assert len(changed) == 1 and re.search(r"/calendar[^/]*--", changed[0]), changed
    text = session.get(demo.url.rstrip("/") + urllib.parse.quote(changed[0])).text
    assert subject in text

    # a write names the calendar the event belongs to
    put = session.put(
        demo.url.rstrip("/") + urllib.parse.quote(changed[0]),
        data=text.replace(subject, subject + " edited"),
        headers={"Content-Type": "text/calendar"},
    )
    assert put.status_code == 403 and "read-only view" in put.text
    assert "Calendar — Microsoft 365" in put.text
    delete = session.delete(demo.url.rstrip("/") + urllib.parse.quote(changed[0]))
    assert delete.status_code == 403

    _switch(portal, "zoom", False)
    assert "Zoom meetings" not in _paths(demo, user)
    assert "Hosted by me" in _paths(demo, user)
