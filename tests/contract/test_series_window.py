# ruff: noqa: F811  (sandbox fixtures are imported so that `contract` can request them)
"""A series is read with all its exceptions, also those dated before the sync window (issue 11,
point 3; python-caldav `testIssue397`): whether the series comes from a create, a fetch, a full
listing or an incremental one, its override and its cancelled occurrence from before the window
are part of it. Run for Graph, Google and EWS against their sandboxes."""

from __future__ import annotations

import datetime as dt

from tests.contract.ews_harness import ews_sandbox  # noqa: F401
from tests.contract.google_harness import (  # noqa: F401
    gh_fixture,
    google_control_fixture,
    google_sandbox_fixture,
)
from tests.contract.harness import ProviderHarness, contract  # noqa: F401
from tests.contract.test_calendar_contract import (
    calendar,
    exdates_of,
    overrides_of,
    vcalendar,
    vevent,
)

UTC = dt.UTC


def _monday_before(instant: dt.datetime, weeks: int) -> dt.datetime:
    day = instant.astimezone(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    return day - dt.timedelta(days=day.weekday(), weeks=weeks)


def test_exceptions_before_the_window_are_part_of_the_series(contract: ProviderHarness) -> None:
    h = contract
    provider = h.provider()
    cal = calendar(provider, "Projects")
    start = _monday_before(h.window.start, 60)  # a weekly series begun over a year before
    moved = start + dt.timedelta(weeks=20)  # its 21st occurrence: edited, before the window
    cancelled = start + dt.timedelta(weeks=30)  # its 31st: cancelled, before the window
    inside = _monday_before(h.window.start, -4)  # an occurrence inside the window, edited too
    assert moved < h.window.start and cancelled < h.window.start < inside
    rule = "FREQ=WEEKLY"
    master = vevent("old-series-1", "Weekly sync", start, rrule=rule).replace(
        "END:VEVENT", f"EXDATE:{cancelled.strftime('%Y%m%dT%H%M%SZ')}\r\nEND:VEVENT"
    )
    ical = vcalendar(
        master,
        vevent("old-series-1", "Weekly sync (moved)", moved + dt.timedelta(hours=2), "", moved),
        vevent("old-series-1", "Weekly sync (inside)", inside + dt.timedelta(hours=1), "", inside),
    )

    created = provider.create(cal, ical, "key-old-series-1", h.window)
    first = provider.pull(cal, None, h.window)
    h.rename(cal, created.remote_id, "Weekly sync, renamed")  # a provider-side change
    later = provider.pull(cal, first.cursor, h.window)
    fetched = provider.fetch(cal, created.remote_id, h.window)

    reads = {
        "create": created,
        "full": next(i for i in first.items if i.remote_id == created.remote_id),
        "incremental": next(i for i in later.items if i.remote_id == created.remote_id),
        "fetch": fetched,
    }
    for how, item in reads.items():
        assert item is not None, how
        overrides = overrides_of(item)
        assert set(overrides) == {moved, inside}, (how, item.ical)
        assert str(overrides[moved]["SUMMARY"]) == "Weekly sync (moved)", how
        assert overrides[moved].decoded("DTSTART").astimezone(UTC) == moved + dt.timedelta(hours=2)
        assert cancelled in exdates_of(item), (how, item.ical)
    # a full listing and a fetch of the same provider state read the same bytes
    assert reads["incremental"].ical == reads["fetch"].ical
    again = provider.pull(cal, None, h.window)
    assert next(i for i in again.items if i.remote_id == created.remote_id).ical == fetched.ical


# python-caldav 3.6 testIssue397's calendar: a series in Europe/Zurich begun on a Monday with
# BYDAY=TU,WE,TH, and its exception of 2024-06-05 (before the window) given in UTC.
ISSUE_397 = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//PeterB//caldav//en_DK
BEGIN:VEVENT
SUMMARY:recurrence with attendee one single item
DTSTART;TZID=Europe/Zurich:20240101T090000
DTEND;TZID=Europe/Zurich:20240101T180000
UID:test1
DESCRIPTION:this is the recurrent series
TRANSP:OPAQUE
RRULE:FREQ=WEEKLY;BYDAY=TU,WE,TH
END:VEVENT
BEGIN:VEVENT
SUMMARY:single item
DTSTART;TZID=Europe/Zurich:20240605T090000
DTEND;TZID=Europe/Zurich:20240605T170000
UID:test1
DESCRIPTION:this is the single item assigning a attendee to just one event
ATTENDEE:foo.bar@corge.baz
RECURRENCE-ID:20240605T070000Z
END:VEVENT
END:VCALENDAR
"""


def test_python_caldav_issue_397(contract: ProviderHarness) -> None:
    h = contract
    provider = h.provider()
    cal = calendar(provider, "Projects")
    original = dt.datetime(2024, 6, 5, 7, tzinfo=UTC)
    created = provider.create(cal, ISSUE_397, "key-issue-397", h.window)
    fetched = provider.fetch(cal, created.remote_id, h.window)
    listed = provider.pull(cal, None, h.window)
    full = next(i for i in listed.items if i.remote_id == created.remote_id)
    for item in (created, fetched, full):
        assert item is not None
        overrides = overrides_of(item)
        assert set(overrides) == {original}, item.ical
        assert str(overrides[original]["SUMMARY"]) == "single item"
        assert overrides[original].decoded("DTEND").astimezone(UTC) == dt.datetime(
            2024, 6, 5, 15, tzinfo=UTC
        )
