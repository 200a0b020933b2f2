"""Phone numbers of contacts in E.164 form for caller lookup (K4), and search plans.

`phone_entries` turns every TEL of a vCard into an index entry; `plan_query` turns what a
client searches for (a whole number however written, or the digits typed so far) into a query
on that index (exact E.164 / national digits, an E.164 prefix, or a digit substring). Parsing
and formatting are libphonenumber's (the `phonenumbers` port): `parse` with the user's default
region, `is_valid_number`, `format_number(E164)`, `national_significant_number`.

Pure functions: no I/O, no store; imports only bridge.model and libraries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from bridge.contacts.lines import ContentLine, components, first_text, parse_lines, unescape
from bridge.model import PhoneEntry

__all__ = ["PhoneQuery", "e164_of", "phone_entries", "plan_query", "tel_count"]

# TYPE parameter -> index kind, strongest first ("WORK,FAX" is a fax, "CELL,WORK" a mobile)
_KINDS = ("fax", "pager", "cell", "main", "work", "home")
_ALIASES = {"mobile": "cell", "iphone": "cell", "company": "main", "pref": ""}
# DIN 5008: "+49 30 1234567-89" writes the extension (Durchwahl) after a hyphen; it is
# shorter than the group before it ("(030) 123-4567" is one number, not an extension)
_DIN_EXTENSION = re.compile(r"^(?P<base>[^-]*?(?P<group>\d+))\s*-\s*(?P<ext>\d{1,5})$")
_NON_DIGIT = re.compile(r"\D")
_MAX_DIGITS = 17  # E.164 allows 15 digits; leave room for an international call prefix
_MAX_TEL_CHARS = 100  # "+49 (0) 30 / 1234 567 - 89 ext. 12345" with room to spare


@dataclass(frozen=True)
class PhoneQuery:
    """What to look up in the phone index; all empty means "nothing can match"."""

    exact: tuple[str, ...]
    prefix: str | None
    contains: str | None


@dataclass(frozen=True)
class _Parsed:
    e164: str  # "+49301234567", or the digits as written when not a phone number
    national: str  # national significant number, or the digits as written
    extension: str  # "" when none
    parsed: bool


def _parse(text: str, region: str, strict: bool = False) -> _Parsed:
    """A number however written; unparseable or short numbers keep their digits. `strict`:
    only numbers libphonenumber knows to be valid count as parsed."""
    digits = _NON_DIGIT.sub("", text)
    fallback = _Parsed(digits, digits, "", False)
    if not digits or len(digits) > _MAX_DIGITS:
        return fallback
    try:
        number = phonenumbers.parse(text, region.upper() or None)
    except phonenumbers.NumberParseException:
        return fallback
    # An explicitly international number is kept even in ranges libphonenumber does not know
    # to be assigned; a national one must be valid (else "2345" would become "+12345").
    international = text.lstrip().startswith("+") or (
        number.country_code_source
        in (
            phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_IDD,
            phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN,
        )
    )
    if not (
        phonenumbers.is_valid_number(number)
        or (international and not strict and phonenumbers.is_possible_number(number))
    ):
        return fallback
    return _Parsed(
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        phonenumbers.national_significant_number(number),
        number.extension or "",
        True,
    )


def e164_of(text: str, region: str) -> str | None:
    """The E.164 form of a whole number however written ("030 1234567" → "+49301234567"
    in region DE), or None when it is not a phone number."""
    parsed = _parse(text, region)
    return parsed.e164 if parsed.parsed else None


def _kind(line: ContentLine) -> str:
    types = {_ALIASES.get(t, t) for t in line.types()}
    return next((k for k in _KINDS if k in types), "other")


def _tel_text(line: ContentLine) -> str:
    value = unescape(line.value).strip()
    if value.lower().startswith("tel:"):  # vCard 4.0 VALUE=uri (RFC 3966)
        value = value[4:].replace(";ext=", " ext. ")
    return value


def _entries_for(raw: str, region: str) -> list[tuple[str, str]]:
    """(e164, national) pairs one written number is indexed under; none for text longer
    than any written number (libphonenumber refuses over 250 characters too), which also
    keeps the DIN pattern's backtracking bounded."""
    if len(raw) > _MAX_TEL_CHARS:
        return []
    din = _DIN_EXTENSION.match(raw)
    if din and "-" not in din["base"] and len(din["ext"]) < len(din["group"]):
        base = _parse(din["base"], region)
        if base.parsed:
            pairs = [(base.e164, base.national)]
            direct = _parse(din["base"] + din["ext"], region)  # the direct-dial number
            if direct.parsed:
                pairs.append((direct.e164, direct.national))
            return pairs
    parsed = _parse(raw, region)
    return [(parsed.e164, parsed.national)] if parsed.e164 else []


