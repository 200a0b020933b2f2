"""Provider faults seen from a DAV client: throttled writes get 503 + Retry-After with nothing
written, a pull failing halfway leaves the mirror as it was, an expired delta token is a
resync without duplicates, and a revoked grant keeps reads working while writes are refused."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import caldav
import pytest
import requests

from tests.e2e.conftest import (
    GraphAdmin,
    RunningDemo,
    graph_calendars,
    start_demo,
    stop_demo,
    wait_for,
)
from tests.e2e.test_caldav_client import cal_path, event_ics, http, soon


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A demo of its own: these tests break the provider on purpose."""
    running = start_demo(tmp_path_factory.mktemp("faults"), 0)
    yield running
    assert stop_demo(running) == 0, running.log.read_text()


@pytest.fixture(scope="module")
def graph(demo: RunningDemo) -> GraphAdmin:
    return GraphAdmin(demo.info)


@pytest.fixture(autouse=True)
def _clear_faults(graph: GraphAdmin) -> Any:
    yield
    graph.ctl("DELETE", "/faults")


@pytest.fixture(scope="module")
def calendars(demo: RunningDemo) -> dict[str, caldav.Calendar]:
    user, password = demo.auth
    client = caldav.DAVClient(url=demo.url, username=user, password=password)
    return graph_calendars(client)


def hrefs(demo: RunningDemo, cal: caldav.Calendar) -> set[str]:
    body = (
        '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'
    )
    r = http(demo, "PROPFIND", cal_path(cal), body, Depth="1")
    assert r.status_code == 207
    return {chunk.split("</")[0] for chunk in r.text.split("href>")[1::2]}


def test_throttled_write_is_503_with_retry_after_and_writes_nothing(
    demo: RunningDemo, calendars: dict[str, Any], graph: GraphAdmin
) -> None:
    cal = calendars["Projects"]
    before_provider = len(graph.events("Projects"))
    before_mirror = hrefs(demo, cal)
    graph.ctl(
        "POST",
        "/faults",
        json={
            "match": r"^POST /v1\.0/me/calendars/.*/events",
            "status": 429,
            "code": "ApplicationThrottled",
            "retry_after": 7,
            "times": 10,
        },
    )
    uid = f"throttled-{uuid.uuid4()}"
    r = http(
        demo,
        "PUT",
        cal_path(cal) + f"{uid}.ics",
        event_ics(uid, "Throttled", soon(11)),
        **{"Content-Type": "text/calendar"},
    )
    assert r.status_code == 503
    assert int(r.headers["Retry-After"]) >= 1
    assert len(graph.events("Projects")) == before_provider
    assert hrefs(demo, cal) == before_mirror
    graph.ctl("DELETE", "/faults")
    r = http(
        demo,
        "PUT",
        cal_path(cal) + f"{uid}.ics",
        event_ics(uid, "Throttled", soon(11)),
        **{"Content-Type": "text/calendar"},
    )
    assert r.status_code == 201
    assert len(graph.events("Projects", "Throttled")) == 1


def test_pull_failing_halfway_changes_nothing_then_recovers(
    demo: RunningDemo, calendars: dict[str, Any], graph: GraphAdmin
) -> None:
    cal = calendars["Calendar"]
    token = cal.get_objects_by_sync_token(load_objects=False).sync_token
    cid = graph.calendar_id("Calendar")
    start = soon(12, 10)
    made = [
        graph.json(
            "POST",
            f"/calendars/{cid}/events",
            json={
                "subject": f"Burst {n}",
                "start": {
                    "dateTime": (start + dt.timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%S"),
                    "timeZone": "UTC",
                },
                "end": {
                    "dateTime": (start + dt.timedelta(hours=n, minutes=30)).strftime(
                        "%Y-%m-%dT%H:%M:%S"
                    ),
                    "timeZone": "UTC",
                },
            },
        )
        for n in range(3)
    ]
    # every delta request fails with a 500 for a while: the mirror must stay as it was
    graph.ctl(
        "POST",
        "/faults",
        json={
            "match": r"calendarView/delta",
            "status": 500,
            "code": "InternalServerError",
            "times": 1000,
        },
    )
    later = cal.get_objects_by_sync_token(sync_token=token, load_objects=False)
    assert len(list(later)) == 0
    graph.ctl("DELETE", "/faults")

    def arrived() -> Any:
        r = cal.get_objects_by_sync_token(sync_token=token, load_objects=True)
        return r if len(list(r)) == 3 else None

    got = wait_for(arrived, timeout=30)
    assert sorted(o.data.split("SUMMARY:")[1].splitlines()[0] for o in got) == [
        "Burst 0",
        "Burst 1",
        "Burst 2",
    ]
    for ev in made:
        graph.json("DELETE", f"/events/{ev['id']}")


def test_expired_delta_token_resyncs_without_duplicates(
    demo: RunningDemo, calendars: dict[str, Any], graph: GraphAdmin
) -> None:
    cal = calendars["Calendar"]
    before = hrefs(demo, cal)
    token = cal.get_objects_by_sync_token(load_objects=False).sync_token
    graph.ctl("POST", "/delta/expire")
    cid = graph.calendar_id("Calendar")
    start = soon(13, 9)
    made = graph.json(
        "POST",
        f"/calendars/{cid}/events",
        json={
            "subject": "After expiry",
            "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {
                "dateTime": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "UTC",
            },
        },
    )

    def arrived() -> Any:
        r = cal.get_objects_by_sync_token(sync_token=token, load_objects=True)
        return r if any("After expiry" in (o.data or "") for o in r) else None

    result = [o for o in wait_for(arrived, timeout=30) if o.data]
    assert len(result) == 1  # only the new event: the full resync rewrote nothing else
    assert hrefs(demo, cal) - before == {result[0].url.path}
    graph.json("DELETE", f"/events/{made['id']}")


def test_revoked_grant_keeps_reads_and_refuses_writes_clearly(
    demo: RunningDemo, calendars: dict[str, Any], graph: GraphAdmin
) -> None:
    cal = calendars["Projects"]
    graph.ctl("POST", "/tokens/revoke")
    graph.ctl("POST", "/tokens/expire")
    uid = f"revoked-{uuid.uuid4()}"
    r = http(
        demo,
        "PUT",
        cal_path(cal) + f"{uid}.ics",
        event_ics(uid, "After revoke", soon(14)),
        **{"Content-Type": "text/calendar"},
    )
    assert r.status_code == 403
    assert "authoriz" in r.text.lower()
    assert graph.events("Projects", "After revoke") == []
    assert hrefs(demo, cal)  # the last synced data is still served
    health = requests.get(demo.url + "health", auth=demo.auth, timeout=10).json()
    assert health["connections"][0]["status"] == "reauth"
    stranger = requests.get(demo.url + "health", timeout=10).json()
    assert stranger == {"status": "degraded"}  # strangers learn only that much
