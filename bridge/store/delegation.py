"""Delegation in the store (issue 15): which mirrored calendars hold private events as busy
blocks only, and the bridge-level grants (user A may read, or read and write, user B's
calendars, with or without private access).

Switching a calendar to busy blocks removes (tombstones) every mirrored item at once and makes
the next pull a full one, so no detail stays in the mirror for a moment longer; switching it off
makes the next pull a full one too. Only SQL; when to redact is the sync engine's decision.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bridge.errors import NotFound
from bridge.model import CollectionKind, CollectionRecord
from bridge.store.mirror import MirrorStore
from bridge.store.rows import _COLLECTION_COLS, _collection

#: remote id of a grantee's copy of an owner's calendar: "grant:<grant id>:<provider id>"
GRANT_PREFIX = "grant:"


def grant_remote_id(grant_id: int, provider_id: str) -> str:
    return f"{GRANT_PREFIX}{grant_id}:{provider_id}"


def split_grant_remote_id(remote_id: str) -> tuple[int | None, str]:
    """(grant id, provider calendar id) of a collection's remote id; (None, id) when it is
    not a grant's copy."""
    if not remote_id.startswith(GRANT_PREFIX):
        return None, remote_id
    head, sep, rest = remote_id[len(GRANT_PREFIX) :].partition(":")
    if not sep or not head.isdigit():
        return None, remote_id
    return int(head), rest


@dataclass(frozen=True)
class GrantRow:
    """A bridge-level grant: `grantee` may read (`write`: and change) `owner`'s calendars;
    `private`: with the details of private events."""

    id: int
    owner_id: int
    owner_name: str
    owner_email: str | None
    grantee_id: int
    grantee_name: str
    write: bool
    private: bool
    created: float
    created_by: str


_GRANT_SQL = (
    "SELECT g.id, g.owner_id, o.name, o.email, g.grantee_id, d.name, g.write, g.private, "
    "g.created, g.created_by FROM calendar_grants g JOIN users o ON o.id = g.owner_id "
    "JOIN users d ON d.id = g.grantee_id"
)


def _grant(row: tuple[object, ...]) -> GrantRow:
    return GrantRow(
        id=int(str(row[0])),
        owner_id=int(str(row[1])),
        owner_name=str(row[2]),
        owner_email=None if row[3] is None else str(row[3]),
        grantee_id=int(str(row[4])),
        grantee_name=str(row[5]),
        write=bool(row[6]),
        private=bool(row[7]),
        created=float(str(row[8])),
        created_by=str(row[9]),
    )


@dataclass(frozen=True)
class Redaction:
    """A calendar's private-event setting: `redact` (busy blocks only) and `epoch`, counted up
    at every change. A pull converts under one Redaction and passes its epoch to
    `apply_pull`, which stores nothing once the epoch moved on (errors.Superseded)."""

    redact: bool
    epoch: int


