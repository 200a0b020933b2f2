"""What queries outside the sync window remember (bridge/sync/outside.py): each answer for a
short while per (collection, range), and each item it answered, readable by its href for a
longer while and taken (once) when a client writes to that href.

Two keepers with one interface: `LocalMemo` in this process's memory (SQLite: one process),
and `SharedMemo` in the store's shared state (PostgreSQL, issue 17: several processes behind
a balancer), so that a client whose query went to one process and whose multiget, GET or PUT
goes to another is answered alike — found by its href, and a write adopts the provider's item
instead of creating a second event. An item is kept as its draft (JSON); its record is
rebuilt from it. Must not talk to providers or decide what a query answers.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from typing import Any, Protocol

from cachetools import TTLCache

from bridge.model import ItemRecord, PhoneEntry
from bridge.store import Store
from bridge.store.rows import ItemDraft, etag_of, href_for_uid

CACHE_S = 60.0  # how long an answer is reused for the same collection and range
RECALL_S = 600.0  # how long an answered item can be read by its href

Range = tuple[int, int, int]  # (collection id, start, end)


def record_of(collection_id: int, draft: ItemDraft) -> ItemRecord:
    """The item a query answers for a provider item outside the window (not mirrored)."""
    return ItemRecord(
        collection_id=collection_id,
        href=href_for_uid(draft.uid, ".ics"),
        uid=draft.uid,
        remote_id=draft.remote_id,
        version=draft.version,
        etag=etag_of(draft.text),
        text=draft.text,
        component=draft.component,
        start=draft.start,
        end=draft.end,
        seq=0,
    )


class Memo(Protocol):
    def answer(self, key: Range) -> list[ItemRecord] | None: ...

    def keep(self, key: Range, drafts: list[ItemDraft]) -> list[ItemRecord]: ...

    def recalled(self, collection_id: int, hrefs: list[str]) -> dict[str, ItemRecord]: ...

    def take(self, collection_id: int, href: str) -> ItemDraft | None: ...


class LocalMemo:
    """In this process's memory."""

    def __init__(self) -> None:
        self._answers: TTLCache[Range, list[ItemRecord]] = TTLCache(maxsize=256, ttl=CACHE_S)
        self._recall: TTLCache[tuple[int, str], ItemDraft] = TTLCache(maxsize=4096, ttl=RECALL_S)
        self._guard = threading.Lock()

    def answer(self, key: Range) -> list[ItemRecord] | None:
        with self._guard:
            return self._answers.get(key)

    def keep(self, key: Range, drafts: list[ItemDraft]) -> list[ItemRecord]:
        records = [record_of(key[0], d) for d in drafts]
        with self._guard:
            self._answers[key] = records
            for record, draft in zip(records, drafts, strict=True):
                self._recall[(key[0], record.href)] = draft
        return records

    def recalled(self, collection_id: int, hrefs: list[str]) -> dict[str, ItemRecord]:
        with self._guard:
            found = {h: self._recall.get((collection_id, h)) for h in hrefs}
        return {h: record_of(collection_id, d) for h, d in found.items() if d is not None}

    def take(self, collection_id: int, href: str) -> ItemDraft | None:
        with self._guard:
            return self._recall.pop((collection_id, href), None)


def _encode(draft: ItemDraft) -> dict[str, Any]:
    return dataclasses.asdict(draft)


def _decode(data: dict[str, Any]) -> ItemDraft:
    return ItemDraft(
        uid=str(data["uid"]),
        remote_id=str(data["remote_id"]),
        version=str(data["version"]),
        text=str(data["text"]),
        component=str(data["component"]),
        start=int(data["start"]),
        end=int(data["end"]),
        members=tuple(str(m) for m in data["members"]),
        phones=tuple(PhoneEntry(**p) for p in data["phones"]),
        added=None if data["added"] is None else str(data["added"]),
        texts=tuple((str(a), str(b)) for a, b in data["texts"]),
    )


class SharedMemo:
    """In the store's shared state: every process on the database sees the same."""

    ANSWER = "outside:answer"
    RECALL = "outside:recall"

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def _recall_key(collection_id: int, href: str) -> str:
        return f"{collection_id}\x1f{href}"

    def answer(self, key: Range) -> list[ItemRecord] | None:
        raw = self.store.get_shared(self.ANSWER, ":".join(map(str, key)))
        if raw is None:
            return None
        return [record_of(key[0], _decode(d)) for d in json.loads(raw)]

    def keep(self, key: Range, drafts: list[ItemDraft]) -> list[ItemRecord]:
        for draft in drafts:
            self.store.put_shared(
                self.RECALL,
                self._recall_key(key[0], href_for_uid(draft.uid, ".ics")),
                json.dumps(_encode(draft)),
                RECALL_S,
            )
        raw = json.dumps([_encode(d) for d in drafts])
        self.store.put_shared(self.ANSWER, ":".join(map(str, key)), raw, CACHE_S)
        return [record_of(key[0], d) for d in drafts]

    def recalled(self, collection_id: int, hrefs: list[str]) -> dict[str, ItemRecord]:
        found = {}
        for href in hrefs:
            raw = self.store.get_shared(self.RECALL, self._recall_key(collection_id, href))
            if raw is not None:
                found[href] = record_of(collection_id, _decode(json.loads(raw)))
        return found

    def take(self, collection_id: int, href: str) -> ItemDraft | None:
        raw = self.store.pop_shared(self.RECALL, self._recall_key(collection_id, href))
        return None if raw is None else _decode(json.loads(raw))


def memo_for(store: Store) -> Memo:
    """Shared when processes share the database (PostgreSQL), else this process's."""
    return SharedMemo(store) if store.dialect == "postgres" else LocalMemo()
