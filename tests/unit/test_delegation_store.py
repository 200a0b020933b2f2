"""The store's side of delegation (issue 15): switching a calendar to busy blocks removes its
mirrored items at once (tombstones, so sync-collection clients drop them) and makes the next
pull a full one; revoking a grant removes the grantee's copies in the same transaction; the
EWS connection keeps the mailboxes it opens as a delegate."""

from __future__ import annotations

from pathlib import Path

from bridge.model import CollectionKind
from bridge.store import ItemDraft, Store
from bridge.store.connection_rows import ConnectionSettings, EwsAccount
from bridge.store.delegation import grant_remote_id
from bridge.store.rows import ConnectionPolicy


def _setup(tmp_path: Path) -> tuple[Store, int, int, int]:
    store = Store(tmp_path / "db.sqlite3")
    owner = store.create_user("megan", "megan@contoso.example")
    grantee = store.create_user("alex", "alex@contoso.example")
    conn = store.create_connection(owner.id, "graph", "megan@contoso.example", "{}", None)
    return store, owner.id, grantee.id, conn.id


def test_busy_blocks_switch_empties_the_mirror(tmp_path: Path) -> None:
    store, owner, _, conn = _setup(tmp_path)
    coll = store.upsert_collection(
        owner, conn, CollectionKind.CALENDAR, "cal", "Calendar", None, False, None
    )
    draft = ItemDraft("u1", "r1", "v1", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "VEVENT", 0, 1)
    store.apply_pull(coll.id, [draft], [], "cursor-1", False, 1.0)
    token = store.sync_token(coll.id)
    assert not store.redacts(coll.id)
    assert store.set_redaction(coll.id, True)
    assert store.redacts(coll.id) and store.items(coll.id) == []
    _, changed = store.changes_since(coll.id, token)
    assert changed  # the removal is reported to sync-collection clients
    assert store.collection(coll.id).cursor is None  # the next pull lists everything
    assert not store.set_redaction(coll.id, True)  # unchanged: nothing happens


def test_revoking_a_grant_removes_the_copies(tmp_path: Path) -> None:
    store, owner, grantee, conn = _setup(tmp_path)
    grant = store.put_grant(owner, grantee, write=False, private=False, by="test")
    copy = store.upsert_collection(
        grantee,
        conn,
        CollectionKind.CALENDAR,
        grant_remote_id(grant.id, "cal"),
        "Calendar (megan) — Microsoft 365",
        None,
        True,
        "megan@contoso.example",
    )
    assert copy.provider_id == "cal"
    assert [c.id for c in store.grant_copies(grant.id)] == [copy.id]
    changed = store.put_grant(owner, grantee, write=True, private=True, by="test")
    assert changed.id == grant.id and changed.write and changed.private
    store.delete_grant(grant.id)
    assert store.grants() == []
    assert store.collections(user_id=grantee) == []


def test_ews_shared_mailboxes_round_trip() -> None:
    account = EwsAccount("https://x/EWS/Exchange.asmx", "u", "alex@contoso.example")
    shared = EwsAccount(
        account.ews_url, "u", account.email, shared_mailboxes=("megan@contoso.example",)
    )
    for value in (account, shared):
        text = ConnectionSettings(value, ConnectionPolicy()).to_json()
        assert ConnectionSettings.parse(text).provider == value


def test_display_name_of_the_account_is_kept_for_labels(tmp_path: Path) -> None:
    store, owner, _, _ = _setup(tmp_path)
    assert store.user(owner).display_name is None  # until the provider names the account
    assert store.set_display_name(owner, "Megan Bowen")
    assert not store.set_display_name(owner, "Megan Bowen")  # unchanged: no write
    row = store.user_by_name("megan")
    assert row is not None and row.display_name == "Megan Bowen"
    assert store.set_display_name(owner, "Megan Bowen-Smith")
    assert store.user(owner).display_name == "Megan Bowen-Smith"
