"""Plain words for failures a person reads: network and TLS exceptions from requests, urllib3,
httplib2, exchangelib or the standard library become "could not reach https://host: connection
refused — check the URL and the firewall" instead of their reprs ("MaxRetryError(…
NewConnectionError(<urllib3.connection.HTTPSConnection object at 0x7f…>…").

Only inspects exception types and attributes by duck typing (no import of the HTTP libraries),
so any layer may use it. Must not import anything of the bridge.
"""

from __future__ import annotations

import re
import socket
import ssl
from urllib.parse import urlsplit

_ADDRESS = re.compile(r"<[^<>]*? at 0x[0-9a-fA-F]+>")
_REPR = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\(")


def scrub(text: str) -> str:
    """`text` without object reprs (`<… object at 0x…>`) and exception constructors
    (`SomeError(`): a last safety net for messages built from foreign exceptions."""
    text = _ADDRESS.sub("…", text)
    return _REPR.sub("(", text)


def _chain(error: BaseException) -> list[BaseException]:
    """The error, its causes and contexts, urllib3's `.reason` and exceptions held in args."""
    seen: list[BaseException] = []
    todo: list[object] = [error]
    while todo and len(seen) < 20:
        item = todo.pop(0)
        if not isinstance(item, BaseException) or any(item is s for s in seen):
            continue
        seen.append(item)
        todo.extend([getattr(item, "reason", None), item.__cause__, item.__context__])
        todo.extend(a for a in item.args if isinstance(a, BaseException))
    return seen


def reason(error: BaseException) -> str:
    """What went wrong on the network, in a few words ("connection refused")."""
    chain = _chain(error)
    names = {type(e).__name__ for e in chain}
    text = " ".join(str(e) for e in chain).lower()
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError):
            why = e.verify_message or "not trusted"
            return f"its TLS certificate is not accepted ({why})"
    if isinstance(error, ssl.SSLError) or "ssl" in text and "certificate" in text:
        return "its TLS certificate is not accepted"
    if (
        any(isinstance(e, socket.gaierror) for e in chain)
        or "NameResolutionError" in names
        or ("name or service not known" in text or "failed to resolve" in text)
    ):
        return "the host name does not resolve"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
        return "connection refused"
    if any(isinstance(e, TimeoutError) for e in chain) or "timeout" in text or "timed out" in text:
        return "no answer in time"
    if any(isinstance(e, ConnectionResetError) for e in chain) or "reset" in text:
        return "the connection was reset"
    if "SSLError" in names or "ssl" in text:
        return "the TLS handshake failed"
    for e in chain:
        if isinstance(e, OSError) and e.strerror:
            return e.strerror.lower()
    return "the connection failed"


def origin(url: str) -> str:
    """scheme://host[:port] of `url` (no path, no credentials)."""
    parts = urlsplit(url)
    if not parts.hostname:
        return url
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def unreachable(url: str, error: BaseException) -> str:
    """ "could not reach https://host: connection refused — check the URL and the firewall"."""
    why = reason(error)
    hint = {
        "the host name does not resolve": "check the URL and DNS",
        "no answer in time": "check the URL and the firewall, or try again later",
    }.get(why, "check the URL and the firewall")
    if why.startswith("its TLS certificate"):
        hint = "check the URL, or set the ca_bundle option for a private certificate authority"
    return f"could not reach {origin(url)}: {why} — {hint}"
