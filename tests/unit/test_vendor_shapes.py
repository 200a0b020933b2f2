"""Vendor payload shapes that used to break conversion (issue 10 point 3): a payload without
start or id gives no resource (the provider logs and skips it) rather than an invalid VEVENT;
an exception without a start is left out of its series; EWS sync pages holding messages
and meeting requests (non-calendar items in a calendar folder) yield only the events."""

from __future__ import annotations

import datetime as dt
from unittest.mock import MagicMock
from zoneinfo import ZoneInfo

import icalendar
import pytest
from exchangelib import EWSDateTime, EWSTimeZone
from exchangelib.items import CalendarItem
from exchangelib.util import MNS, TNS
from lxml import etree

from bridge.errors import IncompleteItem
from bridge.model import SyncWindow
from bridge.providers.ews.mapping import ews_to_ical
from bridge.providers.ews.sync import SyncFolderItemsService, sync_changes
from bridge.providers.google.mapping import google_to_ical
from bridge.providers.graph.mapping import graph_to_ical

WINDOW = SyncWindow(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
GRAPH_START = {"dateTime": "2025-03-03T10:00:00.0000000", "timeZone": "UTC"}
GRAPH_END = {"dateTime": "2025-03-03T11:00:00.0000000", "timeZone": "UTC"}


def test_graph_event_without_start_is_skipped_not_served_invalid() -> None:
    with pytest.raises(IncompleteItem) as caught:
        graph_to_ical({"id": "g1", "iCalUId": "u1", "subject": "No time"}, [], WINDOW)
    assert caught.value.missing.startswith("start")
    with pytest.raises(IncompleteItem):
        graph_to_ical({"subject": "No id", "start": GRAPH_START, "end": GRAPH_END}, [], WINDOW)


def test_graph_event_without_end_is_still_a_valid_resource() -> None:
    text = graph_to_ical({"id": "g2", "subject": "Open end", "start": GRAPH_START}, [], WINDOW)
    event = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
    assert event["UID"] == "g2" and "DTSTART" in event and "DTEND" not in event


def test_google_event_without_start_is_skipped() -> None:
    with pytest.raises(IncompleteItem):
        google_to_ical({"id": "e1", "summary": "No time", "status": "confirmed"}, [], WINDOW)


def test_ews_item_without_start_is_skipped() -> None:
    item = CalendarItem(id="x1", changekey="c", subject="No time", uid="ews-1")
    with pytest.raises(IncompleteItem):
        ews_to_ical(item)
    zone = EWSTimeZone.from_zoneinfo(ZoneInfo("UTC"))
    ok = CalendarItem(
        id="x2",
        changekey="c",
        subject="Timed",
        uid="ews-2",
        start=EWSDateTime(2025, 3, 3, 10, tzinfo=zone),
        end=EWSDateTime(2025, 3, 3, 11, tzinfo=zone),
        type="Single",
    )
    assert "DTSTART" in ews_to_ical(ok)


def _changes(xml: str) -> list[tuple[str, object]]:
    """The changes of a SyncFolderItems <m:Changes> element as the service parses them."""
    svc = SyncFolderItemsService(account=MagicMock())
    root = etree.fromstring(f'<m:Changes xmlns:m="{MNS}" xmlns:t="{TNS}">{xml}</m:Changes>')
    return [svc._elem_to_obj(change) for change in root]


def test_ews_sync_page_with_messages_and_meeting_requests_yields_only_events() -> None:
    # SyncFolderItems with an IdOnly shape: each Create/Update holds its item's element (the
    # tag names its class) with the ItemId alone; Delete and ReadFlagChange an ItemId
    page = _changes(
        '<t:Create><t:Message><t:ItemId Id="m1" ChangeKey="a"/></t:Message></t:Create>'
        '<t:Create><t:MeetingRequest><t:ItemId Id="r1" ChangeKey="b"/></t:MeetingRequest>'
        "</t:Create>"
        '<t:Update><t:CalendarItem><t:ItemId Id="c1" ChangeKey="c"/></t:CalendarItem>'
        "</t:Update>"
        '<t:ReadFlagChange><t:ItemId Id="m1" ChangeKey="a"/><t:IsRead>true</t:IsRead>'
        "</t:ReadFlagChange>"
        '<t:Delete><t:ItemId Id="c0" ChangeKey="d"/></t:Delete>'
    )
    changed, deleted, state = sync_changes(
        MagicMock(), None, "s0", 512, lambda op: page, lambda e: e
    )
    assert changed == ["c1"] and deleted == ["c0"] and state == "s0"
