"""The lifecycle every emulator shares (Graph, Google, EWS): resume the saved state or seed a
fresh one, bind the port it had last time (else any free one), describe itself (its Info),
serve, save once a tick while something changed, and save again on stop.

A subclass says what is specific to it: how state is restored from and turned into JSON
(`restore`, `snapshot`), its Info, how it serves (`make_host`: an AppHost or a ThreadedHost),
and how it counts the requests it served. With no state dir the state lives in memory only and
the TLS material in a temporary directory. This module must not know what is emulated.
"""

from __future__ import annotations

import tempfile
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from sandbox.core.host import Host, bind
from sandbox.core.persistence import StateFile
from sandbox.core.tls import TlsFiles, ensure_tls, server_context

AUTOSAVE_SHARE = 10.0  # the pause after an autosave, in multiples of its duration


class Info(Protocol):
    def to_json(self) -> dict[str, Any]: ...


InfoT = TypeVar("InfoT", bound=Info)


class Emulator(ABC, Generic[InfoT]):
    """One emulated provider on 127.0.0.1 (or `host`), startable and stoppable."""

    label: ClassVar[str]  # "graph-sandbox": thread and temporary-directory names
    state_file: ClassVar[StateFile]
    tls: ClassVar[bool] = True  # https with the sandbox CA (sandbox.core.tls); else plain http
    tick_seconds: ClassVar[float] = 1.0  # autosave period: bounds what kill -9 can lose

    def __init__(
        self,
        state_dir: Path | None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: bool = True,
        bulk_events: int = 0,
        bulk_calendar: int = 0,
    ) -> None:
        """`bulk_events`: the account is one calendar of N events (benchmarks);
        `bulk_calendar`: a "Bulk" calendar of N events is added beside the seed (demo)."""
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.host, self.port = host, port
        self.seed, self.bulk_events = seed, bulk_events
        self.bulk_calendar = bulk_calendar
        self.bound_port = 0
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._server: Host | None = None
        self._info: InfoT | None = None
        self._save_lock = threading.Lock()
        self._next_autosave = 0.0

    # ---- what a subclass provides --------------------------------------------------------
    @abstractmethod
    def restore(self, saved: dict[str, Any] | None) -> int:
        """Take up the saved state (None: seed a fresh one); the port it was saved with (0)."""

    @abstractmethod
    def snapshot(self, only_if_changed: bool) -> dict[str, Any] | None:
        """The state as JSON data; None when `only_if_changed` and nothing changed."""

    @abstractmethod
    def describe(self, base_url: str, tls: TlsFiles | None) -> InfoT:
        """The Info of the emulator serving at `base_url`."""

    @abstractmethod
    def make_host(self) -> Host:
        """A new host serving this emulator's requests."""

    @abstractmethod
    def request_count(self, prefix: str = "") -> int:
        """Requests of the emulated API served so far (those whose path, or EWS operation,
        starts with `prefix`); the control API is never counted."""

    def saved_state(self) -> dict[str, Any] | None:
        """What the state file holds (None: nothing saved, or no state dir)."""
        return self.state_file.load(self.state_dir) if self.state_dir is not None else None

    # ---- lifecycle -----------------------------------------------------------------------
    @property
    def info(self) -> InfoT:
        if self._info is None:
            raise RuntimeError(f"{self.label} not started")
        return self._info

    def start(self) -> InfoT:
        if self.state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=f"{self.label}-")
        files = ensure_tls(self.tls_dir) if self.tls else None
        saved_port = self.restore(self.saved_state())
        sock = bind(self.host, self.port, saved_port)
        self.bound_port = sock.getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if files is not None else "http"
        self._info = self.describe(f"{scheme}://{host}:{self.bound_port}", files)
        self._server = self.make_host()
        self._server.start(sock, server_context(files) if files else None, self._autosave)
        self.save()  # a fresh state's ids are durable before anyone sees them
        return self._info

    @property
    def tls_dir(self) -> Path:
        if self.state_dir is not None:
            return self.state_dir
        assert self._tmp is not None
        return Path(self._tmp.name)

    def _autosave(self) -> None:
        """Save what changed, taking at most about a tenth of the serving thread: a state
        whose save takes 2 s (100,000 events) is saved at most every 20 s, not every tick,
        which made paging through a bulk calendar crawl (each page changes the state)."""
        now = time.monotonic()
        if now < self._next_autosave:
            return
        self.save(only_if_changed=True)
        self._next_autosave = time.monotonic() + AUTOSAVE_SHARE * (time.monotonic() - now)

    def save(self, only_if_changed: bool = False) -> None:
        """Persist the state now (atomic, fsync'ed); with `only_if_changed`, only when
        something changed since the last save. Nothing without a state dir."""
        if self.state_dir is None:
            return
        with self._save_lock:
            data = self.snapshot(only_if_changed)
            if data is not None:
                self.state_file.save(self.state_dir, data)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.save()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Emulator[InfoT]:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
