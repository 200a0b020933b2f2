"""Two bridge processes on one PostgreSQL database (issue 17, point 5): `davbridge demo --store
postgresql://… --workers 2`, driven over plain WebDAV and the Graph sandbox's own API.

- a client writes through one process and reads the same bytes through the other;
- a change made at the provider reaches both;
- two processes never pull one collection at once, read from the sandbox's request log (each
  request is slowed by a known latency, so two pulls of one calendar that overlapped would
  show two of its delta requests closer together than that latency);
- kill -9 of a process in the middle of a pull: the other takes the collection over once the
  lease expires, and the provider's change arrives once, neither lost nor duplicated.

The PostgreSQL server is this worker's own (tests/pg_server.py); assertions are about what is
served and logged, never about how fast (waits poll with a generous give-up)."""

from __future__ import annotations

import dataclasses
import os
import signal
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import requests

from tests.e2e.conftest import GraphAdmin, RunningDemo, start_demo, stop_demo, wait_for
from tests.e2e.davwire import members
from tests.pg_server import Cluster, fresh_database

LATENCY_S = 0.4  # added by the Graph sandbox to every request while pulls are watched


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, pg_cluster: Cluster
) -> Iterator[tuple[RunningDemo, str]]:
    url = fresh_database(pg_cluster)
    running = start_demo(
        tmp_path_factory.mktemp("scale-out"), 0, extra=("--store", url, "--workers", "2")
    )
    yield running, url
    assert stop_demo(running) == 0, running.log.read_text()


@pytest.fixture(scope="module")
def graph(pair: tuple[RunningDemo, str]) -> GraphAdmin:
    return GraphAdmin(pair[0].info)


@pytest.fixture(scope="module")
def demo(pair: tuple[RunningDemo, str]) -> RunningDemo:
    """The core e2e checks imported below run here through the second process (a
    `davbridge serve` worker) on PostgreSQL, instead of on the shared SQLite demo."""
    running = pair[0]
    worker = str(running.info["dav_urls"][1])
    return dataclasses.replace(running, info={**running.info, "dav_url": worker})


# core checks of the single-process suite, collected again in this module so that they run
# on the PostgreSQL pair (fixtures `demo` and `graph` above); they run before the restart and
# kill tests below, which leave the second process changed
from tests.e2e.test_caldav_client import (  # noqa: E402
    calendars,
    client,
    test_create_move_and_delete_change_the_same_provider_event,
    test_occurrence_edit_becomes_a_provider_exception,
    test_stale_edit_gets_412_and_changes_nothing,
    test_sync_collection_returns_only_provider_changes,
)
from tests.e2e.test_contacts import (  # noqa: E402
    books,
    side,
    test_create_edit_delete_reach_the_provider,
    test_lookup_finds_the_caller_however_the_number_is_written,
)

CORE_CHECKS = (
    calendars,
    client,
    test_create_move_and_delete_change_the_same_provider_event,
    test_occurrence_edit_becomes_a_provider_exception,
    test_stale_edit_gets_412_and_changes_nothing,
    test_sync_collection_returns_only_provider_changes,
    books,
    side,
    test_create_edit_delete_reach_the_provider,
    test_lookup_finds_the_caller_however_the_number_is_written,
)


def session(demo: RunningDemo) -> requests.Session:
    s = requests.Session()
    s.auth = demo.auth
    s.trust_env = False
    return s


def calendar(demo: RunningDemo, index: int) -> str:
    return str(demo.info["dav_urls"][index]) + "demo/calendar-m365/"


def new_provider_event(graph: GraphAdmin, subject: str) -> None:
    graph.json(
        "POST",
        f"/calendars/{graph.calendar_id('Calendar')}/events",
        json={
            "subject": subject,
            "start": {"dateTime": "2026-12-21T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-12-21T10:00:00", "timeZone": "UTC"},
        },
    )


def holding(url: str) -> list[tuple[str, str]]:
    """(lease, holder) of every pull lease held right now."""
    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT name, holder FROM leases WHERE holder IS NOT NULL AND "
            "expires > extract(epoch FROM clock_timestamp())"
        ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def test_two_processes_answer_on_their_own_ports(pair: tuple[RunningDemo, str]) -> None:
    demo, _ = pair
    urls = demo.info["dav_urls"]
    assert len(urls) == 2 and urls[0] == demo.url and urls[0] != urls[1]
    s = session(demo)
    assert members(s, calendar(demo, 0)) == members(s, calendar(demo, 1))


