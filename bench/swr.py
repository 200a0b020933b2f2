"""Stale-while-revalidate benchmark (issue 14, point 5): no client request waits on a provider.

Starts `bridge.entry.demo.Demo` in this process with all three provider sandboxes, the background
refresh loop on and the default refresh interval (`[sync] refresh_interval_s`, 300 s), then a
DAV client in its own process (bench/swr_client.py) sends no-change sync-collection REPORTs
round-robin over every calendar and address book for `--seconds` (default 300) while the
collections turn stale and the loop refreshes them. It prints

* the client's latency percentiles (target: p99 < 50 ms — a request on a stale collection is
  answered from the mirror and only schedules the refresh);
* per provider, from the sandboxes' own request logs: the incremental requests (Graph
  `…/delta`, Google `events` list and People `connections` list, EWS `SyncFolderItems`) per
  refresh the loop made, and the refreshes per collection per elapsed interval (target:
  exactly 1 request per collection per interval); discovery requests (calendar / folder
  lists, every 3 intervals in the demo) are shown apart.

Not a test. Usage: python bench/swr.py [--seconds 300] [--refresh-interval S]
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.floor_server import FloorServer  # noqa: E402
from bench.on_term import exit_on_term  # noqa: E402
from bridge.entry.demo import Demo  # noqa: E402
from bridge.settings import SyncSettings  # noqa: E402
from sandbox.remote import Remote  # noqa: E402

SYNC_PATHS = {
    "graph": re.compile(r"/delta\b"),
    "google": re.compile(r"/calendar/v3/calendars/[^/]+/events$|/v1/people/me/connections$"),
}
EWS_SYNC = "SyncFolderItems"
DISCOVERY = re.compile(r"/calendars$|/contactFolders$|/calendarList$|/contactGroups$")


def _log_since(demo: Demo, kind: str, since: float) -> list[str]:
    """The sandbox's request log (its own process: the control API)."""
    return Remote.of(getattr(demo.sandboxes.infos, kind)).request_paths(since)


