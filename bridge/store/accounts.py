"""Users, app passwords and connected accounts (secrets arrive already encrypted).

Must not import providers, sync or radicale."""

from __future__ import annotations

import time

from bridge.errors import NotFound
from bridge.store.base import StoreBase
from bridge.store.rows import (
    AppPasswordRow,
    ConnectionRow,
    UserRow,
)


class AccountsStore(StoreBase):
    # -- users and app passwords ----------------------------------------------------------
    def create_user(self, name: str, email: str | None = None) -> UserRow:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO users (name, email, created) VALUES (?, ?, ?)",
                (name, email, time.time()),
            )
            return UserRow(int(cur.lastrowid or 0), name, email)

    def user_by_name(self, name: str) -> UserRow | None:
        row = self._db.execute(
            "SELECT id, name, email FROM users WHERE name = ?", (name,)
        ).fetchone()
        return UserRow(*row) if row else None

    def user(self, user_id: int) -> UserRow:
        row = self._db.execute(
            "SELECT id, name, email FROM users WHERE id = ?", (user_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no user {user_id}")
        return UserRow(*row)

    def add_app_password(self, user_id: int, label: str, password_hash: str) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO app_passwords (user_id, label, hash, created) VALUES (?, ?, ?, ?)",
                (user_id, label, password_hash, time.time()),
            )
            return int(cur.lastrowid or 0)

    def app_password_hashes(self, user_id: int) -> list[tuple[int, str]]:
        return [
            (r[0], r[1])
            for r in self._db.execute(
                "SELECT id, hash FROM app_passwords WHERE user_id = ?", (user_id,)
            )
        ]

    def app_passwords(self, user_id: int) -> list[AppPasswordRow]:
        return [
            AppPasswordRow(*r)
            for r in self._db.execute(
                "SELECT id, label, created, last_used FROM app_passwords WHERE user_id = ? "
                "ORDER BY id",
                (user_id,),
            )
        ]

    def delete_app_password(self, user_id: int, password_id: int) -> bool:
        """Remove one of the user's app passwords; False when it does not exist."""
        with self._tx() as db:
            cur = db.execute(
                "DELETE FROM app_passwords WHERE id = ? AND user_id = ?", (password_id, user_id)
            )
            return cur.rowcount > 0

    def touch_app_password(self, password_id: int) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE app_passwords SET last_used = ? WHERE id = ?", (time.time(), password_id)
            )

    # -- connections ----------------------------------------------------------------------
    _CONN = "id, user_id, provider, account, settings, secret, status, error, last_sync"

    def create_connection(
        self, user_id: int, provider: str, account: str, settings: str, secret: bytes | None
    ) -> ConnectionRow:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO connections (user_id, provider, account, settings, secret, created) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, provider, account) DO UPDATE SET "
                "settings = excluded.settings, secret = excluded.secret, status = 'ok', "
                "error = NULL RETURNING id",
                (user_id, provider, account, settings, secret, time.time()),
            )
            conn_id = cur.fetchone()[0]
        return self.connection(conn_id)

    def connection(self, connection_id: int) -> ConnectionRow:
        row = self._db.execute(
            f"SELECT {self._CONN} FROM connections WHERE id = ?", (connection_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no connection {connection_id}")
        return ConnectionRow(*row)

    def connections(self, user_id: int | None = None) -> list[ConnectionRow]:
        if user_id is None:
            rows = self._db.execute(f"SELECT {self._CONN} FROM connections ORDER BY id")
        else:
            rows = self._db.execute(
                f"SELECT {self._CONN} FROM connections WHERE user_id = ? ORDER BY id", (user_id,)
            )
        return [ConnectionRow(*r) for r in rows]

    def set_connection_secret(self, connection_id: int, secret: bytes) -> None:
        with self._tx() as db:
            db.execute("UPDATE connections SET secret = ? WHERE id = ?", (secret, connection_id))

    def set_connection_settings(self, connection_id: int, settings: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE connections SET settings = ? WHERE id = ?", (settings, connection_id)
            )

    def replace_secrets(self, secrets_by_id: dict[int, bytes]) -> None:
        """Store re-encrypted secrets of several connections in one transaction."""
        with self._tx() as db:
            db.executemany(
                "UPDATE connections SET secret = ? WHERE id = ?",
                [(secret, conn_id) for conn_id, secret in secrets_by_id.items()],
            )

    def delete_connection(self, connection_id: int) -> None:
        """Erase a connection with its secret and everything mirrored from it (A5)."""
        with self._tx() as db:
            # phones_digits (FTS) shares rowids with phones and has no foreign key
            db.execute(
                "DELETE FROM phones_digits WHERE rowid IN (SELECT p.rowid FROM phones p "
                "JOIN collections c ON c.id = p.collection_id WHERE c.connection_id = ?)",
                (connection_id,),
            )
            db.execute("DELETE FROM connections WHERE id = ?", (connection_id,))

    def set_connection_status(
        self, connection_id: int, status: str, error: str | None, synced_at: float | None = None
    ) -> None:
        with self._tx() as db:
            if synced_at is None:
                db.execute(
                    "UPDATE connections SET status = ?, error = ? WHERE id = ?",
                    (status, error, connection_id),
                )
            else:
                db.execute(
                    "UPDATE connections SET status = ?, error = ?, last_sync = ? WHERE id = ?",
                    (status, error, synced_at, connection_id),
                )
