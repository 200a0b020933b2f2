"""Conservative enclosing time ranges for CalDAV prefilters (bridge.ical.timerange)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from bridge.ical.timerange import MAX_TS, enclosing_range


def _ts(*parts: int) -> int:
    return int(dt.datetime(*parts, tzinfo=dt.UTC).timestamp())


def _cal(*events: str) -> str:
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20240101T000000Z\r\n{e}END:VEVENT\r\n" for e in events
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n{body}END:VCALENDAR\r\n"


def test_utc_single_event_is_exact() -> None:
    text = _cal("DTSTART:20240610T080000Z\r\nDTEND:20240610T090000Z\r\n")
    assert enclosing_range(text) == (_ts(2024, 6, 10, 8), _ts(2024, 6, 10, 9))


def test_zoned_event_uses_its_zone() -> None:
    text = _cal("DTSTART;TZID=Europe/Berlin:20240610T100000\r\nDURATION:PT30M\r\n")
    assert enclosing_range(text) == (_ts(2024, 6, 10, 8), _ts(2024, 6, 10, 8, 30))


def test_dates_and_floating_get_14_hours_slack() -> None:
    allday = _cal("DTSTART;VALUE=DATE:20240610\r\nDTEND;VALUE=DATE:20240611\r\n")
    assert enclosing_range(allday) == (_ts(2024, 6, 9, 10), _ts(2024, 6, 11, 14))
    floating = _cal("DTSTART:20240610T120000\r\n")
    assert enclosing_range(floating) == (_ts(2024, 6, 9, 22), _ts(2024, 6, 11, 2))


def test_open_ended_series_runs_to_year_9999() -> None:
    text = _cal("DTSTART:20240610T080000Z\r\nDTEND:20240610T090000Z\r\nRRULE:FREQ=WEEKLY\r\n")
    assert enclosing_range(text) == (_ts(2024, 6, 10, 8), MAX_TS)
    assert _ts(9999, 12, 31, 23, 59, 59) == MAX_TS


def test_until_and_count_bound_the_series() -> None:
    until = _cal(
        "DTSTART;TZID=America/New_York:20240101T090000\r\n"
        "DTEND;TZID=America/New_York:20240101T100000\r\n"
        "RRULE:FREQ=DAILY;UNTIL=20240110T140000Z\r\n"
    )
    assert enclosing_range(until) == (_ts(2024, 1, 1, 14), _ts(2024, 1, 10, 15))
    # Jan 31, Mar 31, May 31: RFC 5545 skips months without a 31st.
    count = _cal(
        "DTSTART:20240131T080000Z\r\nDTEND:20240131T090000Z\r\nRRULE:FREQ=MONTHLY;COUNT=3\r\n"
    )
    assert enclosing_range(count) == (_ts(2024, 1, 31, 8), _ts(2024, 5, 31, 9))


def test_overrides_and_rdates_widen_the_range() -> None:
    text = _cal(
        "DTSTART:20240610T080000Z\r\nDTEND:20240610T090000Z\r\nRDATE:20240901T080000Z\r\n",
        "RECURRENCE-ID:20240610T080000Z\r\nDTSTART:20240601T080000Z\r\nDTEND:20240601T090000Z\r\n",
    )
    assert enclosing_range(text) == (_ts(2024, 6, 1, 8), _ts(2024, 9, 1, 9))


def test_huge_count_is_not_expanded() -> None:
    text = _cal("DTSTART:20240610T080000Z\r\nRRULE:FREQ=SECONDLY;COUNT=100000000\r\n")
    began = time.process_time()  # CPU time: expanding 10^8 instances would take minutes
    assert enclosing_range(text)[1] == MAX_TS
    assert time.process_time() - began < 5


def test_no_dtstart_means_everything() -> None:
    todo = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:t\r\n"
        "SUMMARY:someday\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
    low, high = enclosing_range(todo)
    assert low < _ts(1900, 1, 1) and high == MAX_TS


def test_accepts_a_parsed_calendar_and_rejects_garbage() -> None:
    from icalendar import Calendar

    text = _cal("DTSTART:20240610T080000Z\r\n")
    assert enclosing_range(Calendar.from_ical(text)) == enclosing_range(text)
    with pytest.raises(ValueError):
        enclosing_range("not a calendar")
