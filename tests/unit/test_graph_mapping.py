"""Graph event JSON <-> iCalendar (SPEC C2): goldens, round trips, write validation, PATCH diff.

Golden pairs live in tests/golden/graph/<name>.json (Graph input, "_source" cites where it comes
from) and <name>.ics (expected bytes). Set DAVBRIDGE_REGEN_GOLDEN=1 to rewrite the .ics files
from the current output; the regenerating run still fails, so drift is never silently accepted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from bridge.errors import BadInput, IncompleteItem
from bridge.model import SyncWindow
from bridge.providers.graph.mapping import (
    GraphWrite,
    graph_body_diff,
    graph_to_ical,
    ical_to_graph,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "graph"
REGEN = os.environ.get("DAVBRIDGE_REGEN_GOLDEN") == "1"
DEFAULT_WINDOW = SyncWindow(
    dt.datetime(2016, 1, 1, tzinfo=dt.UTC), dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
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
    return data["event"], data["instances"], window


def _render(name: str) -> str:
    """The mapping's output, or "SKIPPED: <what is missing>" when the payload cannot make a
    valid resource (RFC 5545 §3.6.1: DTSTART and UID) and the provider skips it."""
    event, instances, window = _load(name)
    try:
        return graph_to_ical(event, instances, window)
    except IncompleteItem as exc:
        return f"SKIPPED: no {exc.missing}\n"


def test_golden_cases_exist_and_cite_sources() -> None:
    assert len(CASES) >= 12
    for name in CASES:
        data = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
        assert data.get("_source"), f"{name}.json must say where it comes from"
    docs = [n for n in CASES if n.startswith("docs_")]
    assert any("event_delta" in n for n in docs)
    assert any("delta_query" in n for n in docs)
    assert any("recurring" in n for n in docs) and any("online_meeting" in n for n in docs)


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    produced = _render(name).encode("utf-8")
    expected_path = GOLDEN / f"{name}.ics"
    if REGEN:
        expected_path.write_bytes(produced)
        pytest.fail(
            f"regenerated {expected_path.name}; review the diff and rerun without "
            "DAVBRIDGE_REGEN_GOLDEN"
        )
    assert expected_path.exists(), f"no {expected_path.name}: run with DAVBRIDGE_REGEN_GOLDEN=1"
    assert produced == expected_path.read_bytes()


@pytest.mark.parametrize("name", CASES)
def test_output_is_deterministic_and_parses(name: str) -> None:
    first = _render(name)
    assert first == _render(name)
    if first.startswith("SKIPPED"):
        return
    calendar = Calendar.from_ical(first)
    for component in calendar.walk():
        assert not getattr(component, "errors", []), (name, component.errors)
    assert calendar["PRODID"] == "-//davbridge//davbridge//EN"
    tzids = {
        str(p.params["TZID"])
        for c in calendar.walk("VEVENT")
        for p in c.values()
        if hasattr(p, "params") and "TZID" in p.params
    }
    tzids |= {
        str(v.params["TZID"])
        for c in calendar.walk("VEVENT")
        for v in (
            c.get("EXDATE")
            if isinstance(c.get("EXDATE"), list)
            else [c.get("EXDATE")]
            if c.get("EXDATE") is not None
            else []
        )
        if "TZID" in v.params
    }
    assert tzids == {str(t["TZID"]) for t in calendar.walk("VTIMEZONE")}


# --- reading: behaviour users notice -------------------------------------------------------


def _events(text: str) -> list[Any]:
    return Calendar.from_ical(text).walk("VEVENT")


def test_utc_response_is_shown_in_the_original_zone() -> None:
    master = _events(_render("synthetic_weekly_dst_exceptions"))[0]
    start = master["DTSTART"]
    assert start.params["TZID"] == "Europe/Berlin"
    assert start.dt.replace(tzinfo=None) == dt.datetime(2024, 3, 19, 9, 30)


def test_series_cancelled_occurrence_becomes_exdate_and_moved_one_override() -> None:
    events = _events(_render("synthetic_weekly_dst_exceptions"))
    master, overrides = events[0], events[1:]
    exdates = [d.dt for d in master["EXDATE"].dts]
    # 2024-04-04 is after the DST change: still 09:30 local (07:30Z), not 08:30Z.
    assert exdates == [dt.datetime(2024, 4, 4, 9, 30, tzinfo=exdates[0].tzinfo)]
    assert exdates[0].astimezone(dt.UTC).hour == 7
    assert len(overrides) == 1
    override = overrides[0]
    assert override["UID"] == master["UID"]
    assert override["RECURRENCE-ID"].dt.astimezone(dt.UTC) == dt.datetime(
        2024, 4, 18, 7, 30, tzinfo=dt.UTC
    )
    assert override["DTSTART"].dt.astimezone(dt.UTC) == dt.datetime(
        2024, 4, 19, 9, 30, tzinfo=dt.UTC
    )
    assert str(override["SUMMARY"]) == "Team sync (moved)"
    assert not override.walk("VALARM")  # reminder off on that occurrence


def test_recurrence_pattern_shapes() -> None:
    rules = {
        name: _events(_render(name))[0]["RRULE"].to_ical().decode()
        for name in (
            "docs_post_event_3_recurring",
            "synthetic_weekly_dst_exceptions",
            "synthetic_relative_monthly_last_weekday",
            "synthetic_relative_yearly",
            "synthetic_yearly_allday_noend",
            "synthetic_daily_window_midseries",
        )
    }
    assert rules["docs_post_event_3_recurring"] == (
        "FREQ=WEEKLY;UNTIL=20180101T075959Z;BYDAY=MO;WKST=SU"
    )
    assert rules["synthetic_weekly_dst_exceptions"] == (
        "FREQ=WEEKLY;COUNT=8;INTERVAL=2;BYDAY=TU,TH;WKST=MO"
    )
    # End of 2024-06-28 in Tokyo is 14:59:59 UTC that day.
    assert rules["synthetic_relative_monthly_last_weekday"] == (
        "FREQ=MONTHLY;UNTIL=20240628T145959Z;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"
    )
    assert rules["synthetic_relative_yearly"] == "FREQ=YEARLY;COUNT=5;BYDAY=4TH;BYMONTH=11"
    assert rules["synthetic_yearly_allday_noend"] == "FREQ=YEARLY;BYMONTHDAY=4;BYMONTH=7"
    assert rules["synthetic_daily_window_midseries"] == (
        "FREQ=DAILY;UNTIL=20240215T182959Z;INTERVAL=3"
    )


def test_occurrences_before_the_window_are_not_cancelled() -> None:
    master = _events(_render("synthetic_daily_window_midseries"))[0]
    exdates = [d.dt.date() for d in master["EXDATE"].dts]
    assert exdates == [dt.date(2024, 2, 9)]
    assert master["DTSTART"].params["TZID"] == "Asia/Kolkata"


def test_all_day_dates_do_not_shift_whatever_zone_graph_answers_in() -> None:
    offsite = _events(_render("synthetic_allday_utc_trap"))[0]
    assert offsite["DTSTART"].dt == dt.date(2024, 5, 8)
    assert offsite["DTEND"].dt == dt.date(2024, 5, 11)  # exclusive, as in Graph
    assert offsite["DTSTART"].params.get("VALUE") == "DATE"
    holiday = _events(_render("synthetic_yearly_allday_noend"))[0]
    assert holiday["DTSTART"].dt == dt.date(2020, 7, 4)
    assert [d.dt for d in holiday["EXDATE"].dts] == [dt.date(2026, 7, 4)]


def test_people_privacy_busy_and_reminder_fields() -> None:
    master = _events(_render("synthetic_weekly_dst_exceptions"))[0]
    assert str(master["ORGANIZER"]) == "mailto:MeganB@contoso.com"
    attendees = {str(a): a.params for a in master["ATTENDEE"]}
    assert attendees["mailto:AlexW@contoso.com"]["PARTSTAT"] == "ACCEPTED"
    assert attendees["mailto:DiegoS@contoso.com"]["ROLE"] == "OPT-PARTICIPANT"
    assert attendees["mailto:DiegoS@contoso.com"]["PARTSTAT"] == "TENTATIVE"
    assert attendees["mailto:LeeG@contoso.com"]["PARTSTAT"] == "DECLINED"
    assert attendees["mailto:external@example.org"]["PARTSTAT"] == "NEEDS-ACTION"
    assert attendees["mailto:room401@contoso.com"]["CUTYPE"] == "ROOM"
    assert attendees["mailto:projector2@contoso.com"]["CUTYPE"] == "RESOURCE"
    assert attendees["mailto:projector2@contoso.com"]["ROLE"] == "NON-PARTICIPANT"
    assert str(master["CLASS"]) == "PRIVATE"
    assert str(master["X-MICROSOFT-SENSITIVITY"]) == "personal"
    assert str(master["TRANSP"]) == "OPAQUE"
    assert str(master["X-MICROSOFT-CDO-BUSYSTATUS"]) == "OOF"
    assert master["PRIORITY"] == 1
    assert master["CATEGORIES"].cats == ["Red category", "Project X"]
    alarm = master.walk("VALARM")[0]
    assert alarm["TRIGGER"].dt == -dt.timedelta(minutes=10)
    description = str(master["DESCRIPTION"])
    assert "1. Budget" in description and "2. Hiring <2 roles>" in description
    assert "shared notes <https://contoso.sharepoint.com/notes>" in description
    assert "<" not in description.replace("<2 roles>", "").replace(
        "<https://contoso.sharepoint.com/notes>", ""
    )


def test_cancelled_confidential_free_and_custom_zone() -> None:
    event = _events(_render("synthetic_custom_zone_cancelled"))[0]
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["CLASS"]) == "CONFIDENTIAL"
    assert event["DTSTART"].dt == dt.datetime(2024, 9, 10, 13, 15, tzinfo=dt.UTC)
    assert "TZID" not in event["DTSTART"].params
    assert not event.walk("VALARM")
    free = _events(_render("synthetic_allday_utc_trap"))[0]
    assert str(free["TRANSP"]) == "TRANSPARENT"


def test_online_meeting_becomes_conference_properties() -> None:
    text = _render("docs_post_event_4_online_meeting")
    event = _events(text)[0]
    conferences = [(str(c), dict(c.params)) for c in event["CONFERENCE"]]
    assert conferences[0][0].startswith("https://teams.microsoft.com/l/meetup-join/")
    assert conferences[0][1]["FEATURE"] == "VIDEO"
    assert conferences[0][1]["LABEL"] == "Microsoft Teams"
    assert conferences[1] == ("tel:+14255550123", {"VALUE": "URI", "FEATURE": "PHONE"})
    assert str(event["X-CONFERENCE-ID"]) == "177513992"
    assert "URL" not in event
    skype = _events(_render("synthetic_custom_zone_cancelled"))[0]
    phones = [str(c) for c in skype["CONFERENCE"] if c.params["FEATURE"] == "PHONE"]
    assert phones == ["tel:+12065550100", "tel:+18005550199"]


def test_locations_joined_and_geo() -> None:
    event = _events(_render("docs_post_event_2_multiple_locations"))[0]
    assert str(event["LOCATION"]) == "Conf Room 3; Fourth Coffee; Home Office"
    assert "GEO" not in event
    chapel = _events(_render("docs_delta_query_attend_service"))[0]
    assert (chapel["GEO"].latitude, chapel["GEO"].longitude) == (47.6105, -122.321)


def test_stamps_come_from_graph_never_from_the_clock() -> None:
    event = _events(_render("docs_post_event_1_timezone"))[0]
    assert event["DTSTAMP"].dt == dt.datetime(2017, 4, 15, 3, 0, 51, tzinfo=dt.UTC)
    assert event["CREATED"].dt == dt.datetime(2017, 4, 15, 3, 0, 50, tzinfo=dt.UTC)
    bare = _events(_render("docs_delta_query_plan_shopping"))[0]
    assert bare["DTSTAMP"].dt == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert str(bare["UID"]) == "AAMkADNVxRAAA="


def test_exceptions_sorted_whatever_order_graph_lists_them() -> None:
    event, instances, window = _load("synthetic_weekly_dst_exceptions")
    extra = dict(next(i for i in instances if i["type"] == "exception"))
    extra.update(originalStart="2024-03-21T08:30:00Z", subject="Early one")
    shuffled = [extra, *instances]
    text = graph_to_ical(event, shuffled, window)
    assert text == graph_to_ical(event, list(reversed(shuffled)), window)
    ids = [e["RECURRENCE-ID"].dt for e in _events(text)[1:]]
    assert ids == sorted(ids)


# --- round trips --------------------------------------------------------------------------


def _roundtrip(name: str) -> tuple[dict[str, Any], GraphWrite]:
    event, instances, window = _load(name)
    return event, ical_to_graph(graph_to_ical(event, instances, window))


def test_roundtrip_single_event_fields() -> None:
    event, write = _roundtrip("docs_post_event_4_online_meeting")
    body = write.master
    assert write.uid == event["iCalUId"]
    assert body["subject"] == "Let's go brunch"
    assert body["start"] == {"dateTime": "2017-04-15T11:00:00", "timeZone": "Pacific Standard Time"}
    assert body["end"] == {"dateTime": "2017-04-15T12:00:00", "timeZone": "Pacific Standard Time"}
    assert body["isAllDay"] is False
    assert body["isReminderOn"] is True and body["reminderMinutesBeforeStart"] == 15
    assert body["location"] == {"displayName": "Harry's Bar"}
    assert body["sensitivity"] == "normal" and body["showAs"] == "busy"
    assert body["attendees"] == [
        {
            "emailAddress": {
                "address": "samanthab@contoso.onmicrosoft.com",
                "name": "Samantha Booth",
            },
            "type": "required",
        }
    ]
    assert body["recurrence"] is None
    for read_only in ("organizer", "onlineMeeting", "webLink", "id", "iCalUId"):
        assert read_only not in body
    # Nothing the user did not change is patched back.
    assert graph_body_diff(event, body) == {}


def test_roundtrip_series_recurrence_exceptions_and_cancellations() -> None:
    event, write = _roundtrip("synthetic_weekly_dst_exceptions")
    recurrence = write.master["recurrence"]
    assert recurrence["pattern"] == {
        "type": "weekly",
        "interval": 2,
        "daysOfWeek": ["tuesday", "thursday"],
        "firstDayOfWeek": "monday",
    }
    assert recurrence["range"] == {
        "type": "numbered",
        "numberOfOccurrences": 8,
        "startDate": "2024-03-19",
        "recurrenceTimeZone": "W. Europe Standard Time",
    }
    assert write.master["start"] == {
        "dateTime": "2024-03-19T09:30:00",
        "timeZone": "W. Europe Standard Time",
    }
    assert write.master["sensitivity"] == "personal"
    assert write.master["showAs"] == "oof"
    assert write.master["importance"] == "high"
    assert write.master["categories"] == ["Red category", "Project X"]
    assert [a["type"] for a in write.master["attendees"]] == [
        "required",
        "optional",
        "required",
        "required",
        "resource",
        "resource",
    ]
    assert write.exdates == (dt.datetime(2024, 4, 4, 7, 30, tzinfo=dt.UTC),)
    key = dt.datetime(2024, 4, 18, 7, 30, tzinfo=dt.UTC)
    assert list(write.overrides) == [key]
    assert write.overrides[key]["subject"] == "Team sync (moved)"
    assert write.overrides[key]["isReminderOn"] is False
    assert "recurrence" not in write.overrides[key]
    assert graph_body_diff(event, write.master) == {}


@pytest.mark.parametrize(
    "name",
    [
        "docs_post_event_3_recurring",
        "synthetic_relative_monthly_last_weekday",
        "synthetic_relative_yearly",
        "synthetic_yearly_allday_noend",
        "synthetic_daily_window_midseries",
        "synthetic_allday_utc_trap",
        "synthetic_custom_zone_cancelled",
        "synthetic_flight_two_zones",
        "docs_post_event_2_multiple_locations",
        "docs_delta_query_attend_service",
    ],
)
def test_roundtrip_changes_nothing(name: str) -> None:
    event, write = _roundtrip(name)
    assert graph_body_diff(event, write.master) == {}


def test_roundtrip_recurrence_ranges() -> None:
    _, monthly = _roundtrip("synthetic_relative_monthly_last_weekday")
    assert monthly.master["recurrence"]["pattern"]["index"] == "last"
    assert monthly.master["recurrence"]["range"]["endDate"] == "2024-06-28"
    _, yearly = _roundtrip("synthetic_yearly_allday_noend")
    assert yearly.master["isAllDay"] is True
    assert yearly.master["start"]["dateTime"] == "2020-07-04T00:00:00"
    assert yearly.master["recurrence"]["range"]["type"] == "noEnd"
    assert yearly.master["recurrence"]["pattern"] == {
        "type": "absoluteYearly",
        "interval": 1,
        "month": 7,
        "dayOfMonth": 4,
    }
    assert yearly.exdates == (dt.datetime(2026, 7, 4, tzinfo=dt.UTC),)
    _, flight = _roundtrip("synthetic_flight_two_zones")
    assert flight.master["start"]["timeZone"] == "Pacific Standard Time"
    assert flight.master["end"] == {
        "dateTime": "2024-10-03T16:40:00",
        "timeZone": "Eastern Standard Time",
    }


# --- writes from clients -------------------------------------------------------------------


def _cal(*lines: str, extra: str = "") -> str:
    body = "\r\n".join(lines)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + extra
        + "BEGIN:VEVENT\r\n"
        + body
        + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def test_client_event_with_duration_alarm_and_transparency() -> None:
    write = ical_to_graph(
        _cal(
            "UID:abc",
            "DTSTAMP:20240101T000000Z",
            "SUMMARY:Dentist",
            "DTSTART;TZID=Europe/Paris:20240610T083000",
            "DURATION:PT45M",
            "DESCRIPTION:Bring card",
            "TRANSP:TRANSPARENT",
            "CLASS:CONFIDENTIAL",
            "PRIORITY:9",
            "ORGANIZER:mailto:me@example.org",
            "ATTENDEE;CN=Me:mailto:me@example.org",
            "ATTENDEE;ROLE=OPT-PARTICIPANT:mailto:friend@example.org",
            "CONFERENCE;VALUE=URI;FEATURE=VIDEO:https://zoom.us/j/123456789",
            "X-ZOOM-MEETING-ID:123456789",
            "BEGIN:VALARM",
            "ACTION:AUDIO",
            "TRIGGER;RELATED=END:-PT1H",
            "END:VALARM",
        )
    )
    body = write.master
    assert body["start"] == {"dateTime": "2024-06-10T08:30:00", "timeZone": "Romance Standard Time"}
    assert body["end"] == {"dateTime": "2024-06-10T09:15:00", "timeZone": "Romance Standard Time"}
    assert body["body"] == {"contentType": "text", "content": "Bring card"}
    assert body["showAs"] == "free" and body["sensitivity"] == "confidential"
    assert body["importance"] == "low"
    assert body["reminderMinutesBeforeStart"] == 15  # 1h before a 45-minute event's end
    assert body["attendees"] == [
        {"emailAddress": {"address": "friend@example.org"}, "type": "optional"}
    ]
    assert not any("zoom" in json.dumps(v).lower() for v in body.values())


def test_client_floating_and_all_day_values() -> None:
    floating = ical_to_graph(_cal("UID:f", "DTSTART:20240610T083000", "DTEND:20240610T090000"))
    assert floating.master["start"] == {"dateTime": "2024-06-10T08:30:00", "timeZone": "UTC"}
    assert floating.master["isReminderOn"] is False
    local = ical_to_graph(_cal("UID:f", "DTSTART:20240610T083000"), floating_zone="Europe/Berlin")
    assert local.master["start"]["timeZone"] == "W. Europe Standard Time"
    assert local.master["end"] == local.master["start"]
    allday = ical_to_graph(_cal("UID:a", "DTSTART;VALUE=DATE:20240610"))
    assert allday.master["isAllDay"] is True
    assert allday.master["end"] == {"dateTime": "2024-06-11T00:00:00", "timeZone": "UTC"}


def test_client_custom_vtimezone_keeps_the_instant() -> None:
    vtimezone = (
        "BEGIN:VTIMEZONE\r\nTZID:My Zone\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        "TZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )
    write = ical_to_graph(
        _cal(
            "UID:c",
            "DTSTART;TZID=My Zone:20240610T120000",
            "DTEND;TZID=My Zone:20240610T130000",
            extra=vtimezone,
        )
    )
    assert write.master["start"] == {"dateTime": "2024-06-10T09:00:00", "timeZone": "UTC"}


def test_client_windows_tzid_and_cancelled_override() -> None:
    write = ical_to_graph(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
        "BEGIN:VEVENT\r\nUID:s\r\nDTSTART;TZID=Eastern Standard Time:20240102T090000\r\n"
        "DTEND;TZID=Eastern Standard Time:20240102T093000\r\n"
        "RRULE:FREQ=MONTHLY;BYDAY=1TU;COUNT=3\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID;TZID=Eastern Standard Time:20240206T090000\r\n"
        "DTSTART;TZID=Eastern Standard Time:20240206T090000\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    assert write.master["start"]["timeZone"] == "Eastern Standard Time"
    assert write.master["recurrence"]["pattern"] == {
        "type": "relativeMonthly",
        "interval": 1,
        "daysOfWeek": ["tuesday"],
        "index": "first",
    }
    assert write.exdates == (dt.datetime(2024, 2, 6, 14, 0, tzinfo=dt.UTC),)
    assert write.overrides == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("this is not iCalendar", "could not be parsed"),
        ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:X\r\nEND:VCARD\r\n", "expected a VCALENDAR"),
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:t\r\nSUMMARY:Buy milk\r\nEND:VTODO\r\n"
            "END:VCALENDAR\r\n",
            "this calendar holds events only: VTODO",
        ),
        ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "no VEVENT"),
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T100000Z\r\n"
            "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:b\r\nDTSTART:20240101T100000Z\r\nEND:VEVENT\r\n"
            "END:VCALENDAR\r\n",
            "several UIDs (a, b)",
        ),
        (_cal("UID:x", "SUMMARY:Lunch"), "'Lunch' has no DTSTART"),
        (_cal("DTSTART:20240101T100000Z"), "no UID"),
        (_cal("UID:x", "DTSTART:2024-01-01"), "DTSTART is invalid"),
        (_cal("UID:x", "DTSTART:20240101T100000Z", "RRULE:FREQ=HOURLY"), "FREQ=HOURLY"),
        (_cal("UID:x", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;BYHOUR=9,17"), "BYHOUR"),
        (
            _cal("UID:x", "DTSTART:20240101T100000Z", "RRULE:FREQ=MONTHLY;BYMONTHDAY=-1"),
            "BYMONTHDAY=-1",
        ),
        (_cal("UID:x", "DTSTART:20240101T100000Z", "RRULE:FREQ=MONTHLY;BYDAY=MO"), "BYSETPOS"),
        (_cal("UID:x", "DTSTART:20240101T100000Z", "RRULE:FREQ=MONTHLY;BYDAY=5FR"), "position 5"),
        (_cal("UID:x", "DTSTART:20240101T100000Z", "RRULE:FREQ=WEEKLY;BYDAY=1MO"), "ordinal"),
        (
            _cal("UID:x", "DTSTART:20240101T100000Z", "RRULE:FREQ=YEARLY;BYMONTH=1,7"),
            "several months",
        ),
        (_cal("UID:x", "DTSTART:20240101T100000Z", "RDATE:20240301T100000Z"), "RDATE"),
        (
            _cal("UID:x", "DTSTART;TZID=Nowhere/Land:20240101T100000"),
            "unknown time zone 'Nowhere/Land'",
        ),
        (_cal("UID:x", "DTSTART:20240101T100000Z", "DTEND:20240101T090000Z"), "DTEND is before"),
        (
            _cal("UID:x", "RECURRENCE-ID:20240101T100000Z", "DTSTART:20240101T100000Z"),
            "no main VEVENT",
        ),
    ],
)
def test_bad_input_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        ical_to_graph(text)
    assert message in caught.value.message
    assert caught.value.http_status == 400


# --- PATCH diff ------------------------------------------------------------------------------


def test_diff_keeps_html_body_when_text_is_unchanged_and_sends_real_changes() -> None:
    event, _, _ = _load("synthetic_weekly_dst_exceptions")
    write = ical_to_graph(graph_to_ical(event, [], DEFAULT_WINDOW))
    assert "body" not in graph_body_diff(event, write.master)
    wanted = dict(
        write.master,
        subject="Team sync — renamed",
        body={"contentType": "text", "content": "New agenda"},
    )
    diff = graph_body_diff(event, wanted)
    assert diff == {
        "subject": "Team sync — renamed",
        "body": {"contentType": "text", "content": "New agenda"},
    }


def test_diff_time_move_sends_start_end_together() -> None:
    event, _, _ = _load("docs_post_event_1_timezone")
    write = ical_to_graph(graph_to_ical(event, [], DEFAULT_WINDOW))
    moved = dict(
        write.master, start={"dateTime": "2017-04-15T11:30:00", "timeZone": "Pacific Standard Time"}
    )
    diff = graph_body_diff(event, moved)
    assert set(diff) == {"start", "end", "isAllDay"}
    rezoned = dict(
        write.master,
        start={"dateTime": "2017-04-15T14:00:00", "timeZone": "Eastern Standard Time"},
        end={"dateTime": "2017-04-15T15:00:00", "timeZone": "Eastern Standard Time"},
    )
    assert set(graph_body_diff(event, rezoned)) == {"start", "end", "isAllDay"}


def test_diff_reminder_and_recurrence_changes() -> None:
    event, _, _ = _load("docs_post_event_3_recurring")
    write = ical_to_graph(graph_to_ical(event, [], DEFAULT_WINDOW))
    off = dict(write.master, isReminderOn=False)
    off.pop("reminderMinutesBeforeStart")
    assert graph_body_diff(event, off) == {"isReminderOn": False}
    longer = dict(write.master, reminderMinutesBeforeStart=30)
    assert graph_body_diff(event, longer) == {
        "isReminderOn": True,
        "reminderMinutesBeforeStart": 30,
    }
    recurrence = json.loads(json.dumps(write.master["recurrence"]))
    recurrence["range"]["endDate"] = "2017-11-30"
    assert set(graph_body_diff(event, dict(write.master, recurrence=recurrence))) == {"recurrence"}


def test_duplicate_exception_listing_keeps_the_newest() -> None:
    event, instances, window = _load("synthetic_weekly_dst_exceptions")
    exception = next(i for i in instances if i["type"] == "exception")
    older = dict(exception, subject="Stale copy", lastModifiedDateTime="2024-04-01T00:00:00Z")
    text = graph_to_ical(event, [older, *instances, older], window)
    assert text == _render("synthetic_weekly_dst_exceptions")
