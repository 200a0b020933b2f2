"""Where the lossless overlay (bridge.ical.overlay, C10) lives on an Exchange item: one
named String extended property in davbridge's property set, registered on exchangelib's
CalendarItem and Contact.

EWS "ExtendedFieldURI" (web-service-reference: PropertySetId + PropertyName + PropertyType) is
written with SetItemField / inside the item of CreateItem and read back only when asked for in
AdditionalProperties of GetItem (exchangelib: a registered ExtendedProperty subclass is a field
like any other, docs "Extended properties"). The property set GUID is the one Graph uses, so an
item written over one API shows the overlay over the other (Graph's id
`String {GUID} Name davbridge.overlay` names the same MAPI property).
"""

from __future__ import annotations

from exchangelib import CalendarItem, Contact
from exchangelib.extended_properties import ExtendedProperty

PROPERTY_SET = "b6f8d3a2-47c1-4e0b-9d65-3a2f8c1e7d40"
FIELD = "davbridge_overlay"


class DavbridgeOverlay(ExtendedProperty):  # type: ignore[misc]  # exchangelib ships no type information
    property_set_id = PROPERTY_SET
    property_name = "davbridge.overlay"
    property_type = "String"


def register() -> None:
    """Register the field once per process (exchangelib keeps fields on the item classes)."""
    for cls in (CalendarItem, Contact):
        try:
            cls.register(FIELD, DavbridgeOverlay)
        except ValueError:
            continue  # already registered


def stored(item: object) -> str:
    return str(getattr(item, FIELD, None) or "")


register()
