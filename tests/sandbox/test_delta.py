"""calendarView delta rounds (event-delta.md, delta-query-events.md) against the sandbox."""

from __future__ import annotations

from typing import Any

from tests.sandbox.conftest import Control, Graph, event_body

WINDOW = "startDateTime=2030-01-01T00:00:00Z&endDateTime=2030-02-01T00:00:00Z"
PAGE2 = {"Prefer": "odata.maxpagesize=2"}


def _round(graph: Graph, url: str) -> tuple[list[dict[str, Any]], str, int]:
    """Follow nextLinks to the deltaLink; returns (items, deltaLink, pages)."""
    items, pages = [], 0
    while True:
        body = graph.get(url, headers=PAGE2).json()
        pages += 1
        items += body["value"]
        if "@odata.deltaLink" in body:
            assert "@odata.nextLink" not in body
            return items, body["@odata.deltaLink"], pages
        url = body["@odata.nextLink"]
        assert "$skiptoken=" in url


def _setup(graph: Graph, control: Control) -> tuple[str, dict[str, str]]:
    cal = next(c for c in control.call("GET", "/calendars") if c["isDefaultCalendar"])
    ids = {}
    for day in (2, 3, 4):
        ev = control.call(
            "POST",
            f"/calendars/{cal['id']}/events",
            event_body(f"Single {day}", f"2030-01-0{day}T10:00:00", f"2030-01-0{day}T11:00:00"),
        )
        ids[f"single{day}"] = ev["id"]
    series = control.call(
        "POST",
        f"/calendars/{cal['id']}/events",
        event_body(
            "Series",
            "2030-01-06T09:00:00",
            "2030-01-06T09:30:00",
            recurrence={
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["sunday"]},
                "range": {"type": "numbered", "startDate": "2030-01-06", "numberOfOccurrences": 3},
            },
        ),
    )
    ids["series"] = series["id"]
    return cal["id"], ids


def test_initial_round_pages_then_only_changes(graph: Graph, control: Control) -> None:
    cal_id, ids = _setup(graph, control)
    items, delta_link, pages = _round(graph, f"/me/calendars/{cal_id}/calendarView/delta?{WINDOW}")
    assert pages == 3 and len(items) == 6
    assert {i["type"] for i in items} == {"singleInstance", "occurrence"}  # never the master
    assert ids["series"] not in {i["id"] for i in items}
    assert "$deltatoken=" in delta_link and delta_link.startswith("https://")
    # nothing changed: an empty round
    empty, delta_link, _ = _round(graph, delta_link)
    assert empty == []
    # provider-side changes: edit one, delete one, add one
    control.call("PATCH", f"/events/{ids['single2']}", {"subject": "Edited"})
    control.call("DELETE", f"/events/{ids['single3']}")
    added = control.call(
        "POST",
        f"/calendars/{cal_id}/events",
        event_body("New", "2030-01-20T10:00:00", "2030-01-20T11:00:00"),
    )
    changes, delta_link, _ = _round(graph, delta_link)
    upserts = {c["id"]: c for c in changes if "@removed" not in c}
    removed = [c for c in changes if "@removed" in c]
    assert set(upserts) == {ids["single2"], added["id"]}
    assert upserts[ids["single2"]]["subject"] == "Edited"
    assert removed == [
        {
            "@odata.type": "#microsoft.graph.event",
            "id": ids["single3"],
            "@removed": {"reason": "deleted"},
        }
    ]


