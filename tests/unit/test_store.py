"""The mirror store: change sequences, tombstones, sync tokens, all-or-nothing pulls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.model import CollectionKind
from bridge.store import ItemDraft, Store
from bridge.store.sqlite import etag_of


def draft(
    remote_id: str, text: str = "A", uid: str | None = None, members: tuple[str, ...] = ()
) -> ItemDraft:
    return ItemDraft(
        uid=uid or f"uid-{remote_id}",
        remote_id=remote_id,
        version="v1",
        text=f"BEGIN:VCALENDAR\r\n{text}\r\nEND:VCALENDAR\r\n",
        component="VEVENT",
        start=0,
        end=10,
        members=members,
    )


@pytest.fixture()
def store(store_target: Path | str) -> Iterator[Store]:
    """Every test here runs on SQLite and on PostgreSQL (issue 17)."""
    s = Store(store_target)
    yield s
    s.close()


@pytest.fixture()
def coll_id(store: Store) -> int:
    user = store.create_user("alex")
    conn = store.create_connection(user.id, "graph", "alex@contoso.example", "{}", b"x")
    return store.upsert_collection(
        user.id, conn.id, CollectionKind.CALENDAR, "cal-1", "Calendar", "#0078D4", False, None
    ).id


def test_incremental_sync_reports_changes_and_deletions_only(store: Store, coll_id: int) -> None:
    store.apply_pull(coll_id, [draft("a"), draft("b"), draft("c")], [], "c1", True, 1.0)
    token, hrefs = store.changes_since(coll_id, "")
    assert sorted(hrefs) == ["uid-a.ics", "uid-b.ics", "uid-c.ics"]
    store.apply_pull(coll_id, [draft("a", "CHANGED")], ["b"], "c2", False, 2.0)
    token2, changed = store.changes_since(coll_id, token)
    assert sorted(changed) == ["uid-a.ics", "uid-b.ics"]  # b is a tombstone now
    assert store.item(coll_id, "uid-b.ics") is None
    assert store.changes_since(coll_id, token2)[1] == []


def test_unchanged_bytes_do_not_bump_the_sequence(store: Store, coll_id: int) -> None:
    store.apply_pull(coll_id, [draft("a")], [], "c1", True, 1.0)
    token = store.sync_token(coll_id)
    store.apply_pull(coll_id, [draft("a")], [], "c2", False, 2.0)
    assert store.sync_token(coll_id) == token
    assert store.collection(coll_id).cursor == "c2"


def test_reset_removes_what_the_full_listing_lacks(store: Store, coll_id: int) -> None:
    store.apply_pull(coll_id, [draft("a"), draft("b")], [], "c1", True, 1.0)
    store.apply_pull(coll_id, [draft("b")], [], "c2", True, 2.0)
    assert [i.remote_id for i in store.items(coll_id)] == ["b"]


def test_etag_changes_exactly_when_text_changes(store: Store, coll_id: int) -> None:
    store.apply_pull(coll_id, [draft("a")], [], "c1", True, 1.0)
    item = store.item(coll_id, "uid-a.ics")
    assert item is not None and item.etag == etag_of(item.text)


def test_members_resolve_to_their_series(store: Store, coll_id: int) -> None:
    store.apply_pull(coll_id, [draft("master", members=("occ1", "occ2"))], [], "c1", True, 1.0)
    assert store.resource_for(coll_id, "occ2") == "master"
    assert store.resource_for(coll_id, "master") == "master"
    assert store.resource_for(coll_id, "unknown") is None


def test_foreign_or_future_tokens_are_refused(store: Store, coll_id: int) -> None:
    store.apply_pull(coll_id, [draft("a")], [], "c1", True, 1.0)
    prefix = store.sync_token(coll_id).rsplit("-", 1)[0]
    with pytest.raises(ValueError):
        store.changes_since(coll_id, "someoneelse-1")
    with pytest.raises(ValueError):
        store.changes_since(coll_id, f"{prefix}-999")


def test_failed_transaction_changes_nothing(store: Store, coll_id: int) -> None:
    store.apply_pull(coll_id, [draft("a")], [], "c1", True, 1.0)
    token = store.sync_token(coll_id)

    def broken():  # an iterator that fails halfway, like a conversion error mid-pull
        yield draft("b")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.apply_pull(coll_id, broken(), ["a"], "c2", False, 2.0)
    assert store.sync_token(coll_id) == token
    assert [i.remote_id for i in store.items(coll_id)] == ["a"]
    assert store.collection(coll_id).cursor == "c1"


def test_put_item_keeps_one_resource_per_provider_object(store: Store, coll_id: int) -> None:
    store.apply_pull(coll_id, [draft("a")], [], "c1", True, 1.0)
    store.put_item(coll_id, "client-name.ics", draft("a", "NEW"))
    assert [i.href for i in store.items(coll_id)] == ["client-name.ics"]


def test_collection_names_are_unique_per_user(store: Store) -> None:
    user = store.create_user("u")
    conn = store.create_connection(user.id, "graph", "u@x", "{}", None)
    a = store.upsert_collection(
        user.id, conn.id, CollectionKind.CALENDAR, "1", "Calendar", None, False, None
    )
    b = store.upsert_collection(
        user.id, conn.id, CollectionKind.CALENDAR, "2", "Calendar", None, False, None
    )
    assert (a.name, b.name) == ("calendar", "calendar-2")
    again = store.upsert_collection(
        user.id, conn.id, CollectionKind.CALENDAR, "1", "Renamed", None, True, None
    )
    assert again.id == a.id and again.name == "calendar" and again.read_only


def test_reopening_keeps_data(tmp_path: Path) -> None:
    s1 = Store(tmp_path / "db.sqlite3")
    s1.create_user("x")
    s1.close()
    assert Store(tmp_path / "db.sqlite3").user_by_name("x") is not None


def test_phone_index_answers_exact_prefix_and_contains_for_the_owner_only(
    store: Store, coll_id: int
) -> None:
    from bridge.model import PhoneEntry

    max_phones = (
        PhoneEntry("+49301234567", "301234567", "030 1234567", "work", "Max Mustermann", "Contoso"),
        PhoneEntry(
            "+4915123456789", "15123456789", "+49 151 23456789", "cell", "Max Mustermann", ""
        ),
    )
    card = ItemDraft(
        uid="max",
        remote_id="m",
        version="1",
        text="BEGIN:VCARD\r\nEND:VCARD\r\n",
        component="VCARD",
        start=0,
        end=0,
        phones=max_phones,
    )
    store.apply_pull(coll_id, [card], [], "c1", True, 1.0)
    user = store.user_by_name("alex")
    assert user is not None
    hit = store.phone_matches(user.id, exact=["+49301234567"])
    assert [(m.href, m.entry.kind) for m in hit] == [("max.ics", "work")]
    assert store.phone_matches(user.id, exact=["301234567"])  # national form
    assert len(store.phone_matches(user.id, prefix="+49")) == 2
    assert [m.entry.kind for m in store.phone_matches(user.id, contains="151234")] == ["cell"]
    other = store.create_user("eve")
    assert store.phone_matches(other.id, exact=["+49301234567"]) == []
    store.apply_pull(coll_id, [], ["m"], "c2", False, 2.0)  # deleted contact: gone from index
    assert store.phone_matches(user.id, prefix="+49") == []


def test_enrichment_record_is_kept_with_the_item_and_renderings_replace_bytes(
    store: Store, coll_id: int
) -> None:
    import dataclasses

    first = dataclasses.replace(draft("a"), added='[["x|",[]]]')
    store.apply_pull(coll_id, [first], [], "c1", True, 1.0)
    assert store.enrichment(coll_id, "uid-a.ics") == '[["x|",[]]]'
    # same bytes, a record where there was none (a mirror from before records): recorded too
    store.apply_pull(coll_id, [dataclasses.replace(first, added="[]")], [], "c2", False, 2.0)
    assert store.enrichment(coll_id, "uid-a.ics") == "[]"
    token, old = store.sync_token(coll_id), store.item(coll_id, "uid-a.ics")
    assert old is not None
    changed = store.replace_rendering(coll_id, [("uid-a.ics", "NEW", "[1]"), ("nope", "X", "")])
    assert changed == 1
    new = store.item(coll_id, "uid-a.ics")
    assert new is not None and new.text == "NEW" and new.etag == etag_of("NEW") != old.etag
    assert store.changes_since(coll_id, token)[1] == ["uid-a.ics"]
    assert store.enrichment(coll_id, "uid-a.ics") == "[1]"
    assert store.replace_rendering(coll_id, [("uid-a.ics", "NEW", "[1]")]) == 0
    store.delete_item(coll_id, "uid-a.ics")
    assert store.enrichment(coll_id, "uid-a.ics") is None


def test_not_zoom_line_is_on_by_default_per_user(store: Store) -> None:
    user = store.create_user("megan")
    assert store.not_zoom_line(user.id) is True
    store.set_not_zoom_line(user.id, False)
    assert store.not_zoom_line(user.id) is False
