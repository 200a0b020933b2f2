"""exchangelib's item parsing, with each field read only when its XML element is there.

What it does: exchangelib builds an item from XML by asking every field of the item class
(79 for CalendarItem) to look for its element — `EWSElement.from_xml`; for the few fields an
answer holds (GetItem of the fields the bridge asks for, SyncFolderItems of ids only) the
other lookups all find nothing: about half of an EWS first sync's CPU (issue 14, point 1).
`install()` replaces that classmethod with one that, for item classes (BaseItem subclasses),
reads the tags of the element's children once and asks only the fields whose element is
among them; every other field gets what its own from_xml gives when its element is absent,
computed once per field from an empty element. Which element a field reads is known for the
exchangelib field classes listed in `_LOOKUPS` (exchangelib 5.6 fields.py: each looks up one
child by tag, and gives a value independent of the element when it is absent); a field of any
other class, or one read from an attribute, is always asked, and any other element class
parses as before. The built object is the same, field for field
(tests/unit/test_ews_field_plan.py, on every golden Exchange answer).
What it must not do: change a value exchangelib gives, or parse anything itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

from exchangelib import fields
from exchangelib.items import BaseItem
from exchangelib.properties import EWSElement

_ORIGINAL: Callable[..., Any] = EWSElement.__dict__["from_xml"].__func__


def _own_tag(field: Any) -> str | None:
    return None if getattr(field, "is_attribute", False) else str(field.response_tag())


def _value_tag(field: Any) -> str | None:
    if getattr(field, "is_list", False) or field.field_uri is not None:
        return str(field.response_tag())
    return str(field.value_cls.response_tag())


# the class whose from_xml a field runs -> the child tag that from_xml looks up (None: unknown)
_LOOKUPS: dict[type, Callable[[Any], str | None]] = {
    fields.FieldURIField: _own_tag,  # _get_val_from_elem: an attribute, or one child
    fields.DateTimeField: _own_tag,
    fields.DateOrDateTimeField: _own_tag,
    fields.AppointmentStateField: _own_tag,
    fields.EnumAsIntField: _own_tag,
    fields.BodyField: _own_tag,
    fields.AttachmentField: _own_tag,
    fields.TextListField: _own_tag,
    fields.TimeZoneField: _own_tag,
    fields.EWSElementField: _value_tag,
    fields.BaseEmailField: _value_tag,
}

# per item class: (field name, field, the tag it reads or None, its value when absent)
Plan = list[tuple[str, Any, str | None, Any]]
# per item class: the fields the plan was made for, and the plan. Fields are registered at any
# time (extended properties: `register` inserts into FIELDS in place), so a plan is only used
# for the very fields it was made for; a plan ignoring a field registered later loses its value
_PLANS: dict[type, tuple[tuple[Any, ...], Plan]] = {}


def _reads(field: Any) -> str | None:
    owner = next(k for k in type(field).__mro__ if "from_xml" in k.__dict__)
    lookup = _LOOKUPS.get(owner)
    return None if lookup is None else lookup(field)


def _plan(cls: type) -> Plan:
    now = tuple(cls.FIELDS)  # type: ignore[attr-defined]
    made = _PLANS.get(cls)
    if made is not None and made[0] == now:
        return made[1]
    empty = ElementTree.Element("absent")  # no child: what each field gives without one
    plan: Plan = []
    for field in now:
        tag = _reads(field)
        absent = None if tag is None else field.from_xml(elem=empty, account=None)
        plan.append((field.name, field, tag, absent))
    _PLANS[cls] = (now, plan)
    return plan


def _from_xml(cls: Any, elem: Any, account: Any) -> Any:
    if not issubclass(cls, BaseItem):
        return _ORIGINAL(cls, elem, account)
    present = {child.tag for child in elem}
    kwargs = {
        name: field.from_xml(elem=elem, account=account)
        if tag is None or tag in present
        else absent
        for name, field, tag, absent in _plan(cls)
    }
    cls._clear(elem)
    return cls(**kwargs)


def install() -> None:
    """Make exchangelib parse items this way (idempotent; process-wide, like the adapter)."""
    EWSElement.from_xml = classmethod(_from_xml)


def uninstall() -> None:
    """exchangelib's own parsing again (tests compare the two)."""
    EWSElement.from_xml = classmethod(_ORIGINAL)
