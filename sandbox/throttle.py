"""Throttling and injected faults for the emulated Graph surface.

Limits per concepts/throttling-limits.md (Outlook service): 4 concurrent requests per app per
mailbox and 10,000 requests per 10 minutes per app per mailbox; over a limit Graph answers
429 with `Retry-After` (concepts/throttling.md). Fault rules let tests make any request fail
with a chosen status, code and Retry-After, or (`delay_ms`) be served normally with the answer
held back: the provider commits a write and the client's read timeout expires before the reply
comes, which is why Graph documents `transactionId` for retried event creation
(api/user-post-events.md) and Google lets clients choose event ids (events/insert). No HTTP here: callers turn decisions into responses.
"""

from __future__ import annotations

import collections
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

DEFAULT_CODES = {
    429: "TooManyRequests",
    500: "generalException",
    502: "BadGateway",
    503: "ServiceNotAvailable",
    504: "GatewayTimeout",
}


@dataclass
class FaultRule:
    id: str
    match: str
    status: int
    code: str
    message: str
    retry_after: int | None
    times: int | None  # remaining failures; None = until removed
    skip: int = 0  # let this many matching requests through first (e.g. fail after N pages)
    hits: int = 0
    delay_ms: int = 0  # > 0: not a failure — the request is served, its answer held this long

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class Faults:
    rules: list[FaultRule] = field(default_factory=list)

    def add(self, spec: dict[str, Any]) -> FaultRule:
        status = int(spec.get("status", 503))
        re.compile(str(spec.get("match", "")))  # validate early
        rule = FaultRule(
            id=secrets.token_hex(4),
            match=str(spec.get("match", "")),
            status=status,
            code=str(spec.get("code") or DEFAULT_CODES.get(status, "generalException")),
            message=str(spec.get("message") or "Injected fault."),
            retry_after=int(spec["retry_after"]) if spec.get("retry_after") is not None else None,
            times=int(spec["times"]) if spec.get("times") is not None else None,
            skip=int(spec.get("skip", spec.get("after", 0)) or 0),
            delay_ms=int(spec.get("delay_ms", 0) or 0),
        )
        self.rules.append(rule)
        return rule

    def check(self, method: str, path_qs: str) -> FaultRule | None:
        """The rule that fires for this request, if any (consumes one of its `times`)."""
        target = f"{method} {path_qs}"
        for rule in self.rules:
            if not re.search(rule.match, target):
                continue
            rule.hits += 1
            if rule.hits <= rule.skip:
                continue
            if rule.times is not None:
                if rule.times <= 0:
                    continue
                rule.times -= 1
            return rule
        return None

    def clear(self) -> None:
        self.rules.clear()


@dataclass
class Throttle:
    max_concurrent: int = 4
    max_requests: int = 10000
    window_seconds: float = 600.0
    retry_after: int = 1
    active: dict[str, int] = field(default_factory=lambda: collections.defaultdict(int))
    recent: dict[str, collections.deque[float]] = field(
        default_factory=lambda: collections.defaultdict(collections.deque)
    )

    def enter(self, app_id: str, mailbox: str) -> str | None:
        """Admit a request or say which limit it broke (then the caller must not `leave`)."""
        key = f"{app_id}|{mailbox}"
        if self.active[key] >= self.max_concurrent:
            return "MailboxConcurrency"
        now = time.monotonic()
        window = self.recent[key]
        while window and window[0] < now - self.window_seconds:
            window.popleft()
        if len(window) >= self.max_requests:
            return "Rate"
        window.append(now)
        self.active[key] += 1
        return None

    def leave(self, app_id: str, mailbox: str) -> None:
        key = f"{app_id}|{mailbox}"
        self.active[key] = max(0, self.active[key] - 1)
