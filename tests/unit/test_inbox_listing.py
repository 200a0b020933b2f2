"""Listing the schedule inbox (RFC 6638 §4.1) answers from the mirror: with every collection
of the user stale and one calendar never synced, the listing shows the pending invitation and
asks the provider nothing about the user's collections (clients poll the inbox; a listing
that refreshed each collection, waiting for the never-synced ones, took seconds). Only the
background look for invitations beyond the sync window (inbox_beyond.py, one per account) may
reach the provider; it lists past the window's end and is told apart by that."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from bridge.api import Bridge
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

ME = "alex@contoso.example"


def _invitation(uid: str) -> str:
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=10)
    fmt = "%Y%m%dT%H%M%SZ"
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start.strftime(fmt)}\r\n"
        f"DTEND:{(start + dt.timedelta(hours=1)).strftime(fmt)}\r\nSUMMARY:Planning\r\n"
        "ORGANIZER:mailto:bob@fabrikam.example\r\n"
        f"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{ME}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


class CountingProvider:
    """Four calendars (the first holds an invitation) and an address book; every pull is
    recorded with the start of the window it asked for."""

    kind = ProviderKind.GRAPH

    def __init__(self) -> None:
        self.pulls: list[tuple[str, dt.datetime | None]] = []

    @property
    def account_email(self) -> str:
        return ME

    def list_calendars(self) -> list[CalendarInfo]:
        return [CalendarInfo(f"cal-{n}", f"Calendar {n}", is_default=n == 1) for n in range(1, 5)]

    def pull(self, calendar_id: str, cursor: str | None, window: Any) -> PullResult:
        self.pulls.append((calendar_id, getattr(window, "start", None)))
        items = ()
        if calendar_id == "cal-1":
            items = (RemoteItem("ev-1", "v1", "inv-1", _invitation("inv-1")),)
        return PullResult(items, (), "c1", reset=True)

    def list_address_books(self) -> list[AddressBookInfo]:
        return [AddressBookInfo("book-1", "Contacts", is_default=True)]

    def pull_contacts(self, book_id: str, cursor: str | None) -> PullResult:
        self.pulls.append((book_id, None))
        return PullResult((), (), "k1", reset=True)


@pytest.fixture()
def bridge(tmp_path: Path) -> Any:
    b = Bridge(Settings().replace("store", data_dir=str(tmp_path / "data")))
    yield b
    b.close()


def test_the_inbox_listing_asks_the_provider_nothing(bridge: Bridge) -> None:
    user = bridge.ensure_user("alex")
    fake = CountingProvider()
    conn_id = connect_fake(bridge, user, fake, ME)
    bridge.store.upsert_collection(
        user.id, conn_id, CollectionKind.CALENDAR, "cal-new", "Never synced", None, False, None
    )
    for coll in bridge.store.collections(user_id=user.id):
        if coll.refreshed_at is not None:
            bridge.store.mark_refreshed(coll.id, 0.0)  # stale: a refresh would pull it
    fake.pulls.clear()

    listed = bridge.schedule_inbox("alex")

    assert [text.count("UID:inv-1") for _, _, text in listed] == [1]
    assert "METHOD:REQUEST" in listed[0][2]
    window_end = bridge.engine.window().end - dt.timedelta(days=1)
    in_window = [
        (cid, start) for cid, start in list(fake.pulls) if start is None or start < window_end
    ]
    assert in_window == []
