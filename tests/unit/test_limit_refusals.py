"""Writes past a bound are refused the way CalDAV/CardDAV clients can read (issue 9): 403 with
a `DAV:error` body naming the precondition — CALDAV:max-attendees-per-instance, min-date-time,
max-date-time, max-instances (RFC 4791 §5.3.2.1) or, for bounds no RFC names, an element in
davbridge's namespace — plus a message naming the `[limits]` option and its value. Calendar
collections advertise the bounds as the properties of RFC 4791 §5.2.5–5.2.9 (address books
CARDDAV:max-resource-size, RFC 6352 §6.2.3), and not for DAV:allprop."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults
from xml.etree import ElementTree as ET

import pytest

from bridge import api
from bridge.model import CollectionKind, RemoteItem
from bridge.settings import Settings
from radicale_plugins import app as dav_app
from tests.unit.fake_connection import connect_fake
from tests.unit.test_limits_and_waits import Provider, card, event

D, C, CR, B = (
    "DAV:",
    "urn:ietf:params:xml:ns:caldav",
    "urn:ietf:params:xml:ns:carddav",
    ("http://davbridge.org/ns/"),
)
DAILY = event("daily", "RRULE:FREQ=DAILY\r\n")


class Dav:
    """The real WSGI app (make_wsgi) as a client sees it."""

    def __init__(self, wsgi: Any, password: str) -> None:
        self.wsgi, self.password = wsgi, password

    def call(
        self, method: str, path: str, body: str = "", ctype: str = "application/xml", **hdrs: str
    ) -> tuple[int, dict[str, str], str]:
        data = body.encode()
        token = base64.b64encode(f"alex:{self.password}".encode()).decode()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "wsgi.input": io.BytesIO(data),
            "CONTENT_LENGTH": str(len(data)),
            "CONTENT_TYPE": ctype,
            "HTTP_AUTHORIZATION": f"Basic {token}",
            **{"HTTP_" + k.upper(): v for k, v in hdrs.items()},
        }
        setup_testing_defaults(environ)
        seen: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            seen["status"], seen["headers"] = int(status.split()[0]), dict(headers)

        answer = b"".join(self.wsgi(environ, start_response)).decode()
        return seen["status"], seen["headers"], answer


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[tuple[Dav, str, str]]:
    settings = (
        Settings()
        .replace("store", data_dir=str(tmp_path / "data"))
        .replace("server", max_content_length=2_000_000)
        .replace("limits", attendees_per_event=20, tels_per_contact=30, description_chars=5000)
        .replace("limits", components_per_resource=3, min_year=1900, max_year=2100)
        .replace("sync", background=False, refresh_interval_s=3600)
    )
    bridge = api.Bridge(settings)
    api.install(bridge)
    user = bridge.ensure_user("alex")
    password = bridge.new_app_password(user, "test")
    fake = Provider()
    fake.events = {"daily": RemoteItem("daily", "v1", "daily", DAILY)}
    connect_fake(bridge, user, fake)
    cal = next(c for c in bridge.collections_for("alex") if c.kind is CollectionKind.CALENDAR)
    book = next(c for c in bridge.collections_for("alex") if c.kind is CollectionKind.ADDRESSBOOK)
    yield (
        Dav(dav_app.make_wsgi(2_000_000, max_occurrences=100), password),
        (f"/alex/{cal.name}/"),
        f"/alex/{book.name}/",
    )
    api.install(None)
    bridge.close()


def precondition(status: int, headers: dict[str, str], body: str) -> tuple[str, str]:
    """(element as {ns}name, message) of a 403 DAV:error answer."""
    assert status == 403, body
    assert headers["Content-Type"].startswith("application/xml"), body
    root = ET.fromstring(body)
    assert root.tag == f"{{{D}}}error"
    (element,) = [child for child in root if child.tag != f"{{{B}}}message"]
    return element.tag, root.findtext(f"{{{B}}}message") or ""


def override(uid: str, n: int) -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"RECURRENCE-ID:202611{20 + n}T100000Z\r\nDTSTART:202611{20 + n}T120000Z\r\n"
        f"DTEND:202611{20 + n}T130000Z\r\nSUMMARY:Moved\r\nEND:VEVENT\r\n"
    )


CALENDAR_CASES = {
    "attendees": (
        event("a", "".join(f"ATTENDEE:mailto:p{i}@example.com\r\n" for i in range(21))),
        f"{{{C}}}max-attendees-per-instance",
        "[limits] attendees_per_event = 20",
    ),
    "early": (event("b", year=1800), f"{{{C}}}min-date-time", "[limits] min_year = 1900"),
    "late": (event("c", year=2300), f"{{{C}}}max-date-time", "[limits] max_year = 2100"),
    "description": (
        event("d", "DESCRIPTION:" + "y" * 5001 + "\r\n"),
        f"{{{B}}}description-chars",
        "[limits] description_chars = 5000",
    ),
    "components": (
        event("e", "RRULE:FREQ=DAILY;COUNT=9\r\n").replace(
            "END:VCALENDAR", "".join(override("e", n) for n in range(1, 4)) + "END:VCALENDAR"
        ),
        f"{{{B}}}components-per-resource",
        "[limits] components_per_resource = 3",
    ),
    "instances": (
        event("f", "RRULE:FREQ=DAILY;COUNT=20000\r\n").replace("2026", "1950"),
        f"{{{C}}}max-instances",
        "max-instances = 10000",
    ),
}


@pytest.mark.parametrize("case", list(CALENDAR_CASES))
def test_a_calendar_write_past_a_bound_names_the_precondition(
    env: tuple[Dav, str, str], case: str
) -> None:
    dav, cal, _ = env
    text, element, named = CALENDAR_CASES[case]
    answer = dav.call("PUT", cal + f"{case}.ics", text, "text/calendar")
    tag, message = precondition(*answer)
    assert tag == element and named in message
    assert dav.call("GET", cal + f"{case}.ics")[0] == 404  # nothing stored


def test_a_contact_past_tels_per_contact_names_davbridge_element(
    env: tuple[Dav, str, str],
) -> None:
    dav, _, book = env
    answer = dav.call("PUT", book + "many.vcf", card("many", 31), "text/vcard")
    tag, message = precondition(*answer)
    assert tag == f"{{{B}}}tels-per-contact" and "[limits] tels_per_contact = 30" in message


def test_an_expansion_past_the_bound_names_davbridge_element(env: tuple[Dav, str, str]) -> None:
    dav, cal, _ = env
    body = (
        '<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data>'
        '<C:expand start="20261201T000000Z" end="20270601T000000Z"/></C:calendar-data></D:prop>'
        '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        '<C:time-range start="20261201T000000Z" end="20270601T000000Z"/></C:comp-filter>'
        "</C:comp-filter></C:filter></C:calendar-query>"
    )
    tag, message = precondition(*dav.call("REPORT", cal, body, DEPTH="1"))
    assert tag == f"{{{B}}}instances-per-expansion"
    assert "[limits] instances_per_expansion = 100" in message


def _props(dav: Dav, path: str, inner: str) -> dict[str, str]:
    body = f'<?xml version="1.0"?><D:propfind xmlns:D="DAV:" {inner}</D:propfind>'
    status, _, answer = dav.call("PROPFIND", path, body, DEPTH="0")
    assert status == 207, answer
    found: dict[str, str] = {}
    for propstat in ET.fromstring(answer).iter(f"{{{D}}}propstat"):
        if "200" in (propstat.findtext(f"{{{D}}}status") or ""):
            for prop in propstat.iter(f"{{{D}}}prop"):
                for child in prop:
                    found[child.tag] = child.text or ""
    return found


def test_collections_advertise_their_bounds(env: tuple[Dav, str, str]) -> None:
    dav, cal, book = env
    asked = (
        f'xmlns:C="{C}"><D:prop><C:max-resource-size/><C:min-date-time/><C:max-date-time/>'
        "<C:max-instances/><C:max-attendees-per-instance/></D:prop>"
    )
    assert _props(dav, cal, asked) == {
        f"{{{C}}}max-resource-size": "2000000",
        f"{{{C}}}min-date-time": "19000101T000000Z",
        f"{{{C}}}max-date-time": "21001231T235959Z",
        f"{{{C}}}max-instances": "10000",
        f"{{{C}}}max-attendees-per-instance": "20",
    }
    everything = _props(dav, cal, "><D:allprop/>")
    assert f"{{{C}}}min-date-time" not in everything  # RFC 4791 §5.2.6: not for allprop
    card_size = _props(dav, book, f'xmlns:CR="{CR}"><D:prop><CR:max-resource-size/></D:prop>')
    assert card_size == {f"{{{CR}}}max-resource-size": "2000000"}
