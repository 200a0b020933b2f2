"""Meetings between two mailboxes of the Graph sandbox's tenant (sandbox/graph_scheduling.py),
driven through Graph with an application token as any client would: invitations land in the
attendee's calendar, replies update the organizer's attendee status, cancellations mark the
attendee's copy, getSchedule answers busy times, and every message is in the control log."""

from __future__ import annotations

from typing import Any

import msal
import pytest

from sandbox.server import Sandbox
from tests.sandbox.conftest import Control, Graph, event_body

ORGANIZER = "lidia@contoso.example"
ATTENDEE = "pradeep@contoso.example"


@pytest.fixture
def app_graph(sandbox: Sandbox) -> Graph:
    info = sandbox.info
    control = Control(info)
    for upn, name in ((ORGANIZER, "Lidia Holloway"), (ATTENDEE, "Pradeep Gupta")):
        control.call("POST", "/users", {"upn": upn, "display_name": name, "password": "pw-long-x"})
    app = msal.ConfidentialClientApplication(
        info.admin_client_id,
        client_credential=info.admin_client_secret,
        authority=info.authority,
        verify=info.ca_file,
        instance_discovery=False,
        validate_authority=False,
    )
    token = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    return Graph(info, token["access_token"])


def _ok(r: Any) -> Any:
    assert r.status_code < 300, (r.status_code, r.text)
    return r.json() if r.content else None


def _events(graph: Graph, upn: str) -> list[dict[str, Any]]:
    return list(_ok(graph.get(f"/users/{upn}/calendar/events?$top=100"))["value"])


def _meeting(graph: Graph, **extra: Any) -> dict[str, Any]:
    body = event_body(
        "Planning",
        "2031-03-04T10:00:00",
        "2031-03-04T11:00:00",
        attendees=[
            {"emailAddress": {"address": ATTENDEE, "name": "Nestor"}, "type": "required"},
            {"emailAddress": {"address": "guest@fabrikam.example"}, "type": "optional"},
        ],
        **extra,
    )
    return dict(_ok(graph.call("POST", f"/users/{ORGANIZER}/calendar/events", json=body)))


def test_invitation_reply_and_cancellation_between_mailboxes(
    app_graph: Graph, control: Control
) -> None:
    made = _meeting(app_graph)
    (copy,) = _events(app_graph, ATTENDEE)
    assert copy["iCalUId"] == made["iCalUId"] and copy["isOrganizer"] is False
    assert copy["organizer"]["emailAddress"]["address"] == ORGANIZER
    assert copy["responseStatus"]["response"] == "notResponded"
    sent = control.call("GET", f"/messages?uid={made['iCalUId']}")
    assert {(m["method"], m["to"]) for m in sent} == {
        ("REQUEST", ATTENDEE),
        ("REQUEST", "guest@fabrikam.example"),
    }

    # the organizer cannot answer their own meeting
    r = app_graph.call("POST", f"/users/{ORGANIZER}/events/{made['id']}/accept", json={})
    assert r.status_code == 400

    r = app_graph.call(
        "POST",
        f"/users/{ATTENDEE}/events/{copy['id']}/tentativelyAccept",
        json={"comment": "maybe", "sendResponse": True},
    )
    assert r.status_code == 202, r.text
    (copy,) = _events(app_graph, ATTENDEE)
    assert copy["responseStatus"]["response"] == "tentativelyAccepted"
    organizer_view = _ok(app_graph.get(f"/users/{ORGANIZER}/events/{made['id']}"))
    status = {
        a["emailAddress"]["address"]: a["status"]["response"] for a in organizer_view["attendees"]
    }
    assert status == {ATTENDEE: "tentativelyAccepted", "guest@fabrikam.example": "none"}
    reply = control.call("GET", f"/messages?method=REPLY&uid={made['iCalUId']}")
    assert [(m["from"], m["to"], m["partstat"], m["comment"]) for m in reply] == [
        (ATTENDEE, ORGANIZER, "tentativelyAccepted", "maybe")
    ]

    # the organizer moves it: the copy follows and keeps the attendee's answer
    _ok(
        app_graph.call(
            "PATCH",
            f"/users/{ORGANIZER}/events/{made['id']}",
            json={
                "start": {"dateTime": "2031-03-04T14:00:00", "timeZone": "UTC"},
                "end": {"dateTime": "2031-03-04T15:00:00", "timeZone": "UTC"},
            },
        )
    )
    (copy,) = _events(app_graph, ATTENDEE)
    assert copy["start"]["dateTime"].startswith("2031-03-04T14:00:00")

    # ... and cancels it: the attendee's copy is marked cancelled
    r = app_graph.call(
        "POST", f"/users/{ORGANIZER}/events/{made['id']}/cancel", json={"comment": "off"}
    )
    assert r.status_code == 202, r.text
    assert _events(app_graph, ORGANIZER) == []
    (copy,) = _events(app_graph, ATTENDEE)
    assert copy["isCancelled"] is True and copy["subject"] == "Canceled: Planning"
    cancels = control.call("GET", f"/messages?method=CANCEL&uid={made['iCalUId']}")
    assert {m["to"] for m in cancels} == {ATTENDEE, "guest@fabrikam.example"}


