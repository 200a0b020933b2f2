"""Graph contact JSON -> vCard 3.0 text (K2), deterministic: same JSON and photo, same bytes.

Property mapping (resources/contact.md): displayName -> FN (else composed from the name parts,
else companyName, else the first e-mail); surname/givenName/middleName/title/generation -> N;
nickName -> NICKNAME; companyName/department -> ORG; jobTitle -> TITLE; emailAddresses ->
EMAIL;TYPE=INTERNET,OTHER (Graph keeps no e-mail type); mobilePhone -> TEL;TYPE=CELL,
businessPhones -> TEL;TYPE=WORK, homePhones -> TEL;TYPE=HOME (numbers exactly as stored);
businessAddress/homeAddress/otherAddress -> ADR;TYPE=WORK|HOME|OTHER (street in the street
component); imAddresses -> IMPP (contacts_mapping_common.impp_of); birthday -> BDAY (rules in contacts_mapping_common.py); businessHomePage -> URL;
categories -> CATEGORIES; personalNotes -> NOTE; the photo -> PHOTO;ENCODING=b;TYPE=JPEG;
lastModifiedDateTime -> REV. Properties a vCard cannot carry are left out (never invented).
This module must not do I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bridge.providers.common.outlook_time import parse_utc
from bridge.providers.common.vcard import VCardWriter
from bridge.providers.graph.contacts_mapping_common import (
    ADDRESS_FIELDS,
    ADDRESS_KEYS,
    NO_YEAR,
    address_of,
    birthday_date,
    impp_of,
    text,
)


def display_name(contact: Mapping[str, Any]) -> str:
    name = text(contact.get("displayName"))
    if name:
        return name
    parts = [text(contact.get(k)) for k in ("givenName", "middleName", "surname")]
    composed = " ".join(p for p in parts if p)
    if composed:
        return composed
    company = text(contact.get("companyName"))
    if company:
        return company
    for entry in contact.get("emailAddresses") or []:
        if isinstance(entry, dict) and text(entry.get("address")):
            return text(entry.get("address"))
    return ""


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


def graph_to_vcard(contact: Mapping[str, Any], photo: bytes | None = None) -> str:
    """The vCard 3.0 text of one Graph contact (and its JPEG photo, when it has one)."""
    out = VCardWriter(str(contact.get("id") or ""))
    out.text("FN", display_name(contact))
    out.name(
        *(
            text(contact.get(k))
            for k in ("surname", "givenName", "middleName", "title", "generation")
        )
    )
    if text(contact.get("nickName")):
        out.text("NICKNAME", text(contact.get("nickName")))
    company, department = text(contact.get("companyName")), text(contact.get("department"))
    if company or department:
        out.org(company, department)
    if text(contact.get("jobTitle")):
        out.text("TITLE", text(contact.get("jobTitle")))
    for entry in contact.get("emailAddresses") or []:
        address = text(entry.get("address")) if isinstance(entry, dict) else ""
        if address:
            out.text("EMAIL", address, ("INTERNET", "OTHER"))
    mobile = text(contact.get("mobilePhone"))
    if mobile:
        out.text("TEL", mobile, ("CELL",))
    for number in _strings(contact.get("businessPhones")):
        out.text("TEL", number, ("WORK",))
    for number in _strings(contact.get("homePhones")):
        out.text("TEL", number, ("HOME",))
    for field, kind in ADDRESS_FIELDS:
        addr = address_of(contact.get(field))
        if any(addr.values()):
            out.address(kind, [addr[key] for key in ADDRESS_KEYS])
    day = birthday_date(contact.get("birthday"))
    if day is not None:
        out.raw("BDAY", f"--{day:%m-%d}" if day.year == NO_YEAR else day.isoformat())
    for address in _strings(contact.get("imAddresses")):
        out.text("IMPP", impp_of(address))
    if text(contact.get("businessHomePage")):
        out.raw("URL", text(contact.get("businessHomePage")))
    categories = _strings(contact.get("categories"))
    if categories:
        out.listed("CATEGORIES", categories)
    if text(contact.get("personalNotes")):
        out.text("NOTE", text(contact.get("personalNotes")))
    if photo:
        out.photo(photo, "JPEG")
    modified = parse_utc(contact.get("lastModifiedDateTime"))
    if modified is not None:
        out.raw("REV", modified.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return out.render()
