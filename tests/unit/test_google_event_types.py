"""Google's special event types and open end times (issue 10 point 3, vendor shapes): the golden
files tests/golden/google/synthetic_{out_of_office,focus_time,working_location_*,birthday,
from_gmail_end_unspecified} (cited in their `_source`) read as clients understand them —
free/busy in X-MICROSOFT-CDO-BUSYSTATUS as Graph and EWS events carry it, the type kept in
X-GOOGLE-EVENT-TYPE, Google's compatibility end kept as DTEND and marked — and a client's
unchanged save of one writes nothing new to Google."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from bridge.model import SyncWindow
from bridge.providers.google.mapping import google_body_diff, google_to_ical, ical_to_google

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "google"
WINDOW = SyncWindow(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2030, 1, 1, tzinfo=dt.UTC))

EXPECTED = {
    "synthetic_out_of_office": ("outOfOffice", "OOF", "OPAQUE"),
    "synthetic_focus_time": ("focusTime", "BUSY", "OPAQUE"),
    "synthetic_working_location_home": ("workingLocation", "WORKINGELSEWHERE", "TRANSPARENT"),
    "synthetic_working_location_office": ("workingLocation", "WORKINGELSEWHERE", "TRANSPARENT"),
    "synthetic_birthday": ("birthday", None, "TRANSPARENT"),
    "synthetic_from_gmail_end_unspecified": ("fromGmail", None, "OPAQUE"),
}


def _read(name: str) -> tuple[dict[str, Any], str]:
    data = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    return data["event"], google_to_ical(data["event"], data["exceptions"], WINDOW)


def _event(name: str) -> tuple[dict[str, Any], Any]:
    source, text = _read(name)
    return source, next(iter(Calendar.from_ical(text).walk("VEVENT")))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_event_types_read_as_clients_understand_them(name: str) -> None:
    source, vevent = _event(name)
    kind, busy, transp = EXPECTED[name]
    assert str(vevent["X-GOOGLE-EVENT-TYPE"]) == kind
    found = vevent.get("X-MICROSOFT-CDO-BUSYSTATUS")
    assert (str(found) if found is not None else None) == busy
    assert str(vevent["TRANSP"]) == transp
    assert "LOCATION" not in vevent or source.get("location")  # no invented location


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_unchanged_save_sends_google_nothing(name: str) -> None:
    source, text = _read(name)
    assert google_body_diff(source, ical_to_google(text).master) == {}


def test_birthday_is_a_yearly_all_day_series() -> None:
    _, vevent = _event("synthetic_birthday")
    assert vevent.decoded("DTSTART") == dt.date(2024, 4, 12)
    assert vevent.decoded("DTEND") == dt.date(2024, 4, 13)
    assert str(vevent["RRULE"].to_ical().decode()) == "FREQ=YEARLY"
    assert str(vevent["CLASS"]) == "PRIVATE"


def test_an_unspecified_end_keeps_googles_compatibility_end_and_says_so() -> None:
    _, vevent = _event("synthetic_from_gmail_end_unspecified")
    assert str(vevent["X-GOOGLE-END-TIME-UNSPECIFIED"]) == "TRUE"
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert end - start == dt.timedelta(hours=1)  # the end Google provides "for compatibility"
