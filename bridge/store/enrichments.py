"""What enrichment added to each mirrored event (issue 10): read it for the write path, and
replace served texts when a user's enrichment choices change. Only SQL; the record itself is
opaque JSON here (bridge.joinlinks.record gives it meaning)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from bridge.store.base import StoreBase
from bridge.store.rows import etag_of


class EnrichmentStore(StoreBase):
    def enrichment(self, collection_id: int, href: str) -> str | None:
        """The JSON record of what enrichment added to the item at `href` (None: unknown)."""
        row = self._db.execute(
            "SELECT added FROM items WHERE collection_id = ? AND href = ? AND deleted = 0",
            (collection_id, href),
        ).fetchone()
        return None if row is None else row[0]

    def enriched_items(self, collection_id: int) -> list[tuple[str, str, str | None]]:
        """(href, text, record) of every live item of a collection."""
        return self._db.execute(
            "SELECT href, text, added FROM items WHERE collection_id = ? AND deleted = 0 "
            "ORDER BY href",
            (collection_id,),
        ).fetchall()

    def replace_rendering(self, collection_id: int, updates: Sequence[tuple[str, str, str]]) -> int:
        """Store new served texts (href, text, record) of live items in one transaction; each
        changed text gets a new ETag and a new sync sequence. Returns how many changed."""
        changed = 0
        with self._tx() as db:
            for href, text, record in updates:
                etag = etag_of(text)
                row = db.execute(
                    "SELECT etag FROM items WHERE collection_id = ? AND href = ? AND deleted = 0",
                    (collection_id, href),
                ).fetchone()
                if row is None or row[0] == etag:
                    continue
                seq = int(
                    db.execute(
                        "UPDATE collections SET seq = seq + 1 WHERE id = ? RETURNING seq",
                        (collection_id,),
                    ).fetchone()[0]
                )
                db.execute(
                    "UPDATE items SET text = ?, etag = ?, added = ?, seq = ?, modified = ? "
                    "WHERE collection_id = ? AND href = ?",
                    (text, etag, record, seq, time.time(), collection_id, href),
                )
                changed += 1
        return changed
