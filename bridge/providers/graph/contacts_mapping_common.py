"""Shared vocabulary of the Graph contact <-> vCard 3.0 mapping.

The Graph side is resources/contact.md (v1.0); the vCard side follows the davbridge conventions
(VERSION 3.0, PRODID -//davbridge//davbridge//EN, UID = Graph contact id, N, FN, NICKNAME,
ORG:Company;Department, TITLE = jobTitle, EMAIL, TEL;TYPE=CELL|WORK|HOME, ADR;TYPE=WORK|HOME|OTHER,
BDAY, NOTE, URL, CATEGORIES, PHOTO;ENCODING=b;TYPE=JPEG, REV).

Birthdays: Graph stores a DateTimeOffset (resources/contact.md `birthday`, "always in UTC").
Its calendar date is the UTC value rounded to the nearest day (12:00Z or later counts as the
next day), so a local midnight stored from any zone between UTC−11 and UTC+12 reads as the
intended day; the bridge writes 11:59Z, which reads back as the same day. A vCard birthday
without a year (`--MM-DD`) is stored with the year 1604, the placeholder Apple clients use.
Pure functions, no I/O.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bridge.providers.common.outlook_time import parse_utc

NO_YEAR = 1604
BIRTHDAY_TIME = "T11:59:00Z"
ADDRESS_KEYS = ("street", "city", "state", "postalCode", "countryOrRegion")
ADDRESS_FIELDS = (("businessAddress", "WORK"), ("homeAddress", "HOME"), ("otherAddress", "OTHER"))
STRING_FIELDS = (
    "displayName",
    "givenName",
    "middleName",
    "surname",
    "title",
    "generation",
    "nickName",
    "companyName",
    "department",
    "jobTitle",
    "mobilePhone",
    "personalNotes",
    "businessHomePage",
)
LIST_FIELDS = ("businessPhones", "homePhones", "categories", "imAddresses")
# Everything a vCard can carry. Other Graph properties (spouseName, manager, assistantName,
# children, officeLocation, profession, fileAs, initials, yomi*) are never written.

#: imAddresses (resources/contact.md: "The contact's instant messaging (IM) addresses", plain
#: strings) <-> IMPP (RFC 4770 for vCard 3.0, RFC 6350 §6.4.3: a URI). A value that already is a
#: URI ("sip:max@contoso.de", "xmpp:…") is used as it is; a bare address gets the generic "im:"
#: scheme (RFC 3860), which the way back removes again, so the round trip is exact.
IM_SCHEME = "im:"


def impp_of(address: str) -> str:
    head, sep, _ = address.partition(":")
    is_uri = bool(sep) and head.isascii() and head.replace("+", "").replace("-", "").isalnum()
    return address if is_uri and "@" not in head else IM_SCHEME + address


def im_address_of(uri: str) -> str:
    return uri[len(IM_SCHEME) :] if uri.lower().startswith(IM_SCHEME) else uri


VCARD_FIELDS = (
    *STRING_FIELDS,
    *LIST_FIELDS,
    "emailAddresses",
    "birthday",
    *(name for name, _ in ADDRESS_FIELDS),
)


def birthday_date(value: Any) -> dt.date | None:
    """The calendar date of a Graph `birthday` (see the module docstring)."""
    parsed = parse_utc(value)
    if parsed is None:
        return None
    return (parsed + dt.timedelta(hours=12)).date()


def birthday_value(day: dt.date) -> str:
    """The Graph `birthday` the bridge writes for a calendar date."""
    return day.isoformat() + BIRTHDAY_TIME


def text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def address_of(value: Any) -> dict[str, str]:
    """A Graph physicalAddress with all five keys (missing ones as "")."""
    raw = value if isinstance(value, dict) else {}
    return {key: text(raw.get(key)) for key in ADDRESS_KEYS}
