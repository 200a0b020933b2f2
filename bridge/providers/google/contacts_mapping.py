"""Google People `Person` ⇄ `Card` (vCard 3.0 content) and the minimal update of a contact.

What it does: projects a Person onto what a vCard can carry (names, nicknames, the first
organisation, emails, phones — `value` as the user typed it, never `canonicalForm` —, addresses,
birthday, biography, urls, photo, REV from the CONTACT source's `updateTime`), builds the
createContact body of a Card, and computes an updateContact body with `updatePersonFields`
holding only the person fields whose vCard projection changed. Changed list fields reuse the
stored entries whose projection is unchanged, so custom types ("Assistant"), phonetic names,
`formattedValue`, later organisations and the like survive; fields no vCard carries (relations,
userDefined, events, clientData, memberships, imClients …) are never in the mask.
What it must not do: HTTP, vCard text (contacts_vcard.py does that).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bridge.ical import overlay
from bridge.providers.google.contacts_vcard import Adr, Bday, Card, Name

UID_KEY = "davbridge-uid"  # clientData key holding the UID a CardDAV client chose
IDEMPOTENCY_KEY = "davbridge-idempotency"  # clientData key holding the create's key
OUTPUT_ONLY = ("metadata", "formattedType", "canonicalForm", "displayName", "displayNameLastFirst")
NAME_PARTS = ("familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix")
# Google phone type -> vCard TEL TYPE (PhoneNumber.type predefined values).
TEL_FROM_GOOGLE = {
    "mobile": "CELL",
    "work": "WORK",
    "home": "HOME",
    "workFax": "FAX,WORK",
    "homeFax": "FAX,HOME",
    "otherFax": "FAX",
    "pager": "PAGER",
    "workPager": "PAGER",
    "main": "MAIN",
    "workMobile": "CELL,WORK",
}
TEL_TO_GOOGLE = {
    "CELL": "mobile",
    "WORK": "work",
    "HOME": "home",
    "FAX,WORK": "workFax",
    "FAX,HOME": "homeFax",
    "FAX": "otherFax",
    "PAGER": "pager",
    "MAIN": "main",
    "CELL,WORK": "workMobile",
    "OTHER": "other",
}
Person = Mapping[str, Any]


def _entries(person: Person, name: str) -> list[dict[str, Any]]:
    return [e for e in person.get(name) or [] if isinstance(e, dict)]


def _kind3(value: Any) -> str:
    return {"work": "WORK", "home": "HOME"}.get(str(value or ""), "OTHER")


# ---- per-entry projections (the same for reading and for reuse on write) ---------------------
def email_of(e: Mapping[str, Any]) -> tuple[str, str]:
    return (str(e.get("value") or "").strip(), _kind3(e.get("type")))


def tel_of(e: Mapping[str, Any]) -> tuple[str, str]:
    return (str(e.get("value") or "").strip(), TEL_FROM_GOOGLE.get(str(e.get("type")), "OTHER"))


def adr_of(e: Mapping[str, Any]) -> Adr:
    def g(key: str) -> str:
        return str(e.get(key) or "").strip()

    country = g("country") or g("countryCode")
    return (
        _kind3(e.get("type")),
        g("poBox"),
        g("extendedAddress"),
        g("streetAddress"),
        g("city"),
        g("region"),
        g("postalCode"),
        country,
    )


def value_of(e: Mapping[str, Any]) -> str:
    return str(e.get("value") or "").strip()


def _composed(n: Name) -> str:
    family, given, middle, prefix, suffix = n
    text = " ".join(p for p in (prefix, given, middle, family) if p)
    return f"{text}, {suffix}" if suffix and text else (text or suffix)


def _name(person: Person) -> tuple[Name, str]:
    names = _entries(person, "names")
    if not names:
        return ("", "", "", "", ""), ""
    first = names[0]
    family, given, middle, prefix, suffix = (str(first.get(k) or "").strip() for k in NAME_PARTS)
    n: Name = (family, given, middle, prefix, suffix)
    display = str(first.get("displayName") or first.get("unstructuredName") or "").strip()
    return n, display or _composed(n)


def _org(person: Person) -> tuple[tuple[str, str], str]:
    orgs = _entries(person, "organizations")
    if not orgs:
        return ("", ""), ""
    o = orgs[0]
    company = str(o.get("name") or "").strip()
    dept = str(o.get("department") or "").strip()
    return (company, dept), str(o.get("title") or "").strip()


def _bday(person: Person) -> Bday | None:
    for b in _entries(person, "birthdays"):
        date = b.get("date") or {}
        month, day = int(date.get("month") or 0), int(date.get("day") or 0)
        if month and day:
            return (int(date.get("year") or 0) or None, month, day)
    return None


def client_value(person: Person, key: str) -> str | None:
    for item in _entries(person, "clientData"):
        if item.get("key") == key and item.get("value"):
            return str(item["value"])
    return None


OVERLAY_PREFIX = "davbridge.o"  # clientData keys of the lossless overlay's chunks (C10)


def stored_overlay(person: Person) -> str:
    """The overlay text kept in the person's clientData ("" for none)."""
    values = {str(e.get("key")): e.get("value") for e in _entries(person, "clientData")}
    return overlay.from_keyed(values, OVERLAY_PREFIX)


