"""The lossless overlay (C10) of to-dos whose provider has nowhere to keep it (Google Tasks:
no extended properties, no start, no recurrence, a due date without a time), kept by the
bridge instead (issue 11).

What it does: one entry per provider task in the store's shared state (kind "task-overlay",
key "<collection id>:<task id>"), so every bridge process reads the same. `remember` stores,
after a write, what the client wrote that the provider's rendering lacks: the overlay
(overlay.for_write) and the client's DTSTART, DUE and RRULE — which the overlay leaves to the
provider, but this provider cannot hold (times are kept in UTC or as dates). `applied` merges
them back into the provider's rendering on every pull and fetch: the overlay with its guards,
the times while the provider's due date is still the one the client's DUE fell on (a due date
changed at the provider wins, and the client's times go). `forget` drops the entry when the
task is deleted. Entries live as long as the bridge (a century's expiry).
Must not import radicale or any concrete provider.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bridge.ical import overlay
from bridge.ical.todo_times import kept_times, with_times
from bridge.model import RemoteItem
from bridge.store import Store

KIND = "task-overlay"
_FOREVER_S = 100 * 365 * 86400.0


class KeptOverlays:
    def __init__(self, store: Store, collection_id: int) -> None:
        self._store = store
        self._prefix = f"{collection_id}:"

    def _get(self, remote_id: str) -> dict[str, Any]:
        raw = self._store.get_shared(KIND, self._prefix + remote_id)
        try:
            found = json.loads(raw) if raw else {}
        except ValueError:
            return {}
        return found if isinstance(found, dict) else {}

    def applied(self, item: RemoteItem) -> RemoteItem:
        kept = self._get(item.remote_id)
        if not kept:
            return item
        text, uid = overlay.apply(item.ical, str(kept.get("overlay") or "") or None)
        text = with_times(text, dict(kept.get("times") or {}))
        return replace(item, ical=text, uid=uid or item.uid, span=None)

    def remember(self, client: str, item: RemoteItem) -> RemoteItem:
        """After a write: keep what `client` sent that the provider's `item` lacks."""
        before = self._get(item.remote_id)
        stored = str(before.get("overlay") or "") or None
        wanted = {
            "overlay": overlay.for_write(client, item.ical, stored=stored),
            "times": kept_times(client),
        }
        if wanted != {"overlay": stored or "", "times": before.get("times") or {}}:
            if wanted["overlay"] or wanted["times"]:
                value = json.dumps(wanted, sort_keys=True)
                self._store.put_shared(KIND, self._prefix + item.remote_id, value, _FOREVER_S)
            else:
                self.forget(item.remote_id)
        return self.applied(item)

    def forget(self, remote_id: str) -> None:
        self._store.pop_shared(KIND, self._prefix + remote_id)
