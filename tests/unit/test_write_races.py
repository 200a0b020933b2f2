"""Two clients write the same item with the same ETag (RFC 9110 §13.1.1 If-Match, RFC 4791
§5.3.4 / RFC 6352 §6.3.2 conditional writes): the first wins, the second — which passed the
check made before the collection's lock, while the first was still at the provider — gets 412
from the check made again under the lock, and nothing of it reaches the provider or the mirror.
Events and contacts alike (issue 10: the contacts path lacked the re-check)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from bridge.api import Bridge
from bridge.errors import PreconditionFailed
from bridge.model import (
    AddressBookInfo,
    CalendarInfo,
    CollectionKind,
    ProviderKind,
    PullResult,
    RemoteItem,
)
from bridge.settings import Settings
from tests.unit.fake_connection import connect_fake


def event(summary: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        "UID:ev\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20261120T100000Z\r\n"
        f"DTEND:20261120T110000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def card(name: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ct\r\nFN:{name}\r\nN:{name};;;;\r\nEND:VCARD\r\n"


class Provider:
    """One event and one contact; an update waits at `gate` (the first client's write still
    at the provider) and bumps the version, as every vendor does."""

    kind = ProviderKind.GRAPH

    def __init__(self) -> None:
        self.items = {"ev": RemoteItem("ev", "v1", "ev", event("First"))}
        self.cards = {"ct": RemoteItem("ct", "v1", "ct", card("First"))}
        self.updates: list[str] = []
        self.at_provider = threading.Event()
        self.gate = threading.Event()

    @property
    def account_email(self) -> str:
        return "alex@contoso.example"

    def list_calendars(self) -> list[CalendarInfo]:
        return [CalendarInfo("cal-1", "Calendar", is_default=True)]

    def pull(self, calendar_id: str, cursor: str | None, window: Any) -> PullResult:
        return PullResult(tuple(self.items.values()), (), "c1", reset=True)

    def _update(self, store: dict[str, RemoteItem], remote_id: str, text: str) -> RemoteItem:
        self.updates.append(text)
        self.at_provider.set()
        assert self.gate.wait(10)
        old = store[remote_id]
        store[remote_id] = RemoteItem(remote_id, old.version + "+", old.uid, text)
        return store[remote_id]

    def update(
        self, calendar_id: str, remote_id: str, version: str | None, ical: str, window: Any
    ) -> RemoteItem:
        return self._update(self.items, remote_id, ical)

    def list_address_books(self) -> list[AddressBookInfo]:
        return [AddressBookInfo("book-1", "Contacts", is_default=True)]

    def pull_contacts(self, book_id: str, cursor: str | None) -> PullResult:
        return PullResult(tuple(self.cards.values()), (), "k", reset=True)

    def update_contact(
        self, book_id: str, remote_id: str, version: str | None, vcard: str
    ) -> RemoteItem:
        return self._update(self.cards, remote_id, vcard)


@pytest.fixture()
def bridge(tmp_path: Path) -> Any:
    settings = (
        Settings()
        .replace("store", data_dir=str(tmp_path / "data"))
        .replace("server", write_budget_seconds=20, lock_timeout_seconds=20)
        .replace("sync", background=False)
    )
    b = Bridge(settings)
    yield b
    b.close()


CASES = {
    CollectionKind.CALENDAR: (event, "First", "Second", "Stale"),
    CollectionKind.ADDRESSBOOK: (card, "First", "Second", "Stale"),
}


@pytest.mark.parametrize("kind", list(CASES), ids=lambda k: k.value)
def test_a_stale_etag_loses_to_the_write_that_held_the_lock(
    bridge: Bridge, kind: CollectionKind
) -> None:
    user = bridge.ensure_user("alex")
    fake = Provider()
    connect_fake(bridge, user, fake)
    coll = next(c for c in bridge.collections_for("alex") if c.kind is kind)
    (item,) = bridge.items(coll)
    make, _, second, stale = CASES[kind]

    # the second writer signals once it passed the check made before the lock
    passed_first_check = threading.Event()
    real_put = bridge.writes.put

    def put(*args: Any, **kwargs: Any) -> Any:
        if make(stale) in args:
            passed_first_check.set()
        return real_put(*args, **kwargs)

    bridge.writes.put = put  # type: ignore[method-assign]
    results: dict[str, Any] = {}

    def write(name: str, text: str) -> None:
        try:
            results[name] = bridge.put(coll, item.href, text, True, if_match=item.etag)
        except PreconditionFailed as exc:
            results[name] = exc

    first = threading.Thread(target=write, args=("first", make(second)))
    first.start()
    assert fake.at_provider.wait(10)  # the first write holds the lock, at the provider
    late = threading.Thread(target=write, args=("late", make(stale)))
    late.start()
    assert passed_first_check.wait(10)  # same ETag: the check before the lock lets it pass
    fake.gate.set()
    first.join(15)
    late.join(15)

    assert not isinstance(results["first"], Exception)
    assert isinstance(results["late"], PreconditionFailed)
    assert results["late"].http_status == 412
    assert fake.updates == [make(second)]  # the stale text never reached the provider
    (now,) = bridge.items(coll)
    assert "Second" in (now.text or "") and "Stale" not in (now.text or "")
