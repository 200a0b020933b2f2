"""Windows <-> IANA zone names and VTIMEZONE emission (bridge.ical.timezones)."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from bridge.ical.timezones import to_iana, to_windows, tzinfo_for, vtimezone


@pytest.mark.parametrize(
    ("name", "iana"),
    [
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("pacific standard time", "America/Los_Angeles"),
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("India Standard Time", "Asia/Kolkata"),  # CLDR says Asia/Calcutta: current name emitted
        ("FLE Standard Time", "Europe/Kyiv"),
        ("UTC", "UTC"),
        ("tzone://Microsoft/Utc", "UTC"),
        ("Etc/UTC", "UTC"),
        ("Europe/Paris", "Europe/Paris"),
        ("/mozilla.org/20050126_1/America/New_York", "America/New_York"),
        ("tzone://Microsoft/Custom", None),
        ("originalStartTimeZone-value", None),
        ("", None),
        (None, None),
        ("../../etc/passwd", None),
    ],
)
def test_to_iana(name: str | None, iana: str | None) -> None:
    assert to_iana(name) == iana


@pytest.mark.parametrize(
    ("name", "windows"),
    [
        ("Europe/Berlin", "W. Europe Standard Time"),
        ("Asia/Kolkata", "India Standard Time"),
        ("Asia/Calcutta", "India Standard Time"),
        ("Europe/Kyiv", "FLE Standard Time"),
        ("America/New_York", "Eastern Standard Time"),
        ("Eastern Standard Time", "Eastern Standard Time"),
        ("eastern standard time", "Eastern Standard Time"),
        ("UTC", "UTC"),
        ("Nowhere/Land", None),
    ],
)
def test_to_windows(name: str, windows: str | None) -> None:
    assert to_windows(name) == windows


def test_every_windows_zone_round_trips_through_iana() -> None:
    from exchangelib.winzone import MS_TIMEZONE_TO_IANA_MAP

    for windows in MS_TIMEZONE_TO_IANA_MAP:
        iana = to_iana(windows)
        assert iana is not None, windows
        tzinfo_for(iana)  # loadable
        back = to_windows(iana)
        # Several Windows zones share one IANA zone; the mapping back must be one of them.
        assert back is not None and to_iana(back) == iana, (windows, iana, back)


def test_vtimezone_covers_the_years_asked_and_gives_right_offsets() -> None:
    component = vtimezone("Europe/Berlin", 2024, 2024)
    assert component is vtimezone("Europe/Berlin", 2024, 2024)  # cached
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
        + component.to_ical().decode()
        + "BEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20240101T000000Z\r\n"
        "DTSTART;TZID=Europe/Berlin:20240701T120000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    tz = Calendar.from_ical(text).walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    summer = dt.datetime(2024, 7, 1, 12, tzinfo=tz)
    winter = dt.datetime(2024, 1, 10, 12, tzinfo=tz)
    assert summer.utcoffset() == dt.timedelta(hours=2)
    assert winter.utcoffset() == dt.timedelta(hours=1)
    assert component.to_ical().count(b"BEGIN:DAYLIGHT") == 1
