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

import base64
from collections.abc import Mapping
from typing import Any

from bridge.providers.graph.contacts_mapping_common import (
    ADDRESS_FIELDS,
    NO_YEAR,
    PRODID,
    address_of,
    birthday_date,
    escape_text,
    fold,
    impp_of,
    parse_utc,
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
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"PRODID:{PRODID}"]
    lines.append("UID:" + escape_text(str(contact.get("id") or "")))
    lines.append("FN:" + escape_text(display_name(contact)))
    n_parts = [
        text(contact.get(k)) for k in ("surname", "givenName", "middleName", "title", "generation")
    ]
    lines.append("N:" + ";".join(escape_text(p) for p in n_parts))
    if text(contact.get("nickName")):
        lines.append("NICKNAME:" + escape_text(text(contact.get("nickName"))))
    company, department = text(contact.get("companyName")), text(contact.get("department"))
    if company or department:
        org = escape_text(company) + (";" + escape_text(department) if department else "")
        lines.append("ORG:" + org)
    if text(contact.get("jobTitle")):
        lines.append("TITLE:" + escape_text(text(contact.get("jobTitle"))))
    for entry in contact.get("emailAddresses") or []:
        address = text(entry.get("address")) if isinstance(entry, dict) else ""
        if address:
            lines.append("EMAIL;TYPE=INTERNET,OTHER:" + escape_text(address))
    mobile = text(contact.get("mobilePhone"))
    if mobile:
        lines.append("TEL;TYPE=CELL:" + escape_text(mobile))
    for number in _strings(contact.get("businessPhones")):
        lines.append("TEL;TYPE=WORK:" + escape_text(number))
    for number in _strings(contact.get("homePhones")):
        lines.append("TEL;TYPE=HOME:" + escape_text(number))
    for field, kind in ADDRESS_FIELDS:
        addr = address_of(contact.get(field))
        if any(addr.values()):
            parts = ["", "", addr["street"], addr["city"], addr["state"]]
            parts += [addr["postalCode"], addr["countryOrRegion"]]
            lines.append(f"ADR;TYPE={kind}:" + ";".join(escape_text(p) for p in parts))
    day = birthday_date(contact.get("birthday"))
    if day is not None:
        bday = f"--{day:%m-%d}" if day.year == NO_YEAR else day.isoformat()
        lines.append("BDAY:" + bday)
    for address in _strings(contact.get("imAddresses")):
        lines.append("IMPP:" + escape_text(impp_of(address)))
    if text(contact.get("businessHomePage")):
        lines.append("URL:" + text(contact.get("businessHomePage")))
    categories = _strings(contact.get("categories"))
    if categories:
        lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in categories))
    if text(contact.get("personalNotes")):
        lines.append("NOTE:" + escape_text(text(contact.get("personalNotes"))))
    if photo:
        lines.append("PHOTO;ENCODING=b;TYPE=JPEG:" + base64.b64encode(photo).decode("ascii"))
    modified = parse_utc(contact.get("lastModifiedDateTime"))
    if modified is not None:
        lines.append("REV:" + modified.strftime("%Y-%m-%dT%H:%M:%SZ"))
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)
