"""URL extraction from event text and HTML, and unwrapping of redirect wrappers.

Finds http(s)/zoommtg/zoomus URLs in plain text and in HTML (href attributes and text alike), trims
trailing punctuation, and unwraps Microsoft Defender for Office 365 Safe Links, Google redirect
links and the mail-security rewriters of rewriters.py (possibly nested and double-encoded) to the
URL the user actually lands on.

This module must not decide what a URL means (no Zoom or service knowledge) and must not do I/O.
"""

from __future__ import annotations

import html
import re
from urllib.parse import unquote, urlsplit

from bridge.joinlinks import rewriters

# Terminators: whitespace, angle brackets (Outlook plain bodies write "text<https://…>"), quotes
# (HTML attributes), backticks. Anything else may be part of a URL.
URL_RE = re.compile(r"(?:https?|zoommtg|zoomus)://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?*"
_TAG_RE = re.compile(r"<[^>]*>")
_BLOCK_TAG_RE = re.compile(r"<\s*(?:br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", re.IGNORECASE)
_MAX_UNWRAP = 8


def trim_url(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets a URL was written next to."""
    while url:
        last = url[-1]
        if (
            last in _TRAILING
            or last == ")"
            and url.count("(") < url.count(")")
            or last == "]"
            and url.count("[") < url.count("]")
        ):
            url = url[:-1]
        else:
            break
    return url


def find_urls(text: str) -> list[str]:
    """URLs in `text` in order of appearance, as written (not unwrapped), duplicates kept."""
    found: list[str] = []
    for match in URL_RE.finditer(text):
        url = trim_url(match.group(0))
        if "://" in url and not url.endswith("://"):
            found.append(url)
    return found


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: line breaks for block ends, tags dropped, entities decoded."""
    text = _BLOCK_TAG_RE.sub("\n", markup)
    text = _TAG_RE.sub(" ", text)
    return html.unescape(text).replace("\xa0", " ")


def find_urls_in_html(markup: str) -> list[str]:
    """URLs of an HTML body: href targets and visible text, entities (&amp;) decoded."""
    return find_urls(html.unescape(markup))


def _query_param(query: str, key: str) -> str | None:
    # Split by hand: parse_qs would turn '+' into spaces inside the wrapped URL.
    for item in query.split("&"):
        name, sep, value = item.partition("=")
        if sep and name.lower() == key:
            return value
    return None


def _decode_fully(value: str) -> str:
    """Percent-decode once, then again while the result is still an encoded URL."""
    value = unquote(value)
    for _ in range(_MAX_UNWRAP):
        if re.match(r"(?i)^(?:https?|zoommtg|zoomus)%3a", value):
            value = unquote(value)
        else:
            break
    return value


def _is_safelinks_host(host: str) -> bool:
    # Microsoft Learn, "Safe Links in Microsoft Defender for Office 365": rewritten links point at
    # <region>.safelinks.protection.outlook.com (…office365.us in GCC High), target in ?url=.
    return host.endswith(".safelinks.protection.outlook.com") or host.endswith(
        ".safelinks.protection.office365.us"
    )


def _is_google_redirect(host: str, path: str) -> bool:
    return host in ("www.google.com", "google.com") and path == "/url"


def unwrap_once(url: str) -> str | None:
    """The wrapped target of a Safe Links or Google redirect URL, or None if `url` is not one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if _is_safelinks_host(host):
        inner = _query_param(parts.query, "url")
    elif _is_google_redirect(host, parts.path):
        inner = _query_param(parts.query, "q") or _query_param(parts.query, "url")
    else:
        inner = rewriters.unwrap_rewriter(url, parts)  # Proofpoint, Barracuda, Cisco, Sophos
        return inner.strip() if inner and "://" in inner else None
    if not inner:
        return None
    inner = _decode_fully(inner).strip()
    return inner if "://" in inner else None


def unwrap(url: str) -> str:
    """The final target of `url` after peeling every redirect wrapper (bounded, deterministic)."""
    for _ in range(_MAX_UNWRAP):
        inner = unwrap_once(url)
        if inner is None:
            return url
        url = inner
    return url
