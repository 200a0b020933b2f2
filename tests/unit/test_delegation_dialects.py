"""Delegation in the store (issue 15) on SQLite and on PostgreSQL (issue 17): busy-block
redaction empties the mirrored calendar at once and makes the next pull a full one, grants are
added then changed in place, listed with both users' names, and deleting one removes the
grantee's copies of the owner's calendars with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.errors import NotFound
from bridge.model import CollectionKind
from bridge.store import ItemDraft, Store
from bridge.store.delegation import grant_remote_id


def _event(uid: str) -> ItemDraft:
    text = f"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    return ItemDraft(uid, uid, "1", text, "VEVENT", 0, 1)


@pytest.fixture()
def store(store_target: Path | str) -> Iterator[Store]:
    s = Store(store_target)
    yield s
    s.close()


def test_redaction_tombstones_the_mirror_and_restarts_the_pull(store: Store) -> None:
    user = store.create_user("ann", "ann@x.example")
    conn = store.create_connection(user.id, "graph", "ann@x.example", "{}", None)
    cal = store.upsert_collection(
        user.id, conn.id, CollectionKind.CALENDAR, "boss-cal", "Boss", None, False, "boss@x"
    )
    store.apply_pull(cal.id, [_event("a"), _event("b")], (), "cursor-1", True, 0.0)
    assert len(store.items(cal.id)) == 2
    assert store.redacts(cal.id) is False

    assert store.set_redaction(cal.id, True) is True
    assert store.redacts(cal.id) is True
    assert store.items(cal.id) == []
    assert store.collection(cal.id).cursor is None
    assert store.set_redaction(cal.id, True) is False  # unchanged: nothing more happens
    assert store.set_redaction(cal.id, False) is True
    assert store.redacts(cal.id) is False


def test_grants_are_upserted_listed_and_deleted_with_their_copies(store: Store) -> None:
    owner = store.create_user("boss", "boss@x.example")
    grantee = store.create_user("ann", "ann@x.example")
    conn = store.create_connection(grantee.id, "graph", "ann@x.example", "{}", None)
    first = store.put_grant(owner.id, grantee.id, write=False, private=False, by="admin")
    assert (first.owner_name, first.grantee_name, first.write, first.private) == (
        "boss",
        "ann",
        False,
        False,
    )
    changed = store.put_grant(owner.id, grantee.id, write=True, private=True, by="admin")
    assert changed.id == first.id and changed.write and changed.private
    assert [g.id for g in store.grants(owner_id=owner.id)] == [first.id]
    assert store.grants(grantee_id=owner.id) == []

    copy = store.upsert_collection(
        grantee.id,
        conn.id,
        CollectionKind.CALENDAR,
        grant_remote_id(first.id, "cal-1"),
        "Calendar (boss)",
        None,
        False,
        "boss@x.example",
    )
    own = store.upsert_collection(
        grantee.id, conn.id, CollectionKind.CALENDAR, "own", "Mine", None, False, None
    )
    assert [c.id for c in store.grant_copies(first.id)] == [copy.id]
    assert store.calendars_shown_as_owned_by("BOSS@x.example", owner.id) == []

    store.delete_grant(first.id)
    with pytest.raises(NotFound):
        store.grant(first.id)
    assert [c.id for c in store.collections(user_id=grantee.id)] == [own.id]


def test_a_grant_copies_the_owners_calendars_but_not_the_owners_meeting_views(
    store: Store,
) -> None:
    from bridge.settings import SyncSettings
    from bridge.sync.delegation import GrantCopies
    from bridge.sync.engine import SyncEngine
    from bridge.sync.views import ZOOM, MeetingViews

    owner = store.create_user("boss", "boss@x.example")
    grantee = store.create_user("ann", "ann@x.example")
    conn = store.create_connection(owner.id, "graph", "boss@x.example", "{}", None)
    cal = store.upsert_collection(
        owner.id, conn.id, CollectionKind.CALENDAR, "cal-1", "Calendar", None, False, None
    )
    engine = SyncEngine(store, lambda _cid: None, SyncSettings())  # type: ignore[arg-type,return-value]
    store.set_meeting_views(owner.id, {ZOOM})
    assert [v.name for v in MeetingViews(engine).ensure(owner.id)] == ["zoom-meetings"]

    grant = store.put_grant(owner.id, grantee.id, write=False, private=False, by="admin")
    copies = GrantCopies(engine).sync(grant)
    assert [c.remote_id for c in copies] == [grant_remote_id(grant.id, cal.remote_id)]
    assert [c.provider_id for c in copies] == ["cal-1"]  # what the provider is asked for
    assert all(store.redacts(c.id) for c in copies)  # no private access: busy blocks
