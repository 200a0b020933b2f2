"""One UID for every copy of a meeting, whoever's calendar it is in (issue 16).

A provider that assigns its own UID on create (Microsoft Graph's `iCalUId` is read-only,
https://learn.microsoft.com/en-us/graph/api/resources/event "iCalUId: A unique identifier for
an event across calendars") gives the organizer's event its own UID; the bridge serves the
organizer the UID their client chose (an alias), and Exchange delivers the attendees' copies
with the provider's UID, shared by all of them. So that an attendee whose mailbox is connected
to this bridge sees the meeting under the UID the organizer's client sees (clients and
RFC 6638 match scheduling messages and copies by UID), the pair is kept in the shared state
while the meeting matters, and a pull renders an attendee's copy under the organizer's UID.

- `remember(store, provider_uid, client_uid, end)`: after an organizer's write;
- `aliases(store, items)`: remote id -> client UID of each pulled meeting copy known so;
- `invited(store, text)` / `generation(store, address)`: a counter per attendee address,
  bumped when a write through the bridge sends them an invitation or update (so that their
  calendars are looked at beyond the window at once, bridge/sync/inbox_beyond.py).
Must not import a provider or radicale.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from bridge.model import RemoteItem
from bridge.store import Store

KIND = "meeting-uid"
AFTER_END_S = 400 * 86400.0  # kept past the meeting's end (a late reply, a recurrence edit)
INVITATIONS = "invitations"  # per attendee address: bumped when a bridge write invites them
_ATTENDEE = re.compile(r"^ATTENDEE[;:].*?:mailto:([^\s;:]+)\s*$", re.IGNORECASE | re.MULTILINE)


def remember(store: Store, provider_uid: str, client_uid: str, end: int) -> None:
    ttl = max(end - time.time(), 0.0) + AFTER_END_S
    store.put_shared(KIND, provider_uid, client_uid, ttl)


def aliases(store: Store, items: Iterable[RemoteItem]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in items:
        if "ORGANIZER" not in item.ical or "ATTENDEE" not in item.ical:
            continue
        client_uid = store.get_shared(KIND, item.uid)
        if client_uid is not None and client_uid != item.uid:
            found[item.remote_id] = client_uid
    return found


def _key(address: str) -> str:
    return f"{INVITATIONS}:{address.strip().lower()}"


def invited(store: Store, text: str) -> None:
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    for address in sorted({a.lower() for a in _ATTENDEE.findall(unfolded)}):
        store.bump_generation(_key(address))


def generation(store: Store, address: str) -> int:
    return store.generation(_key(address))
