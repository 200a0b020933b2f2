"""apply_pull with what it reads loaded once (bridge/store/pull_batch.py, issue 14 point 1)
keeps every outcome a client or caller lookup sees: distinct hrefs for clashing UIDs, series
members replaced and dropped, phone numbers replaced and dropped, a true first sync after the
mirror was emptied recreating the same hrefs, and unchanged bytes not bumping the sequence."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bridge.model import CollectionKind, PhoneEntry
from bridge.store import Store
from tests.unit.test_store import draft


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "db.sqlite3")


@pytest.fixture()
def coll_id(store: Store) -> int:
    user = store.create_user("alex")
    conn = store.create_connection(user.id, "graph", "alex@contoso.example", "{}", b"x")
    return store.upsert_collection(
        user.id, conn.id, CollectionKind.CALENDAR, "cal-1", "Calendar", "#0078D4", False, None
    ).id


def _phone(e164: str) -> PhoneEntry:
    return PhoneEntry(e164, e164[3:], e164, "work", "Max Mustermann", "Contoso")


def test_items_sharing_a_uid_get_their_own_hrefs_within_one_pull(
    store: Store, coll_id: int
) -> None:
    pulled = [draft("a", "A", uid="same"), draft("b", "B", uid="same"), draft("c", uid="same")]
    store.apply_pull(coll_id, pulled, [], "c1", True, 1.0)
    hrefs = {i.remote_id: i.href for i in store.items(coll_id)}
    assert hrefs == {"a": "same.ics", "b": "same-2.ics", "c": "same-3.ics"}
    # the next pull keeps them where they are; a new one takes the next free name
    store.apply_pull(
        coll_id, [draft("b", "B2", uid="same"), draft("d", uid="same")], [], "c2", 0, 2
    )
    hrefs = {i.remote_id: i.href for i in store.items(coll_id)}
    assert hrefs["b"] == "same-2.ics" and hrefs["d"] == "same-4.ics"


def test_a_true_first_sync_after_emptying_recreates_the_same_hrefs(
    store: Store, coll_id: int
) -> None:
    store.apply_pull(coll_id, [draft("a", uid="u"), draft("b", uid="u")], [], "c1", True, 1.0)
    token = store.sync_token(coll_id)
    store.apply_pull(coll_id, [], [], None, True, 2.0)  # emptied: tombstones only
    assert store.items(coll_id) == []
    store.apply_pull(coll_id, [draft("a", uid="u"), draft("b", uid="u")], [], "c3", True, 3.0)
    assert sorted(i.href for i in store.items(coll_id)) == ["u-2.ics", "u.ics"]
    assert sorted(store.changes_since(coll_id, token)[1]) == ["u-2.ics", "u.ics"]


def test_series_members_are_replaced_and_dropped(store: Store, coll_id: int) -> None:
    store.apply_pull(coll_id, [draft("m", members=("o1", "o2"))], [], "c1", True, 1.0)
    store.apply_pull(coll_id, [draft("m", "CHANGED", members=("o3",))], [], "c2", False, 2.0)
    assert store.resource_for(coll_id, "o3") == "m"
    assert store.resource_for(coll_id, "o1") is None
    # unchanged bytes, fewer members: the members still follow the provider
    store.apply_pull(coll_id, [draft("m", "CHANGED")], [], "c3", False, 3.0)
    assert store.resource_for(coll_id, "o3") is None


def test_phone_numbers_are_replaced_and_dropped(store: Store, coll_id: int) -> None:
    user = store.user_by_name("alex")
    assert user is not None
    card = dataclasses.replace(draft("m", "V1"), component="VCARD", phones=(_phone("+49301111"),))
    store.apply_pull(coll_id, [card, draft("x")], [], "c1", True, 1.0)
    changed = dataclasses.replace(card, text=card.text + "X", phones=(_phone("+49302222"),))
    store.apply_pull(coll_id, [changed], [], "c2", False, 2.0)
    assert [m.href for m in store.phone_matches(user.id, exact=["+49302222"])] == ["uid-m.ics"]
    assert store.phone_matches(user.id, exact=["+49301111"]) == []
    store.apply_pull(coll_id, [dataclasses.replace(changed, text="Y", phones=())], [], "c3", 0, 3)
    assert store.phone_matches(user.id, prefix="+49") == []


def test_unchanged_bytes_keep_the_sequence_and_take_the_new_version(
    store: Store, coll_id: int
) -> None:
    store.apply_pull(coll_id, [draft("a"), draft("b")], [], "c1", True, 1.0)
    token = store.sync_token(coll_id)
    again = [dataclasses.replace(draft("a"), version="v2"), draft("b")]
    assert store.apply_pull(coll_id, again, [], "c2", False, 2.0) == 0
    assert store.sync_token(coll_id) == token
    item = store.item(coll_id, "uid-a.ics")
    assert item is not None and item.version == "v2"


def test_an_item_moving_to_an_href_freed_in_the_same_pull_is_not_lost(
    store: Store, coll_id: int
) -> None:
    store.apply_pull(coll_id, [draft("a", uid="u")], [], "c1", True, 1.0)
    # a is deleted and another provider item with the same UID appears in the same pull:
    # the tombstone does not free the name before the pull's upserts, so b takes u-2
    store.apply_pull(coll_id, [draft("b", uid="u")], ["a"], "c2", False, 2.0)
    assert [(i.remote_id, i.href) for i in store.items(coll_id)] == [("b", "u-2.ics")]


def test_each_change_of_a_pull_gets_its_own_number_and_a_removal_a_later_one(
    store: Store, coll_id: int
) -> None:
    # the numbers are handed out by the batch and stored once: the same as one bump per item
    before = store.sync_token(coll_id)
    store.apply_pull(coll_id, [draft("a"), draft("b"), draft("c")], [], "c1", True, 1.0)
    first = store.sync_token(coll_id)
    assert int(first.rpartition("-")[2]) == int(before.rpartition("-")[2]) + 3
    assert len(store.changes_since(coll_id, before)[1]) == 3
    hrefs = {i.remote_id: i.href for i in store.items(coll_id)}
    store.apply_pull(coll_id, [draft("b", "B2"), draft("a")], ["c"], "c2", False, 2.0)
    second, changed = store.changes_since(coll_id, first)
    assert changed == [hrefs["b"], hrefs["c"]]  # b changed, then c removed; a unchanged
    assert int(second.rpartition("-")[2]) == int(first.rpartition("-")[2]) + 2
    store.apply_pull(coll_id, [draft("a", "A2")], [], "c3", False, 3.0)
    assert store.changes_since(coll_id, second)[1] == [hrefs["a"]]


def test_a_batch_of_a_streamed_listing_reads_only_its_own_rows(store: Store, coll_id: int) -> None:
    """A streamed first sync stores batches of 2,000 with the old cursor (not a reset): each
    batch reads the rows of its own items, not every row of the collection again (the store's
    cost per item grew with the calendar's size). Outcomes stay those of a full read: a clash
    with an existing UID takes the next free name, a known item keeps its href."""
    store.apply_pull(coll_id, [draft(f"r{n}", uid=f"u{n}") for n in range(3000)], [], "c1", 1, 1)
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)  # type: ignore[union-attr]
    try:
        store.apply_pull(
            coll_id, [draft("r7", "changed", uid="u7"), draft("new", uid="u8")], [], "c1", 0, 1
        )
    finally:
        store._db.set_trace_callback(None)  # type: ignore[union-attr]
    hrefs = {i.remote_id: i.href for i in store.items(coll_id)}
    assert hrefs["r7"] == "u7.ics" and hrefs["new"] == "u8-2.ics" and hrefs["r8"] == "u8.ics"
    whole = [s for s in statements if "FROM items WHERE collection_id = " in s and " IN (" not in s]
    assert [s for s in whole if "href, remote_id, deleted, etag" in s] == [], whole
