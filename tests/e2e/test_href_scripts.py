"""Resource names in any script round-trip byte for byte (issue 11, point 4): an item PUT under
a UTF-8 name is listed by PROPFIND, found by multiget, reported by sync-collection and deleted
under exactly the bytes the client sent — no Latin-1 misreading, no Unicode normalisation
(a decomposed "é" stays decomposed) — in each provider's calendar and address book.

What stays refused, as in stock Radicale 3.9 (its path check, `validate_path_value`), is not
covered here: control and format characters (C0/C1, U+200D ZERO WIDTH JOINER inside emoji
sequences) and : ' " * ? , in a name."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote, unquote_to_bytes

import pytest
import requests

from tests.e2e.conftest import RunningDemo
from tests.e2e.test_caldav_client import event_ics, soon

NAMES = {
    "latin-1": "Grüße-à-Zürich",
    "cyrillic": "Встреча-в-Москве",
    "cjk": "会議の予定-회의",
    "emoji": "🎉-party-👍🏽-🇩🇪",
    "combining": "Cafe\u0301-Zu\u0308rich",  # decomposed (NFD): must not come back composed
    "rtl": "اجتماع-פגישה",
    "devanagari": "बैठक",
}
COLLECTIONS = {
    "Microsoft 365": ("calendar-m365", "contacts-m365"),
    "Google": ("calendar-google", "my-contacts-google"),
    "Exchange": ("calendar-exchange", "contacts-exchange"),
}
SYNC = (
    '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">'
    "<D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>"
    "<D:prop><D:getetag/></D:prop></D:sync-collection>"
)
MULTIGET = (
    '<?xml version="1.0" encoding="utf-8"?><{tag} xmlns:D="DAV:" xmlns:C="{ns}">'
    "<D:prop><D:getetag/></D:prop>{hrefs}</{tag}>"
)
RESPONSE = re.compile(r"<(?:\w+:)?response>(.*?)</(?:\w+:)?response>", re.S)
HREF = re.compile(r"<(?:\w+:)?href>([^<]*)</(?:\w+:)?href>")


def vcard(uid: str, name: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nEND:VCARD\r\n"


def statuses(answer: requests.Response) -> dict[bytes, str]:
    """Each response's href, percent-decoded to the bytes on the wire, -> its status text."""
    found: dict[bytes, str] = {}
    for block in RESPONSE.findall(answer.text):
        href = HREF.search(block)
        assert href is not None, block
        status = re.search(r"HTTP/1\.1 (\d+)", block)
        found[unquote_to_bytes(href.group(1))] = status.group(1) if status else ""
    return found


@pytest.fixture(scope="module")
def http(demo: RunningDemo) -> requests.Session:
    session = requests.Session()
    session.auth = demo.auth
    return session


@pytest.mark.parametrize("kind", ["calendar", "addressbook"])
@pytest.mark.parametrize("service", list(COLLECTIONS))
def test_names_in_any_script_round_trip_byte_for_byte(
    demo: RunningDemo, http: requests.Session, service: str, kind: str
) -> None:
    calendar = kind == "calendar"
    folder = f"/{demo.auth[0]}/{COLLECTIONS[service][0 if calendar else 1]}/"
    root = demo.url.rstrip("/")
    suffix = ".ics" if calendar else ".vcf"
    tag = "C:calendar-multiget" if calendar else "C:addressbook-multiget"
    ns = "urn:ietf:params:xml:ns:caldav" if calendar else "urn:ietf:params:xml:ns:carddav"
    # an address book gets three of the scripts (its items are slower to write at Exchange)
    names = list(NAMES.values()) if calendar else [NAMES["latin-1"], NAMES["cjk"], NAMES["emoji"]]
    paths = {f"{folder}{name}-{uuid.uuid4().hex[:6]}{suffix}" for name in names}
    wire = {path.encode("utf-8") for path in paths}

    start = http.request("REPORT", root + folder, data=SYNC.format(token="").encode())
    token = re.search(r"<(?:\w+:)?sync-token>([^<]+)<", start.text)
    assert token is not None, start.text[:300]
    for i, path in enumerate(sorted(paths)):
        uid = f"script-{uuid.uuid4()}"
        body = event_ics(uid, path, soon(9, 8 + i)) if calendar else vcard(uid, f"Script {i}")
        kind_type = "text/calendar" if calendar else "text/vcard"
        put = http.put(root + quote(path), data=body.encode(), headers={"Content-Type": kind_type})
        assert put.status_code == 201, (path, put.status_code, put.text[:300])
    try:
        listing = http.request(
            "PROPFIND",
            root + folder,
            headers={"Depth": "1"},
            data=b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/>'
            b"</D:prop></D:propfind>",
        )
        assert wire <= set(statuses(listing)), sorted(statuses(listing))

        hrefs = "".join(f"<D:href>{quote(p)}</D:href>" for p in sorted(paths))
        multiget = http.request(
            "REPORT",
            root + folder,
            headers={"Depth": "1"},
            data=MULTIGET.format(tag=tag, ns=ns, hrefs=hrefs).encode(),
        )
        assert {h: s for h, s in statuses(multiget).items() if h in wire} == dict.fromkeys(
            wire, "200"
        ), multiget.text[:600]

        changes = http.request(
            "REPORT", root + folder, data=SYNC.format(token=token.group(1)).encode()
        )
        assert wire <= set(statuses(changes)), changes.text[:600]
        for path in sorted(paths):
            got = http.get(root + quote(path))
            assert got.status_code == 200, (path, got.status_code)
    finally:
        for path in sorted(paths):
            assert http.delete(root + quote(path)).status_code in (200, 204), path
    gone = http.request("REPORT", root + folder, data=SYNC.format(token=token.group(1)).encode())
    assert {h: s for h, s in statuses(gone).items() if h in wire} == dict.fromkeys(wire, "404")
