"""Meetings between users of the Google sandbox's domain (sandbox/google/delivery.py), driven
with google-api-python-client under each user's own token: every user sees only their own
calendars; an organizer's invitation lands in the guest's primary calendar (same id and
iCalUID, `self` on the guest's entry, needsAction), the guest's answer reaches the organizer
and the other guests, one occurrence's answer only that occurrence, and the organizer's
delete or `status: cancelled` leaves the guests' copies cancelled."""

from __future__ import annotations

from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from bridge.entry.demo_signin import sign_in_at
from sandbox.google.server import GoogleSandbox
from sandbox.google.state import GoogleState, fresh_state
from tests.sandbox_google.conftest import (
    CALENDAR,
    REDIRECT,
    Control,
    calendar,
    make_flow,
    timed,
)

PASSWORD = "a long enough password"  # noqa: S105 - test credential
BEA = "bea@contoso.example"
CAL = "cal@contoso.example"
OUTSIDE = "guest@fabrikam.example"


def _service_of(sandbox: GoogleSandbox, email: str) -> Any:
    """A new account of the domain, signed in through the consent flow, as a Calendar client."""
    info = sandbox.info
    Control(info).call("POST", "/users", {"email": email, "name": email, "password": PASSWORD})
    flow = make_flow(info, [CALENDAR])
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    query = sign_in_at(url, email, PASSWORD, REDIRECT, info.ca_file)
    assert query["state"] == state
    flow.fetch_token(code=query["code"], verify=info.ca_file)
    creds = flow.credentials
    assert isinstance(creds, Credentials)
    return calendar(info, creds)


@pytest.fixture
def bea(sandbox: GoogleSandbox) -> Any:
    return _service_of(sandbox, BEA)


def _own(event: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in event["attendees"] if a.get("self"))


def _status_of(event: dict[str, Any], email: str) -> str:
    return str(next(a for a in event["attendees"] if a["email"] == email)["responseStatus"])


def test_each_user_sees_their_own_calendars(sandbox: GoogleSandbox, service: Any, bea: Any) -> None:
    mine = (
        service.events()
        .insert(
            calendarId="primary",
            body=timed("Alex only", "2031-03-03T10:00:00", "2031-03-03T11:00:00"),
        )
        .execute()
    )
    listed = bea.calendarList().list().execute()["items"]
    assert [(c["id"], c.get("primary")) for c in listed] == [(BEA, True)]
    assert bea.events().list(calendarId="primary").execute()["items"] == []
    with pytest.raises(HttpError) as err:
        bea.events().get(calendarId=sandbox.info.user, eventId=mine["id"]).execute()
    assert err.value.resp.status == 404


def test_invitation_answer_and_cancellation(sandbox: GoogleSandbox, service: Any, bea: Any) -> None:
    me = sandbox.info.user
    cal = _service_of(sandbox, CAL)
    body = timed(
        "Planning",
        "2031-03-04T10:00:00",
        "2031-03-04T11:00:00",
        attendees=[{"email": BEA}, {"email": CAL}, {"email": OUTSIDE}],
        extendedProperties={"private": {"mine": "1"}, "shared": {"all": "2"}},
    )
    made = service.events().insert(calendarId="primary", body=body, sendUpdates="all").execute()

    copy = bea.events().get(calendarId="primary", eventId=made["id"]).execute()
    assert copy["iCalUID"] == made["iCalUID"] and copy["summary"] == "Planning"
    assert copy["organizer"] == {"email": me} and not copy["organizer"].get("self")
    assert _own(copy) == {"email": BEA, "responseStatus": "needsAction", "self": True}
    assert sum(bool(a.get("self")) for a in copy["attendees"]) == 1
    assert copy["extendedProperties"] == {"shared": {"all": "2"}}
    assert [e["id"] for e in bea.events().list(calendarId="primary").execute()["items"]] == [
        made["id"]
    ]

    attendees = [
        {**a, "responseStatus": "accepted"} if a.get("self") else a for a in copy["attendees"]
    ]
    bea.events().patch(
        calendarId="primary", eventId=made["id"], body={"attendees": attendees}, sendUpdates="all"
    ).execute()
    organizer = service.events().get(calendarId="primary", eventId=made["id"]).execute()
    assert _status_of(organizer, BEA) == "accepted"
    other = cal.events().get(calendarId="primary", eventId=made["id"]).execute()
    assert _status_of(other, BEA) == "accepted" and _own(other)["responseStatus"] == "needsAction"

    service.events().patch(
        calendarId="primary", eventId=made["id"], body={"summary": "Planning (moved)"}
    ).execute()
    kept = bea.events().get(calendarId="primary", eventId=made["id"]).execute()
    assert kept["summary"] == "Planning (moved)" and _own(kept)["responseStatus"] == "accepted"

    service.events().delete(calendarId="primary", eventId=made["id"], sendUpdates="all").execute()
    for guest in (bea, cal):
        gone = guest.events().get(calendarId="primary", eventId=made["id"]).execute()
        assert gone["status"] == "cancelled"


