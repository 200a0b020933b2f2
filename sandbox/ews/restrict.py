"""Evaluate an EWS `Restriction` (search expression) against one item or folder.

Operators per web-service-reference "Restriction", "And", "Or", "Not", "Exists", "IsEqualTo",
"IsNotEqualTo", "IsGreaterThan", "IsGreaterThanOrEqualTo", "IsLessThan",
"IsLessThanOrEqualTo", "Contains" (ContainmentMode, ContainmentComparison), "Excludes";
operands are a property path (FieldURI / ExtendedFieldURI / IndexedFieldURI) and
`FieldURIOrConstant/Constant@Value`. The property lookup is supplied by the caller, so this module
knows nothing about items.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from sandbox.ews.soap import EwsError, local, parse_datetime, t

Getter = Callable[[ET.Element], Any]
_PATHS = ("FieldURI", "ExtendedFieldURI", "IndexedFieldURI")


def _path(expr: ET.Element) -> ET.Element:
    for child in expr:
        if local(child) in _PATHS:
            return child
    raise EwsError("ErrorInvalidRestriction", f"{local(expr)} needs a property path")


def _constant(expr: ET.Element) -> str:
    node = expr.find(t("FieldURIOrConstant"))
    const = node.find(t("Constant")) if node is not None else None
    if const is None:
        raise EwsError("ErrorInvalidRestriction", f"{local(expr)} needs a constant")
    return const.get("Value", "")


def _coerce(value: Any, const: str) -> tuple[Any, Any]:
    if isinstance(value, dt.datetime):
        return value, parse_datetime(const)
    if isinstance(value, bool):
        return value, const.strip().lower() in ("1", "true")
    if isinstance(value, int):
        try:
            return value, int(const)
        except ValueError:
            return str(value), const
    return str(value).lower(), const.lower()


def matches(expr: ET.Element | None, get: Getter) -> bool:
    """True when the item satisfies `expr` (None or an empty Restriction matches everything)."""
    if expr is None:
        return True
    name = local(expr)
    if name == "Restriction":
        return all(matches(child, get) for child in expr) if len(expr) else True
    if name == "And":
        return all(matches(child, get) for child in expr)
    if name == "Or":
        return any(matches(child, get) for child in expr)
    if name == "Not":
        return not matches(expr[0], get) if len(expr) else True
    if name == "Exists":
        return get(_path(expr)) is not None
    value = get(_path(expr))
    if name in ("Contains", "Excludes"):
        if name == "Excludes":
            return value is not None
        if value is None:
            return False
        const = expr.find(t("Constant"))
        needle = const.get("Value", "") if const is not None else ""
        hay = " ".join(value) if isinstance(value, list) else str(value)
        if expr.get("ContainmentComparison", "Exact").startswith("Ignore"):
            hay, needle = hay.lower(), needle.lower()
        mode = expr.get("ContainmentMode", "FullString")
        if mode == "FullString":
            return hay == needle
        if mode == "Prefixed":
            return hay.startswith(needle)
        return needle in hay
    if value is None:
        return name == "IsNotEqualTo"
    left, right = _coerce(value, _constant(expr))
    try:
        if name == "IsEqualTo":
            return bool(left == right)
        if name == "IsNotEqualTo":
            return bool(left != right)
        if name == "IsGreaterThan":
            return bool(left > right)
        if name == "IsGreaterThanOrEqualTo":
            return bool(left >= right)
        if name == "IsLessThan":
            return bool(left < right)
        if name == "IsLessThanOrEqualTo":
            return bool(left <= right)
    except TypeError:
        return False
    raise EwsError("ErrorUnsupportedQueryFilter", f"Restriction operator {name} is not supported")
