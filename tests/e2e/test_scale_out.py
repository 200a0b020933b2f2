"""Two bridge processes on one PostgreSQL database (issue 17, point 5): `davbridge demo --store
postgresql://… --workers 2`, driven over plain WebDAV and the Graph sandbox's own API.

- checks of the caldav-client, collections and contacts suites run through a round-robin
  balancer over both processes (tests/e2e/balancer.py), so a write and the read after it are
  answered by different processes;
- a client writes through one process and reads the same bytes through the other;
- a query beyond the sync window in one process is read and edited through the other;
- a change made at the provider reaches both;
- two processes never pull one collection at once, read from the sandbox's request log (each
  request is slowed by a known latency, so two pulls of one calendar that overlapped would
  show two of its delta requests closer together than that latency);
- a rolling restart (SIGHUP to the demo: its worker is SIGTERMed and started again) loses no
  request: PUTs the worker received are held in flight (the test holds their calendar's
  collection lock in the database) until the worker is seen refusing new connections, then
  answer 201; PROPFINDs sent beside them answer 207; a balancing client sees none fail;
- kill -9 of a process in the middle of a pull: the other takes the collection over once the
  lease expires, and the provider's change arrives once, neither lost nor duplicated.

The PostgreSQL server is this worker's own (tests/pg_server.py); assertions are about what is
served and logged, never about how fast (waits poll with a generous give-up)."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import os
import signal
import socket
import threading
import uuid
from collections.abc import Iterator
from http.client import HTTPResponse
from typing import Any
from urllib.parse import urlsplit

import caldav
import psycopg
import pytest
import requests

from bridge.store.coord import LOCK_CLASS
from tests.e2e.balancer import RoundRobin
from tests.e2e.conftest import GraphAdmin, RunningDemo, start_demo, stop_demo, wait_for
from tests.e2e.davwire import members
from tests.pg_server import Cluster, fresh_database

LATENCY_S = 0.4  # added by the Graph sandbox to every request while pulls are watched
# the second process waits this long for a collection lock and the provider (instead of 10 s
# and 25 s): the rolling-restart test holds a lock while it watches the process stop, and
# must never see the PUT it holds give up (503) however loaded the machine is
PATIENT_WORKER = {
    "DAVBRIDGE_SERVER_LOCK_TIMEOUT_SECONDS": "300",
    "DAVBRIDGE_SERVER_WRITE_BUDGET_SECONDS": "300",
}


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, pg_cluster: Cluster
) -> Iterator[tuple[RunningDemo, str]]:
    url = fresh_database(pg_cluster)
    running = start_demo(
        tmp_path_factory.mktemp("scale-out"),
        0,
        extra=("--store", url, "--workers", "2"),
        env=PATIENT_WORKER,
    )
    yield running, url
    assert stop_demo(running) == 0, running.log.read_text()


@pytest.fixture(scope="module")
def graph(pair: tuple[RunningDemo, str]) -> GraphAdmin:
    return GraphAdmin(pair[0].info)


@pytest.fixture(scope="module")
def balancer(pair: tuple[RunningDemo, str]) -> Iterator[RoundRobin]:
    """Both processes behind a round-robin balancer, one request each in turn."""
    running = RoundRobin([str(u) for u in pair[0].info["dav_urls"]]).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def demo(pair: tuple[RunningDemo, str], balancer: RoundRobin) -> RunningDemo:
    """The e2e checks imported below run here on PostgreSQL through the balancer: each of
    their requests is answered by the next of the two processes in turn, instead of by the
    shared SQLite demo."""
    return dataclasses.replace(pair[0], info={**pair[0].info, "dav_url": balancer.url})


# e2e checks of the single-process suite, collected again in this module so that they run on
# the PostgreSQL pair behind the balancer (fixtures `demo` and `graph` above); they run before
# the restart and kill tests below, which leave the second process changed. Chosen for what
# two processes must agree on: writes and the reads after them, 412s and sync tokens,
# collections made, renamed and deleted, contacts and caller lookup.
from tests.e2e.test_caldav_client import (  # noqa: E402
    calendars,
    client,
    test_bad_calendar_data_is_refused_and_nothing_changes,
    test_collection_properties_clients_configure_from,
    test_create_move_and_delete_change_the_same_provider_event,
    test_fast_multiget_matches_radicale,
    test_fast_propfind_matches_radicale,
    test_occurrence_edit_becomes_a_provider_exception,
    test_one_occurrence_edited_again_after_another_was_edited,
    test_read_only_calendar_refuses_with_a_reason,
    test_stale_edit_gets_412_and_changes_nothing,
    test_sync_collection_returns_only_provider_changes,
    test_uid_clash_is_a_conflict,
    test_weekly_series_is_one_resource_with_exception_and_cancellation,
)
from tests.e2e.test_collections import (  # noqa: E402
    http,
    test_a_name_set_from_a_client_reads_back_as_set_until_renamed_at_the_provider,
    test_a_uid_clash_within_a_calendar_names_the_existing_resource,
    test_address_book_made_from_a_client_is_a_google_contact_group,
    test_an_event_can_be_created_again_with_its_uid_after_it_was_deleted,
    test_calendar_made_renamed_and_deleted_from_a_client_lands_at_the_provider,
)
from tests.e2e.test_contacts import (  # noqa: E402
    books,
    side,
    test_create_edit_delete_reach_the_provider,
    test_lookup_finds_the_caller_however_the_number_is_written,
)

SHARED_CHECKS = (
    calendars,
    client,
    test_bad_calendar_data_is_refused_and_nothing_changes,
    test_collection_properties_clients_configure_from,
    test_create_move_and_delete_change_the_same_provider_event,
    test_fast_multiget_matches_radicale,
    test_fast_propfind_matches_radicale,
    test_occurrence_edit_becomes_a_provider_exception,
    test_one_occurrence_edited_again_after_another_was_edited,
    test_read_only_calendar_refuses_with_a_reason,
    test_stale_edit_gets_412_and_changes_nothing,
    test_sync_collection_returns_only_provider_changes,
    test_uid_clash_is_a_conflict,
    test_weekly_series_is_one_resource_with_exception_and_cancellation,
    http,
    test_a_name_set_from_a_client_reads_back_as_set_until_renamed_at_the_provider,
    test_a_uid_clash_within_a_calendar_names_the_existing_resource,
    test_address_book_made_from_a_client_is_a_google_contact_group,
    test_an_event_can_be_created_again_with_its_uid_after_it_was_deleted,
    test_calendar_made_renamed_and_deleted_from_a_client_lands_at_the_provider,
    books,
    side,
    test_create_edit_delete_reach_the_provider,
    test_lookup_finds_the_caller_however_the_number_is_written,
)


def test_both_processes_answered_the_checks_above(balancer: RoundRobin) -> None:
    """The imported checks went through the balancer to both processes, about evenly."""
    served = sorted(balancer.served.values())
    assert len(served) == 2 and served[0] > 0.3 * sum(served), balancer.served


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


def test_a_query_beyond_the_window_in_one_process_is_read_and_edited_through_the_other(
    pair: tuple[RunningDemo, str], graph: GraphAdmin
) -> None:
    """A time-range query over 2003 is answered from the provider by the first process; the
    item it answered is then read by its href through the second (a balancer's next request)
    and edited there: the edit changes that provider event instead of creating a second one.
    Before the answers were kept in the database, the second process did not know the href
    (404) and the PUT made a new event."""
    demo, _ = pair
    subject = f"Archive {uuid.uuid4().hex[:8]}"
    start = dt.datetime(2003, 5, 6, 10, tzinfo=dt.UTC)
    graph.json(
        "POST",
        f"/calendars/{graph.calendar_id('Projects')}/events",
        json={
            "subject": subject,
            "start": {"dateTime": "2003-05-06T10:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2003-05-06T11:00:00", "timeZone": "UTC"},
        },
    )
    first = caldav.DAVClient(url=demo.url, username=demo.auth[0], password=demo.auth[1])
    cal = next(
        c
        for c in first.principal().get_calendars()
        if c.get_display_name() == "Projects — Microsoft 365"
    )
    found = [
        e
        for e in cal.search(
            event=True, start=start - dt.timedelta(days=1), end=start + dt.timedelta(days=1)
        )
        if str(e.icalendar_component["SUMMARY"]) == subject
    ]
    assert len(found) == 1
    s = session(demo)
    other = str(demo.info["dav_urls"][1]).rstrip("/") + str(found[0].url.path)
    got = s.get(other, timeout=60)
    assert got.status_code == 200 and subject in got.text
    edited = got.text.replace(f"SUMMARY:{subject}", f"SUMMARY:{subject} edited")
    put = s.put(
        other,
        data=edited.encode(),
        headers={"Content-Type": "text/calendar", "If-Match": got.headers["ETag"]},
        timeout=60,
    )
    assert put.status_code in (201, 204), put.text
    assert len(graph.events("Projects", f"{subject} edited")) == 1
    assert graph.events("Projects", subject) == []  # the same event, not a second one


def raw_request(url: str, auth: tuple[str, str], head: str, body: bytes = b"") -> socket.socket:
    """A request sent whole on a connection of its own; the answer is read later."""
    parts = urlsplit(url)
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    wire = (
        f"{head}\r\nHost: {parts.netloc}\r\nAuthorization: Basic {token}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection((parts.hostname or "", parts.port or 80), timeout=300)
    sock.sendall(wire + body)
    return sock


def raw_put(url: str, auth: tuple[str, str], uid: str) -> socket.socket:
    body = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20261223T100000Z\r\n"
        f"DTEND:20261223T110000Z\r\nSUMMARY:{uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    head = (
        f"PUT {urlsplit(url).path}{uid}.ics HTTP/1.1\r\nContent-Type: text/calendar\r\n"
        "If-None-Match: *"
    )
    return raw_request(url, auth, head, body)


def answer_status(sock: socket.socket) -> int:
    with sock:
        response = HTTPResponse(sock)
        response.begin()
        response.read()
        return response.status


def refuses_connections(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=30):
            return False
    except ConnectionRefusedError:
        return True


class Balancer:
    """A client in front of both processes, as a load balancer: round robin over the
    processes, a PROPFIND whose connection is refused or dropped goes to the next one (it is
    idempotent, RFC 9110 §9.2.2). Records every answer that is not 207."""

    def __init__(self, demo: RunningDemo) -> None:
        self.demo = demo
        self.stop = threading.Event()
        self.answered = 0
        self.failures: list[str] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        s = session(self.demo)
        turn = 0
        while not self.stop.is_set():
            for attempt in range(4):
                url = calendar(self.demo, (turn + attempt) % 2)
                try:
                    r = s.request(
                        "PROPFIND", url, headers={"Depth": "1", "Connection": "close"}, timeout=300
                    )
                except requests.ConnectionError:
                    continue
                if r.status_code != 207:
                    self.failures.append(f"{url}: {r.status_code}")
                self.answered += 1
                break
            else:
                self.failures.append("no process answered")
            turn += 1


def collection_id(url: str, name: str) -> int:
    with psycopg.connect(url) as db:
        row = db.execute(
            "SELECT c.id FROM collections c JOIN users u ON u.id = c.user_id "
            "WHERE u.name = 'demo' AND c.name = %s",
            (name,),
        ).fetchone()
    assert row is not None, name
    return int(row[0])


def test_a_rolling_restart_loses_no_request(
    pair: tuple[RunningDemo, str], graph: GraphAdmin
) -> None:
    """SIGHUP to the demo restarts its worker (SIGTERM, then a new process on the same port).
    The test holds the calendar's collection lock in the database, so the PUTs sent to the
    worker before the SIGHUP cannot finish; once the worker refuses new connections (it is
    stopping) the lock is let go, and every PUT answers 201 and every PROPFIND sent beside
    them 207. A balancing client sees no request fail throughout. Nothing waits on time."""
    demo, url = pair
    worker = calendar(demo, 1)
    uids = [f"roll-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    balancer = Balancer(demo)
    restarts = demo.log.read_text().count("restarted bridge worker 2")
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(
            "SELECT pg_advisory_lock(%s, %s)",
            (LOCK_CLASS, collection_id(url, "calendar-m365")),
        )
        balancer.thread.start()
        try:
            puts = [raw_put(worker, demo.auth, uid) for uid in uids]
            path = urlsplit(worker).path
            listings = [
                raw_request(worker, demo.auth, f"PROPFIND {path} HTTP/1.1\r\nDepth: 1")
                for _ in range(20)
            ]
            demo.process.send_signal(signal.SIGHUP)
            # stopping: new connections go elsewhere while the PUTs it holds cannot finish
            wait_for(lambda: refuses_connections(worker), timeout=120)
            db.execute("SELECT pg_advisory_unlock_all()")
            statuses = [answer_status(sock) for sock in puts]
            listed = [answer_status(sock) for sock in listings]
            wait_for(
                lambda: demo.log.read_text().count("restarted bridge worker 2") > restarts,
                timeout=300,
            )
        finally:
            db.execute("SELECT pg_advisory_unlock_all()")
            balancer.stop.set()
            balancer.thread.join(300)
    assert statuses == [201] * len(uids)
    assert listed == [207] * len(listings)
    assert balancer.failures == [] and balancer.answered > 0
    s = session(demo)
    for uid in uids:  # written once, served by the restarted worker
        assert s.get(worker + f"{uid}.ics", timeout=60).status_code == 200
        assert len(graph.events("Calendar", uid)) == 1


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
