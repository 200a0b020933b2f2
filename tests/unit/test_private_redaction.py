"""Private events as busy blocks (issue 15 point 2): the allow-list keeps times, recurrence and
free/busy, and drops every detail a delegate without private access must not see."""

from __future__ import annotations

from bridge.ical.private import has_private, redact_private

PRIVATE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n"
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART;TZID=Europe/Berlin:20260105T100000\r\nDTEND;TZID=Europe/Berlin:20260105T110000\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Doctor appointment\r\nCLASS:PRIVATE\r\n"
    "DESCRIPTION:Join https://us02web.zoom.us/j/85512345678?pwd=abc\r\n"
    "LOCATION:Clinic\r\nURL:https://example.com/x\r\n"
    "ORGANIZER;CN=Megan:mailto:megan@contoso.example\r\n"
    "ATTENDEE;CN=Dr Who:mailto:who@example.com\r\n"
    "CONFERENCE;VALUE=URI:https://us02web.zoom.us/j/85512345678\r\n"
    "X-ZOOM-JOIN-URL:https://us02web.zoom.us/j/85512345678\r\nX-ZOOM-PASSCODE:abc\r\n"
    "ATTACH:https://example.com/a.pdf\r\nTRANSP:OPAQUE\r\n"
    "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Doctor\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:u1\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260112T100000\r\n"
    "DTSTART;TZID=Europe/Berlin:20260112T120000\r\nDTEND;TZID=Europe/Berlin:20260112T130000\r\n"
    "SUMMARY:Public lunch\r\nLOCATION:Canteen\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_private_event_becomes_a_busy_block() -> None:
    out = redact_private(PRIVATE)
    first = out.split("END:VEVENT")[0]
    for gone in (
        "Doctor",
        "zoom",
        "Clinic",
        "example.com",
        "ATTENDEE",
        "ORGANIZER",
        "CONFERENCE",
        "X-ZOOM",
        "ATTACH",
        "VALARM",
        "DESCRIPTION",
        "LOCATION",
        "URL",
    ):
        assert gone not in first, gone
    for kept in (
        "UID:u1",
        "DTSTART;TZID=Europe/Berlin:20260105T100000",
        "DTEND;TZID=Europe/Berlin:20260105T110000",
        "RRULE:FREQ=WEEKLY;COUNT=4",
        "CLASS:PRIVATE",
        "TRANSP:OPAQUE",
        "SUMMARY:Private",
    ):
        assert kept in first, kept
    assert "TZID:Europe/Berlin" in out  # the time zone stays
    # the public override of the series stays as it is
    assert "SUMMARY:Public lunch" in out and "LOCATION:Canteen" in out


def test_confidential_too_and_folded_lines() -> None:
    text = PRIVATE.replace("CLASS:PRIVATE", "CLASS:CONFIDENTIAL").replace(
        "LOCATION:Clinic",
        "LOCATION:Clinic in a very long street name that is folded over\r\n  two lines",
    )
    out = redact_private(text)
    assert "Clinic" not in out and "folded" not in out
    assert "CLASS:CONFIDENTIAL" in out


def test_idempotent_and_public_untouched() -> None:
    once = redact_private(PRIVATE)
    assert redact_private(once) == once
    assert has_private(once) and has_private(PRIVATE)
    public = PRIVATE.replace("CLASS:PRIVATE", "CLASS:PUBLIC")
    assert redact_private(public) is public
    assert not has_private(public)
