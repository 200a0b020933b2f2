"""Mail-security URL rewriters other than Safe Links: the target a rewritten link leads to.

Mail gateways rewrite every link of a message — and so of a meeting invitation's body — to pass
through their scanner. Before detection the target must be recovered, else the Zoom link is not
seen. Handled here (Safe Links and Google's /url redirect live in urls.py):

- Proofpoint URL Defense v1 `https://urldefense.proofpoint.com/v1/url?u=<percent-encoded>&k=…`,
  v2 `…/v2/url?u=<URL with '%' written '-' and '/' written '_'>&d=…&c=…`, and v3
  `https://urldefense.com/v3/__<URL>__;<base64>!!<tenant>!<signature>$`, where each '*' in <URL>
  stands for the next character of the URL-safe base64 <…> and '**' plus one letter of
  A-Z a-z 0-9 - _ for a run of 2..65 of them (Proofpoint's published decoder,
  URLDefenseDecode.py 3.0.1, help.proofpoint.com; example in Proofpoint TAP's documentation).
- Barracuda Link Protection `https://linkprotect.cudasvc.com/url?a=<percent-encoded>&c=…`.
- Cisco Secure Email URL rewriting `https://secure-web.cisco.com/<token>/<percent-encoded URL>`.
- Sophos Email Time-of-Click `https://<region>.protection.sophos.com?d=<domain>&u=<base64 URL>…`.
- Mimecast URL Protect, `https://url.<grid>.(m|a).mimecastprotect.com/s/<token>?domain=<domain>`
  (the domains since February 2024, Mimecast's "Targeted Threat Protection - Domain Update")
  and the older `https://protect-<region>.mimecast.com/s/<token>?domain=<domain>` (also written
  `/s<token>`): the link does NOT contain its target. Mimecast keeps it server-side; only a
  request to Mimecast reveals it (their "Verifying a URL" guide: open the link with "+"
  appended, from an enrolled device, or "Check & Decode URLs" in the administration console),
  so it cannot be resolved offline and davbridge makes no such request. The `domain=` parameter
  (present when the administrator enables "Display URL Destination Domain") is the target's
  domain: `wrapped_domain()` returns it, so that a caller can tell a Zoom link from another.

Every function is a single left-to-right pass over its input (no backtracking regex).
This module must not decide what a URL means and must not do I/O.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import SplitResult, unquote

_V3_PREFIX = "https://urldefense.com/v3/__"
_RUN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_RUN = {letter: length for length, letter in enumerate(_RUN_LETTERS, start=2)}


def _param(query: str, key: str) -> str | None:
    for item in query.split("&"):
        name, sep, value = item.partition("=")
        if sep and name.lower() == key:
            return value
    return None


def proofpoint_v3(url: str) -> str | None:
    """The target of a URL Defense v3 link, or None when `url` is not a well-formed one."""
    if url[: len(_V3_PREFIX)].lower() != _V3_PREFIX:
        return None
    rest = url[len(_V3_PREFIX) :]
    end = rest.find("__;")
    if end < 0:
        return None
    body, tail = rest[:end], rest[end + 3 :]
    bang = tail.find("!")
    encoded = tail if bang < 0 else tail[:bang]
    try:
        chars = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    out: list[str] = []
    used = 0
    i = 0
    while i < len(body):
        char = body[i]
        if char != "*":
            out.append(char)
            i += 1
            continue
        if i + 2 < len(body) and body[i + 1] == "*" and body[i + 2] in _RUN:
            length = _RUN[body[i + 2]]
            i += 3
        else:
            length = 1
            i += 1
        if used + length > len(chars):
            return None
        out.append(chars[used : used + length])
        used += length
    return "".join(out)


def proofpoint_v1_v2(parts: SplitResult, host: str) -> str | None:
    if host != "urldefense.proofpoint.com":
        return None
    inner = _param(parts.query, "u")
    if inner is None:
        return None
    if parts.path.startswith("/v2/"):
        inner = inner.replace("-", "%").replace("_", "/")
    elif not parts.path.startswith("/v1/"):
        return None
    return unquote(inner)


def barracuda(parts: SplitResult, host: str) -> str | None:
    if host != "linkprotect.cudasvc.com" or parts.path != "/url":
        return None
    inner = _param(parts.query, "a")
    return unquote(inner) if inner else None


def cisco(parts: SplitResult, host: str) -> str | None:
    if host != "secure-web.cisco.com":
        return None
    # /<token>/<percent-encoded URL>: the target is everything after the second slash
    path = parts.path[1:]
    slash = path.find("/")
    if slash < 0:
        return None
    target = path[slash + 1 :]
    if parts.query:
        target += "?" + parts.query
    return unquote(target)


def sophos(parts: SplitResult, host: str) -> str | None:
    if not host.endswith(".protection.sophos.com"):
        return None
    inner = _param(parts.query, "u")
    if not inner:
        return None
    inner = unquote(inner)
    try:
        return base64.b64decode(inner + "=" * (-len(inner) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def unwrap_rewriter(url: str, parts: SplitResult) -> str | None:
    """The target of a rewritten link (see the module docstring), or None."""
    host = (parts.hostname or "").lower()
    if host == "urldefense.com":
        return proofpoint_v3(url)
    for decoder in (proofpoint_v1_v2, barracuda, cisco, sophos):
        found = decoder(parts, host)
        if found is not None:
            return found
    return None


def is_mimecast(host: str) -> bool:
    return (host.startswith("protect-") and host.endswith(".mimecast.com")) or host.endswith(
        ".mimecastprotect.com"
    )


def wrapped_domain(parts: SplitResult) -> str | None:
    """The target's domain of a link whose target the rewriter keeps to itself (Mimecast)."""
    host = (parts.hostname or "").lower()
    if is_mimecast(host) and parts.path.startswith("/s"):
        domain = _param(parts.query, "domain")
        return unquote(domain).strip().lower() if domain else None
    return None
