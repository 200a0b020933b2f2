"""Hostile and malformed HTTP against a running demo (issue 9 points 4, 5, 8): every bad
request gets a 4xx whose body names the problem, never a 500 or a reset connection, and
neither the provider (Graph, read with application permissions) nor the mirror (getctag and
sync-token of the collection) changes."""

from __future__ import annotations

import base64
import re
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.conftest import GraphAdmin, RunningDemo

CAL = "/demo/calendar-m365/"
BOOK = "/demo/contacts-m365/"
PROVIDER_CALENDAR = "Calendar"
CTAG = (
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/">'
    "<d:prop><cs:getctag/><d:sync-token/></d:prop></d:propfind>"
)
ETAGS = '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'


def call(
    demo: RunningDemo,
    method: str,
    path: str,
    body: str | bytes | None = None,
    auth: Any = "demo",
    **headers: str,
) -> requests.Response:
    url = path if path.startswith("http") else demo.url.rstrip("/") + path
    return requests.request(
        method,
        url,
        data=body,
        headers=headers,
        auth=demo.auth if auth == "demo" else auth,
        timeout=60,
        allow_redirects=False,
    )


def event(uid: str, extra: str = "DTEND:20261210T110000Z", start: str = "20261210T100000Z") -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hostile//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:{start}\r\n{extra}\r\n"
        "SUMMARY:hostile probe\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def snapshot(demo: RunningDemo, graph: GraphAdmin) -> tuple[str, list[tuple[str, str]]]:
    """(getctag + sync-token of the calendar, the provider's events by id and changeKey)."""
    r = call(demo, "PROPFIND", CAL, CTAG, Depth="0")
    assert r.status_code == 207
    marks = re.findall(r"<CS:getctag>([^<]*)</CS:getctag>|<sync-token>([^<]*)</sync-token>", r.text)
    events = sorted((e["id"], e.get("changeKey", "")) for e in graph.events(PROVIDER_CALENDAR))
    return repr(marks), events


@pytest.fixture
def unchanged(demo: RunningDemo, graph: GraphAdmin) -> Iterator[None]:
    before = snapshot(demo, graph)
    yield
    assert snapshot(demo, graph) == before


def assert_refused(r: requests.Response, status: int, *words: str) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.text.strip() and r.text.strip() not in ("Bad Request", "Conflict in the request.")
    for word in words:
        assert word.lower() in r.text.lower(), (word, r.text)
    content_type = r.headers.get("Content-Type", "")
    assert content_type.count("charset") <= 1, content_type


