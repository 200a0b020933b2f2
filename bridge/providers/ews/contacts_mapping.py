"""exchangelib `Contact` <-> vCard 3.0 (K2/K3), the field diff for write-back.

Read (`contact_to_vcard`): UID = the EWS ItemId; FN = DisplayName (else given/middle/surname,
company, first email); N = Surname;GivenName;MiddleName;CompleteName.Title;Generation; ORG =
CompanyName;Department; EMAIL slots (web-service-reference "EmailAddresses", keys
EmailAddress1..3) carry no type in Exchange: slot 1 reads as WORK, 2 as HOME, 3 as OTHER;
PhoneNumbers keys ("Entry (PhoneNumber)", PhoneNumberKeyType) map to TEL types per PHONES
(MobilePhone CELL, BusinessPhone(2) WORK, HomePhone(2) HOME, BusinessFax FAX,WORK, HomeFax
FAX,HOME, OtherFax FAX, Pager PAGER, PrimaryPhone MAIN, CompanyMainPhone WORK,MAIN,
OtherTelephone OTHER, the rare ones as CAR/ISDN/X- types); PhysicalAddresses Business/Home/
Other -> ADR WORK/HOME/OTHER; Birthday -> BDAY (Outlook stores a birthday without a year with
year 1604: BDAY --MM-DD); Body -> NOTE (HTML as text); BusinessHomePage -> URL; Categories;
LastModifiedTime -> REV. Numbers are kept exactly as Exchange stores them. Photos are not
mapped (HasPicture/attachments are not read).
Write (`vcard_to_fields`): the inverse onto exchangelib field values. Exchange has fixed slots:
each EMAIL/TEL/ADR takes its preferred free slot, else a fallback slot; a card with more than
Exchange can hold (a 4th email, a 3rd work address …) raises BadInput naming the limit rather
than dropping data silently. N's prefix (CompleteName.Title) is read-only in EWS and ignored.
`changed_fields` lists the writable fields whose value differs, so an update never touches
fields a vCard cannot carry (SpouseName, Manager, AssistantName, Children, Office, …).
This module must not do I/O.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from exchangelib.ewsdatetime import EWSDate
from exchangelib.indexed_properties import EmailAddress, PhoneNumber, PhysicalAddress
from exchangelib.properties import HTMLBody

from bridge.errors import BadInput
from bridge.ical.htmltext import html_to_text
from bridge.providers.ews.contacts_vcard import Card, parse, render

NO_YEAR = 1604  # Outlook's year for a birthday without a year
EMAIL_SLOTS = (("EmailAddress1", "WORK"), ("EmailAddress2", "HOME"), ("EmailAddress3", "OTHER"))
PHONES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (label, frozenset(types.split(",")))
    for label, types in (
        ("MobilePhone", "CELL"),
        ("BusinessPhone", "WORK"),
        ("BusinessPhone2", "WORK"),
        ("HomePhone", "HOME"),
        ("HomePhone2", "HOME"),
        ("BusinessFax", "FAX,WORK"),
        ("HomeFax", "FAX,HOME"),
        ("OtherFax", "FAX"),
        ("Pager", "PAGER"),
        ("PrimaryPhone", "MAIN"),
        ("CompanyMainPhone", "WORK,MAIN"),
        ("OtherTelephone", "OTHER"),
        ("AssistantPhone", "X-ASSISTANT"),
        ("CarPhone", "CAR"),
        ("Callback", "X-CALLBACK"),
        ("Isdn", "ISDN"),
        ("RadioPhone", "X-RADIO"),
        ("Telex", "X-TELEX"),
        ("TtyTddPhone", "X-TTYTDD"),
    )
)
ADDRESS_SLOTS = (("Business", "WORK"), ("Home", "HOME"), ("Other", "OTHER"))
WRITABLE = (
    "display_name",
    "given_name",
    "surname",
    "middle_name",
    "generation",
    "nickname",
    "company_name",
    "department",
    "job_title",
    "email_addresses",
    "phone_numbers",
    "physical_addresses",
    "birthday",
    "body",
    "business_homepage",
    "categories",
)
FIELDS = (*WRITABLE, "complete_name", "last_modified_time", "datetime_created")


def _s(value: Any) -> str:
    return str(value or "").strip()


def _body_text(body: Any) -> str:
    if not body:
        return ""
    return html_to_text(str(body)).strip() if isinstance(body, HTMLBody) else str(body).strip()


def _fn(item: Any) -> str:
    name = " ".join(_s(v) for v in (item.given_name, item.middle_name, item.surname) if _s(v))
    emails = [e.email for e in item.email_addresses or [] if e.email]
    return _s(item.display_name) or name or _s(item.company_name) or (emails[0] if emails else "")


def _rev(item: Any) -> str:
    when = item.last_modified_time or item.datetime_created
    if when is None:
        return ""
    return dt.datetime.fromtimestamp(when.timestamp(), dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _card_addresses(item: Any) -> tuple[tuple[str, tuple[str, str, str, str, str]], ...]:
    by_label = {a.label: a for a in item.physical_addresses or []}
    out = []
    for label, kind in ADDRESS_SLOTS:
        a = by_label.get(label)
        if a is None:
            continue
        street, city, region, postal, country = (
            _s(v) for v in (a.street, a.city, a.state, a.zipcode, a.country)
        )
        if any((street, city, region, postal, country)):
            out.append((kind, (street, city, region, postal, country)))
    return tuple(out)


def item_to_card(item: Any) -> Card:
    emails = {e.label: _s(e.email) for e in item.email_addresses or []}
    phones = {p.label: _s(p.phone_number) for p in item.phone_numbers or []}
    bday = ""
    if item.birthday is not None:
        day = item.birthday
        bday = f"--{day:%m-%d}" if day.year == NO_YEAR else day.isoformat()
    complete = item.complete_name
    return Card(
        uid=str(item.id),
        fn=_fn(item),
        family=_s(item.surname),
        given=_s(item.given_name),
        middle=_s(item.middle_name),
        prefix=_s(complete.title) if complete is not None else "",
        suffix=_s(item.generation),
        nickname=_s(item.nickname),
        org=_s(item.company_name),
        department=_s(item.department),
        title=_s(item.job_title),
        emails=tuple((kind, emails[k]) for k, kind in EMAIL_SLOTS if emails.get(k)),
        tels=tuple((types, phones[k]) for k, types in PHONES if phones.get(k)),
        adrs=_card_addresses(item),
        bday=bday,
        note=_body_text(item.body),
        url=_s(item.business_homepage),
        categories=tuple(_s(c) for c in item.categories or [] if _s(c)),
        rev=_rev(item),
    )


def contact_to_vcard(item: Any) -> str:
    return render(item_to_card(item))


# ---- write -----------------------------------------------------------------------------------


def _take(free: list[str], wanted: list[str], what: str, limit: str) -> str:
    for label in wanted:
        if label in free:
            free.remove(label)
            return label
    raise BadInput(f"Exchange contacts hold {limit}; this card has more {what}")


def _phone_slots(types: frozenset[str]) -> list[str]:
    exact = [label for label, t in PHONES if t == types]
    if "FAX" in types:
        guess = ["HomeFax" if "HOME" in types else "BusinessFax", "OtherFax", "BusinessFax"]
    elif "CELL" in types:
        guess = ["MobilePhone"]
    elif "PAGER" in types:
        guess = ["Pager"]
    elif "MAIN" in types:
        guess = ["CompanyMainPhone" if "WORK" in types else "PrimaryPhone", "PrimaryPhone"]
    elif "CAR" in types:
        guess = ["CarPhone"]
    elif "WORK" in types:
        guess = ["BusinessPhone", "BusinessPhone2"]
    elif "HOME" in types:
        guess = ["HomePhone", "HomePhone2"]
    else:
        guess = []
    return [*exact, *guess, "OtherTelephone", "PrimaryPhone"]


def card_to_fields(card: Card) -> dict[str, Any]:
    """exchangelib field values for every WRITABLE field (None / [] = not set)."""
    free = [k for k, _ in EMAIL_SLOTS]
    emails = []
    for kind, address in card.emails:
        preferred = {"HOME": "EmailAddress2", "OTHER": "EmailAddress3"}.get(kind, "EmailAddress1")
        label = _take(free, [preferred, *free], "email addresses", "at most 3 email addresses")
        emails.append(EmailAddress(label=label, email=address))
    free = [k for k, _ in PHONES]
    phones = []
    for types, number in card.tels:
        slot = next((s for s in _phone_slots(types) if s in free), None)
        if slot is None:
            # Exchange's phone slots are fixed: a number with no free slot of its kind is not
            # stored in a field — the lossless overlay keeps it, so the client still gets it
            # back (C10; contacts.py).
            continue
        free.remove(slot)
        phones.append(PhoneNumber(label=slot, phone_number=number))
    free = [k for k, _ in ADDRESS_SLOTS]
    adrs = []
    for kind, (street, city, region, postal, country) in card.adrs:
        preferred = {"WORK": "Business", "HOME": "Home"}.get(kind, "Other")
        label = _take(free, [preferred, "Other", *free], "addresses", "3 addresses")
        adrs.append(
            PhysicalAddress(
                label=label,
                street=street or None,
                city=city or None,
                state=region or None,
                zipcode=postal or None,
                country=country or None,
            )
        )
    birthday = None
    if card.bday:
        year = NO_YEAR if card.bday.startswith("--") else int(card.bday[:4])
        birthday = EWSDate(year, int(card.bday[-5:-3]), int(card.bday[-2:]))
    fn = card.fn or " ".join(p for p in (card.given, card.middle, card.family) if p)
    return {
        "display_name": fn or card.org or (card.emails[0][1] if card.emails else ""),
        "given_name": card.given or None,
        "surname": card.family or None,
        "middle_name": card.middle or None,
        "generation": card.suffix or None,
        "nickname": card.nickname or None,
        "company_name": card.org or None,
        "department": card.department or None,
        "job_title": card.title or None,
        "email_addresses": sorted(emails, key=lambda e: e.label),
        "phone_numbers": phones,
        "physical_addresses": adrs,
        "birthday": birthday,
        "body": card.note or None,
        "business_homepage": card.url or None,
        "categories": list(card.categories) or None,
    }


def vcard_to_fields(text: str) -> dict[str, Any]:
    return card_to_fields(parse(text))


def _norm(name: str, value: Any) -> Any:
    if name == "email_addresses":
        return sorted((e.label, _s(e.email)) for e in value or [] if _s(e.email))
    if name == "phone_numbers":
        return sorted((p.label, _s(p.phone_number)) for p in value or [] if _s(p.phone_number))
    if name == "physical_addresses":
        parts = ("street", "city", "state", "zipcode", "country")
        rows = [(a.label, *(_s(getattr(a, p)) for p in parts)) for a in value or []]
        return sorted(r for r in rows if any(r[1:]))
    if name == "birthday":
        return value.isoformat() if value is not None else ""
    if name == "body":
        return _body_text(value)
    if name == "categories":
        return [_s(c) for c in value or [] if _s(c)]
    return _s(value)


def changed_fields(current: Any, wanted: dict[str, Any]) -> list[str]:
    """WRITABLE fields whose wanted value differs from `current` (an exchangelib Contact). The
    current display name is the FN the client was shown (composed when Exchange has none)."""
    out = []
    for name in WRITABLE:
        have = _fn(current) if name == "display_name" else getattr(current, name, None)
        if _norm(name, have) != _norm(name, wanted.get(name)):
            out.append(name)
    return out
