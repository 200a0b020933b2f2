"""Calendars and address books managed from DAV clients, at the provider (issue 11, point 1),
and UIDs that behave as on any CalDAV server (point 2). Driven with python `caldav` and raw
WebDAV requests against `davbridge demo`; the provider side is checked through each vendor's
own API."""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import caldav
import pytest
import requests

from tests.e2e.conftest import EwsAdmin, GoogleAdmin, GraphAdmin, RunningDemo, wait_for
from tests.e2e.test_caldav_client import event_ics, soon

DAV = "DAV:"
APPLE = "http://apple.com/ns/ical/"
PROPPATCH = """<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/">
  <D:set><D:prop>{props}</D:prop></D:set>
</D:propertyupdate>"""
MKCALENDAR_TODO = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><C:supported-calendar-component-set><C:comp name="VTODO"/>
  </C:supported-calendar-component-set></D:prop></D:set>
</C:mkcalendar>"""
MKCOL_BOOK = """<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
  <D:displayname>{name}</D:displayname></D:prop></D:set>
</D:mkcol>"""


@pytest.fixture(scope="module")
def client(demo: RunningDemo) -> caldav.DAVClient:
    user, password = demo.auth
    return caldav.DAVClient(url=demo.url, username=user, password=password)


@pytest.fixture(scope="module")
def http(demo: RunningDemo) -> requests.Session:
    session = requests.Session()
    session.auth = demo.auth
    return session


def _provider_calendars(demo: RunningDemo, service: str) -> Callable[[], dict[str, str]]:
    """Name -> colour (or "") of the calendars the provider itself lists."""
    if service == "m365":
        graph = GraphAdmin(demo.info)
        return lambda: {
            c["name"]: str(c.get("color") or "") for c in graph.json("GET", "/calendars")["value"]
        }
    if service == "google":
        google = GoogleAdmin(demo.info)
        return lambda: {
            c["summary"]: str(c.get("backgroundColor") or "")
            for c in google.api.calendarList().list().execute()["items"]
        }
    ews = EwsAdmin(demo.info)

    def listing() -> dict[str, str]:
        ews.account.root.clear_cache()
        return {f.name: "" for f in ews.account.calendar.children}

    return listing


@pytest.mark.parametrize("service", ["m365", "google", "exchange"])
def test_calendar_made_renamed_and_deleted_from_a_client_lands_at_the_provider(
    demo: RunningDemo, client: caldav.DAVClient, http: requests.Session, service: str
) -> None:
    listing = _provider_calendars(demo, service)
    name = f"Trips {uuid.uuid4().hex[:6]}"
    cal_id = f"{service}-{uuid.uuid4().hex[:8]}"
    cal = client.principal().make_calendar(name=name, cal_id=cal_id)
    # at the provider at once, and served under the path the client asked for
    assert name in listing()
    assert str(cal.url).rstrip("/").endswith(cal_id)
    assert cal.get_display_name() == name  # as the client set it (issue 11 d)
    # the new calendar takes events like any other
    ics = event_ics(f"trip-{uuid.uuid4()}", "Train", soon(4))
    cal.save_event(ics)
    assert [e.icalendar_component["SUMMARY"] for e in cal.events()] == ["Train"]

    renamed = f"Journeys {uuid.uuid4().hex[:6]}"
    answer = http.request(
        "PROPPATCH",
        str(cal.url),
        data=PROPPATCH.format(
            props=f"<D:displayname>{renamed}</D:displayname><I:calendar-order>2</I:calendar-order>"
        ),
    )
    assert answer.status_code == 207, answer.text
    # RFC 4918 §9.2: one propstat per outcome; the name is taken, the order is not kept
    ok, refused = answer.text.split("403 Forbidden")[0], answer.text
    assert "displayname" in ok and "200 OK" in ok
    assert "calendar-order" in refused.split("200 OK")[-1]
    assert wait_for(lambda: renamed in listing(), timeout=10)
    assert name not in listing()

    gone = http.delete(str(cal.url))
    assert gone.status_code in (200, 204), gone.text
    assert wait_for(lambda: renamed not in listing(), timeout=10)
    assert http.request("PROPFIND", str(cal.url), headers={"Depth": "0"}).status_code == 404


def _display_name(http: requests.Session, url: str, prop: str = "d:displayname") -> str:
    answer = http.request(
        "PROPFIND",
        url,
        headers={"Depth": "0"},
        data=f'<d:propfind xmlns:d="DAV:" xmlns:i="{APPLE}"><d:prop><{prop}/></d:prop></d:propfind>',
    )
    assert answer.status_code == 207, answer.text
    found = ET.fromstring(answer.content).find(".//{DAV:}prop")
    assert found is not None, answer.text
    return "".join(found.itertext()).strip()


def test_a_name_set_from_a_client_reads_back_as_set_until_renamed_at_the_provider(
    demo: RunningDemo, client: caldav.DAVClient, http: requests.Session, graph: GraphAdmin
) -> None:
    # what a client sets is what it reads back: no " — Microsoft 365" appended (issue 11 d)
    name = f"Chess club {uuid.uuid4().hex[:6]}"
    cal = client.principal().make_calendar(name=name, cal_id=f"m365-{uuid.uuid4().hex[:8]}")
    url = str(cal.url)
    assert _display_name(http, url) == name
    renamed = f"Chess & go {uuid.uuid4().hex[:6]}"
    answer = http.request(
        "PROPPATCH",
        url,
        data=PROPPATCH.format(
            props=f"<D:displayname>{renamed.replace('&', '&amp;')}</D:displayname>"
        ),
    )
    assert answer.status_code == 207 and "200 OK" in answer.text, answer.text
    assert _display_name(http, url) == renamed
    # a colour too: Outlook rounds it to its palette, the client still reads its own back
    answer = http.request(
        "PROPPATCH",
        url,
        data=PROPPATCH.format(props="<I:calendar-color>#123456</I:calendar-color>"),
    )
    assert answer.status_code == 207 and "200 OK" in answer.text, answer.text
    assert _display_name(http, url, "i:calendar-color") == "#123456"
    removal = PROPPATCH.replace("D:set>", "D:remove>").format(props="<I:calendar-color/>")
    answer = http.request("PROPPATCH", url, data=removal)
    assert answer.status_code == 207 and "200 OK" in answer.text, answer.text
    assert _display_name(http, url, "i:calendar-color") == ""
    # the provider keeps the name as typed, without the bridge's label
    gid = graph.calendar_id(renamed)
    # renamed in Outlook afterwards: that name wins, with the service it comes from again
    graph.json("PATCH", f"/calendars/{gid}", json={"name": "Board games"})
    wait_for(lambda: _display_name(http, url) == "Board games — Microsoft 365", timeout=40)
    http.delete(url)


def test_colour_set_from_a_client_reaches_google_as_the_calendar_list_colour(
    demo: RunningDemo, client: caldav.DAVClient, http: requests.Session
) -> None:
    listing = _provider_calendars(demo, "google")
    name = f"Colours {uuid.uuid4().hex[:6]}"
    cal = client.principal().make_calendar(name=name, cal_id=f"google-{uuid.uuid4().hex[:8]}")
    answer = http.request(
        "PROPPATCH",
        str(cal.url),
        data=PROPPATCH.format(props="<I:calendar-color>#16A765FF</I:calendar-color>"),
    )
    assert answer.status_code == 207 and "200 OK" in answer.text, answer.text
    assert listing()[name] == "#16a765"
    http.delete(str(cal.url))


def test_default_calendar_and_shared_calendars_are_not_deleted(
    http: requests.Session, demo: RunningDemo, graph: GraphAdmin
) -> None:
    default = http.delete(demo.url + "demo/calendar-m365/")
    assert default.status_code == 403
    assert "default calendar" in default.text
    shared = http.delete(demo.url + "demo/team-holidays-megan-bowen-m365/")
    assert shared.status_code == 403
    assert "Calendar" in [c["name"] for c in graph.json("GET", "/calendars")["value"]]


def test_journal_only_calendar_is_refused_with_the_caldav_precondition(
    demo: RunningDemo, http: requests.Session
) -> None:
    # to-dos have task lists (tests/e2e/test_tasks.py); journals have nowhere to go
    body = MKCALENDAR_TODO.replace("VTODO", "VJOURNAL")
    answer = http.request("MKCALENDAR", demo.url + "demo/journal-here/", data=body)
    assert answer.status_code == 403
    assert "supported-calendar-component" in answer.text
    assert answer.headers["Content-Type"].count("charset") == 1
    assert http.request("PROPFIND", demo.url + "demo/journal-here/").status_code == 404


def test_address_book_made_from_a_client_is_a_google_contact_group(
    demo: RunningDemo, http: requests.Session
) -> None:
    google = GoogleAdmin(demo.info)
    from googleapiclient.discovery import build

    people = build(
        "people",
        "v1",
        static_discovery=True,
        http=google.api._http,
        client_options={"api_endpoint": demo.info["google"]["people_api_base"]},
    )

    def groups() -> list[str]:
        listed = people.contactGroups().list(pageSize=1000).execute()
        return [g["name"] for g in listed.get("contactGroups", [])]

    name = f"Club {uuid.uuid4().hex[:6]}"
    url = demo.url + f"demo/google-{uuid.uuid4().hex[:8]}/"
    made = http.request("MKCOL", url, data=MKCOL_BOOK.format(name=name))
    assert made.status_code == 201, made.text
    assert name in groups()
    kind = http.request("PROPFIND", url, headers={"Depth": "0"})
    assert "addressbook" in kind.text
    assert http.delete(url).status_code in (200, 204)
    assert name not in groups()


# -- UIDs (point 2) -----------------------------------------------------------------------------
def _calendar(client: caldav.DAVClient, suffix: str) -> Any:
    return next(
        c for c in client.principal().get_calendars() if c.get_display_name() == f"Projects{suffix}"
    )


@pytest.mark.parametrize("suffix", [" — Microsoft 365", " — Google", " — Exchange"])
def test_an_event_can_be_created_again_with_its_uid_after_it_was_deleted(
    client: caldav.DAVClient, suffix: str
) -> None:
    cal = _calendar(client, suffix)
    uid = f"again-{uuid.uuid4()}"
    first = cal.save_event(event_ics(uid, "First life", soon(5)))
    first.delete()
    second = cal.save_event(event_ics(uid, "Second life", soon(5, 11)))
    assert second.icalendar_component["SUMMARY"] == "Second life"
    assert [str(e.icalendar_component["UID"]) for e in cal.events()].count(uid) == 1


def test_exchange_uid_of_an_event_outside_the_window_updates_that_event(
    client: caldav.DAVClient, demo: RunningDemo
) -> None:
    """EWS keeps one item per UID; an item the bridge does not mirror (far outside the sync
    window) no longer blocks its UID with a raw ErrorDuplicateUID."""
    ews = EwsAdmin(demo.info)
    from exchangelib import CalendarItem, EWSDateTime

    uid = f"old-{uuid.uuid4()}"
    start = dt.datetime(2001, 3, 4, 9, tzinfo=dt.UTC)
    CalendarItem(
        folder=ews.folder("Projects"),
        subject="Old meeting",
        uid=uid,
        start=EWSDateTime.from_datetime(start),
        end=EWSDateTime.from_datetime(start + dt.timedelta(hours=1)),
    ).save()
    cal = _calendar(client, " — Exchange")
    saved = cal.save_event(event_ics(uid, "Moved into view", soon(6)))
    assert saved.icalendar_component["SUMMARY"] == "Moved into view"
    items = [i for i in ews.items("Projects") if i.uid == uid]
    assert [i.subject for i in items] == ["Moved into view"]


def test_a_uid_clash_within_a_calendar_names_the_existing_resource(
    demo: RunningDemo, http: requests.Session, client: caldav.DAVClient
) -> None:
    cal = _calendar(client, " — Microsoft 365")
    uid = f"clash-{uuid.uuid4()}"
    cal.save_event(event_ics(uid, "Original", soon(7)))
    answer = http.put(
        str(cal.url) + "another-name.ics",
        data=event_ics(uid, "Copy", soon(7)),
        headers={"Content-Type": "text/calendar", "If-None-Match": "*"},
    )
    assert answer.status_code in (403, 409)
    assert "no-uid-conflict" in answer.text
    # RFC 4791 §5.3.2.1: the precondition names the resource that already has the UID
    assert "/" + uid + ".ics</" in answer.text.replace("%40", "@")


@pytest.mark.parametrize("component", ["VTODO", "VJOURNAL"])
def test_a_todo_or_journal_put_into_an_event_calendar_names_the_precondition(
    demo: RunningDemo, http: requests.Session, component: str
) -> None:
    body = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        f"BEGIN:{component}\r\nUID:{uuid.uuid4()}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"SUMMARY:Water the plants\r\nEND:{component}\r\nEND:VCALENDAR\r\n"
    )
    answer = http.put(
        demo.url + "demo/projects-m365/plants.ics",
        data=body,
        headers={"Content-Type": "text/calendar"},
    )
    assert answer.status_code == 403
    assert "supported-calendar-component" in answer.text
    assert answer.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert http.get(demo.url + "demo/projects-m365/plants.ics").status_code == 404


def test_plain_text_refusals_carry_one_charset(demo: RunningDemo, http: requests.Session) -> None:
    answer = http.delete(demo.url + "demo/calendar-google/")
    assert answer.status_code == 403
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
