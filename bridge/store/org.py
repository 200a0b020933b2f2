"""The organisation's part of the store: groups with their policy overrides (P6), the
organisation policy (one row) and server-side portal sessions.

Policies are kept as JSON text; this module neither validates nor interprets them
(bridge/organisation/policy.py does). Sessions are keyed by the sha256 of their token: the token itself
never reaches the store. Must not import providers, sync or radicale.
"""

from __future__ import annotations

from bridge.errors import BadInput, NotFound
from bridge.store.base import StoreBase, integrity_errors
from bridge.store.rows import GroupRow, SessionRow

_SESSION = "token_hash, user_id, csrf, created, expires"


class OrgStore(StoreBase):
    # -- groups --------------------------------------------------------------------------------
    def create_group(self, name: str) -> GroupRow:
        try:
            with self._tx() as db:
                cur = db.execute(
                    "INSERT INTO groups (name, overrides) VALUES (?, '{}') RETURNING id", (name,)
                )
                group_id = int(cur.fetchone()[0])
        except integrity_errors() as exc:
            raise BadInput(f"a group named {name!r} already exists") from exc
        return self.group(group_id)

    def group(self, group_id: int) -> GroupRow:
        row = self._db.execute(
            "SELECT id, name, overrides FROM groups WHERE id = ?", (group_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no group {group_id}")
        return GroupRow(*row)

    def group_by_name(self, name: str) -> GroupRow | None:
        row = self._db.execute(
            "SELECT id, name, overrides FROM groups WHERE name = ?", (name,)
        ).fetchone()
        return GroupRow(*row) if row else None

    def groups(self) -> list[GroupRow]:
        return [
            GroupRow(*r)
            for r in self._db.execute("SELECT id, name, overrides FROM groups ORDER BY name")
        ]

    def set_group_overrides(self, group_id: int, overrides: str) -> None:
        with self._tx() as db:
            cur = db.execute("UPDATE groups SET overrides = ? WHERE id = ?", (overrides, group_id))
            if cur.rowcount == 0:
                raise NotFound(f"no group {group_id}")

    def delete_group(self, group_id: int) -> None:
        """Remove a group; its members keep their accounts and fall back to the org policy."""
        with self._tx() as db:
            cur = db.execute("DELETE FROM groups WHERE id = ?", (group_id,))
            if cur.rowcount == 0:
                raise NotFound(f"no group {group_id}")

    # -- organisation policy ------------------------------------------------------------------
    def org_policy(self) -> str:
        """The organisation policy as stored (JSON; '{}' = all defaults)."""
        row = self._db.execute("SELECT policy FROM org_settings WHERE id = 1").fetchone()
        return row[0] if row else "{}"

    def set_org_policy(self, policy: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO org_settings (id, policy) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET policy = excluded.policy",
                (policy,),
            )

    # -- portal sessions ----------------------------------------------------------------------
    def add_session(self, row: SessionRow) -> None:
        """Store a new session and drop every session expired by its creation time (expired
        sessions are purged opportunistically, here)."""
        with self._tx() as db:
            db.execute("DELETE FROM portal_sessions WHERE expires <= ?", (row.created,))
            db.execute(
                f"INSERT INTO portal_sessions ({_SESSION}) VALUES (?, ?, ?, ?, ?)",
                (row.token_hash, row.user_id, row.csrf, row.created, row.expires),
            )

    def session_row(self, token_hash: str) -> SessionRow | None:
        """The session, expired or not (the caller decides); None when unknown."""
        row = self._db.execute(
            f"SELECT {_SESSION} FROM portal_sessions WHERE token_hash = ?", (token_hash,)
        ).fetchone()
        return SessionRow(*row) if row else None

    def delete_session(self, token_hash: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM portal_sessions WHERE token_hash = ?", (token_hash,))

    def replace_session(self, old_hash: str, row: SessionRow) -> None:
        """End one session and start another in the same transaction (rotation at sign-in)."""
        with self._tx() as db:
            db.execute("DELETE FROM portal_sessions WHERE token_hash = ?", (old_hash,))
            db.execute("DELETE FROM portal_sessions WHERE expires <= ?", (row.created,))
            db.execute(
                f"INSERT INTO portal_sessions ({_SESSION}) VALUES (?, ?, ?, ?, ?)",
                (row.token_hash, row.user_id, row.csrf, row.created, row.expires),
            )

    def delete_user_sessions(self, user_id: int) -> int:
        """End every portal session of a user (password change); how many there were."""
        with self._tx() as db:
            return db.execute("DELETE FROM portal_sessions WHERE user_id = ?", (user_id,)).rowcount