def test_decline_and_a_removed_attendee_gets_a_cancellation(
    app_graph: Graph, control: Control
) -> None:
    made = _meeting(app_graph)
    (copy,) = _events(app_graph, ATTENDEE)
    r = app_graph.call("POST", f"/users/{ATTENDEE}/events/{copy['id']}/decline", json={})
    assert r.status_code == 202
    (copy,) = _events(app_graph, ATTENDEE)
    assert copy["responseStatus"]["response"] == "declined"
    _ok(app_graph.call("DELETE", f"/users/{ATTENDEE}/events/{copy['id']}"))  # sends nothing
    organizer_view = _ok(app_graph.get(f"/users/{ORGANIZER}/events/{made['id']}"))
    assert organizer_view["attendees"][0]["status"]["response"] == "declined"

    again = _meeting(app_graph)
    _ok(app_graph.call("PATCH", f"/users/{ORGANIZER}/events/{again['id']}", json={"attendees": []}))
    (copy,) = _events(app_graph, ATTENDEE)
    assert copy["isCancelled"] is True
    assert [
        m["to"] for m in control.call("GET", f"/messages?method=CANCEL&uid={again['iCalUId']}")
    ] == [ATTENDEE, "guest@fabrikam.example"]


def test_get_schedule_reports_busy_tentative_and_out_of_office(app_graph: Graph) -> None:
    for subject, start, show in (
        ("a", "09:00", "busy"),
        ("b", "10:00", "tentative"),
        ("c", "11:00", "oof"),
        ("d", "12:00", "free"),
    ):
        body = event_body(
            subject, f"2031-05-06T{start}:00", f"2031-05-06T{start[:2]}:30:00", showAs=show
        )
        _ok(app_graph.call("POST", f"/users/{ATTENDEE}/calendar/events", json=body))
    answer = _ok(
        app_graph.call(
            "POST",
            f"/users/{ORGANIZER}/calendar/getSchedule",
            json={
                "schedules": [ATTENDEE, "nobody@contoso.example"],
                "startTime": {"dateTime": "2031-05-06T08:00:00", "timeZone": "UTC"},
                "endTime": {"dateTime": "2031-05-06T13:00:00", "timeZone": "UTC"},
                "availabilityViewInterval": 60,
            },
        )
    )
    known, unknown = answer["value"]
    assert known["scheduleId"] == ATTENDEE and known["availabilityView"] == "02130"
    assert [(i["status"], i["start"]["dateTime"][:16]) for i in known["scheduleItems"]] == [
        ("busy", "2031-05-06T09:00"),
        ("tentative", "2031-05-06T10:00"),
        ("oof", "2031-05-06T11:00"),
    ]
    assert unknown["error"]["responseCode"] == "ErrorInvalidUser"
    bad = app_graph.call("POST", f"/users/{ORGANIZER}/calendar/getSchedule", json={"schedules": []})
    assert bad.status_code == 400
