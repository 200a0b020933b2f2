"""The parts of a client's recurring series that every provider's write mapping needs: the
RECURRENCE-ID overrides (RFC 5545 §3.8.4.4) keyed the provider's way, the occurrences they
cancel (STATUS:CANCELLED, §3.8.1.11), and the final split where a cancelled occurrence's
override is dropped and both are sorted, so equal input gives equal writes.

What it must not do: map an event's fields (the provider's `body_of` does), know a provider's
JSON, or accept RANGE=THISANDFUTURE (no provider stores "this and future" overrides).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from icalendar import Component

from bridge.errors import BadInput

K = TypeVar("K", dt.datetime, str)  # a provider's occurrence key: a UTC instant, an instance id
V = TypeVar("V")


def as_list(value: Any) -> list[Any]:
    """An icalendar property that may stand once or several times, as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def overrides_of(
    events: Iterable[Component],
    key_of: Callable[[Any], K],
    body_of: Callable[[Component], V],
    range_refused: str,
) -> tuple[dict[K, V], set[K]]:
    """The overrides (key -> body) and cancelled keys among `events`; `key_of` gets the
    RECURRENCE-ID's value. BadInput `range_refused` for RANGE=THISANDFUTURE."""
    overrides: dict[K, V] = {}
    cancelled: set[K] = set()
    for event in events:
        prop: Any = event.get("RECURRENCE-ID")
        if prop is None:
            continue
        if str(prop.params.get("RANGE", "")).upper() == "THISANDFUTURE":
            raise BadInput(range_refused)
        key = key_of(prop.dt)
        if str(event.get("STATUS") or "").upper() == "CANCELLED":
            cancelled.add(key)
        else:
            overrides[key] = body_of(event)
    return overrides, cancelled


def settled(overrides: dict[K, V], exdates: set[K]) -> tuple[dict[K, V], tuple[K, ...]]:
    """The overrides of occurrences that still happen and the cancelled keys, both sorted."""
    kept = {key: body for key, body in overrides.items() if key not in exdates}
    return dict(sorted(kept.items())), tuple(sorted(exdates))
