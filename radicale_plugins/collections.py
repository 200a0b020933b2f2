"""MKCALENDAR, extended MKCOL and PROPPATCH on calendars and address books, answered for a
bridge whose collections live at the provider (issue 11).

- `change_of(props)`: the DAV properties a client sets (Radicale's `props_from_request` names)
  as a `CollectionChange`, plus the properties the bridge has no field for.
- `component_refusal(props)`: RFC 4791 §5.3.1 / §5.2.3: a calendar the bridge would have to
  store to-dos or journals in is refused with 403 and CALDAV:supported-calendar-component
  (the providers' calendars hold events, their task lists to-dos).
- `proppatch(...)`: RFC 4918 §9.2 multistatus: 200 per property the provider took, 403 (with
  the reason as responsedescription) per property it cannot change.
Imports only radicale and bridge.api; keeps no state.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from http import client

from radicale import xmlutils

from bridge import api

DISPLAYNAME = "D:displayname"
COLOR = "ICAL:calendar-color"
DESCRIPTIONS = ("C:calendar-description", "CR:addressbook-description")
COMPONENTS = "C:supported-calendar-component-set"
#: what MKCALENDAR/MKCOL may carry that needs no provider field (the bridge answers it itself)
_IGNORED_ON_CREATE = ("tag", COMPONENTS, "C:calendar-timezone", "ICAL:calendar-order")


def change_of(props: Mapping[str, str | None]) -> tuple[api.CollectionChange, list[str]]:
    """(the change, DAV properties set that have no provider field). Removing a property the
    bridge cannot store is not an error (RFC 4918 §9.2: removing an absent property)."""
    description = next((props[k] for k in DESCRIPTIONS if k in props), None)
    # a removed (or emptied) colour is "": read back as none, while the provider keeps its own
    color = (props.get(COLOR) or "") if COLOR in props else None
    change = api.CollectionChange(
        display_name=props.get(DISPLAYNAME) or None,
        color=color,
        description=description,
    )
    known = {DISPLAYNAME, COLOR, *DESCRIPTIONS}
    unknown = [k for k, v in props.items() if k not in known and v is not None]
    return change, unknown


def kind_of(props: Mapping[str, str | None]) -> api.CollectionKind | None:
    tag = props.get("tag")
    if tag == "VCALENDAR":
        return api.CollectionKind.CALENDAR
    if tag == "VADDRESSBOOK":
        return api.CollectionKind.ADDRESSBOOK
    return None


def _components(props: Mapping[str, str | None]) -> set[str]:
    return {c.strip().upper() for c in (props.get(COMPONENTS) or "").split(",") if c.strip()}


def component_refusal(props: Mapping[str, str | None]) -> str | None:
    """Why a requested component set cannot be honoured (None: it can): a calendar holds
    events, a task list to-dos (VTODO only: made as a provider task list)."""
    wanted = _components(props)
    if wanted and "VEVENT" not in wanted and wanted != {"VTODO"}:
        return (
            "Calendars here hold events (VEVENT) and task lists to-dos (VTODO); "
            f"{', '.join(sorted(wanted))} cannot be stored."
        )
    return None


def create(username: str, name: str, props: Mapping[str, str | None]) -> api.CollectionRecord:
    kind = kind_of(props)
    if kind is None:
        raise api.Forbidden("Only calendars and address books can be created here.")
    change, _ = change_of({k: v for k, v in props.items() if k not in _IGNORED_ON_CREATE})
    if kind is api.CollectionKind.CALENDAR and _components(props) == {"VTODO"}:
        change = dataclasses.replace(change, tasks=True)
    return api.current().create_collection(username, name, kind, change)


def _propstat(response: ET.Element, status: int, names: list[str], reason: str = "") -> None:
    propstat = ET.SubElement(response, xmlutils.make_clark("D:propstat"))
    prop = ET.SubElement(propstat, xmlutils.make_clark("D:prop"))
    for name in names:
        ET.SubElement(prop, xmlutils.make_clark(name))
    ET.SubElement(propstat, xmlutils.make_clark("D:status")).text = xmlutils.make_response(status)
    if reason:
        ET.SubElement(propstat, xmlutils.make_clark("D:responsedescription")).text = reason


def proppatch(
    href: str, coll: api.CollectionRecord | None, props: Mapping[str, str | None]
) -> ET.Element:
    """The multistatus answer of a PROPPATCH on `coll` (None: the principal, which has no
    properties a client can change)."""
    multistatus = ET.Element(xmlutils.make_clark("D:multistatus"))
    response = ET.SubElement(multistatus, xmlutils.make_clark("D:response"))
    ET.SubElement(response, xmlutils.make_clark("D:href")).text = href
    if coll is None:
        _propstat(response, client.FORBIDDEN, list(props), "The principal cannot be changed.")
        return multistatus
    change, unknown = change_of(props)
    outcome = api.current().change_collection(coll, change, unknown).results
    field_of = {DISPLAYNAME: "name", COLOR: "color", **dict.fromkeys(DESCRIPTIONS, "description")}
    applied: list[str] = []
    refused: dict[str, list[str]] = {}
    for name in props:
        reason = outcome.get(field_of.get(name, name))
        if reason is None:
            applied.append(name)
        else:
            refused.setdefault(reason, []).append(name)
    if applied:
        _propstat(response, client.OK, applied)
    for reason, names in refused.items():
        _propstat(response, client.FORBIDDEN, names, reason)
    return multistatus