def _ews_counts(demo: Demo) -> dict[str, int]:
    return Remote.of(demo.sandboxes.infos.ews).operation_counts()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--refresh-interval", type=float, default=SyncSettings().refresh_interval_s)
    parser.add_argument(
        "--no-control",
        action="store_true",
        help="skip the static server timed alternately (the machine's latency floor)",
    )
    args = parser.parse_args(argv)
    exit_on_term()  # SIGTERM stops the demo, its sandboxes and the floor server
    with tempfile.TemporaryDirectory(prefix="davbridge-bench-swr-") as tmp:
        demo = Demo(Path(tmp), port=0, refresh_interval_s=args.refresh_interval)
        print(f"[{time.strftime('%H:%M:%S')}] starting the demo (three sandboxes) …", flush=True)
        info = demo.start()
        floor = None
        try:
            assert demo.bridge is not None
            bridge = demo.bridge
            engine = bridge.engine
            colls = [c for c in bridge.store.collections() if engine.wanted(c)]
            kinds = {c.id: bridge.store.connection(c.connection_id).provider for c in colls}
            pulls: collections.Counter[str] = collections.Counter()
            lock = threading.Lock()
            original = engine.refresh

            def recorded(collection_id: int, *args: Any, **kwargs: Any) -> Any:
                # the refresher passes only_if_stale too: a narrower signature made every
                # background refresh fail with a TypeError (and the run count none)
                outcome = original(collection_id, *args, **kwargs)
                if outcome is not None:
                    with lock:
                        pulls[kinds.get(collection_id, "?")] += 1
                return outcome

            engine.refresh = recorded  # type: ignore[method-assign]
            targets = [
                {
                    "url": f"{info.dav_url}{info.username}/{c.name}/",
                    "username": info.username,
                    "password": info.password,
                }
                for c in colls
            ]
            if not args.no_control:  # the machine's floor: a static answer, same server
                calendar = next(
                    t for t, c in zip(targets, colls, strict=True) if c.kind.value == "calendar"
                )
                recorded_dir = Path(tmp) / "control"
                subprocess.run(
                    [sys.executable, str(ROOT / "bench" / "dav_client.py")],
                    input=json.dumps(
                        {
                            "capture": {
                                "name": "bridge",
                                "collection_url": calendar["url"],
                                "username": info.username,
                                "password": info.password,
                            },
                            "dir": str(recorded_dir),
                        }
                    ),
                    capture_output=True,
                    text=True,
                    check=True,
                )
                floor = FloorServer(recorded_dir)
            started = time.time()
            ews_before = _ews_counts(demo)
            print(
                f"[{time.strftime('%H:%M:%S')}] {len(colls)} collections; no-change "
                f"sync-collection for {args.seconds:g} s, refresh interval "
                f"{args.refresh_interval:g} s …",
                flush=True,
            )
            job = {"targets": targets, "seconds": args.seconds}
            if floor is not None:
                job["control"] = floor.url + "control/"
            try:
                client = subprocess.run(
                    [sys.executable, str(ROOT / "bench" / "swr_client.py")],
                    input=json.dumps(job),
                    capture_output=True,
                    text=True,
                    check=True,
                )
            finally:
                if floor is not None:
                    floor.stop()
            elapsed = time.time() - started
            result = json.loads(client.stdout)
            ews_after = _ews_counts(demo)
            logs = {k: _log_since(demo, k, started) for k in ("graph", "google")}  # live only
        finally:
            if floor is not None:
                floor.stop()
            demo.stop()
    lat = result["latencies"]
    print(
        f"\nno-change sync-collection: {len(lat)} requests over {elapsed:.0f} s, statuses "
        f"{result['statuses']}, answers with changes {result['answers_with_changes']}"
    )
    print(
        f"latency p50 {1000 * statistics.median(lat):.1f} ms, p95 "
        f"{1000 * percentile(lat, 0.95):.1f} ms, p99 {1000 * percentile(lat, 0.99):.1f} ms, "
        f"max {1000 * max(lat):.1f} ms (target p99 < 50 ms)"
    )
    control = result.get("control_latencies") or []
    if control:
        print(
            f"the same client against a static answer from the same HTTP server (waitress, "
            f"own process), alternating: p50 {1000 * statistics.median(control):.1f} ms, p95 "
            f"{1000 * percentile(control, 0.95):.1f} ms, p99 "
            f"{1000 * percentile(control, 0.99):.1f} ms, max {1000 * max(control):.1f} ms"
        )
    intervals = elapsed / args.refresh_interval
    print(
        f"\n{'provider':8} {'collections':>11} {'refreshes':>9} {'sync requests':>13} "
        f"{'per refresh':>11} {'refreshes/collection/interval':>30} {'discovery':>9}"
    )
    rows = []
    for kind in ("graph", "google", "ews"):
        n = sum(1 for c in colls if kinds[c.id] == kind)
        if kind == "ews":
            sync = ews_after.get(EWS_SYNC, 0) - ews_before.get(EWS_SYNC, 0)
            disc = sum(
                ews_after.get(op, 0) - ews_before.get(op, 0) for op in ("FindFolder", "GetFolder")
            )
        else:
            paths = logs[kind]
            sync = sum(1 for p in paths if SYNC_PATHS[kind].search(p))
            disc = sum(1 for p in paths if DISCOVERY.search(p))
        done = pulls[kind]
        per_refresh = sync / done if done else float("nan")
        per_interval = done / (n * intervals) if n and intervals else float("nan")
        rows.append(
            {
                "provider": kind,
                "collections": n,
                "refreshes": done,
                "sync_requests": sync,
                "per_refresh": per_refresh,
                "refreshes_per_collection_per_interval": per_interval,
                "discovery_requests": disc,
            }
        )
        print(
            f"{kind:8} {n:>11} {done:>9} {sync:>13} {per_refresh:>11.2f} "
            f"{per_interval:>30.2f} {disc:>9}"
        )
    out = ROOT / "bench" / "results" / "swr.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "seconds": elapsed,
        "refresh_interval": args.refresh_interval,
        "p50": statistics.median(lat),
        "p99": percentile(lat, 0.99),
        "max": max(lat),
        "requests": len(lat),
        "control_p50": statistics.median(control) if control else None,
        "control_p99": percentile(control, 0.99) if control else None,
        "statuses": result["statuses"],
        "providers": rows,
    }
    out.write_text(json.dumps(summary, indent=2))
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
