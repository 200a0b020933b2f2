"""More bridge processes on one PostgreSQL store (issue 17): `davbridge demo --store
postgresql://… --workers N` runs N-1 `davbridge serve` processes beside the demo's own
bridge, each on its own DAV port, all on the demo's database, key and sandboxes.

A worker gets the demo's configuration file (store, key, contacts) and the rest of its
settings — the sandboxes' authorities and client secrets — as `DAVBRIDGE_<SECTION>_<OPTION>`
environment variables of its own process, never written to disk. Workers are killed (tests:
kill -9 mid-pull) and restarted (a rolling restart) through `Workers`.
A composition root: may import everything.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bridge.entry.http_drain import grace_s
from bridge.errors import BridgeError
from bridge.settings import Settings, load


def settings_env(settings: Settings) -> dict[str, str]:
    """Every option that differs from the default, as the environment overrides `load` reads."""
    env: dict[str, str] = {}
    default = Settings()
    for section in dataclasses.fields(Settings):
        current, base = getattr(settings, section.name), getattr(default, section.name)
        for opt in dataclasses.fields(current):
            value = getattr(current, opt.name)
            if value != getattr(base, opt.name):
                text = ("true" if value else "false") if isinstance(value, bool) else str(value)
                env[f"DAVBRIDGE_{section.name}_{opt.name}".upper()] = text
    return env


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def davbridge_command() -> list[str]:
    """`davbridge` of this installation (next to this interpreter), else the module."""
    beside = Path(sys.executable).parent / "davbridge"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "bridge.entry.cli"]


class Workers:
    """The extra `davbridge serve` processes of a demo."""

    def __init__(self, settings: Settings, config: Path, host: str, log_dir: Path) -> None:
        self.settings = settings
        self.config = config
        self.host = host
        self.log_dir = log_dir
        self.ports: list[int] = []
        self.procs: list[subprocess.Popen[bytes] | None] = []
        self.patience: list[float] = []  # how long a graceful stop of each may take

    @property
    def urls(self) -> list[str]:
        return [f"http://{self.host}:{port}/" for port in self.ports]

    def start(self, count: int) -> list[str]:
        for _ in range(count):
            self.ports.append(free_port(self.host))
            self.procs.append(None)
            self.patience.append(0.0)
            self.restart(len(self.ports) - 1)
        return self.urls

    def restart(self, index: int, graceful: bool = True) -> None:
        """(Re)start worker `index` on its port and wait until it answers /health."""
        if self.procs[index] is not None:
            self.stop_one(index, graceful)
        env = {
            **os.environ,
            **settings_env(self.settings),
            "DAVBRIDGE_SERVER_HOST": self.host,
            "DAVBRIDGE_SERVER_PORT": str(self.ports[index]),
            "DAVBRIDGE_PORTAL_HOST": self.host,
            "DAVBRIDGE_PORTAL_PORT": "0",
            "DAVBRIDGE_CONFIG": str(self.config),
        }
        # the worker's own settings (its environment may change budgets): a graceful stop
        # finishes the requests in flight first, at most as long as one may take
        server = load(self.config, env).server
        self.patience[index] = grace_s(server.write_budget_seconds, server.lock_timeout_seconds)
        with open(self.log_dir / f"worker-{index + 2}.log", "ab") as log:
            self.procs[index] = subprocess.Popen(
                [*davbridge_command(), "serve"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_healthy(index)

    def _wait_healthy(self, index: int, timeout_s: float = 60.0) -> None:
        url = self.urls[index] + "health"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            proc = self.procs[index]
            if proc is not None and proc.poll() is not None:
                raise BridgeError(
                    f"bridge worker {index + 2} exited with {proc.returncode}; see "
                    f"{self.log_dir / f'worker-{index + 2}.log'}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - http://host:port we built
                    return
            except OSError:
                time.sleep(0.1)
        raise BridgeError(f"bridge worker {index + 2} did not answer {url} in {timeout_s:g} s")

    def pid(self, index: int) -> int | None:
        proc = self.procs[index]
        return None if proc is None else proc.pid

    def kill(self, index: int) -> None:
        """kill -9: no lease released, no transaction finished."""
        proc = self.procs[index]
        if proc is not None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            self.procs[index] = None

    def stop_one(self, index: int, graceful: bool = True) -> None:
        proc = self.procs[index]
        if proc is None:
            return
        proc.send_signal(signal.SIGTERM if graceful else signal.SIGKILL)
        try:
            proc.wait(self.patience[index] + 15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        self.procs[index] = None

    def stop(self) -> None:
        for index in range(len(self.procs)):
            self.stop_one(index)
