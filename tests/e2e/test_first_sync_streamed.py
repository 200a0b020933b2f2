"""Pulls stored page by page (issue 14, points 1 and 3; bridge/sync/stream.py): a first sync
that the provider breaks off halfway keeps what it stored and no cursor, and the next pull
completes it — every event once, the stored ones unchanged (same etag, so clients see no
change for them), one deleted meanwhile at the provider gone. A bulk import of contacts (one
large increment) broken off likewise keeps the old cursor, and the next pull brings in every
contact once.

The Microsoft 365 sandbox (its own process, Graph's delta paged 200 items a page) fails a
delta page with an error answer; batches are made one page long."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

import bridge.sync.stream
from bridge.entry.demo import Demo, DemoInfo
from bridge.model import CollectionKind, CollectionRecord, ProviderKind
from tests.e2e.conftest import GraphAdmin, free_port

CONTACTS = 450  # three contacts delta pages of 200

EVENTS = 1000  # five delta pages of 200


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, DemoInfo]]:
    demo = Demo(
        tmp_path_factory.mktemp("streamed"),
        port=free_port(),
        refresh_interval_s=3600.0,
        bulk_events=EVENTS,
        background=False,
        providers=(ProviderKind.GRAPH,),
    )
    info = demo.start()
    yield demo, info
    demo.stop()


def admin(info: DemoInfo) -> GraphAdmin:
    g = info.sandboxes.graph
    assert g is not None
    return GraphAdmin(
        {
            "sandbox": {
                "graph_base_url": g.graph_base_url,
                "user": g.user,
                "control_url": g.control_url,
                "ca_file": g.ca_file,
                "client_id": g.admin_client_id,
                "client_secret": g.admin_client_secret,
                "authority": g.authority,
            }
        }
    )


def test_an_interrupted_first_sync_is_completed_without_loss_or_duplicates(
    running: tuple[Demo, DemoInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    demo, info = running
    assert demo.bridge is not None
    store, engine = demo.bridge.store, demo.bridge.engine
    bulk: CollectionRecord = max(
        (c for c in store.collections() if c.kind is CollectionKind.CALENDAR),
        key=lambda c: len(store.item_texts(c.id)),
    )
    etags = {i.remote_id: i.etag for i in store.items(bulk.id)}
    assert len(etags) == EVENTS
    graph = admin(info)
    monkeypatch.setattr(bridge.sync.stream, "BATCH", 200)  # each page its own transaction

    store.apply_pull(bulk.id, [], [], None, True, 0.0)  # a true first sync: nothing, no cursor
    graph.ctl(
        "POST",
        "/faults",
        json={"match": r"calendarView/delta", "status": 400, "skip": 3, "times": 1},
    )
    assert engine.refresh(bulk.id) is None  # the fourth page failed
    kept = {i.remote_id: i.etag for i in store.items(bulk.id)}
    assert len(kept) == 600  # three pages stored …
    assert store.collection(bulk.id).cursor is None  # … and no cursor: the next pull is full
    assert {rid: etags[rid] for rid in kept} == kept

    gone = sorted(kept)[0]  # deleted at the provider before the next pull
    assert graph.call("DELETE", f"/events/{gone}").status_code == 204
    outcome = engine.refresh(bulk.id)
    assert outcome is not None and outcome.reset
    items = store.items(bulk.id)
    assert Counter(Counter(i.uid for i in items).values()) == {1: EVENTS - 1}  # each once
    now = {i.remote_id: i.etag for i in items}
    assert set(now) == set(etags) - {gone}
    assert now == {rid: etags[rid] for rid in now}  # the same bytes as the first first sync
    assert outcome.changed == EVENTS - len(kept) + 1  # the 400 new ones and the deletion
    assert store.collection(bulk.id).cursor


def test_an_interrupted_bulk_import_of_contacts_is_completed_once(
    running: tuple[Demo, DemoInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    demo, info = running
    assert demo.bridge is not None and info.sandboxes.graph is not None
    store, engine = demo.bridge.store, demo.bridge.engine
    book = next(
        c
        for c in store.collections()
        if c.kind is CollectionKind.ADDRESSBOOK and c.display_name.startswith("Contacts")
    )
    before = {i.uid for i in store.items(book.id)}
    cursor = store.collection(book.id).cursor
    assert before and cursor
    graph = admin(info)
    people = [
        {"givenName": "Bulk", "surname": f"Person {n}", "mobilePhone": f"+49 151 {3000000 + n}"}
        for n in range(CONTACTS)
    ]
    graph.ctl("POST", "/contacts/folders/contacts/bulk", json={"contacts": people})
    monkeypatch.setattr(bridge.sync.stream, "BATCH", 200)

    graph.ctl(
        "POST", "/faults", json={"match": r"contacts/delta", "status": 400, "skip": 2, "times": 1}
    )
    assert engine.refresh(book.id) is None  # the third page failed
    stored = {i.uid for i in store.items(book.id)}
    assert before < stored and len(stored) < len(before) + CONTACTS  # some pages stored …
    assert store.collection(book.id).cursor == cursor  # … and the old cursor kept

    outcome = engine.refresh(book.id)
    assert outcome is not None and not outcome.reset
    items = store.items(book.id)
    assert Counter(Counter(i.uid for i in items).values()) == {1: len(before) + CONTACTS}
    assert sum(1 for i in items if "Person 449" in i.text) == 1
    assert store.collection(book.id).cursor != cursor