def client_data_with(person: Person, text: str) -> list[dict[str, Any]]:
    """The person's clientData with the overlay chunks replaced by `text` (the array is
    replaced as a whole by updateContact, so every other entry is carried along)."""
    kept = [
        dict(e)
        for e in _entries(person, "clientData")
        if not str(e.get("key", "")).startswith(OVERLAY_PREFIX)
    ]
    kept = [{k: v for k, v in e.items() if k != "metadata"} for e in kept]
    chunks = overlay.keyed_chunks(text, OVERLAY_PREFIX)
    return kept + [{"key": k, "value": v} for k, v in chunks.items() if v]


def contact_uid(person: Person) -> str:
    """The vCard UID: the one a CardDAV client chose (kept in clientData), else the contact id."""
    chosen = client_value(person, UID_KEY)
    if chosen:
        return chosen
    return str(person.get("resourceName") or "").removeprefix("people/")


def rev_of(person: Person) -> str:
    for s in (person.get("metadata") or {}).get("sources") or []:
        if s.get("type") == "CONTACT" and s.get("updateTime"):
            text = str(s["updateTime"])
            return text[:19] + "Z" if len(text) >= 19 else text
    return ""


def person_to_card(person: Person, photo: bytes | None) -> Card:
    n, display = _name(person)
    org, title = _org(person)
    emails = tuple(email_of(e) for e in _entries(person, "emailAddresses") if value_of(e))
    tels = tuple(tel_of(e) for e in _entries(person, "phoneNumbers") if value_of(e))
    fn = display or org[0] or (emails[0][0] if emails else "") or (tels[0][0] if tels else "")
    bios = _entries(person, "biographies")
    return Card(
        uid=contact_uid(person),
        fn=fn or "Unnamed contact",
        n=n,
        nicknames=tuple(value_of(e) for e in _entries(person, "nicknames") if value_of(e)),
        org=org,
        title=title,
        emails=emails,
        tels=tels,
        adrs=tuple(adr_of(e) for e in _entries(person, "addresses") if any(adr_of(e)[1:])),
        bday=_bday(person),
        note=str(bios[0].get("value") or "") if bios else "",
        urls=tuple(value_of(e) for e in _entries(person, "urls") if value_of(e)),
        photo=photo,
        rev=rev_of(person),
    )


def photo_url(person: Person) -> str | None:
    """The URL of a user-provided photo (`default: true` is Google's generated avatar)."""
    for p in _entries(person, "photos"):
        if p.get("url") and not p.get("default"):
            return str(p["url"])
    return None


# ---- writing ----------------------------------------------------------------------------------
def _strip(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in entry.items() if k not in OUTPUT_ONLY}


def _reuse(
    old: Sequence[Mapping[str, Any]],
    project: Callable[[Mapping[str, Any]], Any],
    wanted: Sequence[Any],
    make: Callable[[Any], dict[str, Any]],
) -> list[dict[str, Any]]:
    """New entries for `wanted` projections, reusing unchanged stored entries as they are."""
    pool = [(project(e), e) for e in old]
    out = []
    for item in wanted:
        hit = next((i for i, (p, _) in enumerate(pool) if p == item), None)
        if hit is None:
            out.append(make(item))
        else:
            out.append(_strip(pool.pop(hit)[1]))
    return out


def _clean(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if v not in ("", None)}


