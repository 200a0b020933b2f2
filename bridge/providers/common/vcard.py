"""The one vCard 3.0 writer of the providers: vobject content lines in a fixed property order.

What it does: a provider's contact mapping adds properties to a `VCardWriter` (text, structured
N/ADR/ORG values, comma lists, URIs and dates written as they are, inline binary PHOTO, TYPE
parameters) and `render()` returns the card. vobject encodes every value and parameter
(RFC 2426 §4 TEXT escaping of backslash, comma, semicolon and newline; N and ADR fields and ORG
units joined by ";"; parameter values quoted where they must be: backslashEscape and
dquoteEscape); the line is its name, parameters and value. Not written
through vobject's vCard component or ContentLine objects: the component sorts properties by
name, and the objects made a contact pull 10 to 25 times slower (measured: 34 us a Graph card
by hand, 380-840 us through them). Lines are then folded at 75 octets without splitting a UTF-8
character (RFC 2426 §2.6, RFC 6350 §3.2: bridge.ical.contentlines.fold — vobject 0.9.9's own
folding leaves a line of fewer than 75 characters unfolded however many octets it has) and end
with CRLF. Properties come out in `ORDER` (BEGIN, VERSION, PRODID, UID, FN, N … REV, END)
whatever order the mapping added them in, those of one name in the order added, so equal
contacts always give equal bytes and every provider's cards look alike.
What it must not do: know a provider's fields, parse cards (the mappings read client cards
with vobject themselves), or drop or invent values.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence

from vobject.base import backslashEscape, dquoteEscape

from bridge.ical.contentlines import fold

PRODID = "-//davbridge//davbridge//EN"
# The davbridge property order (VERSION, PRODID and UID first, as vobject's vCard 3.0 does).
ORDER = (
    "VERSION",
    "PRODID",
    "UID",
    "FN",
    "N",
    "NICKNAME",
    "ORG",
    "TITLE",
    "EMAIL",
    "TEL",
    "ADR",
    "BDAY",
    "IMPP",
    "NOTE",
    "URL",
    "CATEGORIES",
    "PHOTO",
    "REV",
)
_RANK = {name: rank for rank, name in enumerate(ORDER)}
_SPECIAL = re.compile(r"[\\;,\r\n]")
_QUOTED = re.compile(r'[,;:"]')


def _escape(value: str) -> str:
    """vobject's TEXT escaping, skipped for the (usual) value with nothing to escape."""
    return backslashEscape(value) if _SPECIAL.search(value) else value


def _param(value: str) -> str:
    """vobject's parameter quoting (a value holding , ; or : is put in double quotes)."""
    return dquoteEscape(value) if _QUOTED.search(value) else value


def _fields(parts: Iterable[str]) -> str:
    """A structured value (N, ADR, ORG): each field escaped, joined by ";" (as vobject's
    serializeFields does for its Name and Address objects)."""
    return ";".join(_escape(p) for p in parts)


class VCardWriter:
    """One vCard 3.0 being written; see the module docstring."""

    def __init__(self, uid: str) -> None:
        # (rank in ORDER, sequence number, the unfolded content line): sorted when rendered
        self._lines: list[tuple[int, int, str]] = []
        self.raw("VERSION", "3.0")
        self.raw("PRODID", PRODID)
        self.text("UID", uid)

    def raw(self, name: str, value: str, types: Sequence[str] = ()) -> None:
        """A value already in its wire form (a URI, a date, a timestamp): written as it is."""
        if types:
            self._add(f"{name};TYPE={','.join(map(_param, types))}", name, value)
        else:
            self._add(name, name, value)

    def _add(self, head: str, name: str, value: str) -> None:
        rank = _RANK.get(name, len(ORDER))
        self._lines.append((rank, len(self._lines), f"{head}:{value}"))

    def text(self, name: str, value: str, types: Sequence[str] = ()) -> None:
        """A TEXT value, escaped (RFC 2426 §4: backslash, comma, semicolon, newline)."""
        self.raw(name, _escape(value), types)

    def listed(self, name: str, values: Iterable[str]) -> None:
        """A comma-separated list of TEXT values (NICKNAME, CATEGORIES), each escaped."""
        self.raw(name, ",".join(_escape(v) for v in values))

    def name(self, family: str, given: str, middle: str, prefix: str, suffix: str) -> None:
        """N (RFC 2426 §3.1.2): family;given;additional;prefix;suffix."""
        self.raw("N", _fields((family, given, middle, prefix, suffix)))

    def address(self, kind: str, parts: Sequence[str]) -> None:
        """ADR;TYPE=kind (RFC 2426 §3.2.1): pobox;extended;street;city;region;code;country,
        `parts` being those seven, or the last five (no pobox, no extended address)."""
        box, extended, street, city, region, code, country = ("", "", *parts)[-7:]
        self.raw("ADR", _fields((box, extended, street, city, region, code, country)), (kind,))

    def org(self, company: str, department: str = "") -> None:
        """ORG: the company, then the department when there is one."""
        self.raw("ORG", _fields((company, department) if department else (company,)))

    def photo(self, data: bytes, image_type: str) -> None:
        """PHOTO;ENCODING=b;TYPE=<JPEG|PNG|GIF> with the bytes inline (base64)."""
        value = base64.b64encode(data).decode("ascii")
        self._add(f"PHOTO;ENCODING=b;TYPE={_param(image_type)}", "PHOTO", value)

    def render(self) -> str:
        body = "".join(fold(line) + "\r\n" for _, _, line in sorted(self._lines))
        return f"BEGIN:VCARD\r\n{body}END:VCARD\r\n"
