"""A discovery's provider listing taken before a client creates or deletes an address book is
never applied after it (issue 11: vdirsyncer's CardDAV `test_discover` teardown got 404 for
one of four new address books on Microsoft 365). Without the connection's listing lock the
stale listing drops the new book from the mirror (it comes back under another name, so the
client's path answers 404) or brings a deleted one back.

The provider's listing here waits for the test to release it; the test releases it once the
create (or delete) has reached the provider, or after a bounded wait when the lock holds the
create back, which is the fixed behaviour. The assertions are about the final mirror, never
about timing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.model import AddressBookInfo, CollectionChange, CollectionKind, PullResult
from bridge.settings import SyncSettings
from bridge.store import Store
from bridge.sync.collections import CollectionAdmin
from bridge.sync.engine import SyncEngine


class GatedFolders:
    """Contact folders whose next listing (once `gated`) returns what was there when it began,
    and only after `release`."""

    kind = "graph"
    account_email = "alex@contoso.example"

    def __init__(self) -> None:
        self.books = {"contacts": AddressBookInfo("contacts", "Contacts", is_default=True)}
        self.gated = False
        self.listing = threading.Event()
        self.release = threading.Event()
        self.changed = threading.Event()  # a create or delete reached the provider
        self._n = 0

    def list_address_books(self) -> list[AddressBookInfo]:
        snapshot = list(self.books.values())
        if self.gated:
            self.gated = False
            self.listing.set()
            assert self.release.wait(30), "the test never released the listing"
        return snapshot

    def create_address_book(self, display_name: str) -> AddressBookInfo:
        self._n += 1
        book = AddressBookInfo(f"folder-{self._n}", display_name)
        self.books[book.remote_id] = book
        self.changed.set()
        return book

    def rename_address_book(self, remote_id: str, display_name: str) -> None:
        raise AssertionError("not used")

    def delete_address_book(self, remote_id: str) -> None:
        self.books.pop(remote_id, None)
        self.changed.set()

    def pull_contacts(self, book_id: str, cursor: str | None) -> PullResult:
        return PullResult((), (), "c", reset=cursor is None, requests=1)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[SyncEngine, CollectionAdmin, GatedFolders, int]]:
    store = Store(tmp_path / "db.sqlite3")
    user = store.create_user("alex")
    conn = store.create_connection(user.id, "graph", "alex@contoso.example", "{}", None)
    folders = GatedFolders()
    engine = SyncEngine(
        store,
        lambda _cid: None,  # type: ignore[arg-type,return-value]
        SyncSettings(),
        contacts=lambda _cid: folders,  # type: ignore[arg-type,return-value]
    )
    engine.discover_address_books(conn.id)
    yield engine, CollectionAdmin(engine), folders, conn.id
    folders.release.set()


def _during_a_listing(
    engine: SyncEngine, folders: GatedFolders, conn_id: int, work: object
) -> None:
    """Run `work` while a discovery holds a listing taken before it."""
    folders.gated = True
    discovery = threading.Thread(target=engine.discover_address_books, args=(conn_id,))
    discovery.start()
    assert folders.listing.wait(30)
    client = threading.Thread(target=work)  # type: ignore[arg-type]
    client.start()
    folders.changed.wait(1.0)  # unlocked: the change lands now; locked: it waits its turn
    folders.release.set()
    discovery.join(30)
    client.join(30)
    assert not discovery.is_alive() and not client.is_alive()


def test_a_book_created_during_a_listing_keeps_the_clients_path(
    world: tuple[SyncEngine, CollectionAdmin, GatedFolders, int],
) -> None:
    engine, admin, folders, conn_id = world
    user_id = engine.store.connection(conn_id).user_id

    def create() -> None:
        admin.create(user_id, "m365-club", CollectionKind.ADDRESSBOOK, CollectionChange("Club"))

    _during_a_listing(engine, folders, conn_id, create)

    coll = engine.store.collection_by_name(user_id, "m365-club")
    assert coll is not None and coll.remote_id == "folder-1"
    books = [
        c for c in engine.store.collections(connection_id=conn_id) if c.remote_id == "folder-1"
    ]
    assert [c.name for c in books] == ["m365-club"]


def test_a_book_deleted_during_a_listing_stays_deleted(
    world: tuple[SyncEngine, CollectionAdmin, GatedFolders, int],
) -> None:
    engine, admin, folders, conn_id = world
    user_id = engine.store.connection(conn_id).user_id
    made = admin.create(user_id, "m365-old", CollectionKind.ADDRESSBOOK, CollectionChange("Old"))
    folders.changed.clear()

    _during_a_listing(engine, folders, conn_id, lambda: admin.delete(made))

    assert "folder-1" not in folders.books
    remaining = {c.remote_id for c in engine.store.collections(connection_id=conn_id)}
    assert remaining == {"contacts"}
