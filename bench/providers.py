"""Provider economy benchmark (issue 14, points 1 and 5's request count): for each provider
(Microsoft 365 Graph, Google, Exchange EWS), with N events in one sandbox calendar,

* the TRUE first sync of that calendar (consent and discovery done, the calendar's mirror
  emptied and its cursor forgotten: `engine.refresh` pulls everything, converts, enriches and
  stores it) against a raw pager making the same provider requests and only decoding them
  (bench/raw_pagers.py), timed alternately in the same run, `--repeat` times; the line
  `first-sync-vs-raw <provider> <ratio>` is the ratio of the medians (target ≤ 1.3), and
  `first-sync-cpu-per-item <provider> <µs>` the median CPU time of the bridge — this process
  and its worker process (bridge/offload.py); the sandbox runs in its own — per item of a
  first sync — what the load of a shared machine
  changes least;
* the provider requests one no-change refresh makes per collection (target: exactly 1 — one
  incremental request: Graph delta, Google events.list / People connections.list / Tasks
  tasks.list, EWS SyncFolderItems), counted in the sandbox's own request log (all API requests,
  calendars, contacts and task lists alike; token endpoints excluded).

The sandbox runs in a process of its own (`davbridge demo`'s sandbox host); its page building is
in both the raw and the sync time.
Not a test: prints figures and writes bench/results/providers.json.
Usage: python bench/providers.py [--events 10000] [--repeat 3] [--refreshes 3]
                                 [--providers graph,google,ews]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from procs import cpu_seconds, workers  # noqa: E402  (bench/ is on sys.path as the script dir)
from raw_pagers import PAGERS  # noqa: E402

from bridge.entry.demo import Demo  # noqa: E402
from bridge.model import ProviderKind  # noqa: E402
from sandbox.remote import Remote  # noqa: E402

LABELS = {"graph": "Microsoft 365 (Graph)", "google": "Google Calendar", "ews": "Exchange (EWS)"}


def provider_requests(demo: Demo, kind: ProviderKind) -> int:
    """API requests the sandbox has logged (calendars and contacts; not the token endpoint),
    over its control API (the sandboxes run in their own process)."""
    infos = demo.sandboxes.infos
    if kind is ProviderKind.GRAPH:
        return Remote.of(infos.graph).request_count("/v1.0")
    if kind is ProviderKind.GOOGLE:
        google = Remote.of(infos.google)
        # Calendar API, People API (/v1/) and Tasks API (a task list is a collection too)
        return sum(google.request_count(p) for p in ("/calendar/v3", "/v1/", "/tasks/"))
    return Remote.of(infos.ews).request_count()


def measure(kind: ProviderKind, events: int, repeat: int, refreshes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"davbridge-bench-{kind.value}-") as tmp:
        demo = Demo(
            Path(tmp),
            port=0,
            refresh_interval_s=3600,
            bulk_events=events,
            background=False,
            providers=(kind,),
        )
        info = demo.start()
        try:
            assert demo.bridge is not None
            store, engine = demo.bridge.store, demo.bridge.engine
            colls = store.collections()
            biggest = max(colls, key=lambda c: len(store.item_texts(c.id)))
            items = len(store.item_texts(biggest.id))
            sandbox_info = getattr(info.sandboxes, kind.value)
            pager = PAGERS[kind.value](sandbox_info, biggest.remote_id, engine.window())
            raw_s: list[float] = []
            sync_s: list[float] = []
            sync_cpu: list[float] = []  # the bridge's CPU time: this process and its worker
            worker_cpu: list[float] = []  # of which the worker process's (bridge/offload.py)
            raw_requests = sync_requests = 0
            for _ in range(repeat):  # alternating, so both see the same machine load
                t0 = time.perf_counter()
                raw_events, raw_requests = pager.run()
                raw_s.append(time.perf_counter() - t0)
                # the true first sync: an empty mirror and no cursor for this calendar
                store.apply_pull(biggest.id, [], [], None, True, 0.0)
                before = provider_requests(demo, kind)
                # the worker process and its fork server (bridge/offload.py): one started
                # during this sync counts from its start
                start_cpu = {p: cpu_seconds([p]) for p in workers(os.getpid())}
                t0, c0 = time.perf_counter(), time.process_time()
                outcome = engine.refresh(biggest.id)
                sync_s.append(time.perf_counter() - t0)
                main_cpu = time.process_time() - c0
                worker = sum(cpu_seconds([p]) - start_cpu.get(p, 0.0) for p in workers(os.getpid()))
                sync_cpu.append(main_cpu + worker)
                worker_cpu.append(worker)
                sync_requests = provider_requests(demo, kind) - before
                assert outcome is not None and outcome.reset, "the first sync did not run"
                assert len(store.item_texts(biggest.id)) == items, "the first sync lost items"
            per_refresh = []
            for _ in range(refreshes):
                before = provider_requests(demo, kind)
                for coll in colls:
                    engine.refresh(coll.id)
                per_refresh.append((provider_requests(demo, kind) - before) / len(colls))
            return {
                "provider": kind.value,
                "events": items,
                "raw_events": raw_events,
                "collections": len(colls),
                "raw_seconds": raw_s,
                "first_sync_seconds": sync_s,
                "first_sync_cpu_seconds": sync_cpu,
                "first_sync_worker_cpu_seconds": worker_cpu,
                "raw_requests": raw_requests,
                "first_sync_requests": sync_requests,
                "ratio": statistics.median(sync_s) / statistics.median(raw_s),
                "requests_per_collection_per_refresh": per_refresh,
            }
        finally:
            demo.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (n ≥ 3)")
    parser.add_argument("--refreshes", type=int, default=3)
    parser.add_argument("--providers", default="graph,google,ews")
    args = parser.parse_args(argv)
    results = []
    for name in args.providers.split(","):
        kind = ProviderKind(name.strip())
        print(
            f"[{time.strftime('%H:%M:%S')}] {LABELS[kind.value]}: seeding {args.events} events, "
            f"then {args.repeat} × (raw pager, first sync) …",
            flush=True,
        )
        results.append(measure(kind, args.events, args.repeat, args.refreshes))
    print(f"\nfirst sync vs raw pager — {args.events} events in one calendar (medians)\n")
    print(
        f"{'provider':24} {'items':>6} {'raw':>8} {'first sync':>11} {'ratio':>6} "
        f"{'requests raw/sync':>18} {'requests/collection/refresh':>28}"
    )
    for r in results:
        steady = ", ".join(f"{x:.2f}" for x in r["requests_per_collection_per_refresh"])
        print(
            f"{LABELS[r['provider']]:24} {r['events']:>6} "
            f"{statistics.median(r['raw_seconds']):>7.2f}s "
            f"{statistics.median(r['first_sync_seconds']):>10.2f}s {r['ratio']:>6.2f} "
            f"{r['raw_requests']:>8}/{r['first_sync_requests']:<9} {steady:>28}"
        )
    print()
    for r in results:
        print(f"first-sync-vs-raw {r['provider']} {r['ratio']:.2f}")
    print()
    for r in results:  # the bridge's own work, less sensitive to the machine's load
        cpu = statistics.median(r["first_sync_cpu_seconds"]) / max(r["events"], 1)
        worker = statistics.median(r["first_sync_worker_cpu_seconds"]) / max(r["events"], 1)
        print(
            f"first-sync-cpu-per-item {r['provider']} {cpu * 1e6:.0f} µs "
            f"(of which the worker process {worker * 1e6:.0f} µs)"
        )
    out = ROOT / "bench" / "results" / "providers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
