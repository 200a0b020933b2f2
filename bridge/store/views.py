"""Meeting views (C4) in the mirror: the per-user switches and the materialised items of a
view collection.

A view is a read-only collection of its own (own sync-token prefix and change sequence, so
RFC 6578 tokens work as for any calendar) whose items are copies of items of the user's real
calendars: same text, hence the same ETag (`etag_of`), under an href that names the source
collection ("<source>--<href>"). `apply_view` writes one rebuild step in one transaction —
copies that changed bump the view's sequence, copies whose source item is gone become
tombstones — and stores the sources' sync tokens the view was built from as its cursor.
Must not import providers, sync or radicale; which items belong to a view is the sync
layer's decision (bridge/sync/views.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bridge.store.mirror import MirrorStore
from bridge.store.rows import ItemDraft

SEPARATOR = "--"


class ViewsStore(MirrorStore):
    def meeting_views(self, user_id: int) -> frozenset[str]:
        row = self._db.execute(
            "SELECT meeting_views FROM users WHERE id = ?", (user_id,)
        ).fetchone()
        return frozenset(v for v in (row[0] if row else "").split(",") if v)

    def set_meeting_views(self, user_id: int, views: Iterable[str]) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE users SET meeting_views = ? WHERE id = ?",
                (",".join(sorted(set(views))), user_id),
            )

    def view_hrefs(self, view_id: int, source_name: str | None = None) -> list[str]:
        """Live hrefs of the view (only those copied from `source_name` when given)."""
        sql = "SELECT href FROM items WHERE collection_id = ? AND deleted = 0"
        args: list[object] = [view_id]
        if source_name is not None:
            prefix = source_name + SEPARATOR
            sql += " AND substr(href, 1, ?) = ?"
            args += [len(prefix), prefix]
        return [r[0] for r in self._db.execute(sql, args)]

    def apply_view(
        self,
        view_id: int,
        upserts: Sequence[tuple[str, ItemDraft]],
        removed: Iterable[str],
        cursor: str,
        at: float,
    ) -> int:
        """One rebuild step of a view in one transaction; returns how many copies changed."""
        changed = 0
        with self._tx() as db:
            for href, draft in upserts:
                changed += self._write(db, view_id, href, draft)
            for href in removed:
                before = db.execute(
                    "SELECT 1 FROM items WHERE collection_id = ? AND href = ? AND deleted = 0",
                    (view_id, href),
                ).fetchone()
                if before:
                    self._tombstone(db, view_id, href)
                    changed += 1
            db.execute(
                "UPDATE collections SET cursor = ?, refreshed_at = ? WHERE id = ?",
                (cursor, at, view_id),
            )
        return changed
