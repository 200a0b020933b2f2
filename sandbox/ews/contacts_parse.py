"""Parse contact request content: `t:Contact` of CreateItem and the `t:Updates` of UpdateItem.

Per web-service-reference "Contact", "EmailAddresses", "PhoneNumbers", "PhysicalAddresses",
"SetItemField", "DeleteItemField", "AppendToItemField", "IndexedFieldURI" and
"ExtendedFieldURI":
- SetItemField with FieldURI sets one property; with IndexedFieldURI (FieldURI
  contacts:EmailAddress | contacts:PhoneNumber | contacts:ImAddress | contacts:PhysicalAddress:<part>,
  FieldIndex = the Key) sets one dictionary entry (or one part of an address) from the Entry
  with that Key inside the item element;
- DeleteItemField removes the property / entry / address part; deleting one that is not set is
  not an error (exchangelib deletes every unused slot when it replaces a whole list);
- read-only properties (CompleteName, ContactSource, HasPicture …) -> ErrorInvalidPropertySet;
  a Key outside the schema's enumeration fails schema validation (ErrorSchemaValidation).
Booleans accept 1/0, datetimes without offset are UTC. This module must not change the store.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from typing import Any

from sandbox.ews.contacts_model import (
    ADDRESS_PARTS,
    DATE_FIELDS,
    DICT_OF_URI,
    INDEXED,
    LIST_FIELDS,
    READ_ONLY,
    TEXT_FIELDS,
    address_part,
    extended_key,
)
from sandbox.ews.soap import EwsError, local, parse_datetime, t
from sandbox.ews.store import Fields


def _entries(elem: ET.Element, name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entry in elem:
        key = entry.get("Key", "")
        if key not in INDEXED[name]:
            raise EwsError("ErrorSchemaValidation", f"{key!r} is not a valid key of {name}.")
        if name == "PhysicalAddresses":
            parts = {}
            for child in entry:
                part = address_part(local(child))
                if part in ADDRESS_PARTS and (child.text or "").strip():
                    parts[part] = (child.text or "").strip()
            out[key] = parts
        else:
            value = (entry.text or entry.get("Name") or "").strip()
            if value:
                out[key] = value
    return out


def parse_contact(elem: ET.Element) -> Fields:
    """Model fields of a t:Contact (CreateItem, or the container of a SetItemField)."""
    out: Fields = {}
    for child in elem:
        name = local(child)
        text = child.text or ""
        if name in TEXT_FIELDS:
            out[name] = text.strip()
        elif name == "Body":
            out["Body"] = text
            out["BodyType"] = "HTML" if child.get("BodyType", "Text") == "HTML" else "Text"
        elif name in LIST_FIELDS:
            out[name] = [(s.text or "").strip() for s in child if (s.text or "").strip()]
        elif name in DATE_FIELDS:
            out[name] = parse_datetime(text)
        elif name in INDEXED:
            out[name] = _entries(child, name)
        elif name == "ExtendedProperty":
            uri = child.find(t("ExtendedFieldURI"))
            value = child.findtext(t("Value"))
            if uri is not None and value is not None:
                out.setdefault("Extended", {})[extended_key(uri)] = value
        elif name in READ_ONLY:
            raise EwsError("ErrorInvalidPropertySet", f"{name} is read-only.")
        # other ItemType elements (ItemClass, ReminderIsSet, Culture …) are accepted and ignored
    return out


def _indexed_target(uri: str) -> tuple[str, str | None]:
    """(dictionary element, address part or None) of an IndexedFieldURI FieldURI."""
    if uri in DICT_OF_URI:
        return DICT_OF_URI[uri], None
    base = uri.rsplit(":", 1)[0]
    if base == "contacts:PhysicalAddress":
        return "PhysicalAddresses", address_part(uri)
    raise EwsError("ErrorInvalidPropertyRequest", f"{uri} is not an indexed contact property.")


def _set_indexed(data: Fields, path: ET.Element, container: ET.Element | None) -> None:
    uri, index = path.get("FieldURI", ""), path.get("FieldIndex", "")
    name, part = _indexed_target(uri)
    if index not in INDEXED[name]:
        raise EwsError("ErrorSchemaValidation", f"{index!r} is not a valid key of {name}.")
    source = container.find(t(name)) if container is not None else None
    given = _entries(source, name) if source is not None else {}
    if index not in given:
        raise EwsError(
            "ErrorIncorrectUpdatePropertyCount",
            f"The item in SetItemField must contain exactly the {name} entry {index}.",
        )
    entries = dict(data.get(name) or {})
    if part is None:
        entries[index] = given[index]
    else:
        value = given[index].get(part)
        if value is None:
            raise EwsError("ErrorIncorrectUpdatePropertyCount", f"No {part} in entry {index}.")
        entries[index] = {**(entries.get(index) or {}), part: value}
    data[name] = entries


def _delete_indexed(data: Fields, path: ET.Element) -> None:
    uri, index = path.get("FieldURI", ""), path.get("FieldIndex", "")
    name, part = _indexed_target(uri)
    entries = dict(data.get(name) or {})
    if part is None:
        entries.pop(index, None)
    elif index in entries:
        rest = {k: v for k, v in entries[index].items() if k != part}
        if rest:
            entries[index] = rest
        else:
            entries.pop(index)
    data[name] = entries


def apply_updates(current: Fields, updates: ET.Element) -> Fields:
    """The contact's data after one ItemChange's Updates (the input is not modified)."""
    data = copy.deepcopy(current)
    for upd in updates:
        kind = local(upd)
        path = next(
            (c for c in upd if local(c) in ("FieldURI", "IndexedFieldURI", "ExtendedFieldURI")),
            None,
        )
        if path is None:
            raise EwsError("ErrorInvalidPropertyRequest", "Update without a property path")
        container = next((c for c in upd if c is not path), None)
        if local(path) == "ExtendedFieldURI":
            ext = dict(data.get("Extended") or {})
            if kind == "DeleteItemField":
                ext.pop(extended_key(path), None)
            else:
                prop = container.find(t("ExtendedProperty")) if container is not None else None
                value = prop.findtext(t("Value")) if prop is not None else None
                if value is None:
                    raise EwsError("ErrorInvalidPropertyRequest", "No ExtendedProperty value.")
                ext[extended_key(path)] = value
            data["Extended"] = ext
            continue
        if local(path) == "IndexedFieldURI":
            if kind == "DeleteItemField":
                _delete_indexed(data, path)
            else:
                _set_indexed(data, path, container)
            continue
        name = path.get("FieldURI", "").split(":", 1)[-1]
        if name in READ_ONLY:
            raise EwsError("ErrorInvalidPropertySet", f"{name} is read-only.")
        if kind == "DeleteItemField":
            data.pop(name, None)
            if name == "Body":
                data.pop("BodyType", None)
            continue
        fields = parse_contact(container) if container is not None else {}
        if name not in fields:
            raise EwsError("ErrorIncorrectUpdatePropertyCount", f"No value for {name}.")
        if kind == "AppendToItemField" and name == "Body":
            data["Body"] = str(data.get("Body") or "") + str(fields["Body"])
        elif kind == "AppendToItemField" and isinstance(fields[name], list):
            data[name] = list(data.get(name) or []) + fields[name]
        else:
            data[name] = fields[name]
        if name == "Body":
            data["BodyType"] = fields["BodyType"]
    return data
