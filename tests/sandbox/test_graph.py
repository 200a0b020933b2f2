"""Graph v1.0 calendar behaviour of the sandbox, as a Graph client sees it."""

from __future__ import annotations

import re

from sandbox.server import Sandbox
from tests.sandbox.conftest import Control, Graph, event_body

WINDOW = "startDateTime=2030-01-01T00:00:00Z&endDateTime=2030-03-01T00:00:00Z"


def _default_calendar(graph: Graph) -> dict:
    return next(c for c in graph.get("/me/calendars").json()["value"] if c["isDefaultCalendar"])


def test_missing_token_gives_graph_error_envelope(sandbox: Sandbox) -> None:
    resp = Graph(sandbox.info, "").call("GET", "/me/calendars", headers={"Authorization": ""})
    assert resp.status_code == 401
    err = resp.json()["error"]
    assert err["code"] == "InvalidAuthenticationToken"
    assert {"date", "request-id", "client-request-id"} <= set(err["innerError"])
    bogus = Graph(sandbox.info, "not-a-token").get("/me")
    assert bogus.status_code == 401


def test_calendars_listing_and_read_only_calendar(graph: Graph, control: Control) -> None:
    shared = control.call(
        "POST",
        "/calendars",
        {
            "name": "Team Holidays",
            "canEdit": False,
            "hexColor": "#107C10",
            "ownerName": "Megan Bowen",
            "ownerAddress": "megan@contoso.example",
        },
    )
    cals = {c["name"]: c for c in graph.get("/me/calendars").json()["value"]}
    assert cals["Calendar"]["isDefaultCalendar"] and cals["Calendar"]["canEdit"]
    ro = cals["Team Holidays"]
    assert ro["canEdit"] is False and ro["owner"]["address"] == "megan@contoso.example"
    assert ro["hexColor"] == "#107C10" and ro["@odata.etag"] == f'W/"{ro["changeKey"]}"'
    denied = graph.call(
        "POST",
        f"/me/calendars/{shared['id']}/events",
        json=event_body("x", "2030-01-02T10:00:00", "2030-01-02T11:00:00"),
    )
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "ErrorAccessDenied"


def test_event_times_utc_by_default_and_in_preferred_zone(graph: Graph) -> None:
    created = graph.call(
        "POST",
        "/me/events",
        json=event_body(
            "Standup", "2030-01-07T09:00:00", "2030-01-07T09:15:00", "Pacific Standard Time"
        ),
    )
    assert created.status_code == 201
    ev = created.json()
    assert ev["start"] == {"dateTime": "2030-01-07T17:00:00.0000000", "timeZone": "UTC"}
    assert ev["originalStartTimeZone"] == "Pacific Standard Time"
    assert ev["type"] == "singleInstance" and ev["@odata.etag"] == f'W/"{ev["changeKey"]}"'
    local = graph.get(
        f"/me/events/{ev['id']}", headers={"Prefer": 'outlook.timezone="W. Europe Standard Time"'}
    ).json()
    assert local["start"] == {
        "dateTime": "2030-01-07T18:00:00.0000000",
        "timeZone": "W. Europe Standard Time",
    }
    iana = graph.get(
        f"/me/events/{ev['id']}", headers={"Prefer": 'outlook.timezone="Asia/Kolkata"'}
    )
    assert iana.json()["start"]["dateTime"] == "2030-01-07T22:30:00.0000000"


def test_all_day_event_is_midnight_to_midnight(graph: Graph) -> None:
    ev = graph.call(
        "POST",
        "/me/events",
        json=event_body(
            "Offsite",
            "2030-01-10T00:00:00",
            "2030-01-12T00:00:00",
            "India Standard Time",
            isAllDay=True,
        ),
    ).json()
    assert ev["isAllDay"] and ev["start"]["dateTime"] == "2030-01-10T00:00:00.0000000"
    assert ev["end"]["dateTime"] == "2030-01-12T00:00:00.0000000"
    bad = graph.call(
        "POST",
        "/me/events",
        json=event_body("Bad", "2030-01-10T09:00:00", "2030-01-11T00:00:00", isAllDay=True),
    )
    assert bad.status_code == 400


def test_if_match_and_change_keys(graph: Graph) -> None:
    ev = graph.call(
        "POST",
        "/me/events",
        json=event_body("Review", "2030-01-08T10:00:00", "2030-01-08T11:00:00"),
    ).json()
    url = f"/me/events/{ev['id']}"
    ok = graph.call(
        "PATCH", url, json={"subject": "Review v2"}, headers={"If-Match": ev["@odata.etag"]}
    )
    assert ok.status_code == 200
    updated = ok.json()
    assert updated["changeKey"] != ev["changeKey"] and updated["subject"] == "Review v2"
    assert updated["iCalUId"] == ev["iCalUId"] and updated["id"] == ev["id"]
    stale = graph.call(
        "PATCH", url, json={"subject": "lost"}, headers={"If-Match": ev["@odata.etag"]}
    )
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "ErrorIrresolvableConflict"
    assert graph.call("DELETE", url, headers={"If-Match": ev["@odata.etag"]}).status_code == 412
    current = {"If-Match": updated["@odata.etag"]}
    assert graph.call("DELETE", url, headers=current).status_code == 204
    gone = graph.get(url)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "ErrorItemNotFound"


