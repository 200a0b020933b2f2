"""Several bridge processes on one database (issue 17, point 3), on SQLite and PostgreSQL: each
collection is pulled by one process at a time (leases), a process finding a pull under way
waits for it instead of pulling again, a crashed puller's lease is taken over, changes to one
collection are serialised across processes, and sync tokens stay monotonic.

"Processes" are separate `Store` objects (each with its own connections or pool) in threads;
the end-to-end tests run real processes (tests/e2e/test_scale_out.py). No assertion is about
timing: gated providers and events order the steps."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bridge.errors import Busy
from bridge.model import CollectionKind
from bridge.settings import SyncSettings
from bridge.store import ItemDraft, Store
from bridge.sync.engine import SyncEngine
from bridge.sync.lease import pull_lease_name
from tests.unit.test_stale_while_revalidate import GatedProvider


@pytest.fixture
def stores(store_target: Path | str) -> Iterator[tuple[Store, Store, int]]:
    """Two stores on one database (two processes' views) and a calendar collection."""
    a = Store(store_target)
    b = Store(store_target)
    user = a.create_user("alex")
    conn = a.create_connection(user.id, "graph", "alex@contoso.example", "{}", None)
    coll = a.upsert_collection(
        user.id, conn.id, CollectionKind.CALENDAR, "cal", "Calendar", None, False, None
    )
    yield a, b, coll.id
    a.close()
    b.close()


def test_a_held_lease_is_refused_to_others_and_renewed_by_its_holder(
    stores: tuple[Store, Store, int],
) -> None:
    a, b, _ = stores
    assert a.claim_lease("pull:1", "A", 60)
    assert not b.claim_lease("pull:1", "B", 60)
    assert a.renew_lease("pull:1", "A", 60)
    assert not b.renew_lease("pull:1", "B", 60)
    assert b.lease("pull:1")[0] == "A"
    a.release_lease("pull:1", "A")
    assert b.claim_lease("pull:1", "B", 60)
    assert b.lease("pull:1")[0] == "B"


def test_an_expired_lease_is_taken_over_and_its_old_holder_cannot_renew_it(
    stores: tuple[Store, Store, int],
) -> None:
    a, b, _ = stores
    assert a.claim_lease("pull:1", "A", 0)  # a holder that stopped renewing at once
    assert a.lease("pull:1")[0] is None  # expired
    assert b.claim_lease("pull:1", "B", 60)
    assert not a.renew_lease("pull:1", "A", 60)
    assert a.lease("pull:1")[:1] == ("B",)
    assert a.lease("pull:1")[2] == 2  # taken twice


def test_of_many_simultaneous_claimers_exactly_one_wins(store_target: Path | str) -> None:
    stores = [Store(store_target) for _ in range(4)]
    start = threading.Barrier(len(stores))

    def claim(i: int) -> bool:
        start.wait()
        try:
            return stores[i].claim_lease("pull:7", f"P{i}", 60)
        except Busy:  # SQLite: a claimer that waited past the lock timeout
            return False

    with ThreadPoolExecutor(len(stores)) as pool:
        won = list(pool.map(claim, range(len(stores))))
    assert won.count(True) == 1
    winner = won.index(True)
    assert stores[0].lease("pull:7")[0] == f"P{winner}"
    for s in stores:
        s.close()


def engine_for(store: Store, provider: GatedProvider) -> SyncEngine:
    settings = SyncSettings(refresh_interval_s=0.0, request_refresh_timeout_s=60.0)
    return SyncEngine(store, lambda _cid: provider, settings)  # type: ignore[arg-type,return-value]


def test_a_process_finding_a_pull_under_way_waits_for_it_instead_of_pulling(
    stores: tuple[Store, Store, int],
) -> None:
    a, b, coll_id = stores
    provider = GatedProvider()
    first, second = engine_for(a, provider), engine_for(b, provider)
    refused = threading.Event()  # the second process found the lease held and waits
    wait_pulled = b.wait_pulled

    def waits(collection_id: int, lease: str, timeout_s: float) -> bool:
        refused.set()
        return wait_pulled(collection_id, lease, timeout_s)

    b.wait_pulled = waits  # type: ignore[method-assign]
    with ThreadPoolExecutor(2) as pool:
        pulling = pool.submit(first.refresh, coll_id, True)
        assert provider.started.wait(30)
        waiting = pool.submit(second.refresh, coll_id, True)
        assert refused.wait(30)
        assert b.lease(pull_lease_name(coll_id))[0] == first.leases.holder
        assert not waiting.done()  # held back by the lease, not pulling: the gate is shut
        provider.gate.set()
        assert pulling.result(30) is not None
        assert waiting.result(30) is None  # woken by the notification, did not pull
    assert provider.pulls == 1
    assert [i.uid for i in b.items(coll_id)] == ["ev1"]  # what the other process pulled
    assert b.lease(pull_lease_name(coll_id))[0] is None  # released


def test_a_crashed_pullers_lease_is_taken_over(stores: tuple[Store, Store, int]) -> None:
    a, b, coll_id = stores
    provider = GatedProvider()
    provider.gate.set()
    survivor = engine_for(b, provider)
    # the crashed process claimed the lease and died: nobody renews it, it expires
    assert a.claim_lease(pull_lease_name(coll_id), "crashed:1", 0)
    assert survivor.refresh(coll_id, True) is not None
    assert provider.pulls == 1
    assert [i.uid for i in b.items(coll_id)] == ["ev1"]


def test_a_process_waiting_on_a_crashed_pullers_lease_takes_it_over_when_it_expires(
    stores: tuple[Store, Store, int],
) -> None:
    a, b, coll_id = stores
    provider = GatedProvider()
    provider.gate.set()
    survivor = engine_for(b, provider)
    # the crashed process holds the lease for half a second more and never releases it:
    # the survivor waits for it (no notification comes) and pulls once it has expired
    assert a.claim_lease(pull_lease_name(coll_id), "crashed:1", 0.5)
    assert survivor.refresh(coll_id, True) is not None
    assert provider.pulls == 1
    assert b.lease(pull_lease_name(coll_id))[2] == 2  # taken by the crashed one, then over


def test_sync_tokens_stay_monotonic_with_writers_in_two_processes(
    stores: tuple[Store, Store, int],
) -> None:
    a, b, coll_id = stores
    token0 = a.sync_token(coll_id)

    def write(args: tuple[Store, int]) -> None:
        store, n = args
        text = f"BEGIN:VCALENDAR\r\nX:{n}\r\nEND:VCALENDAR\r\n"
        store.put_item(coll_id, f"i{n}.ics", ItemDraft(f"u{n}", f"r{n}", "1", text, "VEVENT", 0, 1))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, [(a if n % 2 else b, n) for n in range(40)]))
    token, changed = b.changes_since(coll_id, token0)
    assert sorted(changed) == sorted(f"i{n}.ics" for n in range(40))
    assert int(token.rpartition("-")[2]) == int(token0.rpartition("-")[2]) + 40
    assert b.changes_since(coll_id, token)[1] == []