class DelegationStore(MirrorStore):
    # -- busy blocks -------------------------------------------------------------------------
    def redacts(self, collection_id: int) -> bool:
        """Whether private events of this calendar are mirrored as busy blocks only."""
        return self.redaction(collection_id).redact

    def redaction(self, collection_id: int) -> Redaction:
        row = self._db.execute(
            "SELECT redact, epoch FROM collection_privacy WHERE collection_id = ?",
            (collection_id,),
        ).fetchone()
        return Redaction(bool(row[0]), int(row[1])) if row else Redaction(False, 0)

    def set_redaction(self, collection_id: int, redact: bool) -> bool:
        """Record the choice; True when it changed (the mirror then starts over, and a pull
        still running under the old choice stores nothing)."""
        with self._tx() as db:
            row = db.execute(
                "SELECT redact, epoch FROM collection_privacy WHERE collection_id = ?",
                (collection_id,),
            ).fetchone()
            before, epoch = (bool(row[0]), int(row[1])) if row else (False, 0)
            if row is not None and before == redact:
                return False
            db.execute(
                "INSERT INTO collection_privacy (collection_id, redact, epoch) VALUES (?, ?, ?) "
                "ON CONFLICT (collection_id) DO UPDATE SET redact = excluded.redact, "
                "epoch = excluded.epoch",
                (collection_id, int(redact), epoch + int(before != redact)),
            )
            if before == redact:
                return False
            if redact:  # nothing the delegate may not see stays for a moment
                hrefs = [
                    str(r[0])
                    for r in db.execute(
                        "SELECT href FROM items WHERE collection_id = ? AND deleted = 0",
                        (collection_id,),
                    )
                ]
                for href in hrefs:
                    self._tombstone(db, collection_id, href)
            db.execute(
                "UPDATE collections SET cursor = NULL, refreshed_at = NULL WHERE id = ?",
                (collection_id,),
            )
            return True

    # -- bridge-level grants -----------------------------------------------------------------
    def put_grant(
        self, owner_id: int, grantee_id: int, write: bool, private: bool, by: str
    ) -> GrantRow:
        """Add the grant, or change the one between these two users."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO calendar_grants (owner_id, grantee_id, write, private, created, "
                "created_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (owner_id, grantee_id) DO "
                "UPDATE SET write = excluded.write, private = excluded.private",
                (owner_id, grantee_id, int(write), int(private), time.time(), by),
            )
            row = db.execute(
                f"{_GRANT_SQL} WHERE g.owner_id = ? AND g.grantee_id = ?", (owner_id, grantee_id)
            ).fetchone()
        return _grant(row)

    def grant(self, grant_id: int) -> GrantRow:
        row = self._db.execute(f"{_GRANT_SQL} WHERE g.id = ?", (grant_id,)).fetchone()
        if row is None:
            raise NotFound(f"no grant {grant_id}")
        return _grant(row)

    def grants(self, owner_id: int | None = None, grantee_id: int | None = None) -> list[GrantRow]:
        sql, args = f"{_GRANT_SQL} WHERE 1=1", list[int]()
        if owner_id is not None:
            sql, args = sql + " AND g.owner_id = ?", [*args, owner_id]
        if grantee_id is not None:
            sql, args = sql + " AND g.grantee_id = ?", [*args, grantee_id]
        rows = self._db.execute(sql + " ORDER BY o.name, d.name", args).fetchall()
        return [_grant(r) for r in rows]

    def delete_grant(self, grant_id: int) -> None:
        """The grant and, in the same transaction, the grantee's copies of the calendars."""
        with self._tx() as db:
            db.execute(
                "DELETE FROM collections WHERE kind = ? AND remote_id LIKE ?",
                (CollectionKind.CALENDAR.value, f"{GRANT_PREFIX}{grant_id}:%"),
            )
            db.execute("DELETE FROM calendar_grants WHERE id = ?", (grant_id,))

    def grant_copies(self, grant_id: int) -> list[CollectionRecord]:
        """The grantee's copies of the owner's calendars made for one grant."""
        prefix = f"{GRANT_PREFIX}{grant_id}:"
        grant = self.grant(grant_id)
        return [
            c for c in self.collections(user_id=grant.grantee_id) if c.remote_id.startswith(prefix)
        ]

    def calendars_shown_as_owned_by(self, email: str, not_user_id: int) -> list[CollectionRecord]:
        """Calendars mirrored for other users that the provider says `email` owns (shared or
        delegated at the provider; grant copies excluded)."""
        rows = self._db.execute(
            f"SELECT {_COLLECTION_COLS} FROM collections WHERE kind = ? AND lower(owner) = "
            "lower(?) AND user_id != ? AND remote_id NOT LIKE ? ORDER BY id",
            (CollectionKind.CALENDAR.value, email, not_user_id, f"{GRANT_PREFIX}%"),
        ).fetchall()
        return [_collection(r) for r in rows]
