"""Google event JSON <-> iCalendar (SPEC C2): goldens, round trips, write validation, PATCH diff.

Golden pairs live in tests/golden/google/<name>.json ({"_source", "event", "exceptions",
"window"?}) and <name>.ics (expected bytes). DAVBRIDGE_REGEN_GOLDEN=1 rewrites the .ics files
from the current output; that run fails on purpose so drift is never silently accepted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

import httplib2
import pytest
from googleapiclient.errors import HttpError
from icalendar import Calendar

from bridge.errors import (
    AuthExpired,
    BadInput,
    CursorExpired,
    IncompleteItem,
    PreconditionFailed,
    ProviderBusy,
    ProviderRefused,
    ReadOnly,
    RemoteNotFound,
)
from bridge.model import SyncWindow
from bridge.providers.google.client import error_for
from bridge.providers.google.mapping import google_body_diff, google_to_ical, ical_to_google
from bridge.providers.google.provider import event_id_for

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "google"
REGEN = os.environ.get("DAVBRIDGE_REGEN_GOLDEN") == "1"
DEFAULT_WINDOW = SyncWindow(
    dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
)
CASES = sorted(p.stem for p in GOLDEN.glob("*.json"))


def _load(name: str) -> tuple[dict[str, Any], list[dict[str, Any]], SyncWindow]:
    data = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    window = DEFAULT_WINDOW
    if "window" in data:
        window = SyncWindow(
            dt.datetime.fromisoformat(data["window"]["start"].replace("Z", "+00:00")),
            dt.datetime.fromisoformat(data["window"]["end"].replace("Z", "+00:00")),
        )
    return data["event"], data["exceptions"], window


def _render(name: str) -> str:
    """The mapping's output, or "SKIPPED: <what is missing>" when no valid resource can be made
    (RFC 5545 §3.6.1: DTSTART and UID) and the provider skips the event with a log line."""
    event, exceptions, window = _load(name)
    try:
        return google_to_ical(event, exceptions, window)
    except IncompleteItem as exc:
        return f"SKIPPED: no {exc.missing}\n"


def _events(text: str) -> list[Any]:
    return list(Calendar.from_ical(text).walk("VEVENT"))


def test_golden_cases_exist_and_cite_sources() -> None:
    assert len(CASES) >= 8
    for name in CASES:
        data = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
        assert data.get("_source"), f"{name}.json must say where it comes from"
    docs = [n for n in CASES if n.startswith("docs_")]
    assert any("recurring" in n for n in docs) and any("conference" in n for n in docs)


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    produced = _render(name).encode("utf-8")
    expected_path = GOLDEN / f"{name}.ics"
    if REGEN:
        expected_path.write_bytes(produced)
        pytest.fail(f"regenerated {expected_path.name}; review and rerun without the variable")
    assert expected_path.exists(), f"no {expected_path.name}: run with DAVBRIDGE_REGEN_GOLDEN=1"
    assert produced == expected_path.read_bytes()


@pytest.mark.parametrize("name", CASES)
def test_output_is_deterministic_and_parses(name: str) -> None:
    first = _render(name)
    assert first == _render(name)
    if first.startswith("SKIPPED"):
        return
    assert "PRODID:-//davbridge//davbridge//EN" in first
    events = _events(first)
    assert len({str(e["UID"]) for e in events}) == 1
    assert sum(1 for e in events if e.get("RECURRENCE-ID") is None) == 1


# --- read -----------------------------------------------------------------------------------


def test_series_folds_cancelled_exceptions_into_exdate_and_keeps_moved_ones() -> None:
    text = _render("synthetic_cancelled_occurrence")
    master, *overrides = _events(text)
    exdates = sorted(d.dt for d in master["EXDATE"].dts)
    london = exdates[0].tzinfo
    expected = [dt.datetime(2024, m, d, 14, tzinfo=london) for m, d in ((1, 12), (1, 19), (1, 26))]
    assert exdates == [*expected, dt.datetime(2024, 2, 2, 14, tzinfo=london)]
    assert [str(o["SUMMARY"]) for o in overrides] == ["Retro (moved to Thursday)"]
    assert "outside the window" not in text


def test_conference_data_becomes_conference_properties() -> None:
    event = _events(_render("docs_create_event_meet_conference"))[0]
    conferences = event["CONFERENCE"]
    assert [str(c) for c in conferences] == [
        "https://meet.google.com/abc-mnop-xyz",
        "tel:+1-402-555-0143",
    ]
    assert conferences[0].params["FEATURE"] == "VIDEO"
    assert conferences[0].params["LABEL"] == "Google Meet"
    assert conferences[1].params["FEATURE"] == "PHONE"
    assert conferences[1].params["X-PASSCODE"] == "123456789"
    assert str(event["X-CONFERENCE-ID"]) == "abc-mnop-xyz"
    assert "X-ZOOM" not in _render("synthetic_zoom_addon")


def test_all_day_end_stays_exclusive_and_html_becomes_text() -> None:
    event = _events(_render("synthetic_allday_multiday"))[0]
    assert event.decoded("DTSTART") == dt.date(2024, 4, 15)
    assert event.decoded("DTEND") == dt.date(2024, 4, 18)
    description = str(event["DESCRIPTION"])
    assert "<" not in description and "Day 2: hiking" in description
    assert str(event["CLASS"]) == "PRIVATE" and str(event["TRANSP"]) == "TRANSPARENT"


def test_reminders_become_alarms_only_when_not_default() -> None:
    io = _events(_render("docs_create_event_google_io"))[0]
    triggers = sorted(a.decoded("TRIGGER") for a in io.walk("VALARM"))
    assert triggers == [-dt.timedelta(days=1), -dt.timedelta(minutes=10)]
    assert not list(_events(_render("docs_recurring_appointment"))[0].walk("VALARM"))


# --- write ----------------------------------------------------------------------------------


def _vcal(*lines: str) -> str:
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//t//EN", *lines, "END:VCALENDAR"]
    return "\r\n".join(body) + "\r\n"


SERIES = _vcal(
    "BEGIN:VEVENT",
    "UID:s-1",
    "DTSTAMP:20240101T000000Z",
    "SUMMARY:Sync",
    "DTSTART;TZID=Europe/Berlin:20240105T100000",
    "DTEND;TZID=Europe/Berlin:20240105T103000",
    "RRULE:FREQ=WEEKLY;UNTIL=20240301",
    "EXDATE;TZID=Europe/Berlin:20240112T100000",
    "CLASS:CONFIDENTIAL",
    "ATTENDEE;ROLE=OPT-PARTICIPANT;CN=Pat:mailto:pat@example.com",
    "BEGIN:VALARM",
    "ACTION:DISPLAY",
    "TRIGGER:-PT15M",
    "END:VALARM",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "UID:s-1",
    "DTSTAMP:20240101T000000Z",
    "RECURRENCE-ID;TZID=Europe/Berlin:20240119T100000",
    "SUMMARY:Sync (late)",
    "DTSTART;TZID=Europe/Berlin:20240119T120000",
    "DTEND;TZID=Europe/Berlin:20240119T123000",
    "END:VEVENT",
)


def test_series_write_maps_fields_and_instance_keys() -> None:
    wanted = ical_to_google(SERIES)
    body = wanted.master
    assert body["start"] == {"dateTime": "2024-01-05T10:00:00+01:00", "timeZone": "Europe/Berlin"}
    assert body["recurrence"] == ["RRULE:FREQ=WEEKLY;UNTIL=20240301T225959Z"]
    assert body["visibility"] == "confidential" and body["transparency"] == "opaque"
    assert body["attendees"] == [
        {"email": "pat@example.com", "displayName": "Pat", "optional": True}
    ]
    assert body["reminders"] == {
        "useDefault": False,
        "overrides": [{"method": "popup", "minutes": 15}],
    }
    assert wanted.exdates == ("20240112T090000Z",)
    assert list(wanted.overrides) == ["20240119T090000Z"]
    assert wanted.overrides["20240119T090000Z"]["summary"] == "Sync (late)"


def test_read_then_write_round_trips_the_fields_google_stores() -> None:
    event, exceptions, window = _load("docs_create_event_google_io")
    wanted = ical_to_google(google_to_ical(event, exceptions, window))
    assert google_body_diff(event, wanted.master) == {}


def test_diff_sends_only_what_changed_and_keeps_responses() -> None:
    event, _, _ = _load("synthetic_dst_series")
    wanted = dict(ical_to_google(google_to_ical(event, [], DEFAULT_WINDOW)).master)
    wanted["summary"] = "Standup (new)"
    assert google_body_diff(event, wanted) == {"summary": "Standup (new)"}
    wanted["attendees"] = [a for a in wanted["attendees"] if a["email"] != "pat@example.com"]
    diff = google_body_diff(event, wanted)
    statuses = {a["email"]: a["responseStatus"] for a in diff["attendees"]}
    assert statuses["me@example.com"] == "tentative"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        (_vcal("BEGIN:VTODO", "UID:t", "END:VTODO"), "VTODO"),
        (_vcal("BEGIN:VEVENT", "UID:a", "SUMMARY:x", "END:VEVENT"), "DTSTART"),
        (
            _vcal(
                "BEGIN:VEVENT",
                "UID:a",
                "RECURRENCE-ID;RANGE=THISANDFUTURE:20240101T100000Z",
                "DTSTART:20240101T110000Z",
                "END:VEVENT",
            ),
            "RECURRENCE-ID",
        ),
        (
            _vcal(
                "BEGIN:VEVENT",
                "UID:a",
                "DTSTART:20240101T110000Z",
                "DTEND:20240101T100000Z",
                "END:VEVENT",
            ),
            "before DTSTART",
        ),
        (
            _vcal(
                "BEGIN:VEVENT",
                "UID:a",
                "DTSTART:20240101T110000Z",
                *[
                    line
                    for n in range(6)
                    for line in (
                        "BEGIN:VALARM",
                        "ACTION:DISPLAY",
                        f"TRIGGER:-PT{n + 1}M",
                        "END:VALARM",
                    )
                ],
                "END:VEVENT",
            ),
            "at most 5 reminders",
        ),
    ],
)
def test_what_google_cannot_store_is_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(BadInput) as info:
        ical_to_google(text)
    assert message in info.value.message


def test_floating_and_all_day_values() -> None:
    wanted = ical_to_google(
        _vcal("BEGIN:VEVENT", "UID:f", "DTSTART:20240101T090000", "DURATION:PT1H", "END:VEVENT")
    )
    assert wanted.master["start"] == {"dateTime": "2024-01-01T09:00:00+00:00", "timeZone": "UTC"}
    assert wanted.master["end"]["dateTime"] == "2024-01-01T10:00:00+00:00"
    day = ical_to_google(
        _vcal("BEGIN:VEVENT", "UID:d", "DTSTART;VALUE=DATE:20240101", "END:VEVENT")
    )
    assert day.master["start"] == {"date": "2024-01-01"}
    assert day.master["end"] == {"date": "2024-01-02"} and day.all_day


# --- ids and errors -------------------------------------------------------------------------


def test_event_ids_from_idempotency_keys_are_valid_and_stable() -> None:
    first = event_id_for("key-1")
    assert first == event_id_for("key-1") != event_id_for("key-2")
    assert re.fullmatch(r"[a-v0-9]{5,1024}", first)


def _http_error(status: int, reason: str, headers: dict[str, str] | None = None) -> HttpError:
    resp = httplib2.Response({"status": str(status), **(headers or {})})
    content = json.dumps(
        {
            "error": {
                "errors": [{"reason": reason, "message": f"m-{reason}"}],
                "message": f"m-{reason}",
            }
        }
    ).encode()
    return HttpError(resp, content)


@pytest.mark.parametrize(
    ("status", "reason", "kind"),
    [
        (401, "authError", AuthExpired),
        (403, "rateLimitExceeded", ProviderBusy),
        (403, "userRateLimitExceeded", ProviderBusy),
        (429, "rateLimitExceeded", ProviderBusy),
        (503, "backendError", ProviderBusy),
        (403, "forbidden", ReadOnly),
        (403, "insufficientPermissions", ReadOnly),
        (404, "notFound", RemoteNotFound),
        (410, "deleted", RemoteNotFound),
        (410, "fullSyncRequired", CursorExpired),
        (412, "conditionNotMet", PreconditionFailed),
        (400, "invalid", ProviderRefused),
    ],
)
def test_google_errors_map_to_bridge_errors(status: int, reason: str, kind: type) -> None:
    error = error_for(_http_error(status, reason))
    assert type(error) is kind
    assert error.code == reason and error.status == status
    if kind is ProviderRefused:
        assert "m-invalid" in error.message
