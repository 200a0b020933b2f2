"""Turning the serving benchmark's measurements into verdicts, a printed table and JSON.

Pure functions over plain data: no I/O besides returning strings, no servers.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

TARGET_SPEEDUP = 5.0
OPERATION_TITLES = {
    "propfind": "PROPFIND Depth 1 (getetag, getcontenttype)",
    "multiget": "REPORT calendar-multiget, all hrefs",
    "sync": "REPORT sync-collection, no change",
}


@dataclass(frozen=True)
class OperationResult:
    operation: str
    bridge_median_s: float
    bridge_min_s: float
    radicale_median_s: float
    radicale_min_s: float
    bridge_bytes: int
    radicale_bytes: int

    @property
    def speedup(self) -> float:
        """radicale / bridge, on medians (higher is better for the bridge)."""
        return self.radicale_median_s / self.bridge_median_s if self.bridge_median_s else 0.0

    @property
    def speedup_min(self) -> float:
        return self.radicale_min_s / self.bridge_min_s if self.bridge_min_s else 0.0

    @property
    def meets_target(self) -> bool:
        return self.speedup >= TARGET_SPEEDUP

    def as_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "bridge_median_s": self.bridge_median_s,
            "bridge_min_s": self.bridge_min_s,
            "radicale_median_s": self.radicale_median_s,
            "radicale_min_s": self.radicale_min_s,
            "bridge_bytes": self.bridge_bytes,
            "radicale_bytes": self.radicale_bytes,
            "speedup_median": self.speedup,
            "speedup_min": self.speedup_min,
            "target": TARGET_SPEEDUP,
            "meets_target": self.meets_target,
        }


def operation_results(timings: dict[str, dict[str, dict[str, Any]]]) -> list[OperationResult]:
    """From the DAV client's `timings` ({target: {operation: {seconds, response_bytes}}})."""
    bridge, radicale = timings["bridge"], timings["radicale"]
    results = []
    for op in OPERATION_TITLES:
        b, r = bridge[op], radicale[op]
        results.append(
            OperationResult(
                op,
                statistics.median(b["seconds"]),
                min(b["seconds"]),
                statistics.median(r["seconds"]),
                min(r["seconds"]),
                int(b["response_bytes"]),
                int(r["response_bytes"]),
            )
        )
    return results


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f}"


def _mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.0f} MiB"


def ok(flag: bool) -> str:
    return "OK" if flag else "MISSED"


def render(summary: dict[str, Any], results: Sequence[OperationResult]) -> str:
    """The human-readable report printed at the end of a run."""
    s = summary
    lines = [
        "",
        f"davbridge serving benchmark — {s['items']} items in one calendar, "
        f"{s['repeat']} timed runs per operation (warm), times in ms",
        "",
        f"{'operation':44} {'bridge med':>10} {'min':>9} {'radicale med':>12} {'min':>9} "
        f"{'ratio':>7}  target ≥{TARGET_SPEEDUP:.0f}×",
    ]
    for r in results:
        lines.append(
            f"{OPERATION_TITLES[r.operation]:44} {_ms(r.bridge_median_s):>10} "
            f"{_ms(r.bridge_min_s)} {_ms(r.radicale_median_s):>12} "
            f"{_ms(r.radicale_min_s)} {r.speedup:6.1f}×  {ok(r.meets_target)}"
        )
    init = s["initial_sync"]
    steady = s["steady_state"]
    lines += [
        "",
        f"initial sync (engine.refresh of the empty mirror): {init['seconds']:.1f} s, "
        f"{init['graph_requests']} Graph requests, {init['changed']} items "
        f"(Demo.start() in all, incl. sandbox seeding and OAuth consent: "
        f"{s['start_seconds']:.1f} s)",
        f"steady-state refresh, nothing changed: {steady['graph_requests_per_calendar']:.2f} "
        f"Graph requests per calendar per refresh over {steady['refreshes']} refreshes of "
        f"{steady['calendars']} calendar(s) (all sandbox requests: "
        f"{steady['all_requests_per_calendar']:.2f}), median {steady['median_seconds'] * 1000:.0f}"
        f" ms; target 1  {ok(steady['meets_target'])}",
        f"provider requests on the request path (all timed and warm-up DAV requests): "
        f"{s['request_path_provider_requests']}; target 0  "
        f"{ok(s['request_path_provider_requests'] == 0)}",
        f"peak RSS (VmHWM): bridge process {_mib(s['rss']['bridge_process_kib'])} "
        f"(bridge + harness; the Graph sandbox runs in its own process; "
        f"{_mib(s['rss']['bridge_process_peak_after_start_kib'])} of it reached by the end of "
        f"seeding + initial sync, {_mib(s['rss']['bridge_process_current_at_end_kib'])} "
        f"resident at the end), stock Radicale {_mib(s['rss']['radicale_kib'])}",
        f"warm-up round (untimed; Radicale builds its item cache here): bridge "
        f"{s['warm_seconds']['bridge']:.1f} s, radicale {s['warm_seconds']['radicale']:.1f} s",
        "",
    ]
    return "\n".join(lines)