def test_occurrence_edit_cancel_and_series_delete_in_delta(graph: Graph, control: Control) -> None:
    cal_id, ids = _setup(graph, control)
    items, delta_link, _ = _round(graph, f"/me/calendarView/delta()?{WINDOW}")
    occurrences = [i for i in items if i["type"] == "occurrence"]
    assert len(occurrences) == 3
    control.call("PATCH", f"/events/{ids['series']}/occurrences/0", {"subject": "Moved"})
    control.call("DELETE", f"/events/{ids['series']}/occurrences/1")
    changes, delta_link, _ = _round(graph, delta_link)
    by_id = {c["id"]: c for c in changes}
    assert by_id[occurrences[0]["id"]]["type"] == "exception"
    assert by_id[occurrences[0]["id"]]["subject"] == "Moved"
    assert by_id[occurrences[1]["id"]]["@removed"] == {"reason": "deleted"}
    assert occurrences[2]["id"] not in by_id
    instances = graph.get(f"/me/events/{ids['series']}/instances?{WINDOW}").json()["value"]
    assert [i["type"] for i in instances] == ["exception", "occurrence"]
    # deleting the series removes every remaining instance
    assert graph.call("DELETE", f"/me/events/{ids['series']}").status_code == 204
    changes, _, _ = _round(graph, delta_link)
    removed = {c["id"] for c in changes if "@removed" in c}
    assert {occurrences[0]["id"], occurrences[2]["id"]} <= removed


def test_event_moved_out_of_window_is_removed(graph: Graph, control: Control) -> None:
    cal_id, ids = _setup(graph, control)
    _, delta_link, _ = _round(graph, f"/me/calendars/{cal_id}/calendarView/delta?{WINDOW}")
    control.call(
        "PATCH",
        f"/events/{ids['single4']}",
        {
            "start": {"dateTime": "2030-06-01T10:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2030-06-01T11:00:00", "timeZone": "UTC"},
        },
    )
    changes, _, _ = _round(graph, delta_link)
    assert changes == [
        {
            "@odata.type": "#microsoft.graph.event",
            "id": ids["single4"],
            "@removed": {"reason": "deleted"},
        }
    ]


def test_expired_delta_token_is_410_sync_state_not_found(graph: Graph, control: Control) -> None:
    cal_id, _ = _setup(graph, control)
    _, delta_link, _ = _round(graph, f"/me/calendars/{cal_id}/calendarView/delta?{WINDOW}")
    control.call("POST", "/delta/expire")
    resp = graph.get(delta_link)
    assert resp.status_code == 410
    assert resp.json()["error"]["code"] == "syncStateNotFound"
    restart = resp.headers["Location"]
    assert "startDateTime=2030-01-01" in restart and "deltatoken" not in restart
    items, _, _ = _round(graph, restart)
    assert len(items) == 6


def test_fault_after_first_page_then_replay_same_page(graph: Graph, control: Control) -> None:
    cal_id, _ = _setup(graph, control)
    control.call(
        "POST",
        "/faults",
        {"match": r"calendarView/delta", "status": 503, "skip": 1, "times": 1, "retry_after": 1},
    )
    first = graph.get(f"/me/calendars/{cal_id}/calendarView/delta?{WINDOW}", headers=PAGE2).json()
    failed = graph.get(first["@odata.nextLink"], headers=PAGE2)
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "1"
    assert failed.json()["error"]["code"] == "ServiceNotAvailable"
    again = graph.get(first["@odata.nextLink"], headers=PAGE2)
    assert again.status_code == 200 and len(again.json()["value"]) == 2
    replay = graph.get(first["@odata.nextLink"], headers=PAGE2).json()
    assert [i["id"] for i in replay["value"]] == [i["id"] for i in again.json()["value"]]


def test_series_edit_reports_every_instance_again(graph: Graph, control: Control) -> None:
    cal_id, ids = _setup(graph, control)
    control.call("PATCH", f"/events/{ids['series']}/occurrences/0", {"subject": "Own subject"})
    _, delta_link, _ = _round(graph, f"/me/calendars/{cal_id}/calendarView/delta?{WINDOW}")
    control.call(
        "PATCH", f"/events/{ids['series']}", {"body": {"contentType": "text", "content": "agenda"}}
    )
    changes, _, _ = _round(graph, delta_link)
    assert sorted(c["type"] for c in changes) == ["exception", "occurrence", "occurrence"]
    assert all(c["bodyPreview"] == "agenda" for c in changes)
    assert next(c for c in changes if c["type"] == "exception")["subject"] == "Own subject"
