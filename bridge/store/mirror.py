"""The mirror's item writes: a pull applied in one transaction (per-collection change
sequences and tombstones), the provider's copy after a write-through, deletions.

Must not import providers, sync or radicale."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from bridge.errors import Superseded
from bridge.model import ItemRecord, PhoneEntry
from bridge.store.base import Db
from bridge.store.item_reads import ItemReadsStore
from bridge.store.pull_batch import Only, PullBatch
from bridge.store.rows import (
    ItemDraft,
    etag_of,
    href_for_uid,
)


class MirrorStore(ItemReadsStore):
    def _bump(self, db: Db, collection_id: int) -> int:
        return int(
            db.execute(
                "UPDATE collections SET seq = seq + 1 WHERE id = ? RETURNING seq", (collection_id,)
            ).fetchone()[0]
        )

    def _write(
        self,
        db: Db,
        collection_id: int,
        href: str,
        draft: ItemDraft,
        batch: PullBatch | None = None,
    ) -> bool:
        """Upsert one item at `href`; True when the served bytes changed. `batch`: what
        apply_pull read once (pull_batch.py), kept current here."""
        etag = etag_of(draft.text)
        known = None
        if batch is None:
            old = db.execute(
                "SELECT etag, deleted FROM items WHERE collection_id = ? AND href = ?",
                (collection_id, href),
            ).fetchone()
        else:
            known = batch.row(href)
            old = None if known is None else (known[2], known[1])
        if old and old[0] == etag and not old[1]:
            if draft.texts and not self._has_texts(db, collection_id, href):
                self._set_texts(db, collection_id, href, draft.texts)  # filled once (K5)
            db.execute(
                "UPDATE items SET version = ?, remote_id = ?, added = ? WHERE collection_id = ? "
                "AND href = ?",
                (draft.version, draft.remote_id, draft.added, collection_id, href),
            )
            self._set_members(db, collection_id, draft, batch)
            if batch is not None:
                batch.rows[href] = (draft.remote_id, 0, etag)
            return False
        seq = self._bump(db, collection_id) if batch is None else batch.take_seq()
        db.execute(
            "INSERT INTO items (collection_id, href, uid, remote_id, version, etag, text, "
            'component, start, "end", seq, deleted, modified, added) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (collection_id, href) "
            "DO UPDATE SET uid = excluded.uid, remote_id = excluded.remote_id, "
            "version = excluded.version, etag = excluded.etag, text = excluded.text, "
            'component = excluded.component, start = excluded.start, "end" = excluded."end", '
            "seq = excluded.seq, deleted = 0, modified = excluded.modified, "
            "added = excluded.added",
            (
                collection_id,
                href,
                draft.uid,
                draft.remote_id,
                draft.version,
                etag,
                draft.text,
                draft.component,
                draft.start,
                draft.end,
                seq,
                time.time(),
                draft.added,
            ),
        )
        self._set_members(db, collection_id, draft, batch)
        self._set_phones(db, collection_id, href, draft.phones, batch)
        # an href without a live row has no search texts (a tombstone dropped them): nothing
        # to delete for an event or a card without any (a first sync: 2 statements fewer each)
        if draft.texts or batch is None or (known is not None and not known[1]):
            self._set_texts(db, collection_id, href, draft.texts)
        if batch is not None:
            batch.rows[href] = (draft.remote_id, 0, etag)
        return True

    def _set_phones(
        self,
        db: Db,
        collection_id: int,
        href: str,
        phones: Sequence[PhoneEntry],
        batch: PullBatch | None = None,
    ) -> None:
        if batch is None or href in batch.with_phones:  # else the DELETEs would find nothing
            # the substring index shares the rowids of `phones` (found through phones_item)
            db.execute(
                "DELETE FROM phones_digits WHERE rowid IN "
                "(SELECT rowid FROM phones WHERE collection_id = ? AND href = ?)",
                (collection_id, href),
            )
            db.execute(
                "DELETE FROM phones WHERE collection_id = ? AND href = ?", (collection_id, href)
            )
        if batch is not None and phones:
            batch.with_phones.add(href)
        for p in phones:
            rowid = db.execute(
                "INSERT INTO phones (collection_id, href, e164, national, raw, kind, name, org) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING rowid",
                (collection_id, href, p.e164, p.national, p.raw, p.kind, p.name, p.org),
            ).fetchone()[0]
            db.execute(
                "INSERT INTO phones_digits (rowid, digits) VALUES (?, ?)",
                (rowid, p.e164.lstrip("+") + " " + p.national),
            )

    def _set_members(
        self,
        db: Db,
        collection_id: int,
        draft: ItemDraft,
        batch: PullBatch | None = None,
    ) -> None:
        if batch is None or draft.remote_id in batch.with_members:  # else nothing to delete
            db.execute(
                "DELETE FROM members WHERE collection_id = ? AND remote_id = ?",
                (collection_id, draft.remote_id),
            )
        rows = [(collection_id, m, draft.remote_id) for m in draft.members if m != draft.remote_id]
        if rows:
            db.executemany(
                "INSERT INTO members VALUES (?, ?, ?) ON CONFLICT (collection_id, member_id) "
                "DO UPDATE SET remote_id = excluded.remote_id",
                rows,
            )
            if batch is not None:
                batch.with_members.add(draft.remote_id)

    def _tombstone(self, db: Db, collection_id: int, href: str) -> None:
        row = db.execute(
            "SELECT remote_id FROM items WHERE collection_id = ? AND href = ? AND deleted = 0",
            (collection_id, href),
        ).fetchone()
        if row is None:
            return
        seq = self._bump(db, collection_id)
        db.execute(
            "UPDATE items SET deleted = 1, text = NULL, added = NULL, seq = ?, modified = ?, "
            "written = 0 "
            "WHERE collection_id = ? AND href = ?",
            (seq, time.time(), collection_id, href),
        )
        db.execute(
            "DELETE FROM members WHERE collection_id = ? AND remote_id = ?", (collection_id, row[0])
        )
        self._set_phones(db, collection_id, href, ())
        self._set_texts(db, collection_id, href, ())

    def apply_pull(
        self,
        collection_id: int,
        upserts: Iterable[ItemDraft],
        removed_remote_ids: Iterable[str],
        cursor: str | None,
        reset: bool,
        refreshed_at: float | None,
        suffix: str = ".ics",
        epoch: int | None = None,
    ) -> int:
        """Apply one pull in one transaction; returns how many items changed. A streamed
        full listing's batches pass the collection's old cursor and refresh time. `epoch`:
        the calendar's private-event setting the drafts were made under (store.delegation);
        changed since, nothing is stored (Superseded)."""
        changed = 0
        drafts = list(upserts)
        gone = set(removed_remote_ids)
        with self._tx() as db:
            if epoch is not None:
                row = db.execute(
                    "SELECT epoch FROM collection_privacy WHERE collection_id = ?",
                    (collection_id,),
                ).fetchone()
                if (int(row[0]) if row else 0) != epoch:
                    raise Superseded(collection_id)
            if reset:  # what the listing does not hold goes: every row is needed
                batch = PullBatch.load(db, collection_id)
            else:  # only the rows of these items (a streamed listing's batch, an increment)
                only = Only(
                    frozenset({d.remote_id for d in drafts} | gone),
                    frozenset(href_for_uid(d.uid, suffix) for d in drafts),
                )
                batch = PullBatch.load(db, collection_id, only)
            href_of = {rid: href for href, (rid, deleted, _) in batch.rows.items() if not deleted}
            seen: set[str] = set()
            for draft in drafts:
                seen.add(draft.remote_id)
                href = href_of.get(draft.remote_id)
                if href is None:
                    href = href_for_uid(draft.uid, suffix)
                    n = 1
                    while True:
                        clash = batch.row(href)
                        if clash is None or clash[1] or clash[0] == draft.remote_id:
                            break
                        n += 1
                        href = href_for_uid(f"{draft.uid}-{n}", suffix)
                    href_of[draft.remote_id] = href
                changed += self._write(db, collection_id, href, draft, batch)
            batch.save_seq(db, collection_id)  # before a tombstone bumps it
            if reset:
                gone |= set(href_of) - seen
            for remote_id in gone - seen:
                href = href_of.get(remote_id)
                if href is not None:
                    self._tombstone(db, collection_id, href)
                    changed += 1
            db.execute(
                "UPDATE collections SET cursor = ?, refreshed_at = ? WHERE id = ?",
                (cursor, refreshed_at, collection_id),
            )
        return changed

    def put_item(self, collection_id: int, href: str, draft: ItemDraft) -> ItemRecord:
        """Store the provider's canonical copy after a write-through."""
        with self._tx() as db:
            other = db.execute(
                "SELECT href FROM items WHERE collection_id = ? AND remote_id = ? "
                "AND deleted = 0 AND href != ?",
                (collection_id, draft.remote_id, href),
            ).fetchone()
            if other:  # the same provider object under another name: keep one resource
                self._tombstone(db, collection_id, other[0])
            self._write(db, collection_id, href, draft)
            db.execute(
                "UPDATE items SET written = 1 WHERE collection_id = ? AND href = ?",
                (collection_id, href),
            )
        item = self.item(collection_id, href)
        assert item is not None
        return item

    def written_outside(self, collection_id: int, start: int, end: int) -> set[str]:
        """Remote ids of live items a DAV client wrote whose time range lies entirely
        outside [start, end) (unix seconds): the sync window does not list them, yet they
        stay served while the provider has them (issue 11)."""
        rows = self._db.execute(
            "SELECT remote_id FROM items WHERE collection_id = ? AND deleted = 0 AND written = 1 "
            'AND ("end" <= ? OR start >= ?)',
            (collection_id, start, end),
        )
        return {r[0] for r in rows}

    def delete_item(self, collection_id: int, href: str) -> None:
        with self._tx() as db:
            self._tombstone(db, collection_id, href)
