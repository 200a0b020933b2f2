"""What one pull's writes would otherwise ask the database item by item, read once.

What it does: `PullBatch.load` reads, at the start of `MirrorStore.apply_pull`'s transaction,
the collection's item rows (href -> remote id, deleted, etag), which provider items have
series members and which hrefs have phone numbers; the writes then look these up instead of
running a SELECT per item, and skip DELETEs that would find nothing (issue 14 point 1: a first
sync ran eight statements per item, now one), and it hands out the collection's change numbers
(seq), stored once for the batch. The writes keep the batch current.
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
    # the collection's change counter: `take_seq` hands out the next numbers, `save_seq`
    # stores the last one (one statement for the batch, not one UPDATE … RETURNING per item)
    seq: int = 0
    saved_seq: int = 0

    @staticmethod
    def load(db: Db, collection_id: int) -> PullBatch:
        batch = PullBatch()
        # an UPDATE, not a SELECT: it holds the row (PostgreSQL) until the batch commits
        row = db.execute(
            "UPDATE collections SET seq = seq WHERE id = ? RETURNING seq", (collection_id,)
        ).fetchone()
        batch.seq = batch.saved_seq = int(row[0]) if row is not None else 0
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

    def take_seq(self) -> int:
        """The next change number of the collection (what `UPDATE … seq + 1` would give)."""
        self.seq += 1
        return self.seq

    def save_seq(self, db: Db, collection_id: int) -> None:
        """Store the numbers taken, before anything else bumps the counter."""
        if self.seq != self.saved_seq:
            db.execute("UPDATE collections SET seq = ? WHERE id = ?", (self.seq, collection_id))
            self.saved_seq = self.seq
