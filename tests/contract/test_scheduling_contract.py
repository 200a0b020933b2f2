# ruff: noqa: F811  (sandbox fixtures are imported so that `contract` can request them)
"""The Scheduling contract (RFC 6638 through the provider, issue 16), once per provider against
its sandbox: free/busy from the availability API (Graph getSchedule, Google freebusy.query, EWS
GetUserAvailability) with an unknown address answered 3.7, and an attendee's reply sent through
the provider (Graph accept, Google attendees[self].responseStatus with sendUpdates, EWS
AcceptItem/DeclineItem/TentativelyAcceptItem): the provider records the reply it sends and its
copy shows the account's new PARTSTAT; and a meeting between two mailboxes of the sandbox tenant,
each through the bridge's provider class with its own credentials (colleagues.py): invitation
NEEDS-ACTION in the attendee's calendar, their acceptance on the organizer's event, the
organizer's cancellation on the attendee's copy."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from bridge.ical.itip import Reply
from bridge.providers.base import Scheduling
from tests.contract.colleagues import colleague
from tests.contract.ews_harness import ews_sandbox  # noqa: F401
from tests.contract.google_harness import (  # noqa: F401
    gh_fixture,
    google_control_fixture,
    google_sandbox_fixture,
)
from tests.contract.harness import EventSpec, ProviderHarness, contract, graph_body  # noqa: F401

GUEST = "organizer@fabrikam.example"


def _day(hour: int) -> dt.datetime:
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + dt.timedelta(days=6, hours=hour)


def _calendar(contract: ProviderHarness) -> str:
    """The account's first calendar; the sandbox's message log emptied (a reset keeps it)."""
    h: Any = contract
    h.h.control.call("POST", "/messages/clear")
    return contract.provider().list_calendars()[0].remote_id


def _invite(contract: ProviderHarness, cal: str, me: str, summary: str) -> str:
    """An invitation from GUEST to the account, made on the provider's side."""
    start, end = _day(14), _day(15)
    h: Any = contract
    if contract.name == "google":
        body = {
            "summary": summary,
            "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
            "end": {"dateTime": end.isoformat(), "timeZone": "UTC"},
            "organizer": {"email": GUEST},
            "attendees": [{"email": GUEST, "organizer": True}, {"email": me}],
        }
        return str(h.h.control.call("POST", h._events(cal), body)["id"])
    body = graph_body(EventSpec(summary, start, end))
    body["organizer"] = {"emailAddress": {"address": GUEST, "name": "Guest"}}
    body["attendees"] = [
        {
            "emailAddress": {"address": me, "name": "Me"},
            "type": "required",
            "status": {"response": "none"},
        }
    ]
    if contract.name == "graph":
        return str(h.h.control.call("POST", f"/calendars/{cal}/events", body)["id"])
    return str(h.h.control.call("POST", "/create", {"folder": cal, "event": body})["id"])


def _messages(contract: ProviderHarness, **query: str) -> list[dict[str, Any]]:
    h: Any = contract
    rows = h.h.control.call("GET", "/messages")
    return [r for r in rows if all(str(r[k]).lower() == v.lower() for k, v in query.items())]


def test_free_busy_from_the_availability_api(contract: ProviderHarness) -> None:
    provider = contract.provider()
    assert isinstance(provider, Scheduling)
    cal = _calendar(contract)
    contract.add_event(cal, EventSpec("Busy block", _day(9), _day(10)))
    me = provider.account_email
    mine, unknown = provider.free_busy([me, "nobody@nowhere.example"], _day(8), _day(11))
    assert mine.status.startswith("2.0") and unknown.status.startswith("3.7")
    assert any(p.start <= _day(9) and p.end >= _day(10) and p.kind == "BUSY" for p in mine.periods)


def test_a_reply_goes_out_through_the_provider(contract: ProviderHarness) -> None:
    provider = contract.provider()
    assert isinstance(provider, Scheduling)
    cal = _calendar(contract)
    me = provider.account_email
    remote_id = _invite(contract, cal, me, "Their planning")
    provider.reply(cal, remote_id, Reply("TENTATIVE"))
    sent = _messages(contract, method="REPLY")
    assert [(m["from"].lower(), m["to"].lower()) for m in sent] == [(me.lower(), GUEST)]
    assert sent[0]["partstat"] in ("tentativelyAccepted", "tentative")
    item = provider.fetch(cal, remote_id, contract.window)
    assert item is not None
    unfolded = re.sub(r"\r?\n[ \t]", "", item.ical)
    line = next(
        x
        for x in unfolded.splitlines()
        if x.startswith("ATTENDEE") and x.lower().endswith(me.lower())
    )
    assert "PARTSTAT=TENTATIVE" in line, unfolded


