"""vCard 3.0 (RFC 2426, as the mirror stores contacts) → vCard 4.0 (RFC 6350) for clients
that ask for version 4.0 (RFC 6352 §10.4 address-data version, or Accept on GET).

What changes (RFC 6350 Appendix A "Differences from RFCs 2425 and 2426"):
VERSION:4.0; PROFILE, NAME, MAILER, LABEL, CLASS, AGENT and SORT-STRING are dropped (removed in
4.0); CHARSET parameters are dropped (4.0 is UTF-8 only); TYPE values are lower case, joined
into one TYPE parameter, without the 3.0-only values (INTERNET, X400, DOM, INTL, POSTAL,
PARCEL, MSG, BBS, MODEM, CAR, ISDN, PCS) and with TYPE=PREF as PREF=1; inline binary
(ENCODING=b) PHOTO/LOGO/SOUND/KEY become data: URIs (RFC 2397) and VALUE=uri is dropped (URI is
their 4.0 default); BDAY/ANNIVERSARY/REV use the basic ISO 8601 forms of §4.3 ("19800501",
"--0501", "20240102T030405Z"); GEO becomes a geo: URI (RFC 5870). TEL stays a text value (the
4.0 default; a tel: URI is optional). Lines are folded at 75 octets with CRLF.

Pure text transformation: no I/O; must not reorder or drop properties it does not know.
"""

from __future__ import annotations

import re

from bridge.contacts.lines import ContentLine, parse_lines, render

_DROPPED_PROPS = {"VERSION", "PROFILE", "NAME", "MAILER", "LABEL", "CLASS", "AGENT", "SORT-STRING"}
_DROPPED_TYPES = {
    "internet",
    "x400",
    "dom",
    "intl",
    "postal",
    "parcel",
    "msg",
    "bbs",
    "modem",
    "car",
    "isdn",
    "pcs",
}
_BINARY_PROPS = {"PHOTO": "image", "LOGO": "image", "SOUND": "audio", "KEY": "application"}
_MEDIA = {"jpg": "jpeg", "tif": "tiff", "pgp": "pgp-keys"}
_DATE_PROPS = {"BDAY", "ANNIVERSARY", "X-ANNIVERSARY"}
_DATE = re.compile(r"^(?P<y>\d{4}|--)-?(?P<m>\d{2})-?(?P<d>\d{2})(?P<rest>T.*)?$")


def _types(line: ContentLine) -> tuple[list[str], bool]:
    """Lower-case TYPE values without the 3.0-only ones, and whether PREF was among them."""
    values: list[str] = []
    for value in line.types():
        if value == "pref":
            continue
        if value not in _DROPPED_TYPES and value not in values:
            values.append(value)
    return sorted(values), "pref" in line.types()


def _basic_datetime(value: str, *, omit_year: bool = False) -> str:
    """ISO 8601 extended → the basic forms RFC 6350 §4.3 allows."""
    m = _DATE.match(value.strip())
    if not m:
        return value
    year = "--" if omit_year else m["y"]
    rest = (m["rest"] or "").replace(":", "")  # "T10:00:00-05:00" → "T100000-0500"
    return f"{year}{m['m']}{m['d']}{rest}"


def _binary(line: ContentLine, params: list[tuple[str, str | None]]) -> ContentLine:
    media = next((t for t in line.param_values("TYPE")), "")
    kind = _BINARY_PROPS[line.name]
    sub = media.lower()
    sub = _MEDIA.get(sub, sub) or ("jpeg" if kind == "image" else "octet-stream")
    mime = sub if "/" in sub else f"{kind}/{sub}"
    data = "".join(line.value.split())
    return ContentLine(line.group, line.name, tuple(params), f"data:{mime};base64,{data}")


def _convert(line: ContentLine) -> ContentLine | None:
    if line.name in _DROPPED_PROPS:
        return None
    encoding = {v.lower() for v in line.param_values("ENCODING")}
    params: list[tuple[str, str | None]] = []
    for key, raw in line.params:
        if key in ("TYPE", "CHARSET", "ENCODING") or raw is None:
            continue  # TYPE is rebuilt below; bare 2.1 types are TYPE values
        if key == "VALUE" and raw.lower() in ("uri", "url") and line.name in _BINARY_PROPS:
            continue
        if key == "VALUE" and raw.lower() in ("binary", "date", "date-time"):
            continue  # binary is gone in 4.0; dates are date-and-or-time, the default
        if key == "X-APPLE-OMIT-YEAR":
            continue
        params.append((key, raw))
    if line.name in _BINARY_PROPS and encoding & {"b", "base64"}:
        return _binary(line, params)
    types, pref = _types(line)
    if line.name in _BINARY_PROPS:
        types = []  # 3.0 TYPE there is a media type, not a 4.0 TYPE
    if types:
        params.insert(0, ("TYPE", ",".join(types)))
    if pref and not any(k == "PREF" for k, _ in params):
        params.append(("PREF", "1"))
    value = line.value
    if line.name in _DATE_PROPS:
        omit = any(k == "X-APPLE-OMIT-YEAR" for k, _ in line.params)
        value = _basic_datetime(value, omit_year=omit)
    elif line.name == "REV":
        value = _basic_datetime(value)
    elif line.name == "GEO" and ";" in value and not value.lower().startswith("geo:"):
        lat, _, lon = value.partition(";")
        value = f"geo:{lat.strip()},{lon.strip()}"
    return ContentLine(line.group, line.name, tuple(params), value)


def to_vcard4(vcard3: str) -> str:
    """The same contact(s) as vCard 4.0 text (CRLF line ends). A card already in 4.0 is
    returned with its lines re-folded only."""
    out: list[str] = []
    already4 = False
    for line in parse_lines(vcard3):
        if line.name == "BEGIN" and line.value.strip().upper() == "VCARD":
            out += ["BEGIN:VCARD", "VERSION:4.0"]
            already4 = False
            continue
        if line.name == "VERSION":
            already4 = line.value.strip() == "4.0"
            continue
        if line.name == "END":
            out.append("END:VCARD")
            continue
        converted = line if already4 else _convert(line)
        if converted is not None:
            out.append(render(converted))
    return "\r\n".join(out) + "\r\n"