def test_removed_guest_and_cancelled_status(sandbox: GoogleSandbox, service: Any, bea: Any) -> None:
    cal = _service_of(sandbox, CAL)
    body = timed(
        "Sync",
        "2031-03-05T10:00:00",
        "2031-03-05T11:00:00",
        attendees=[{"email": BEA}, {"email": CAL}],
    )
    made = service.events().insert(calendarId="primary", body=body).execute()
    service.events().patch(
        calendarId="primary", eventId=made["id"], body={"attendees": [{"email": CAL}]}
    ).execute()
    assert bea.events().get(calendarId="primary", eventId=made["id"]).execute()["status"] == (
        "cancelled"
    )
    assert cal.events().get(calendarId="primary", eventId=made["id"]).execute()["status"] == (
        "confirmed"
    )
    service.events().patch(
        calendarId="primary", eventId=made["id"], body={"status": "cancelled"}
    ).execute()
    assert cal.events().get(calendarId="primary", eventId=made["id"]).execute()["status"] == (
        "cancelled"
    )


def test_answer_for_one_occurrence(sandbox: GoogleSandbox, service: Any, bea: Any) -> None:
    body = timed(
        "Weekly",
        "2031-03-06T10:00:00",
        "2031-03-06T11:00:00",
        tz="UTC",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
        attendees=[{"email": BEA}],
    )
    made = service.events().insert(calendarId="primary", body=body).execute()
    second = f"{made['id']}_20310313T100000Z"
    occurrence = bea.events().get(calendarId="primary", eventId=second).execute()
    attendees = [
        {**a, "responseStatus": "declined"} if a.get("self") else a for a in occurrence["attendees"]
    ]
    bea.events().patch(
        calendarId="primary", eventId=second, body={"attendees": attendees}
    ).execute()
    instances = service.events().instances(calendarId="primary", eventId=made["id"]).execute()
    answers = [_status_of(i, BEA) for i in instances["items"]]
    assert answers == ["needsAction", "declined", "needsAction"]


def test_free_busy_of_another_user_of_the_domain(
    sandbox: GoogleSandbox, service: Any, bea: Any
) -> None:
    bea.events().insert(
        calendarId="primary",
        body=timed("Dentist", "2031-03-07T09:00:00", "2031-03-07T10:00:00", tz="UTC"),
    ).execute()
    answer = (
        service.freebusy()
        .query(
            body={
                "timeMin": "2031-03-07T08:00:00Z",
                "timeMax": "2031-03-07T12:00:00Z",
                "items": [{"id": BEA}],
            }
        )
        .execute()
    )
    assert answer["calendars"][BEA]["busy"] == [
        {"start": "2031-03-07T09:00:00Z", "end": "2031-03-07T10:00:00Z"}
    ]


def test_other_users_calendars_persist_and_old_state_loads() -> None:
    state = fresh_state()
    state.passwords[BEA] = PASSWORD
    store = state.store_for(BEA)
    made = store.insert(
        store.calendar("primary"),
        timed("Saved", "2031-03-08T10:00:00", "2031-03-08T11:00:00"),
        use_conference=False,
    )
    saved = state.to_json()
    again = GoogleState.from_json(saved)
    assert again.store_for(BEA).resolve(again.store_for(BEA).calendar("primary"), made["id"])
    older = {k: v for k, v in saved.items() if k != "others"}  # before stores were per user
    loaded = GoogleState.from_json(older)
    assert loaded.store.user == state.store.user
    assert loaded.store_for(BEA).stored(loaded.store_for(BEA).calendar("primary")) == {}
