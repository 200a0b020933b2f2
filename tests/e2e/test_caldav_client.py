"""End to end with the python `caldav` client against `davbridge demo`: discovery, faithful
events with join-link metadata, write-through with ETags, sync-collection, bad input."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import caldav
import icalendar
import pytest
import requests

from tests.e2e.conftest import GraphAdmin, RunningDemo, graph_calendars, wait_for


@pytest.fixture(scope="module")
def client(demo: RunningDemo) -> caldav.DAVClient:
    user, password = demo.auth
    return caldav.DAVClient(url=demo.url, username=user, password=password)


@pytest.fixture(scope="module")
def calendars(client: caldav.DAVClient) -> dict[str, caldav.Calendar]:
    return graph_calendars(client)


def http(
    demo: RunningDemo, method: str, path: str, body: str | bytes | None = None, **headers: str
) -> requests.Response:
    url = demo.url.rstrip("/") + path
    return requests.request(
        method, url, data=body, headers=headers, auth=demo.auth, timeout=60, allow_redirects=False
    )


def cal_path(cal: caldav.Calendar) -> str:
    return str(cal.url.path)


def vevents(text: str) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(text).walk("VEVENT"))


def find(cal: caldav.Calendar, summary: str) -> Any:
    for obj in cal.get_events():
        if any(str(ev.get("SUMMARY")) == summary for ev in vevents(obj.data)):
            return obj
    raise AssertionError(f"no event {summary!r}")


def event_ics(
    uid: str, summary: str, start: dt.datetime, minutes: int = 30, extra: str = ""
) -> str:
    end = start + dt.timedelta(minutes=minutes)
    fmt = "%Y%m%dT%H%M%SZ"
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start.strftime(fmt)}\r\n"
        f"DTEND:{end.strftime(fmt)}\r\nSUMMARY:{summary}\r\n{extra}END:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )


def soon(days: int = 3, hour: int = 9) -> dt.datetime:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


# -- discovery (C1) -------------------------------------------------------------------------


def test_well_known_redirects_to_the_dav_root(demo: RunningDemo) -> None:
    r = http(demo, "PROPFIND", "/.well-known/caldav", Depth="0")
    assert r.status_code in (301, 302, 303, 307, 308)


def test_every_provider_calendar_is_a_collection(calendars: dict[str, Any]) -> None:
    assert {"Calendar", "Projects"} <= set(calendars)
    assert any(name.startswith("Team Holidays") for name in calendars)


def test_read_only_calendar_reports_no_write_privilege(
    demo: RunningDemo, calendars: dict[str, Any]
) -> None:
    holidays = next(c for n, c in calendars.items() if n.startswith("Team Holidays"))
    body = (
        '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop>'
        "<d:current-user-privilege-set/></d:prop></d:propfind>"
    )
    r = http(demo, "PROPFIND", cal_path(holidays), body, Depth="0")
    assert r.status_code == 207
    assert "read" in r.text and "write-content" not in r.text
    r = http(demo, "PROPFIND", cal_path(calendars["Calendar"]), body, Depth="0")
    assert "write-content" in r.text


def test_collection_properties_clients_configure_from(
    demo: RunningDemo, calendars: dict[str, Any]
) -> None:
    body = (
        '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" '
        'xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">'
        "<d:prop><cs:getctag/><d:sync-token/><c:supported-calendar-component-set/>"
        "<d:displayname/></d:prop></d:propfind>"
    )
    r = http(demo, "PROPFIND", cal_path(calendars["Calendar"]), body, Depth="0")
    assert r.status_code == 207
    assert "getctag" in r.text and "http://davbridge.org/ns/sync/" in r.text
    assert 'name="VEVENT"' in r.text


# -- faithful events and join links (C2, C3) ------------------------------------------------


def test_zoom_meeting_carries_join_metadata(calendars: dict[str, Any]) -> None:
    objs = calendars["Calendar"].get_events()
    zooms = [ev for o in objs for ev in vevents(o.data) if ev.get("X-ZOOM-MEETING") == "TRUE"]
    assert len(zooms) >= 3
    with_id = [ev for ev in zooms if ev.get("X-ZOOM-MEETING-ID")]
    assert with_id and all(str(ev["X-ZOOM-MEETING-ID"]).isdigit() for ev in with_id)
    assert any(ev.get("X-ZOOM-PASSCODE") for ev in zooms)
    assert all(str(ev.get("X-ZOOM-JOIN-URL", "")).startswith("https://") for ev in zooms)
    assert any(ev.get("CONFERENCE") for ev in zooms)
    for o in objs:  # host start links are secrets
        assert "zak=" not in o.data


def test_plain_events_are_marked_not_zoom(calendars: dict[str, Any]) -> None:
    evs = [ev for o in calendars["Calendar"].get_events() for ev in vevents(o.data)]
    assert all(ev.get("X-ZOOM-MEETING") in ("TRUE", "FALSE") for ev in evs)
    plain = [ev for ev in evs if ev.get("X-ZOOM-MEETING") == "FALSE"]
    assert plain and all(not ev.get("X-ZOOM-JOIN-URL") for ev in plain)


def test_weekly_series_is_one_resource_with_exception_and_cancellation(
    calendars: dict[str, Any],
) -> None:
    series = [
        o
        for c in calendars.values()
        for o in c.get_events()
        if any(
            ev.get("RRULE") and "WEEKLY" in ev["RRULE"].to_ical().decode() for ev in vevents(o.data)
        )
    ]
    assert series
    shaped = [o for o in series if len(vevents(o.data)) > 1 and "EXDATE" in o.data]
    assert shaped, "a weekly series with a moved and a cancelled occurrence"
    evs = vevents(shaped[0].data)
    assert len({str(e["UID"]) for e in evs}) == 1
    assert any(e.get("RECURRENCE-ID") for e in evs)
    assert "BEGIN:VTIMEZONE" in shaped[0].data


# -- write-through (C5) ---------------------------------------------------------------------


def test_create_move_and_delete_change_the_same_provider_event(
    calendars: dict[str, Any], graph: GraphAdmin
) -> None:
    cal = calendars["Projects"]
    uid = f"e2e-{uuid.uuid4()}"
    start = soon()
    cal.add_event(event_ics(uid, "E2E planning", start))
    provider = wait_for(lambda: graph.events("Projects", "E2E planning"))
    assert len(provider) == 1
    graph_id = provider[0]["id"]

    obj = cal.get_event_by_uid(uid)
    ical = icalendar.Calendar.from_ical(obj.data)
    ev = next(iter(ical.walk("VEVENT")))
    del ev["DTSTART"], ev["DTEND"]
    ev.add("DTSTART", start + dt.timedelta(hours=2))
    ev.add("DTEND", start + dt.timedelta(hours=3))
    obj.data = ical.to_ical().decode()
    obj.save()
    after = graph.events("Projects", "E2E planning")
    assert [e["id"] for e in after] == [graph_id]  # same event, no duplicate
    moved = dt.datetime.fromisoformat(after[0]["start"]["dateTime"][:19]).replace(tzinfo=dt.UTC)
    assert moved == start + dt.timedelta(hours=2)

    cal.get_event_by_uid(uid).delete()
    assert graph.events("Projects", "E2E planning") == []


def test_stale_edit_gets_412_and_changes_nothing(
    demo: RunningDemo, calendars: dict[str, Any], graph: GraphAdmin
) -> None:
    cal = calendars["Projects"]
    uid = f"e2e-{uuid.uuid4()}"
    cal.add_event(event_ics(uid, "E2E stale", soon(4)))
    obj = cal.get_event_by_uid(uid)
    href = str(obj.url.path)
    etag = http(demo, "GET", href).headers["ETag"]
    gid = graph.events("Projects", "E2E stale")[0]["id"]
    graph.json("PATCH", f"/events/{gid}", json={"subject": "E2E stale (edited in Outlook)"})
    r = http(
        demo,
        "PUT",
        href,
        event_ics(uid, "E2E stale (client)", soon(4)),
        **{"If-Match": etag, "Content-Type": "text/calendar"},
    )
    assert r.status_code == 412
    assert graph.events("Projects", "E2E stale (edited in Outlook)")
    assert not graph.events("Projects", "E2E stale (client)")


def test_read_only_calendar_refuses_with_a_reason(
    demo: RunningDemo, calendars: dict[str, Any]
) -> None:
    holidays = next(c for n, c in calendars.items() if n.startswith("Team Holidays"))
    r = http(
        demo,
        "PUT",
        cal_path(holidays) + "x.ics",
        event_ics("ro-1", "nope", soon()),
        **{"Content-Type": "text/calendar"},
    )
    assert r.status_code == 403 and "read-only" in r.text


def test_occurrence_edit_becomes_a_provider_exception(
    calendars: dict[str, Any], graph: GraphAdmin
) -> None:
    cal = calendars["Projects"]
    uid = f"e2e-series-{uuid.uuid4()}"
    start = soon(7, 8)
    cal.add_event(event_ics(uid, "E2E daily", start, extra="RRULE:FREQ=DAILY;COUNT=5\r\n"))
    obj = cal.get_event_by_uid(uid)
    ical = icalendar.Calendar.from_ical(obj.data)
    master = next(iter(ical.walk("VEVENT")))
    override = icalendar.Event()
    second = start + dt.timedelta(days=1)
    override.add("UID", uid)
    override.add("RECURRENCE-ID", second)
    override.add("DTSTART", second + dt.timedelta(hours=1))
    override.add("DTEND", second + dt.timedelta(hours=1, minutes=30))
    override.add("SUMMARY", "E2E daily (moved)")
    override.add("DTSTAMP", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    master.add("EXDATE", start + dt.timedelta(days=3))
    ical.add_component(override)
    obj.data = ical.to_ical().decode()
    obj.save()
    series = graph.events("Projects", "E2E daily")
    assert len(series) == 1 and series[0]["type"] == "seriesMaster"
    inst = graph.json(
        "GET",
        f"/events/{series[0]['id']}/instances?startDateTime="
        f"{start.isoformat()}&endDateTime={(start + dt.timedelta(days=6)).isoformat()}",
    )
    kinds = sorted(i["type"] for i in inst["value"])
    assert kinds.count("exception") == 1 and len(kinds) == 4  # one moved, one cancelled
    back = cal.get_event_by_uid(uid).data
    assert "RECURRENCE-ID" in back and "EXDATE" in back


def test_one_occurrence_edited_again_after_another_was_edited(calendars: dict[str, Any]) -> None:
    # python-caldav's testEditSingleRecurrence: each edit is a GET of the whole series and a
    # PUT with its ETag; the third one used to get 412 from Microsoft 365
    cal = calendars["Projects"]
    uid = f"e2e-reedit-{uuid.uuid4()}"
    start = soon(9, 8)
    cal.add_event(event_ics(uid, "E2E reedit", start, extra="RRULE:FREQ=DAILY;COUNT=6\r\n"))

    def edit(day: int, summary: str) -> None:
        found = cal.search(
            event=True,
            start=start + dt.timedelta(days=day, hours=-1),
            end=start + dt.timedelta(days=day, hours=1),
            expand=True,
        )
        assert len(found) == 1
        found[0].icalendar_component["SUMMARY"] = summary
        found[0].save()

    edit(3, "E2E half")
    edit(1, "E2E month")
    edit(3, "E2E six")
    summaries = sorted(str(ev["SUMMARY"]) for ev in vevents(cal.get_event_by_uid(uid).data))
    assert summaries == ["E2E month", "E2E reedit", "E2E six"]


# -- provider changes reach clients (C6) ----------------------------------------------------


def test_sync_collection_returns_only_provider_changes(
    calendars: dict[str, Any], graph: GraphAdmin
) -> None:
    cal = calendars["Calendar"]
    first = cal.get_objects_by_sync_token(load_objects=False)
    token = first.sync_token
    cid = graph.calendar_id("Calendar")
    start = soon(5, 14)
    made = graph.json(
        "POST",
        f"/calendars/{cid}/events",
        json={
            "subject": "Made in Outlook",
            "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {
                "dateTime": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "UTC",
            },
        },
    )

    def changed() -> Any:
        result = cal.get_objects_by_sync_token(sync_token=token, load_objects=True)
        return result if len(list(result)) else None

    result = wait_for(changed, timeout=30)
    objs = list(result)
    assert len(objs) == 1 and "Made in Outlook" in objs[0].data
    token = result.sync_token
    graph.json("DELETE", f"/events/{made['id']}")

    def deleted() -> Any:
        r = cal.get_objects_by_sync_token(sync_token=token, load_objects=False)
        return r if len(list(r)) else None

    assert len(list(wait_for(deleted, timeout=30))) == 1
    assert not [o for o in cal.get_events() if "Made in Outlook" in o.data]


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ("BEGIN:VCALENDAR\r\nthis is not icalendar", 400, "Malformed iCalendar"),
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:"
            "20260101T000000Z\r\nSUMMARY:todo\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
            403,  # RFC 4791 §5.3.2.1 precondition CALDAV:supported-calendar-component
            "supported-calendar-component",
        ),
    ],
)
def test_bad_calendar_data_is_refused_and_nothing_changes(
    demo: RunningDemo,
    calendars: dict[str, Any],
    graph: GraphAdmin,
    body: str,
    status: int,
    words: str,
) -> None:
    before = len(graph.events("Projects"))
    r = http(
        demo,
        "PUT",
        cal_path(calendars["Projects"]) + f"bad-{uuid.uuid4()}.ics",
        body,
        **{"Content-Type": "text/calendar"},
    )
    assert r.status_code == status
    assert words in r.text
    assert len(graph.events("Projects")) == before


def test_uid_clash_is_a_conflict(demo: RunningDemo, calendars: dict[str, Any]) -> None:
    cal = calendars["Projects"]
    uid = f"e2e-clash-{uuid.uuid4()}"
    cal.add_event(event_ics(uid, "E2E clash", soon(9)))
    r = http(
        demo,
        "PUT",
        cal_path(cal) + "another-name.ics",
        event_ics(uid, "dup", soon(9)),
        **{"Content-Type": "text/calendar"},
    )
    assert r.status_code == 409


def test_oversized_body_gets_413(demo: RunningDemo, calendars: dict[str, Any]) -> None:
    """The refusal comes as soon as the headers announce too much, before any body is read."""
    import http.client
    import urllib.parse

    url = urllib.parse.urlparse(demo.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.putrequest("PUT", cal_path(calendars["Projects"]) + "big.ics")
    conn.putheader("Content-Type", "text/calendar")
    conn.putheader("Content-Length", "11000000")
    token = requests.auth._basic_auth_str(*demo.auth)
    conn.putheader("Authorization", token)
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413
    assert b"Too Large" in response.read()
    conn.close()


def test_unknown_paths_are_404(demo: RunningDemo) -> None:
    assert http(demo, "GET", "/demo/no-such-calendar/x.ics").status_code == 404
    assert http(demo, "PROPFIND", "/demo/no-such-calendar/", Depth="0").status_code == 404


def test_xml_bomb_is_refused(demo: RunningDemo) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<d:propfind xmlns:d="DAV:"><d:prop><d:displayname>&b;</d:displayname>'
        "</d:prop></d:propfind>"
    )
    assert http(demo, "PROPFIND", "/demo/", bomb, Depth="0").status_code == 400


def test_other_users_cannot_be_reached(demo: RunningDemo) -> None:
    r = requests.request(
        "PROPFIND",
        demo.url + "demo/",
        auth=("demo", "wrong-password"),
        headers={"Depth": "0"},
        timeout=30,
    )
    assert r.status_code == 401


# -- the bulk fast paths answer exactly what Radicale would ---------------------------------


def _responses(xml: str) -> dict[str, dict[str, str]]:
    import xml.etree.ElementTree as ET

    out: dict[str, dict[str, str]] = {}
    for resp in ET.fromstring(xml).iter("{DAV:}response"):
        href = resp.findtext("{DAV:}href") or ""
        props: dict[str, str] = {}
        for propstat in resp.iter("{DAV:}propstat"):
            if "200" not in (propstat.findtext("{DAV:}status") or ""):
                continue
            for prop in propstat.iter("{DAV:}prop"):
                for child in prop:
                    inner = "".join(sorted(c.tag for c in child))  # e.g. resourcetype
                    props[child.tag] = (child.text or "").replace("\r\n", "\n") + inner
        out[href] = props
    return out


@pytest.mark.parametrize(
    "props", ["<d:getetag/><d:getcontenttype/>", "<d:resourcetype/><d:getetag/>"]
)
def test_fast_propfind_matches_radicale(
    demo: RunningDemo, calendars: dict[str, Any], props: str
) -> None:
    path = cal_path(calendars["Calendar"])
    fast = http(
        demo,
        "PROPFIND",
        path,
        f'<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop>{props}</d:prop></d:propfind>',
        Depth="1",
    )
    # asking one more property makes Radicale's general code answer
    slow = http(
        demo,
        "PROPFIND",
        path,
        '<?xml version="1.0"?><d:propfind xmlns:d="DAV:">'
        f"<d:prop>{props}<d:displayname/></d:prop></d:propfind>",
        Depth="1",
    )
    assert fast.status_code == slow.status_code == 207
    f, s = _responses(fast.text), _responses(slow.text)
    assert len(f) > 50 and f.keys() == s.keys()
    for href, props in f.items():
        assert {k: v for k, v in s[href].items() if k != "{DAV:}displayname"} == props


@pytest.mark.parametrize("count", [40, 10_000])
def test_fast_multiget_matches_radicale(
    demo: RunningDemo, calendars: dict[str, Any], count: int
) -> None:
    path = cal_path(calendars["Calendar"])
    listing = _responses(
        http(
            demo,
            "PROPFIND",
            path,
            '<?xml version="1.0"?><d:propfind '
            'xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>',
            Depth="1",
        ).text
    )
    hrefs = [h for h in listing if h != path][:count] + [path + "missing.ics"]
    refs = "".join(f"<d:href>{h}</d:href>" for h in hrefs)

    def report(props: str) -> dict[str, dict[str, str]]:
        body = (
            '<?xml version="1.0"?><c:calendar-multiget xmlns:d="DAV:" '
            f'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop>{props}</d:prop>{refs}'
            "</c:calendar-multiget>"
        )
        r = http(demo, "REPORT", path, body, Depth="1")
        assert r.status_code == 207
        return _responses(r.text)

    fast = report("<d:getetag/><c:calendar-data/>")
    slow = report("<d:getetag/><c:calendar-data/><d:getcontenttype/>")
    assert fast.keys() == slow.keys() and len(fast) == min(count, len(listing) - 1) + 1
    assert fast[path + "missing.ics"] == {}
    for href, props in fast.items():
        assert {k: v for k, v in slow[href].items() if "getcontenttype" not in k} == props
