"""Login throttling shared by every bridge process on one database (issue 17, point 2): the
same rules as `LoginThrottle` (bridge/organisation/throttle.py), with each key's failures, lock
and fingerprints kept in the store's shared state instead of this process's memory, so that
an attacker spreading guesses over several processes is counted once, and a lock holds in all;
and the pacing of checks while a key is locked (`SharedPacing`, for DavLogins): one turn per
`pace_s` per key in all processes together.

Times are wall-clock seconds (processes on several hosts compare them). Each count is one
read-modify-write transaction on the key's row. Must not know what a user or a password is.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from bridge.organisation.throttle import LoginThrottle, _Key
from bridge.store import Store


def _decode(raw: str | None) -> _Key | None:
    if raw is None:
        return None
    data = json.loads(raw)
    return _Key(
        failures=[float(t) for t in data["failures"]],
        locked_until=float(data["locked_until"]),
        locks=int(data["locks"]),
        last_failure=float(data["last_failure"]),
        seen={str(k): float(v) for k, v in data["seen"].items()},
    )


def _encode(entry: _Key) -> str:
    return json.dumps(
        {
            "failures": entry.failures,
            "locked_until": entry.locked_until,
            "locks": entry.locks,
            "last_failure": entry.last_failure,
            "seen": entry.seen,
        }
    )


class SharedLoginThrottle(LoginThrottle):
    def __init__(
        self, store: Store, kind: str, max_failures: int = 5, window_s: float = 300.0
    ) -> None:
        """`kind`: the namespace of these keys (the portal's and DAV's throttles differ)."""
        super().__init__(max_failures, window_s, clock=time.time)
        self.store = store
        self.kind = kind

    @property
    def _keep_s(self) -> float:
        """How long a key's row outlives its last change (then nothing of it matters)."""
        return self.window_s + self.max_lock_s

    def retry_after(self, key: str) -> float:
        entry = _decode(self.store.get_shared(self.kind, key))
        return max(0.0, entry.locked_until - self._clock()) if entry else 0.0

    def failed(self, key: str, fingerprint: str | None = None) -> None:
        now = self._clock()

        def change(old: str | None) -> str:
            entry = _decode(old) or _Key()
            self._count(entry, now, fingerprint)
            return _encode(entry)

        self.store.update_shared(self.kind, key, change, self._keep_s)

    def succeeded(self, key: str) -> None:
        self.store.pop_shared(self.kind, key)


class SharedPacing:
    """DavLogins' turns of locked keys, reserved in the store's shared state."""

    def __init__(self, store: Store, kind: str, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.kind = kind
        self._clock = clock  # wall clock: processes on several hosts compare turns

    def reserve(self, keys: list[str], spacing_s: float) -> float | None:
        return self.store.reserve_turn(self.kind, keys, spacing_s, now=self._clock())
