"""Meetings between two mailboxes of the EWS sandbox (sandbox/ews/delivery.py,
ops_scheduling.py), driven with exchangelib as the bridge drives it: a meeting saved with
SendToAllAndSaveCopy lands in the attendee's calendar, the attendee's AcceptItem updates the
organizer's attendee response, removing the attendee cancels their copy, and every message is
in the control log."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import requests
from exchangelib import Account, CalendarItem, EWSDateTime, EWSTimeZone
from exchangelib.items import SEND_TO_ALL_AND_SAVE_COPY
from exchangelib.properties import Attendee, Mailbox

from sandbox.ews.server import EwsSandbox
from tests.sandbox_ews.conftest import make_account

BOB = {
    "user": "bob",
    "upn": "bob@contoso.example",
    "display_name": "Bob",
    "password": "B0b-s3cret!",
}


def _bob(sandbox: EwsSandbox) -> Account:
    added = requests.post(f"{sandbox.info.control_url}/users", json=BOB, timeout=10)
    assert added.status_code == 201, added.text
    info = replace(sandbox.info, username="CONTOSO\\bob", upn=BOB["upn"], password=BOB["password"])
    return make_account(info, max_wait=None)


def _messages(sandbox: EwsSandbox) -> list[dict[str, str]]:
    return list(requests.get(f"{sandbox.info.control_url}/messages", timeout=10).json())


def test_a_meeting_between_two_mailboxes(sandbox: EwsSandbox) -> None:
    bob = _bob(sandbox)
    alex = make_account(sandbox.info, max_wait=None)
    start = EWSDateTime(2031, 3, 4, 10, tzinfo=EWSTimeZone("UTC"))
    meeting = CalendarItem(
        account=alex,
        folder=alex.calendar,
        subject="Planning",
        start=start,
        end=start + dt.timedelta(hours=1),
        required_attendees=[
            Attendee(mailbox=Mailbox(email_address=BOB["upn"]), response_type="Unknown")
        ],
    )
    meeting.save(send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY)
    (copy,) = [i for i in bob.calendar.all() if i.subject == "Planning"]
    assert copy.uid == alex.calendar.get(id=meeting.id).uid
    assert copy.organizer.email_address == sandbox.info.upn
    assert copy.my_response_type == "Unknown"

    copy.accept()
    organizer_view = alex.calendar.get(id=meeting.id)
    assert [
        (a.mailbox.email_address, a.response_type) for a in organizer_view.required_attendees
    ] == [(BOB["upn"], "Accept")]
    assert bob.calendar.get(id=copy.id).my_response_type == "Accept"

    organizer_view.required_attendees = None
    organizer_view.save(
        update_fields=["required_attendees"], send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY
    )
    cancelled = bob.calendar.get(id=copy.id)
    assert cancelled.is_cancelled and cancelled.subject == "Canceled: Planning"
    sent = [(m["method"], m["from"], m["to"]) for m in _messages(sandbox)]
    assert sent == [
        ("REQUEST", sandbox.info.upn, BOB["upn"]),
        ("REPLY", BOB["upn"], sandbox.info.upn),
        ("CANCEL", sandbox.info.upn, BOB["upn"]),
    ]
