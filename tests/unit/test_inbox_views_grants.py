"""The schedule inbox (RFC 6638 §4.1) beside meeting views (C4) and grants (issue 15): an
invitation the user has not answered is listed once, not again for its copy in a meeting
view, and the owner's invitations in a grantee's copy of the owner's calendar are not the
grantee's."""

from __future__ import annotations

from pathlib import Path

from bridge.model import CollectionKind
from bridge.settings import SyncSettings
from bridge.store import ItemDraft, Store
from bridge.store.delegation import grant_remote_id
from bridge.sync.engine import SyncEngine
from bridge.sync.itip import SchedulingService
from bridge.sync.views import ZOOM, MeetingViews


def _invitation(uid: str, attendee: str) -> ItemDraft:
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270101T100000Z\r\n"
        "DTEND:20270101T110000Z\r\nSUMMARY:Planning\r\nX-ZOOM-MEETING:TRUE\r\n"
        "ORGANIZER:mailto:bob@x.example\r\n"
        f"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{attendee}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return ItemDraft(uid, uid, "1", text, "VEVENT", 0, 1)


def test_an_invitation_is_in_the_inbox_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    ann = store.create_user("ann", "ann@x.example")
    boss = store.create_user("boss", "boss@x.example")
    ann_conn = store.create_connection(ann.id, "graph", "ann@x.example", "{}", None)
    boss_conn = store.create_connection(boss.id, "graph", "boss@x.example", "{}", None)
    own = store.upsert_collection(
        ann.id, ann_conn.id, CollectionKind.CALENDAR, "cal", "Calendar", None, False, None
    )
    store.apply_pull(own.id, [_invitation("mine", "ann@x.example")], (), "c", True, 0.0)
    grant = store.put_grant(boss.id, ann.id, write=True, private=True, by="admin")
    copy = store.upsert_collection(
        ann.id,
        boss_conn.id,
        CollectionKind.CALENDAR,
        grant_remote_id(grant.id, "boss-cal"),
        "Calendar (boss)",
        None,
        False,
        "boss@x.example",
    )
    store.apply_pull(copy.id, [_invitation("boss", "boss@x.example")], (), "c", True, 0.0)
    engine = SyncEngine(store, lambda _cid: None, SyncSettings())  # type: ignore[arg-type,return-value]
    store.set_meeting_views(ann.id, {ZOOM})
    views = MeetingViews(engine)
    for view in views.ensure(ann.id):
        views.rebuild(view)
    calendars = store.collections(user_id=ann.id)
    assert len(calendars) == 3  # own calendar, the grant's copy, the Zoom view
    service = SchedulingService(engine)
    try:
        pending = service.inbox.messages(calendars, lambda c: iter(store.items(c.id)), 0.0)
        assert [text.count("UID:mine") for _, _, text in pending] == [1]
        default = service.default_calendar(calendars)
        assert default is not None and default.id == own.id
    finally:
        service.close()
