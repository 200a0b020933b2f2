"""A series a client writes is served with all its exceptions, also those dated before the
sync window (issue 11, point 3; python-caldav 3.6 `testIssue397`, whose steps are repeated
here): the exception is stored at the provider and must come back when the series is read.
Through DAV on one provider (the DAV side is the same for all); every provider, and reads
after pulls, are in tests/contract/test_series_window.py with testIssue397's own calendar."""

from __future__ import annotations

import uuid

import caldav
import icalendar
import pytest
from caldav import Event

from tests.e2e.conftest import RunningDemo
from tests.e2e.test_sync_window import SUFFIXES

# testIssue397's series and exception (python-caldav 3.6 tests/test_caldav.py), its own UID
# replaced by a fresh one so that runs do not meet each other.
SERIES = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//PeterB//caldav//en_DK
BEGIN:VEVENT
SUMMARY:recurrence with attendee one single item
DTSTART;TZID=Europe/Zurich:20240101T090000
DTEND;TZID=Europe/Zurich:20240101T180000
UID:{uid}
DESCRIPTION:this is the recurrent series
TRANSP:OPAQUE
RRULE:FREQ=WEEKLY;BYDAY=TU,WE,TH
END:VEVENT
BEGIN:VEVENT
SUMMARY:single item
DTSTART;TZID=Europe/Zurich:20240605T090000
DTEND;TZID=Europe/Zurich:20240605T170000
UID:{uid}
DESCRIPTION:this is the single item assigning a attendee to just one event
ATTENDEE:foo.bar@corge.baz
RECURRENCE-ID:20240605T070000Z
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture(scope="module")
def client(demo: RunningDemo) -> caldav.DAVClient:
    user, password = demo.auth
    return caldav.DAVClient(url=demo.url, username=user, password=password)


def _events(obj: caldav.CalendarObjectResource) -> list[icalendar.Event]:
    return [c for c in obj.icalendar_instance.subcomponents if isinstance(c, icalendar.Event)]


def _exception_of(obj: caldav.CalendarObjectResource) -> icalendar.Event:
    found = [e for e in _events(obj) if e.get("RECURRENCE-ID") is not None]
    assert len(found) == 1, obj.data
    return found[0]


def test_an_exception_before_the_window_is_served_with_its_series(
    demo: RunningDemo, client: caldav.DAVClient
) -> None:
    service = "google"
    cal = next(
        c
        for c in client.principal().get_calendars()
        if c.get_display_name() == "Projects" + SUFFIXES[service]
    )
    uid = f"issue397-{uuid.uuid4()}"
    cal.add_event(SERIES.format(uid=uid))
    try:
        by_uid = cal.get_object_by_uid(uid, comp_class=Event)
        assert len(_events(by_uid)) == 2, by_uid.data
        exception = _exception_of(by_uid)
        assert str(exception["SUMMARY"]) == "single item"
        assert "foo.bar@corge.baz" in str(exception.get("ATTENDEE")).lower()
        assert len(_events(cal.get_object_by_uid(uid, comp_class=None))) == 2
    finally:
        cal.get_object_by_uid(uid).delete()
