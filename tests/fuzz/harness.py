"""Sending fuzz probes to a running demo and checking the invariants of issue 9 on each answer:
no 5xx (a 503 only with Retry-After), an answer within RESPONSE_BUDGET_S, no hang or reset;
plus a /health poller and before/after snapshots of the providers and the mirror.

Failures are collected (not raised per probe) so one run reports every distinct finding.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests
from urllib3.exceptions import LocationParseError

from tests.e2e import davwire
from tests.e2e.conftest import RunningDemo
from tests.fuzz.strategies import Probe

RESPONSE_BUDGET_S = 5.0
HEALTH_BUDGET_S = 1.0


@dataclass
class Finding:
    probe: Probe
    status: int | None
    elapsed: float
    detail: str

    def key(self) -> tuple[str, int | None, str]:
        return (self.probe.method, self.status, self.detail[:60])

    def report(self) -> str:
        return f"{self.probe.describe()}\n  -> {self.status} in {self.elapsed:.2f}s: {self.detail}"


@dataclass
class Harness:
    demo: RunningDemo
    findings: list[Finding] = field(default_factory=list)
    sent: int = 0

    def __post_init__(self) -> None:
        self.base = self.demo.url.rstrip("/")
        self._local = threading.local()
        self._lock = threading.Lock()

    @property
    def session(self) -> requests.Session:
        """One keep-alive session per sending thread."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False
            self._local.session = session
        return session

    def send_all(self, probes: list[Probe], workers: int = 4) -> list[requests.Response | None]:
        """Send every probe, `workers` at a time (the answers in the probes' order)."""
        with ThreadPoolExecutor(workers, thread_name_prefix="fuzz") as pool:
            return list(pool.map(self.send, probes))

    def send(self, probe: Probe) -> requests.Response | None:
        """Send `probe` exactly (raw path), as the demo user unless it brings its own
        Authorization."""
        authorization = probe.authorization
        with self._lock:
            self.sent += 1
        req = requests.Request(
            probe.method,
            self.base + "/",
            headers=dict(probe.headers),
            data=probe.body or None,
            auth=None if authorization is not None else self.demo.auth,
        )
        try:
            prep = self.session.prepare_request(req)
        except ValueError:  # a header requests itself refuses to send: nothing to test
            return None
        prep.url = self.base + (probe.path if probe.path.startswith("/") else "/" + probe.path)
        if authorization is not None:
            prep.headers["Authorization"] = authorization
        started = time.monotonic()
        try:
            r = self.session.send(prep, timeout=(5, 2 * RESPONSE_BUDGET_S), allow_redirects=False)
            r.content  # noqa: B018 - read the whole body within the budget
        except (requests.exceptions.InvalidURL, LocationParseError):
            return None  # a path the client library refuses to send
        except requests.RequestException as exc:
            self.session.close()  # the connection is in an unknown state
            self._local.session = None
            self.findings.append(
                Finding(probe, None, time.monotonic() - started, f"no answer: {exc!r}"[:300])
            )
            return None
        elapsed = time.monotonic() - started
        if r.status_code >= 500 and not (r.status_code == 503 and "Retry-After" in r.headers):
            self.findings.append(Finding(probe, r.status_code, elapsed, r.text[:300]))
        elif elapsed > RESPONSE_BUDGET_S:
            self.findings.append(Finding(probe, r.status_code, elapsed, "too slow"))
        return r

    def distinct(self) -> list[Finding]:
        seen: dict[tuple[str, int | None, str], Finding] = {}
        for f in self.findings:
            seen.setdefault(f.key(), f)
        return list(seen.values())


class HealthPoller:
    """GET /health every `interval` on its own connection, for as long as the fuzz runs."""

    def __init__(self, demo: RunningDemo, interval: float = 0.25) -> None:
        self.url = demo.url.rstrip("/") + "/health"
        self.interval = interval
        self.times: list[float] = []
        self.failures: list[str] = []
        self.polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="health-poller", daemon=True)

    def _run(self) -> None:
        session = requests.Session()
        session.trust_env = False
        while not self._stop.wait(self.interval):
            started = time.monotonic()
            try:
                r = session.get(self.url, timeout=5)
                if r.status_code != 200:
                    self.failures.append(f"/health answered {r.status_code}")
            except requests.RequestException as exc:
                self.failures.append(f"/health: {exc!r}")
                session.close()
            self.polls += 1
            self.times.append(time.monotonic() - started)

    def __enter__(self) -> HealthPoller:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(10)


def _json(session: requests.Session, url: str, verify: Any = True) -> Any:
    r = session.get(url, verify=verify, timeout=30)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    return r.json()


def provider_snapshot(demo: RunningDemo) -> dict[str, Any]:
    """Every calendar item at the three providers, with its version (changeKey / etag), read
    through the sandboxes' control APIs."""
    s = requests.Session()
    s.trust_env = False
    out: dict[str, Any] = {}
    g = demo.info["sandbox"]
    for cal in _json(s, g["control_url"] + "/calendars", g["ca_file"]):
        events = _json(s, f"{g['control_url']}/calendars/{cal['id']}/events", g["ca_file"])
        out[f"graph:{cal['id']}"] = sorted((e["id"], e.get("changeKey")) for e in events)
    o = demo.info["google"]
    for cal in _json(s, o["control_url"] + "/calendars", o["ca_file"]):
        cid = requests.utils.quote(cal["id"], safe="")
        events = _json(s, f"{o['control_url']}/calendars/{cid}/events", o["ca_file"])
        live = [e for e in events if e.get("status") != "cancelled"]  # deleted: a tombstone
        out[f"google:{cal['id']}"] = sorted((e["id"], e.get("etag")) for e in live)
    e = demo.info["ews"]
    for folder in _json(s, e["control_url"] + "/folders"):
        if folder.get("folder_class") != "IPF.Appointment":
            continue
        items = _json(s, f"{e['control_url']}/items?folder={requests.utils.quote(folder['id'])}")
        out[f"ews:{folder['id']}"] = sorted((i["id"], i.get("change_key")) for i in items)
    return out


def mirror_snapshot(demo: RunningDemo) -> dict[str, Any]:
    """What a client sees: every collection's sync token, ctag and members with ETags."""
    s = requests.Session()
    s.trust_env = False
    s.auth = demo.auth
    base = demo.url.rstrip("/")
    return {
        href: (c.sync_token, c.ctag, davwire.members(s, base + href))
        for href, c in davwire.collections(s, base + "/demo/").items()
    }
