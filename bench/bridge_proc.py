"""The bridge of the serving benchmark in a process of its own (the benchmark's other
servers, its client and the Graph sandbox each run in theirs).

Run by bench/serving.py: `python bench/bridge_proc.py` with a JSON job on stdin's first line
({"workdir", "events", "refresh_interval", "refreshes", "export"}). It starts the demo stack
(bench/bridge_side.BridgeUnderTest: the bridge in this process, the Graph sandbox in its own),
measures the initial sync and `refreshes` no-change refreshes per calendar, writes the largest
calendar's items as .ics files into `export`, prints one JSON line (what the benchmark needs),
then only serves until stdin says "stop" (or closes); it answers with its peak and current RSS
and stops everything it started. Must not change how the bridge syncs or serves.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR.parent) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR.parent))

from bridge_side import BridgeUnderTest  # noqa: E402
from on_term import exit_on_term  # noqa: E402
from stock_radicale import proc_status_kib  # noqa: E402

from bridge.entry.allocator import tune  # noqa: E402


def main() -> int:
    exit_on_term()  # SIGTERM stops the demo and its sandbox process on the way out
    tune()  # the allocator settings `davbridge` itself applies before any thread starts
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    job = json.loads(sys.stdin.readline())
    export = Path(job["export"])
    export.mkdir(parents=True, exist_ok=True)
    with BridgeUnderTest(Path(job["workdir"]), job["events"], job["refresh_interval"]) as under:
        started = under.start()
        hwm_after_start = proc_status_kib("self", "VmHWM")
        coll = under.largest_calendar()
        records = under.bridge.store.items(coll.id)
        steady = under.steady_refreshes(job["refreshes"])
        for r in records:
            with open(export / r.href, "w", encoding="utf-8", newline="") as fh:
                fh.write(r.text)
        under.settle()
        graph = under.demo.sandboxes.infos.graph
        assert under.info is not None and graph is not None
        ready = {
            "items": len(records),
            "calendar": coll.name,
            "display_name": coll.display_name,
            "collection_url": under.collection_url(coll),
            "username": under.info.username,
            "password": under.info.password,
            "start_seconds": started.start_seconds,
            "initial_sync": [vars(s) for s in started.initial_sync],
            "steady": [vars(s) for s in steady],
            "peak_after_start_kib": hwm_after_start,
            "sandbox": {"control_url": graph.control_url, "ca_file": graph.ca_file},
        }
        del records
        print(json.dumps(ready), flush=True)
        for line in sys.stdin:  # serve until told to stop
            if line.strip() == "stop":
                break
        end = {
            "peak_kib": proc_status_kib("self", "VmHWM"),
            "rss_kib": proc_status_kib("self", "VmRSS"),
        }
        print(json.dumps(end), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
