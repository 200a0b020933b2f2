"""The sync window never deletes what a client wrote (issue 11, point 3): an event a client
writes far outside the window stays served after incremental and full pulls, on every
provider, and leaves DAV once it is deleted at the provider (at the next full pull)."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import caldav
import pytest
import requests

from tests.e2e.conftest import EwsAdmin, GoogleAdmin, GraphAdmin, RunningDemo
from tests.e2e.test_caldav_client import event_ics

SUFFIXES = {"m365": " — Microsoft 365", "google": " — Google", "exchange": " — Exchange"}


@pytest.fixture(scope="module")
def client(demo: RunningDemo) -> caldav.DAVClient:
    user, password = demo.auth
    return caldav.DAVClient(url=demo.url, username=user, password=password)


def _expire_cursors(demo: RunningDemo, service: str) -> None:
    """Make the next pull a full listing (reset), as an expired cursor does."""
    if service == "m365":
        GraphAdmin(demo.info).ctl("POST", "/delta/expire")
        return
    if service == "google":
        url = demo.info["google"]["control_url"] + "/sync/expire"
        verify = demo.info["google"]["ca_file"]
    else:
        url = demo.info["ews"]["control_url"] + "/invalidate-sync-states"
        verify = True
    answer = requests.post(url, timeout=30, verify=verify)
    assert answer.status_code < 300, answer.text


def _hrefs(cal: caldav.Calendar) -> set[str]:
    """Every resource of the calendar, as a sync-collection client lists it."""
    return {str(o.url).rsplit("/", 1)[-1] for o in cal.objects_by_sync_token(load_objects=False)}


@pytest.mark.parametrize("service", ["m365", "google", "exchange"])
def test_an_event_written_far_outside_the_window_stays_served(
    demo: RunningDemo, client: caldav.DAVClient, service: str
) -> None:
    cal = next(
        c
        for c in client.principal().get_calendars()
        if c.get_display_name() == "Projects" + SUFFIXES[service]
    )
    uid = f"y2k-{uuid.uuid4()}"
    start = dt.datetime(2000, 1, 10, 9, tzinfo=dt.UTC)
    saved = cal.save_event(event_ics(uid, "Millennium review", start))
    name = str(saved.url).rsplit("/", 1)[-1]
    time.sleep(2.5)  # a few refresh intervals (1 s in the e2e demo): incremental pulls
    assert name in _hrefs(cal)
    _expire_cursors(demo, service)
    time.sleep(2.5)  # the next pull lists the window afresh
    assert name in _hrefs(cal)
    assert "Millennium review" in cal.event_by_url(saved.url).data
    # a time-range query over the event's own dates finds it
    found = cal.search(event=True, start=start, end=start + dt.timedelta(hours=2))
    assert uid in [str(e.icalendar_component["UID"]) for e in found]
    saved.delete()


def _create_at_provider(demo: RunningDemo, service: str, summary: str, start: dt.datetime) -> None:
    end = start + dt.timedelta(hours=1)
    if service == "m365":
        graph = GraphAdmin(demo.info)
        body = {
            "subject": summary,
            "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        }
        graph.json("POST", f"/calendars/{graph.calendar_id('Projects')}/events", json=body)
    elif service == "google":
        google = GoogleAdmin(demo.info)
        google.api.events().insert(
            calendarId=google.calendar_id("Projects"),
            body={
                "summary": summary,
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": end.isoformat()},
            },
        ).execute()
    else:
        from exchangelib import CalendarItem, EWSDateTime

        CalendarItem(
            folder=EwsAdmin(demo.info).folder("Projects"),
            subject=summary,
            start=EWSDateTime.from_datetime(start),
            end=EWSDateTime.from_datetime(end),
        ).save()


@pytest.mark.parametrize("service", ["m365", "google", "exchange"])
def test_a_time_range_query_beyond_the_window_is_answered_from_the_provider(
    demo: RunningDemo, client: caldav.DAVClient, service: str
) -> None:
    summary = f"Archive {uuid.uuid4().hex[:8]}"
    start = dt.datetime(2003, 5, 6, 10, tzinfo=dt.UTC)
    _create_at_provider(demo, service, summary, start)
    cal = next(
        c
        for c in client.principal().get_calendars()
        if c.get_display_name() == "Projects" + SUFFIXES[service]
    )
    found = cal.search(
        event=True, start=start - dt.timedelta(days=1), end=start + dt.timedelta(days=1)
    )
    assert summary in [str(e.icalendar_component["SUMMARY"]) for e in found]
    # the window itself is unchanged: a sync-collection client does not get the old event
    assert summary not in {
        str(o.icalendar_component.get("SUMMARY"))
        for o in cal.objects_by_sync_token(load_objects=True)
    }
