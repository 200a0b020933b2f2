"""The lossless overlay (C10) of to-dos whose provider has nowhere to keep it (Google Tasks:
no extended properties), kept by the bridge instead (issue 11).

What it does: one entry per provider task in the store's shared state (kind "task-overlay",
key "<collection id>:<task id>"), so every bridge process reads the same; `remember` stores
what the client wrote that the provider's rendering lacks (overlay.for_write), `applied` merges
it back into the provider's rendering on every pull and fetch, `forget` drops it when the task
is deleted. Entries live as long as the bridge (a century's expiry); a provider-side change
still wins over the overlay (overlay.merge's guards).
Must not import radicale or any concrete provider.
"""

from __future__ import annotations

from dataclasses import replace

from bridge.ical import overlay
from bridge.model import RemoteItem
from bridge.store import Store

KIND = "task-overlay"
_FOREVER_S = 100 * 365 * 86400.0


class KeptOverlays:
    def __init__(self, store: Store, collection_id: int) -> None:
        self._store = store
        self._prefix = f"{collection_id}:"

    def _get(self, remote_id: str) -> str | None:
        return self._store.get_shared(KIND, self._prefix + remote_id)

    def applied(self, item: RemoteItem) -> RemoteItem:
        stored = self._get(item.remote_id)
        if not stored:
            return item
        text, uid = overlay.apply(item.ical, stored)
        return replace(item, ical=text, uid=uid or item.uid, span=None)

    def remember(self, client: str, item: RemoteItem) -> RemoteItem:
        """After a write: keep what `client` sent that the provider's `item` lacks."""
        stored = self._get(item.remote_id)
        wanted = overlay.for_write(client, item.ical, stored=stored)
        if wanted != (stored or ""):
            if wanted:
                self._store.put_shared(KIND, self._prefix + item.remote_id, wanted, _FOREVER_S)
            else:
                self.forget(item.remote_id)
        return self.applied(item)

    def forget(self, remote_id: str) -> None:
        self._store.pop_shared(KIND, self._prefix + remote_id)
