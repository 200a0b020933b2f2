"""Client writes of different items of one collection run side by side at the provider, two
writes of one item one after the other, and a pull waits for the writes in flight (and they
for it) — in one process (`SharedLock`, `CollectionLocks`) and across processes on PostgreSQL
(advisory locks). A client uploading several events at once used to queue them behind one
collection lock, and the last got 503 once the queue passed the lock timeout.

No assertion is about timing: barriers and events order the steps."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.api import Bridge
from bridge.errors import Busy
from bridge.model import CalendarInfo, CollectionKind, ProviderKind, PullResult, RemoteItem
from bridge.settings import Settings
from bridge.store import Store
from bridge.sync.locks import SharedLock
from tests.unit.fake_connection import connect_fake


def event(uid: str, summary: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20261120T100000Z\r\n"
        f"DTEND:20261120T110000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


class Provider:
    """Two events; every update meets the others at `barrier` before it is applied, so two
    updates only finish when both are at the provider at the same time."""

    kind = ProviderKind.GRAPH

    def __init__(self) -> None:
        self.items = {u: RemoteItem(u, "v1", u, event(u, "First")) for u in ("a", "b")}
        self.barrier = threading.Barrier(2, timeout=10)
        self.pulls = 0

    @property
    def account_email(self) -> str:
        return "alex@contoso.example"

    def list_calendars(self) -> list[CalendarInfo]:
        return [CalendarInfo("cal-1", "Calendar", is_default=True)]

    def list_address_books(self) -> list[Any]:
        return []

    def pull(self, calendar_id: str, cursor: str | None, window: Any) -> PullResult:
        self.pulls += 1
        return PullResult(tuple(self.items.values()), (), "c1", reset=True)

    def update(
        self, calendar_id: str, remote_id: str, version: str | None, ical: str, window: Any
    ) -> RemoteItem:
        self.barrier.wait()
        old = self.items[remote_id]
        self.items[remote_id] = RemoteItem(remote_id, old.version + "+", old.uid, ical)
        return self.items[remote_id]


@pytest.fixture()
def bridge(tmp_path: Path) -> Iterator[Bridge]:
    settings = (
        Settings()
        .replace("store", data_dir=str(tmp_path / "data"))
        .replace("server", write_budget_seconds=20, lock_timeout_seconds=20)
        .replace("sync", background=False)
    )
    b = Bridge(settings)
    yield b
    b.close()


def test_writes_of_two_events_of_one_calendar_are_at_the_provider_together(
    bridge: Bridge,
) -> None:
    user = bridge.ensure_user("alex")
    fake = Provider()
    connect_fake(bridge, user, fake)
    cal = next(c for c in bridge.collections_for("alex") if c.kind is CollectionKind.CALENDAR)
    items = {it.uid: it for it in bridge.items(cal)}
    results: dict[str, Any] = {}

    def write(uid: str) -> None:
        try:
            results[uid] = bridge.put(cal, items[uid].href, event(uid, "Second"), True)
        except Exception as exc:  # reported below
            results[uid] = exc

    threads = [threading.Thread(target=write, args=(uid,)) for uid in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    # serialised writes would leave the first alone at the barrier: BrokenBarrierError
    assert not any(isinstance(r, Exception) for r in results.values()), results
    assert {it.uid: "Second" in (it.text or "") for it in bridge.items(cal)} == {
        "a": True,
        "b": True,
    }


def test_a_pull_waits_for_the_writes_in_flight_and_holds_new_ones_back() -> None:
    lock = SharedLock()
    writer_in, writer_go, pull_done = threading.Event(), threading.Event(), threading.Event()
    order: list[str] = []

    def writer() -> None:
        assert lock.acquire_shared(5)
        writer_in.set()
        writer_go.wait(5)
        order.append("write")
        lock.release_shared()

    def pull() -> None:
        with lock:
            order.append("pull")
        pull_done.set()

    w = threading.Thread(target=writer)
    w.start()
    assert writer_in.wait(5)
    p = threading.Thread(target=pull)
    p.start()
    while not lock._exclusive_waiting:  # the pull is queued behind the write
        threading.Event().wait(0.01)
    assert not lock.acquire_shared(0.05)  # a new write waits for the queued pull
    writer_go.set()
    assert pull_done.wait(5)
    w.join(5)
    p.join(5)
    assert order == ["write", "pull"]
    assert lock.acquire_shared(0.05)  # and goes once the pull is done
    lock.release_shared()


def test_the_lock_is_reentrant_where_that_is_safe_and_refuses_the_self_deadlock() -> None:
    lock = SharedLock()
    with lock, lock:  # a pull inside a pull
        assert lock.acquire_shared(0.05)  # a write under the exclusive hold
        lock.release_shared()
    assert lock.acquire_shared(0.05) and lock.acquire_shared(0.05)
    with pytest.raises(RuntimeError):
        lock.acquire(timeout=1)
    lock.release_shared()
    lock.release_shared()
    held = threading.Event()
    done = threading.Event()

    def hold() -> None:
        with lock:
            held.set()
            done.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(5)
    assert not lock.acquire(timeout=0.05) and not lock.acquire_shared(0.05)
    done.set()
    t.join(5)


def test_the_same_item_written_twice_waits_and_answers_busy_past_the_timeout(
    tmp_path: Path,
) -> None:
    from bridge.sync.locks import CollectionLocks

    locks = CollectionLocks(Store(tmp_path / "s.sqlite3"), 0.1)
    with locks.writing(1, "a.ics"):
        with locks.writing(1, "b.ics", 0.1):  # another item: at once
            pass
        with pytest.raises(Busy) as busy, locks.writing(1, "a.ics", 0.1):
            pass
        assert busy.value.http_status == 503 and "item is busy" in busy.value.message
        pulled: list[BaseException] = []

        def pull() -> None:
            try:
                with locks.locked(1, 0.1):
                    pass
            except Busy as exc:
                pulled.append(exc)

        t = threading.Thread(target=pull)  # a pull (another thread) waits for the write
        t.start()
        t.join(5)
        assert len(pulled) == 1
    with locks.writing(1, "a.ics", 0.1):  # released with the block
        pass
    assert locks._items == {}  # nothing kept per item once no write holds it


def test_item_locks_across_processes(pg_stores: tuple[Store, Store]) -> None:
    """PostgreSQL: a write through one process holds its item against a write of the same
    item through another and against a pull there, but not against a write of another item."""
    a, b = pg_stores
    with a.item_lock(5, "a.ics", 1.0):
        with b.item_lock(5, "b.ics", 0.2):  # another item of the collection: at once
            pass
        with pytest.raises(Busy), b.item_lock(5, "a.ics", 0.2):
            pass
        with pytest.raises(Busy), b.collection_lock(5, 0.2):  # a pull there waits
            pass
    with a.collection_lock(5, 1.0):
        with a.item_lock(5, "a.ics", 0.2):  # a write under this thread's own pull
            pass
        with pytest.raises(Busy), b.item_lock(5, "c.ics", 0.2):  # writes wait for a pull
            pass
    with b.item_lock(5, "a.ics", 0.2), b.collection_lock(6, 0.2):  # all released
        pass
