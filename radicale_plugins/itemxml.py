"""One DAV:response per item of the streamed bulk answers (radicale_plugins.fastpath), as
pieces from templates made once per answer, joined once per batch of items by the caller: the
bytes ms.response renders (tests/unit/test_streamed_dav.py compares them with Radicale's),
without its per-property function calls, which were a third of a 2,000-item multiget's time.
Pure functions; imports radicale_plugins.multistatus, the vCard helpers and the stdlib.
"""

from __future__ import annotations

from collections.abc import Callable

from bridge.contacts.vcard4 import to_vcard4
from radicale_plugins import multistatus as ms
from radicale_plugins.multistatus import CALDAV, CARDDAV, DAV

_PREFIXED = {
    f"{CALDAV}calendar-data": "C:calendar-data",
    f"{CARDDAV}address-data": "CR:address-data",
}


def _content_type(component: str) -> bytes:
    """What Radicale reports as getcontenttype for an item of this component."""
    mimetype = "text/vcard" if component == "VCARD" else "text/calendar"
    return f"{mimetype};charset=utf-8;component={component}".encode()


def item_props(wanted: list[str], etag: str, data: bytes, vcard4: bool) -> list[bytes]:
    props = []
    for tag in wanted:
        if tag == f"{DAV}getetag":
            props.append(ms.element("getetag", ms.text(etag)))
        else:
            if vcard4:
                data = to_vcard4(data.decode("utf-8")).encode("utf-8")
            props.append(ms.element(_PREFIXED[tag], ms.text_bytes(data)))
    return props


Pieces = Callable[[str, str, bytes], tuple[bytes, ...]]
#: (href, (etag, data) or None for a resource that does not exist) per item, in order.
Items = list[tuple[str, tuple[str, bytes] | None]]


def pieces(wanted: list[str], vcard4: bool) -> Pieces:
    """(href, etag, data) -> the pieces of one DAV:response, which joined are what
    ms.response(href, item_props(...)) writes; the shapes clients send (ETag and/or whole
    data, not vCard 4) without a join per item, so that a batch of items is joined once.
    `href` must already be XML character data (a URL-quoted path has nothing to escape)."""
    shaped = None if vcard4 else _shaped(wanted, ms.text, ms.text_bytes)
    if shaped is None:
        return lambda href, etag, data: (ms.response(href, item_props(wanted, etag, data, vcard4)),)
    return shaped


def batch(wanted: list[str], vcard4: bool) -> Callable[[Items], bytes]:
    """Items -> their DAV:responses (404 for None), the bytes `pieces` and ms.missing write.
    A batch whose texts hold no "<" or ">" (most calendars: "&" in a join URL at most) and
    whose hrefs and ETags need no escaping is written unescaped and has its "&" escaped in
    one pass over the whole batch (no other "&" is in it), instead of item by item."""
    careful = pieces(wanted, vcard4)
    plain = None if vcard4 else _shaped(wanted, str.encode, _as_is)
    with_data = any(tag != f"{DAV}getetag" for tag in wanted)

    def one_by_one(items: Items) -> bytes:
        parts: list[bytes] = []
        for href, entry in items:
            if entry is None:
                parts.append(ms.missing(href))
            else:
                parts += careful(href, *entry)
        return b"".join(parts)

    def render(items: Items) -> bytes:
        found = [entry for _, entry in items if entry is not None]
        texts = "".join([h for h, _ in items] + [etag for etag, _ in found])
        data = b"".join([d for _, d in found]) if with_data else b""
        if plain is None or b"<" in data or b">" in data or _needs_escaping(texts):
            return one_by_one(items)
        parts: list[bytes] = []
        for href, entry in items:
            if entry is None:
                parts.append(ms.missing(href))
            else:
                parts += plain(href, *entry)
        joined = b"".join(parts)
        return joined.replace(b"&", b"&amp;") if b"&" in data else joined

    return render


def _as_is(data: bytes) -> bytes:
    return data


def _needs_escaping(text: str) -> bool:
    return "&" in text or "<" in text or ">" in text


def _shaped(
    wanted: list[str], text: Callable[[str], bytes], text_bytes: Callable[[bytes], bytes]
) -> Pieces | None:
    """`pieces` for ETag and/or whole data, escaping with `text` / `text_bytes`; None for
    other shapes."""
    if len(wanted) > 2 or len(set(wanted)) != len(wanted):
        return None
    parts = []
    for tag in wanted:
        if tag == f"{DAV}getetag":
            parts.append((b"<getetag>", b"</getetag>", True))
        else:
            name = _PREFIXED[tag].encode()
            parts.append((b"<" + name + b">", b"</" + name + b">", False))
    open1, close1, first_is_etag = parts[0]
    if len(parts) == 1:
        props = _PROPS + open1
        end = close1 + _END_OK

        def one(href: str, etag: str, data: bytes) -> tuple[bytes, ...]:
            value = text(etag) if first_is_etag else text_bytes(data)
            return (_RESPONSE, href.encode(), props, value, end)

        return one
    open2, close2, _ = parts[1]
    props, middle, end = _PROPS + open1, close1 + open2, close2 + _END_OK

    def two(href: str, etag: str, data: bytes) -> tuple[bytes, ...]:
        if first_is_etag:
            return (_RESPONSE, href.encode(), props, text(etag), middle, text_bytes(data), end)
        return (_RESPONSE, href.encode(), props, text_bytes(data), middle, text(etag), end)

    return two


_RESPONSE = b"<response><href>"
_PROPS = b"</href><propstat><prop>"
_END_OK = b"</prop><status>HTTP/1.1 200 OK</status></propstat></response>"
PROP_OK_END = _END_OK.decode()


def propfind_template(wanted: list[str], component: str) -> tuple[str, str]:
    """The properties of an item of `component` in `wanted` order, split where its ETag goes."""
    before: list[str] = []
    after: list[str] = []
    into = before
    for tag in wanted:
        if tag == f"{DAV}getetag":
            before.append("<getetag>")
            after.append("</getetag>")
            into = after
        elif tag == f"{DAV}getcontenttype":
            into.append(ms.element("getcontenttype", _content_type(component)).decode())
        else:
            into.append("<resourcetype />")
    return "".join(before), "".join(after)
