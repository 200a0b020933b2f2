"""Pull counters for the log's periodic summary: an idle bridge writes one line every few
minutes ("N pulls, M changed") instead of one line per collection per refresh.

Holds numbers only; must not import providers, the store or radicale.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class TallySnapshot:
    pulls: int
    collections: int
    changed: int
    requests: int

    def describe(self, minutes: float) -> str:
        return (
            f"last {minutes:.0f} min: {self.pulls} pulls of {self.collections} collections, "
            f"{self.changed} items changed, {self.requests} provider requests"
        )


class PullTally:
    """Thread-safe counts of finished pulls since the last `take`."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._pulls = 0
        self._changed = 0
        self._requests = 0
        self._collections: set[int] = set()

    def add(self, outcome: object) -> None:
        """Count one pull (a PullOutcome: collection_id, changed, requests)."""
        with self._guard:
            self._pulls += 1
            self._changed += int(getattr(outcome, "changed", 0))
            self._requests += int(getattr(outcome, "requests", 0))
            self._collections.add(int(getattr(outcome, "collection_id", 0)))

    def take(self) -> TallySnapshot:
        """The counts so far, resetting them."""
        with self._guard:
            snap = TallySnapshot(self._pulls, len(self._collections), self._changed, self._requests)
            self._pulls = self._changed = self._requests = 0
            self._collections = set()
            return snap
