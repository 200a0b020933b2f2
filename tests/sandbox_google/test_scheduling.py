"""The messages the Google sandbox records for meetings (sandbox/google/scheduling.py),
driven with google-api-python-client: `sendUpdates=all` sends invitations, updates and
cancellations, nothing without it, a guest's own responseStatus change sends a reply; and
freebusy.query answers busy time of the account and notFound for an unknown calendar."""

from __future__ import annotations

from typing import Any

from sandbox.google.server import GoogleSandbox
from tests.sandbox_google.conftest import Control, timed

GUEST = "guest@fabrikam.example"


def test_send_updates_invitations_updates_and_cancellations(
    sandbox: GoogleSandbox, service: Any, control: Control
) -> None:
    me = sandbox.info.user
    body = timed(
        "Review", "2031-02-03T10:00:00", "2031-02-03T11:00:00", attendees=[{"email": GUEST}]
    )
    quiet = service.events().insert(calendarId="primary", body=body).execute()
    assert control.call("GET", f"/messages?uid={quiet['iCalUID']}") == []
    made = service.events().insert(calendarId="primary", body=body, sendUpdates="all").execute()
    sent = control.call("GET", f"/messages?uid={made['iCalUID']}")
    assert [(m["method"], m["from"], m["to"]) for m in sent] == [("REQUEST", me, GUEST)]
    service.events().patch(
        calendarId="primary", eventId=made["id"], body={"attendees": []}, sendUpdates="all"
    ).execute()
    service.events().delete(calendarId="primary", eventId=quiet["id"], sendUpdates="all").execute()
    cancels = control.call("GET", "/messages?method=CANCEL")
    assert {m["uid"] for m in cancels} == {made["iCalUID"], quiet["iCalUID"]}


def test_a_guest_reply_and_free_busy(
    sandbox: GoogleSandbox, service: Any, control: Control
) -> None:
    me = sandbox.info.user
    invite = timed(
        "Their meeting",
        "2031-02-04T09:00:00",
        "2031-02-04T10:00:00",
        tz="UTC",
        organizer={"email": GUEST},
        attendees=[{"email": GUEST, "organizer": True}, {"email": me}],
    )
    made = control.call("POST", "/calendars/primary/events", invite)
    event = service.events().get(calendarId="primary", eventId=made["id"]).execute()
    attendees = [
        {**a, "responseStatus": "tentative"} if a["email"] == me else a for a in event["attendees"]
    ]
    service.events().patch(
        calendarId="primary", eventId=made["id"], body={"attendees": attendees}, sendUpdates="all"
    ).execute()
    replies = control.call("GET", "/messages?method=REPLY")
    assert [(m["from"], m["to"], m["partstat"]) for m in replies] == [(me, GUEST, "tentative")]

    answer = (
        service.freebusy()
        .query(
            body={
                "timeMin": "2031-02-04T08:00:00Z",
                "timeMax": "2031-02-04T12:00:00Z",
                "items": [{"id": me}, {"id": "nobody@contoso.example"}],
            }
        )
        .execute()
    )
    assert answer["calendars"][me]["busy"] == [
        {"start": "2031-02-04T09:00:00Z", "end": "2031-02-04T10:00:00Z"}
    ]
    assert answer["calendars"]["nobody@contoso.example"]["errors"][0]["reason"] == "notFound"
