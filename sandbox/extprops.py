"""Graph extended properties of Outlook items as the sandbox serves them (events and contacts).

Microsoft Graph docs: "Outlook extended properties overview" (extended-properties-overview.md),
"Create single-value extended property" (singlevaluelegacyextendedproperty-post-
singlevalueextendedproperties.md: written in the `singleValueExtendedProperties` collection of a
POST or PATCH; a PATCH leaves other extended properties alone) and "Get single-value extended
property" (singlevaluelegacyextendedproperty-get.md: `$expand=singleValueExtendedProperties(
$filter=id eq '…')` on a GET or a list; `$filter=singleValueExtendedProperties/Any(ep: ep/id eq
'…' and ep/value eq '…')` on a list). Extended properties are not returned unless expanded.
Property ids compare case-insensitively. This module must not hold state.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.gerrors import bad_request

EXTENDED = "singleValueExtendedProperties"
_OSTR = r"'((?:[^']|'')*)'"
_FILTER_EXT = re.compile(
    r"^\s*singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*\1/id\s+eq\s+"
    + _OSTR
    + r"\s+and\s+\1/value\s+eq\s+"
    + _OSTR
    + r"\s*\)\s*$",
    re.IGNORECASE,
)
_EXPAND_EXT = re.compile(
    r"^\s*singleValueExtendedProperties(?:\(\s*\$filter\s*=\s*id\s+eq\s+" + _OSTR + r"\s*\))?\s*$",
    re.IGNORECASE,
)


def _unquote(text: str) -> str:
    return text.replace("''", "'")


def parse_filter(text: str) -> tuple[str, str] | None:
    """(property id, value) of an `Any(ep: ep/id eq … and ep/value eq …)` filter."""
    m = _FILTER_EXT.match(text)
    return (_unquote(m.group(2)), _unquote(m.group(3))) if m else None


def expand_filter(query: dict[str, str]) -> tuple[bool, str | None]:
    """(expand requested?, the one property id asked for or None for all)."""
    expand = query.get("$expand")
    if not expand:
        return False, None
    m = _EXPAND_EXT.match(expand)
    if m is None:
        raise bad_request(f"Parsing OData Select and Expand failed: {expand}", "BadRequest")
    return True, _unquote(m.group(1)) if m.group(1) is not None else None


def expanded(values: dict[str, str], prop_id: str | None) -> list[dict[str, str]]:
    return [
        {"id": k, "value": v}
        for k, v in sorted(values.items())
        if prop_id is None or k.lower() == prop_id.lower()
    ]


def matches(values: dict[str, str], prop_id: str, value: str) -> bool:
    return any(k.lower() == prop_id.lower() and v == value for k, v in values.items())


def parse_written(value: Any) -> dict[str, str]:
    """The `singleValueExtendedProperties` collection of a POST/PATCH body."""
    if not isinstance(value, list):
        raise bad_request(
            f"Cannot convert the literal to 'Collection(microsoft.graph."
            f"singleValueLegacyExtendedProperty)' for the property '{EXTENDED}'.",
            "BadRequest",
        )
    out: dict[str, str] = {}
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise bad_request("An extended property needs an 'id'.", "ErrorInvalidProperty")
        out[entry["id"]] = "" if entry.get("value") is None else str(entry["value"])
    return out


def merged(old: dict[str, str], written: dict[str, str]) -> dict[str, str]:
    """A PATCH sets the listed properties and leaves the others (ids case-insensitive)."""
    out = {k: v for k, v in old.items() if k.lower() not in {w.lower() for w in written}}
    out.update(written)
    return out
