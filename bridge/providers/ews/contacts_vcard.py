"""vCard 3.0 text for EWS contacts: a neutral `Card`, its deterministic rendering and parsing.

What it does: `render(card)` writes vCard 3.0 with the providers' one writer
(bridge.providers.common.vcard: escaping, folding, the fixed property order), so the same Card
always gives the same bytes.
`parse(text)` reads a client's vCard 3.0 or 4.0 with vobject into a Card (4.0 `TEL;VALUE=uri`
`tel:` numbers and `TYPE="work,voice"` lists included); unparsable text or a card without FN
and N raises BadInput.
What it must not do: know EWS field names (contacts_mapping.py maps Card <-> exchangelib).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import vobject

from bridge.errors import BadInput
from bridge.providers.common.vcard import VCardWriter


@dataclass(frozen=True)
class Card:
    uid: str = ""
    fn: str = ""
    family: str = ""
    given: str = ""
    middle: str = ""
    prefix: str = ""
    suffix: str = ""
    nickname: str = ""
    org: str = ""
    department: str = ""
    title: str = ""
    emails: tuple[tuple[str, str], ...] = ()  # (WORK|HOME|OTHER|"", address)
    tels: tuple[tuple[frozenset[str], str], ...] = ()  # (upper-case TYPE set, number)
    adrs: tuple[tuple[str, tuple[str, str, str, str, str]], ...] = ()  # (type, street..country)
    bday: str = ""  # YYYY-MM-DD or --MM-DD
    note: str = ""
    url: str = ""
    categories: tuple[str, ...] = ()
    rev: str = ""  # YYYYMMDDTHHMMSSZ


# ---- rendering -------------------------------------------------------------------------------


_TEL_ORDER = ("FAX", "CELL", "WORK", "HOME", "MAIN", "PAGER", "OTHER", "CAR", "ISDN")


def render(card: Card) -> str:
    out = VCardWriter(card.uid)
    out.text("FN", card.fn)
    out.name(card.family, card.given, card.middle, card.prefix, card.suffix)
    if card.nickname:
        out.text("NICKNAME", card.nickname)
    if card.org or card.department:
        out.org(card.org, card.department)
    if card.title:
        out.text("TITLE", card.title)
    for kind, address in card.emails:
        out.text("EMAIL", address, ("INTERNET", kind) if kind else ("INTERNET",))
    for tel_types, number in card.tels:
        ranked = sorted(
            tel_types, key=lambda t: (_TEL_ORDER.index(t) if t in _TEL_ORDER else 99, t)
        )
        out.text("TEL", number, ranked)
    for kind, parts in card.adrs:
        out.address(kind, parts)
    if card.bday:
        out.raw("BDAY", card.bday)
    if card.note:
        out.text("NOTE", card.note)
    if card.url:
        out.raw("URL", card.url)
    if card.categories:
        out.listed("CATEGORIES", card.categories)
    if card.rev:
        out.raw("REV", card.rev)
    return out.render()


# ---- parsing ---------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(_text(v) for v in value if _text(v))
    return str(value or "").strip()


def _types(line: Any) -> frozenset[str]:
    found: set[str] = set()
    for raw in line.params.get("TYPE", []):
        found.update(p.strip().strip('"').upper() for p in str(raw).split(",") if p.strip())
    return frozenset(found - {"INTERNET", "VOICE", "PREF", "X-INTERNET"})


def _kind(types: frozenset[str]) -> str:
    for kind in ("WORK", "HOME", "OTHER"):
        if kind in types:
            return kind
    return ""


def _bday(value: str) -> str:
    """'1975-04-12', '19750412', '1975-04-12T00:00:00Z', '--0412', '--04-12' -> normal form."""
    raw = value.strip()
    year_less = re.fullmatch(r"--(\d{2})-?(\d{2})", raw)
    if year_less:
        return f"--{year_less.group(1)}-{year_less.group(2)}"
    full = re.match(r"(\d{4})-?(\d{2})-?(\d{2})", raw)
    if full:
        return f"{full.group(1)}-{full.group(2)}-{full.group(3)}"
    raise BadInput(f"BDAY {value!r} is not a date (YYYY-MM-DD or --MM-DD)")


def _one(contents: dict[str, list[Any]], name: str) -> str:
    lines = contents.get(name) or []
    return _text(lines[0].value) if lines else ""


def parse(text: str) -> Card:
    """A Card from vCard 3.0 or 4.0 text (BadInput when unparsable or unusable)."""
    try:
        vcard = vobject.readOne(text)
    except Exception as error:  # vobject raises several types for bad input
        raise BadInput(f"the vCard cannot be parsed: {error}") from None
    if vcard.name != "VCARD":
        raise BadInput(f"expected a VCARD, got {vcard.name}")
    c: dict[str, list[Any]] = vcard.contents
    family = given = middle = prefix = suffix = ""
    if c.get("n"):
        name = c["n"][0].value
        family, given = _text(getattr(name, "family", "")), _text(getattr(name, "given", ""))
        middle = _text(getattr(name, "additional", ""))
        prefix, suffix = _text(getattr(name, "prefix", "")), _text(getattr(name, "suffix", ""))
    fn = _one(c, "fn")
    if not fn and not (family or given):
        raise BadInput("the vCard has neither FN nor N: a contact needs a name")
    org = department = ""
    if c.get("org"):
        value = c["org"][0].value
        parts = [str(p).strip() for p in (value if isinstance(value, list) else [value])]
        org, department = parts[0], " ".join(p for p in parts[1:] if p)
    emails = tuple((_kind(_types(e)), _text(e.value)) for e in c.get("email", []) if _text(e.value))
    tels = []
    for tel in c.get("tel", []):
        number = _text(tel.value)
        number = number[4:] if number.lower().startswith("tel:") else number
        if number:
            tels.append((_types(tel), number))
    adrs: list[tuple[str, tuple[str, str, str, str, str]]] = []
    for adr in c.get("adr", []):
        a = adr.value
        street = ", ".join(p for p in (_text(a.box), _text(a.extended), _text(a.street)) if p)
        fields = (street, _text(a.city), _text(a.region), _text(a.code), _text(a.country))
        if any(fields):
            adrs.append((_kind(_types(adr)) or "OTHER", fields))
    categories: list[str] = []
    for line in c.get("categories", []):
        value = line.value
        categories.extend(_text(v) for v in (value if isinstance(value, list) else [value]))
    return Card(
        uid=_one(c, "uid"),
        fn=fn,
        family=family,
        given=given,
        middle=middle,
        prefix=prefix,
        suffix=suffix,
        nickname=_one(c, "nickname"),
        org=org,
        department=department,
        title=_one(c, "title"),
        emails=emails,
        tels=tuple(tels),
        adrs=tuple(adrs),
        bday=_bday(_one(c, "bday")) if _one(c, "bday") else "",
        note=str(c["note"][0].value).strip() if c.get("note") else "",
        url=_one(c, "url"),
        categories=tuple(x for x in categories if x),
    )
