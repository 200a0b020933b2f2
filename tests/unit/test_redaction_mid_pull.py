"""A calendar's private-event setting changing while a pull of it runs (issue 15): an admin
gives a delegate private access (or takes it away) while the delegate's copy of the owner's
calendar is being pulled under the old setting. The pull stores nothing — neither its items nor
its cursor — so the next pull is the full one the change asked for: the delegate sees the
private details once they are granted, and never once they are taken away.

Seen in the end-to-end suite: an incremental pull begun just before the grant changed saved its
cursor after the change, so the copy stayed busy blocks until the owner next changed something.
The provider here blocks until the test releases it, so the order is forced, not timed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bridge.model import PullResult, RemoteItem
from bridge.providers.base import PullPage
from bridge.settings import SyncSettings
from bridge.store import Store
from bridge.sync.engine import SyncEngine
from tests.unit.grant_copy import boss_calendar_copy

PRIVATE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
    "DTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\n"
    "SUMMARY:Therapy session\r\nLOCATION:Dr. Lee's practice\r\nCLASS:PRIVATE\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


class GatedCalendar:
    """The owner's calendar: one private event; a pull waits for `gate` once `hold` is set.
    `paged`: full listings come page by page (as Graph's and Google's do)."""

    account_email = "boss@x.example"

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()
        self.hold = False
        self.pulls = 0

    def _wait(self) -> None:
        if self.hold:
            self.started.set()
            assert self.gate.wait(30), "the test never released the provider"
        self.pulls += 1

    def item(self) -> RemoteItem:
        return RemoteItem("ev1", "v1", "ev1", PRIVATE.format(uid="ev1"))

    def pull(self, calendar_id: str, cursor: str | None, window: object) -> PullResult:
        self._wait()
        items = (self.item(),) if cursor is None else ()
        return PullResult(items, (), f"c{self.pulls}", reset=cursor is None, requests=1)


class PagedCalendar(GatedCalendar):
    def pull_pages(
        self, calendar_id: str, cursor: str | None, window: object
    ) -> Iterator[PullPage]:
        self._wait()
        if cursor is None:
            yield PullPage((self.item(),), (), True, 1)
            yield PullPage((), (), True, 1, f"c{self.pulls}")
        else:
            yield PullPage((), (), False, 1, f"c{self.pulls}")


@dataclass
class World:
    store: Store
    engine: SyncEngine
    provider: GatedCalendar
    copy_id: int

    def text(self) -> str:
        return "".join(item.text for item in self.store.items(self.copy_id))

    def pull_while(self, change: bool) -> None:
        """Pull the copy; while the provider is answering, set busy blocks to `change`."""
        self.provider.hold = True
        self.provider.gate.clear()
        self.provider.started.clear()
        pull = threading.Thread(target=self.engine.refresh, args=(self.copy_id,))
        pull.start()
        assert self.provider.started.wait(10), "the pull did not reach the provider"
        assert self.store.set_redaction(self.copy_id, change)
        self.provider.gate.set()
        pull.join(30)
        assert not pull.is_alive()
        self.provider.hold = False


@pytest.fixture(params=["all at once", "page by page"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    store = Store(tmp_path / "db.sqlite3")
    copy = boss_calendar_copy(store, write=False, private=False)
    provider = GatedCalendar() if request.param == "all at once" else PagedCalendar()
    engine = SyncEngine(store, lambda _cid: provider, SyncSettings())  # type: ignore[arg-type,return-value]
    yield World(store, engine, provider, copy.id)
    provider.gate.set()
    store.close()


def test_private_access_granted_during_a_pull_shows_the_details_next(world: World) -> None:
    world.store.set_redaction(world.copy_id, True)
    world.engine.refresh(world.copy_id)
    assert "SUMMARY:Private" in world.text() and "Therapy" not in world.text()
    world.pull_while(change=False)  # the incremental pull began under busy blocks
    coll = world.store.collection(world.copy_id)
    assert coll.cursor is None and coll.refreshed_at is None  # its cursor was not saved
    assert world.engine.is_stale(coll)
    world.engine.refresh(world.copy_id)
    assert "Therapy session" in world.text() and "Dr. Lee" in world.text()
    assert len(world.store.items(world.copy_id)) == 1


def test_private_access_taken_away_during_a_pull_stores_no_detail(world: World) -> None:
    world.store.set_redaction(world.copy_id, False)
    world.store.apply_pull(world.copy_id, (), (), None, True, None)  # an empty copy, stale
    world.pull_while(change=True)  # the full listing began with private access
    assert "Therapy" not in world.text() and "Lee" not in world.text()
    assert world.store.collection(world.copy_id).cursor is None
    world.engine.refresh(world.copy_id)
    assert "SUMMARY:Private" in world.text() and "Therapy" not in world.text()
    assert len(world.store.items(world.copy_id)) == 1


def test_a_pull_under_an_unchanged_setting_is_stored(world: World) -> None:
    world.store.set_redaction(world.copy_id, False)
    world.engine.refresh(world.copy_id)
    assert "Therapy session" in world.text()
    assert world.store.collection(world.copy_id).cursor == "c1"
    assert not world.store.set_redaction(world.copy_id, False)  # no change: nothing starts over
    world.engine.refresh(world.copy_id)
    assert world.store.collection(world.copy_id).cursor == "c2"
    assert "Therapy session" in world.text()
