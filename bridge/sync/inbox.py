"""The schedule inbox's messages (RFC 6638 §4.1), read from the mirror so that the inbox and
the calendars always agree:

- a REQUEST for each event of the user's own calendars that the collection's account is
  invited to and has not answered (PARTSTAT=NEEDS-ACTION), named after the item, its ETag
  the item's;
- a REPLY for each attendee's answer (ACCEPTED, DECLINED, TENTATIVE, DELEGATED) shown on a
  meeting the account organizes that has not ended and that changed since the bridge first
  listed the inbox (so the answers a mailbox already held when it was connected do not flood
  it; a reply arriving changes the organizer's copy), named after the item and the attendee,
  its ETag changing with their answer. The change sequence the first listing saw is kept in
  the shared state, so every bridge process agrees.

A collection's messages are computed once per change sequence of the collection (every
listing and every GET of a message asks), so an unchanged calendar is not parsed again.
Must not import radicale or a provider; decides nothing about deleted messages (the facade).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cachetools import LRUCache

from bridge.ical import itip, itip_reply
from bridge.ical.contentlines import mentions
from bridge.model import CollectionKind, CollectionRecord, ItemRecord
from bridge.store import Store
from bridge.sync.virtual import is_view

#: the shared state's kind for each collection's first-listed change sequence
BASE = "inbox-base"
BASE_TTL_S = 20 * 366 * 86400.0


@dataclass(frozen=True)
class InboxMessage:
    name: str
    etag: str
    text: str
    until: int  # unix seconds: a REPLY leaves the inbox when its meeting ends (REQUEST: 0)


class InboxScanner:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: LRUCache[tuple[int, int, int], list[InboxMessage]] = LRUCache(maxsize=2048)
        self._guard = threading.Lock()

    def messages(
        self,
        calendars: list[CollectionRecord],
        items: Callable[[CollectionRecord], Iterator[ItemRecord]],
        now: float,
    ) -> list[tuple[str, str, str]]:
        """(inbox name, ETag, iTIP text) of every message of `calendars` (the user's)."""
        found: list[tuple[str, str, str]] = []
        for coll in self._own_calendars(calendars):
            base = self._base(coll)
            key = (coll.id, coll.seq, base)
            with self._guard:
                cached = self._cache.get(key)
            if cached is None:
                cached = self._scan(coll, items, base)
                with self._guard:
                    self._cache[key] = cached
            found.extend((m.name, m.etag, m.text) for m in cached if not m.until or m.until >= now)
        return found

    def _base(self, coll: CollectionRecord) -> int:
        """The collection's change sequence when its inbox was first listed."""
        stored = self.store.get_shared(BASE, str(coll.id))
        if stored is None:
            self.store.put_shared(BASE, str(coll.id), str(coll.seq), BASE_TTL_S)
            return coll.seq
        return int(stored)

    def _own_calendars(self, calendars: list[CollectionRecord]) -> list[CollectionRecord]:
        """The user's own calendars: no meeting view (C4: it holds copies of the user's own
        meetings, listed once), no grant's copy of another user's calendar (their messages)."""
        own = []
        for coll in calendars:
            if coll.kind is not CollectionKind.CALENDAR or coll.virtual or is_view(coll):
                continue
            if self.store.connection(coll.connection_id).user_id == coll.user_id:
                own.append(coll)
        return own

    def _scan(
        self,
        coll: CollectionRecord,
        items: Callable[[CollectionRecord], Iterator[ItemRecord]],
        base: int,
    ) -> list[InboxMessage]:
        account = [self.store.connection(coll.connection_id).account]
        found: list[InboxMessage] = []
        for item in items(coll):
            text = item.text or ""
            if "ORGANIZER" not in text or "ATTENDEE" not in text:
                continue
            role = itip.role(text, account)
            if role == "attendee" and mentions(text, "NEEDS-ACTION"):
                if itip.own_partstat(text, account) == "NEEDS-ACTION":
                    name = _name(f"{coll.name}/{item.href}")
                    found.append(InboxMessage(f"{name}.ics", item.etag, itip.as_request(text), 0))
            elif role == "organizer" and item.seq > base and mentions(text, "PARTSTAT="):
                for reply in itip_reply.answered(text, account):
                    name = _name(f"{coll.name}/{item.href}/{reply.attendee}")
                    etag = f'"{reply.answer}"'
                    found.append(InboxMessage(f"reply-{name}.ics", etag, reply.text, item.end))
        return found


def _name(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:24]
