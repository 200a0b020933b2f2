"""One retry policy and one retry loop for every provider call.

What it does: `RetryPolicy` says how long one logical call may keep retrying transient failures
(attempts, total wait, and the longest single wait worth waiting for); `PULL_POLICY` is for
background pulls, `WRITE_POLICY` for writes on a DAV client's request path, which must answer
within `[server] write_budget_seconds` (a throttled write becomes 503 + Retry-After for the
client). `run(attempt, policy, sleep)` calls `attempt(n)` until it returns; an attempt that
raises `TryAgain(failure, wait)` is retried after `wait` seconds while the policy allows it,
otherwise `failure` (a bridge error) is raised. `parse_retry_after` reads a Retry-After header
(RFC 9110 §10.2.3) and `backoff` gives the exponential back-off the vendors ask for (Graph
"throttling guidance", Google "Handle API errors: exponential backoff", EWS "throttling":
BackOffMilliseconds).

Why not the client libraries' own retry: googleapiclient's `execute(num_retries=…)` ignores
Retry-After and has no total-wait budget, urllib3's `Retry` (requests) and exchangelib's
`FaultTolerance` sleep on their own clock with no budget per logical call, so a write could
outlive the write budget and the tests could not record the waits. The libraries' retry stays
off; this loop is the one place that waits.
What it must not do: decide what is transient (each provider's client does), or sleep other
than through the injected `sleep`.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bridge.errors import BridgeError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How long one logical call may keep retrying transient failures."""

    max_attempts: int
    max_total_wait_s: float
    max_single_wait_s: float = math.inf  # a longer requested wait is not waited for


# Background pulls are patient; writes sit on a client's request path and must answer fast.
PULL_POLICY = RetryPolicy(max_attempts=5, max_total_wait_s=60.0)
WRITE_POLICY = RetryPolicy(max_attempts=2, max_total_wait_s=3.0)


class TryAgain(Exception):  # noqa: N818 (a signal inside `run`, never raised out of it)
    """Raised by an attempt: transient `failure`; worth another attempt after `wait` seconds.
    `run` either retries or raises `failure` from this exception's cause."""

    def __init__(self, failure: BridgeError, wait: float) -> None:
        super().__init__(str(failure))
        self.failure = failure
        self.wait = wait


def backoff(attempt: int, cap: float) -> float:
    """1, 2, 4 … seconds for attempt 1, 2, 3 …, capped. No jitter: one connection runs one
    logical call at a time, so there is no herd to spread."""
    return min(cap, 2.0 ** (attempt - 1))


def run(
    attempt: Callable[[int], T],
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`attempt(1)`, `attempt(2)` … until one returns; see the module docstring."""
    waited = 0.0
    number = 0
    while True:
        number += 1
        try:
            return attempt(number)
        except TryAgain as signal:
            wait = signal.wait
            if (
                number >= policy.max_attempts
                or wait > policy.max_single_wait_s
                or waited + wait > policy.max_total_wait_s
            ):
                raise signal.failure from signal.__cause__
        sleep(wait)
        waited += wait


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date, RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