def test_a_collection_locked_in_one_process_is_busy_in_another(
    pg_stores: tuple[Store, Store],
) -> None:
    """PostgreSQL only: on SQLite one process serves the database and its own lock rules."""
    a, b = pg_stores
    with a.collection_lock(5, 1.0), a.collection_lock(5, 1.0):  # re-entrant in a thread
        with pytest.raises(Busy) as busy, b.collection_lock(5, 0.2):
            pass
        assert "another bridge process" in busy.value.message
        with b.collection_lock(6, 0.2):  # another collection is free
            pass
    with b.collection_lock(5, 0.2):  # released with the block
        pass


def test_a_listing_in_one_process_waits_for_a_collection_change_in_another(
    pg_stores: tuple[Store, Store],
) -> None:
    """A connection's listing lock holds across processes (issue 17): a calendar listing
    taken in one process must not be applied after another created a calendar (the e2e
    MKCALENDAR through a balancer answered 404 when it was). PostgreSQL only."""
    a, b = pg_stores
    first, second = engine_for(a, GatedProvider()), engine_for(b, GatedProvider())
    second.lock_timeout_s = 0.2
    with first.listing_lock(7, CollectionKind.CALENDAR):
        with pytest.raises(Busy), second.listing_lock(7, CollectionKind.CALENDAR):
            pass
        with second.listing_lock(7, CollectionKind.ADDRESSBOOK):  # another kind is free
            pass
        with second.listing_lock(8, CollectionKind.CALENDAR):  # another connection too
            pass
        with first.listing_lock(7, CollectionKind.CALENDAR):  # re-entrant in a thread
            pass
    with second.listing_lock(7, CollectionKind.CALENDAR):  # released with the block
        pass
