"""Every refusal a DAV client can meet, on each provider's calendar and address book, answered
with the status and precondition element RFC 4791 / RFC 6352 / RFC 4918 define (issue 11, point
5), a Content-Type with exactly one charset parameter, and nothing stored.

One table: (what is sent) -> (status, precondition element or None for a plain-text reason)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pytest
import requests

from tests.e2e.conftest import RunningDemo

C = "urn:ietf:params:xml:ns:caldav"
CR = "urn:ietf:params:xml:ns:carddav"
D = "DAV:"
ICS = {"Content-Type": "text/calendar; charset=utf-8"}
VCF = {"Content-Type": "text/vcard; charset=utf-8"}
SERVICES = {
    "m365": ("calendar-m365", "contacts-m365"),
    "google": ("calendar-google", "my-contacts-google"),
    "exchange": ("calendar-exchange", "contacts-exchange"),
}


def ics(uid: str, body: str = "", comp: str = "VEVENT", head: str = "") -> str:
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{head}BEGIN:{comp}\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20261210T100000Z\r\n"
        f"DTEND:20261210T110000Z\r\nSUMMARY:Refused\r\n{body}END:{comp}\r\nEND:VCALENDAR\r\n"
    )


def vcard(uid: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Ann Refused\r\nN:Refused;Ann;;;\r\nEND:VCARD\r\n"


QUERY = (
    '<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" xmlns:C="{C}">'
    "<D:prop><D:getetag/></D:prop><C:filter>{filter}</C:filter></C:calendar-query>"
).replace("{C}", C)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    where: str  # "cal", "book", "home" (the principal) or "nowhere" (a missing collection)
    item: str  # appended to the collection's path; "{uid}" is replaced
    body: str
    headers: dict[str, str]
    status: int
    condition: tuple[str, str] | None  # (namespace, element) inside DAV:error
    allow: bool = False  # a 405 must carry Allow (RFC 9110 §15.5.6)
    extra: dict[str, str] = field(default_factory=dict)


#: past the default `[limits] resource_bytes` (8,000,000), under `[server] max_content_length`
#: (10,000,000): read, then refused with the precondition (a larger body gets 413 unread,
#: tests/e2e/test_hostile_http.py)
OVERSIZED = "".join(f"X-FILL-{i}:{'z' * 60}\r\n" for i in range(120_000))
TWO_UIDS = ics("{uid}").replace(
    "END:VCALENDAR\r\n",
    "BEGIN:VEVENT\r\nUID:second-{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART:20261211T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
)
CASES = [
    Case("todo into an event calendar", "PUT", "cal", "{uid}.ics", ics("{uid}", comp="VTODO"),
         ICS, 403, (C, "supported-calendar-component")),
    Case("journal into an event calendar", "PUT", "cal", "{uid}.ics",
         ics("{uid}", comp="VJOURNAL"), ICS, 403, (C, "supported-calendar-component")),
    Case("vCard into a calendar", "PUT", "cal", "{uid}.ics", vcard("{uid}"),
         {"Content-Type": "text/vcard"}, 415, (C, "supported-calendar-data")),
    Case("octet-stream into a calendar", "PUT", "cal", "{uid}.ics", ics("{uid}"),
         {"Content-Type": "application/octet-stream"}, 415, (C, "supported-calendar-data")),
    Case("unparsable iCalendar", "PUT", "cal", "{uid}.ics", "BEGIN:VCALENDAR\r\nnonsense",
         ICS, 400, (C, "valid-calendar-data")),
    Case("empty iCalendar", "PUT", "cal", "{uid}.ics", "", ICS, 400, (C, "valid-calendar-data")),
    Case("two UIDs in one resource", "PUT", "cal", "{uid}.ics", TWO_UIDS, ICS, 403,
         (C, "valid-calendar-object-resource")),
    Case("an event without UID", "PUT", "cal", "{uid}.ics",
         ics("{uid}").replace("UID:{uid}\r\n", ""), ICS, 403,
         (C, "valid-calendar-object-resource")),
    Case("year 1", "PUT", "cal", "{uid}.ics",
         ics("{uid}").replace("20261210T100000Z", "00010101T100000Z"), ICS, 403,
         (C, "min-date-time")),
    Case("duration beyond representation", "PUT", "cal", "{uid}.ics",
         ics("{uid}").replace("DTEND:20261210T110000Z\r\n", "DURATION:P99999999W\r\n"), ICS,
         400, (C, "valid-calendar-data")),
    Case("calendar object over max-resource-size", "PUT", "cal", "{uid}.ics",
         ics("{uid}", OVERSIZED), ICS, 403, (C, "max-resource-size")),
    Case("vCard over max-resource-size", "PUT", "book", "{uid}.vcf",
         vcard("{uid}").replace("END:VCARD", OVERSIZED + "END:VCARD"), VCF, 403,
         (CR, "max-resource-size")),
    Case("iCalendar into an address book", "PUT", "book", "{uid}.vcf", ics("{uid}"), ICS, 415,
         (CR, "supported-address-data")),
    Case("unparsable vCard", "PUT", "book", "{uid}.vcf", "BEGIN:VCARD\r\nnonsense", VCF, 400,
         (CR, "valid-address-data")),
    Case("unknown charset", "PUT", "cal", "{uid}.ics", ics("{uid}"),
         {"Content-Type": "text/calendar; charset=klingon"}, 415, None),
    Case("PUT on a calendar", "PUT", "cal", "", ics("{uid}"), ICS, 405, None, allow=True),
    Case("PUT on the principal", "PUT", "home", "", ics("{uid}"), ICS, 405, None, allow=True),
    Case("PUT directly below the principal", "PUT", "home", "{uid}.ics", ics("{uid}"), ICS,
         403, None),
    Case("PUT into a missing collection", "PUT", "nowhere", "{uid}.ics", ics("{uid}"), ICS,
         409, None),
    Case("VJOURNAL-only MKCALENDAR", "MKCALENDAR", "home", "journal-{uid}/",
         f'<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="{C}"><D:set><D:prop>'
         '<C:supported-calendar-component-set><C:comp name="VJOURNAL"/>'
         "</C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>",
         {"Content-Type": "application/xml"}, 403, (C, "supported-calendar-component")),
    Case("MKCALENDAR on an existing calendar", "MKCALENDAR", "cal", "", "", {}, 409,
         (D, "resource-must-be-null")),
    Case("unknown REPORT", "REPORT", "cal", "", '<?xml version="1.0"?><D:nonsense xmlns:D="DAV:"/>',
         {"Content-Type": "application/xml", "Depth": "1"}, 403, (D, "supported-report")),
    Case("sync-collection with a foreign token", "REPORT", "cal", "",
         '<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>'
         "http://elsewhere.example/sync/1</D:sync-token><D:sync-level>1</D:sync-level>"
         "<D:prop><D:getetag/></D:prop></D:sync-collection>",
         {"Content-Type": "application/xml"}, 403, (D, "valid-sync-token")),
    Case("expand in year 1000", "REPORT", "cal", "",
         QUERY.replace("<D:getetag/>", '<C:calendar-data><C:expand start="10000101T000000Z" '
                       'end="10010101T000000Z"/></C:calendar-data>').replace(
             "{filter}", '<C:comp-filter name="VCALENDAR"/>'),
         {"Content-Type": "application/xml", "Depth": "1"}, 403, (C, "min-date-time")),
    Case("filter not rooted at VCALENDAR", "REPORT", "cal", "",
         QUERY.replace("{filter}", '<C:comp-filter name="VEVENT"/>'),
         {"Content-Type": "application/xml", "Depth": "1"}, 403, (C, "valid-filter")),
    Case("filter on an unknown component", "REPORT", "cal", "",
         QUERY.replace("{filter}", '<C:comp-filter name="VCALENDAR">'
                       '<C:comp-filter name="VNONSENSE"/></C:comp-filter>'),
         {"Content-Type": "application/xml", "Depth": "1"}, 403, (C, "supported-filter")),
]  # fmt: skip


def _url(demo: RunningDemo, service: str, where: str, item: str) -> str:
    cal, book = SERVICES[service]
    user = demo.auth[0]
    folder = {"cal": f"{user}/{cal}/", "book": f"{user}/{book}/", "home": f"{user}/"}.get(
        where, f"{user}/no-such-{service}/"
    )
    return demo.url.rstrip("/") + "/" + folder + item


def assert_precondition(answer: requests.Response, case: Case) -> None:
    assert answer.status_code == case.status, (answer.status_code, answer.text[:400])
    content_type = answer.headers.get("Content-Type", "")
    assert content_type.lower().count("charset") == 1, content_type
    assert answer.text.strip(), "a refusal says why"
    if case.allow:
        assert "PROPFIND" in answer.headers.get("Allow", ""), answer.headers
    if case.condition is None:
        assert content_type.startswith("text/plain"), content_type
        return
    root = ET.fromstring(answer.content)
    assert root.tag == f"{{{D}}}error", answer.text[:400]
    namespace, element = case.condition
    assert root.find(f"{{{namespace}}}{element}") is not None, answer.text[:400]


@pytest.fixture(scope="module")
def http(demo: RunningDemo) -> requests.Session:
    session = requests.Session()
    session.auth = demo.auth
    return session


# each case on one provider's collections, the three providers in turn (the refusals are
# decided before any provider is asked; the rotation shows they are for all three)
ROTATION = [(case, list(SERVICES)[i % len(SERVICES)]) for i, case in enumerate(CASES)]


@pytest.mark.parametrize(("case", "service"), ROTATION, ids=[f"{c.name}-{s}" for c, s in ROTATION])
def test_a_refusal_names_its_precondition(
    demo: RunningDemo, http: requests.Session, service: str, case: Case
) -> None:
    uid = f"refused-{uuid.uuid4()}"
    url = _url(demo, service, case.where, case.item.replace("{uid}", uid))
    body = case.body.replace("{uid}", uid).encode()
    answer = http.request(case.method, url, data=body, headers=case.headers)
    assert_precondition(answer, case)
    if case.method == "PUT" and case.where in ("cal", "book") and case.item:
        assert http.get(url).status_code == 404, "nothing was stored"


@pytest.mark.parametrize("service", list(SERVICES))
@pytest.mark.parametrize("where", ["cal", "book"])
def test_a_second_resource_with_a_uid_names_the_holder(
    demo: RunningDemo, http: requests.Session, service: str, where: str
) -> None:
    uid = f"held-{uuid.uuid4()}"
    make, headers, suffix = (ics, ICS, ".ics") if where == "cal" else (vcard, VCF, ".vcf")
    first = _url(demo, service, where, uid + suffix)
    assert http.put(first, data=make(uid).encode(), headers=headers).status_code in (201, 204)
    try:
        answer = http.put(
            _url(demo, service, where, "other-" + uid + suffix),
            data=make(uid).encode(),
            headers=headers,
        )
        case = Case(
            "", "PUT", where, "", "", {}, 409, (C if where == "cal" else CR, "no-uid-conflict")
        )
        assert_precondition(answer, case)
        root = ET.fromstring(answer.content)
        href = root.find(f"{{{case.condition[0]}}}no-uid-conflict/{{{D}}}href")  # type: ignore[index]
        assert href is not None and href.text is not None
        assert href.text.endswith("/" + uid + suffix), href.text
    finally:
        http.delete(first)
