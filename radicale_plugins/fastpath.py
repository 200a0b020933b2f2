"""Fast answers for the two bulk requests every client repeats on large calendars:
PROPFIND Depth 1 asking only getetag/getcontenttype/resourcetype, and calendar-multiget
asking only getetag/calendar-data. They are rendered straight from mirror rows, producing the
same multistatus Radicale would (RFC 4918 §9.1, RFC 4791 §7.9) without Radicale's per-item
pipeline (path sanitising, rights and an Item object per resource).

Any other request shape returns None and Radicale answers it. Authorization is checked once
for the collection through the rights plugin's rule. Imports only bridge.api and the stdlib.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from bridge import api

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
_PROPFIND_PROPS = {f"{DAV}getetag", f"{DAV}getcontenttype", f"{DAV}resourcetype"}
_MULTIGET_PROPS = {f"{DAV}getetag", f"{CALDAV}calendar-data"}
_HEAD = "<?xml version='1.0' encoding='utf-8'?>\n"

Response = tuple[int, dict[str, str], bytes, None]


_SAFE_NAME = re.compile(r"^[A-Za-z0-9@._+-]*$")


def _quote(name: str) -> str:
    """URL-quote a resource name; the names the mirror assigns need none."""
    return name if _SAFE_NAME.match(name) else urllib.parse.quote(name)


def _escape_bytes(data: bytes) -> bytes:
    """XML character data; most calendar text needs no escaping at all."""
    if b"&" in data or b"<" in data or b">" in data:
        return data.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")
    return data


def _collection(path: str, user: str) -> Any:
    parts = path.strip("/").split("/")
    if len(parts) != 2 or parts[0] != user or not user:
        return None
    return api.current().collection(user, parts[1])


def _content_type(component: str) -> str:
    """What Radicale reports as getcontenttype for an item of this component."""
    mimetype = "text/vcard" if component == "VCARD" else "text/calendar"
    return f"{mimetype};charset=utf-8;component={component}"


def propfind_items(
    path: str, user: str, root: Any, base_prefix: str, collection_response: Callable[[], Any]
) -> Response | None:
    """Depth 1 PROPFIND of a calendar for etags/content types, or None to decline.
    `root` is the request body's parsed XML (parsed once, safely, by the WSGI guard)."""
    if root is None:
        return None
    props = list(root)
    if root.tag != f"{DAV}propfind" or len(props) != 1 or props[0].tag != f"{DAV}prop":
        return None
    wanted = [p.tag for p in props[0]]
    if not wanted or not set(wanted) <= _PROPFIND_PROPS or any(len(p) for p in props[0]):
        return None
    coll = _collection(path, user)
    if coll is None:
        return None
    status, headers, answer, _ = collection_response()  # Radicale: rights + the collection
    if status != 207:
        return None
    text = answer.decode("utf-8") if isinstance(answer, bytes) else str(answer)
    end = text.rfind("</multistatus>")
    start = text.find("<response>")
    if end < 0 or start < 0:
        return None
    bridge = api.current()
    coll = bridge.fresh(coll)
    prefix = urllib.parse.quote(f"{base_prefix}/{user}/{coll.name}/")
    # Radicale's answer for the collection itself, with its root element and the namespace
    # prefixes it declares (the collection's resourcetype uses them); items follow.
    chunks = [text[:end]]
    for name, etag, component, _text in bridge.item_texts(coll):
        fields = []
        for tag in wanted:
            if tag == f"{DAV}getetag":
                fields.append(f"<getetag>{escape(etag)}</getetag>")
            elif tag == f"{DAV}getcontenttype":
                fields.append(f"<getcontenttype>{_content_type(component)}</getcontenttype>")
            else:
                fields.append("<resourcetype />")
        chunks.append(
            f"<response><href>{prefix}{urllib.parse.quote(name)}</href>"
            f"<propstat><prop>{''.join(fields)}</prop>"
            "<status>HTTP/1.1 200 OK</status></propstat></response>"
        )
    chunks.append("</multistatus>")
    return 207, {"Content-Type": "text/xml; charset=utf-8"}, "".join(chunks).encode(), None


def multiget(
    path: str, user: str, root: Any, base_prefix: str, authorized: Callable[[], bool]
) -> Response | None:
    """calendar-multiget for etags and whole calendar data, or None to decline."""
    if root is None:
        return None
    if root.tag != f"{CALDAV}calendar-multiget":
        return None
    prop = root.find(f"{DAV}prop")
    if prop is None:
        return None
    wanted = [p.tag for p in prop]
    if not wanted or not set(wanted) <= _MULTIGET_PROPS or any(len(p) or p.attrib for p in prop):
        return None
    coll = _collection(path, user)
    if coll is None or not authorized():
        return None
    prefix = f"{base_prefix}/{user}/{coll.name}/"
    names: list[tuple[str, str]] = []
    for href in root.findall(f"{DAV}href"):
        raw = (href.text or "").strip()
        if "://" in raw:  # an absolute URI names the same resource by its path
            raw = urllib.parse.urlsplit(raw).path
        unquoted = urllib.parse.unquote(raw) if "%" in raw else raw
        if not unquoted.startswith(prefix) or "/" in unquoted[len(prefix) :]:
            return None  # hrefs elsewhere: let Radicale answer (and refuse) it
        names.append((raw, unquoted[len(prefix) :]))
    bridge = api.current()
    found: dict[str, tuple[str, bytes]]
    if len(names) > 64:  # most of the calendar: one sequential read beats an IN list
        found = {name: (etag, data) for name, etag, data in bridge.item_blobs(coll)}
    else:
        found = {
            name: (it.etag, it.text.encode("utf-8"))
            for name, it in bridge.items_by_href(coll, [n for _, n in names]).items()
        }
    # Built as bytes: the calendar data is read from SQLite as bytes and never decoded.
    chunks: list[bytes] = []
    quoted_prefix = urllib.parse.quote(prefix)
    for _raw, name in dict.fromkeys(names):
        href = f"{quoted_prefix}{_quote(name)}"
        entry = found.get(name)
        if entry is None:
            chunks.append(
                f"<response><href>{href}</href><status>HTTP/1.1 404 Not Found</status>"
                "</response>".encode()
            )
            continue
        etag, data = entry
        chunks.append(f"<response><href>{href}</href><propstat><prop>".encode())
        for tag in wanted:
            if tag == f"{DAV}getetag":
                chunks.append(f"<getetag>{escape(etag)}</getetag>".encode())
            else:
                chunks += (b"<C:calendar-data>", _escape_bytes(data), b"</C:calendar-data>")
        chunks.append(b"</prop><status>HTTP/1.1 200 OK</status></propstat></response>")
    head = (_HEAD + '<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">').encode()
    body = head + b"".join(chunks) + b"</multistatus>"
    return 207, {"Content-Type": "text/xml; charset=utf-8"}, body, None
