"""Users, app passwords and connected accounts (secrets arrive already encrypted).

Must not import providers, sync or radicale."""

from __future__ import annotations

import time
from typing import Any

from bridge.errors import NotFound
from bridge.store.base import StoreBase
from bridge.store.rows import (
    AppPasswordRow,
    ConnectionRow,
    ConnectionSettings,
    ConnectionState,
    UserRow,
)


class AccountsStore(StoreBase):
    # -- users ----------------------------------------------------------------------------
    _USER = "id, name, email, is_admin, group_id, password_hash IS NOT NULL, sign_ins, display_name"

    @staticmethod
    def _user_row(row: Any) -> UserRow:
        uid, name, email, is_admin, group_id, has_password, sign_ins, display_name = row
        return UserRow(
            uid, name, email, bool(is_admin), group_id, bool(has_password), sign_ins, display_name
        )

    def set_display_name(self, user_id: int, display_name: str) -> bool:
        """Record how the user's provider account names them; True when it changed."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE users SET display_name = ? WHERE id = ? "
                "AND (display_name IS NULL OR display_name <> ?)",
                (display_name, user_id, display_name),
            )
            return bool(cur.rowcount)

    def create_user(
        self,
        name: str,
        email: str | None = None,
        password_hash: str | None = None,
        is_admin: bool = False,
    ) -> UserRow:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO users (name, email, created, password_hash, is_admin) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (name, email, time.time(), password_hash, int(is_admin)),
            )
            user_id = int(cur.fetchone()[0])
        return self.user(user_id)

    def user_by_name(self, name: str) -> UserRow | None:
        row = self._db.execute(f"SELECT {self._USER} FROM users WHERE name = ?", (name,)).fetchone()
        return self._user_row(row) if row else None

    def user_by_email(self, email: str) -> UserRow | None:
        """The (oldest) user with this email address, compared case-insensitively."""
        row = self._db.execute(
            f"SELECT {self._USER} FROM users WHERE lower(email) = lower(?) ORDER BY id LIMIT 1",
            (email,),
        ).fetchone()
        return self._user_row(row) if row else None

    def user(self, user_id: int) -> UserRow:
        row = self._db.execute(
            f"SELECT {self._USER} FROM users WHERE id = ?", (user_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no user {user_id}")
        return self._user_row(row)

    def users(self) -> list[UserRow]:
        return [
            self._user_row(r)
            for r in self._db.execute(f"SELECT {self._USER} FROM users ORDER BY name")
        ]

    def user_password_hash(self, user_id: int) -> str | None:
        """The portal password's scrypt hash (never leaves the store but to be verified)."""
        row = self._db.execute(
            "SELECT password_hash FROM users WHERE id = ?", (user_id,)
        ).fetchone()
        return None if row is None else row[0]

    def set_user_password_hash(self, user_id: int, password_hash: str | None) -> None:
        with self._tx() as db:
            db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))

    def set_user_admin(self, user_id: int, is_admin: bool) -> None:
        with self._tx() as db:
            db.execute("UPDATE users SET is_admin = ? WHERE id = ?", (int(is_admin), user_id))

    def set_user_group(self, user_id: int, group_id: int | None) -> None:
        with self._tx() as db:
            db.execute("UPDATE users SET group_id = ? WHERE id = ?", (group_id, user_id))

    def not_zoom_line(self, user_id: int) -> bool:
        """Whether the user's events show "Not a Zoom meeting · Host: …" (default on)."""
        row = self._db.execute(
            "SELECT not_zoom_line FROM users WHERE id = ?", (user_id,)
        ).fetchone()
        return True if row is None else bool(row[0])

    def set_not_zoom_line(self, user_id: int, enabled: bool) -> None:
        with self._tx() as db:
            db.execute("UPDATE users SET not_zoom_line = ? WHERE id = ?", (int(enabled), user_id))

    def count_sign_in(self, user_id: int) -> int:
        """Add one to the user's portal sign-ins; the new count."""
        with self._tx() as db:
            row = db.execute(
                "UPDATE users SET sign_ins = sign_ins + 1 WHERE id = ? RETURNING sign_ins",
                (user_id,),
            ).fetchone()
        if row is None:
            raise NotFound(f"no user {user_id}")
        return int(row[0])

    # -- app passwords ----------------------------------------------------------------------
    def add_app_password(self, user_id: int, label: str, password_hash: str) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO app_passwords (user_id, label, hash, created) VALUES (?, ?, ?, ?) "
                "RETURNING id",
                (user_id, label, password_hash, time.time()),
            )
            return int(cur.fetchone()[0])

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
        self,
        user_id: int,
        provider: str,
        account: str,
        settings: str | ConnectionSettings,
        secret: bytes | None,
    ) -> ConnectionRow:
        if isinstance(settings, ConnectionSettings):
            settings = settings.to_json()
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

    def set_connection_settings(
        self, connection_id: int, settings: str | ConnectionSettings
    ) -> None:
        if isinstance(settings, ConnectionSettings):
            settings = settings.to_json()
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
            db.execute(  # likewise the name index's trigram table (K5)
                "DELETE FROM card_texts_trigram WHERE rowid IN (SELECT t.rowid FROM card_texts t "
                "JOIN collections c ON c.id = t.collection_id WHERE c.connection_id = ?)",
                (connection_id,),
            )
            db.execute("DELETE FROM connections WHERE id = ?", (connection_id,))

    def set_connection_status(
        self,
        connection_id: int,
        status: ConnectionState,
        error: str | None,
        synced_at: float | None = None,
    ) -> None:
        status = ConnectionState(status)
        with self._tx() as db:
            if synced_at is None:
                db.execute(
                    "UPDATE connections SET status = ?, error = ? WHERE id = ?",
                    (status.value, error, connection_id),
                )
            else:
                db.execute(
                    "UPDATE connections SET status = ?, error = ?, last_sync = ? WHERE id = ?",
                    (status.value, error, synced_at, connection_id),
                )