def test_transaction_id_makes_post_idempotent(graph: Graph) -> None:
    body = event_body(
        "Once",
        "2030-01-09T10:00:00",
        "2030-01-09T11:00:00",
        transactionId="7E163156-7762-4BEB-A1C6-729EA81755A7",
    )
    first = graph.call("POST", "/me/events", json=body)
    second = graph.call("POST", "/me/events", json=body)  # a client retry after a timeout
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.json()["transactionId"] == body["transactionId"]
    listed = graph.get("/me/events").json()["value"]
    assert [e["subject"] for e in listed].count("Once") == 1


def test_recurrence_instances_exceptions_and_cancellations(graph: Graph) -> None:
    master = graph.call(
        "POST",
        "/me/events",
        json=event_body(
            "Weekly sync",
            "2030-01-07T09:00:00",
            "2030-01-07T09:30:00",
            "W. Europe Standard Time",
            recurrence={
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
                "range": {"type": "numbered", "startDate": "2030-01-07", "numberOfOccurrences": 5},
            },
        ),
    ).json()
    assert master["type"] == "seriesMaster"
    assert master["recurrence"]["range"]["recurrenceTimeZone"] == "W. Europe Standard Time"
    url = f"/me/events/{master['id']}/instances?{WINDOW}"
    occ = graph.get(url).json()["value"]
    assert [o["start"]["dateTime"][:16] for o in occ] == [
        "2030-01-07T08:00",
        "2030-01-14T08:00",
        "2030-01-21T08:00",
        "2030-01-28T08:00",
        "2030-02-04T08:00",
    ]
    assert {o["type"] for o in occ} == {"occurrence"}
    assert all(o["seriesMasterId"] == master["id"] for o in occ)
    assert len({o["id"] for o in occ} | {master["id"]}) == 6
    assert [o["id"] for o in graph.get(url).json()["value"]] == [o["id"] for o in occ]  # stable
    assert occ[1]["originalStart"] == "2030-01-14T08:00:00Z"
    moved = graph.call(
        "PATCH",
        f"/me/events/{occ[1]['id']}",
        json={
            "start": {"dateTime": "2030-01-15T10:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2030-01-15T10:30:00", "timeZone": "UTC"},
        },
    ).json()
    assert moved["type"] == "exception" and moved["id"] == occ[1]["id"]
    assert graph.call("DELETE", f"/me/events/{occ[2]['id']}").status_code == 204
    after = graph.get(url).json()["value"]
    assert [(o["type"], o["start"]["dateTime"][:16]) for o in after] == [
        ("occurrence", "2030-01-07T08:00"),
        ("exception", "2030-01-15T10:00"),
        ("occurrence", "2030-01-28T08:00"),
        ("occurrence", "2030-02-04T08:00"),
    ]
    assert graph.get(f"/me/events/{occ[2]['id']}").status_code == 404


def test_calendar_view_pages_and_excludes_masters(graph: Graph) -> None:
    cal = _default_calendar(graph)
    for day in range(1, 4):
        graph.call(
            "POST",
            f"/me/calendars/{cal['id']}/events",
            json=event_body(f"Day {day}", f"2030-01-0{day}T10:00:00", f"2030-01-0{day}T11:00:00"),
        )
    graph.call(
        "POST",
        "/me/events",
        json=event_body(
            "Daily",
            "2030-01-05T08:00:00",
            "2030-01-05T08:30:00",
            recurrence={
                "pattern": {"type": "daily", "interval": 1},
                "range": {"type": "endDate", "startDate": "2030-01-05", "endDate": "2030-01-06"},
            },
        ),
    )
    url = f"/me/calendars/{cal['id']}/calendarView?{WINDOW}"
    page = graph.get(url, headers={"Prefer": "odata.maxpagesize=3"}).json()
    assert len(page["value"]) == 3 and page["@odata.nextLink"].startswith("https://")
    rest = graph.get(page["@odata.nextLink"]).json()
    rows = page["value"] + rest["value"]
    assert "@odata.nextLink" not in rest
    assert [r["subject"] for r in rows] == ["Day 1", "Day 2", "Day 3", "Daily", "Daily"]
    assert {r["type"] for r in rows} == {"singleInstance", "occurrence"}
    missing = graph.get(f"/me/calendars/{cal['id']}/calendarView")
    assert missing.status_code == 400


def test_online_meeting_gets_a_join_url(graph: Graph) -> None:
    ev = graph.call(
        "POST",
        "/me/events",
        json=event_body(
            "Teams call",
            "2030-01-08T15:00:00",
            "2030-01-08T15:30:00",
            isOnlineMeeting=True,
            onlineMeetingProvider="teamsForBusiness",
        ),
    ).json()
    assert ev["onlineMeeting"]["joinUrl"].startswith("https://teams.microsoft.com/l/meetup-join/")
    assert re.fullmatch(r"\d+", ev["onlineMeeting"]["conferenceId"])


def test_unknown_segment_is_bad_request(graph: Graph) -> None:
    resp = graph.get("/me/nonsense")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "BadRequest"
