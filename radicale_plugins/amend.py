"""What davbridge adds to the few multistatus answers Radicale still renders itself, done on
the element tree and written again with ElementTree — the serialiser Radicale uses, with the
prefixes it registers — never by editing the bytes:

- `vcard4_advertised`: CR:supported-address-data lists vCard 4.0 after 3.0, as Radicale
  writes it when vobject >= 1.0 (RFC 6352 §6.2.2; davbridge converts itself and does not
  require that vobject);
- `vcard4_data`: every CR:address-data converted to vCard 4.0 (RFC 6352 §10.4);
- `with_missing`: one 404 response per multiget href the guard took out (RFC 4918 §9.1).

Parsing loses nothing but CR LF line ends inside text (XML 1.0 §2.11 turns them into LF);
iCalendar and vCard data are CR LF-terminated content lines (RFC 5545 §3.1, RFC 6350 §3.2),
so those are given back their CR LF and the answer is byte for byte what Radicale would have
written (tests/unit/test_streamed_dav.py). The bulk shapes never come here: they are
streamed by radicale_plugins.fastpath and queries. Imports radicale.xmlutils and the stdlib.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - only Radicale's own answers are parsed
from collections.abc import Callable

from radicale import xmlutils

DAV = "{DAV:}"
CARDDAV = "{urn:ietf:params:xml:ns:carddav}"
_DATA = ("{urn:ietf:params:xml:ns:caldav}calendar-data", f"{CARDDAV}address-data")
_DECLARATION = b"<?xml version='1.0' encoding='utf-8'?>\n"
assert xmlutils.NAMESPACES  # importing xmlutils registers Radicale's prefixes with ET


def amended(answer: bytes, edit: Callable[[ET.Element], bool]) -> bytes:
    """Radicale's answer after `edit` changed its tree; unchanged when `edit` says so."""
    root = ET.fromstring(answer)  # noqa: S314 - Radicale's own serialised answer
    if not edit(root):
        return answer
    for tag in _DATA:
        for element in root.iter(tag):
            if element.text:
                element.text = element.text.replace("\r\n", "\n").replace("\n", "\r\n")
    written: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)  # not "unicode"
    return _DECLARATION + written


def vcard4_advertised(root: ET.Element) -> bool:
    changed = False
    for supported in root.iter(f"{CARDDAV}supported-address-data"):
        versions = [t.get("version") for t in supported.iter(f"{CARDDAV}address-data-type")]
        if "3.0" in versions and "4.0" not in versions:
            four = ET.Element(f"{CARDDAV}address-data-type")
            four.set("content-type", "text/vcard")
            four.set("version", "4.0")
            supported.insert(0, four)  # Radicale lists 4.0 first
            changed = True
    return changed


def vcard4_data(to_vcard4: Callable[[str], str]) -> Callable[[ET.Element], bool]:
    def edit(root: ET.Element) -> bool:
        changed = False
        for element in root.iter(f"{CARDDAV}address-data"):
            if element.text and "VERSION:4.0" not in element.text:
                element.text = to_vcard4(element.text)
                changed = True
        return changed

    return edit


def with_missing(dropped: tuple[str, ...]) -> Callable[[ET.Element], bool]:
    def edit(root: ET.Element) -> bool:
        for href in dropped:
            response = ET.SubElement(root, f"{DAV}response")
            ET.SubElement(response, f"{DAV}href").text = href
            ET.SubElement(response, f"{DAV}status").text = "HTTP/1.1 404 Not Found"
        return bool(dropped)

    return edit