def _name_entry(card: Card, old: Mapping[str, Any] | None) -> dict[str, Any]:
    keep = {
        k: v for k, v in _strip(old or {}).items() if k not in (*NAME_PARTS, "unstructuredName")
    }
    entry = {**keep, **_clean(dict(zip(NAME_PARTS, card.n, strict=True)))}
    if card.fn and card.fn != _composed(card.n):
        entry["unstructuredName"] = card.fn
    return entry


def _org_entries(person: Person, card: Card) -> list[dict[str, Any]]:
    orgs = _entries(person, "organizations")
    if not (any(card.org) or card.title):
        return [_strip(o) for o in orgs[1:]]
    first = _strip(orgs[0]) if orgs else {"type": "work"}
    for key, value in zip(("name", "department", "title"), (*card.org, card.title), strict=True):
        if value:
            first[key] = value
        else:
            first.pop(key, None)
    return [first] + [_strip(o) for o in orgs[1:]]


def _bday_entry(bday: Bday) -> dict[str, Any]:
    year, month, day = bday
    date = {"month": month, "day": day} if not year else {"year": year, "month": month, "day": day}
    return {"date": date}


def _adr_entry(a: Adr) -> dict[str, Any]:
    keys = ("poBox", "extendedAddress", "streetAddress", "city", "region", "postalCode", "country")
    return _clean({"type": a[0].lower(), **dict(zip(keys, a[1:], strict=True))})


def field_values(person: Person, card: Card) -> dict[str, list[dict[str, Any]]]:
    """Every vCard-expressible person field as `card` wants it (stored entries reused)."""
    names = _entries(person, "names")
    n_empty = not any(card.n) and not card.fn
    return {
        "names": [] if n_empty else [_name_entry(card, names[0] if names else None)],
        "nicknames": _reuse(
            _entries(person, "nicknames"), value_of, card.nicknames, lambda v: {"value": v}
        ),
        "organizations": _org_entries(person, card),
        "emailAddresses": _reuse(
            _entries(person, "emailAddresses"),
            email_of,
            card.emails,
            lambda e: {"value": e[0], "type": e[1].lower()},
        ),
        "phoneNumbers": _reuse(
            _entries(person, "phoneNumbers"),
            tel_of,
            card.tels,
            lambda t: {"value": t[0], "type": TEL_TO_GOOGLE.get(t[1], "other")},
        ),
        "addresses": _reuse(_entries(person, "addresses"), adr_of, card.adrs, _adr_entry),
        "birthdays": [_bday_entry(card.bday)] if card.bday else [],
        "biographies": [{"value": card.note, "contentType": "TEXT_PLAIN"}] if card.note else [],
        "urls": _reuse(_entries(person, "urls"), value_of, card.urls, lambda v: {"value": v}),
    }


def _changed(old: Card, new: Card) -> list[str]:
    checks = {
        "names": (old.n, old.fn) != (new.n, new.fn),
        "nicknames": old.nicknames != new.nicknames,
        "organizations": (old.org, old.title) != (new.org, new.title),
        "emailAddresses": old.emails != new.emails,
        "phoneNumbers": old.tels != new.tels,
        "addresses": old.adrs != new.adrs,
        "birthdays": old.bday != new.bday,
        "biographies": old.note != new.note,
        "urls": old.urls != new.urls,
    }
    return [name for name, changed in checks.items() if changed]


def update_body(person: Person, old: Card, new: Card) -> tuple[dict[str, Any], list[str]]:
    """(body without etag, updatePersonFields) for what changed between `old` and `new`."""
    mask = _changed(old, new)
    if not mask:
        return {}, []
    values = field_values(person, new)
    body = {name: values[name] for name in mask if values[name]}
    return body, mask


def create_body(card: Card, group: str, idempotency_key: str) -> dict[str, Any]:
    values = field_values({}, card)
    body: dict[str, Any] = {name: v for name, v in values.items() if v}
    client = [{"key": IDEMPOTENCY_KEY, "value": idempotency_key}]
    if card.uid:
        client.insert(0, {"key": UID_KEY, "value": card.uid})
    body["clientData"] = client
    body["memberships"] = [{"contactGroupMembership": {"contactGroupResourceName": group}}]
    return body


def groups_of(person: Person) -> set[str]:
    out = set()
    for m in _entries(person, "memberships"):
        rn = (m.get("contactGroupMembership") or {}).get("contactGroupResourceName")
        if rn:
            out.add(str(rn))
    return out


def is_deleted(person: Person) -> bool:
    return bool((person.get("metadata") or {}).get("deleted"))
