"""The mirror's collections: made, found, renamed, deleted, marked refreshed, and their sync
tokens (`<prefix>-<seq>`, RFC 6578).

Must not import providers, sync or radicale; items are item_reads.py's and mirror.py's."""

from __future__ import annotations

import secrets

from bridge.errors import NotFound
from bridge.model import CollectionKind, CollectionRecord
from bridge.store.names import NamesStore
from bridge.store.rows import (
    _COLLECTION_COLS,
    _collection,
    _slug,
)


class CollectionsStore(NamesStore):
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
