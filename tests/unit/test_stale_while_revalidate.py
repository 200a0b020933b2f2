"""Stale-while-revalidate (issue 14, point 5): a client request on a stale collection is
answered from the mirror at once and only schedules the refresh; the very first fill of a
never-synced collection is the one wait (bounded by request_refresh_timeout_s).

The provider here blocks until the test releases it, so a request that waited on it would
never return before the release: the assertions are about order, not about timing."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bridge.model import CollectionKind, CollectionRecord, PullResult, RemoteItem
from bridge.settings import SyncSettings
from bridge.store import Store
from bridge.sync.engine import SyncEngine
from bridge.sync.scheduler import Refresher

EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
    "DTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\n"
    "SUMMARY:{uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


class GatedProvider:
    """A calendar whose pulls wait for `gate`; each pull adds one event (a provider change)."""

    account_email = "alex@contoso.example"

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()
        self.pulls = 0

    def pull(self, remote_id: str, cursor: str | None, window: object) -> PullResult:
        self.started.set()
        assert self.gate.wait(30), "the test never released the provider"
        self.pulls += 1
        uid = f"ev{self.pulls}"
        item = RemoteItem(uid, "v1", uid, EVENT.format(uid=uid))
        return PullResult((item,), (), f"c{self.pulls}", reset=cursor is None, requests=1)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[SyncEngine, Refresher, GatedProvider, int]]:
    store = Store(tmp_path / "db.sqlite3")
    user = store.create_user("alex")
    conn = store.create_connection(user.id, "graph", "alex@contoso.example", "{}", None)
    coll = store.upsert_collection(
        user.id, conn.id, CollectionKind.CALENDAR, "cal", "Calendar", None, False, None
    )
    provider = GatedProvider()
    settings = SyncSettings(refresh_interval_s=0.0, request_refresh_timeout_s=60.0)
    engine = SyncEngine(store, lambda _cid: provider, settings)  # type: ignore[arg-type,return-value]
    refresher = Refresher(engine)
    yield engine, refresher, provider, coll.id
    provider.gate.set()
    refresher.stop()


def served(engine: SyncEngine, coll_id: int) -> list[str]:
    return sorted(item.uid for item in engine.store.items(coll_id))


def wait_for(predicate: Callable[[], bool], what: str) -> None:
    """Poll shared state until it holds (no sleep-and-hope); 30 s is only the give-up."""
    pause = threading.Event()
    for _ in range(600):
        if predicate():
            return
        pause.wait(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_stale_collection_is_served_at_once_and_refreshed_behind(
    world: tuple[SyncEngine, Refresher, GatedProvider, int],
) -> None:
    engine, refresher, provider, coll_id = world
    provider.gate.set()
    engine.refresh(coll_id)  # the first fill
    assert served(engine, coll_id) == ["ev1"]
    provider.gate.clear()
    provider.started.clear()
    stale: CollectionRecord = engine.store.collection(coll_id)
    assert engine.is_stale(stale)
    request = threading.Thread(target=refresher.ensure_fresh, args=(stale,))
    request.start()  # the request may wait 60 s by its settings: it must not wait at all
    request.join(timeout=10)
    assert not request.is_alive(), "a request on a stale collection waited for the provider"
    assert provider.started.wait(10), "the request did not schedule a refresh"
    assert served(engine, coll_id) == ["ev1"]  # the mirror as it was
    provider.gate.set()  # the provider answers: the refresh lands without any request
    wait_for(lambda: served(engine, coll_id) == ["ev1", "ev2"], "the background refresh")
    # the refresh's items are committed before its task ends (lease release, heap trim):
    # a request arriving in between joins that refresh instead of scheduling the next one
    wait_for(lambda: refresher._inflight[coll_id].done(), "the background refresh's end")
    refresher.ensure_fresh(engine.store.collection(coll_id))
    wait_for(lambda: provider.pulls == 3, "the next scheduled refresh")


def test_requests_on_a_stale_collection_schedule_one_refresh_at_a_time(
    world: tuple[SyncEngine, Refresher, GatedProvider, int],
) -> None:
    engine, refresher, provider, coll_id = world
    provider.gate.set()
    engine.refresh(coll_id)
    provider.gate.clear()
    stale = engine.store.collection(coll_id)
    for _ in range(20):  # a burst of client requests while the provider is slow
        refresher.ensure_fresh(stale)
    provider.gate.set()
    wait_for(lambda: served(engine, coll_id) == ["ev1", "ev2"], "the scheduled refresh")
    refresher.stop()  # waits for whatever the pool still had to do
    assert provider.pulls == 2  # the burst made one refresh, not twenty


def test_the_first_fill_of_a_never_synced_collection_is_waited_for(
    world: tuple[SyncEngine, Refresher, GatedProvider, int],
) -> None:
    engine, refresher, provider, coll_id = world
    never = engine.store.collection(coll_id)
    assert never.refreshed_at is None
    provider.gate.set()
    refresher.ensure_fresh(never)  # an empty mirror is not served as "no events"
    assert served(engine, coll_id) == ["ev1"]


def test_the_first_fill_wait_is_bounded(
    world: tuple[SyncEngine, Refresher, GatedProvider, int],
) -> None:
    engine, refresher, provider, coll_id = world
    engine.settings = dataclasses.replace(engine.settings, request_refresh_timeout_s=0.2)
    refresher.ensure_fresh(engine.store.collection(coll_id))  # the provider never answers
    assert served(engine, coll_id) == []  # returned before it did
    provider.gate.set()
    wait_for(lambda: served(engine, coll_id) == ["ev1"], "the first fill")
    assert provider.pulls == 1
