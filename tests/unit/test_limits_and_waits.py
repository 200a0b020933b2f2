"""Bounded work per item and bounded waits (issue 9, points 2 and 3), through the Bridge facade
with an in-memory provider: provider items past a limit are mirrored and served shortened,
client writes past a limit get 403 naming it, a held collection lock gives 503 + Retry-After
instead of a hang, and a throttled write answers 503 within the budget while the client's
retry creates nothing twice."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bridge.api import Bridge
from bridge.errors import Busy, LimitExceeded
from bridge.ical.limits import ItemLimits, limit_provider_text, limited_by
from bridge.model import (
    AddressBookInfo,
    CalendarInfo,
    CollectionKind,
    CollectionRecord,
    ProviderKind,
    PullResult,
    RemoteItem,
)
from bridge.settings import Settings
from tests.unit.fake_connection import connect_fake


def event(uid: str, extra: str = "", year: int = 2026) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{year:04d}1120T100000Z\r\n"
        f"DTEND:{year:04d}1120T110000Z\r\nSUMMARY:Standup\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def card(uid: str, tels: int) -> str:
    numbers = "".join(f"TEL;TYPE=CELL:+49 30 {i:07d}\r\n" for i in range(tels))
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Many Numbers\r\n{numbers}END:VCARD\r\n"


HUGE_DESCRIPTION = "DESCRIPTION:" + "x" * 3_000_000 + "\r\n"
MANY_ATTENDEES = "".join(f"ATTENDEE:mailto:p{i}@example.com\r\n" for i in range(50))


class Provider:
    """One calendar holding a huge-description event, one book holding a 4,000-TEL contact;
    creates are idempotent by key (as Graph's transactionId), optionally slow."""

    kind = ProviderKind.GRAPH

    def __init__(self) -> None:
        self.events: dict[str, RemoteItem] = {
            "huge": RemoteItem("huge", "v1", "huge", event("huge", HUGE_DESCRIPTION)),
            "crowd": RemoteItem("crowd", "v1", "crowd", event("crowd", MANY_ATTENDEES)),
        }
        self.by_key: dict[str, str] = {}
        self.create_delay = 0.0

    @property
    def account_email(self) -> str:
        return "alex@contoso.example"

    def list_calendars(self) -> list[CalendarInfo]:
        return [CalendarInfo("cal-1", "Calendar", is_default=True)]

    def pull(self, calendar_id: str, cursor: str | None, window: Any) -> PullResult:
        return PullResult(tuple(self.events.values()), (), "c1", reset=True)

    def create(self, calendar_id: str, ical: str, key: str, window: Any) -> RemoteItem:
        time.sleep(self.create_delay)
        remote_id = self.by_key.setdefault(key, f"ev-{len(self.by_key) + 1}")
        uid = ical.split("UID:", 1)[1].split("\r\n", 1)[0]
        item = RemoteItem(remote_id, "v1", uid, event(uid))
        self.events[remote_id] = item
        return item

    def update(
        self, calendar_id: str, remote_id: str, version: str | None, ical: str, window: Any
    ) -> RemoteItem:
        return self.events[remote_id]

    def list_address_books(self) -> list[AddressBookInfo]:
        return [AddressBookInfo("book-1", "Contacts", is_default=True)]

    def pull_contacts(self, book_id: str, cursor: str | None) -> PullResult:
        return PullResult((RemoteItem("many", "v1", "many", card("many", 4000)),), (), "k")


@pytest.fixture()
def bridge(tmp_path: Path) -> Any:
    settings = (
        Settings()
        .replace("store", data_dir=str(tmp_path / "data"))
        .replace("server", write_budget_seconds=0.5, lock_timeout_seconds=0.3)
        .replace("limits", description_chars=100_000, tels_per_contact=100, attendees_per_event=20)
        .replace("sync", background=False)
    )
    b = Bridge(settings)
    yield b
    b.close()


def connect(bridge: Bridge) -> Provider:
    user = bridge.ensure_user("alex")
    fake = Provider()
    connect_fake(bridge, user, fake)
    return fake


def collection(bridge: Bridge, kind: CollectionKind) -> CollectionRecord:
    return next(c for c in bridge.collections_for("alex") if c.kind is kind)


def test_provider_items_past_a_limit_are_mirrored_and_served_shortened(bridge: Bridge) -> None:
    connect(bridge)
    cal = collection(bridge, CollectionKind.CALENDAR)
    items = {it.uid: it for it in bridge.items(cal)}
    huge = items["huge"].text
    unfolded = huge.replace("\r\n ", "")  # content lines are folded at 75 octets
    assert len(huge) < 120_000 and "shortened by davbridge" in unfolded
    assert limited_by(huge) == ["description_chars=100000"]
    assert "X-ZOOM-MEETING:FALSE" in huge  # enriched all the same
    crowd = items["crowd"].text
    assert crowd.count("ATTENDEE") == 20 and limited_by(crowd) == ["attendees_per_event=20"]

    book = collection(bridge, CollectionKind.ADDRESSBOOK)
    (contact,) = bridge.items(book)
    assert contact.text.count("TEL;") == 4000  # the card is served whole
    assert bridge.find_by_phone("alex", "+49 30 0000099") != []  # the first 100 are indexed
    assert bridge.find_by_phone("alex", "+49 30 0000100") == []


def test_client_writes_past_a_limit_get_403_naming_it(bridge: Bridge) -> None:
    fake = connect(bridge)
    cal = collection(bridge, CollectionKind.CALENDAR)
    cases = {
        "attendees_per_event = 20": event("a", MANY_ATTENDEES),
        "min_year = 1601": event("b", year=1),
        "max_year = 2200": event("c", year=9999),
        "description_chars = 100000": event("d", "DESCRIPTION:" + "y" * 100_001 + "\r\n"),
    }
    for named, text in cases.items():
        with pytest.raises(LimitExceeded) as err:
            bridge.put(cal, "new.ics", text, conditional=False)
        assert err.value.http_status == 403
        assert f"[limits] {named}" in err.value.message
    with pytest.raises(LimitExceeded) as shortened:  # would cut the provider's copy down
        bridge.put(cal, "huge.ics", event("huge"), conditional=False)
    assert "description_chars" in shortened.value.message
    book = collection(bridge, CollectionKind.ADDRESSBOOK)
    with pytest.raises(LimitExceeded) as tels:
        bridge.put(book, "x.vcf", card("x", 101), conditional=False)
    assert "[limits] tels_per_contact = 100" in tels.value.message
    assert fake.by_key == {}  # nothing reached the provider


def test_a_held_collection_lock_gives_503_with_retry_after_not_a_hang(bridge: Bridge) -> None:
    connect(bridge)
    cal = collection(bridge, CollectionKind.CALENDAR)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with bridge.engine.locked(cal.id):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    began = time.monotonic()
    try:
        with pytest.raises(Busy) as err:
            bridge.put(cal, "new.ics", event("new"), conditional=False)
    finally:
        release.set()
        holder.join()
    assert time.monotonic() - began < 5
    assert err.value.http_status == 503 and err.value.retry_after >= 1
    assert "busy" in err.value.message
    assert bridge.items_by_href(cal, ["huge.ics"])  # readers were never blocked


def test_a_slow_write_answers_503_within_budget_and_the_retry_creates_one_event(
    bridge: Bridge,
) -> None:
    fake = connect(bridge)
    cal = collection(bridge, CollectionKind.CALENDAR)
    fake.create_delay = 1.5  # the provider keeps the write past the 0.5 s budget
    began = time.monotonic()
    with pytest.raises(Busy) as err:
        bridge.put(cal, "new.ics", event("new"), conditional=False)
    assert time.monotonic() - began < 1.2
    assert err.value.http_status == 503 and err.value.retry_after > 0
    assert "sending it again is safe" in err.value.message
    time.sleep(1.5)  # the provider finishes the first attempt meanwhile
    fake.create_delay = 0.0
    # the client's retry: the first attempt reached the mirror meanwhile, so it is an update
    stored = bridge.put(cal, "new.ics", event("new"), conditional=False)
    assert stored.uid == "new"
    assert len(fake.by_key) == 1  # one idempotency key, one event at the provider
    assert [it.uid for it in bridge.items(cal)].count("new") == 1


def test_limit_provider_text_keeps_text_within_limits_byte_for_byte() -> None:
    text = event("u", "DESCRIPTION:short\\, fine\r\n ATTENDEE-like continuation\r\n")
    assert limit_provider_text(text, ItemLimits()) == (text, ())
    cut, exceeded = limit_provider_text(
        event("u", "DESCRIPTION:" + "ab\\n" * 10 + "\r\n"), ItemLimits(description_chars=5)
    )
    assert [e.limit for e in exceeded] == ["description_chars"]
    assert "DESCRIPTION:ab\\nab\\n\\n[… shortened" not in cut  # no escape cut in half
    assert "DESCRIPTION:ab\\na\\n\\n[… shortened by davbridge" in cut


@pytest.mark.parametrize("summary", ["Standup", "Réunion ß"])  # ASCII: no parse at all
def test_a_short_text_one_attendee_or_component_past_the_limit_is_still_shortened(
    summary: str,
) -> None:
    # the length test that spares most items the counting must not spare these
    attendees = "".join(f"ATTENDEE:mailto:a{n}@x.example\r\n" for n in range(3))
    text = event("u", f"SUMMARY:{summary}\r\n{attendees}")
    cut, exceeded = limit_provider_text(text, ItemLimits(attendees_per_event=2))
    assert [e.limit for e in exceeded] == ["attendees_per_event"]
    assert cut.count("ATTENDEE:") == 2
    alarms = "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\n"
    text = event("u", f"SUMMARY:{summary}\r\n") + event("v", alarms)
    cut, exceeded = limit_provider_text(text, ItemLimits(components_per_resource=1))
    assert [e.limit for e in exceeded] == ["components_per_resource"]
    assert limit_provider_text(text, ItemLimits()) == (text, ())