def basic(raw: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


# -- credentials -------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/demo/", "/lookup?number=123", "/phonebook/yealink.xml"])
def test_malformed_basic_credentials_are_401_naming_the_problem(
    demo: RunningDemo, path: str
) -> None:
    method = "PROPFIND" if path == "/demo/" else "GET"
    r = call(demo, method, path, auth=None, **basic(b"demo"))
    assert_refused(r, 401, "no ':'")
    r = call(demo, method, path, auth=None, Authorization="Basic !!not-base64!!")
    assert_refused(r, 401, "not base64")
    for raw in ("dëmo:pässword".encode(), "dëmo:pässword".encode("latin-1")):
        r = call(demo, method, path, auth=None, **basic(raw))
        assert_refused(r, 401, "wrong")
    raw_non_ascii = (
        b"PROPFIND /demo/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \xe4\xf6\r\n"
        b"Connection: close\r\n\r\n"
    )
    assert raw_exchange(demo, raw_non_ascii)[0].startswith(b"HTTP/1.1 401")


def raw_exchange(demo: RunningDemo, data: bytes) -> list[bytes]:
    """The answers to pipelined requests on one connection (the last one says
    `Connection: close`), read to the end and split where each status line starts."""
    host, port = demo.url.split("//")[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(data)
        got = b""
        while chunk := sock.recv(65536):
            got += chunk
    return [a for a in re.split(rb"(?=HTTP/1\.1 \d{3} )", got) if a]


# -- method-level refusals ---------------------------------------------------------------------
def test_deleting_a_default_calendar_is_403_with_the_reason(
    demo: RunningDemo, unchanged: None
) -> None:
    # deleting a calendar the user owns is a real delete at the provider (tests/e2e/
    # test_collections.py); the default calendar cannot go, and nothing may change
    assert_refused(call(demo, "DELETE", CAL), 403, "default calendar")


def test_xml_nested_ten_thousand_deep_is_400(demo: RunningDemo, unchanged: None) -> None:
    body = '<?xml version="1.0"?>' + "<a>" * 10_000 + "</a>" * 10_000
    assert_refused(call(demo, "PROPFIND", CAL, body, Depth="0"), 400, "nested deeper")
    assert_refused(call(demo, "REPORT", CAL, body, Depth="1"), 400, "nested deeper")


def test_root_elements_must_be_the_methods_own(demo: RunningDemo, unchanged: None) -> None:
    foo = '<?xml version="1.0"?><d:foo xmlns:d="DAV:"/>'
    assert_refused(call(demo, "PROPFIND", CAL, foo, Depth="0"), 400, "propfind", "foo")
    assert_refused(call(demo, "PROPPATCH", CAL, foo), 400, "propertyupdate", "foo")
    empty = '<propfind xmlns="DAV:"/>'
    assert_refused(call(demo, "PROPFIND", CAL, empty, Depth="0"), 400, "prop, allprop or propname")
    ebcdic = '<?xml version="1.0" encoding="ebcdic-xx"?><propfind xmlns="DAV:"/>'
    assert_refused(call(demo, "PROPFIND", CAL, ebcdic, Depth="0"), 400, "ebcdic-xx")
    r = call(demo, "REPORT", CAL, foo, Depth="1")
    assert_refused(r, 403, "supported-report", "foo")
    assert r.headers["Content-Type"].startswith("application/xml")


def test_unknown_charset_is_415_naming_it(demo: RunningDemo, unchanged: None) -> None:
    ctype = "text/xml; charset=x-nope"
    r = call(demo, "PROPFIND", CAL, ETAGS.encode(), Depth="0", **{"Content-Type": ctype})
    assert_refused(r, 415, "x-nope")
    uid = uuid.uuid4().hex
    r = call(
        demo,
        "PUT",
        f"{CAL}{uid}.ics",
        event(uid).encode(),
        **{"Content-Type": "text/calendar; charset=x-nope"},
    )
    assert_refused(r, 415, "x-nope")


def test_expanding_years_1_to_9999_is_refused_naming_the_limit(demo: RunningDemo) -> None:
    body = (
        '<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data>'
        '<C:expand start="00010101T000000Z" end="99991231T000000Z"/></C:calendar-data></D:prop>'
        '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        '<C:time-range start="00010101T000000Z" end="99991231T000000Z"/></C:comp-filter>'
        "</C:comp-filter></C:filter></C:calendar-query>"
    )
    assert_refused(call(demo, "REPORT", CAL, body, Depth="1"), 403, "min-date-time", "1601")


def test_odd_multiget_hrefs_each_get_404(demo: RunningDemo) -> None:
    odd = [
        "http://elsewhere.example/demo/calendar-m365/x.ics",
        "/alex/calendar-m365/x.ics",
        "garbage:::",
        "",
        "/demo/calendar-m365/%ff%fe.ics",
        "/demo/calendar-m365/%C0%AE%C0%AE/x.ics",
        "/demo/calendar-m365/../contacts-m365/x.vcf",
        "/demo/calendar-m365/%2e%2e/x.ics",
    ]
    hrefs = "".join(f"<D:href>{h}</D:href>" for h in odd)
    for props in ("<D:getetag/>", "<D:getetag/><C:calendar-data/>"):
        body = (
            '<?xml version="1.0"?><C:calendar-multiget xmlns:D="DAV:" '
            f'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>{props}</D:prop>{hrefs}'
            "</C:calendar-multiget>"
        )
        r = call(demo, "REPORT", CAL, body, Depth="1")
        assert r.status_code == 207, r.text
        assert r.text.count("404 Not Found") == len(odd), r.text
        assert "200 OK" not in r.text


# -- HEAD and /health ----------------------------------------------------------------------------
def test_head_health_has_no_body_on_a_kept_alive_connection(demo: RunningDemo) -> None:
    answers = raw_exchange(
        demo,
        b"HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert len(answers) == 2, answers
    head, get = answers
    assert head.endswith(b"\r\n\r\n"), head  # headers only
    assert get.startswith(b"HTTP/1.1 200") and get.rstrip().endswith(b"}")


def test_head_on_dav_resources_has_no_body_either(demo: RunningDemo) -> None:
    answers = raw_exchange(
        demo,
        b"HEAD /lookup?number=1 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /demo/ HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert [a[:12] for a in answers] == [b"HTTP/1.1 401"] * 2 + [b"HTTP/1.1 200"]
    assert all(a.endswith(b"\r\n\r\n") for a in answers[:2])


def test_health_says_little_to_strangers_and_more_to_an_admin(demo: RunningDemo) -> None:
    r = requests.get(demo.url + "health", timeout=10)
    assert r.status_code == 200 and r.json() in ({"status": "ok"}, {"status": "degraded"})
    r = requests.get(demo.url + "health", auth=demo.auth, timeout=10)  # demo is an admin
    assert r.status_code == 200 and {c["provider"] for c in r.json()["connections"]} == {
        "graph",
        "google",
        "ews",
    }
    r = requests.get(demo.url + "health", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert_refused(r, 401, "monitoring token")


# -- hrefs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("%C0%AE%C0%AE/{uid}.ics", "not UTF-8"),
        ("%2e%2e/{uid}.ics", "dot segment"),
        ("a%01b{uid}.ics", "control character"),
        ("a%7F{uid}.ics", "control character"),
    ],
)
def test_hostile_names_are_400_before_anything_is_stored(
    demo: RunningDemo, unchanged: None, name: str, words: str
) -> None:
    uid = uuid.uuid4().hex
    r = call(
        demo, "PUT", CAL + name.format(uid=uid), event(uid), **{"Content-Type": "text/calendar"}
    )
    assert_refused(r, 400, words)


def test_non_ascii_names_round_trip_byte_exact(demo: RunningDemo, graph: GraphAdmin) -> None:
    before = snapshot(demo, graph)[1]
    uids = {f"%C3%A4-{uuid.uuid4().hex}.ics": "", f"%D0%BA%D0%B0%D0%BB-{uuid.uuid4().hex}.ics": ""}
    for name in uids:
        uid = name.split("-", 1)[1].removesuffix(".ics")
        uids[name] = uid
        r = call(demo, "PUT", CAL + name, event(uid), **{"Content-Type": "text/calendar"})
        assert r.status_code == 201, r.text
    listed = re.findall(r"<href>([^<]*)</href>", call(demo, "PROPFIND", CAL, ETAGS, Depth="1").text)
    for name, uid in uids.items():
        href = CAL + name
        assert href in listed, (href, [h for h in listed if uid in h])
        r = call(demo, "GET", href)
        assert r.status_code == 200 and f"UID:{uid}" in r.text
        assert call(demo, "DELETE", href).status_code in (200, 204)
        assert call(demo, "GET", href).status_code == 404
    assert snapshot(demo, graph)[1] == before


# -- PUT bodies ----------------------------------------------------------------------------------
def test_duration_out_of_range_is_400_not_412(demo: RunningDemo, unchanged: None) -> None:
    uid = uuid.uuid4().hex
    body = event(uid, "DURATION:P99999999W")
    r = call(demo, "PUT", f"{CAL}{uid}.ics", body, **{"Content-Type": "text/calendar"})
    assert_refused(r, 400, "valid-calendar-data", "out of")


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        ("vcard", "text/vcard", 415, ("supported-calendar-data", "text/vcard")),
        ("event", "application/octet-stream", 415, ("supported-calendar-data", "octet-stream")),
        ("garbage", "text/calendar", 400, ("valid-calendar-data", "malformed")),
        ("todo", "text/calendar", 403, ("supported-calendar-component", "VTODO")),
        ("year1", "text/calendar", 403, ("min-date-time", "0001")),
        ("year9999", "text/calendar", 403, ("max-date-time", "9999")),
    ],
)
def test_bad_put_bodies_are_refused_with_the_precondition(
    demo: RunningDemo,
    unchanged: None,
    body: str,
    content_type: str,
    status: int,
    words: tuple[str, ...],
) -> None:
    uid = uuid.uuid4().hex
    data = {
        "vcard": f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:x\r\nN:x;;;;\r\nEND:VCARD\r\n",
        "event": event(uid),
        "garbage": "hello, world",
        "todo": event(uid).replace("VEVENT", "VTODO"),
        "year1": event(uid, "DTEND:00010101T110000Z", "00010101T100000Z"),
        "year9999": event(uid, "DTEND:99991231T110000Z", "99991231T100000Z"),
    }[body]
    r = call(demo, "PUT", f"{CAL}{uid}.ics", data, **{"Content-Type": content_type})
    assert_refused(r, status, *words)
    assert "<D:error" in r.text and r.headers["Content-Type"].startswith("application/xml")


def test_a_calendar_into_an_address_book_is_415(demo: RunningDemo) -> None:
    uid = uuid.uuid4().hex
    r = call(demo, "PUT", f"{BOOK}{uid}.vcf", event(uid), **{"Content-Type": "text/calendar"})
    assert_refused(r, 415, "supported-address-data")


# -- MOVE ----------------------------------------------------------------------------------------
def test_move_elsewhere_is_403_with_the_reason(demo: RunningDemo, unchanged: None) -> None:
    listed = re.findall(
        r"<href>([^<]*\.ics)</href>", call(demo, "PROPFIND", CAL, ETAGS, Depth="1").text
    )
    source = listed[0]
    r = call(demo, "MOVE", source, Destination="http://elsewhere.example" + source)
    assert_refused(r, 403, "another server")
    target = demo.url.rstrip("/") + "/demo/projects-m365/moved.ics"
    assert_refused(call(demo, "MOVE", source, Destination=target), 403, "another calendar")
    renamed = demo.url.rstrip("/") + source.removesuffix(".ics") + "-renamed.ics"
    assert_refused(call(demo, "MOVE", source, Destination=renamed), 403, "renaming")


# -- bodies over the limit -------------------------------------------------------------------------
def test_a_body_over_the_limit_gets_a_readable_413(demo: RunningDemo, unchanged: None) -> None:
    big = b"x" * 10_500_000
    r = call(demo, "PUT", f"{CAL}big.ics", big, **{"Content-Type": "text/calendar"})
    assert_refused(r, 413, "limit of 10000000 bytes")

    def chunks() -> Iterator[bytes]:
        for _ in range(180):
            yield b"y" * 65536

    r = call(demo, "PUT", f"{CAL}big.ics", chunks(), **{"Content-Type": "text/calendar"})
    assert_refused(r, 413, "max_content_length")
    # the server is still answering normally
    assert call(demo, "PROPFIND", CAL, CTAG, Depth="0").status_code == 207
