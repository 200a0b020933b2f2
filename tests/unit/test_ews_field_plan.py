"""exchangelib's item parsing with each field read only when its element is there
(bridge/providers/ews/field_plan.py) builds the same objects as exchangelib's own: every
CalendarItem of every golden Exchange answer (GetItem with all properties and the default
shape, FindItem, SyncFolderItems, recurring series), and an answer of ids only, compared
field by field, nested values included; the mapping's text is the same too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from exchangelib import UTC, EWSDateTime
from exchangelib.extended_properties import ExtendedProperty
from exchangelib.items import CalendarItem
from exchangelib.properties import EWSElement
from exchangelib.util import to_xml
from exchangelib.version import EXCHANGE_2016, Version

from bridge.providers.ews import field_plan
from bridge.providers.ews.mapping import ews_to_ical

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "ews"
TYPES = "{http://schemas.microsoft.com/exchange/services/2006/types}"
IDS_ONLY = (
    b'<?xml version="1.0" encoding="utf-8"?><m:SyncFolderItemsResponse '
    b'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" '
    b'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:Changes><t:Create>'
    b'<t:CalendarItem><t:ItemId Id="AAMkAD1" ChangeKey="DwAAAB"/></t:CalendarItem></t:Create>'
    b"</m:Changes></m:SyncFolderItemsResponse>"
)
ANSWERS = {p.stem: p.read_bytes() for p in sorted(GOLDEN.glob("*.xml"))} | {"ids_only": IDS_ONLY}


@pytest.fixture()
def planned() -> Iterator[None]:
    before = EWSElement.__dict__["from_xml"]  # as this process had it (connect() installs)
    field_plan.install()
    try:
        yield
    finally:
        EWSElement.from_xml = before


def _items(answer: bytes) -> list[Any]:
    root = to_xml(answer).getroot()
    elems = [e for e in root.iter(f"{TYPES}CalendarItem")]
    return [CalendarItem.from_xml(e, account=None) for e in elems]


def _values(item: Any) -> list[tuple[str, str]]:
    # repr shows nested exchangelib values field by field (their == compares hashes only)
    return [(f.name, repr(getattr(item, f.name))) for f in item.FIELDS]


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_items_parse_to_the_same_values(name: str, planned: None) -> None:
    fast = _items(ANSWERS[name])
    field_plan.uninstall()
    own = _items(ANSWERS[name])
    assert own, "no CalendarItem in the answer"
    assert [_values(i) for i in fast] == [_values(i) for i in own]
    if name.startswith("docs_getitem") or name.startswith("docs_recurring"):
        assert ews_to_ical(fast[0], fast[1:]) == ews_to_ical(own[0], own[1:])


class _Flag(ExtendedProperty):
    property_set_id = "c11ff724-aa03-4555-9952-8fa248a11c3e"
    property_name = "davbridge-test-flag"
    property_type = "String"


def test_a_field_registered_after_a_plan_was_made_is_read(planned: None) -> None:
    """Extended properties (the bridge's overlays) are registered on an item class at any
    time — after items of it were parsed, too: a plan made before must not skip them (the
    field's value, the client's lossless overlay, would be lost)."""
    _items(ANSWERS["ids_only"])  # a plan for CalendarItem made before the registration
    CalendarItem.register("davbridge_test_flag", _Flag)
    try:
        at = EWSDateTime(2027, 1, 5, 10, tzinfo=UTC)
        made = CalendarItem(subject="x", start=at, end=at, davbridge_test_flag="kept")
        elem = made.to_xml(version=Version(EXCHANGE_2016))
        assert CalendarItem.from_xml(elem, account=None).davbridge_test_flag == "kept"
    finally:
        CalendarItem.deregister("davbridge_test_flag")
    # and a field taken away again is not asked for (from_xml empties what it read)
    elem = CalendarItem(subject="x", start=at, end=at).to_xml(version=Version(EXCHANGE_2016))
    assert CalendarItem.from_xml(elem, account=None).subject == "x"
