"""What the portal keeps only in its own memory, per browser session: OAuth/OIDC flows in
flight (PKCE verifier, nonce …; 10 minutes) and one-time notices shown on the next page.

Entries are keyed by the session's token hash, so one browser can never complete or see
another's. Must not persist anything, log anything, or call into the bridge.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

FLOW_TTL_S = 600.0
NOTICE_TTL_S = 600.0
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class Flow:
    """One authorization in flight: `kind` is "signin:<provider>" or "connect"; `value` is
    what the bridge needs to complete it (a PendingConsent or a sign-in flow dict)."""

    kind: str
    value: object
    expires: float


class PendingFlows:
    def __init__(self, ttl_s: float = FLOW_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._items: dict[tuple[str, str], Flow] = {}
        self._lock = threading.Lock()

    def put(self, session_key: str, state: str, kind: str, value: object) -> None:
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            if len(self._items) >= MAX_ENTRIES:  # drop the oldest rather than grow unbounded
                oldest = min(self._items, key=lambda k: self._items[k].expires)
                del self._items[oldest]
            self._items[(session_key, state)] = Flow(kind, value, now + self.ttl_s)

    def pop(self, session_key: str, state: str, kind: str) -> object | None:
        """The flow this session started with this state and kind (once), else None."""
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            flow = self._items.get((session_key, state))
            if flow is None or flow.kind != kind:
                return None
            del self._items[(session_key, state)]
            return flow.value

    def _expire(self, now: float) -> None:
        for key in [k for k, f in self._items.items() if f.expires <= now]:
            del self._items[key]


class Notices:
    """One-time messages ("Connected Google: read calendars") for the session's next page."""

    def __init__(self, ttl_s: float = NOTICE_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._items: dict[str, tuple[float, list[str]]] = {}
        self._lock = threading.Lock()

    def add(self, session_key: str, text: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in [k for k, (exp, _) in self._items.items() if exp <= now]:
                del self._items[key]
            if len(self._items) >= MAX_ENTRIES and session_key not in self._items:
                return
            _, texts = self._items.get(session_key, (0.0, []))
            self._items[session_key] = (now + self.ttl_s, [*texts, text][-5:])

    def take(self, session_key: str) -> list[str]:
        with self._lock:
            exp, texts = self._items.pop(session_key, (0.0, []))
            return texts if exp > time.monotonic() else []
