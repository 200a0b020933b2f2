"""Client vCard (3.0 or 4.0) -> Graph contact fields, and the PATCH of what changed (K3).

`vcard_to_graph` reads the card with vobject into a `WantedContact`: every field of
`VCARD_FIELDS` (absent ones as empty, i.e. "the client removed it"), the JPEG photo bytes and
what could not be stored. `contact_patch` compares it with the current Graph contact and
returns only the changed fields, so the properties a vCard cannot carry (spouseName, manager,
…) are never in a PATCH and never erased. IMPP <-> imAddresses (contacts_mapping_common).

Reverse of contacts_mapping_read.py: TEL;TYPE=CELL -> mobilePhone (the first; further CELL
numbers go to businessPhones when also WORK, else homePhones), WORK -> businessPhones, HOME ->
homePhones, untyped/VOICE/MAIN/OTHER -> businessPhones. Graph v1.0 has no fax or pager number
(resources/contact.md): TEL;TYPE=FAX and PAGER are not stored and are listed in
`WantedContact.unstored`. ADR;TYPE=WORK -> businessAddress, HOME -> homeAddress, any other ->
otherAddress (PO box and extended address are folded into `street`, one per line). EMAIL ->
emailAddresses in card order, `name` kept from the current contact for known addresses, else FN.
This module must not do I/O.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import vobject

from bridge.errors import BadInput
from bridge.providers.graph.contacts_mapping_common import (
    ADDRESS_FIELDS,
    ADDRESS_KEYS,
    LIST_FIELDS,
    NO_YEAR,
    STRING_FIELDS,
    address_of,
    birthday_date,
    birthday_value,
    im_address_of,
    text,
)
from bridge.providers.graph.contacts_mapping_read import display_name

_DATA_URI_PHOTO = re.compile(
    r"^PHOTO[^:\r\n]*:data:image/[a-z]+;base64,([A-Za-z0-9+/=]+)", re.IGNORECASE | re.MULTILINE
)
_BDAY = re.compile(r"^(\d{4}|--)-?(\d{2})-?(\d{2})")


@dataclass(frozen=True)
class WantedContact:
    """The contact a client's vCard describes, in Graph terms."""

    fields: dict[str, Any]  # every VCARD_FIELDS key
    photo: bytes | None = None
    unstored: tuple[str, ...] = field(default=())  # e.g. "TEL;TYPE=FAX:+49 30 999"
    uid: str | None = None


def _types(line: Any) -> set[str]:
    out: set[str] = set()
    for value in line.params.get("TYPE", []):
        out.update(v.strip().upper() for v in str(value).split(",") if v.strip())
    return out


