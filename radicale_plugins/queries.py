"""calendar-query (RFC 4791 §7.8) and addressbook-query (RFC 6352 §8.6) answered in front of
Radicale and streamed: the collection's items are read from the mirror one by one, matched
with Radicale's own filter code (the storage plugin's `get_filtered` prefilter, then
`radicale.app.report.test_filter` where the prefilter is not conclusive — exactly Radicale's
REPORT loop), and each match is written as soon as it is found (radicale_plugins.multistatus).

Taken: a query on the caller's calendar / address book whose children are DAV:prop and the
filter, asking getetag, getcontenttype and/or the whole calendar-data / address-data
(vCard 3.0, or 4.0 on request, RFC 6352 §10.4). Declined (None, Radicale answers): expand
or limit-recurrence-set, a CALDAV:timezone, CARDDAV:limit (TEL searches with a limit are
cardquery's), any other property. Unlike Radicale, a query matching more than [limits]
instances_per_expansion events is served rather than refused with 400: that limit bounds
what an `expand` produces, and nothing here expands.
Imports radicale (its filters and Item), bridge.api (through radicale_plugins.storage) and
radicale_plugins; it changes nothing.
"""

from __future__ import annotations

import logging
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from radicale import xmlutils
from radicale.app.report import test_filter
from radicale.item import Item

from bridge import api
from radicale_plugins import multistatus as ms
from radicale_plugins.multistatus import CALDAV, CARDDAV, DAV, Streamed
from radicale_plugins.storage import MirrorCollection

log = logging.getLogger("davbridge.dav")
_QUERIES = {f"{CALDAV}calendar-query": "calendar", f"{CARDDAV}addressbook-query": "addressbook"}
_FILTER = {"calendar": f"{CALDAV}filter", "addressbook": f"{CARDDAV}filter"}
_DATA = {"calendar": f"{CALDAV}calendar-data", "addressbook": f"{CARDDAV}address-data"}
_PREFIXED = {
    f"{CALDAV}calendar-data": "C:calendar-data",
    f"{CARDDAV}address-data": "CR:address-data",
}
_TAG = {"calendar": "VCALENDAR", "addressbook": "VADDRESSBOOK"}
_MEDIA = {"calendar": "text/calendar", "addressbook": "text/vcard"}
_VERSIONS = {"calendar": ("2.0",), "addressbook": ("3.0", "4.0")}


def is_query(root: ET.Element) -> bool:
    return root.tag in _QUERIES


def query(root: ET.Element, user: str, coll: Any, prefix: str) -> Streamed | None:
    """The streamed answer to a query on `coll` (already checked readable), or None."""
    kind = _QUERIES[root.tag]
    if coll.kind.value != kind:
        return None
    if {child.tag for child in root} - {f"{DAV}prop", _FILTER[kind]}:
        return None
    wanted = _wanted(root.find(f"{DAV}prop"), kind)
    if wanted is None or root.find(f".//{CALDAV}expand") is not None:
        return None
    if root.find(f".//{CALDAV}limit-recurrence-set") is not None:
        return None
    vcard4 = any(p.get("version") == "4.0" for p in root.iter(f"{CARDDAV}address-data"))
    filters = root.findall(_FILTER[kind])
    matches = _matches(MirrorCollection(user, coll), filters, _TAG[kind])
    try:
        first = next(matches, None)
    except (ValueError, TypeError, AttributeError):
        return None  # a filter Radicale refuses (400 with its reason): let it answer
    using = [t for t in wanted if t in _PREFIXED] if first is not None else []
    return ms.multistatus(_body(first, matches, prefix, wanted, vcard4, ms.head(using=using)))


def _wanted(prop: ET.Element | None, kind: str) -> list[str] | None:
    """The requested property tags, each asked for whole; None to decline."""
    if prop is None:
        return None
    wanted = [p.tag for p in prop]
    allowed = {f"{DAV}getetag", f"{DAV}getcontenttype", _DATA[kind]}
    if not wanted or not set(wanted) <= allowed or any(len(p) for p in prop):
        return None
    for p in prop:
        if p.tag != _DATA[kind]:
            if p.attrib:
                return None
            continue
        if set(p.attrib) - {"content-type", "version"}:
            return None
        if p.get("content-type", _MEDIA[kind]) != _MEDIA[kind]:
            return None
        if p.get("version", _VERSIONS[kind][0]) not in _VERSIONS[kind]:
            return None
    return wanted


def _matches(collection: MirrorCollection, filters: list[ET.Element], tag: str) -> Iterator[Item]:
    """Radicale's REPORT loop: the storage's prefilter, then the full filter when needed.
    A filter Radicale refuses raises at the first item it is tried on, before the answer
    starts (`query` peeks at the first match); an item that fails later, once the answer is
    under way, is left out and logged."""
    started = False
    for item, matched in collection.get_filtered(filters):
        if filters and not matched:
            try:
                if not all(test_filter(tag, item, f) for f in filters):
                    continue
            except (ValueError, TypeError, AttributeError) as exc:
                if not started:
                    raise
                log.warning("query: item %r left out, its filter failed: %s", item.href, exc)
                continue
        started = True
        yield item


def _body(
    first: Item | None,
    rest: Iterator[Item],
    prefix: str,
    wanted: list[str],
    vcard4: bool,
    head: bytes,
) -> Iterator[bytes]:
    if first is None:
        yield ms.empty()
        return
    yield head
    if first is not None:
        for item in _prepend(first, rest):
            props = []
            for tag in wanted:
                if tag == f"{DAV}getetag":
                    props.append(ms.element("getetag", ms.text(item.etag)))
                elif tag == f"{DAV}getcontenttype":
                    props.append(
                        ms.element(
                            "getcontenttype", ms.text(xmlutils.get_content_type(item, "utf-8"))
                        )
                    )
                else:
                    text = item.serialize()
                    if vcard4:
                        text = api.to_vcard4(text)
                    props.append(ms.element(_PREFIXED[tag], ms.text(text)))
            yield ms.response(prefix + urllib.parse.quote(str(item.href)), props)
    yield ms.end()


def _prepend(first: Item, rest: Iterator[Item]) -> Iterator[Item]:
    yield first
    yield from rest
