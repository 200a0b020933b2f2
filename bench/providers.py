"""Provider economy benchmark: for each provider (Microsoft 365 Graph, Google, Exchange EWS),
the initial sync of a large calendar from its sandbox and the provider requests one
steady-state refresh makes when nothing changed (target: one incremental request per calendar:
Graph calendarView/delta, Google events.list with syncToken, EWS SyncFolderItems).

Not a test: prints figures and writes bench/results/providers.json.
Usage: python bench/providers.py [--events 10000] [--refreshes 3] [--providers graph,google,ews]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bridge.demo import Demo  # noqa: E402
from bridge.model import ProviderKind  # noqa: E402
from sandbox.remote import Remote  # noqa: E402

LABELS = {"graph": "Microsoft 365 (Graph)", "google": "Google Calendar", "ews": "Exchange (EWS)"}


def provider_requests(demo: Demo, kind: ProviderKind) -> int:
    """Provider API requests so far (the sandboxes run in their own process: control API)."""
    infos = demo.sandboxes.infos
    if kind is ProviderKind.GRAPH:
        return Remote.of(infos.graph).request_count("/v1.0")
    if kind is ProviderKind.GOOGLE:
        return Remote.of(infos.google).request_count("/calendar/v3")
    return Remote.of(infos.ews).request_count()


def measure(kind: ProviderKind, events: int, refreshes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"davbridge-bench-{kind.value}-") as tmp:
        demo = Demo(
            Path(tmp),
            port=0,
            refresh_interval_s=3600,
            bulk_events=events,
            background=False,
            providers=(kind,),
        )
        began = time.perf_counter()
        demo.start()
        start_seconds = time.perf_counter() - began
        try:
            assert demo.bridge is not None
            store = demo.bridge.store
            colls = store.collections()
            biggest = max(colls, key=lambda c: len(store.item_texts(c.id)))
            items = len(store.item_texts(biggest.id))
            # the initial sync again, on its own, for the large calendar: a reset mirror
            store.apply_pull(biggest.id, [], [], None, True, 0.0)
            before = provider_requests(demo, kind)
            t0 = time.perf_counter()
            demo.bridge.engine.refresh(biggest.id)
            initial = time.perf_counter() - t0
            initial_requests = provider_requests(demo, kind) - before
            per_refresh = []
            for _ in range(refreshes):
                before = provider_requests(demo, kind)
                for coll in colls:
                    demo.bridge.engine.refresh(coll.id)
                per_refresh.append((provider_requests(demo, kind) - before) / len(colls))
            return {
                "provider": kind.value,
                "events": items,
                "calendars": len(colls),
                "demo_start_seconds": round(start_seconds, 2),
                "initial_sync_seconds": round(initial, 2),
                "initial_sync_requests": initial_requests,
                "requests_per_calendar_per_refresh": per_refresh,
            }
        finally:
            demo.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--refreshes", type=int, default=3)
    parser.add_argument("--providers", default="graph,google,ews")
    args = parser.parse_args(argv)
    results = []
    for name in args.providers.split(","):
        kind = ProviderKind(name.strip())
        print(
            f"[{time.strftime('%H:%M:%S')}] {LABELS[kind.value]}: seeding {args.events} events "
            "and syncing …",
            flush=True,
        )
        results.append(measure(kind, args.events, args.refreshes))
    print(f"\nprovider economy — {args.events} events in one calendar\n")
    print(
        f"{'provider':24} {'items':>6} {'initial sync':>13} {'requests':>9} "
        f"{'requests/calendar/refresh (no change)':>38}"
    )
    for r in results:
        steady = ", ".join(f"{x:.2f}" for x in r["requests_per_calendar_per_refresh"])
        print(
            f"{LABELS[r['provider']]:24} {r['events']:>6} {r['initial_sync_seconds']:>11.1f} s "
            f"{r['initial_sync_requests']:>9} {steady:>38}"
        )
    out = ROOT / "bench" / "results" / "providers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
