"""The organizer's own ATTENDEE line survives an attendee's reply (issue 16 point 4).

A client (python-caldav's save_with_invites, Apple Calendar) lists the organizer among the
ATTENDEEs; Microsoft 365 and Exchange hold no attendee entry for the organizer, so the lossless
overlay restores the client's ATTENDEE group, guarded by what the provider rendered at write
time. An attendee's reply changes the provider's ATTENDEE lines (their PARTSTAT): the guard
fails, the provider's lines win — but the organizer's own line, which no provider change can
have removed, must stay.
"""

from __future__ import annotations

from bridge.ical import overlay
from bridge.ical.contentlines import unfold

ORG = "mailto:ann@contoso.example"
BOB = "mailto:bob@contoso.example"
CLIENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Corp.//CalDAV Client//EN\r\n"
    "BEGIN:VEVENT\r\nUID:client-uid\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART:20270108T090000Z\r\nDURATION:PT1H\r\nSUMMARY:Lunch\r\n"
    f"ORGANIZER:{ORG}\r\n"
    f"ATTENDEE;PARTSTAT=ACCEPTED;ROLE=CHAIR:{ORG}\r\n"
    f"ATTENDEE;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE:{BOB}\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _provider(partstat: str, extra: str = "") -> str:
    """Graph's rendering of the organizer's copy: no attendee entry for the organizer."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davbridge//graph//EN\r\n"
        "BEGIN:VEVENT\r\nUID:040000008200E00074C5B7101A82E00800000000\r\n"
        "DTSTAMP:20260102T000000Z\r\nDTSTART:20270108T090000Z\r\nDTEND:20270108T100000Z\r\n"
        f"SUMMARY:Lunch\r\nORGANIZER;CN=Ann:{ORG}\r\n"
        f"ATTENDEE;CN=Bob;PARTSTAT={partstat};ROLE=REQ-PARTICIPANT;RSVP=TRUE:{BOB}\r\n"
        f"{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def _attendees(text: str) -> list[str]:
    return [line for line in unfold(text) if line.startswith("ATTENDEE")]


def test_before_any_reply_the_client_attendees_come_back() -> None:
    stored = overlay.for_write(CLIENT, _provider("NEEDS-ACTION"))
    merged, uid = overlay.apply(_provider("NEEDS-ACTION"), stored)
    assert uid == "client-uid"
    assert _attendees(merged) == _attendees(CLIENT)


def test_a_reply_keeps_the_organizers_own_attendee_line() -> None:
    stored = overlay.for_write(CLIENT, _provider("NEEDS-ACTION"))
    merged, _ = overlay.apply(_provider("ACCEPTED"), stored)
    lines = _attendees(merged)
    # the provider's news wins for Bob; Ann's own line, which the provider never held, stays
    assert f"ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT;RSVP=TRUE:{BOB}" in lines
    assert f"ATTENDEE;PARTSTAT=ACCEPTED;ROLE=CHAIR:{ORG}" in lines
    assert len(lines) == 2


def test_an_attendee_the_provider_dropped_stays_dropped() -> None:
    """Only the organizer's line is kept: Bob removed at the provider (Outlook) is gone."""
    stored = overlay.for_write(CLIENT, _provider("NEEDS-ACTION"))
    carol = "mailto:carol@contoso.example"
    removed = _provider("NEEDS-ACTION").replace(BOB, carol).replace("CN=Bob", "CN=Carol")
    lines = _attendees(overlay.apply(removed, stored)[0])
    assert not any(line.endswith(BOB) for line in lines)
    assert any(line.endswith(carol) for line in lines)
    assert f"ATTENDEE;PARTSTAT=ACCEPTED;ROLE=CHAIR:{ORG}" in lines


def test_a_provider_that_renders_the_organizer_as_attendee_keeps_one_line() -> None:
    """Google lists the organizer among the attendees: still one line for them, and the
    provider's news for Bob."""
    google = f"ATTENDEE;CN=Ann;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:{ORG}\r\n"
    stored = overlay.for_write(CLIENT, _provider("NEEDS-ACTION", google))
    lines = _attendees(overlay.apply(_provider("ACCEPTED", google), stored)[0])
    assert len([line for line in lines if line.endswith(ORG)]) == 1
    assert any("PARTSTAT=ACCEPTED" in line and line.endswith(BOB) for line in lines)
