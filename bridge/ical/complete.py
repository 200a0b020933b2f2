"""A calendar resource is only built when it can be valid (RFC 5545 §3.6.1).

Vendors document payloads without `start`, `end` or `id` (Microsoft Graph's event-delta example
lists an event with neither start nor end; Google's Events resource marks `start`/`end` optional
for cancelled exceptions; EWS items may come without Start when a field was not loaded). A VEVENT
needs DTSTART (no METHOD is used) and UID; DTEND may be absent (RFC 5545 §3.6.1: the event then
lasts zero time, or one day for a DATE). `require()` raises IncompleteItem for a master that
lacks either, so the provider skips that item with a log line; `complete_overrides()` drops an
override that lacks them (the series stays valid without it).

Must not do I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from icalendar import Event

from bridge.errors import IncompleteItem

log = logging.getLogger("davbridge.providers")


def require(master: Event, provider: str, item_id: str) -> None:
    """Raise IncompleteItem when the master VEVENT has no DTSTART or no UID."""
    if not str(master.get("UID") or "").strip():
        raise IncompleteItem(provider, item_id, "id (UID)")
    if master.get("DTSTART") is None:
        raise IncompleteItem(provider, item_id, "start (DTSTART)")


def complete_overrides(overrides: Sequence[Event], provider: str, item_id: str) -> list[Event]:
    """The overrides that have a DTSTART; the others are logged and left out."""
    kept = []
    for override in overrides:
        if override.get("DTSTART") is None:
            log.warning("%s: an exception of %s has no start; left out", provider, item_id)
        else:
            kept.append(override)
    return kept
