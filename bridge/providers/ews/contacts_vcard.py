"""vCard 3.0 text for EWS contacts: a neutral `Card`, its deterministic rendering and parsing.

What it does: `render(card)` builds vCard 3.0 text by hand (RFC 2426: CRLF line ends, TEXT
escaping of backslash / comma / semicolon / newline, lines folded at 75 octets without splitting
a UTF-8 character), properties in a fixed order, so the same Card always gives the same bytes.
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

PRODID = "-//davbridge//davbridge//EN"


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


def escape(value: str) -> str:
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold one content line at 75 octets (RFC 2426 2.6), never inside a UTF-8 sequence."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def render(card: Card) -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"PRODID:{PRODID}", f"UID:{escape(card.uid)}"]
    lines.append(f"FN:{escape(card.fn)}")
    n_parts = (card.family, card.given, card.middle, card.prefix, card.suffix)
    lines.append("N:" + ";".join(escape(p) for p in n_parts))
    if card.nickname:
        lines.append(f"NICKNAME:{escape(card.nickname)}")
    if card.org or card.department:
        org = escape(card.org) + (f";{escape(card.department)}" if card.department else "")
        lines.append(f"ORG:{org}")
    if card.title:
        lines.append(f"TITLE:{escape(card.title)}")
    for kind, address in card.emails:
        types = "INTERNET" + (f",{kind}" if kind else "")
        lines.append(f"EMAIL;TYPE={types}:{escape(address)}")
    for tel_types, number in card.tels:
        order = ("FAX", "CELL", "WORK", "HOME", "MAIN", "PAGER", "OTHER", "CAR", "ISDN")
        ranked = sorted(tel_types, key=lambda t: (order.index(t) if t in order else 99, t))
        params = f";TYPE={','.join(ranked)}" if ranked else ""
        lines.append(f"TEL{params}:{escape(number)}")
    for kind, parts in card.adrs:
        street, city, region, postal, country = (escape(p) for p in parts)
        lines.append(f"ADR;TYPE={kind}:;;{street};{city};{region};{postal};{country}")
    if card.bday:
        lines.append(f"BDAY:{card.bday}")
    if card.note:
        lines.append(f"NOTE:{escape(card.note)}")
    if card.url:
        lines.append(f"URL:{card.url}")
    if card.categories:
        lines.append("CATEGORIES:" + ",".join(escape(c) for c in card.categories))
    if card.rev:
        lines.append(f"REV:{card.rev}")
    lines.append("END:VCARD")
    return "".join(fold(line) + "\r\n" for line in lines)


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