def test_a_write_through_one_process_is_read_through_the_other(
    pair: tuple[RunningDemo, str], graph: GraphAdmin
) -> None:
    demo, _ = pair
    s = session(demo)
    uid = f"scale-{uuid.uuid4().hex[:8]}"
    body = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20261222T100000Z\r\n"
        f"DTEND:20261222T110000Z\r\nSUMMARY:Written through one\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    put = s.put(
        calendar(demo, 0) + f"{uid}.ics",
        data=body,
        headers={"Content-Type": "text/calendar", "If-None-Match": "*"},
        timeout=60,
    )
    assert put.status_code in (201, 204), put.text
    first = s.get(calendar(demo, 0) + f"{uid}.ics", timeout=60)
    other = s.get(calendar(demo, 1) + f"{uid}.ics", timeout=60)
    assert other.status_code == 200
    assert other.content == first.content and "Written through one" in other.text
    assert other.headers["ETag"] == first.headers["ETag"]
    assert len(graph.events("Calendar", "Written through one")) == 1


def test_a_provider_change_reaches_both_processes(
    pair: tuple[RunningDemo, str], graph: GraphAdmin
) -> None:
    demo, _ = pair
    s = session(demo)
    before = set(members(s, calendar(demo, 1)))
    subject = f"Provider change {uuid.uuid4().hex[:6]}"
    new_provider_event(graph, subject)

    def arrived(index: int) -> list[str]:
        new = set(members(s, calendar(demo, index))) - before
        url = str(demo.info["dav_urls"][index])
        return [h for h in new if subject in s.get(url.rstrip("/") + h, timeout=60).text]

    hrefs = wait_for(lambda: arrived(0), timeout=60)
    assert wait_for(lambda: arrived(1), timeout=60) == hrefs and len(hrefs) == 1


def request_log(graph: GraphAdmin) -> list[dict[str, Any]]:
    return list(graph.ctl("GET", "/requests"))


def test_two_processes_never_pull_one_collection_at_once(
    pair: tuple[RunningDemo, str], graph: GraphAdmin
) -> None:
    """Every collection goes stale each second and both processes' loops look every second;
    with pulls slowed to LATENCY_S per request, overlapping pulls of a calendar would put two
    of its delta requests less than LATENCY_S apart in the sandbox's log."""
    graph.ctl("POST", "/throttle", json={"latency_ms": LATENCY_S * 1000})
    graph.ctl("POST", "/requests/reset")
    try:

        def deltas() -> dict[str, list[float]]:
            by_path: dict[str, list[float]] = {}
            for r in request_log(graph):
                if r["path"].endswith("/delta"):
                    by_path.setdefault(r["path"], []).append(float(r["ts"]))
            return by_path

        seen = wait_for(
            lambda: (d := deltas()) and min(len(ts) for ts in d.values()) >= 2 and d,
            timeout=90,
        )
    finally:
        graph.ctl("POST", "/throttle", json={"latency_ms": 0})
    assert len(seen) >= 3  # the demo user's Microsoft 365 calendars and contact folders
    for path, stamps in seen.items():
        stamps.sort()
        gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
        assert min(gaps) >= LATENCY_S, (path, gaps)


def test_a_process_killed_mid_pull_is_taken_over_within_the_lease(
    pair: tuple[RunningDemo, str], graph: GraphAdmin
) -> None:
    """Runs last in this module: the second process stays dead."""
    demo, url = pair
    s = session(demo)
    survivor_pid = demo.process.pid
    before = set(members(s, calendar(demo, 0)))
    subject = f"Survives a kill {uuid.uuid4().hex[:6]}"
    graph.ctl("POST", "/throttle", json={"latency_ms": 1500})  # pulls last seconds
    try:
        new_provider_event(graph, subject)

        def held_by_other() -> list[tuple[str, str]]:
            return [
                (name, who)
                for name, who in holding(url)
                if name.startswith("pull:") and who.split(":")[1] != str(survivor_pid)
            ]

        lease, victim = wait_for(held_by_other, timeout=60)[0]
        os.kill(int(victim.split(":")[1]), signal.SIGKILL)
        graph.ctl("POST", "/throttle", json={"latency_ms": 0})  # it only served to catch a pull

        def taken_over() -> bool:
            with psycopg.connect(url) as db:
                row = db.execute("SELECT holder FROM leases WHERE name = %s", (lease,)).fetchone()
            return row is not None and row[0] is not None and row[0] != victim

        wait_for(taken_over, timeout=60)  # the lease (3 s in the demo) expired: taken over
    finally:
        graph.ctl("POST", "/throttle", json={"latency_ms": 0})

    def arrived() -> list[str]:
        new = set(members(s, calendar(demo, 0))) - before
        return [h for h in new if subject in s.get(demo.url.rstrip("/") + h, timeout=60).text]

    assert len(wait_for(arrived, timeout=60)) == 1  # arrived once: not lost, not duplicated
    hrefs = members(s, calendar(demo, 0))
    assert len(hrefs) == len(set(hrefs))
