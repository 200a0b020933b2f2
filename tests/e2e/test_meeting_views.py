"""End to end against the shared `davbridge demo`: the meeting views (C4) "Zoom meetings" and
"Hosted by me" as clients see them, with python `caldav` and raw sync-collection REPORTs —
contents, the source's ETags and bytes under hrefs naming the source calendar, their own sync
tokens, 403 naming the source calendar on a write, and the user's switches in the portal (put
back, with the event the test made, when it ends)."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import caldav
import icalendar
import pytest
import requests

from tests.e2e.conftest import GraphAdmin, RunningDemo, wait_for
from tests.e2e.portal_client import PortalUser, collections, dav, sign_in

NS = {"d": "DAV:"}


@pytest.fixture(scope="module")
def user(demo: RunningDemo) -> str:
    return str(demo.auth[0])


@pytest.fixture(scope="module")
def portal(demo: RunningDemo, user: str) -> PortalUser:
    return sign_in(demo, user, str(demo.info["portal_password"]))


def _paths(demo: RunningDemo, user: str) -> dict[str, Any]:
    return {c.display_name: c for c in collections(demo, user, demo.auth)}


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
    assert "Zoom meetings" not in _paths(demo, user)  # off by default
    graph = GraphAdmin(demo.info)
    made: list[str] = []
    try:
        _switch(portal, "zoom", True)
        _switch(portal, "hosted", True)
        _check_views(demo, user, portal, graph, made)
    finally:
        _switch(portal, "zoom", False)
        _switch(portal, "hosted", False)
        for event_id in made:
            graph.call("DELETE", f"/events/{event_id}")


def _check_views(
    demo: RunningDemo, user: str, portal: PortalUser, graph: GraphAdmin, made: list[str]
) -> None:
    found = _paths(demo, user)
    zoom_path, hosted_path = found["Zoom meetings"].path, found["Hosted by me"].path
    assert not found["Zoom meetings"].writable and not found["Hosted by me"].writable

    client = caldav.DAVClient(url=demo.url, username=user, password=demo.auth[1])
    real = [
        c
        for n, c in found.items()
        if c.kind == "calendar" and n not in ("Zoom meetings", "Hosted by me")
    ]
    account = str(demo.info["sandbox"]["user"]).lower()

    def organizer(ev: icalendar.Event) -> str:
        return str(ev.get("ORGANIZER") or "").lower().removeprefix("mailto:")

    def contents() -> tuple[set[str], set[str], set[str], set[str]]:
        """(Zoom UIDs of the calendars, of the view; UIDs the account organises, of the view)"""
        sources = [
            ev
            for c in real
            for _, ev in _events(client.calendar(url=demo.url.rstrip("/") + c.path))
        ]
        view = _events(client.calendar(url=demo.url.rstrip("/") + zoom_path))
        hosted = _events(client.calendar(url=demo.url.rstrip("/") + hosted_path))
        assert all(ev.get("X-ZOOM-MEETING") == "TRUE" for _, ev in view)
        assert all(organizer(ev) in ("", account) for _, ev in hosted)
        return (
            {str(ev["UID"]) for ev in sources if ev.get("X-ZOOM-MEETING") == "TRUE"},
            {str(ev["UID"]) for _, ev in view},
            {str(ev["UID"]) for ev in sources if organizer(ev) == account},
            {str(ev["UID"]) for _, ev in hosted},
        )

    # the same as the calendars once both are read from one state of the mirror (a background
    # pull may land between the two reads)
    def same() -> tuple[set[str], set[str], set[str], set[str]] | None:
        now = contents()
        return now if now[0] == now[1] and now[2] <= now[3] else None

    zoom_uids, _, hosted_uids, _ = wait_for(same, 30)
    assert zoom_uids and hosted_uids
    zooms = _events(client.calendar(url=demo.url.rstrip("/") + zoom_path))

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

    # its own sync tokens: a Zoom meeting made at the provider arrives as a change of the view
    token, live, _ = _sync(demo, zoom_path, "")
    assert live
    other_token, _, _ = _sync(demo, hosted_path, "")
    assert other_token != token
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
    created = graph.json("POST", f"/calendars/{graph.calendar_id('Calendar')}/events", json=body)
    made.append(created["id"])

    def ours(href: str) -> bool:
        return subject in session.get(demo.url.rstrip("/") + urllib.parse.quote(href)).text

    def arrived() -> list[str] | None:
        _, changed, _ = _sync(demo, zoom_path, token)
        return [h for h in changed if ours(h)] or None

    mine = wait_for(arrived, 30)
    assert len(mine) == 1 and re.search(r"/calendar-m365--", mine[0]), mine
    changed = mine
    text = session.get(demo.url.rstrip("/") + urllib.parse.quote(changed[0])).text

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
