"""Throttling of failed logins (portal passwords, DAV/lookup/phonebook app passwords).

A key ("user:<name>", "client:<address>") that fails `max_failures` times within `window_s`
seconds is locked for `lock_s` seconds; each further lock of a key that keeps failing doubles,
up to `max_lock_s`. A success forgets the key. Failures may carry a fingerprint of what was tried; a
fingerprint already counted for a key within the window does not count again. Memory is bounded (`max_keys`, oldest unlocked
keys forgotten first).

In memory and per process: each process (and each `Bridge`) throttles on its own, and a restart
forgets every count. With several processes on one PostgreSQL store the counts are shared
through the database instead (bridge/organisation/throttle_shared.py). Thread-safe. The clock is injectable (monotonic by default) for tests.
Must not do I/O or know what a user or a password is.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bridge.errors import TooManyAttempts


@dataclass
class _Key:
    failures: list[float] = field(default_factory=list)
    locked_until: float = 0.0
    locks: int = 0
    last_failure: float = 0.0
    seen: dict[str, float] = field(default_factory=dict)


class LoginThrottle:
    def __init__(
        self,
        max_failures: int = 5,
        window_s: float = 300.0,
        lock_s: float = 60.0,
        *,
        max_lock_s: float = 3600.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_failures < 1 or window_s <= 0 or lock_s <= 0:
            raise ValueError("max_failures, window_s and lock_s must be positive")
        self.max_failures = max_failures
        self.window_s = window_s
        self.lock_s = lock_s
        self.max_lock_s = max(max_lock_s, lock_s)
        self.max_keys = max_keys
        self._clock = clock
        self._keys: dict[str, _Key] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        """Seconds until `key` may try again; 0 when it may now."""
        now = self._clock()
        with self._lock:
            entry = self._keys.get(key)
            return max(0.0, entry.locked_until - now) if entry else 0.0

    def check(self, key: str) -> None:
        """TooManyAttempts (with retry_after in whole seconds) while `key` is locked."""
        wait = self.retry_after(key)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise TooManyAttempts(
                f"Too many failed sign-in attempts. Try again in {seconds} seconds.", seconds
            )

    def failed(self, key: str, fingerprint: str | None = None) -> None:
        """Count a failure; the one that reaches `max_failures` within the window locks the key.
        A `fingerprint` (an opaque digest of what was tried) already counted for this key
        within the window is not counted again: repeating one wrong secret is one failure."""
        now = self._clock()
        with self._lock:
            entry = self._keys.pop(key, None) or _Key()
            self._count(entry, now, fingerprint)
            self._keys[key] = entry  # re-inserted: the dict stays ordered by last failure
            self._bound(now, keep=key)

    def _count(self, entry: _Key, now: float, fingerprint: str | None) -> None:
        """One failure into `entry` (changed in place), as `failed` describes."""
        if fingerprint is not None:
            entry.seen = {f: t for f, t in entry.seen.items() if now - t < self.window_s}
            if fingerprint in entry.seen:
                return
            entry.seen[fingerprint] = now
            if len(entry.seen) > 4 * self.max_failures:
                entry.seen.pop(next(iter(entry.seen)))
        if entry.locks and now - max(entry.last_failure, entry.locked_until) > self.window_s:
            entry.locks = 0  # quiet for a window: start again from the shortest lock
        entry.failures = [t for t in entry.failures if now - t < self.window_s] + [now]
        entry.last_failure = now
        if len(entry.failures) >= self.max_failures:
            entry.locks += 1
            duration = min(self.lock_s * 2 ** (entry.locks - 1), self.max_lock_s)
            entry.locked_until = now + duration
            entry.failures = []

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._keys.pop(key, None)

    def _bound(self, now: float, keep: str) -> None:
        """Forget the oldest unlocked keys beyond `max_keys`, then (a flood of locked keys) the
        oldest locked ones: memory stays bounded even under attack from many addresses.
        `keep` (the key just counted) stays."""
        excess = len(self._keys) - self.max_keys
        if excess <= 0:
            return
        others = [k for k in self._keys if k != keep]
        unlocked = [k for k in others if self._keys[k].locked_until <= now]
        for key in (unlocked + others)[:excess]:
            self._keys.pop(key, None)
