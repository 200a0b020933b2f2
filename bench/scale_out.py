"""Scale-out benchmark (issue 17): several bridge processes on one PostgreSQL database.

Prints, for the same sandbox data and the same client on this machine:
1. read throughput (PROPFIND Depth 1 of a calendar of --events events, answered from the
   mirror) with one SQLite process, and with 1, 2 and 4 processes on PostgreSQL, the client
   spreading its requests over every process's port;
2. provider requests per collection per refresh interval with N processes (the sandbox's
   request log: delta requests per calendar), which the pull leases keep at 1;
3. failover: kill -9 of a process holding a pull lease, and the time until another process
   holds that collection's lease (lease time 3 s in the demo at --refresh-interval 1).

It is a benchmark, not a test: it never fails on a figure. Everything runs on 127.0.0.1; the
PostgreSQL server is a throwaway cluster (tests/pg_server.py). Run from the repository root:

    .venv/bin/python bench/scale_out.py [--events 500] [--seconds 10] [--clients 4]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pg_server import Cluster, fresh_database, start_cluster  # noqa: E402

PROPFIND = (
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/>'
    "<d:getcontenttype/></d:prop></d:propfind>"
)


def davbridge() -> list[str]:
    beside = Path(sys.executable).parent / "davbridge"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "bridge.entry.cli"]


def start_demo(
    data: Path, events: int, refresh: float, store: str = "", workers: int = 1
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    info_path = data / "info.json"
    args = [
        *davbridge(), "demo", "--data-dir", str(data), "--port", "0", "--portal-port", "0",
        "--info-json", str(info_path), "--refresh-interval", str(refresh),
        "--bulk-events", str(events), "--log-level", "WARNING",
    ]  # fmt: skip
    if store:
        args += ["--store", store, "--workers", str(workers)]
    data.mkdir(parents=True, exist_ok=True)
    log = (data / "demo.log").open("ab")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"demo exited: {(data / 'demo.log').read_text()[-2000:]}")
        if info_path.exists() and info_path.stat().st_size:
            return proc, json.loads(info_path.read_text())
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("demo did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _client(args: tuple[list[str], tuple[str, str], float, int]) -> tuple[int, int]:
    """One client process: PROPFIND Depth 1 round robin over the URLs for `seconds`."""
    urls, auth, seconds, offset = args
    sessions = []
    for _ in urls:
        s = requests.Session()
        s.auth = auth
        s.trust_env = False
        sessions.append(s)
    done = errors = 0
    end = time.monotonic() + seconds
    i = offset
    while time.monotonic() < end:
        k = i % len(urls)
        r = sessions[k].request(
            "PROPFIND", urls[k], data=PROPFIND, headers={"Depth": "1"}, timeout=60
        )
        if r.status_code == 207:
            done += 1
        else:
            errors += 1
        i += 1
    return done, errors


def throughput(info: dict[str, Any], clients: int, seconds: float) -> tuple[float, int, int]:
    urls = [u + "demo/bulk-m365/" for u in info.get("dav_urls", [info["dav_url"]])]
    auth = (info["username"], info["password"])
    _client((urls, auth, 1.0, 0))  # warm-up
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        results = pool.map(_client, [(urls, auth, seconds, n) for n in range(clients)])
    done = sum(d for d, _ in results)
    errors = sum(e for _, e in results)
    return done / seconds, done, errors


def sandbox(info: dict[str, Any]) -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    s.verify = info["sandbox"]["ca_file"]
    return s


def pulls_per_refresh(
    cluster: Cluster, work: Path, workers: int, refresh: float, watch_s: float
) -> dict[str, float]:
    url = fresh_database(cluster)
    proc, info = start_demo(work / f"pulls-{workers}", 50, refresh, url, workers)
    try:
        ctl = info["sandbox"]["control_url"]
        s = sandbox(info)
        s.post(ctl + "/requests/reset", timeout=30)
        time.sleep(watch_s)
        log = s.get(ctl + "/requests", timeout=30).json()
    finally:
        stop(proc)
    per_path: dict[str, int] = {}
    for r in log:
        if r["path"].endswith("/delta"):
            per_path[r["path"]] = per_path.get(r["path"], 0) + 1
    intervals = watch_s / refresh
    counts = sorted(per_path.values())
    return {
        "collections": len(per_path),
        "delta requests per collection per interval (mean)": sum(counts)
        / max(len(counts), 1)
        / intervals,
        "max per collection per interval": max(counts, default=0) / intervals,
    }


def failover(cluster: Cluster, work: Path) -> float:
    """Seconds from kill -9 of a process holding a pull lease to another holding it (the
    sandbox slowed to 1.5 s per request until the kill, so that a pull is in flight)."""
    url = fresh_database(cluster)
    proc, info = start_demo(work / "failover", 50, 1.0, url, 2)
    try:
        s = sandbox(info)
        ctl = info["sandbox"]["control_url"]
        s.post(ctl + "/throttle", json={"latency_ms": 1500}, timeout=30)
        deadline = time.monotonic() + 120
        with psycopg.connect(url, autocommit=True) as db:
            while time.monotonic() < deadline:
                rows = db.execute(
                    "SELECT name, holder FROM leases WHERE holder IS NOT NULL AND "
                    "expires > extract(epoch FROM clock_timestamp())"
                ).fetchall()
                held = [(n, h) for n, h in rows if h.split(":")[1] != str(proc.pid)]
                if held:
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError("no lease held by the second process")
            lease, victim = held[0]
            os.kill(int(victim.split(":")[1]), signal.SIGKILL)
            killed = time.monotonic()
            # the slowed provider only served to catch a pull in flight: the survivor's pulls
            # must not queue behind it
            s.post(ctl + "/throttle", json={"latency_ms": 0}, timeout=30)
            while time.monotonic() < deadline:
                row = db.execute("SELECT holder FROM leases WHERE name = %s", (lease,)).fetchone()
                if row and row[0] and row[0] != victim:
                    taken = time.monotonic() - killed
                    break
                time.sleep(0.02)
            else:
                raise RuntimeError("the lease was never taken over")
        s.post(ctl + "/throttle", json={"latency_ms": 0}, timeout=30)
        return taken
    finally:
        stop(proc)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--events", type=int, default=500)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--watch", type=float, default=20.0, help="seconds of pulls watched")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="davbridge-scale-"))
    cluster = start_cluster()
    rows: list[tuple[str, float, int, int]] = []
    try:
        configs: list[tuple[str, str, int]] = [("SQLite, 1 process", "", 1)]
        configs += [(f"PostgreSQL, {n} process(es)", "pg", n) for n in (1, 2, 4)]
        for label, kind, n in configs:
            store = fresh_database(cluster) if kind else ""
            proc, info = start_demo(work / f"read-{kind or 'sqlite'}-{n}", args.events, 3600.0,
                                    store, n)  # fmt: skip
            try:
                rate, done, errors = throughput(info, args.clients, args.seconds)
            finally:
                stop(proc)
            rows.append((label, rate, done, errors))
            print(f"{label:28} {rate:8.1f} PROPFIND/s  ({done} answered, {errors} errors)",
                  flush=True)  # fmt: skip
        for n in (2, 4):
            figures = pulls_per_refresh(cluster, work, n, 2.0, args.watch)
            print(f"pulls with {n} processes (refresh every 2 s, {args.watch:g} s watched): "
                  + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()), flush=True)  # fmt: skip
        print(f"failover after kill -9 (lease 3 s): {failover(cluster, work):.2f} s", flush=True)
    finally:
        cluster.stop()
    print(f"events {args.events}, clients {args.clients} processes, {args.seconds:g} s each, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
