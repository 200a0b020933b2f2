"""End to end against a `davbridge demo` of its own with the organisation directory switched on
(K5), as clients see it: three read-only "Directory — <service>" address books of ≥ 500 people,
plain CardDAV REPORTs searching them by name, email and number from the indexes, caller lookup
and the phonebooks answering the user's own contact before the directory, 403 on a write, and
the administrator's switch in the portal."""

from __future__ import annotations

import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.conftest import (
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
