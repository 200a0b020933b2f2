"""SQLite implementation of the store (the embedded default, R1).

One connection per thread (WAL mode, so readers never wait for the sync writer). Every
mirror change bumps its collection's sequence; sync tokens are `<prefix>-<seq>`, and deleted
items stay as tombstones so an incremental sync reports deletions (RFC 6578).
Must not import providers, sync or radicale.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import NotFound
from bridge.model import CollectionKind, CollectionRecord, ItemRecord, PhoneEntry, PhoneMatch
from bridge.store.migrations import MIGRATIONS


@dataclass(frozen=True)
class ItemDraft:
    """What the sync engine hands the store for one item entering the mirror."""

    uid: str
    remote_id: str
    version: str
    text: str
    component: str
    start: int
    end: int
    members: tuple[str, ...] = ()
    phones: tuple[PhoneEntry, ...] = ()


@dataclass(frozen=True)
class UserRow:
    id: int
    name: str
    email: str | None


@dataclass(frozen=True)
class ConnectionPolicy:
    """What the user allowed a connection to do (A1) and which halves are switched on (A4).

    Kept in the connection's settings JSON: `permissions` = {read_calendars, write_calendars,
    sync_contacts}, plus `calendars_enabled` / `contacts_enabled`; anything missing is true
    (connections made before permissions existed may do everything).
    """

    read_calendars: bool = True
    write_calendars: bool = True
    sync_contacts: bool = True
    calendars_enabled: bool = True
    contacts_enabled: bool = True

    @staticmethod
    def parse(settings: str) -> ConnectionPolicy:
        data = json.loads(settings or "{}")
        perms = data.get("permissions") or {}
        return ConnectionPolicy(
            read_calendars=bool(perms.get("read_calendars", True)),
            write_calendars=bool(perms.get("write_calendars", True)),
            sync_contacts=bool(perms.get("sync_contacts", True)),
            calendars_enabled=bool(data.get("calendars_enabled", True)),
            contacts_enabled=bool(data.get("contacts_enabled", True)),
        )

    def permissions(self) -> dict[str, bool]:
        return {
            "read_calendars": self.read_calendars,
            "write_calendars": self.write_calendars,
            "sync_contacts": self.sync_contacts,
        }

    def into(self, settings: str) -> str:
        """`settings` (JSON) with this policy written into it, other keys kept."""
        data = json.loads(settings or "{}")
        data["permissions"] = self.permissions()
        data["calendars_enabled"] = self.calendars_enabled
        data["contacts_enabled"] = self.contacts_enabled
        return json.dumps(data)

    def shows(self, kind: CollectionKind) -> bool:
        """Whether collections of `kind` are served to clients and pulled."""
        if kind is CollectionKind.ADDRESSBOOK:
            return self.sync_contacts and self.contacts_enabled
        return self.read_calendars and self.calendars_enabled


@dataclass(frozen=True)
class ConnectionRow:
    id: int
    user_id: int
    provider: str
    account: str
    settings: str
    secret: bytes | None
    status: str
    error: str | None
    last_sync: float | None

    @property
    def policy(self) -> ConnectionPolicy:
        return ConnectionPolicy.parse(self.settings)


@dataclass(frozen=True)
class AppPasswordRow:
    id: int
    label: str
    created: float
    last_used: float | None


def etag_of(text: str) -> str:
    """The ETag of served bytes: changes exactly when the text changes."""
    return '"' + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + '"'


_SAFE_HREF = re.compile(r"^[A-Za-z0-9@._+-]{1,120}$")


def href_for_uid(uid: str, suffix: str) -> str:
    """A stable resource name for an item that entered from the provider."""
    base = uid if _SAFE_HREF.match(uid) else hashlib.sha256(uid.encode()).hexdigest()[:40]
    return base + suffix


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:48] or "collection"


_COLLECTION_COLS = (
    "id, user_id, connection_id, kind, name, remote_id, display_name, color, "
    "read_only, owner, seq, cursor, refreshed_at"
)
_ITEM_COLS = (
    'collection_id, href, uid, remote_id, version, etag, text, component, start, "end", seq'
)


def _collection(row: sqlite3.Row) -> CollectionRecord:
    return CollectionRecord(
        id=row[0],
        user_id=row[1],
        connection_id=row[2],
        kind=CollectionKind(row[3]),
        name=row[4],
        remote_id=row[5],
        display_name=row[6],
        color=row[7],
        read_only=bool(row[8]),
        owner=row[9],
        seq=row[10],
        cursor=row[11],
        refreshed_at=row[12],
    )


def _item(row: sqlite3.Row) -> ItemRecord:
    return ItemRecord(
        collection_id=row[0],
        href=row[1],
        uid=row[2],
        remote_id=row[3],
        version=row[4],
        etag=row[5],
        text=row[6],
        component=row[7],
        start=row[8],
        end=row[9],
        seq=row[10],
    )


class Store:
    """The mirror and state database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._migrate()

    # -- plumbing -------------------------------------------------------------------------
    @property
    def _db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._tx() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            current = row[0] if row else 0
            for number, script in enumerate(MIGRATIONS, start=1):
                if number > current:
                    for statement in script.split(";"):
                        if statement.strip():
                            db.execute(statement)
            if row is None:
                db.execute("INSERT INTO schema_version VALUES (?)", (len(MIGRATIONS),))
            else:
                db.execute("UPDATE schema_version SET version = ?", (len(MIGRATIONS),))

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

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
    ) -> CollectionRecord:
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
                base = _slug(display_name.replace("Microsoft 365", "m365"))
                name, n = base, 1
                while db.execute(
                    "SELECT 1 FROM collections WHERE user_id = ? AND name = ?", (user_id, name)
                ).fetchone():
                    n += 1
                    name = f"{base}-{n}"
                cur = db.execute(
                    "INSERT INTO collections (user_id, connection_id, kind, name, remote_id, "
                    "display_name, color, read_only, owner, token_prefix) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                coll_id = cur.lastrowid
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
        """(href, etag, component, text) of every live item: the lean read for bulk answers."""
        return self._db.execute(
            "SELECT href, etag, component, text FROM items WHERE collection_id = ? AND "
            "deleted = 0 ORDER BY href",
            (collection_id,),
        ).fetchall()

    def item_blobs(self, collection_id: int) -> list[tuple[str, str, bytes]]:
        """(href, etag, UTF-8 text) of every live item, text never decoded (bulk answers)."""
        return self._db.execute(
            "SELECT href, etag, CAST(text AS BLOB) FROM items WHERE collection_id = ? AND "
            "deleted = 0 ORDER BY href",
            (collection_id,),
        ).fetchall()

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

    # -- caller lookup (K4) ----------------------------------------------------------------
    def phone_matches(
        self,
        user_id: int,
        *,
        exact: Sequence[str] = (),
        prefix: str | None = None,
        contains: str | None = None,
        collection_id: int | None = None,
        limit: int = 50,
    ) -> list[PhoneMatch]:
        """Contacts whose numbers match, from the index (never a scan of the contacts).

        `exact`: E.164 numbers or national digit strings; `prefix`: an E.164 prefix ("+4930");
        `contains`: at least 3 digits found anywhere in the E.164 or national form.
        """
        cols = "p.collection_id, p.href, p.e164, p.national, p.raw, p.kind, p.name, p.org"
        where: list[str] = ["c.user_id = ?"]
        args: list[object] = [user_id]
        if collection_id is not None:
            # unary + keeps SQLite from choosing the per-collection index (a scan of the whole
            # address book) over the number indexes
            where.append("+p.collection_id = ?")
            args.append(collection_id)
        if exact:
            marks = ",".join("?" * len(exact))
            where.append(f"(p.e164 IN ({marks}) OR p.national IN ({marks}))")
            args += [*exact, *exact]
        elif prefix:
            upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            where.append("(p.e164 >= ? AND p.e164 < ?)")
            args += [prefix, upper]
        elif contains and len(contains) >= 3:
            where.append(
                "p.rowid IN (SELECT rowid FROM phones_digits WHERE phones_digits MATCH ?) "
                "AND (instr(p.e164, ?) > 0 OR instr(p.national, ?) > 0)"
            )
            args += ['"' + contains + '"', contains, contains]
        else:
            return []
        sql = (
            f"SELECT {cols} FROM phones p JOIN collections c ON c.id = p.collection_id "
            f"WHERE {' AND '.join(where)} ORDER BY p.name, p.href LIMIT ?"
        )
        return [
            PhoneMatch(r[0], r[1], PhoneEntry(*r[2:]))
            for r in self._db.execute(sql, (*args, limit))
        ]

    def user_region(self, user_id: int) -> str | None:
        row = self._db.execute("SELECT region FROM users WHERE id = ?", (user_id,)).fetchone()
        return row[0] if row else None

    def set_user_region(self, user_id: int, region: str | None) -> None:
        with self._tx() as db:
            db.execute("UPDATE users SET region = ? WHERE id = ?", (region, user_id))

    def uid_aliases(self, collection_id: int) -> dict[str, str]:
        """remote id -> the UID a DAV client gave the item (when the provider chose another)."""
        return {
            r[0]: r[1]
            for r in self._db.execute(
                "SELECT remote_id, uid FROM uid_aliases WHERE collection_id = ?", (collection_id,)
            )
        }

    def set_uid_alias(self, collection_id: int, remote_id: str, uid: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO uid_aliases VALUES (?, ?, ?)",
                (collection_id, remote_id, uid),
            )

    # -- items: writes --------------------------------------------------------------------
    def _bump(self, db: sqlite3.Connection, collection_id: int) -> int:
        return int(
            db.execute(
                "UPDATE collections SET seq = seq + 1 WHERE id = ? RETURNING seq", (collection_id,)
            ).fetchone()[0]
        )

    def _write(
        self, db: sqlite3.Connection, collection_id: int, href: str, draft: ItemDraft
    ) -> bool:
        """Upsert one item at `href`; True when the served bytes changed."""
        etag = etag_of(draft.text)
        old = db.execute(
            "SELECT etag, deleted, version, remote_id FROM items WHERE "
            "collection_id = ? AND href = ?",
            (collection_id, href),
        ).fetchone()
        if old and old[0] == etag and not old[1]:
            if old[2] != draft.version or old[3] != draft.remote_id:
                db.execute(
                    "UPDATE items SET version = ?, remote_id = ? WHERE collection_id = ? "
                    "AND href = ?",
                    (draft.version, draft.remote_id, collection_id, href),
                )
            self._set_members(db, collection_id, draft)
            return False
        seq = self._bump(db, collection_id)
        db.execute(
            "INSERT INTO items (collection_id, href, uid, remote_id, version, etag, text, "
            'component, start, "end", seq, deleted, modified) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (collection_id, href) "
            "DO UPDATE SET uid = excluded.uid, remote_id = excluded.remote_id, "
            "version = excluded.version, etag = excluded.etag, text = excluded.text, "
            'component = excluded.component, start = excluded.start, "end" = excluded."end", '
            "seq = excluded.seq, deleted = 0, modified = excluded.modified",
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
            ),
        )
        self._set_members(db, collection_id, draft)
        self._set_phones(db, collection_id, href, draft.phones)
        return True

    def _set_phones(
        self, db: sqlite3.Connection, collection_id: int, href: str, phones: Sequence[PhoneEntry]
    ) -> None:
        # the substring index shares the rowids of `phones` (found through phones_item)
        db.execute(
            "DELETE FROM phones_digits WHERE rowid IN "
            "(SELECT rowid FROM phones WHERE collection_id = ? AND href = ?)",
            (collection_id, href),
        )
        db.execute("DELETE FROM phones WHERE collection_id = ? AND href = ?", (collection_id, href))
        for p in phones:
            rowid = db.execute(
                "INSERT INTO phones VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (collection_id, href, p.e164, p.national, p.raw, p.kind, p.name, p.org),
            ).lastrowid
            db.execute(
                "INSERT INTO phones_digits (rowid, digits) VALUES (?, ?)",
                (rowid, p.e164.lstrip("+") + " " + p.national),
            )

    def _set_members(self, db: sqlite3.Connection, collection_id: int, draft: ItemDraft) -> None:
        db.execute(
            "DELETE FROM members WHERE collection_id = ? AND remote_id = ?",
            (collection_id, draft.remote_id),
        )
        db.executemany(
            "INSERT OR REPLACE INTO members VALUES (?, ?, ?)",
            [(collection_id, m, draft.remote_id) for m in draft.members if m != draft.remote_id],
        )

    def _tombstone(self, db: sqlite3.Connection, collection_id: int, href: str) -> None:
        row = db.execute(
            "SELECT remote_id FROM items WHERE collection_id = ? AND href = ? AND deleted = 0",
            (collection_id, href),
        ).fetchone()
        if row is None:
            return
        seq = self._bump(db, collection_id)
        db.execute(
            "UPDATE items SET deleted = 1, text = NULL, seq = ?, modified = ? "
            "WHERE collection_id = ? AND href = ?",
            (seq, time.time(), collection_id, href),
        )
        db.execute(
            "DELETE FROM members WHERE collection_id = ? AND remote_id = ?", (collection_id, row[0])
        )
        self._set_phones(db, collection_id, href, ())

    def apply_pull(
        self,
        collection_id: int,
        upserts: Iterable[ItemDraft],
        removed_remote_ids: Iterable[str],
        cursor: str | None,
        reset: bool,
        refreshed_at: float,
        suffix: str = ".ics",
    ) -> int:
        """Apply one pull in one transaction; returns how many items changed."""
        changed = 0
        with self._tx() as db:
            href_of = {
                r[0]: r[1]
                for r in db.execute(
                    "SELECT remote_id, href FROM items WHERE collection_id = ? AND deleted = 0",
                    (collection_id,),
                )
            }
            seen: set[str] = set()
            for draft in upserts:
                seen.add(draft.remote_id)
                href = href_of.get(draft.remote_id)
                if href is None:
                    href = href_for_uid(draft.uid, suffix)
                    n = 1
                    while True:
                        clash = db.execute(
                            "SELECT remote_id, deleted FROM items WHERE "
                            "collection_id = ? AND href = ?",
                            (collection_id, href),
                        ).fetchone()
                        if clash is None or clash[1] or clash[0] == draft.remote_id:
                            break
                        n += 1
                        href = href_for_uid(f"{draft.uid}-{n}", suffix)
                    href_of[draft.remote_id] = href
                changed += self._write(db, collection_id, href, draft)
            gone = set(removed_remote_ids)
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
        item = self.item(collection_id, href)
        assert item is not None
        return item

    def delete_item(self, collection_id: int, href: str) -> None:
        with self._tx() as db:
            self._tombstone(db, collection_id, href)
