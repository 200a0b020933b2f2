"""Delegation in the sync layer (SPEC C7, issue 15): bridge-level grants as calendars of the
grantee, and the write rule for private events.

A grant (user A may read, or read and write, user B's calendars; with or without private
access) is served as a *copy* of each of B's own calendars under A's principal: a mirrored
collection of A, pulled through B's connection (writes go to B's calendar at the provider),
named "Calendar (B) — <service>", read-only unless the grant allows writing and B's calendar is
writable, and holding private events as busy blocks unless the grant includes private access.
The copy is its own mirror, so a redacted copy never holds a detail; revoking the grant deletes
the copies in the same transaction as the grant.

A delegate without private access may not change or delete a private event (they never saw
it; a write would replace the owner's event with the busy block).
Must not import radicale or a concrete provider.
"""

from __future__ import annotations

import logging

from bridge.accounts.registry import label_of
from bridge.errors import BadInput, Forbidden, NotFound
from bridge.ical.private import has_private
from bridge.model import CollectionKind, CollectionRecord, ItemRecord
from bridge.store.delegation import GrantRow, grant_remote_id, split_grant_remote_id
from bridge.sync.discovery import strip_label
from bridge.sync.engine import SyncEngine
from bridge.sync.virtual import is_view

log = logging.getLogger("davbridge.sync")


def refuse_hidden_write(engine: SyncEngine, coll: CollectionRecord, existing: ItemRecord) -> None:
    """403 for a change to a private event the user sees only as a busy block."""
    if engine.store.redacts(coll.id) and has_private(existing.text):
        raise Forbidden(
            f"{existing.href} is a private event of {coll.owner or 'the calendar owner'}; "
            "you may see only that the time is busy, so it cannot be changed or deleted here."
        )


class GrantCopies:
    """Keeps each grantee's copies of the owners' calendars in line with the grants."""

    def __init__(self, engine: SyncEngine) -> None:
        self.engine = engine

    def sources(self, owner_id: int) -> list[CollectionRecord]:
        """The owner's own calendars (not those others share with the owner, not copies,
        not the owner's meeting views: those are the bridge's, with no calendar at the
        provider to pull)."""
        store = self.engine.store
        accounts = {c.id: c.account.lower() for c in store.connections(owner_id)}
        return [
            c
            for c in store.collections(user_id=owner_id)
            if c.kind is CollectionKind.CALENDAR
            and c.connection_id in accounts
            and split_grant_remote_id(c.remote_id)[0] is None
            and not is_view(c)
            and (c.owner is None or c.owner.lower() == accounts[c.connection_id])
            and self.engine.wanted(c)
        ]

    def follow_owner(self, owner_id: int) -> None:
        """After the owner's calendar list changed: every grant of the owner's follows it."""
        for grant in self.engine.store.grants(owner_id=owner_id):
            self.sync(grant)

    def sync(self, grant: GrantRow) -> list[CollectionRecord]:
        store = self.engine.store
        owner = store.user(grant.owner_id)
        who = owner.display_name or owner.email or owner.name  # "Calendar (Megan Bowen)"
        wanted: dict[str, CollectionRecord] = {}
        for source in self.sources(grant.owner_id):
            conn = store.connection(source.connection_id)
            name = strip_label(source.display_name, conn.provider)
            label = f"{name} ({who}) — {label_of(conn.provider)}"
            copy = store.upsert_collection(
                grant.grantee_id,
                source.connection_id,
                CollectionKind.CALENDAR,
                grant_remote_id(grant.id, source.remote_id),
                label,
                source.color,
                source.read_only or not grant.write,
                owner.email or owner.name,
            )
            store.set_redaction(copy.id, not grant.private)
            wanted[copy.remote_id] = store.collection(copy.id)
        for copy in store.grant_copies(grant.id):
            if copy.remote_id not in wanted:
                store.delete_collection(copy.id)
        return list(wanted.values())

    # -- what the facade offers ------------------------------------------------------------
    def add(self, owner: str, grantee: str, write: bool, private: bool, by: str) -> GrantRow:
        store = self.engine.store
        owner_row, grantee_row = store.user_by_name(owner), store.user_by_name(grantee)
        if owner_row is None:
            raise NotFound(f"no user {owner!r}")
        if grantee_row is None:
            raise NotFound(f"no user {grantee!r}")
        if owner_row.id == grantee_row.id:
            raise BadInput(f"{owner!r} cannot be given access to their own calendars")
        grant = store.put_grant(owner_row.id, grantee_row.id, write, private, by)
        copies = self.sync(grant)
        log.info(
            "grant %d: %s may %s %s's calendars (%s private events) — %d calendars, by %s",
            grant.id,
            grantee,
            "read and write" if write else "read",
            owner,
            "with" if private else "without",
            len(copies),
            by,
        )
        return grant

    def revoke(self, grant_id: int, by: str) -> GrantRow:
        grant = self.engine.store.grant(grant_id)
        locks = [self.engine.lock(c.id) for c in self.engine.store.grant_copies(grant_id)]
        # a pull or write in flight on a copy finishes first (bounded wait)
        held = [lock for lock in locks if lock.acquire(timeout=self.engine.lock_timeout_s)]
        try:
            self.engine.store.delete_grant(grant_id)
        finally:
            for lock in held:
                lock.release()
        log.info("grant %d revoked by %s", grant_id, by)
        return grant

    def valid(self, coll: CollectionRecord) -> bool:
        """Whether a collection is not a grant copy, or its grant still exists."""
        grant_id, _ = split_grant_remote_id(coll.remote_id)
        if grant_id is None:
            return True
        try:
            grant = self.engine.store.grant(grant_id)
        except NotFound:
            return False
        return grant.grantee_id == coll.user_id
