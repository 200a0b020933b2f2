"""Plain-HTTP WebDAV helpers for end-to-end tests that compare what a client sees before and
after something (a crash, a batch of rejected requests): the collections of the demo user with
their sync tokens and ctags, and each collection's members with their ETags (RFC 4918 §9.1
PROPFIND, RFC 6578 sync-token, calendarserver getctag)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import requests

_NS = {"d": "DAV:", "cs": "http://calendarserver.org/ns/"}
_COLLECTIONS = (
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/">'
    "<d:prop><d:displayname/><d:resourcetype/><d:sync-token/><cs:getctag/></d:prop></d:propfind>"
)
_MEMBERS = (
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'
)


@dataclass(frozen=True)
class Collection:
    href: str
    name: str
    kind: str  # "calendar" | "addressbook"
    sync_token: str
    ctag: str


def propfind(session: requests.Session, url: str, body: str, depth: str = "1") -> list[ET.Element]:
    r = session.request("PROPFIND", url, data=body, headers={"Depth": depth}, timeout=60)
    assert r.status_code == 207, (url, r.status_code, r.text[:500])
    return ET.fromstring(r.content).findall("d:response", _NS)


def collections(session: requests.Session, home_url: str) -> dict[str, Collection]:
    """The calendars and address books under the principal, by href."""
    found: dict[str, Collection] = {}
    for resp in propfind(session, home_url, _COLLECTIONS):
        href = resp.findtext("d:href", "", _NS)
        rtype = resp.find(".//d:resourcetype", _NS)
        tags = {child.tag.split("}")[-1] for child in (rtype if rtype is not None else [])}
        kind = "calendar" if "calendar" in tags else "addressbook" if "addressbook" in tags else ""
        if not kind:
            continue
        found[href] = Collection(
            href,
            resp.findtext(".//d:displayname", "", _NS),
            kind,
            resp.findtext(".//d:sync-token", "", _NS),
            resp.findtext(".//cs:getctag", "", _NS),
        )
    return found


def members(session: requests.Session, collection_url: str) -> dict[str, str]:
    """href -> ETag of every member of a collection."""
    out: dict[str, str] = {}
    for resp in propfind(session, collection_url, _MEMBERS):
        href = resp.findtext("d:href", "", _NS)
        if href.endswith("/"):
            continue
        out[href] = resp.findtext(".//d:getetag", "", _NS)
    return out