def _recurring_invite(contract: ProviderHarness, cal: str, me: str) -> str:
    """A weekly invitation (4 occurrences) from GUEST to the account."""
    h: Any = contract
    start, end = _day(16), _day(17)
    if contract.name == "google":
        body = {
            "summary": "Their weekly",
            "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
            "end": {"dateTime": end.isoformat(), "timeZone": "UTC"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
            "organizer": {"email": GUEST},
            "attendees": [{"email": GUEST, "organizer": True}, {"email": me}],
        }
        return str(h.h.control.call("POST", h._events(cal), body)["id"])
    body = graph_body(EventSpec("Their weekly", start, end, weekly_count=4))
    body["organizer"] = {"emailAddress": {"address": GUEST, "name": "Guest"}}
    body["attendees"] = [
        {
            "emailAddress": {"address": me, "name": "Me"},
            "type": "required",
            "status": {"response": "none"},
        }
    ]
    if contract.name == "graph":
        return str(h.h.control.call("POST", f"/calendars/{cal}/events", body)["id"])
    return str(h.h.control.call("POST", "/create", {"folder": cal, "event": body})["id"])


def test_a_reply_for_one_occurrence(contract: ProviderHarness) -> None:
    """RFC 6638 §3.2.2.1 per-occurrence reply: only that occurrence carries the new PARTSTAT."""
    provider = contract.provider()
    assert isinstance(provider, Scheduling)
    cal = _calendar(contract)
    me = provider.account_email
    remote_id = _recurring_invite(contract, cal, me)
    second = _day(16) + dt.timedelta(days=7)
    provider.reply(cal, remote_id, Reply("ACCEPTED", second))
    sent = _messages(contract, method="REPLY")
    assert len(sent) == 1 and sent[0]["partstat"] == "accepted", sent
    item = provider.fetch(cal, remote_id, contract.window)
    assert item is not None
    unfolded = re.sub(r"\r?\n[ \t]", "", item.ical)
    blocks = unfolded.split("BEGIN:VEVENT")[1:]
    own = {
        ("RECURRENCE-ID" in block): next(
            x
            for x in block.splitlines()
            if x.startswith("ATTENDEE") and x.lower().endswith(me.lower())
        )
        for block in blocks
    }
    assert "PARTSTAT=ACCEPTED" in own[True], unfolded
    assert "PARTSTAT=ACCEPTED" not in own[False], unfolded


def _meeting(uid: str, summary: str, organizer: str, attendee: str) -> str:
    start = _day(11).strftime("%Y%m%dT%H%M%SZ")
    end = _day(12).strftime("%Y%m%dT%H%M%SZ")
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//davbridge contract//EN",
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{start}",
            f"DTEND:{end}",
            f"SUMMARY:{summary}",
            f"ORGANIZER:mailto:{organizer}",
            f"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{attendee}",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


def _partstat(ical: str, address: str) -> str:
    unfolded = re.sub(r"\r?\n[ \t]", "", ical)
    line = next(
        x
        for x in unfolded.splitlines()
        if x.startswith("ATTENDEE") and x.lower().endswith(address.lower())
    )
    found = re.search(r";PARTSTAT=([A-Z-]+)", line)
    return found.group(1) if found else "NEEDS-ACTION"  # RFC 5545: the default


def _copy_of(provider: Any, cal: str, summary: str, window: Any) -> Any:
    """The attendee's copy of the meeting, found by its summary (the copy's UID is the
    provider's: Google keeps the client's UID in the organizer's private properties)."""
    found = [i for i in provider.pull(cal, None, window).items if f"SUMMARY:{summary}" in i.ical]
    assert len(found) == 1, [i.ical for i in found]
    return found[0]


def test_a_meeting_between_two_mailboxes_of_the_tenant(contract: ProviderHarness) -> None:
    """Organizer A invites mailbox B of the same tenant through the provider: B's own calendar
    shows the invitation NEEDS-ACTION, B's acceptance through the provider shows ACCEPTED on
    A's event, A's cancellation cancels (or removes) B's copy."""
    a = contract.provider()
    assert isinstance(a, Scheduling)
    a_cal = _calendar(contract)
    me = a.account_email
    b_address, b = colleague(contract, "bea")
    assert isinstance(b, Scheduling)
    b_cal = next(c.remote_id for c in b.list_calendars() if c.is_default)
    summary = f"Roadmap {uuid.uuid4().hex[:8]}"
    made = a.create(
        a_cal, _meeting(str(uuid.uuid4()), summary, me, b_address), "meet-1", contract.window
    )

    invited = _copy_of(b, b_cal, summary, contract.window)
    assert _partstat(invited.ical, b_address) == "NEEDS-ACTION", invited.ical
    assert f"mailto:{me.lower()}" in invited.ical.lower()  # the organizer is A

    b.reply(b_cal, invited.remote_id, Reply("ACCEPTED"))
    seen = a.fetch(a_cal, made.remote_id, contract.window)
    assert seen is not None and _partstat(seen.ical, b_address) == "ACCEPTED", seen

    a.delete(a_cal, made.remote_id, None)
    after = b.fetch(b_cal, invited.remote_id, contract.window)
    assert after is None or "STATUS:CANCELLED" in after.ical, after.ical
