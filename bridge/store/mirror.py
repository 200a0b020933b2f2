"""The mirror: collections and items with per-collection change sequences and tombstones
(sync tokens are `<prefix>-<seq>`, RFC 6578), written in one transaction per pull.

Must not import providers, sync or radicale."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from bridge.errors import NotFound
from bridge.model import CollectionKind, CollectionRecord, ItemRecord, PhoneEntry
from bridge.store.base import Db
from bridge.store.names import NamesStore
from bridge.store.pull_batch import Only, PullBatch
from bridge.store.rows import (
    _COLLECTION_COLS,
    _ITEM_COLS,
    ItemDraft,
    _collection,
    _item,
    _slug,
    etag_of,
    href_for_uid,
)

#: Rows fetched at a time by a streamed read.
_STREAM_BATCH = 256
#: Hrefs asked for at once from which `blobs_by_href` considers reading a range instead.
_DENSE_AT_LEAST = 16


class MirrorStore(NamesStore):
    # -- collections ----------------------------------------------------------------------
    def upsert_collection(
        self,
        user_id: int,
        connection_id: int,
        kind: CollectionKind,
        remote_id: str,
        display_name: str,
        color: str | None,
        read_only: bool,
        owner: str | None,
        name: str | None = None,
    ) -> CollectionRecord:
        """Insert or update by (connection, kind, remote id). A new collection is named
        `name` when given (the path segment a client chose in MKCALENDAR/MKCOL), else a slug
        of its display name made unique among the user's collections."""
        with self._tx() as db:
            row = db.execute(
                "SELECT id FROM collections WHERE connection_id = ? AND kind = ? AND remote_id = ?",
                (connection_id, kind.value, remote_id),
            ).fetchone()
            if row:
                db.execute(
                    "UPDATE collections SET display_name = ?, color = ?, read_only = ?, "
                    "owner = ? WHERE id = ?",
                    (display_name, color, int(read_only), owner, row[0]),
                )
                coll_id = row[0]
            else:
                base = name or _slug(display_name.replace("Microsoft 365", "m365"))
                name, n = base, 1
                while db.execute(
                    "SELECT 1 FROM collections WHERE user_id = ? AND name = ?", (user_id, name)
                ).fetchone():
                    n += 1
                    name = f"{base}-{n}"
                cur = db.execute(
                    "INSERT INTO collections (user_id, connection_id, kind, name, remote_id, "
                    "display_name, color, read_only, owner, token_prefix) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (
                        user_id,
                        connection_id,
                        kind.value,
                        name,
                        remote_id,
                        display_name,
                        color,
                        int(read_only),
                        owner,
                        secrets.token_hex(6),
                    ),
                )
                coll_id = cur.fetchone()[0]
        return self.collection(int(coll_id or 0))

    def collection(self, collection_id: int) -> CollectionRecord:
        row = self._db.execute(
            f"SELECT {_COLLECTION_COLS} FROM collections WHERE id = ?", (collection_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no collection {collection_id}")
        return _collection(row)

    def collection_by_name(self, user_id: int, name: str) -> CollectionRecord | None:
        row = self._db.execute(
            f"SELECT {_COLLECTION_COLS} FROM collections WHERE user_id = ? AND name = ?",
            (user_id, name),
        ).fetchone()
        return _collection(row) if row else None

    def collections(
        self, user_id: int | None = None, connection_id: int | None = None
    ) -> list[CollectionRecord]:
        sql, args = f"SELECT {_COLLECTION_COLS} FROM collections WHERE 1=1", []
        if user_id is not None:
            sql += " AND user_id = ?"
            args.append(user_id)
        if connection_id is not None:
            sql += " AND connection_id = ?"
            args.append(connection_id)
        return [_collection(r) for r in self._db.execute(sql + " ORDER BY id", args)]

    def delete_collection(self, collection_id: int) -> None:
        with self._tx() as db:
            db.execute(
                "DELETE FROM phones_digits WHERE rowid IN "
                "(SELECT rowid FROM phones WHERE collection_id = ?)",
                (collection_id,),
            )
            self._drop_texts(db, collection_id)
            db.execute("DELETE FROM collections WHERE id = ?", (collection_id,))

    def mark_refreshed(self, collection_id: int, at: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE collections SET refreshed_at = ? WHERE id = ?", (at, collection_id))

    def sync_token(self, collection_id: int) -> str:
        row = self._db.execute(
            "SELECT token_prefix, seq FROM collections WHERE id = ?", (collection_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no collection {collection_id}")
        return f"{row[0]}-{row[1]}"

    # -- items: reads ---------------------------------------------------------------------
    def items(self, collection_id: int) -> list[ItemRecord]:
        return [
            _item(r)
            for r in self._db.execute(
                f"SELECT {_ITEM_COLS} FROM items WHERE collection_id = ? AND deleted = 0 "
                "ORDER BY href",
                (collection_id,),
            )
        ]

    def item_texts(self, collection_id: int) -> list[tuple[str, str, str, str]]:
        """(href, etag, component, text) of every live item (a list: for counting and tools)."""
        return self._db.execute(
            "SELECT href, etag, component, text FROM items WHERE collection_id = ? AND "
            "deleted = 0 ORDER BY href",
            (collection_id,),
        ).fetchall()

    def _stream(self, sql: str, params: tuple[object, ...]) -> Iterator[Any]:
        """Rows of one SELECT read in batches from one statement (one consistent snapshot
        under WAL), so a bulk answer never holds a whole collection; the statement is closed
        when the iteration ends or is abandoned (generator close)."""
        cursor = self._db.execute(sql, params)
        try:
            while rows := cursor.fetchmany(_STREAM_BATCH):
                yield from rows
        finally:
            cursor.close()

    def item_records(self, collection_id: int) -> Iterator[ItemRecord]:
        """Every live item in href order, streamed (queries filter them one by one)."""
        return (
            _item(r)
            for r in self._stream(
                f"SELECT {_ITEM_COLS} FROM items WHERE collection_id = ? AND deleted = 0 "
                "ORDER BY href",
                (collection_id,),
            )
        )

    def item_listing(self, collection_id: int) -> Iterator[tuple[str, str, str]]:
        """(href, etag, component) of every live item in href order, streamed (PROPFIND)."""
        return self._stream(
            "SELECT href, etag, component FROM items WHERE collection_id = ? AND deleted = 0 "
            "ORDER BY href",
            (collection_id,),
        )

    def item_blobs(self, collection_id: int) -> Iterator[tuple[str, str, bytes]]:
        """(href, etag, UTF-8 text) of every live item in href order, text never decoded,
        streamed (bulk answers)."""
        return self._stream(
            "SELECT href, etag, CAST(text AS BLOB) FROM items WHERE collection_id = ? AND "
            "deleted = 0 ORDER BY href",
            (collection_id,),
        )

    def blobs_by_href(
        self, collection_id: int, hrefs: Sequence[str]
    ) -> dict[str, tuple[str, bytes]]:
        """href -> (etag, UTF-8 text) of the live items among `hrefs` (call it with bounded
        batches: the answer holds their texts).

        Hrefs that are most of the live items between the lowest and the highest of them (a
        multiget of a listing, a sync's changes after a full pull) are read in one range of
        the primary key, the few others in it skipped: one seek instead of one per href
        (2,000 events: 4.5 ms instead of 10 ms); scattered ones by `href IN (...)`."""
        found: dict[str, tuple[str, bytes]] = {}
        unique = list(dict.fromkeys(hrefs))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            rest = chunk
            if len(chunk) >= _DENSE_AT_LEAST:
                low, high = min(chunk), max(chunk)
                if self._live_between(collection_id, low, high) <= 2 * len(chunk):
                    wanted = set(chunk)
                    for href, etag, data in self._db.execute(
                        "SELECT href, etag, CAST(text AS BLOB) FROM items WHERE "
                        "collection_id = ? AND deleted = 0 AND href BETWEEN ? AND ?",
                        (collection_id, low, high),
                    ):
                        if href in wanted:
                            found[href] = (etag, data)
                    # the database's order is the code points' (BINARY, COLLATE "C"); any
                    # href it placed elsewhere is looked up by name all the same
                    rest = [h for h in chunk if h not in found]
            if rest:
                found.update(self._blobs_in(collection_id, rest))
        return found

    def _live_between(self, collection_id: int, low: str, high: str) -> int:
        """How many live items have an href from `low` to `high` (the listing index alone)."""
        row = self._db.execute(
            "SELECT count(*) FROM items WHERE collection_id = ? AND deleted = 0 AND "
            "href BETWEEN ? AND ?",
            (collection_id, low, high),
        ).fetchone()
        return int(row[0]) if row else 0

    def _blobs_in(self, collection_id: int, hrefs: Sequence[str]) -> dict[str, tuple[str, bytes]]:
        marks = ",".join("?" * len(hrefs))
        rows = self._db.execute(
            "SELECT href, etag, CAST(text AS BLOB) FROM items WHERE collection_id = ? "
            f"AND deleted = 0 AND href IN ({marks})",
            (collection_id, *hrefs),
        )
        return {href: (etag, data) for href, etag, data in rows}

    def etags_by_href(self, collection_id: int, hrefs: Sequence[str]) -> dict[str, str]:
        """href -> ETag of the live items among `hrefs`, from the listing index alone (no
        item's text is read)."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(hrefs))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT href, etag FROM items WHERE collection_id = ? AND deleted = 0 "
                f"AND href IN ({marks})",
                (collection_id, *chunk),
            )
            found.update(rows)
        return found

    def items_by_href(self, collection_id: int, hrefs: Sequence[str]) -> dict[str, ItemRecord]:
        found: dict[str, ItemRecord] = {}
        unique = list(dict.fromkeys(hrefs))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._db.execute(
                f"SELECT {_ITEM_COLS} FROM items WHERE collection_id = ? AND deleted = 0 "
                f"AND href IN ({marks})",
                (collection_id, *chunk),
            ):
                found[r[1]] = _item(r)
        return found

    def item(self, collection_id: int, href: str) -> ItemRecord | None:
        return self.items_by_href(collection_id, [href]).get(href)

    def item_by_uid(self, collection_id: int, uid: str) -> ItemRecord | None:
        row = self._db.execute(
            f"SELECT {_ITEM_COLS} FROM items WHERE collection_id = ? AND uid = ? AND deleted = 0",
            (collection_id, uid),
        ).fetchone()
        return _item(row) if row else None

    def item_by_remote_id(self, collection_id: int, remote_id: str) -> ItemRecord | None:
        row = self._db.execute(
            f"SELECT {_ITEM_COLS} FROM items WHERE collection_id = ? AND "
            "remote_id = ? AND deleted = 0",
            (collection_id, remote_id),
        ).fetchone()
        return _item(row) if row else None

    def live_remote_ids(self, collection_id: int) -> set[str]:
        """The remote ids of the collection's live items (a streamed full listing removes
        those it did not hold, bridge/sync/stream.py)."""
        rows = self._db.execute(
            "SELECT remote_id FROM items WHERE collection_id = ? AND deleted = 0",
            (collection_id,),
        )
        return {r[0] for r in rows}

    def resource_for(self, collection_id: int, provider_id: str) -> str | None:
        """The remote id of the live resource `provider_id` is (or is a member of)."""
        if self.item_by_remote_id(collection_id, provider_id):
            return provider_id
        row = self._db.execute(
            "SELECT remote_id FROM members WHERE collection_id = ? AND member_id = ?",
            (collection_id, provider_id),
        ).fetchone()
        return row[0] if row else None

    def changes_since(self, collection_id: int, token: str) -> tuple[str, list[str]]:
        """(current token, hrefs changed or deleted after `token`). ValueError: bad token."""
        row = self._db.execute(
            "SELECT token_prefix, seq FROM collections WHERE id = ?", (collection_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no collection {collection_id}")
        prefix, seq = row
        current = f"{prefix}-{seq}"
        if not token:
            return current, [
                r[0]
                for r in self._db.execute(
                    "SELECT href FROM items WHERE collection_id = ? AND deleted = 0 ORDER BY href",
                    (collection_id,),
                )
            ]
        old_prefix, _, old_seq = token.rpartition("-")
        if old_prefix != prefix or not old_seq.isdigit() or int(old_seq) > seq:
            raise ValueError(f"sync token {token!r} is not valid for this collection")
        return current, [
            r[0]
            for r in self._db.execute(
                "SELECT href FROM items WHERE collection_id = ? AND seq > ? ORDER BY seq",
                (collection_id, int(old_seq)),
            )
        ]

    # -- items: writes --------------------------------------------------------------------
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
    ) -> int:
        """Apply one pull in one transaction; returns how many items changed. A streamed
        full listing's batches pass the collection's old cursor and refresh time."""
        changed = 0
        drafts = list(upserts)
        gone = set(removed_remote_ids)
        with self._tx() as db:
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
