"""What DAV clients set on collections (issue 11): a display name and a colour served as the
client set them while the provider keeps what it made of them (no " — <service>" label, no
palette rounding). Only SQL; the rule for when the client's value is served is the sync
engine's (bridge.sync.engine)."""

from __future__ import annotations

from bridge.model import CollectionKind
from bridge.store.base import StoreBase
from bridge.store.rows import ClientProps


class ClientPropsStore(StoreBase):
    def client_props(self, connection_id: int) -> dict[str, ClientProps]:
        """remote id → what a DAV client set on that collection, for the collections of one
        connection where a client set something."""
        rows = self._db.execute(
            "SELECT remote_id, client_name, client_color, client_color_of FROM collections "
            "WHERE connection_id = ? AND (client_name IS NOT NULL OR client_color IS NOT NULL)",
            (connection_id,),
        ).fetchall()
        return {str(r[0]): ClientProps(r[1], r[2], r[3]) for r in rows}

    def set_client_name(self, collection_id: int, name: str | None) -> None:
        with self._tx() as db:
            db.execute("UPDATE collections SET client_name = ? WHERE id = ?", (name, collection_id))

    def set_client_color(
        self, collection_id: int, color: str | None, color_of: str | None = None
    ) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE collections SET client_color = ?, client_color_of = ? WHERE id = ?",
                (color, color_of, collection_id),
            )

    def see_client_color(self, connection_id: int, remote_id: str, color_of: str) -> None:
        """Record the provider's colour for the colour a client set on a calendar."""
        with self._tx() as db:
            db.execute(
                "UPDATE collections SET client_color_of = ? WHERE connection_id = ? AND "
                "kind = ? AND remote_id = ? AND client_color IS NOT NULL",
                (color_of, connection_id, CollectionKind.CALENDAR.value, remote_id),
            )
