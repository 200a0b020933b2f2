"""A DELETE in a grantee's writable copy of another user's calendar (issue 15) reaches the
owner's calendar at the provider under its provider id, not the copy's "grant:<id>:<calendar>"
remote id (the write path after the scheduling merge, RFC 6638 decline-on-delete included)."""

from __future__ import annotations

from pathlib import Path

from bridge.settings import SyncSettings
from bridge.store import ItemDraft, Store
from bridge.sync.engine import SyncEngine
from bridge.sync.writes import WriteThrough
from tests.unit.grant_copy import boss_calendar_copy


class RecordingCalendars:
    """The owner's calendars at the provider: only a calendar id it has is accepted."""

    kind = "graph"
    account_email = "boss@x.example"

    def __init__(self) -> None:
        self.deleted: list[tuple[str, str]] = []

    def delete(self, calendar_id: str, remote_id: str, version: str | None) -> None:
        assert calendar_id == "boss-cal", f"the provider has no calendar {calendar_id!r}"
        self.deleted.append((calendar_id, remote_id))


def test_delete_in_a_grant_copy_goes_to_the_owners_calendar(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    copy = boss_calendar_copy(store, write=True, private=True)
    text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:e1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    store.apply_pull(
        copy.id, [ItemDraft("e1", "r1", "v1", text, "VEVENT", 0, 1)], (), "c", True, 0.0
    )
    provider = RecordingCalendars()
    engine = SyncEngine(store, lambda _cid: provider, SyncSettings())  # type: ignore[arg-type,return-value]
    writes = WriteThrough(engine)
    try:
        (item,) = store.items(copy.id)
        writes.delete(store.collection(copy.id), item, conditional=True)
    finally:
        writes.close()
    assert provider.deleted == [("boss-cal", "r1")]
    assert store.items(copy.id) == []
