"""Stock Radicale 3.9 for the serving benchmark: the same .ics files in its own file storage.

Writes the items' text as one .ics file per resource into a fresh multifilesystem
collection folder (`collection-root/<user>/<calendar>/` with `.Radicale.props`), then runs
`python -m radicale` as a subprocess on 127.0.0.1 with a private config (auth none, stock
multifilesystem storage, builtin server), and stops it again. Radicale's multifilesystem
layout and options: Radicale documentation, "Documentation / Configuration / storage".
Must not import the bridge: the stock server has to stay stock.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import requests


@dataclass(frozen=True)
class IcsFile:
    """One resource to serve: its name in the collection and its iCalendar text."""

    href: str
    text: str


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def write_collection(
    root: Path, user: str, calendar: str, files: Iterable[IcsFile], display_name: str
) -> int:
    """Lay out one calendar in Radicale's multifilesystem format; returns the file count."""
    folder = root / "collection-root" / user / calendar
    folder.mkdir(parents=True, exist_ok=True)
    props = {"tag": "VCALENDAR", "D:displayname": display_name}
    (folder / ".Radicale.props").write_text(json.dumps(props), encoding="utf-8")
    count = 0
    for item in files:
        # Radicale reads items as UTF-8 text; newline="" keeps the CRLF line ends as stored.
        with open(folder / item.href, "w", encoding="utf-8", newline="") as fh:
            fh.write(item.text)
        count += 1
    return count


def _config_text(storage: Path, host: str, port: int, tuned: bool = False) -> str:
    # tuned: Radicale's own switch for large collections (storage option
    # `use_mtime_and_size_for_item_cache`: validate the item cache by mtime and size instead
    # of reading and hashing every file on each request)
    extra = "use_mtime_and_size_for_item_cache = true\n" if tuned else ""
    return f"""[server]
hosts = {host}:{port}
max_connections = 8

[auth]
type = none

[rights]
type = owner_only

[storage]
type = multifilesystem
filesystem_folder = {storage}
{extra}
[web]
type = none

[logging]
level = warning
"""


class StockRadicale:
    """A stock Radicale subprocess serving `storage`; use as a context manager."""

    def __init__(self, workdir: Path, host: str = "127.0.0.1", tuned: bool = False) -> None:
        self.workdir = workdir
        self.tuned = tuned
        self.storage = workdir / "collections"
        self.host = host
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = workdir / "radicale.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self, timeout_s: float = 30.0) -> StockRadicale:
        self.port = free_port(self.host)
        config = self.workdir / "radicale.conf"
        config.write_text(
            _config_text(self.storage, self.host, self.port, self.tuned), encoding="utf-8"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("RADICALE")}
        with open(self._log, "wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.workdir,
                env=env,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"radicale exited with {self._proc.returncode}: "
                    f"{self._log.read_text(errors='replace')[-2000:]}"
                )
            try:
                requests.request("OPTIONS", self.url, timeout=2)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"radicale did not listen on {self.url} within {timeout_s:.0f}s")

    def peak_rss_kib(self) -> int | None:
        """VmHWM of the Radicale process (None once it is gone)."""
        return proc_status_kib(self.pid, "VmHWM") if self.pid else None

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> StockRadicale:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def proc_status_kib(pid: int | str, field: str) -> int | None:
    """A `kB` field (VmHWM, VmRSS …) of /proc/<pid>/status, in KiB; None if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None
