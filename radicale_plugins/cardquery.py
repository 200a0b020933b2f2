"""CardDAV answers Radicale would give by scanning every card, given from the phone index:
addressbook-query on TEL (RFC 6352 §8.6, §10.5) — how softphones such as Linphone search as
the user types — and vCard 4.0 address data on request (RFC 6352 §10.4).

`addressbook_query` takes only this request shape and returns None for anything else (Radicale
then answers by scanning): prop = DAV:getetag and/or CR:address-data (whole card, version 3.0
or 4.0); filter = one prop-filter name="TEL" holding only text-match elements (match-type
equals | contains | starts-with, collation i;unicode-casemap / i;ascii-casemap / i;octet,
negate-condition="no"); several text-matches under test="anyof" are a union; optional
CR:limit/CR:nresults. Numbers are compared in E.164 form (bridge.contacts.phones), so
"+49 30 1234567" equals "030 1234567"; search text with letters is left to Radicale.
A prop-filter on FN, N, NICKNAME, ORG or EMAIL (text-matches under test="anyof", caseless
collations) on the organisation's directory (K5) is answered from the name index
(bridge/store/names.py), so the directory is searched by name and email without scanning its
cards; on the user's own address books Radicale answers such filters.
A truncated answer ends with a 507 response for the request-URI (RFC 6352 §8.6.1).

`wants_vcard4` tells the DAV app whether a REPORT Radicale answers asked for version 4.0
(radicale_plugins.amend converts the address data then).
Imports only bridge.api and the stdlib.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from bridge import api
from bridge.contacts.vcard4 import to_vcard4
from radicale_plugins import multistatus as ms
from radicale_plugins.multistatus import Streamed

DAV = "{DAV:}"
CR = "{urn:ietf:params:xml:ns:carddav}"
_PROPS = {f"{DAV}getetag", f"{CR}address-data"}
_COLLATIONS = {None, "i;unicode-casemap", "i;ascii-casemap", "i;octet"}
_MATCH_TYPES = {"equals", "contains", "starts-with"}
_LETTERS = re.compile(r"[^\d\s()+./\-]")
_NAME_PROPS = {"FN", "N", "NICKNAME", "ORG", "EMAIL"}
_CASELESS = {None, "i;unicode-casemap", "i;ascii-casemap"}
_UNLIMITED = 100_000
_HEAD = "<?xml version='1.0' encoding='utf-8'?>\n"

_BATCH = 200


def wants_vcard4(root: Any) -> bool:
    """Does a REPORT body ask for address data in vCard 4.0?"""
    if root is None:
        return False
    return any(el.get("version") == "4.0" for el in root.iter(f"{CR}address-data"))


def _address_data_version(prop: Any) -> str | None:
    """ "3.0"/"4.0" for a whole-card address-data request, None when not servable here."""
    data = prop.find(f"{CR}address-data")
    if data is None:
        return "3.0"
    if len(data) or set(data.attrib) - {"content-type", "version"}:
        return None
    if data.get("content-type", "text/vcard") != "text/vcard":
        return None
    version = data.get("version", "3.0")
    return version if version in ("3.0", "4.0") else None


def _text_matches(root: Any) -> list[tuple[str, str]] | None:
    """[(text, match-type)] of a TEL-only filter (a union), or None to decline."""
    found = _prop_matches(root)
    return found[1] if found is not None and found[0] == "TEL" else None


def _prop_matches(root: Any) -> tuple[str, list[tuple[str, str]]] | None:
    """(property, [(text, match-type)]) of a one-property filter the indexes answer: TEL
    (the phone index) or FN / N / NICKNAME / ORG / EMAIL (the name index); None to decline."""
    filters = root.findall(f"{CR}filter")
    if len(filters) != 1 or filters[0].get("test", "anyof") not in ("anyof", "allof"):
        return None
    props = list(filters[0])
    if len(props) != 1 or props[0].tag != f"{CR}prop-filter":
        return None
    prop_filter = props[0]
    name = prop_filter.get("name", "").upper()
    if name != "TEL":
        return _name_matches(name, prop_filter)
    test = prop_filter.get("test", "anyof")
    matches = list(prop_filter)
    if not matches or test not in ("anyof", "allof"):
        return None
    found = []
    for tm in matches:
        if tm.tag != f"{CR}text-match" or len(tm):
            return None
        if tm.get("collation") not in _COLLATIONS or tm.get("negate-condition", "no") != "no":
            return None
        match_type = tm.get("match-type", "contains")
        text = (tm.text or "").strip()
        if match_type not in _MATCH_TYPES or not text or _LETTERS.search(text):
            return None
        digits = sum(ch.isdigit() for ch in text)
        if digits == 0 or (match_type == "contains" and digits < 3):
            return None  # the index needs 3 digits to search inside numbers: Radicale scans
        found.append((text, match_type))
    if test == "allof" and len(found) > 1:
        return None
    return "TEL", found


def _name_matches(name: str, prop_filter: Any) -> tuple[str, list[tuple[str, str]]] | None:
    """The text-matches of a FN / N / NICKNAME / ORG / EMAIL prop-filter, case-insensitive
    collations only (the name index is case-folded)."""
    if name not in _NAME_PROPS or prop_filter.get("test", "anyof") != "anyof":
        return None
    found = []
    for tm in list(prop_filter):
        if tm.tag != f"{CR}text-match" or len(tm):
            return None
        if tm.get("collation") not in _CASELESS or tm.get("negate-condition", "no") != "no":
            return None
        match_type = tm.get("match-type", "contains")
        text = (tm.text or "").strip()
        if match_type not in _MATCH_TYPES or not text:
            return None
        found.append((text, match_type))
    return (name, found) if found else None


def _limit(root: Any) -> int:
    """nresults; _UNLIMITED when absent, 0 when malformed (decline)."""
    limit = root.find(f"{CR}limit")
    if limit is None:
        return _UNLIMITED
    n = limit.find(f"{CR}nresults")
    try:
        value = int((n.text or "").strip()) if n is not None else 0
    except ValueError:
        return 0
    return max(value, 0)


def _collection(path: str, user: str) -> Any:
    parts = path.strip("/").split("/")
    if len(parts) != 2 or parts[0] != user or not user:
        return None
    coll = api.current().collection(user, parts[1])
    if coll is None or coll.kind.value != "addressbook":
        return None
    return coll


def _matching_hrefs(
    user: str, coll: Any, searches: list[tuple[str, str]], wanted: int
) -> tuple[list[str], bool]:
    """Distinct hrefs (index order) of contacts matching any search, up to `wanted`, and
    whether more exist. The index returns one row per number, so it is asked for more rows
    until enough distinct contacts are found or it runs dry."""
    bridge = api.current()
    hrefs: dict[str, None] = {}
    for text, match_type in searches:
        rows = max(wanted + 1, 16)
        while True:
            found = bridge.find_by_phone(user, text, match_type, limit=rows, collection=coll)
            for m in found:
                hrefs.setdefault(m.href)
            if len(found) < rows or len(hrefs) > wanted:
                break
            rows *= 4
        if len(hrefs) > wanted:
            break
    ordered = list(hrefs)
    return ordered[:wanted], len(ordered) > wanted


def _matching_cards(
    coll: Any, name: str, searches: list[tuple[str, str]], wanted: int
) -> tuple[list[str], bool]:
    """Distinct hrefs of cards matching any search on `name`, from the name index."""
    bridge = api.current()
    hrefs: dict[str, None] = {}
    for text, match_type in searches:
        for href in bridge.find_cards(coll, (name,), text, match_type, wanted + 1):
            hrefs.setdefault(href)
    ordered = sorted(hrefs)
    return ordered[:wanted], len(ordered) > wanted


def addressbook_query(
    path: str, user: str, root: Any, base_prefix: str, authorized: Callable[[], bool]
) -> Streamed | None:
    """The answer to a TEL addressbook-query from the phone index, or None to decline."""
    if root is None or root.tag != f"{CR}addressbook-query":
        return None
    if {child.tag for child in root} - {f"{DAV}prop", f"{CR}filter", f"{CR}limit"}:
        return None
    prop = root.find(f"{DAV}prop")
    if prop is None:
        return None
    wanted = [p.tag for p in prop]
    if not wanted or not set(wanted) <= _PROPS or any(len(p) for p in prop):
        return None
    version = _address_data_version(prop)
    parsed = _prop_matches(root)
    limit = _limit(root)
    if version is None or parsed is None or limit == 0:
        return None
    coll = _collection(path, user)
    if coll is None or not authorized():
        return None
    bridge = api.current()
    name, searches = parsed
    if name != "TEL" and not bridge.is_directory(coll):
        return None  # the user's own address books: Radicale scans them, as before
    coll = bridge.fresh(coll)
    if name == "TEL":
        hrefs, truncated = _matching_hrefs(user, coll, searches, limit)
    else:
        hrefs, truncated = _matching_cards(coll, name, searches, limit)
    prefix = urllib.parse.quote(f"{base_prefix}/{user}/{coll.name}/")
    request_uri = urllib.parse.quote(base_prefix + path)
    body = _body(bridge, coll, hrefs, truncated, prefix, request_uri, wanted, version)
    return ms.multistatus(body)


def _body(
    bridge: Any,
    coll: Any,
    hrefs: list[str],
    truncated: bool,
    prefix: str,
    request_uri: str,
    wanted: list[str],
    version: str,
) -> Iterator[bytes]:
    yield _HEAD.encode() + b'<multistatus xmlns="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">'
    for start in range(0, len(hrefs), _BATCH):
        batch = hrefs[start : start + _BATCH]
        found = bridge.blobs_by_href(coll, batch)
        for href in batch:
            entry = found.get(href)
            if entry is None:  # removed between the index read and now
                continue
            etag, data = entry
            props = []
            for tag in wanted:
                if tag == f"{DAV}getetag":
                    props.append(ms.element("getetag", ms.text(etag)))
                else:
                    text = data.decode("utf-8")
                    text = to_vcard4(text) if version == "4.0" else text
                    props.append(ms.element("CR:address-data", ms.text(text)))
            yield ms.response(prefix + urllib.parse.quote(href), props)
    if truncated:  # RFC 6352 §8.6.1 / RFC 5323 §5.17: the result was cut at nresults
        yield (
            f"<response><href>{request_uri}</href>"
            "<status>HTTP/1.1 507 Insufficient Storage</status>"
            "<error><number-of-matches-within-limits /></error>"
            "<responsedescription>Only part of the results were returned.</responsedescription>"
            "</response>"
        ).encode()
    yield ms.end()
