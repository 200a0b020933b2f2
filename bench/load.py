"""Load benchmark (issue 9, point 9): N concurrent CalDAV clients for S seconds against
`davbridge demo`, mixing PROPFIND, calendar-multiget, sync-collection, GET, PUT and DELETE on the
"Projects" and "Calendar" collections of all three providers (Microsoft 365, Google, Exchange).

Reports throughput, p50/p95/p99 latency per operation, errors (goal: 0) and the RSS of the
bridge over time, sampled every 5 s and summarised per minute of load (goal: flat after warm-up,
< 300 MB). The demo process is the bridge alone: the provider sandboxes run in a child process
of their own (`python -m sandbox.demo_host`), whose RSS is reported beside it, apart.

Not a test: it starts `davbridge demo` as a subprocess on 127.0.0.1 in a temporary directory,
stops by itself after --seconds, deletes what its clients created, and stops the demo.

    python bench/load.py                       # 50 clients, 300 s
    python bench/load.py --clients 10 --seconds 30
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import requests

OPERATIONS = ("propfind", "multiget", "sync", "get", "put", "delete")
WEIGHTS = (25, 20, 20, 20, 8, 7)
COLLECTIONS = tuple(
    f"/demo/{name}-{provider}/"
    for provider in ("m365", "google", "exchange")
    for name in ("projects", "calendar")
)
EXPECTED = {
    "propfind": {207},
    "multiget": {207},
    "sync": {207},
    "get": {200},
    "put": {201, 204},
    "delete": {200, 204},
}
PROPFIND = (
    '<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/>'
    "<d:getcontenttype/></d:prop></d:propfind>"
)
NS = {"d": "DAV:"}


def multiget(hrefs: list[str]) -> str:
    refs = "".join(f"<d:href>{escape(h)}</d:href>" for h in hrefs)
    return (
        '<?xml version="1.0" encoding="utf-8"?><c:calendar-multiget xmlns:d="DAV:" '
        'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/>'
        f"</d:prop>{refs}</c:calendar-multiget>"
    )


def sync(token: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:">'
        f"<d:sync-token>{escape(token)}</d:sync-token><d:sync-level>1</d:sync-level>"
        "<d:prop><d:getetag/></d:prop></d:sync-collection>"
    )


def event(uid: str, when: float) -> str:
    start = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))
    end = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when + 1800))
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davbridge load//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\n"
        f"SUMMARY:Load {uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)

    def record(self, op: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies[op].append(seconds)
            if error is not None:
                self.errors[f"{op}: {error[:60]}"] += 1
                if len(self.examples) < 20:
                    self.examples.append(f"{op}: {error[:300]}")


class Client(threading.Thread):
    def __init__(self, n: int, base: str, auth: tuple[str, str], stop_at: float, stats: Stats):
        super().__init__(name=f"client-{n}", daemon=True)
        self.rng = random.Random(n)
        self.base, self.stats, self.stop_at = base, stats, stop_at
        self.collection = COLLECTIONS[n % len(COLLECTIONS)]
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.auth = auth
        self.hrefs: list[str] = []
        self.created: list[str] = []
        self.token = ""

    def call(self, op: str, method: str, path: str, body: str = "", **headers: str) -> Any:
        started = time.monotonic()
        try:
            r = self.session.request(
                method, self.base + path, data=body.encode() or None, headers=headers, timeout=60
            )
        except requests.RequestException as exc:
            self.stats.record(op, time.monotonic() - started, repr(exc))
            self.session.close()
            return None
        ok = r.status_code in EXPECTED[op]
        self.stats.record(
            op, time.monotonic() - started, None if ok else f"{r.status_code} {r.text[:200]}"
        )
        return r if ok else None

    def run(self) -> None:
        while time.monotonic() < self.stop_at:
            op = self.rng.choices(OPERATIONS, WEIGHTS)[0]
            if op in ("get", "multiget") and not self.hrefs:
                op = "propfind"
            if op == "delete" and not self.created:
                op = "put"
            getattr(self, op)()

    def propfind(self) -> None:
        r = self.call("propfind", "PROPFIND", self.collection, PROPFIND, Depth="1")
        if r is not None:
            root = ET.fromstring(r.content)
            found = [h.text or "" for h in root.findall("d:response/d:href", NS)]
            # other clients' events may vanish at any moment: GET only seeded ones and our own
            self.hrefs = [
                h for h in found if not h.endswith("/") and ("/load-" not in h or h in self.created)
            ]

    def multiget(self) -> None:
        picked = self.rng.sample(self.hrefs, min(10, len(self.hrefs)))
        self.call("multiget", "REPORT", self.collection, multiget(picked), Depth="1")

    def sync(self) -> None:
        r = self.call("sync", "REPORT", self.collection, sync(self.token), Depth="1")
        if r is not None:
            self.token = ET.fromstring(r.content).findtext("d:sync-token", "", NS)

    def get(self) -> None:
        href = self.rng.choice(self.hrefs)
        r = self.call("get", "GET", href)
        if r is None:  # deleted meanwhile by the provider or another client: list again
            self.hrefs = [h for h in self.hrefs if h != href]

    def put(self) -> None:
        uid = f"load-{uuid.uuid4()}"
        href = f"{self.collection}{uid}.ics"
        when = time.time() + self.rng.randrange(1, 60) * 86400
        body = event(uid, when - when % 3600)
        r = self.call("put", "PUT", href, body, **{"Content-Type": "text/calendar; charset=utf-8"})
        if r is not None:
            self.created.append(href)
            self.hrefs.append(href)

    def delete(self) -> None:
        href = self.created.pop(self.rng.randrange(len(self.created)))
        self.hrefs = [h for h in self.hrefs if h != href]
        self.call("delete", "DELETE", href)


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def sandbox_host(demo_pid: int) -> int:
    """The demo's child that runs the provider sandboxes (0 if none)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == demo_pid and b"sandbox.demo_host" in cmdline:
            return int(entry.name)
    return 0


