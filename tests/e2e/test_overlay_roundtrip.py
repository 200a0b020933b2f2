# ruff: noqa: F811  (the `books` fixture is imported from test_contacts)
"""GET after PUT through `davbridge demo` (SPEC C10, issue 10 point 2): events and vCards
as Apple Calendar/Contacts, Thunderbird, Evolution and DAVx5 send them
(tests/fixtures/clients/README.md cites each source) come back from every service with every
property and parameter the client sent, except the normalisations of README's table
"What a round trip normalises" — among them what Radicale's own vobject parse changes before
davbridge sees the request (so the reference is the client's text after that parse)."""

from __future__ import annotations

import uuid

import pytest
import requests
import vobject

from tests.contract.test_overlay_clients import CARDS, EVENTS
from tests.e2e.conftest import GoogleAdmin, RunningDemo
from tests.e2e.test_contacts import books  # noqa: F401  (fixture)
from tests.overlay_check import client_text, day, lost

LABELS = ("Microsoft 365", "Google", "Exchange")


def _calendars(demo: RunningDemo) -> dict[str, str]:
    import caldav

    client = caldav.DAVClient(url=demo.url, username=demo.auth[0], password=demo.auth[1])
    return {c.get_display_name(): str(c.url.path) for c in client.principal().get_calendars()}


def _put_get(demo: RunningDemo, path: str, text: str, kind: str) -> str:
    url = demo.url.rstrip("/") + path
    r = requests.put(
        url,
        data=text.encode(),
        auth=demo.auth,
        headers={"Content-Type": kind, "If-None-Match": "*"},
        timeout=60,
    )
    assert r.status_code in (201, 204), r.text
    got = requests.get(url, auth=demo.auth, timeout=60)
    assert got.status_code == 200, got.text
    return got.text


def _unique(text: str, uid_line: str) -> tuple[str, str]:
    """The payload with a UID of its own (the same client file goes to three services)."""
    uid = f"{uid_line.partition(':')[2]}-{uuid.uuid4().hex[:8]}"
    return text.replace(uid_line, f"UID:{uid}"), uid


@pytest.mark.parametrize("label", LABELS)
def test_client_events_come_back_whole(demo: RunningDemo, label: str) -> None:
    path = _calendars(demo)[f"Projects — {label}"]
    for name, shifts in sorted(EVENTS.items()):
        sent = client_text(name, shifts)
        uid_line = next(x for x in sent.split("\r\n") if x.startswith("UID:"))
        sent, uid = _unique(sent, uid_line)
        got = _put_get(demo, f"{path}{uid}.ics", sent, "text/calendar")
        as_parsed = vobject.readOne(sent).serialize()  # what Radicale hands davbridge
        assert lost(as_parsed, got) == [], (label, name, got)


@pytest.mark.parametrize("label", LABELS)
def test_client_vcards_come_back_whole(
    demo: RunningDemo, books: dict[str, str], label: str
) -> None:
    path = books[("My Contacts" if label == "Google" else "Contacts") + f" — {label}"]
    for name in CARDS:
        sent = client_text(name)
        uid_line = next(x for x in sent.split("\r\n") if x.startswith("UID:"))
        sent, uid = _unique(sent, uid_line)
        got = _put_get(demo, f"{path}{uid}.vcf", sent, "text/vcard")
        as_parsed = vobject.readOne(sent).serialize()
        assert lost(as_parsed, got) == [], (label, name, got)


def test_past_the_overlay_bound_nothing_is_written(demo: RunningDemo) -> None:
    import secrets

    from bridge.ical.overlay import OVERLAY_MAX_BYTES

    path = _calendars(demo)["Projects — Google"]
    uid = f"overlay-bound-{uuid.uuid4().hex[:8]}"
    noise = "".join(f"X-NOISE-{i}:{secrets.token_hex(40)}\r\n" for i in range(400))
    sent = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{day(5)}T090000Z\r\n"
        f"DTEND:{day(5)}T100000Z\r\nSUMMARY:Too much\r\n{noise}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    url = demo.url.rstrip("/") + f"{path}{uid}.ics"
    r = requests.put(
        url,
        data=sent.encode(),
        auth=demo.auth,
        headers={"Content-Type": "text/calendar"},
        timeout=60,
    )
    assert r.status_code == 400 and str(OVERLAY_MAX_BYTES) in r.text
    assert requests.get(url, auth=demo.auth, timeout=60).status_code == 404
    assert GoogleAdmin(demo.info).events("Projects", "Too much") == []  # nothing at Google
