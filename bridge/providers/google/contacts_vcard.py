"""vCard 3.0 for Google contacts: the `Card` value, its deterministic text, and client vCard parsing.

What it does: renders a `Card` as vCard 3.0 with the davbridge conventions (VERSION, PRODID,
UID, FN always, N, NICKNAME, ORG, TITLE, EMAIL/TEL/ADR with TYPE, BDAY, NOTE, URL, CATEGORIES,
PHOTO as base64, REV) through the providers' one writer (bridge.providers.common.vcard), and
parses a
client's vCard 3.0 or 4.0 (vobject) into a `Card` — raising BadInput for an unparsable card or
one without FN and N. TYPE parameters are normalised to the convention's spellings so a
re-sent card compares equal to the one we rendered.
What it must not do: know Google's JSON, or do I/O.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

import vobject

from bridge.errors import BadInput
from bridge.providers.common.vcard import VCardWriter

# ADR components: (TYPE, pobox, extended, street, city, region, postal code, country)
Adr = tuple[str, str, str, str, str, str, str, str]
Name = tuple[str, str, str, str, str]  # family, given, middle, prefix, suffix
Bday = tuple[int | None, int, int]  # year (None: unknown), month, day
EMPTY_NAME: Name = ("", "", "", "", "")


@dataclass(frozen=True)
class Card:
    uid: str
    fn: str
    n: Name = EMPTY_NAME
    nicknames: tuple[str, ...] = ()
    org: tuple[str, str] = ("", "")  # company, department
    title: str = ""
    emails: tuple[tuple[str, str], ...] = ()  # (address, WORK|HOME|OTHER)
    tels: tuple[tuple[str, str], ...] = ()  # (number as stored, CELL|WORK|…|FAX,WORK …)
    adrs: tuple[Adr, ...] = ()
    bday: Bday | None = None
    note: str = ""
    urls: tuple[str, ...] = ()
    photo: bytes | None = None
    photo_kept: bool = False  # the client sent a PHOTO we cannot read (a URL): leave it alone
    rev: str = ""  # "YYYY-MM-DDTHH:MM:SSZ"
    categories: tuple[str, ...] = ()


# ---- rendering -----------------------------------------------------------------------------
def _bday(value: Bday) -> str:
    year, month, day = value
    return f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


def photo_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    return "JPEG"


def render(card: Card) -> str:
    out = VCardWriter(card.uid)
    out.text("FN", card.fn)
    out.name(*card.n)
    if card.nicknames:
        out.listed("NICKNAME", card.nicknames)
    if any(card.org):
        out.org(*card.org)
    if card.title:
        out.text("TITLE", card.title)
    for value, kind in card.emails:
        out.text("EMAIL", value, ("INTERNET", kind))
    for value, kind in card.tels:
        out.text("TEL", value, kind.split(","))
    for adr in card.adrs:
        out.address(adr[0], adr[1:])
    if card.bday:
        out.raw("BDAY", _bday(card.bday))
    if card.note:
        out.text("NOTE", card.note)
    for url in card.urls:
        out.raw("URL", url)
    if card.categories:
        out.listed("CATEGORIES", card.categories)
    if card.photo:
        out.photo(card.photo, photo_type(card.photo))
    if card.rev:
        out.raw("REV", card.rev)
    return out.render()


# ---- parsing ---------------------------------------------------------------------------------
_IGNORED_TYPES = {"internet", "pref", "voice", "x400", "msg", "bbs", "modem", "car", "isdn"}


def _types(prop: Any) -> set[str]:
    out: set[str] = set()
    for raw in prop.params.get("TYPE", []):
        for part in str(raw).split(","):
            part = part.strip().strip('"').lower()
            if part and part not in _IGNORED_TYPES:
                out.add(part)
    return out


def email_kind(types: set[str]) -> str:
    return "WORK" if "work" in types else "HOME" if "home" in types else "OTHER"


def tel_kind(types: set[str]) -> str:
    if "fax" in types:
        return "FAX,WORK" if "work" in types else "FAX,HOME" if "home" in types else "FAX"
    if types & {"cell", "mobile", "iphone"}:
        return "CELL,WORK" if "work" in types else "CELL"
    for kind in ("pager", "main", "work", "home"):
        if kind in types:
            return kind.upper()
    return "MAIN" if "x-main" in types else "OTHER"


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value if v)
    return str(value or "").strip()


def _tel_value(prop: Any) -> str:
    value = str(prop.value or "").strip()
    if value.lower().startswith("tel:"):
        number, _, params = value[4:].partition(";")
        ext = next((p[4:] for p in params.split(";") if p.lower().startswith("ext=")), "")
        value = f"{number} ext. {ext}" if ext else number
    return value


_BDAY = re.compile(r"^(\d{4}|--)-?(\d{2})-?(\d{2})")


def _parse_bday(prop: Any) -> Bday | None:
    text = str(prop.value or "").strip()
    m = _BDAY.match(text)
    if not m:
        return None
    omit = prop.params.get("X-APPLE-OMIT-YEAR", [None])[0]
    year = None if m.group(1) == "--" or m.group(1) == omit else int(m.group(1))
    month, day = int(m.group(2)), int(m.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return (year, month, day)


def _raw_photo(text: str) -> tuple[bytes | None, bool]:
    """(bytes, kept) of PHOTO read from the unfolded text: vobject splits a data: URI at its
    comma, so vCard 4.0 photos are read here. A PHOTO we cannot decode is `kept`."""
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    for line in unfolded.splitlines():
        name, sep, value = line.partition(":")
        if not sep or name.split(";")[0].strip().upper() != "PHOTO":
            continue
        params = name.upper()
        try:
            if value.startswith("data:"):
                meta, _, payload = value.partition(",")
                if ";base64" in meta:
                    return base64.b64decode(payload, validate=False), False
            elif "ENCODING=B" in params or "ENCODING=BASE64" in params:
                return base64.b64decode(value, validate=False), False
        except (binascii.Error, ValueError):
            pass
        return None, True
    return None, False


def parse(text: str) -> Card:
    """A client's vCard (3.0 or 4.0) as a Card; BadInput when it is not a usable vCard."""
    try:
        vcard = vobject.readOne(text)
    except Exception as exc:  # vobject raises ParseError and plain ValueErrors
        raise BadInput(f"unparsable vCard: {exc}") from exc
    if getattr(vcard, "name", "") != "VCARD":
        raise BadInput("the body is not a VCARD")
    props: dict[str, list[Any]] = {}
    for child in vcard.getChildren():
        props.setdefault(str(child.name).upper(), []).append(child)

    def first(name: str) -> Any:
        return props.get(name, [None])[0]

    n: Name = EMPTY_NAME
    if first("N") is not None and not isinstance(first("N").value, str):
        v = first("N").value
        n = (_text(v.family), _text(v.given), _text(v.additional), _text(v.prefix), _text(v.suffix))
    fn = _text(first("FN").value) if first("FN") is not None else ""
    if not fn and not any(n):
        raise BadInput("the vCard has neither FN nor N")
    org: tuple[str, str] = ("", "")
    if first("ORG") is not None:
        parts = first("ORG").value
        parts = [parts] if isinstance(parts, str) else list(parts)
        org = (str(parts[0]) if parts else "", str(parts[1]) if len(parts) > 1 else "")
    nicks = tuple(
        part.strip() for p in props.get("NICKNAME", []) for part in str(p.value).split(",")
    )
    adrs = []
    for p in props.get("ADR", []):
        a, kinds = p.value, _types(p)
        kind = "WORK" if "work" in kinds else "HOME" if "home" in kinds else "OTHER"
        fields = (a.box, a.extended, a.street, a.city, a.region, a.code, a.country)
        adrs.append((kind, *(_text(f) for f in fields)))
    photo, kept = _raw_photo(text)
    categories: list[str] = []
    for p in props.get("CATEGORIES", []):
        values = p.value if isinstance(p.value, list) else str(p.value).split(",")
        categories += [str(v).strip() for v in values if str(v).strip()]
    return Card(
        uid=_text(first("UID").value) if first("UID") is not None else "",
        fn=fn,
        n=n,
        nicknames=tuple(x for x in nicks if x),
        org=org,
        title=_text(first("TITLE").value) if first("TITLE") is not None else "",
        emails=tuple(
            (str(p.value).strip(), email_kind(_types(p)))
            for p in props.get("EMAIL", [])
            if str(p.value).strip()
        ),
        tels=tuple(
            (_tel_value(p), tel_kind(_types(p))) for p in props.get("TEL", []) if _tel_value(p)
        ),
        adrs=tuple(a for a in adrs if any(a[1:])),  # type: ignore[misc]
        bday=_parse_bday(first("BDAY")) if first("BDAY") is not None else None,
        note=str(first("NOTE").value) if first("NOTE") is not None else "",
        urls=tuple(str(p.value).strip() for p in props.get("URL", []) if str(p.value).strip()),
        photo=photo,
        photo_kept=kept,
        categories=tuple(categories),
    )
