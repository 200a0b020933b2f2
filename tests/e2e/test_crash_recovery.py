"""kill -9 of `davbridge demo` at the worst moments, seen from a CalDAV client and from each
provider (Microsoft 365, Google, Exchange).

The moment that matters most: the provider has accepted a client's PUT but the bridge has not
answered yet. The sandboxes hold their answer back (a control-API slow-answer rule, `delay_ms`),
the test waits until the write is durable in the sandbox's state file, then kills the demo. After a
restart on the same data directory, every collection keeps its href, nothing is lost, and the
client's retry of the same PUT leaves exactly one event at the provider and in the mirror — the
idempotency keys of DESIGN.md (Graph transactionId, a Google event id from the UID, an EWS UID
search). A client whose own timeout expires while the provider is slow gets the same guarantee.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e import davwire
from tests.e2e.conftest import (
    EwsAdmin,
    GoogleAdmin,
    GraphAdmin,
    RunningDemo,
    free_port,
    start_demo,
    stop_demo,
    wait_for,
)
from tests.e2e.test_caldav_client import event_ics, soon

PROJECTS = {
    "m365": "/demo/projects-m365/",
    "google": "/demo/projects-google/",
    "exchange": "/demo/projects-exchange/",
}
STATE_FILES = {
    "m365": "sandbox/graph-sandbox.json",
    "google": "sandbox-google/google-sandbox.json",
    "exchange": "sandbox-ews/ews-sandbox.json",
}
HOLD_MS = 600_000  # longer than the test: only kill -9 ends the held answer


def _session(demo: RunningDemo) -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    s.auth = demo.auth
    return s


def _slow_create(demo: RunningDemo, provider: str, hold_ms: int) -> None:
    """The provider's next event creation takes effect but its answer is held `hold_ms`."""
    info = demo.info
    if provider == "m365":
        spec = {"match": r"^POST /v1\.0/.*/events", "delay_ms": hold_ms, "times": 1}
        url, verify = info["sandbox"]["control_url"] + "/faults", info["sandbox"]["ca_file"]
    elif provider == "google":
        spec = {
            "match": r"^POST /calendar/v3/calendars/[^/]+/events",
            "delay_ms": hold_ms,
            "times": 1,
        }
        url, verify = info["google"]["control_url"] + "/faults", info["google"]["ca_file"]
    else:
        spec = {"operation": "CreateItem", "delay_ms": hold_ms, "times": 1}
        url, verify = info["ews"]["control_url"] + "/fault", True
    r = requests.post(url, json=spec, verify=verify, timeout=30)
    assert r.status_code < 300, r.text


def _provider_events(demo: RunningDemo, provider: str, summary: str) -> int:
    if provider == "m365":
        return len(GraphAdmin(demo.info).events("Projects", summary))
    if provider == "google":
        return len(GoogleAdmin(demo.info).events("Projects", summary))
    return len(EwsAdmin(demo.info).items("Projects", summary))


def _put(session: requests.Session, demo: RunningDemo, href: str, body: str, timeout: float) -> Any:
    return session.put(
        demo.url.rstrip("/") + href,
        data=body.encode(),
        headers={"Content-Type": "text/calendar; charset=utf-8"},
        timeout=timeout,
    )


def _snapshot(demo: RunningDemo) -> dict[str, dict[str, str]]:
    s = _session(demo)
    cols = davwire.collections(s, demo.url.rstrip("/") + "/demo/")
    return {
        href: {"name": c.name, **davwire.members(s, demo.url.rstrip("/") + href)}
        for href, c in cols.items()
    }


@pytest.fixture
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("crash")


def test_kill_9_after_provider_accepted_put_then_retry_creates_no_duplicate(
    data_dir: Path,
) -> None:
    port = free_port()
    demo = start_demo(data_dir, port)
    try:
        before = _snapshot(demo)
        tag = uuid.uuid4().hex[:8]
        writes = {
            p: (f"crash-{p}-{tag}", f"Crash {p} {tag}", PROJECTS[p] + f"crash-{p}-{tag}.ics")
            for p in PROJECTS
        }
        bodies = {
            p: event_ics(uid, summary, soon(20, 10)) for p, (uid, summary, _) in writes.items()
        }
        for p in PROJECTS:
            _slow_create(demo, p, HOLD_MS)
        outcomes: dict[str, Any] = {}

        def client_put(p: str) -> None:
            try:
                outcomes[p] = _put(_session(demo), demo, writes[p][2], bodies[p], 300).status_code
            except requests.RequestException as exc:  # the demo dies under it: expected
                outcomes[p] = exc

        threads = [threading.Thread(target=client_put, args=(p,)) for p in PROJECTS]
        for t in threads:
            t.start()
        # each provider has committed the create and made it durable, but has not answered
        for p, (_, summary, _) in writes.items():
            state = data_dir / STATE_FILES[p]
            wait_for(lambda state=state, summary=summary: summary in state.read_text(), 60)
        assert outcomes == {}  # no client has been answered yet
        demo.process.kill()
        demo.process.wait(30)
        for t in threads:
            t.join(30)
        assert all(isinstance(v, requests.RequestException) for v in outcomes.values()), outcomes

        demo = start_demo(data_dir, port)
        after = _snapshot(demo)
        # every collection is back under the same href and name; nothing is lost
        assert {h: c["name"] for h, c in after.items()} == {h: c["name"] for h, c in before.items()}
        for href, items in before.items():
            assert set(items) <= set(after[href]), href
        # the client retries its PUT: one event at the provider, one item in the mirror
        session = _session(demo)
        for p, (uid, summary, href) in writes.items():
            r = _put(session, demo, href, bodies[p], 60)
            assert r.status_code in (201, 204), (p, r.status_code, r.text)
            assert _provider_events(demo, p, summary) == 1, p
            listing = davwire.members(session, demo.url.rstrip("/") + PROJECTS[p])
            new = set(listing) - set(before[PROJECTS[p]])
            assert new == {href}, (p, new)
            got = session.get(demo.url.rstrip("/") + href, timeout=30)
            assert got.status_code == 200 and f"UID:{uid}" in got.text
    finally:
        if demo.process.poll() is None:
            assert stop_demo(demo) == 0, demo.log.read_text()


def test_client_timing_out_on_a_slow_provider_retries_without_duplicate(
    data_dir: Path,
) -> None:
    demo = start_demo(data_dir, 0)
    try:
        session = _session(demo)
        for p in PROJECTS:
            tag = uuid.uuid4().hex[:8]
            uid, summary = f"slow-{p}-{tag}", f"Slow {p} {tag}"
            href = PROJECTS[p] + f"{uid}.ics"
            body = event_ics(uid, summary, soon(21, 10))
            _slow_create(demo, p, 3000)  # the answer comes after the client gave up
            with pytest.raises(requests.Timeout):
                _put(session, demo, href, body, 1)
            retry = _put(_session(demo), demo, href, body, 60)
            assert retry.status_code in (201, 204), (p, retry.status_code, retry.text)
            assert _provider_events(demo, p, summary) == 1, p
            listing = davwire.members(session, demo.url.rstrip("/") + PROJECTS[p])
            assert [h for h in listing if uid in h] == [href], p
    finally:
        assert stop_demo(demo) == 0, demo.log.read_text()
