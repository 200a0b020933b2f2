"""Every kind of time-range REPORT reaching beyond the sync window is answered from the provider
(issue 11, point 3): a calendar-query with `expand` (Radicale takes the range out of the filter
before it asks the storage), one with `limit-recurrence-set`, a free-busy-query, and a
calendar-multiget / GET of an href such a query returned (clients that ask for ETags first).
The mechanism is the same for every provider (bridge/sync/outside.py lists through the provider
protocol; tests/e2e/test_sync_window.py checks the listing on all three): Microsoft 365 here."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import icalendar
import pytest
import requests

from tests.e2e.conftest import GraphAdmin, RunningDemo

DAV, CAL = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}"
RANGE = 'start="20030501T000000Z" end="20030601T000000Z"'
FILTER = (
    '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
    f"<C:time-range {RANGE}/></C:comp-filter></C:comp-filter></C:filter>"
)
HEAD = '<?xml version="1.0"?>'
NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"'


def _report(demo: RunningDemo, path: str, body: str, depth: str = "1") -> requests.Response:
    return requests.request(
        "REPORT",
        demo.url.rstrip("/") + path,
        data=HEAD + body,
        headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8"},
        auth=demo.auth,
        timeout=60,
    )


def _responses(answer: requests.Response) -> dict[str, str]:
    """href -> calendar-data ("" when none) of each 200 response of a multistatus."""
    assert answer.status_code == 207, answer.text
    found = {}
    for response in ET.fromstring(answer.content).iter(f"{DAV}response"):
        href = response.findtext(f"{DAV}href") or ""
        for propstat in response.iter(f"{DAV}propstat"):
            if "200" in (propstat.findtext(f"{DAV}status") or ""):
                found[href] = propstat.findtext(f"{DAV}prop/{CAL}calendar-data") or ""
    return found


@pytest.fixture(scope="module")
def archive(demo: RunningDemo) -> tuple[str, str]:
    """(calendar path, summary) of a weekly series of three in May 2003, made at Graph."""
    graph = GraphAdmin(demo.info)
    summary = f"Archive series {uuid.uuid4().hex[:8]}"
    body = {
        "subject": summary,
        "start": {"dateTime": "2003-05-06T10:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2003-05-06T11:00:00", "timeZone": "UTC"},
        "recurrence": {
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["tuesday"]},
            "range": {"type": "numbered", "startDate": "2003-05-06", "numberOfOccurrences": 3},
        },
    }
    graph.json("POST", f"/calendars/{graph.calendar_id('Projects')}/events", json=body)
    return f"/{demo.auth[0]}/projects-m365/", summary


def _mine(found: dict[str, str], summary: str) -> dict[str, str]:
    return {href: data for href, data in found.items() if summary in data}


def test_an_expanded_query_beyond_the_window_gets_the_instances(
    demo: RunningDemo, archive: tuple[str, str]
) -> None:
    path, summary = archive
    body = (
        f"<C:calendar-query {NS}><D:prop><C:calendar-data><C:expand {RANGE}/>"
        f"</C:calendar-data></D:prop>{FILTER}</C:calendar-query>"
    )
    mine = _mine(_responses(_report(demo, path, body)), summary)
    assert len(mine) == 1, mine
    events = list(icalendar.Calendar.from_ical(next(iter(mine.values()))).walk("VEVENT"))
    starts = sorted(e.decoded("DTSTART").strftime("%Y-%m-%d %H:%M") for e in events)
    assert starts == ["2003-05-06 10:00", "2003-05-13 10:00", "2003-05-20 10:00"]
    assert all(e.get("RRULE") is None and e.get("RECURRENCE-ID") for e in events)


def test_a_limited_recurrence_set_query_beyond_the_window(
    demo: RunningDemo, archive: tuple[str, str]
) -> None:
    path, summary = archive
    body = (
        f"<C:calendar-query {NS}><D:prop><C:calendar-data>"
        f"<C:limit-recurrence-set {RANGE}/></C:calendar-data></D:prop>{FILTER}"
        "</C:calendar-query>"
    )
    mine = _mine(_responses(_report(demo, path, body)), summary)
    assert len(mine) == 1 and "RRULE:FREQ=WEEKLY" in next(iter(mine.values())), mine


def test_hrefs_a_query_beyond_the_window_returned_can_be_fetched(
    demo: RunningDemo, archive: tuple[str, str]
) -> None:
    path, summary = archive
    etags = f"<C:calendar-query {NS}><D:prop><D:getetag/></D:prop>{FILTER}</C:calendar-query>"
    hrefs = list(_responses(_report(demo, path, etags)))
    multiget = (
        f"<C:calendar-multiget {NS}><D:prop><D:getetag/><C:calendar-data/></D:prop>"
        + "".join(f"<D:href>{h}</D:href>" for h in hrefs)
        + "</C:calendar-multiget>"
    )
    mine = _mine(_responses(_report(demo, path, multiget)), summary)
    assert len(mine) == 1, hrefs
    href = next(iter(mine))
    got = requests.get(demo.url.rstrip("/") + href, auth=demo.auth, timeout=60)
    assert got.status_code == 200 and summary in got.text
    # reads only: the href is not a resource of the window (a sync-collection does not list it)
    sync = (
        f"<D:sync-collection {NS}><D:sync-token/><D:sync-level>1</D:sync-level>"
        "<D:prop><D:getetag/></D:prop></D:sync-collection>"
    )
    assert href not in _responses(_report(demo, path, sync))


def test_a_free_busy_query_beyond_the_window_sees_the_series(
    demo: RunningDemo, archive: tuple[str, str]
) -> None:
    path, _ = archive
    body = f"<C:free-busy-query {NS}><C:time-range {RANGE}/></C:free-busy-query>"
    answer = _report(demo, path, body)
    assert answer.status_code == 200, answer.text
    unfolded = answer.text.replace("\r\n ", "").replace("\n ", "")
    periods = [line for line in unfolded.splitlines() if line.startswith("FREEBUSY")]
    for day in ("20030506", "20030513", "20030520"):
        assert any(f"{day}T100000Z" in line for line in periods), unfolded


def test_an_event_a_query_beyond_the_window_found_is_edited_and_deleted_not_duplicated(
    demo: RunningDemo,
) -> None:
    graph = GraphAdmin(demo.info)
    summary = f"Archive single {uuid.uuid4().hex[:8]}"
    body = {
        "subject": summary,
        "start": {"dateTime": "2003-06-10T10:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2003-06-10T11:00:00", "timeZone": "UTC"},
    }
    graph.json("POST", f"/calendars/{graph.calendar_id('Projects')}/events", json=body)
    path = f"/{demo.auth[0]}/projects-m365/"
    june = FILTER.replace(RANGE, 'start="20030601T000000Z" end="20030701T000000Z"')
    query = (
        f"<C:calendar-query {NS}><D:prop><D:getetag/><C:calendar-data/></D:prop>{june}"
        "</C:calendar-query>"
    )
    answer = _report(demo, path, query)
    href, text = next(iter(_mine(_responses(answer), summary).items()))
    etag = next(
        r.findtext(f"{DAV}propstat/{DAV}prop/{DAV}getetag")
        for r in ET.fromstring(answer.content).iter(f"{DAV}response")
        if r.findtext(f"{DAV}href") == href
    )
    url = demo.url.rstrip("/") + href
    edited = text.replace(f"SUMMARY:{summary}", f"SUMMARY:{summary} (edited)")
    put = requests.put(
        url,
        data=edited.encode(),
        headers={"If-Match": str(etag), "Content-Type": "text/calendar"},
        auth=demo.auth,
        timeout=60,
    )
    assert put.status_code in (201, 204), put.text
    assert graph.events("Projects", summary) == []
    assert len(graph.events("Projects", f"{summary} (edited)")) == 1  # the same event, edited
    assert requests.delete(url, auth=demo.auth, timeout=60).status_code in (200, 204)
    assert graph.events("Projects", f"{summary} (edited)") == []