def phases(samples: list[tuple[float, int]], seconds: float) -> list[dict[str, Any]]:
    """RSS per phase: the start, then every minute of load (min / median / max MiB)."""
    out = []
    edges = [0.0, 5.0, *[float(t) for t in range(60, int(seconds) + 60, 60)]]
    for lo, hi in zip(edges, edges[1:], strict=False):
        window = [kib for t, kib in samples if lo <= t < hi]
        if window:
            out.append(
                {
                    "phase": "start" if lo == 0 else f"{round(lo)}-{round(min(hi, seconds))} s",
                    "min": round(min(window) / 1024, 1),
                    "median": round(statistics.median(window) / 1024, 1),
                    "max": round(max(window) / 1024, 1),
                }
            )
    return out


def davbridge() -> list[str]:
    exe = shutil.which("davbridge", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "bridge.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_demo(workdir: Path, refresh: float) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    info_path = workdir / "info.json"
    log = (workdir / "demo.log").open("wb")
    proc = subprocess.Popen(
        [
            *davbridge(),
            "demo",
            "--data-dir",
            str(workdir / "data"),
            "--port",
            str(free_port()),
            "--portal-port",
            "0",
            "--info-json",
            str(info_path),
            "--refresh-interval",
            str(refresh),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"demo exited: {(workdir / 'demo.log').read_text()[-2000:]}")
        if info_path.exists() and info_path.stat().st_size:
            return proc, json.loads(info_path.read_text())
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("demo did not start in time")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def report(
    stats: Stats,
    seconds: float,
    rss: list[tuple[float, int]],
    clients: int,
    sandbox_rss: list[tuple[float, int]],
) -> dict[str, Any]:
    ops = {}
    total = 0
    for op in OPERATIONS:
        lat = stats.latencies.get(op, [])
        total += len(lat)
        ops[op] = {
            "count": len(lat),
            "per_s": round(len(lat) / seconds, 1),
            "p50_ms": round(percentile(lat, 50) * 1000, 1),
            "p95_ms": round(percentile(lat, 95) * 1000, 1),
            "p99_ms": round(percentile(lat, 99) * 1000, 1),
        }
    warm = [kib for t, kib in rss if t >= min(60.0, seconds / 5)]
    return {
        "clients": clients,
        "seconds": round(seconds, 1),
        "requests": total,
        "throughput_per_s": round(total / seconds, 1),
        "errors": sum(stats.errors.values()),
        "error_kinds": dict(stats.errors),
        "error_examples": stats.examples,
        "operations": ops,
        "rss_mib": [(round(t), round(kib / 1024, 1)) for t, kib in rss],
        "bridge_rss_per_phase_mib": phases(rss, seconds),
        "sandboxes_rss_per_phase_mib": phases(sandbox_rss, seconds),
        "rss_after_warmup_mib": {
            "min": round(min(warm) / 1024, 1) if warm else None,
            "max": round(max(warm) / 1024, 1) if warm else None,
            "median": round(statistics.median(warm) / 1024, 1) if warm else None,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument(
        "--refresh-interval",
        type=float,
        default=60.0,
        help="the demo's refresh interval (background pulls run during the load)",
    )
    parser.add_argument("--output", type=Path, default=Path("bench/results/load.json"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="davbridge-load-"))
    proc, info = start_demo(workdir, args.refresh_interval)
    try:
        base = info["dav_url"].rstrip("/")
        auth = (info["username"], info["password"])
        stats = Stats()
        rss: list[tuple[float, int]] = []
        sandbox_rss: list[tuple[float, int]] = []
        sandboxes = sandbox_host(proc.pid)
        t0 = time.monotonic()
        stop_at = t0 + args.seconds
        clients = [Client(n, base, auth, stop_at, stats) for n in range(args.clients)]
        for c in clients:
            c.start()
        while any(c.is_alive() for c in clients):
            rss.append((time.monotonic() - t0, rss_kib(proc.pid)))
            sandbox_rss.append((rss[-1][0], rss_kib(sandboxes)))
            print(
                f"t={rss[-1][0]:5.0f}s bridge rss={rss[-1][1] / 1024:6.1f} MiB "
                f"(sandboxes {sandbox_rss[-1][1] / 1024:6.1f} MiB) "
                f"requests={sum(len(v) for v in stats.latencies.values())} "
                f"errors={sum(stats.errors.values())}",
                flush=True,
            )
            for c in clients:
                c.join(timeout=max(0.0, 5.0 - (time.monotonic() - t0) % 5.0))
                if time.monotonic() - t0 >= len(rss) * 5.0:
                    break
        elapsed = time.monotonic() - t0
        rss.append((elapsed, rss_kib(proc.pid)))
        sandbox_rss.append((elapsed, rss_kib(sandboxes)))
        leftovers = [h for c in clients for h in c.created]
        cleaner = requests.Session()
        cleaner.auth = auth
        for href in leftovers:
            cleaner.delete(base + href, timeout=60)
        result = report(stats, elapsed, rss, args.clients, sandbox_rss)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "rss_mib"}, indent=2))
    print("bridge rss MiB every 5 s:", " ".join(str(m) for _, m in result["rss_mib"]))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
