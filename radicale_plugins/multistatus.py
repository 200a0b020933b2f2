"""Multistatus answers (RFC 4918 §13) written piece by piece, and sent as a WSGI iterable
(PEP 3333) so that a bulk answer is never held whole in memory.

A `Streamed` answer is a status, headers and an iterator of body pieces; `send` hands it to
the WSGI server in pieces of about `PIECE` bytes (the first smaller), gzip-compressed on the
way (RFC 9110 §8.4.1, at the fastest level, with ISA-L when installed: see `_packer`) when the
client accepts gzip. No Content-Length is sent: HTTP/1.1 servers (waitress) then use
chunked transfer coding, HTTP/1.0 ones close the connection at the end.

The markup is Radicale's own serialisation (ElementTree, DAV: as the default namespace, the
prefixes radicale.xmlutils registers: C, CR, ...): `head` renders the opening of a
multistatus with ElementTree from elements built here (never from Radicale's output), and
`response` / `missing` render one DAV:response each. tests/unit/test_streamed_dav.py
compares the result with Radicale's rendering of the same request.
Imports only radicale.xmlutils (for its namespace registration), isal and the standard library.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http import client
from typing import Any
from xml.sax.saxutils import escape

from radicale import xmlutils

_isal_zlib: Any
try:  # ISA-L's deflate (PyPI: isal); zlib when it is missing
    from isal import isal_zlib as _isal_zlib
except ImportError:  # pragma: no cover - isal is a dependency
    _isal_zlib = None

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
CARDDAV = "{urn:ietf:params:xml:ns:carddav}"
#: Bytes collected before the first piece is handed to the server (the client has data soon) …
FIRST_PIECE = 64 * 1024
#: … and before each later one: fewer pieces cost fewer compressor flushes, chunk headers,
#: writes into waitress's buffer and socket sends (PROPFIND of 2,000 events: 4 instead of 11).
PIECE = 256 * 1024
TRIM_AFTER = 1024 * 1024  # answers this large give their freed memory back (_give_back)
_DECLARATION = b"<?xml version='1.0' encoding='utf-8'?>\n"
_END = b"</multistatus>"
_OK = b"<status>HTTP/1.1 200 OK</status>"
_PROP_OK_END = b"</prop>" + _OK + b"</propstat></response>"
CONTENT_TYPE = "text/xml; charset=utf-8"


@dataclass(frozen=True)
class Streamed:
    """An answer whose body is produced while it is sent."""

    status: int
    headers: dict[str, str]
    body: Iterator[bytes]


def head(*children: ET.Element, using: Iterable[str] = ()) -> bytes:
    """The XML declaration and the opening of a multistatus with `children` in it, exactly
    as ElementTree (and therefore Radicale) writes them. ElementTree declares on the root
    every namespace the tree uses; `using` names further tags (Clark notation) whose
    namespaces the rest of the answer, written later, will use."""
    root = ET.Element(f"{DAV}multistatus")
    root.extend(children)
    markers = [ET.Element(_marker(tag)) for tag in using]
    root.extend(markers)
    written: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)  # not "unicode"
    if markers:  # they were appended last: the answer continues where the first one begins
        prefix = xmlutils.NAMESPACES_REV[markers[0].tag[1:].partition("}")[0]]
        first = f"<{prefix}:" if prefix != "D" else "<"
        written = written[: written.index((first + _MARK).encode())]
    elif written.endswith(b" />"):  # no children: ElementTree closes the element itself
        written = written[:-3] + b">"
    else:
        written = written[: -len(_END)]
    return _DECLARATION + written


_MARK = "davbridge-namespace-marker"


def _marker(tag: str) -> str:
    namespace = tag[1:].partition("}")[0]
    return f"{{{namespace}}}{_MARK}"


def empty() -> bytes:
    """A whole multistatus without responses, as ElementTree writes it."""
    written: bytes = ET.tostring(  # bytes: not "unicode"
        ET.Element(f"{DAV}multistatus"), encoding="utf-8", xml_declaration=False
    )
    return _DECLARATION + written


def end() -> bytes:
    return _END


def text(value: str) -> bytes:
    """XML character data as ElementTree escapes it."""
    if "&" in value or "<" in value or ">" in value:
        return escape(value).encode("utf-8")
    return value.encode("utf-8")


def text_bytes(data: bytes) -> bytes:
    """UTF-8 character data escaped without decoding it, each character replaced only when
    present (calendar text often has a "&" in a URL, rarely "<" or ">")."""
    if b"&" in data:
        data = data.replace(b"&", b"&amp;")
    if b"<" in data:
        data = data.replace(b"<", b"&lt;")
    if b">" in data:
        data = data.replace(b">", b"&gt;")
    return data


def response(href: str, props: Iterable[bytes]) -> bytes:
    """One DAV:response with every property found (200)."""
    return b"".join(
        (b"<response><href>", text(href), b"</href><propstat><prop>", *props, _PROP_OK_END)
    )


def missing(href: str) -> bytes:
    """One DAV:response for a resource that does not exist (404)."""
    return (
        b"<response><href>"
        + text(href)
        + b"</href><status>HTTP/1.1 404 Not Found</status></response>"
    )


def element(name: str, content: bytes) -> bytes:
    """`<name>content</name>` (content already escaped); `name` carries its prefix."""
    tag = name.encode()
    return b"<" + tag + b">" + content + b"</" + tag + b">"


def multistatus(body: Iterator[bytes]) -> Streamed:
    return Streamed(client.MULTI_STATUS, {"Content-Type": CONTENT_TYPE}, body)


def _packer() -> Any:
    """A gzip compressor (RFC 1952) at the fastest level: ISA-L's (python-isal: ~1.5 GB/s here
    and a smaller answer than zlib's level 1 on calendar text) when installed, else zlib's
    level 1 (~0.3 GB/s; zlib's default level costs more than rendering)."""
    if _isal_zlib is not None:
        return _isal_zlib.compressobj(1, _isal_zlib.DEFLATED, 16 + _isal_zlib.MAX_WBITS)
    return zlib.compressobj(1, wbits=16 + zlib.MAX_WBITS)


def _pieces(body: Iterator[bytes], gzip: bool) -> Iterator[bytes]:
    """`body` joined into pieces of about PIECE bytes (the first FIRST_PIECE), gzip-compressed if asked (inline: at
    ISA-L's speed a piece compresses in less time than a hand-off to another thread takes).
    Each compressed piece ends with a sync flush (RFC 1951 §3.2.4: an empty stored block,
    the dictionary kept), so the client can inflate every piece as soon as it arrives."""
    packer = _packer() if gzip else None
    held: list[bytes] = []
    size = total = 0
    limit = FIRST_PIECE
    try:
        for part in body:
            held.append(part)
            size += len(part)
            if size >= limit:
                joined = b"".join(held)
                held, total, size, limit = [], total + size, 0, PIECE
                if packer is None:
                    yield joined
                else:  # a sync flush per piece: ISA-L would otherwise hold ~1 MiB of input
                    yield packer.compress(joined) + packer.flush(zlib.Z_SYNC_FLUSH)
        total += size
        joined = b"".join(held)
        if packer is not None:
            joined = packer.compress(joined) + packer.flush()
        if joined:
            yield joined
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()  # an abandoned answer closes its database statement
        if total >= TRIM_AFTER:
            _give_back()


def _load_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


_TRIM = _load_trim()


_trim_wanted = threading.Event()
_trimmer: list[threading.Thread] = []
_trimmer_lock = threading.Lock()


#: A trim waits until no bulk answer has ended for this long (s): while they keep coming, the
#: next one reuses the memory the last one freed, instead of the process giving it back and
#: faulting it in again (a 2,000-event multiget: ~1,000 page faults and a ~4 ms trim each).
TRIM_QUIET_S = 0.5
#: ... but never later than this after the first answer that asked for it (s).
TRIM_LATEST_S = 5.0


def _trim_loop(trim: Callable[[int], int]) -> None:
    while True:
        _trim_wanted.wait()
        _trim_wanted.clear()
        latest = time.monotonic() + TRIM_LATEST_S
        while time.monotonic() < latest and _trim_wanted.wait(TRIM_QUIET_S):
            _trim_wanted.clear()  # another bulk answer ended meanwhile: wait for a pause
        trim(0)  # ctypes releases the GIL for the call


def _give_back() -> None:
    """Return the memory a bulk answer freed to the system (glibc malloc_trim). Each server
    thread allocates from its own malloc arena, and glibc keeps what a thread freed in its
    arena: without this, RSS grows by one answer's working set per thread that served one
    (bench/memory.py --http: +10 MiB per pass until all eight threads had their turn).
    Only after answers of TRIM_AFTER bytes or more, on a thread of its own (the trim walks
    every arena, ~4 ms with a large mirror, and waitress sends the end of a chunked answer
    only after the body's iterator is closed, so the client would wait for it), and once
    bulk answers pause (TRIM_QUIET_S, at the latest TRIM_LATEST_S after this one)."""
    if _TRIM is None:
        return
    with _trimmer_lock:
        if not _trimmer:
            thread = threading.Thread(
                target=_trim_loop, args=(_TRIM,), name="malloc-trim", daemon=True
            )
            thread.start()
            _trimmer.append(thread)
    _trim_wanted.set()


def send(
    answer: Streamed, environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterator[bytes]:
    """Start the response and return its body as a WSGI iterable."""
    accepted = [e.strip() for e in str(environ.get("HTTP_ACCEPT_ENCODING", "")).split(",")]
    gzip = "gzip" in accepted
    headers = dict(answer.headers)
    if gzip:
        headers["Content-Encoding"] = "gzip"
    start_response(
        f"{answer.status} {client.responses.get(answer.status, '')}", list(headers.items())
    )
    return _pieces(answer.body, gzip)
