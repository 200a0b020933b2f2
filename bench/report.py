"""Turning the serving benchmark's measurements into verdicts, a printed table and JSON.

Pure functions over plain data: no I/O besides returning strings, no servers.
Targets: "bridge", the baselines (BASELINES, whichever ran) and "floor" (the bridge's own
bodies served from memory by the same HTTP server).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

TARGET_SPEEDUP = 5.0  # each baseline ÷ bridge, every operation
FLOOR_TARGET = 2.0  # bridge ÷ floor, PROPFIND and multiget
FLOOR_OPERATIONS = ("propfind", "multiget")
BASELINES = ("radicale", "radicale-tuned", "xandikos")
BASELINE_TITLES = {
    "radicale": "stock Radicale (default settings)",
    "radicale-tuned": "Radicale, use_mtime_and_size_for_item_cache = true",
    "xandikos": "Xandikos",
}
OPERATION_TITLES = {
    "propfind": "PROPFIND Depth 1 (getetag, getcontenttype)",
    "multiget": "REPORT calendar-multiget, all hrefs",
    "sync": "REPORT sync-collection, no change",
}


@dataclass(frozen=True)
class Sample:
    median_s: float
    min_s: float
    response_bytes: int


@dataclass(frozen=True)
class OperationResult:
    operation: str
    by_target: dict[str, Sample]

    def ratio(self, over: str, under: str) -> float:
        """median(over) ÷ median(under)."""
        a, b = self.by_target.get(over), self.by_target.get(under)
        return a.median_s / b.median_s if a and b and b.median_s else 0.0

    def speedups(self) -> dict[str, float]:
        """baseline ÷ bridge, per baseline that ran (higher is better for the bridge)."""
        return {b: self.ratio(b, "bridge") for b in BASELINES if b in self.by_target}

    def floor_ratio(self) -> float | None:
        """bridge ÷ floor (lower is better; 1 is the floor itself)."""
        return self.ratio("bridge", "floor") if "floor" in self.by_target else None

    def meets_target(self) -> bool:
        ok = all(s >= TARGET_SPEEDUP for s in self.speedups().values())
        floor = self.floor_ratio()
        if self.operation in FLOOR_OPERATIONS and floor is not None:
            ok = ok and floor <= FLOOR_TARGET
        return ok

    def as_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "by_target": {k: vars(v) for k, v in self.by_target.items()},
            "speedups_median": self.speedups(),
            "bridge_over_floor": self.floor_ratio(),
            "meets_target": self.meets_target(),
        }


def operation_results(timings: dict[str, dict[str, dict[str, Any]]]) -> list[OperationResult]:
    """From the DAV client's `timings` ({target: {operation: {seconds, response_bytes}}})."""
    results = []
    for op in OPERATION_TITLES:
        by_target = {
            name: Sample(
                statistics.median(ops[op]["seconds"]),
                min(ops[op]["seconds"]),
                int(ops[op]["response_bytes"]),
            )
            for name, ops in timings.items()
        }
        results.append(OperationResult(op, by_target))
    return results


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.0f} MiB"


def ok(flag: bool) -> str:
    return "OK" if flag else "MISSED"


def render(summary: dict[str, Any], results: Sequence[OperationResult]) -> str:
    """The human-readable report printed at the end of a run."""
    s = summary
    names = list(results[0].by_target) if results else []
    lines = [
        "",
        f"davbridge serving benchmark — {s['items']} items in one calendar, "
        f"{s['repeat']} timed runs per operation (warm), medians in ms",
        "",
        f"{'operation':44} " + " ".join(f"{n:>15}" for n in names),
    ]
    for r in results:
        lines.append(
            f"{OPERATION_TITLES[r.operation]:44} "
            + " ".join(f"{_ms(r.by_target[n].median_s):>15}" for n in names)
        )
    lines += ["", f"ratios (baseline ÷ bridge, target ≥ {TARGET_SPEEDUP:.0f}×; "]
    lines[-1] += f"bridge ÷ floor, target ≤ {FLOOR_TARGET:.0f}× for PROPFIND and multiget):"
    for r in results:
        for baseline, x in r.speedups().items():
            lines.append(
                f"serving-ratio {r.operation} {baseline} {x:.1f}  {ok(x >= TARGET_SPEEDUP)}"
            )
        floor = r.floor_ratio()
        if floor is not None:
            verdict = ok(floor <= FLOOR_TARGET) if r.operation in FLOOR_OPERATIONS else "-"
            lines.append(f"serving-vs-floor {r.operation} {floor:.2f}  {verdict}")
    init = s["initial_sync"]
    steady = s["steady_state"]
    rss = s["rss"]
    lines += [
        "",
        f"initial sync (engine.refresh of the empty mirror): {init['seconds']:.1f} s, "
        f"{init['graph_requests']} Graph requests, {init['changed']} items "
        f"(Demo.start() in all, incl. sandbox seeding and OAuth consent: "
        f"{s['start_seconds']:.1f} s)",
        f"steady-state refresh, nothing changed: {steady['graph_requests_per_calendar']:.2f} "
        f"Graph requests per calendar per refresh over {steady['refreshes']} refreshes of "
        f"{steady['calendars']} calendar(s) (all sandbox requests: "
        f"{steady['all_requests_per_calendar']:.2f}); target 1  {ok(steady['meets_target'])}",
        f"provider requests on the request path (all timed and warm-up DAV requests): "
        f"{s['request_path_provider_requests']}; target 0  "
        f"{ok(s['request_path_provider_requests'] == 0)}",
        "peak RSS (VmHWM), each server in its own process: "
        + ", ".join(f"{k} {_mib(v)}" for k, v in rss["peak_kib"].items())
        + f" (the bridge's includes its initial sync: "
        f"{_mib(rss['bridge_peak_after_start_kib'])} by then)",
        "warm-up round (untimed; the baselines build their caches here): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in s["warm_seconds"].items()),
        "",
    ]
    return "\n".join(lines)
