"""App-password logins of DAV clients, lookups and phonebooks (A6): who may pass, who must
wait, without ever turning away a correct credential because of someone else's failures.

Policy (issue 9 point 8):
- Failures are counted per user name and per client address (two `LoginThrottle` keys), and
  each distinct wrong password counts once per window: a device repeating a stale password is
  one failure, not a lock-out of everyone behind its address. (Microsoft Entra "smart lockout"
  does the same: it "tracks the last three bad password hashes to avoid incrementing the
  lockout counter for the same password".)
- While a key is locked, credentials are still checked, one at a time per locked key and at
  most one every `pace_s` seconds (a later request waits for its turn, up to `pace_s`): a
  correct credential passes, a wrong one gets 429 with Retry-After. Guessing is therefore
  held to one try per `pace_s` per user name and per address however many connections an
  attacker opens, while a correct device is at most delayed by `pace_s`.
- A credential that verified from the same address within `cache_s` passes without the slow
  hash check (and without waiting). This is a test against the exact correct 80-bit app
  password only, so it gives a guesser nothing.
- A credential that was wrong within the window is answered at once (no hash check): wrong
  again, 429 while locked.

The pacing is this process's (`_Gate`s) unless a shared `Pacing` is given: on PostgreSQL the
turns are reserved in the database (`SharedPacing`, bridge/organisation/throttle_shared.py),
so one try per `pace_s` per locked key holds across every bridge process (issue 17), not one
per process.

Fingerprints of credentials are HMAC-SHA256 under a key held only in memory, never stored or
logged: made at start-up, or (`fingerprint_key`) derived from the bridge's secret key, so that
processes sharing one database count the same wrong credential once (issue 17). The clock and the
sleep are injectable for tests. Must not do I/O beyond the `verify` callable it is given.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cachetools import TTLCache

from bridge.organisation.throttle import LoginThrottle


@dataclass(frozen=True)
class LoginOutcome:
    """`user` is the signed-in user name, "" when refused; `retry_after` > 0 means refused
    because of repeated failures (429), else a wrong credential (401)."""

    user: str
    retry_after: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.user)


class Pacing(Protocol):
    """Turns for credential checks of locked keys, shared by every process."""

    def reserve(self, keys: list[str], spacing_s: float) -> float | None:
        """Seconds until this check's turn, or None when another already waits for it."""
        ...


class _Gate:
    """One credential check at a time for a locked key, `pace_s` apart."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting = 0
        self.last = -math.inf


class DavLogins:
    def __init__(
        self,
        verify: Callable[[str, str], bool],
        throttle: LoginThrottle | None = None,
        *,
        pace_s: float = 1.0,
        cache_s: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        fingerprint_key: bytes | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        self._verify = verify
        self.throttle = throttle or LoginThrottle(clock=clock)
        self.pace_s = pace_s
        self._clock = clock
        self._sleep = sleep
        self._secret = fingerprint_key or secrets.token_bytes(32)
        self._good: TTLCache[tuple[str, str], bool] = TTLCache(
            maxsize=4096, ttl=cache_s, timer=clock
        )
        self._bad: TTLCache[str, bool] = TTLCache(
            maxsize=4096, ttl=self.throttle.window_s, timer=clock
        )
        self._guard = threading.Lock()
        self._gates: dict[str, _Gate] = {}
        self._pacing = pacing

    # -- keys and fingerprints ---------------------------------------------------------------
    @staticmethod
    def keys(user: str, client: str) -> list[str]:
        keys = [f"dav-user:{user.casefold()}"]
        if client:
            keys.insert(0, f"dav-client:{client}")
        return keys

    def fingerprint(self, user: str, password: str) -> str:
        message = user.encode("utf-8", "surrogatepass") + b"\0"
        message += password.encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def forget_successes(self) -> None:
        """After an app password is revoked: every credential is checked again."""
        with self._guard:
            self._good.clear()

    def secret_failed(self, client: str, secret: str) -> None:
        """A wrong shared secret (the lookup token) from `client`: counts for the address."""
        if client:
            self.throttle.failed(f"dav-client:{client}", self.fingerprint("", secret))

    def retry_after(self, user: str, client: str) -> float:
        return max(self.throttle.retry_after(k) for k in self.keys(user, client))

    # -- the check -------------------------------------------------------------------------
    def check(self, user: str, password: str, client: str) -> LoginOutcome:
        fp = self.fingerprint(user, password)
        with self._guard:
            if (fp, client) in self._good:
                return LoginOutcome(user)
            known_bad = fp in self._bad
        keys = self.keys(user, client)
        locked = [k for k in keys if self.throttle.retry_after(k) > 0]
        if known_bad:
            return self._refused(keys, fp, count=False)
        if not locked:
            return self._checked(user, password, client, keys, fp)
        return self._paced(user, password, client, keys, locked, fp)

    def _paced(
        self,
        user: str,
        password: str,
        client: str,
        keys: list[str],
        locked: list[str],
        fp: str,
    ) -> LoginOutcome:
        if self._pacing is not None:  # turns reserved in the database (every process)
            wait = self._pacing.reserve(locked, self.pace_s)
            if wait is None:  # one checks, one waits; the rest: 429
                return self._refused(keys, fp, count=False)
            if wait > 0:
                self._sleep(wait)
            return self._checked(user, password, client, keys, fp)
        with self._guard:
            gates = [self._gates.setdefault(k, _Gate()) for k in locked]
            if any(g.waiting > 1 for g in gates):  # one checks, one waits; the rest: 429
                return self._refused(keys, fp, count=False)
            for gate in gates:
                gate.waiting += 1
        taken: list[_Gate] = []
        try:
            for gate in gates:
                if not gate.lock.acquire(timeout=self.pace_s + 5.0):
                    return self._refused(keys, fp, count=False)
                taken.append(gate)
            now = self._clock()
            wait = max(g.last + self.pace_s - now for g in gates)
            if wait > 0:
                self._sleep(wait)
            outcome = self._checked(user, password, client, keys, fp)
            now = self._clock()
            for gate in gates:
                gate.last = now
            return outcome
        finally:
            for gate in taken:
                gate.lock.release()
            with self._guard:
                for gate in gates:
                    gate.waiting -= 1
                self._drop_idle_gates()

    def _drop_idle_gates(self) -> None:
        for key in [k for k, g in self._gates.items() if not g.waiting]:
            if self.throttle.retry_after(key) <= 0:
                del self._gates[key]

    def _checked(
        self, user: str, password: str, client: str, keys: list[str], fp: str
    ) -> LoginOutcome:
        if user and password and self._verify(user, password):
            with self._guard:
                self._good[(fp, client)] = True
            return LoginOutcome(user)
        return self._refused(keys, fp, count=True)

    def _refused(self, keys: list[str], fp: str, *, count: bool) -> LoginOutcome:
        if count:
            with self._guard:
                self._bad[fp] = True
            for key in keys:
                self.throttle.failed(key, fingerprint=fp)
        wait = max(self.throttle.retry_after(k) for k in keys)
        return LoginOutcome("", math.ceil(wait) if wait > 0 else 0)
