"""The replies an organizer's copy shows, as METHOD:REPLY inbox messages (RFC 6638 §4.1,
RFC 5546 §3.2.3): one per answering attendee, holding only their ATTENDEE line, with the
components (master, occurrences) they answered; nothing for a meeting the user does not
organize."""

from __future__ import annotations

from bridge.ical.contentlines import unfold
from bridge.ical.itip_reply import answered

ANN, BOB, CAROL = "ann@x.example", "bob@x.example", "carol@x.example"
MEETING = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
    "BEGIN:VEVENT\r\nUID:m1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270104T090000Z\r\n"
    "DURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Weekly\r\nSEQUENCE:2\r\n"
    f"ORGANIZER:mailto:{ANN}\r\n"
    f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{ANN}\r\n"
    f"ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:{BOB}\r\n"
    f"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:{CAROL}\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:m1\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20270111T090000Z\r\n"
    "DTSTART:20270111T090000Z\r\nDURATION:PT1H\r\nSUMMARY:Weekly\r\n"
    f"ORGANIZER:mailto:{ANN}\r\n"
    f"ATTENDEE;CN=Bob;PARTSTAT=DECLINED:mailto:{BOB}\r\n"
    f"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:{CAROL}\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_one_reply_per_answering_attendee_with_their_line_only() -> None:
    [reply] = answered(MEETING, [ANN])
    assert reply.attendee == f"mailto:{BOB}"
    lines = unfold(reply.text)
    assert "METHOD:REPLY" in lines
    assert [line for line in lines if line.startswith("ATTENDEE")] == [
        f"ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:{BOB}",
        f"ATTENDEE;CN=Bob;PARTSTAT=DECLINED:mailto:{BOB}",
    ]
    assert "RECURRENCE-ID:20270111T090000Z" in lines
    assert lines.count("UID:m1") == 2 and "SEQUENCE:2" in lines


def test_a_changed_answer_is_a_new_message() -> None:
    [before] = answered(MEETING, [ANN])
    [after] = answered(MEETING.replace("PARTSTAT=DECLINED", "PARTSTAT=TENTATIVE"), [ANN])
    assert before.answer != after.answer


def test_nothing_for_a_meeting_someone_else_organizes() -> None:
    assert answered(MEETING, [BOB]) == []
