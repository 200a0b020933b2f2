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

from collections.abc import Iterable, Iterator
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

    # partial (`load(..., only=...)`): the rows read so far; others are read when asked for
    partial: bool = False
    known: set[str] = field(default_factory=set)
    db: Db | None = None
    collection_id: int = 0

    @staticmethod
    def load(db: Db, collection_id: int, only: Only | None = None) -> PullBatch:
        """The batch of one pull's transaction: every row of the collection, or with `only`
        those of the given remote ids and hrefs (others read one by one when `row` asks for
        them) — a streamed first sync's batches of 2,000 then no longer read every row of a
        large collection again (quadratic in its size)."""
        batch = PullBatch()
        # an UPDATE, not a SELECT: it holds the row (PostgreSQL) until the batch commits
        row = db.execute(
            "UPDATE collections SET seq = seq WHERE id = ? RETURNING seq", (collection_id,)
        ).fetchone()
        batch.seq = batch.saved_seq = int(row[0]) if row is not None else 0
        if only is None:
            for href, remote_id, deleted, etag in db.execute(
                "SELECT href, remote_id, deleted, etag FROM items WHERE collection_id = ?",
                (collection_id,),
            ):
                batch.rows[href] = (remote_id, deleted, etag)
            batch.with_members = {
                r[0]
                for r in db.execute(
                    "SELECT DISTINCT remote_id FROM members WHERE collection_id = ?",
                    (collection_id,),
                )
            }
            batch.with_phones = {
                r[0]
                for r in db.execute(
                    "SELECT DISTINCT href FROM phones WHERE collection_id = ?", (collection_id,)
                )
            }
            return batch
        batch.partial, batch.db, batch.collection_id = True, db, collection_id
        hrefs = set(only.hrefs)
        for chunk in _chunks(only.remote_ids):
            marks = ", ".join("?" * len(chunk))
            for href, remote_id, deleted, etag in db.execute(
                "SELECT href, remote_id, deleted, etag FROM items WHERE collection_id = ? "
                f"AND remote_id IN ({marks})",
                (collection_id, *chunk),
            ):
                batch.rows[href] = (remote_id, deleted, etag)
                hrefs.add(href)
            batch.with_members |= {
                r[0]
                for r in db.execute(
                    "SELECT DISTINCT remote_id FROM members WHERE collection_id = ? "
                    f"AND remote_id IN ({marks})",
                    (collection_id, *chunk),
                )
            }
        batch._read_hrefs(hrefs)
        return batch

    def _read_hrefs(self, hrefs: set[str]) -> None:
        assert self.db is not None
        todo = sorted(hrefs - self.known)
        self.known |= hrefs
        for chunk in _chunks(todo):
            marks = ", ".join("?" * len(chunk))
            for href, remote_id, deleted, etag in self.db.execute(
                "SELECT href, remote_id, deleted, etag FROM items WHERE collection_id = ? "
                f"AND href IN ({marks})",
                (self.collection_id, *chunk),
            ):
                self.rows[href] = (remote_id, deleted, etag)
            self.with_phones |= {
                r[0]
                for r in self.db.execute(
                    "SELECT DISTINCT href FROM phones WHERE collection_id = ? "
                    f"AND href IN ({marks})",
                    (self.collection_id, *chunk),
                )
            }

    def row(self, href: str) -> tuple[str, int, str] | None:
        """(remote id, deleted, etag) of the collection's row at `href`, None when none."""
        if self.partial and href not in self.known:
            self._read_hrefs({href})
        return self.rows.get(href)

    def take_seq(self) -> int:
        """The next change number of the collection (what `UPDATE … seq + 1` would give)."""
        self.seq += 1
        return self.seq

    def save_seq(self, db: Db, collection_id: int) -> None:
        """Store the numbers taken, before anything else bumps the counter."""
        if self.seq != self.saved_seq:
            db.execute("UPDATE collections SET seq = ? WHERE id = ?", (self.seq, collection_id))
            self.saved_seq = self.seq


@dataclass(frozen=True)
class Only:
    """The rows a partial batch reads up front: those of these remote ids and hrefs."""

    remote_ids: frozenset[str]
    hrefs: frozenset[str]


_CHUNK = 500  # bound variables per IN list (SQLite's limit is 32,766 since 3.32; older: 999)


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    chunk: list[str] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
