"""URL extraction from event text and HTML, and unwrapping of redirect wrappers.

Finds http(s)/zoommtg/zoomus URLs in plain text and in HTML (href attributes and text alike), trims
trailing punctuation, and unwraps Microsoft Defender for Office 365 Safe Links, Google redirect
links and the mail-security rewriters of rewriters.py (possibly nested and double-encoded) to the
URL the user actually lands on.

This module must not decide what a URL means (no Zoom or service knowledge) and must not do I/O.
"""

from __future__ import annotations

import functools
import html
import re
from urllib.parse import unquote, urlsplit

from bridge.joinlinks import rewriters
from bridge.joinlinks.content import CACHED_CHARS

# Terminators: whitespace, angle brackets (Outlook plain bodies write "text<https://…>"), quotes
# (HTML attributes), backticks. Anything else may be part of a URL.
URL_RE = re.compile(r"(?:https?|zoommtg|zoomus)://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?*"
# The start of a line-ending tag; the tag runs to the next ">" (see _replace_tags).
_BLOCK_TAG_HEAD = re.compile(r"<\s*+(?:br|/p|/div|/li|/tr|/h[1-6])\b", re.IGNORECASE)
_MAX_UNWRAP = 8


def trim_url(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets a URL was written next to."""
    opened = {")": url.count("("), "]": url.count("[")}
    closed = {")": url.count(")"), "]": url.count("]")}  # counted once: linear in len(url)
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _TRAILING:
            end -= 1
        elif last in closed and opened[last] < closed[last]:
            closed[last] -= 1
            end -= 1
        else:
            break
    return url[:end]


def find_urls(text: str) -> list[str]:
    """URLs in `text` in order of appearance, as written (not unwrapped), duplicates kept."""
    found: list[str] = []
    for match in URL_RE.finditer(text):
        url = trim_url(match.group(0))
        if "://" in url and not url.endswith("://"):
            found.append(url)
    return found


def _replace_tags(markup: str, block_only: bool) -> str:
    """`markup` with tags ("<" up to the first ">") replaced, in one left-to-right pass.

    block_only: only line-ending tags (<br>, </p> …) become newlines; otherwise every tag
    becomes a space. Same result as the regular expressions `_BLOCK_TAG_RE` / `_TAG_RE` with
    sub(), but linear: a "<" without a later ">" ends the scan instead of being retried.
    """
    out: list[str] = []
    pos = 0
    i = markup.find("<")
    while i >= 0:
        if block_only:
            head = _BLOCK_TAG_HEAD.match(markup, i)
            if head is None:
                i = markup.find("<", i + 1)
                continue
            j = markup.find(">", head.end())
        else:
            j = markup.find(">", i + 1)
        if j < 0:
            break
        out.append(markup[pos:i])
        out.append("\n" if block_only else " ")
        pos = j + 1
        i = markup.find("<", pos)
    out.append(markup[pos:])
    return "".join(out)


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: line breaks for block ends, tags dropped, entities decoded."""
    text = _replace_tags(markup, block_only=True)
    text = _replace_tags(text, block_only=False)
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


# Every wrapper host unwrap_once knows (here and in rewriters.py) as it stands in the
# lower-cased URL: a URL with none of them is no wrapper, and is answered without urlsplit.
WRAPPER_MARKS = (
    "safelinks.protection.",
    "google.com",
    "urldefense",
    "cudasvc.com",
    "secure-web.cisco.com",
    "protection.sophos.com",
)


def unwrap_once(url: str) -> str | None:
    """The wrapped target of a Safe Links or Google redirect URL, or None if `url` is not one."""
    lowered = url.lower()
    if not any(mark in lowered for mark in WRAPPER_MARKS):
        return None
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
    """The final target of `url` after peeling every redirect wrapper (bounded, deterministic;
    cached up to CACHED_CHARS: redaction, detection and classification unwrap the same URLs
    of one item)."""
    return _unwrap_cached(url) if len(url) <= CACHED_CHARS else _unwrap(url)


@functools.lru_cache(maxsize=1024)
def _unwrap_cached(url: str) -> str:
    return _unwrap(url)


def _unwrap(url: str) -> str:
    for _ in range(_MAX_UNWRAP):
        inner = unwrap_once(url)
        if inner is None:
            return url
        url = inner
    return url
