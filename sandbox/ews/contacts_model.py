"""Contact items in the EWS sandbox store: field layout, derived values and property lookup.

A contact is a `store.CalItem` whose data has ItemClass "IPM.Contact" (web-service-reference
"Contact", "ItemClass"). Data layout (EWS element names, model values):
  simple text: FileAs, FileAsMapping, DisplayName, GivenName, Initials, MiddleName, Nickname,
    CompanyName, AssistantName, BusinessHomePage, Department, Generation, JobTitle, Manager,
    Mileage, OfficeLocation, Profession, SpouseName, Surname, Subject, Body (+ BodyType),
    PostalAddressIndex
  lists: Categories, Children, Companies ([str])
  Birthday / WeddingAnniversary: aware UTC datetime
  EmailAddresses: {"EmailAddress1".."3": address}            (page "EmailAddresses")
  PhoneNumbers: {"BusinessPhone": number, …}                   (page "PhoneNumbers")
  PhysicalAddresses: {"Business"|"Home"|"Other": {"Street", "City", "State",
    "CountryOrRegion", "PostalCode"}}                          (page "PhysicalAddresses")
  ImAddresses: {"ImAddress1".."3": address}
  Extended: {canonical ExtendedFieldURI key: value}            (page "ExtendedFieldURI")
This module must not parse or render XML and must not change the store.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from sandbox.ews.soap import local
from sandbox.ews.store import CalItem, Fields

CONTACT_CLASS = "IPM.Contact"
TEXT_FIELDS = (
    "FileAs",
    "FileAsMapping",
    "DisplayName",
    "GivenName",
    "Initials",
    "MiddleName",
    "Nickname",
    "CompanyName",
    "AssistantName",
    "BusinessHomePage",
    "Department",
    "Generation",
    "JobTitle",
    "Manager",
    "Mileage",
    "OfficeLocation",
    "PostalAddressIndex",
    "Profession",
    "SpouseName",
    "Surname",
    "Subject",
    "Sensitivity",
    "Importance",
)
LIST_FIELDS = ("Categories", "Children", "Companies")
DATE_FIELDS = ("Birthday", "WeddingAnniversary")
# Dictionaries and their keys, per pages "EmailAddressKeyType", "PhoneNumberKeyType",
# "PhysicalAddressKeyType", "ImAddressKeyType".
INDEXED: dict[str, tuple[str, ...]] = {
    "EmailAddresses": ("EmailAddress1", "EmailAddress2", "EmailAddress3"),
    "PhoneNumbers": (
        "AssistantPhone",
        "BusinessFax",
        "BusinessPhone",
        "BusinessPhone2",
        "Callback",
        "CarPhone",
        "CompanyMainPhone",
        "HomeFax",
        "HomePhone",
        "HomePhone2",
        "Isdn",
        "MobilePhone",
        "OtherFax",
        "OtherTelephone",
        "Pager",
        "PrimaryPhone",
        "RadioPhone",
        "Telex",
        "TtyTddPhone",
    ),
    "PhysicalAddresses": ("Business", "Home", "Other"),
    "ImAddresses": ("ImAddress1", "ImAddress2", "ImAddress3"),
}
# IndexedFieldURI FieldURI -> dictionary element (page "IndexedFieldURI"); physical addresses
# are addressed per part ("contacts:PhysicalAddress:Street" …).
DICT_OF_URI = {
    "contacts:EmailAddress": "EmailAddresses",
    "contacts:PhoneNumber": "PhoneNumbers",
    "contacts:ImAddress": "ImAddresses",
    "contacts:PhysicalAddress": "PhysicalAddresses",
}
ADDRESS_PARTS = ("Street", "City", "State", "CountryOrRegion", "PostalCode")
READ_ONLY = ("CompleteName", "ContactSource", "HasPicture", "ItemId", "DateTimeCreated")


def is_contact(item: CalItem) -> bool:
    return item.data.get("ItemClass") == CONTACT_CLASS


def address_part(uri: str) -> str:
    """'contacts:PhysicalAddress:Country' -> 'CountryOrRegion' (the docs page "IndexedFieldURI"
    lists ':Country'; the schema and exchangelib use ':CountryOrRegion')."""
    part = uri.rsplit(":", 1)[-1]
    return "CountryOrRegion" if part == "Country" else part


def extended_key(uri: ET.Element) -> str:
    """A canonical key for an ExtendedFieldURI (property set GUIDs compare case-insensitively)."""
    names = ("DistinguishedPropertySetId", "PropertySetId", "PropertyTag", "PropertyName")
    parts = [f"{n}={uri.get(n, '').lower()}" for n in names if uri.get(n)]
    if uri.get("PropertyId"):
        parts.append(f"PropertyId={int(uri.get('PropertyId', '0'), 0)}")
    return "|".join(parts)


def composed_name(data: Fields) -> str:
    parts = [data.get(k) for k in ("GivenName", "MiddleName", "Surname")]
    name = " ".join(str(p) for p in parts if p)
    if name:
        return name
    if data.get("CompanyName"):
        return str(data["CompanyName"])
    emails = data.get("EmailAddresses") or {}
    return str(next(iter(emails.values()), ""))


def file_as(data: Fields) -> str:
    """FileAs per FileAsMapping (page "FileAsMapping"); default LastCommaFirst."""
    given, surname = data.get("GivenName") or "", data.get("Surname") or ""
    mapping = data.get("FileAsMapping") or "LastCommaFirst"
    if mapping == "FirstSpaceLast" and (given or surname):
        return " ".join(p for p in (given, surname) if p)
    if mapping == "Company" and data.get("CompanyName"):
        return str(data["CompanyName"])
    if given and surname:
        return f"{surname}, {given}"
    return str(surname or given or data.get("DisplayName") or composed_name(data))


def normalize(data: Fields) -> None:
    """Values Exchange derives on save: DisplayName, FileAs, Subject; empty dictionaries and
    empty strings are removed."""
    for key in list(data):
        if data[key] in ("", None, [], {}):
            del data[key]
    for dict_name in INDEXED:
        entries = data.get(dict_name)
        if isinstance(entries, dict):
            kept = {k: v for k, v in entries.items() if v not in ("", None, {})}
            if kept:
                data[dict_name] = kept
            else:
                data.pop(dict_name, None)
    data["ItemClass"] = CONTACT_CLASS
    if not data.get("DisplayName"):
        data["DisplayName"] = composed_name(data)
    if not data.get("FileAs"):
        data["FileAs"] = file_as(data)
    data["Subject"] = data["DisplayName"]


def property_value(item: CalItem, path: ET.Element) -> Any:
    """What a Restriction / SortOrder sees for one property path of a contact."""
    d = item.data
    if local(path) == "ExtendedFieldURI":
        return (d.get("Extended") or {}).get(extended_key(path))
    uri = path.get("FieldURI", "")
    if local(path) == "IndexedFieldURI":
        base = uri if uri in DICT_OF_URI else uri.rsplit(":", 1)[0]
        entry = (d.get(DICT_OF_URI.get(base, "")) or {}).get(path.get("FieldIndex", ""))
        if isinstance(entry, dict):
            return entry.get(address_part(uri))
        return entry
    name = uri.split(":", 1)[-1]
    if name in ("DateTimeCreated", "DateTimeReceived", "DateTimeSent"):
        return item.created
    if name == "LastModifiedTime":
        return item.modified
    if name == "ItemId":
        return item.id
    return d.get(name)
