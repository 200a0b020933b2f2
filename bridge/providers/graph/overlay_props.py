"""Where the lossless overlay (bridge.ical.overlay, C10) lives on an Outlook item over
Graph: two single-value extended properties in a davbridge property set.

Graph docs "Outlook extended properties overview" (extended-properties-overview.md): a named
String property has the id `String {GUID} Name <name>`; it is written in the
`singleValueExtendedProperties` collection of a POST/PATCH and read back only when asked for
with `$expand=singleValueExtendedProperties($filter=id eq '…')`
(singlevaluelegacyextendedproperty-get.md). Delta queries do not support `$expand`
(event-delta.md, "OData query parameters"), so items with an overlay also carry a marker
property, listed with `$filter=singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value
eq '1')`. Extended properties cannot be deleted through Graph: an emptied overlay is written as
"" (and the marker as "0"). Shared by the calendar and contacts providers; no I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PROPERTY_SET = "{b6f8d3a2-47c1-4e0b-9d65-3a2f8c1e7d40}"  # davbridge's own property set GUID
OVERLAY_ID = f"String {PROPERTY_SET} Name davbridge.overlay"
MARKER_ID = f"String {PROPERTY_SET} Name davbridge.overlayed"

EXPAND_OVERLAY = {"$expand": f"singleValueExtendedProperties($filter=id eq '{OVERLAY_ID}')"}
WITH_OVERLAY = {
    "$filter": f"singleValueExtendedProperties/Any(ep: ep/id eq '{MARKER_ID}' and ep/value eq '1')",
    **EXPAND_OVERLAY,
}


def stored(item: Mapping[str, Any]) -> str | None:
    """The overlay text of an item read with EXPAND_OVERLAY; None when it was not expanded."""
    values = item.get("singleValueExtendedProperties")
    if not isinstance(values, list):
        return None
    for entry in values:
        if isinstance(entry, dict) and str(entry.get("id", "")).lower() == OVERLAY_ID.lower():
            return str(entry.get("value") or "")
    return ""


def written(text: str) -> dict[str, Any]:
    """The PATCH body that stores `text` ("" clears it)."""
    return {
        "singleValueExtendedProperties": [
            {"id": OVERLAY_ID, "value": text},
            {"id": MARKER_ID, "value": "1" if text else "0"},
        ]
    }
