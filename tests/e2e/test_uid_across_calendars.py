"""The same UID in two calendars of one account is two separate events, on every provider
(issue 11, points 2 and 6): CalDAV keeps UIDs unique per collection (RFC 4791 §5.3.2.1), so a
client that copies an event into a second calendar gets a copy, and editing one leaves the
other alone — also on Exchange, which keeps one item per UID in a mailbox (the copy is stored
under a UID of its own there, the client's UID served from the overlay)."""

from __future__ import annotations

import uuid
from typing import Any

import caldav
import pytest

from tests.e2e.conftest import EwsAdmin, RunningDemo
from tests.e2e.test_caldav_client import event_ics, soon


@pytest.fixture(scope="module")
def client(demo: RunningDemo) -> caldav.DAVClient:
    user, password = demo.auth
    return caldav.DAVClient(url=demo.url, username=user, password=password)


def _calendar(client: caldav.DAVClient, name: str) -> Any:
    return next(c for c in client.principal().get_calendars() if c.get_display_name() == name)


def _summaries(cal: Any, uid: str) -> list[str]:
    return [
        str(e.icalendar_component["SUMMARY"])
        for e in cal.events()
        if str(e.icalendar_component["UID"]) == uid
    ]


@pytest.mark.parametrize("service", ["Microsoft 365", "Google", "Exchange"])
def test_a_uid_copied_into_a_second_calendar_is_a_separate_event(
    client: caldav.DAVClient, demo: RunningDemo, service: str
) -> None:
    first = _calendar(client, f"Projects — {service}")
    second = _calendar(client, f"Calendar — {service}")
    uid = f"copied-{uuid.uuid4()}"
    first.save_event(event_ics(uid, "Offsite", soon(8)))

    copy = second.save_event(event_ics(uid, "Offsite", soon(8)))
    assert _summaries(second, uid) == ["Offsite"]

    copy.icalendar_component["SUMMARY"] = "Offsite (my copy)"
    copy.save()
    assert _summaries(second, uid) == ["Offsite (my copy)"]
    assert _summaries(first, uid) == ["Offsite"]

    if service == "Exchange":  # two items at Exchange, the first one under the client's UID
        ews = EwsAdmin(demo.info)
        assert [i.subject for i in ews.items("Projects") if i.uid == uid] == ["Offsite"]
        assert [
            i.subject for i in ews.items("Calendar") if str(i.uid).startswith(f"{uid}-davbridge")
        ] == ["Offsite (my copy)"]

    copy.delete()
    assert _summaries(second, uid) == []
    assert _summaries(first, uid) == ["Offsite"]
