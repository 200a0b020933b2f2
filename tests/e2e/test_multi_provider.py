"""One bridge user with Microsoft 365, Google and Exchange connected at once (issue 3): all
calendars listed with names that tell them apart, and the same write-through and sync
behaviour for Google and Exchange as for Microsoft 365, driven with python `caldav`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import caldav
import icalendar
import pytest

from tests.e2e.conftest import EwsAdmin, GoogleAdmin, RunningDemo, wait_for
from tests.e2e.test_caldav_client import event_ics, soon, vevents


@pytest.fixture(scope="module")
def client(demo: RunningDemo) -> caldav.DAVClient:
    user, password = demo.auth
    return caldav.DAVClient(url=demo.url, username=user, password=password)


@pytest.fixture(scope="module")
def by_name(client: caldav.DAVClient) -> dict[str, caldav.Calendar]:
    return {c.get_display_name(): c for c in client.principal().get_calendars()}


@pytest.fixture(scope="module")
def google(demo: RunningDemo) -> GoogleAdmin:
    return GoogleAdmin(demo.info)


@pytest.fixture(scope="module")
def ews(demo: RunningDemo) -> EwsAdmin:
    return EwsAdmin(demo.info)


class Side:
    """Provider-side access common to the Google and Exchange checks."""

    def __init__(self, label: str, admin: Any) -> None:
        self.label = label
        self.admin = admin

    def find(self, summary: str) -> list[str]:
        if isinstance(self.admin, GoogleAdmin):
            return [e["id"] for e in self.admin.events("Projects", summary)]
        return [i.id for i in self.admin.items("Projects", summary)]

    def start_of(self, summary: str) -> dt.datetime:
        if isinstance(self.admin, GoogleAdmin):
            ev = self.admin.events("Projects", summary)[0]
            return dt.datetime.fromisoformat(ev["start"]["dateTime"]).astimezone(dt.UTC)
        start = self.admin.items("Projects", summary)[0].start  # an EWSDateTime
        return dt.datetime.fromtimestamp(start.timestamp(), dt.UTC)

    def create(self, summary: str, start: dt.datetime) -> None:
        end = start + dt.timedelta(hours=1)
        if isinstance(self.admin, GoogleAdmin):
            self.admin.api.events().insert(
                calendarId=self.admin.calendar_id("Projects"),
                body={
                    "summary": summary,
                    "start": {"dateTime": start.isoformat()},
                    "end": {"dateTime": end.isoformat()},
                },
            ).execute()
            return
        from exchangelib import CalendarItem, EWSDateTime

        CalendarItem(
            folder=self.admin.folder("Projects"),
            subject=summary,
            start=EWSDateTime.from_datetime(start),
            end=EWSDateTime.from_datetime(end),
        ).save()


@pytest.fixture(params=["Google", "Exchange"])
def side(request: pytest.FixtureRequest, google: GoogleAdmin, ews: EwsAdmin) -> Side:
    return Side(request.param, google if request.param == "Google" else ews)


def test_all_connected_services_are_listed_apart(by_name: dict[str, Any]) -> None:
    for label in ("Microsoft 365", "Google", "Exchange"):
        assert f"Calendar — {label}" in by_name
        assert f"Projects — {label}" in by_name
    assert len(by_name) == len(set(by_name))


def test_each_service_brings_its_events_with_join_links(by_name: dict[str, Any]) -> None:
    for label in ("Google", "Exchange"):
        evs = [ev for o in by_name[f"Calendar — {label}"].get_events() for ev in vevents(o.data)]
        assert len(evs) >= 50, label
        assert any(
            ev.get("X-ZOOM-MEETING") == "TRUE" and ev.get("X-ZOOM-MEETING-ID") for ev in evs
        ), label
        assert any(ev.get("X-ZOOM-MEETING") == "FALSE" for ev in evs), label
        assert any(ev.get("RRULE") for ev in evs), label


def test_google_zoom_add_on_gives_passcode_and_dial_in(by_name: dict[str, Any]) -> None:
    evs = [ev for o in by_name["Calendar — Google"].get_events() for ev in vevents(o.data)]
    assert any(ev.get("X-ZOOM-PASSCODE") and ev.get("X-ZOOM-DIAL") for ev in evs)


def test_create_move_delete_reach_the_same_provider_event(
    by_name: dict[str, Any], side: Side
) -> None:
    cal = by_name[f"Projects — {side.label}"]
    uid = f"multi-{uuid.uuid4()}"
    summary = f"Multi {side.label} {uid[-6:]}"
    start = soon(3, 10)
    cal.add_event(event_ics(uid, summary, start))
    ids = wait_for(lambda: side.find(summary))
    assert len(ids) == 1

    obj = cal.get_event_by_uid(uid)
    ical = icalendar.Calendar.from_ical(obj.data)
    ev = next(iter(ical.walk("VEVENT")))
    del ev["DTSTART"], ev["DTEND"]
    ev.add("DTSTART", start + dt.timedelta(hours=3))
    ev.add("DTEND", start + dt.timedelta(hours=4))
    obj.data = ical.to_ical().decode()
    obj.save()
    assert side.find(summary) == ids
    assert side.start_of(summary) == start + dt.timedelta(hours=3)

    cal.get_event_by_uid(uid).delete()
    assert side.find(summary) == []


def test_provider_side_changes_arrive_by_sync_collection(
    by_name: dict[str, Any], side: Side
) -> None:
    cal = by_name[f"Projects — {side.label}"]
    token = cal.get_objects_by_sync_token(load_objects=False).sync_token
    summary = f"Made at {side.label} {uuid.uuid4().hex[:6]}"
    side.create(summary, soon(6, 15))

    def arrived() -> Any:
        result = cal.get_objects_by_sync_token(sync_token=token, load_objects=True)
        return [o for o in result if o.data and summary in o.data]

    assert len(wait_for(arrived, timeout=40)) == 1
