"""The davbridge side of the serving benchmark: the demo stack (Graph sandbox + bridge) in
this process, its initial sync and steady-state refreshes measured, its mirror exported.

`BridgeUnderTest` starts `bridge.demo.Demo` on a fresh data dir with a bulk sandbox
calendar, records every `SyncEngine.refresh` the start performs (the initial sync),
counts sandbox requests through the sandbox's own request log (over its control API, so counting
costs no request), and stops everything it started. It only observes the bridge: it must
not change how the bridge syncs or serves.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.demo import Demo, DemoInfo
from bridge.model import CollectionKind, CollectionRecord, ProviderKind
from bridge.sync.engine import PullOutcome, SyncEngine
from sandbox.remote import Remote

GRAPH_PREFIX = "/v1.0"  # Graph calls; "/" also counts the sandbox's token endpoint


@dataclass(frozen=True)
class RefreshSample:
    """One `engine.refresh(collection)` as the benchmark saw it."""

    collection: str
    seconds: float  # wall time of the call
    graph_requests: int  # sandbox Graph requests logged during the call
    all_requests: int  # every sandbox request logged (token endpoint included)
    engine_requests: int | None  # what the engine itself reported (PullOutcome.requests)
    changed: int | None
    reset: bool | None


@dataclass(frozen=True)
class StartReport:
    start_seconds: float  # Demo.start(): sandbox seeding, bridge, OAuth consent, initial sync
    initial_sync: tuple[RefreshSample, ...]  # the refreshes Demo.start() performed


class BridgeUnderTest:
    """The in-process demo stack, measured; use as a context manager."""

    def __init__(self, data_dir: Path, events: int, refresh_interval_s: float) -> None:
        self.demo = Demo(
            data_dir,
            host="127.0.0.1",
            port=0,
            refresh_interval_s=refresh_interval_s,
            bulk_events=events,
            background=False,
            providers=(ProviderKind.GRAPH,),
        )
        self.info: DemoInfo | None = None

    # -- sandbox request log (the sandbox runs in its own process: its control API) ------
    def _sandbox(self) -> Remote | None:
        graph = self.demo.sandboxes.infos.graph
        return Remote.of(graph) if graph is not None else None

    def request_count(self, prefix: str = GRAPH_PREFIX) -> int:
        sandbox = self._sandbox()
        return sandbox.request_count(prefix) if sandbox is not None else 0

    def settle(self) -> None:
        """Have the sandbox write its pending state now (its 1 s autosave would otherwise
        compete with the server under test for the CPU)."""
        sandbox = self._sandbox()
        if sandbox is not None:
            sandbox.save()
        time.sleep(1.2)

    @contextmanager
    def _recording_refreshes(self, into: list[RefreshSample]) -> Iterator[None]:
        original: Callable[..., PullOutcome | None] = SyncEngine.refresh
        bench = self

        def recorded(engine: SyncEngine, collection_id: int) -> PullOutcome | None:
            return bench._measure(
                lambda: original(engine, collection_id),
                engine.store.collection(collection_id),
                into,
            )

        setattr(SyncEngine, "refresh", recorded)  # noqa: B010 - observe, do not type-check
        try:
            yield
        finally:
            setattr(SyncEngine, "refresh", original)  # noqa: B010

    def _measure(
        self,
        call: Callable[[], PullOutcome | None],
        coll: CollectionRecord,
        into: list[RefreshSample],
    ) -> PullOutcome | None:
        graph0, all0 = self.request_count(), self.request_count("/")
        began = time.perf_counter()
        outcome = call()
        seconds = time.perf_counter() - began
        into.append(
            RefreshSample(
                collection=coll.display_name,
                seconds=seconds,
                graph_requests=self.request_count() - graph0,
                all_requests=self.request_count("/") - all0,
                engine_requests=outcome.requests if outcome else None,
                changed=outcome.changed if outcome else None,
                reset=outcome.reset if outcome else None,
            )
        )
        return outcome

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> StartReport:
        samples: list[RefreshSample] = []
        began = time.perf_counter()
        with self._recording_refreshes(samples):
            self.info = self.demo.start()
        return StartReport(time.perf_counter() - began, tuple(samples))

    def stop(self) -> None:
        self.demo.stop()

    def __enter__(self) -> BridgeUnderTest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the benchmark reads -----------------------------------------------------------
    @property
    def bridge(self) -> Any:
        if self.demo.bridge is None:
            raise RuntimeError("the demo is not started")
        return self.demo.bridge

    def calendars(self) -> list[CollectionRecord]:
        return [c for c in self.bridge.store.collections() if c.kind is CollectionKind.CALENDAR]

    def largest_calendar(self) -> CollectionRecord:
        return max(self.calendars(), key=lambda c: len(self.bridge.store.items(c.id)))

    def steady_refreshes(self, rounds: int) -> list[RefreshSample]:
        """Refresh every calendar `rounds` times with nothing changed at the provider."""
        samples: list[RefreshSample] = []
        engine: SyncEngine = self.bridge.engine
        for _ in range(rounds):
            for coll in self.calendars():
                self._measure(functools.partial(engine.refresh, coll.id), coll, samples)
        return samples

    def collection_url(self, coll: CollectionRecord) -> str:
        assert self.info is not None
        return f"{self.info.dav_url}{self.info.username}/{coll.name}/"
