"""Request paths and hrefs as davbridge accepts them (issue 9 point 5).

A URI path is percent-decoded to bytes and those bytes must be UTF-8 (RFC 3986 §2.5, RFC 3987
§3.2); overlong forms such as %C0%AE are not UTF-8 (RFC 3629 §3) and are refused, so are
dot segments ("." and "..", written plainly or encoded: RFC 3986 §5.2.4 says clients remove
them before sending, so one that arrives is an attempt to climb) and control characters
(C0, DEL, C1: no client names a calendar object with them, and they break logs and XML).

WSGI servers hand PATH_INFO over already decoded, each byte as one latin-1 character
(PEP 3333); `path_info` turns it back into the UTF-8 text that Radicale's own server gives it
(`radicale.server` decodes with UTF-8), so a name such as "ä-x.ics" is stored, listed and read
back under the same href byte for byte.

`member_names` reads a multiget's hrefs as names in one collection; `quoted` / `quote_path`
write names and paths into answers as urllib.parse.quote (and so Radicale's
xmlutils.make_href) does. Both look at a batch of hrefs or names at once first.

Pure functions, no I/O; imports only the standard library.
"""

from __future__ import annotations

import itertools
import re
import urllib.parse
from dataclasses import dataclass

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_PRINTABLE_NOT_PERCENT = bytes(c for c in range(0x20, 0x7F) if c != ord("%"))
_DOT_SEGMENT = re.compile(r"(?:\A|/)\.\.?(?:/|\Z)")  # a "." or ".." between slashes or ends


@dataclass(frozen=True)
class BadHref(Exception):
    """What is wrong with a path or href, in words a client author understands."""

    href: str
    reason: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.href!r}"


def _check_segments(text: str, shown: str) -> str:
    if _CONTROL.search(text):
        raise BadHref(shown, "The path contains a control character")
    if ("/." in text or text.startswith(".")) and _DOT_SEGMENT.search(text):
        raise BadHref(shown, "The path contains a dot segment ('.' or '..')")
    return text


def decode_bytes(raw: bytes, shown: str) -> str:
    """Percent-decoded path bytes as text; BadHref unless valid UTF-8 without dot segments
    or control characters."""
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise BadHref(shown, "The path is not UTF-8 after percent-decoding") from None
    return _check_segments(text, shown)


def path_info(environ_path: str) -> str:
    """PATH_INFO from a PEP 3333 server (bytes as latin-1 characters) as UTF-8 text."""
    try:
        raw = environ_path.encode("latin-1")
    except UnicodeEncodeError:  # a server that already decoded it as text
        return _check_segments(environ_path, environ_path)
    return decode_bytes(raw, environ_path)


def decode_href(href: str) -> str:
    """The path of a DAV:href (absolute path or full URI) percent-decoded; BadHref otherwise."""
    path = urllib.parse.urlsplit(href).path if "://" in href else href
    if not path.startswith("/"):
        raise BadHref(href, "The href is not an absolute path")
    if "%" not in path:  # nothing to decode (a multiget's hrefs mostly): text stays text
        return _check_segments(path, href)
    return decode_bytes(urllib.parse.unquote_to_bytes(path), href)


def all_plain_paths(texts: list[str]) -> bool:
    """True when every text is a non-empty absolute path that `decode_href` returns as it is
    (no scheme and host, nothing percent-encoded, no control character, no dot segment):
    what a client's multiget of its own listing sends, checked over all texts at once.
    False means "look at each one"."""
    if not all(texts) or [t for t in texts if t[0] != "/"]:
        return False
    joined = " ".join(texts)  # a space is neither a control character nor in "/."
    if not joined.isascii():  # known without a scan (CPython keeps ASCII text apart)
        return False
    data = joined.encode("ascii")
    if data.translate(None, _PRINTABLE_NOT_PERCENT):  # a control character or a "%" is left
        return False
    return b"/." not in data and (b":" not in data or b"://" not in data)


def member_names(texts: list[str], collection: str) -> list[tuple[str, str]] | None:
    """(href as sent, resource name) per href of a multiget, in order; None when one names
    something outside `collection` (its path, unquoted, ending in "/")."""
    start = len(collection)
    joined = " ".join(texts)
    if "%" not in joined and ("://" not in joined if ":" in joined else True):
        # paths as they stand (a multiget of the collection's listing): checked all at once
        if not all(map(str.startswith, texts, itertools.repeat(collection))):
            return None
        names = [t[start:] for t in texts]
        return None if "/" in " ".join(names) else list(zip(texts, names, strict=True))
    found: list[tuple[str, str]] = []
    for raw in texts:
        if "://" in raw:  # an absolute URI names the same resource by its path
            raw = urllib.parse.urlsplit(raw).path
        unquoted = urllib.parse.unquote(raw) if "%" in raw else raw
        if not unquoted.startswith(collection) or "/" in unquoted[start:]:
            return None
        found.append((raw, unquoted[start:]))
    return found


def foreign_host(href: str, host: str) -> bool:
    """True when `href` is a full URI naming another server than `host` (the request's Host)."""
    if "://" not in href:
        return False
    parts = urllib.parse.urlsplit(href)
    return parts.scheme.lower() not in ("http", "https") or parts.netloc.lower() != host.lower()


#: What urllib.parse.quote leaves as it is (RFC 3986 unreserved characters and "/").
_URL_SAFE = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~/-"
#: Resource names the mirror makes from provider UIDs ("…@google.com") quote "@" and "+" only.
_URL_SAFE_BUT_AT_PLUS = _URL_SAFE + b"@+"


def _only(text: str, allowed: bytes) -> bool:
    return text.isascii() and not text.encode("ascii").translate(None, allowed)


def quote_path(path: str) -> str:
    """urllib.parse.quote(path), without its per-call work when nothing needs quoting."""
    return path if _only(path, _URL_SAFE) else urllib.parse.quote(path)


def quoted(names: list[str]) -> list[str]:
    """[urllib.parse.quote(n) for n in names], looking at all of them at once first (a batch
    of a listing's names mostly needs no quoting, or only of "@" and "+")."""
    joined = "".join(names)
    if _only(joined, _URL_SAFE):
        return names
    if _only(joined, _URL_SAFE_BUT_AT_PLUS):
        return [n.replace("@", "%40").replace("+", "%2B") for n in names]
    return [quote_path(n) for n in names]
