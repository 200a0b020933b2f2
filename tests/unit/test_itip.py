"""The pure RFC 6638 parts (bridge/ical/itip.py): the user's role and own replies, the
Schedule-Tag's stability across replies, SCHEDULE-STATUS / SCHEDULE-AGENT, and the free/busy
request and reply."""

from __future__ import annotations

import datetime as dt

import pytest

from bridge.errors import BadInput
from bridge.ical import itip

ME, BOSS = "mailto:me@contoso.example", "mailto:boss@contoso.example"


def event(organizer: str, me: str = "NEEDS-ACTION", extra: str = "", override: str = "") -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//t//EN",
        "BEGIN:VEVENT",
        "UID:u1",
        "DTSTAMP:20260101T000000Z",
        "DTSTART:20270105T100000Z",
        "DTEND:20270105T110000Z",
        "RRULE:FREQ=WEEKLY;COUNT=3",
        "SUMMARY:Sync",
        f"ORGANIZER:{organizer}",
        f"ATTENDEE;PARTSTAT=ACCEPTED:{organizer}",
        f"ATTENDEE;PARTSTAT={me}{extra}:{ME if organizer == BOSS else BOSS}",
        "END:VEVENT",
    ]
    if override:
        lines += [
            "BEGIN:VEVENT",
            "UID:u1",
            "DTSTAMP:20260101T000000Z",
            "RECURRENCE-ID:20270112T100000Z",
            "DTSTART:20270112T100000Z",
            "DTEND:20270112T110000Z",
            "SUMMARY:Sync",
            f"ORGANIZER:{organizer}",
            f"ATTENDEE;PARTSTAT={override}:{ME if organizer == BOSS else BOSS}",
            "END:VEVENT",
        ]
    return "\r\n".join([*lines, "END:VCALENDAR", ""])


def unfolded(text: str) -> str:
    return text.replace("\r\n ", "")


def test_role_and_own_replies_per_component() -> None:
    assert itip.role(event(BOSS), [ME]) == "attendee"
    assert itip.role(event(ME), [ME]) == "organizer"
    assert itip.role(event(BOSS), ["mailto:other@x.example"]) is None
    replies = itip.own_replies(event(BOSS), event(BOSS, "ACCEPTED", override="DECLINED"), [ME])
    assert replies == [
        itip.Reply("ACCEPTED"),
        itip.Reply("DECLINED", dt.datetime(2027, 1, 12, 10, tzinfo=dt.UTC)),
    ]
    assert itip.own_replies(event(BOSS), event(BOSS), [ME]) == []


def test_schedule_tag_ignores_replies_but_not_organizer_changes() -> None:
    tag = itip.schedule_tag(event(ME))
    assert itip.schedule_tag(event(ME, "TENTATIVE", ";ROLE=REQ-PARTICIPANT;RSVP=TRUE")) == tag
    assert itip.schedule_tag(event(ME).replace("SUMMARY:Sync", "SUMMARY:Moved")) != tag


def test_schedule_status_and_agent() -> None:
    served = unfolded(itip.with_schedule_status(event(ME), [ME]))
    assert "SCHEDULE-STATUS=1.1:mailto:boss@contoso.example" in served
    assert f"ATTENDEE;PARTSTAT=ACCEPTED:{ME}" in served  # not on the organizer's own line
    assert itip.with_schedule_status(event(BOSS), [ME]) == event(BOSS)
    assert "SCHEDULE-STATUS" not in itip.without_schedule_status(served)
    client = event(ME, extra=";SCHEDULE-AGENT=CLIENT")
    assert "SCHEDULE-STATUS" not in itip.with_schedule_status(client, [ME])
    assert not itip.server_scheduled(event(BOSS, extra=";SCHEDULE-AGENT=NONE"), [ME])


def test_schedule_status_split_by_a_fold_is_still_dropped() -> None:
    """A served line folded inside the parameter's name ("SCHEDULE-STATU" / " S=1.1"), as a
    long CN folds it: a client putting the copy back unchanged must not send the server's
    SCHEDULE-STATUS upstream, nor have the bridge see a change where there is none (it wrote
    such events to the provider again on every unchanged PUT)."""
    served = unfolded(itip.with_schedule_status(event(ME), [ME]))
    at = served.index("SCHEDULE-STATUS") + len("SCHEDULE-STATU")
    folded = served[:at] + "\r\n " + served[at:]
    assert "SCHEDULE-STATUS" not in folded  # the raw text no longer holds the name
    assert itip.without_schedule_status(folded) == itip.without_schedule_status(served)
    assert "SCHEDULE-STATUS" not in unfolded(itip.without_schedule_status(folded))


FB = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//t//EN",
        "METHOD:REQUEST",
        "BEGIN:VFREEBUSY",
        "UID:fb1",
        "DTSTAMP:20260101T000000Z",
        "DTSTART:20270105T080000Z",
        "DTEND:20270105T180000Z",
        f"ORGANIZER:{ME}",
        "ATTENDEE:mailto:Boss@Contoso.example",
        "END:VFREEBUSY",
        "END:VCALENDAR",
        "",
    ]
)


def test_free_busy_request_and_reply() -> None:
    request = itip.freebusy_request(FB)
    assert request.attendees == (BOSS,) and request.organizer == ME
    at = dt.datetime(2027, 1, 5, tzinfo=dt.UTC)
    periods = (
        itip.BusyPeriod(at.replace(hour=7), at.replace(hour=9)),  # clipped to the window
        itip.BusyPeriod(at.replace(hour=9), at.replace(hour=10)),  # merged with the first
        itip.BusyPeriod(at.replace(hour=12), at.replace(hour=13), "BUSY-UNAVAILABLE"),
    )
    reply = unfolded(
        itip.freebusy_reply(request, itip.Availability(BOSS, "2.0;Success", periods), at)
    )
    assert "METHOD:REPLY" in reply
    assert "FBTYPE=BUSY;VALUE=PERIOD:20270105T080000Z/20270105T100000Z" in reply
    assert "FBTYPE=BUSY-UNAVAILABLE;VALUE=PERIOD:20270105T120000Z/20270105T130000Z" in reply


@pytest.mark.parametrize(
    "broken",
    [
        FB.replace("METHOD:REQUEST\r\n", ""),
        FB.replace("ATTENDEE:mailto:Boss@Contoso.example\r\n", ""),
        FB.replace("DTEND:20270105T180000Z", "DTEND:20270105T070000Z"),
        "not a calendar",
    ],
)
def test_a_bad_free_busy_request_is_refused(broken: str) -> None:
    with pytest.raises(BadInput):
        itip.freebusy_request(broken)
