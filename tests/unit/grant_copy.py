"""A grantee's copy of an owner's calendar in a store, for the delegation tests: user "boss"
(a Microsoft 365 connection, calendar "boss-cal") grants user "ann" access."""

from __future__ import annotations

from bridge.model import CollectionKind, CollectionRecord
from bridge.store import Store
from bridge.store.delegation import grant_remote_id


def boss_calendar_copy(store: Store, write: bool, private: bool) -> CollectionRecord:
    """Ann's copy of boss's calendar under a grant (`write`, `private`)."""
    boss = store.create_user("boss", "boss@x.example")
    ann = store.create_user("ann", "ann@x.example")
    conn = store.create_connection(boss.id, "graph", "boss@x.example", "{}", None)
    grant = store.put_grant(boss.id, ann.id, write=write, private=private, by="admin")
    return store.upsert_collection(
        ann.id,
        conn.id,
        CollectionKind.CALENDAR,
        grant_remote_id(grant.id, "boss-cal"),
        "Calendar (boss)",
        None,
        not write,
        "boss@x.example",
    )
