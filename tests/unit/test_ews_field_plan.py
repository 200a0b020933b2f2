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
from exchangelib.items import CalendarItem
from exchangelib.properties import EWSElement
from exchangelib.util import to_xml

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
