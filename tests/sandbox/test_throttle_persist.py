"""Throttling, injected faults, request counters and persistence across restarts."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from sandbox.server import Sandbox
from tests.sandbox.conftest import Control, Graph, event_body, sign_in


def test_injected_429_carries_retry_after(sandbox: Sandbox, graph: Graph, control: Control) -> None:
    control.call(
        "POST",
        "/faults",
        {"match": r"^GET /v1\.0/me/calendars", "status": 429, "retry_after": 2, "times": 1},
    )
    throttled = graph.get("/me/calendars")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"
    assert throttled.json()["error"]["code"] == "TooManyRequests"
    assert graph.get("/me/calendars").status_code == 200  # times=1: only once
    log = control.call("GET", "/requests?prefix=/v1.0/me/calendars")
    assert [r["status"] for r in log] == [429, 200]


def test_fifth_concurrent_request_on_a_mailbox_is_throttled(graph: Graph, control: Control) -> None:
    control.call("POST", "/throttle", {"latency_ms": 400})
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: graph.get("/me/calendars"), range(6)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 4 and statuses.count(429) == 2
    throttled = next(r for r in responses if r.status_code == 429)
    assert throttled.json()["error"]["code"] == "ApplicationThrottled"
    assert int(throttled.headers["Retry-After"]) >= 1
    control.call("POST", "/throttle", {"latency_ms": 0})
    assert graph.get("/me/calendars").status_code == 200  # slots are released


def test_request_count_and_reset(sandbox: Sandbox, graph: Graph, control: Control) -> None:
    control.call("POST", "/requests/reset")
    graph.get("/me")
    graph.get("/me/calendars")
    assert sandbox.request_count() == 2
    assert sandbox.request_count("/v1.0/me/calendars") == 1


def test_state_persists_across_restart(tmp_path: Path) -> None:
    first = Sandbox(tmp_path, seed=False)
    info = first.start()
    _, result = sign_in(info)
    graph = Graph(info, result["access_token"])
    ev = graph.call(
        "POST",
        "/me/events",
        json=event_body("Keep me", "2030-01-02T10:00:00", "2030-01-02T11:00:00"),
    ).json()
    delta = graph.get(
        "/me/calendarView/delta?startDateTime=2030-01-01T00:00:00Z&endDateTime=2030-02-01T00:00:00Z"
    ).json()["@odata.deltaLink"]
    first.stop()

    second = Sandbox(tmp_path, seed=False)
    info2 = second.start()
    try:
        assert (info2.base_url, info2.tenant, info2.client_secret, info2.ca_file) == (
            info.base_url,
            info.tenant,
            info.client_secret,
            info.ca_file,
        )
        graph2 = Graph(info2, result["access_token"])  # the access token survived too
        same = graph2.get(f"/me/events/{ev['id']}").json()
        assert same["changeKey"] == ev["changeKey"] and same["subject"] == "Keep me"
        assert graph2.get(delta).json()["value"] == []  # the delta token survived
        refreshed = requests.post(
            f"{info2.authority}/oauth2/v2.0/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": result["refresh_token"],
                "client_id": info2.client_id,
                "client_secret": info2.client_secret,
                "scope": "Calendars.ReadWrite offline_access",
            },
            verify=info2.ca_file,
            timeout=10,
        )
        assert refreshed.status_code == 200
    finally:
        second.stop()


def test_module_entry_point_prints_info(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--state-dir", str(tmp_path), "--no-seed"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        found = requests.get(info["control_url"] + "/info", verify=info["ca_file"], timeout=10)
        assert found.json()["tenant"] == info["tenant"]
    finally:
        proc.terminate()
        proc.wait(10)
    assert (tmp_path / "graph-sandbox.json").exists()
