"""Time-range queries that reach outside the sync window, answered from the provider
(issue 11, point 3): the mirror holds the window (plus what clients wrote), so a
calendar-query (RFC 4791 §7.8) over older or later dates would otherwise come back silently
empty.

The parts of the asked range outside the window are listed at the provider with the same
windowed full listing a pull uses (`CalendarProvider.pull(cursor=None, window=part)`), bounded
by a timeout and cached for a short while per (collection, range). Items the mirror already
serves are left out (the mirror's copy wins). Nothing here enters the mirror: these answers are
not part of sync-collection. What a query answered can be read by its href for RECALL_S (a
client that asks for ETags first and then fetches with calendar-multiget or GET); a client
that writes to such an href (PUT or DELETE) within that time means that provider item: it
is adopted into the mirror first (as an item a client wrote, so the window keeps it), and the
write is an edit of it rather than a second event. Unbounded queries are not sent to the
provider (they would list a calendar's whole history).
A failure or timeout answers with nothing extra (the mirror's part is still served).
What is remembered is kept by bridge/sync/outside_memo.py: in memory on SQLite, in the
database on PostgreSQL so that every process sees the same (issue 17).
Must not import radicale or any concrete provider.
"""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from bridge.errors import BridgeError
from bridge.model import CollectionKind, CollectionRecord, ItemRecord, SyncWindow
from bridge.store.rows import ItemDraft
from bridge.sync.engine import SyncEngine
from bridge.sync.items import draft_from_remote
from bridge.sync.outside_memo import Memo, memo_for

log = logging.getLogger("davbridge.sync")

TIMEOUT_S = 8.0  # how long a query may wait for the provider
MAX_SPAN = dt.timedelta(days=3 * 366)  # the part of a range looked up outside the window


class OutsideWindow:
    def __init__(self, engine: SyncEngine, memo: Memo | None = None) -> None:
        self.engine = engine
        self.memo = memo_for(engine.store) if memo is None else memo
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="outside-window")

    def parts(self, start: int, end: int) -> list[SyncWindow]:
        """The pieces of [start, end) (unix seconds) outside the sync window, each at most
        MAX_SPAN long (its end nearest the window is kept)."""
        window = self.engine.window()
        lo = dt.datetime.fromtimestamp(max(start, 0), dt.UTC)
        hi = dt.datetime.fromtimestamp(min(end, 4102444800), dt.UTC)  # 2100-01-01
        pieces = []
        if lo < window.start:
            until = min(hi, window.start)
            pieces.append(SyncWindow(max(lo, until - MAX_SPAN), until))
        if hi > window.end:
            since = max(lo, window.end)
            pieces.append(SyncWindow(since, min(hi, since + MAX_SPAN)))
        return [p for p in pieces if p.start < p.end]

    def items(self, coll: CollectionRecord, start: int, end: int) -> list[ItemRecord]:
        """Provider items of `coll` in [start, end) that the mirror does not serve."""
        if coll.kind is not CollectionKind.CALENDAR or coll.holds_tasks:  # to-dos: no window
            return []
        if start <= 0 or end >= 4102444800:
            return []
        pieces = self.parts(start, end)
        if not pieces:
            return []
        key = (coll.id, start, end)
        cached = self.memo.answer(key)
        if cached is not None:
            return cached
        future = self._pool.submit(self._list, coll, pieces)
        try:
            answer = future.result(timeout=TIMEOUT_S)
        except FutureTimeout:
            log.warning("provider listing outside the window timed out for collection %d", coll.id)
            return []
        except BridgeError as exc:
            log.warning("provider listing outside the window failed: %s", exc.message)
            return []
        return self.memo.keep(key, answer)

    def answered(self, coll: CollectionRecord, hrefs: list[str]) -> dict[str, ItemRecord]:
        """href -> item among `hrefs` that a query answered from the provider lately."""
        return self.memo.recalled(coll.id, hrefs)

    def adopt(self, coll: CollectionRecord, hrefs: list[str]) -> dict[str, ItemRecord]:
        """Put the items among `hrefs` that a query answered lately into the mirror, as
        items a client wrote (a client is writing them now); href -> the mirror's item."""
        adopted = {}
        for href in hrefs:
            draft = self.memo.take(coll.id, href)
            if draft is None:
                continue
            if self.engine.store.item(coll.id, href) is None:
                log.info("%s/%s: a query beyond the window found it; now mirrored", coll.name, href)
                adopted[href] = self.engine.store.put_item(coll.id, href, draft)
        return adopted

    def _list(self, coll: CollectionRecord, pieces: list[SyncWindow]) -> list[ItemDraft]:
        provider = self.engine.providers(coll.connection_id)
        served = {it.remote_id for it in self.engine.store.items(coll.id)}
        aliases = self.engine.store.uid_aliases(coll.id)
        found: dict[str, ItemDraft] = {}
        for piece in pieces:
            result = provider.pull(coll.provider_id, None, piece)
            for item in result.items:
                if item.remote_id in served or item.remote_id in found:
                    continue
                draft = draft_from_remote(
                    item,
                    [provider.account_email],
                    aliases,
                    redact=self.engine.store.redacts(coll.id),
                )
                found[item.remote_id] = draft
        return list(found.values())
