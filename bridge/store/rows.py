"""Row types the store hands out and takes in, and the small pure helpers that shape
them (ETags, resource names). Must not do I/O."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass

from bridge.model import CollectionKind, CollectionRecord, ItemRecord, PhoneEntry
from bridge.store.connection_rows import (
    AppOnlyMailbox,
    ConnectionPolicy,
    ConnectionRow,
    ConnectionSettings,
    ConnectionState,
    EwsAccount,
    OAuthGrant,
)

__all__ = [
    "AppOnlyMailbox",
    "AppPasswordRow",
    "ConnectionPolicy",
    "ConnectionRow",
    "ConnectionSettings",
    "ConnectionState",
    "EwsAccount",
    "GroupRow",
    "ItemDraft",
    "OAuthGrant",
    "SessionRow",
    "UserRow",
    "etag_of",
    "href_for_uid",
]


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
    added: str | None = None  # JSON record of what enrichment added (bridge.joinlinks.record)
    texts: tuple[tuple[str, str], ...] = ()  # (FN|N|EMAIL…, case-folded value): name index


@dataclass(frozen=True)
class UserRow:
    """A bridge user; the portal columns (migration 4) have defaults so that code that only
    knows id, name and email keeps working. The password hash is never part of it."""

    id: int
    name: str
    email: str | None
    is_admin: bool = False
    group_id: int | None = None
    has_password: bool = False
    sign_ins: int = 0
    display_name: str | None = None  # as the provider account calls the user (migration 11)


@dataclass(frozen=True)
class GroupRow:
    id: int
    name: str
    overrides: str  # JSON object: policy setting -> value (P6)


@dataclass(frozen=True)
class SessionRow:
    """A portal session; only the sha256 of its token is stored."""

    token_hash: str
    user_id: int | None
    csrf: str
    created: float
    expires: float


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


@dataclass(frozen=True)
class ClientProps:
    """What a DAV client set on a collection (PROPPATCH, MKCALENDAR/MKCOL), to be served as
    set while the provider keeps what it made of it. `color_of`: the provider's colour for
    `color` (None until the next listing has seen it)."""

    name: str | None
    color: str | None
    color_of: str | None
