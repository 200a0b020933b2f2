"""Serving benchmark (not a test): davbridge against stock Radicale, tuned Radicale and Xandikos
on the same items, and against the physical floor (issue 14, point 6).

Run from the repository root:  python bench/serving.py [--events 10000] [--repeat 5]

1. Starts the bridge in a process of its own (bench/bridge_proc.py: the demo stack with the
   Graph sandbox, in its own process, seeded with one calendar of `--events` events), which
   records the initial sync and `--refreshes` no-change refreshes and exports the items.
2. Lays the same .ics texts out for stock Radicale (default settings), Radicale with
   `use_mtime_and_size_for_item_cache = true` and Xandikos, and starts each as a subprocess.
3. Records the bridge's answers and serves them from memory with waitress (the floor).
4. Runs the DAV client (bench/dav_client.py, its own process) against all of them: one
   untimed, checked warm-up round, then PROPFIND Depth 1, calendar-multiget of all hrefs and
   a no-change sync-collection, `--repeat` times each, servers alternating.
5. Prints medians and ratios and writes bench/results/serving.json.

Every server it starts listens on 127.0.0.1 and is stopped at the end, also on error and on
SIGTERM / SIGHUP (bench/on_term.py).
Must not be collected by pytest and must not change the code it measures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
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
import xandikos_side  # noqa: E402
from floor_server import FloorServer  # noqa: E402
from on_term import exit_on_term  # noqa: E402
from report import BASELINES, operation_results, render  # noqa: E402
from stock_radicale import IcsFile, StockRadicale, write_collection  # noqa: E402

from sandbox.remote import Remote  # noqa: E402

RADICALE_USER = "demo"
GRAPH_PREFIX = "/v1.0"  # Graph calls; "/" also counts the sandbox's token endpoint
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
        "--baselines",
        default=",".join(BASELINES),
        type=lambda v: [b for b in v.split(",") if b],
        help=f"comma-separated, any of {','.join(BASELINES)} (default all)",
    )
    p.add_argument(
        "--no-floor",
        action="store_true",
        help="skip the physical floor (the bridge's bodies replayed from memory)",
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
    """bench/dav_client.py in its own process (no GIL shared with any server)."""
    done = subprocess.run(
        [sys.executable, str(BENCH_DIR / "dav_client.py")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the DAV client failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _steady(samples: list[dict[str, Any]]) -> dict[str, Any]:
    n = max(1, len(samples))
    return {
        "calendars": len({s["collection"] for s in samples}),
        "refreshes": len(samples),
        "graph_requests_per_calendar": sum(s["graph_requests"] for s in samples) / n,
        "all_requests_per_calendar": sum(s["all_requests"] for s in samples) / n,
        "max_graph_requests": max((s["graph_requests"] for s in samples), default=0),
        "changed": sum(s["changed"] or 0 for s in samples),
        "meets_target": bool(samples) and all(s["graph_requests"] == 1 for s in samples),
        "samples": samples,
    }


def _initial(samples: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "seconds": sum(s["seconds"] for s in samples),
        "graph_requests": sum(s["graph_requests"] for s in samples),
        "changed": sum(s["changed"] or 0 for s in samples),
        "refreshes": samples,
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


class BridgeProcess:
    """bench/bridge_proc.py: the demo stack in a process of its own."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH_DIR / "bridge_proc.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(job) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait(timeout=60)
                raise RuntimeError(f"the bridge process exited with {self.proc.returncode}")
            self.ready: dict[str, Any] = json.loads(line)
        except BaseException:  # also SystemExit from SIGTERM during the initial sync
            self.abort()
            raise

    def abort(self) -> None:
        """SIGTERM: bridge_proc.py then stops its sandbox and demo on the way out."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def stop(self) -> dict[str, Any]:
        end: dict[str, Any] = {}
        if self.proc.poll() is None:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            try:
                self.proc.stdin.write("stop\n")
                self.proc.stdin.flush()
                line = self.proc.stdout.readline()
            except OSError:  # it is going already (a signal to the whole process group)
                line = ""
            end = json.loads(line) if line else {}
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.abort()
        return end


def _files(folder: Path) -> list[IcsFile]:
    return [
        IcsFile(p.name, p.read_text(encoding="utf-8"))
        for p in sorted(folder.iterdir())
        if p.is_file()
    ]


def benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    _say(f"starting the bridge process with {args.events} sandbox events (initial sync) …")
    export = workdir / "export"
    bridge = BridgeProcess(
        {
            "workdir": str(workdir / "demo"),
            "events": args.events,
            "refresh_interval": args.refresh_interval,
            "refreshes": args.refreshes,
            "export": str(export),
        }
    )
    servers: list[Any] = []
    peak: dict[str, int | None] = {}
    try:
        ready = bridge.ready
        items, name, display = ready["items"], ready["calendar"], ready["display_name"]
        sandbox = Remote(ready["sandbox"]["control_url"], ready["sandbox"]["ca_file"])
        files = _files(export)
        targets = [
            {
                "name": "bridge",
                "collection_url": ready["collection_url"],
                "username": ready["username"],
                "password": ready["password"],
            }
        ]
        baselines: dict[str, Any] = {}
        if "radicale" in args.baselines:
            write_collection(
                workdir / "radicale" / "collections", RADICALE_USER, name, files, display
            )
            baselines["radicale"] = StockRadicale(workdir / "radicale")
        if "radicale-tuned" in args.baselines:
            write_collection(
                workdir / "radicale-tuned" / "collections", RADICALE_USER, name, files, display
            )
            baselines["radicale-tuned"] = StockRadicale(workdir / "radicale-tuned", tuned=True)
        if "xandikos" in args.baselines:
            (workdir / "xandikos").mkdir()
            xandikos_side.write_collection(workdir / "xandikos" / "root", files, display)
            baselines["xandikos"] = xandikos_side.Xandikos(workdir / "xandikos" / "root")
        del files
        _say(f"{items} items exported; starting {', '.join(baselines) or 'no baselines'} …")
        for key, server in baselines.items():
            servers.append(server)  # first: stopped even when a signal cuts its start short
            server.start()
            url = (
                server.collection_url
                if key == "xandikos"
                else f"{server.url}{RADICALE_USER}/{name}/"
            )
            targets.append(
                {"name": key, "collection_url": url, "username": RADICALE_USER, "password": "x"}
            )
        if not args.no_floor:
            run_client({"capture": targets[0], "dir": str(workdir / "floor")})
            floor = FloorServer(workdir / "floor")
            servers.append(floor)
            targets.append(
                {
                    "name": "floor",
                    "collection_url": floor.url + ready["collection_url"].split("/", 3)[3],
                    "username": "x",
                    "password": "x",
                }
            )
        graph0, all0 = sandbox.request_count(GRAPH_PREFIX), sandbox.request_count("/")
        _say(f"timing DAV operations ({args.repeat} runs each, after a warm-up round) …")
        client = run_client({"repeat": args.repeat, "targets": targets})
        request_path_graph = sandbox.request_count(GRAPH_PREFIX) - graph0
        request_path_all = sandbox.request_count("/") - all0
        for key, server in zip([*baselines, "floor"], servers, strict=False):
            peak[key] = server.peak_rss_kib()
    finally:
        for server in servers:
            server.stop()
        end = bridge.stop()
    return {
        "events": args.events,
        "items": items,
        "repeat": args.repeat,
        "calendar": display,
        "start_seconds": ready["start_seconds"],
        "initial_sync": _initial(ready["initial_sync"]),
        "steady_state": _steady(ready["steady"]),
        "request_path_provider_requests": request_path_all,
        "request_path_graph_requests": request_path_graph,
        "operations": [r.as_json() for r in operation_results(client["timings"])],
        "timings": client["timings"],
        "checked": client["checked"],
        "problems": _checks(client, items),
        "warm_seconds": client["warm_seconds"],
        "rss": {
            "peak_kib": {"bridge": end.get("peak_kib"), **peak},
            "bridge_peak_after_start_kib": ready["peak_after_start_kib"],
            "bridge_rss_end_kib": end.get("rss_kib"),
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
    exit_on_term()  # SIGTERM stops every server started below, then exits
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