def _join(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(text(v) for v in value if text(v))
    return text(value)


def _parse(vcard: str) -> Any:
    try:
        card = vobject.readOne(vcard)
    except Exception as exc:  # noqa: BLE001 - vobject raises many types for bad input
        raise BadInput(f"the vCard cannot be parsed: {exc}") from exc
    if card.name.upper() != "VCARD":
        raise BadInput(f"expected a VCARD, got {card.name}")
    return card


def _photo(card: Any, raw: str) -> bytes | None:
    for line in card.contents.get("photo", []):
        value = line.value
        if isinstance(value, bytes) and value:
            return value
    match = _DATA_URI_PHOTO.search(re.sub(r"\r?\n[ \t]", "", raw))
    if match:
        try:
            return base64.b64decode(match.group(1), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadInput("the vCard PHOTO is not valid base64") from exc
    return None  # a PHOTO by URL is not fetched


def _birthday(card: Any) -> str | None:
    lines = card.contents.get("bday", [])
    if not lines:
        return None
    raw = text(lines[0].value)
    match = _BDAY.match(raw)
    if match is None:
        raise BadInput(f"BDAY {raw!r} is not a date")
    year = NO_YEAR if match.group(1) == "--" else int(match.group(1))
    try:
        day = dt.date(year, int(match.group(2)), int(match.group(3)))
    except ValueError as exc:
        raise BadInput(f"BDAY {raw!r} is not a date") from exc
    return birthday_value(day)


def _street(addr: Any) -> str:
    parts = [_join(getattr(addr, k, "")) for k in ("street", "extended", "box")]
    return "\n".join(p for p in parts if p)


def vcard_to_graph(vcard: str) -> WantedContact:
    """Parse a client's vCard; raises BadInput for unparsable or unusable cards."""
    card = _parse(vcard)
    c = card.contents
    fields: dict[str, Any] = {name: None for name in STRING_FIELDS}
    fields.update({name: [] for name in LIST_FIELDS})
    fields["emailAddresses"] = []
    fields["birthday"] = _birthday(card)
    unstored: list[str] = []
    if "n" in c and not isinstance(c["n"][0].value, str):
        n = c["n"][0].value
        fields["surname"] = _join(n.family) or None
        fields["givenName"] = _join(n.given) or None
        fields["middleName"] = _join(n.additional) or None
        fields["title"] = _join(n.prefix) or None
        fields["generation"] = _join(n.suffix) or None
    emails = [text(line.value) for line in c.get("email", []) if text(line.value)]
    fn = text(c["fn"][0].value) if "fn" in c else ""
    if "org" in c:
        org = c["org"][0].value
        org = org if isinstance(org, list) else [org]
        fields["companyName"] = text(org[0]) if org else None
        fields["department"] = text(org[1]) if len(org) > 1 and text(org[1]) else None
        fields["companyName"] = fields["companyName"] or None
    if not fn:
        parts = [fields[k] for k in ("givenName", "middleName", "surname")]
        fn = " ".join(p for p in parts if p) or fields["companyName"] or ""
        fn = fn or (emails[0] if emails else "")
    if not fn:
        raise BadInput("the vCard has no FN, no N, no ORG and no EMAIL: nothing names it")
    fields["displayName"] = fn
    if "nickname" in c:
        nick = c["nickname"][0].value
        nick = ", ".join(text(v) for v in nick if text(v)) if isinstance(nick, list) else text(nick)
        fields["nickName"] = nick or None
    if "title" in c:
        fields["jobTitle"] = text(c["title"][0].value) or None
    fields["emailAddresses"] = [{"address": e, "name": fn} for e in emails]
    for line in c.get("tel", []):
        number = text(line.value)
        if number.lower().startswith("tel:"):
            number = number[4:]
        if not number:
            continue
        kinds = _types(line)
        if kinds & {"FAX", "PAGER"}:
            unstored.append(f"TEL;TYPE={','.join(sorted(kinds))}:{number}")
        elif "CELL" in kinds and fields["mobilePhone"] is None:
            fields["mobilePhone"] = number
        elif "HOME" in kinds or ("CELL" in kinds and "WORK" not in kinds):
            fields["homePhones"].append(number)
        else:
            fields["businessPhones"].append(number)
    for line in c.get("adr", []):
        kinds = _types(line)
        target = next((f for f, kind in ADDRESS_FIELDS if kind in kinds), "otherAddress")
        if fields.get(target):
            unstored.append(f"ADR (a second {target})")
            continue
        addr = line.value
        fields[target] = {
            "street": _street(addr),
            "city": _join(getattr(addr, "city", "")),
            "state": _join(getattr(addr, "region", "")),
            "postalCode": _join(getattr(addr, "code", "")),
            "countryOrRegion": _join(getattr(addr, "country", "")),
        }
    for name, _ in ADDRESS_FIELDS:
        fields[name] = fields.get(name) or dict.fromkeys(ADDRESS_KEYS, "")
    for line in c.get("impp", []):
        uri = text(line.value)
        if uri:
            fields["imAddresses"].append(im_address_of(uri))
    if "url" in c:
        fields["businessHomePage"] = text(c["url"][0].value) or None
    if "note" in c:
        fields["personalNotes"] = text(c["note"][0].value) or None
    for line in c.get("categories", []):
        values = line.value if isinstance(line.value, list) else [line.value]
        fields["categories"].extend(text(v) for v in values if text(v))
    uid = text(c["uid"][0].value) if "uid" in c else None
    return WantedContact(fields, _photo(card, vcard), tuple(unstored), uid or None)


def _emails_of(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [text(e.get("address")).lower() for e in value if isinstance(e, dict)]


def contact_patch(current: Mapping[str, Any], wanted: WantedContact) -> dict[str, Any]:
    """The PATCH body (contact-update.md) of the vCard-expressible fields that differ.

    displayName is compared with the FN the card was rendered with (composed when Graph has
    none), so an untouched FN is not written back."""
    patch: dict[str, Any] = {}
    want = wanted.fields
    for name in STRING_FIELDS:
        have = display_name(current) if name == "displayName" else text(current.get(name))
        if have != text(want.get(name)):
            value = want.get(name)
            patch[name] = value if value else ("" if name == "personalNotes" else None)
    for name in LIST_FIELDS:
        values = [text(v) for v in current.get(name) or [] if text(v)]
        if values != list(want.get(name) or []):
            patch[name] = list(want.get(name) or [])
    if _emails_of(current.get("emailAddresses")) != _emails_of(want["emailAddresses"]):
        names = {
            text(e.get("address")).lower(): e.get("name")
            for e in current.get("emailAddresses") or []
            if isinstance(e, dict)
        }
        patch["emailAddresses"] = [
            {"address": e["address"], "name": names.get(e["address"].lower()) or e["name"]}
            for e in want["emailAddresses"]
        ]
    if birthday_date(current.get("birthday")) != birthday_date(want.get("birthday")):
        patch["birthday"] = want.get("birthday")
    for name, _ in ADDRESS_FIELDS:
        if address_of(current.get(name)) != address_of(want.get(name)):
            patch[name] = address_of(want.get(name))
    return patch
