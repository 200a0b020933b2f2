"""What one pull's writes would otherwise ask the database item by item, read once.

What it does: `PullBatch.load` reads, at the start of `MirrorStore.apply_pull`'s transaction,
the collection's item rows (href -> remote id, deleted, etag), which provider items have
series members and which hrefs have phone numbers; the writes then look these up instead of
running a SELECT per item, and skip DELETEs that would find nothing (issue 14 point 1: a first
sync ran eight statements per item, now two). The writes keep the batch current.
What it must not do: change what is written — it only answers the questions the per-item
statements asked, inside the same transaction (nobody else writes meanwhile: the store's write
lock and BEGIN IMMEDIATE).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.store.base import Db


@dataclass
class PullBatch:
    rows: dict[str, tuple[str, int, str]] = field(
        default_factory=dict
    )  # href -> (rid, deleted, etag)
    with_members: set[str] = field(default_factory=set)  # remote ids with members rows
    with_phones: set[str] = field(default_factory=set)  # hrefs with phones rows

    @staticmethod
    def load(db: Db, collection_id: int) -> PullBatch:
        batch = PullBatch()
        for href, remote_id, deleted, etag in db.execute(
            "SELECT href, remote_id, deleted, etag FROM items WHERE collection_id = ?",
            (collection_id,),
        ):
            batch.rows[href] = (remote_id, deleted, etag)
        batch.with_members = {
            r[0]
            for r in db.execute(
                "SELECT DISTINCT remote_id FROM members WHERE collection_id = ?", (collection_id,)
            )
        }
        batch.with_phones = {
            r[0]
            for r in db.execute(
                "SELECT DISTINCT href FROM phones WHERE collection_id = ?", (collection_id,)
            )
        }
        return batch
