"""CPU per DAV request of two versions of the bridge, side by side (not a test): a figure that
a loaded shared machine distorts far less than wall-clock time.

Run from the repository root:
    mkdir /tmp/davbridge-base && git archive main | tar -x -C /tmp/davbridge-base  # or another commit
    python bench/cpu_ab.py /tmp/davbridge-base [--events 2000] [--repeat 20]

Starts bench/bridge_proc.py of this checkout ("work") and of the other one ("base"), each in
a process of its own with its own Graph sandbox and `--events` events (both run on this
checkout's virtualenv), then sends PROPFIND Depth 1, a calendar-multiget of every href and a
no-change sync-collection (bench/dav_client.py's requests, gzip accepted) `--repeat` times,
alternating between the two. Per request it reads the bridge process's user+system CPU time
from /proc before and after (the process only serves meanwhile: refresh interval one hour),
and prints the mean CPU per request and the median and fastest wall time per version.
/proc's CPU time counts in clock ticks (10 ms): the mean over `--repeat` requests is what
is meaningful. Every process it starts is stopped at the end, also on error or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from dav_client import Target, warm_and_check  # noqa: E402
from on_term import exit_on_term  # noqa: E402

OPERATIONS = ("propfind", "multiget", "sync")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def start(root: Path, workdir: Path, events: int) -> tuple[subprocess.Popen[str], Target]:
    proc = subprocess.Popen(
        [sys.executable, str(root / "bench" / "bridge_proc.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
    )
    assert proc.stdin is not None and proc.stdout is not None
    job = {"workdir": str(workdir / "demo"), "events": events, "refresh_interval": 3600}
    proc.stdin.write(json.dumps({**job, "refreshes": 0, "export": str(workdir / "x")}) + "\n")
    proc.stdin.flush()
    ready: dict[str, Any] = json.loads(proc.stdout.readline() or "null")
    if not ready:
        raise RuntimeError(f"the bridge of {root} did not start")
    target = Target(root.name, ready["collection_url"], ready["username"], ready["password"])
    warm_and_check(target)
    return proc, target


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()  # bridge_proc.py stops its demo and sandbox on SIGTERM
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", type=Path, help="the other checkout (e.g. a git archive)")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    exit_on_term()
    roots = {"base": args.base.resolve(), "work": BENCH_DIR.parent}
    procs: dict[str, subprocess.Popen[str]] = {}
    targets: dict[str, Target] = {}
    cpu: dict[tuple[str, str], list[float]] = {(k, o): [] for k in roots for o in OPERATIONS}
    wall: dict[tuple[str, str], list[float]] = {(k, o): [] for k in roots for o in OPERATIONS}
    with tempfile.TemporaryDirectory(prefix="davbridge-cpu-ab-") as tmp:
        try:
            for name, root in roots.items():
                (Path(tmp) / name).mkdir()
                procs[name], targets[name] = start(root, Path(tmp) / name, args.events)
            for _ in range(args.repeat):
                for op in OPERATIONS:
                    for name, target in targets.items():
                        method, body, depth = target.body_for(op)
                        pid = procs[name].pid
                        before, began = cpu_seconds(pid), time.perf_counter()
                        target.request(method, body, depth).content  # noqa: B018 - read it all
                        wall[name, op].append(time.perf_counter() - began)
                        time.sleep(0.02)  # the answer's last work (closing, trimming) counted
                        cpu[name, op].append(cpu_seconds(pid) - before)
        finally:
            for proc in procs.values():
                stop(proc)
    print(f"bridge CPU per request, {args.events} events, {args.repeat} requests each (ms)")
    for op in OPERATIONS:
        cells = [
            f"{name}: cpu {1000 * statistics.mean(cpu[name, op]):6.1f}  wall median "
            f"{1000 * statistics.median(wall[name, op]):6.1f} fastest "
            f"{1000 * min(wall[name, op]):6.1f}"
            for name in roots
        ]
        print(f"{op:9} " + "   ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
