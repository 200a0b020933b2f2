"""A/B of the first sync's two paths (issue 14, point 1): the streamed one (pages stored while
the next is fetched, bridge/sync/stream.py) and the all-at-once one (the provider's whole `pull`,
then one `apply_pull`), alternating on the same bulk calendar in one process, with the sandbox in
its own. Prints wall and CPU time (`time.process_time`) of each run and the medians.

The all-at-once path is chosen by hiding the providers' paged pull from the engine
(`bridge.sync.engine.PagedPull` replaced by a protocol nothing implements) — the code measured
is otherwise unchanged. Not a test.
Usage: python bench/first_sync_ab.py [--provider graph] [--events 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Protocol, runtime_checkable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bridge.providers.base as base  # noqa: E402
import bridge.sync.engine as engine_module  # noqa: E402
from bridge.entry.demo import Demo  # noqa: E402
from bridge.model import ProviderKind  # noqa: E402


@runtime_checkable
class _Nobody(Protocol):
    def not_implemented_by_any_provider(self) -> None: ...


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--provider", default="graph", choices=["graph", "google", "ews"])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="davbridge-ab-") as tmp:
        demo = Demo(
            Path(tmp),
            port=0,
            refresh_interval_s=3600,
            bulk_events=args.events,
            background=False,
            providers=(ProviderKind(args.provider),),
        )
        demo.start()
        try:
            assert demo.bridge is not None
            store, engine = demo.bridge.store, demo.bridge.engine
            bulk = max(store.collections(), key=lambda c: len(store.item_texts(c.id)))
            runs: dict[str, list[tuple[float, float]]] = {"all-at-once": [], "streamed": []}
            for _ in range(args.rounds):
                for mode in runs:
                    streamed = mode == "streamed"
                    engine_module.PagedPull = base.PagedPull if streamed else _Nobody  # type: ignore[misc]
                    store.apply_pull(bulk.id, [], [], None, True, 0.0)  # empty, no cursor
                    wall, cpu = time.perf_counter(), time.process_time()
                    outcome = engine.refresh(bulk.id)
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                    assert outcome is not None and outcome.reset, "the first sync did not run"
                    runs[mode].append((wall, cpu))
                    print(f"{mode:12} {wall:7.2f} s wall {cpu:6.2f} s CPU", flush=True)
            for mode, values in runs.items():
                wall = statistics.median(w for w, _ in values)
                cpu = statistics.median(c for _, c in values)
                print(f"median {mode:12} {wall:7.2f} s wall {cpu:6.2f} s CPU")
        finally:
            engine_module.PagedPull = base.PagedPull  # type: ignore[misc]
            demo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
