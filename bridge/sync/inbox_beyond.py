"""Invitations dated beyond the sync window (issue 16): the provider delivers them into the
attendee's calendar, but the mirror holds the window only (default 18 months ahead), so the
inbox and the calendar would never show them.

`adopt(calendars)`, asked when the inbox is listed and when a calendar of the user is read
stale (bridge/facade/dav.py `fresh`; it returns at once): the first own writable calendar of each
connected account (the one the provider delivers invitations to: Graph and EWS list the
default calendar first) is listed at the provider over the HORIZON after the window (the
windowed full listing a pull uses, in pieces of at most 3 years), in the background, and each
invitation there that the account has not answered (PARTSTAT=NEEDS-ACTION) is put into the
mirror as an item a client wrote — the window keeps those while the provider has them
(bridge/sync/engine.py) — so the calendar shows it, the inbox lists it (at its next listing),
and the attendee answers it with a PUT as any other; one mirrored so before is brought up
to date when it changed at the provider (an organizer's update, a cancellation). A calendar is listed again after REUSE_S,
and at once after a write through this bridge sent the account an invitation or an update
(a shared counter per address, `meeting_uids.invited`). A failure adds nothing (logged; tried again at the next listing).
Must not import radicale or a concrete provider.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from cachetools import TTLCache

from bridge.errors import BridgeError
from bridge.ical import itip
from bridge.model import CollectionKind, CollectionRecord, SyncWindow
from bridge.store.rows import href_for_uid
from bridge.sync import meeting_uids
from bridge.sync.engine import SyncEngine
from bridge.sync.items import draft_from_remote
from bridge.sync.virtual import is_view

log = logging.getLogger("davbridge.sync")

PIECE = dt.timedelta(days=3 * 366)
HORIZON = 2 * PIECE  # how far past the window's end invitations are looked for
REUSE_S = 600.0


class BeyondWindow:
    def __init__(self, engine: SyncEngine) -> None:
        self.engine = engine
        self._seen: TTLCache[tuple[int, int], bool] = TTLCache(maxsize=1024, ttl=REUSE_S)
        self._guard = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="invitations")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def adopt(self, calendars: list[CollectionRecord]) -> None:
        """Start the listings due for `calendars` in the background: what they find is in
        the mirror for the next listing of the inbox (a client polls it)."""
        store = self.engine.store
        first: dict[int, CollectionRecord] = {}
        for coll in calendars:
            if coll.kind is not CollectionKind.CALENDAR or coll.read_only or coll.virtual:
                continue
            conn = store.connection(coll.connection_id)
            if is_view(coll) or conn.user_id != coll.user_id:
                continue
            if not (conn.policy.calendars_enabled and conn.policy.read_calendars):
                continue
            first.setdefault(coll.connection_id, coll)  # the account's own (default) calendar
        for coll in first.values():
            account = store.connection(coll.connection_id).account
            key = (coll.id, meeting_uids.generation(store, account))
            with self._guard:
                if key in self._seen:
                    continue
                self._seen[key] = True
            self._pool.submit(self._run, coll, key)

    def _run(self, coll: CollectionRecord, key: tuple[int, int]) -> None:
        try:
            added = self._adopt(coll)
        except BridgeError as exc:
            log.warning("invitations beyond the window: %s", exc.message)
            with self._guard:
                self._seen.pop(key, None)
            return
        if added:
            log.info("collection %d: %d invitation(s) beyond the window mirrored", coll.id, added)

    def _adopt(self, coll: CollectionRecord) -> int:
        """Put the unanswered invitations of `coll` beyond the window into the mirror, and
        bring the ones put there before up to date (a pull lists the window only, so an
        organizer's update or a cancellation of them would otherwise never show)."""
        engine = self.engine
        provider = engine.providers(coll.connection_id)
        account = [provider.account_email]
        end = engine.window().end
        mirrored = {it.remote_id: it for it in engine.store.items(coll.id)}
        beyond = int(end.timestamp())
        changed = 0
        for start in (end, end + PIECE):
            piece = SyncWindow(start, min(start + PIECE, end + HORIZON))
            items = [
                it
                for it in provider.pull(coll.provider_id, None, piece).items
                if "ORGANIZER" in it.ical and "ATTENDEE" in it.ical
            ]
            aliases = meeting_uids.aliases(engine.store, items)
            aliases.update(engine.store.uid_aliases(coll.id))
            for item in items:
                known = mirrored.get(item.remote_id)
                if known is not None and (known.start < beyond or known.version == item.version):
                    continue  # the window's (pulls keep it) or unchanged
                if itip.role(item.ical, account) != "attendee":
                    continue
                if known is None and itip.own_partstat(item.ical, account) != "NEEDS-ACTION":
                    continue
                draft = draft_from_remote(
                    item, account, aliases, redact=engine.store.redacts(coll.id)
                )
                if draft.uid != item.uid:  # the organizer's UID, for the pulls that refetch it
                    engine.store.set_uid_alias(coll.id, item.remote_id, draft.uid)
                href = known.href if known is not None else href_for_uid(draft.uid, ".ics")
                mirrored[item.remote_id] = engine.store.put_item(coll.id, href, draft)
                changed += 1
        return changed
