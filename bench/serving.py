"""Serving benchmark (not a test): davbridge against stock Radicale 3.9 on the same data.

Run from the repository root:  python bench/serving.py [--events 10000] [--repeat 5]

1. Starts the demo stack in this process (Graph sandbox seeded with one calendar of
   `--events` events, the bridge, OAuth consent) and records the initial sync.
2. Refreshes every calendar `--refreshes` times with nothing changed and counts the
   provider (sandbox) requests each refresh makes.
3. Exports the mirrored items' text as .ics files into a fresh Radicale file storage and
   starts stock Radicale on it (subprocess).
4. Runs the DAV client (bench/dav_client.py, its own process) against both: one untimed,
   checked warm-up round, then PROPFIND Depth 1, calendar-multiget of all hrefs and a
   no-change sync-collection, `--repeat` times each, while counting provider requests.
5. Prints a table with the ratios and writes bench/results/serving.json.

Every server it starts listens on 127.0.0.1 and is stopped at the end, also on error.
Must not be collected by pytest and must not change the code it measures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
if str(REPO) not in sys.path:  # `python bench/serving.py` from a checkout
    sys.path.insert(0, str(REPO))

import radicale as radicale_pkg  # noqa: E402
from bridge_side import BridgeUnderTest, RefreshSample  # noqa: E402
from report import operation_results, render  # noqa: E402
from stock_radicale import IcsFile, StockRadicale, proc_status_kib, write_collection  # noqa: E402

RADICALE_USER = "demo"
RESULTS_DIR = BENCH_DIR / "results"  # git-ignored


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--events",
        type=int,
        default=10_000,
        help="events in the sandbox's load-test calendar (default 10000)",
    )
    p.add_argument(
        "--repeat", type=int, default=5, help="timed runs per operation and server (default 5)"
    )
    p.add_argument(
        "--refreshes",
        type=int,
        default=3,
        help="no-change refreshes per calendar to count requests (default 3)",
    )
    p.add_argument(
        "--refresh-interval",
        type=float,
        default=3600.0,
        help="the bridge's refresh interval in s; large, so nothing turns stale "
        "while DAV requests are timed (default 3600)",
    )
    p.add_argument(
        "--output",
        type=Path,
        default=RESULTS_DIR / "serving.json",
        help="where to write the JSON results (default bench/results/serving.json)",
    )
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep the temporary data directory (its path is printed)",
    )
    return p.parse_args(argv)


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_client(job: dict[str, Any]) -> dict[str, Any]:
    """bench/dav_client.py in its own process (no GIL shared with either server)."""
    done = subprocess.run(
        [sys.executable, str(BENCH_DIR / "dav_client.py")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the DAV client failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _sum_samples(samples: list[RefreshSample]) -> dict[str, Any]:
    return {
        "seconds": sum(s.seconds for s in samples),
        "graph_requests": sum(s.graph_requests for s in samples),
        "all_requests": sum(s.all_requests for s in samples),
        "changed": sum(s.changed or 0 for s in samples),
        "refreshes": [vars(s) for s in samples],
    }


def _steady(samples: list[RefreshSample], calendars: int) -> dict[str, Any]:
    n = max(1, len(samples))
    per_calendar = sum(s.graph_requests for s in samples) / n
    return {
        "calendars": calendars,
        "refreshes": len(samples),
        "graph_requests_per_calendar": per_calendar,
        "all_requests_per_calendar": sum(s.all_requests for s in samples) / n,
        "max_graph_requests": max((s.graph_requests for s in samples), default=0),
        "median_seconds": statistics.median(s.seconds for s in samples) if samples else 0.0,
        "changed": sum(s.changed or 0 for s in samples),
        "meets_target": bool(samples) and all(s.graph_requests == 1 for s in samples),
        "samples": [vars(s) for s in samples],
    }


def _checks(client: dict[str, Any], items: int) -> list[str]:
    """Problems with what the servers answered in the untimed round (empty: all good)."""
    problems = []
    for name, c in client["checked"].items():
        if c["items"] != items:
            problems.append(f"{name}: PROPFIND listed {c['items']} items, expected {items}")
        if c["multiget_items"] != items or c["multiget_with_data"] != items:
            problems.append(
                f"{name}: multiget returned {c['multiget_items']} responses, "
                f"{c['multiget_with_data']} with calendar-data, expected {items}"
            )
        if c["sync_changes_initial"] != items:
            problems.append(
                f"{name}: initial sync-collection listed "
                f"{c['sync_changes_initial']} items, expected {items}"
            )
        if c["sync_changes_no_change"] != 0:
            problems.append(
                f"{name}: no-change sync-collection listed "
                f"{c['sync_changes_no_change']} changes, expected 0"
            )
    return problems


def benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    radicale_kib: int | None = None
    with BridgeUnderTest(workdir / "demo", args.events, args.refresh_interval) as under_test:
        _say(
            f"starting the demo stack with {args.events} sandbox events (seeding + initial sync) …"
        )
        started = under_test.start()
        hwm_after_start = proc_status_kib("self", "VmHWM")
        coll = under_test.largest_calendar()
        records = under_test.bridge.store.items(coll.id)
        _say(
            f"initial sync done: {len(records)} items in {coll.display_name!r}; "
            f"counting requests of {args.refreshes} no-change refreshes …"
        )
        steady = under_test.steady_refreshes(args.refreshes)
        exported = write_collection(
            workdir / "radicale" / "collections",
            RADICALE_USER,
            coll.name,
            (IcsFile(r.href, r.text) for r in records),
            coll.display_name,
        )
        _say(f"exported {exported} .ics files; starting stock Radicale …")
        with StockRadicale(workdir / "radicale") as radicale:
            assert under_test.info is not None
            job = {
                "repeat": args.repeat,
                "targets": [
                    {
                        "name": "bridge",
                        "collection_url": under_test.collection_url(coll),
                        "username": under_test.info.username,
                        "password": under_test.info.password,
                    },
                    {
                        "name": "radicale",
                        "collection_url": f"{radicale.url}{RADICALE_USER}/{coll.name}/",
                        "username": RADICALE_USER,
                        "password": "unused",
                    },
                ],
            }
            under_test.settle()
            graph0, all0 = under_test.request_count(), under_test.request_count("/")
            _say(f"timing DAV operations ({args.repeat} runs each, after a warm-up round) …")
            client = run_client(job)
            request_path_graph = under_test.request_count() - graph0
            request_path_all = under_test.request_count("/") - all0
            radicale_kib = radicale.peak_rss_kib()
        bridge_kib = proc_status_kib("self", "VmHWM")
        bridge_rss_end = proc_status_kib("self", "VmRSS")
    return {
        "events": args.events,
        "items": len(records),
        "repeat": args.repeat,
        "calendar": coll.display_name,
        "start_seconds": started.start_seconds,
        "initial_sync": _sum_samples(list(started.initial_sync)),
        "steady_state": _steady(steady, len({s.collection for s in steady})),
        "request_path_provider_requests": request_path_all,
        "request_path_graph_requests": request_path_graph,
        "operations": [r.as_json() for r in operation_results(client["timings"])],
        "timings": client["timings"],
        "checked": client["checked"],
        "problems": _checks(client, len(records)),
        "warm_seconds": client["warm_seconds"],
        "rss": {
            "bridge_process_kib": bridge_kib,
            "radicale_kib": radicale_kib,
            "bridge_process_peak_after_start_kib": hwm_after_start,
            "bridge_process_current_at_end_kib": bridge_rss_end,
        },
        "environment": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "radicale": radicale_pkg.VERSION,
            "platform": platform.platform(),
        },
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    workdir = Path(tempfile.mkdtemp(prefix="davbridge-bench-"))
    try:
        summary = benchmark(args, workdir)
    finally:
        if args.keep:
            _say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results = operation_results(summary["timings"])
    print(render(summary, results))
    for problem in summary["problems"]:
        print(f"CHECK FAILED: {problem}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    print(f"results written to {args.output}")
    return 1 if summary["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