def phone_entries(
    vcard_text: str, region: str, max_tels: int | None = None
) -> tuple[PhoneEntry, ...]:
    """Every TEL of a vCard (the first `max_tels` of them) as caller-lookup index entries.

    E.164 from the default `region` for numbers without a country code; an extension
    ("ext. 12", "x12", ";ext=12", DIN 5008 "-89") stays out of the E.164 form but in `raw`,
    and a DIN 5008 extension also indexes the direct-dial number ("+4930123456789").
    Numbers that are not phone numbers (short codes, internal extensions) are indexed by
    their digits as written.
    """
    lines = parse_lines(vcard_text)
    name = first_text(lines, "FN")
    if not name:
        n = next((components(line.value) for line in lines if line.name == "N"), [])
        name = " ".join(p for p in (n[1:2] + n[:1]) if p).strip()
    org = next((components(line.value)[0].strip() for line in lines if line.name == "ORG"), "")
    found: dict[PhoneEntry, None] = {}  # ordered set: a list's `in` made this quadratic
    tels = 0
    for line in lines:
        if line.name != "TEL":
            continue
        tels += 1
        if max_tels is not None and tels > max_tels:
            break
        raw = _tel_text(line)
        kind = _kind(line)
        for e164, national in _entries_for(raw, region):
            found.setdefault(PhoneEntry(e164, national, raw, kind, name, org))
    return tuple(found)


def tel_count(vcard_text: str) -> int:
    """How many TEL properties a vCard has."""
    return sum(1 for line in parse_lines(vcard_text) if line.name == "TEL")


def _metadata(region: str) -> phonenumbers.PhoneMetadata | None:
    return phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)


def _partial_e164(text: str, digits: str, region: str) -> str | None:
    """The E.164 prefix of a number typed so far: "+4930", "004930", "030" (DE) → "+4930"."""
    if text.lstrip().startswith("+"):
        return "+" + digits
    meta = _metadata(region)
    if meta is None:
        return None
    idd = re.match(meta.international_prefix or "$^", digits)
    if idd and idd.end() > 0:
        rest = digits[idd.end() :]
        return "+" + rest if rest else None
    trunk = meta.national_prefix or ""
    if trunk and digits.startswith(trunk):
        digits = digits[len(trunk) :]
    return f"+{meta.country_code}{digits}"


def _contains_digits(text: str, digits: str, region: str) -> str:
    """Digits to find inside stored numbers: a whole number by its national significant
    number; "+49…"/"0049…" by the digits after "+"; a trunk "0" is dropped ("0301" → "301")."""
    whole = _parse(text, region, strict=True)
    if whole.parsed:
        return whole.national
    if text.lstrip().startswith("+"):
        return digits
    meta = _metadata(region)
    if meta is not None:
        idd = re.match(meta.international_prefix or "$^", digits)
        if idd and idd.end() > 0:
            return digits[idd.end() :]
        if meta.national_prefix == "0" and digits.startswith("0") and len(digits) > 3:
            return digits[1:]
    return digits


def plan_query(text: str, match: str, region: str) -> PhoneQuery:
    """How to find `text` in the phone index; `match` is an RFC 6352 §10.5.4 match-type
    (equals | starts-with | contains). Text without digits plans an empty query."""
    nothing = PhoneQuery((), None, None)
    digits = _NON_DIGIT.sub("", text)
    if not digits or len(digits) > _MAX_DIGITS:
        return nothing
    if match == "equals":
        parsed = _parse(text, region)  # unparseable: the digits, as such numbers are indexed
        return PhoneQuery((parsed.e164 if parsed.parsed else digits,), None, None)
    if match == "starts-with":
        prefix = _partial_e164(text, digits, region)
        return PhoneQuery((), prefix, None) if prefix and len(prefix) > 1 else nothing
    if match == "contains":
        wanted = _contains_digits(text, digits, region)
        return PhoneQuery((), None, wanted) if len(wanted) >= 3 else nothing
    raise ValueError(f"unsupported match type {match!r} (equals, starts-with or contains)")
