"""The provider sandboxes of `davbridge demo`, in a process of their own.

`python -m sandbox.demo_host --data-dir D --providers graph,google,ews [--bulk-events N]
[--bulk-calendar N]`
starts the chosen emulators with their state under D (`sandbox/`, `sandbox-google/`,
`sandbox-ews/`) on the ports they had last time (D/demo.json), prints ONE line of JSON on stdout
— `{"graph": SandboxInfo, "google": GoogleSandboxInfo, "ews": EwsSandboxInfo}` (only those
started) — and serves until its standard input closes, which is how the parent says "stop"
and also what happens when the parent dies in any way (kill -9 included): no orphans. SIGTERM
stops it too; SIGINT is left to the parent (a Ctrl+C in the terminal reaches the whole process
group, and the parent stops the sandboxes after the bridge). Every stop saves the state.

Only one host runs per data dir at a time: it holds an exclusive lock on D/sandboxes.lock, and
a new host waits (up to LOCK_WAIT_S) for a previous one to finish saving and free its ports, so
a restarted demo gets the same ports and the bridge's connections stay valid.

This module wires processes and files; it must not contain emulator behaviour.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from sandbox.core.emulator import Emulator

log = logging.getLogger("sandbox.demo_host")

LOCK_WAIT_S = 30.0
PORTS_FILE = "demo.json"


def _factories() -> dict[str, tuple[Callable[..., Emulator[Any]], str, str]]:
    """provider -> (emulator class, state sub-directory, key of its port in demo.json)."""
    from sandbox.ews.server import EwsSandbox
    from sandbox.google.server import GoogleSandbox
    from sandbox.server import Sandbox

    return {
        "graph": (Sandbox, "sandbox", "graph_port"),
        "google": (GoogleSandbox, "sandbox-google", "google_port"),
        "ews": (EwsSandbox, "sandbox-ews", "ews_port"),
    }


@contextlib.contextmanager
def exclusive(data_dir: Path, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold D/sandboxes.lock; wait for a previous host of the same data dir to let it go."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / "sandboxes.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"another sandbox host still runs on {data_dir}") from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # releases the lock


def saved_ports(data_dir: Path) -> dict[str, int]:
    path = data_dir / PORTS_FILE
    state = json.loads(path.read_text()) if path.exists() else {}
    if "sandbox_port" in state:  # the foundation's single-sandbox state file
        state.setdefault("graph_port", state["sandbox_port"])
    return {k: int(v) for k, v in state.items() if k.endswith("_port")}


class DemoHost:
    """The chosen emulators, started and stopped together."""

    def __init__(
        self, data_dir: Path, providers: list[str], bulk_events: int = 0, bulk_calendar: int = 0
    ) -> None:
        """`bulk_events`: each sandbox holds only one calendar of N events (benchmarks);
        `bulk_calendar`: each adds a "Bulk" calendar of N events beside its demo data."""
        self.data_dir = data_dir
        self.providers = providers
        self.bulk_events = bulk_events
        self.bulk_calendar = bulk_calendar
        self.running: dict[str, Emulator[Any]] = {}

    def start(self) -> dict[str, Any]:
        factories = _factories()
        ports = saved_ports(self.data_dir)
        infos: dict[str, Any] = {}
        for name in self.providers:
            factory, sub, port_key = factories[name]
            emulator = factory(
                self.data_dir / sub,
                port=ports.get(port_key, 0),
                bulk_events=self.bulk_events,
                bulk_calendar=self.bulk_calendar,
            )
            info = emulator.start()
            self.running[name] = emulator
            infos[name] = info.to_json()
            ports[port_key] = emulator.bound_port
        (self.data_dir / PORTS_FILE).write_text(json.dumps(ports))
        return infos

    def stop(self) -> None:
        for name, emulator in reversed(list(self.running.items())):
            try:
                emulator.stop()
            except Exception:  # noqa: BLE001 - stop (and save) the others regardless
                log.exception("stopping the %s sandbox failed", name)
        self.running.clear()


def _stop_on_eof(stdin: TextIO, done: threading.Event) -> None:
    """The parent holds the other end of our stdin: EOF means it said stop, or died."""
    with contextlib.suppress(OSError, ValueError):
        while stdin.readline():
            pass
    done.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.demo_host", description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--providers", default="graph,google,ews")
    parser.add_argument("--bulk-events", type=int, default=0)
    parser.add_argument("--bulk-calendar", type=int, default=0)
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=_stop_on_eof, args=(sys.stdin, done), daemon=True).start()
    providers = [p for p in args.providers.split(",") if p]
    with exclusive(args.data_dir):
        host = DemoHost(args.data_dir, providers, args.bulk_events, args.bulk_calendar)
        try:
            infos = host.start()
            sys.stdout.write(json.dumps(infos) + "\n")
            sys.stdout.flush()
            os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # the parent reads one line only
            done.wait()
        finally:
            host.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
