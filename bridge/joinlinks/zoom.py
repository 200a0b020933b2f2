"""Zoom knowledge: join-URL forms, meeting IDs, passcodes, one-tap dial strings, start-link secrets.

Recognises the URL forms Zoom publishes (Zoom Support, "Joining a meeting" / "Using Personal Meeting
ID (PMI) and Personal Link" / "Zoom URL schemes"): hosts zoom.us, zoom.com, zoomgov.com and their
subdomains; paths /j/<id>, /w/<id> (webinar), /my/<vanity> (personal link), /wc/join/<id> and
/wc/<id>/join (web client), /s/<id> (host start link); client schemes zoommtg:// and zoomus://
(`…/join?confno=<id>&pwd=…`). Meeting IDs are 9 to 11 digits.

Host start links (/s/<id>, anything carrying zak=) are secrets that start the meeting as the host:
redact() replaces them with START_LINK_PLACEHOLDER, and they are never join URLs.

This module must not invent data (no passcode guessed from the encrypted pwd= value) and must not
do I/O.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from bridge.joinlinks.content import CACHED_CHARS
from bridge.joinlinks.urls import URL_RE, WRAPPER_MARKS, trim_url, unwrap

START_LINK_PLACEHOLDER = "[Zoom host start link removed]"

ZOOM_DOMAINS = ("zoom.us", "zoom.com", "zoomgov.com")
_ID = r"\d{9,11}"
_KEEP_QUERY = ("pwd", "tk")  # pwd: embedded passcode; tk: registrant token (needed to join)
# Linear time over untrusted text (issue 9): possessive quantifiers (Python 3.11) where two
# quantifiers could share the same run of characters ("ID" + a megabyte of spaces).
_MEETING_ID_TEXT = re.compile(
    r"(?:Meeting|Webinar)\s++ID\s*+(?:[:#]\s*+)?(\d{3}[ \u00a0-]?\d{3,4}[ \u00a0-]?\d{2,4})(?!\d)",
    re.IGNORECASE,
)
_PASSCODE_TEXT = re.compile(
    r"(?:Meeting\s+passcode|Meeting\s+password|Passcode|Password)\s*[:=]\s*([A-Za-z0-9@*_.\-]{1,32})",
    re.IGNORECASE,
)
# Zoom invitations: "One tap mobile\n+16465588656,,85512345678#,,,,*123456# US (New York)"
_ONE_TAP = re.compile(r"\+\d{7,15},,(\d{9,11})#(?:,+[*0-9]+#)*")
# A whole token (a run between whitespace, angle brackets, quotes, backticks) holding "zak=".
# Tried only at token starts (the lookbehind), scanning each token once: linear time, where
# the unanchored form backtracked quadratically over long unbroken strings.
_SECRET_TOKEN = re.compile(r"(?<![^\s<>\"'`])[^\s<>\"'`]*?zak(?:=|%3d)[^\s<>\"'`]*+", re.IGNORECASE)


@dataclass(frozen=True)
class ZoomLink:
    """A recognised Zoom URL. `join_url` is None for start links (kind "start")."""

    kind: str  # join | webinar | personal | start
    host: str
    meeting_id: str | None
    join_url: str | None


def is_zoom_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in ZOOM_DOMAINS)


def _kept_query(query: str) -> str:
    kept = [item for item in query.split("&") if item.partition("=")[0].lower() in _KEEP_QUERY]
    return ("?" + "&".join(kept)) if kept else ""


def _query_value(query: str, key: str) -> str | None:
    for item in query.split("&"):
        name, sep, value = item.partition("=")
        if sep and name.lower() == key:
            return unquote(value)
    return None


def parse_zoom_url(url: str) -> ZoomLink | None:
    """Recognise a (possibly wrapped) Zoom meeting URL; None for anything else (look-alikes too).
    Cached (up to CACHED_CHARS): redaction and detection look at the same URLs of one item."""
    return _parse_zoom_cached(url) if len(url) <= CACHED_CHARS else _parse_zoom_url(url)


@functools.lru_cache(maxsize=1024)
def _parse_zoom_cached(url: str) -> ZoomLink | None:
    return _parse_zoom_url(url)


def _parse_zoom_url(url: str) -> ZoomLink | None:
    url = unwrap(url)
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if not is_zoom_host(host):
        return None
    scheme = parts.scheme.lower()
    if scheme in ("zoommtg", "zoomus"):
        return _parse_client_url(host, parts.path, parts.query)
    if scheme not in ("http", "https"):
        return None
    path = parts.path
    if "zak=" in parts.query.lower() or re.fullmatch(r"/s/\d+/?", path):
        sid = re.fullmatch(r"/s/(\d+)/?", path)
        return ZoomLink("start", host, sid.group(1) if sid else None, None)
    query = _kept_query(parts.query)
    for pattern, kind, prefix in (
        (rf"/j/({_ID})/?", "join", "j"),
        (rf"/w/({_ID})/?", "webinar", "w"),
        (rf"/wc/join/({_ID})/?", "join", "j"),
        (rf"/wc/({_ID})/join/?", "join", "j"),
    ):
        m = re.fullmatch(pattern, path)
        if m:
            mid = m.group(1)
            return ZoomLink(kind, host, mid, f"https://{host}/{prefix}/{mid}{query}")
    m = re.fullmatch(r"/my/([A-Za-z0-9._\-]+)/?", path)
    if m:
        return ZoomLink("personal", host, None, f"https://{host}/my/{m.group(1)}{query}")
    return None


def _parse_client_url(host: str, path: str, query: str) -> ZoomLink | None:
    # Zoom Developer docs, "Zoom URL schemes": zoommtg://zoom.us/join?confno=<id>&pwd=<pwd>
    action = path.strip("/").lower()
    confno = _query_value(query, "confno")
    if action == "start" or _query_value(query, "zak") is not None:
        return ZoomLink(
            "start", host, confno if confno and re.fullmatch(_ID, confno) else None, None
        )
    if action != "join" or not confno or not re.fullmatch(_ID, confno):
        return None
    pwd = [i for i in query.split("&") if i.partition("=")[0].lower() == "pwd" and "=" in i]
    suffix = ("?" + pwd[0]) if pwd else ""
    return ZoomLink("join", host, confno, f"https://{host}/j/{confno}{suffix}")


def is_secret_url(url: str) -> bool:
    """True for host start links and anything carrying a zak token, wrapped or not."""
    lowered = url.lower()
    if "zak=" in lowered or "zak%3d" in lowered or "zak%253d" in lowered:
        return True
    link = parse_zoom_url(url)
    return link is not None and link.kind == "start"


def may_hold_secret(text: str) -> bool:
    """False when redact() surely leaves `text` as it is: a secret holds "zak" (a zak token,
    plain or percent-encoded) or is a start link on a Zoom host, whose name is in the text
    ("zoom": zoom.us, zoom.com, zoomgov.com, zoommtg://, zoomus://) unless a redirect wrapper
    hides it, and unwrap() peels only wrappers whose mark (urls.WRAPPER_MARKS) is in the text.
    One look at the text instead of the URL patterns (most lines of most events)."""
    lowered = text.lower()
    return "zak" in lowered or "zoom" in lowered or any(m in lowered for m in WRAPPER_MARKS)


def redact(text: str) -> str:
    """`text` with every host start link replaced by START_LINK_PLACEHOLDER. Idempotent."""
    if not may_hold_secret(text):
        return text

    def replace(match: re.Match[str]) -> str:
        whole = match.group(0)
        url = trim_url(whole)
        if is_secret_url(url):
            return START_LINK_PLACEHOLDER + whole[len(url) :]
        return whole

    if "://" in text:  # URL_RE needs it
        text = URL_RE.sub(replace, text)
    if "zak" not in text.lower():  # _SECRET_TOKEN needs it (the placeholder holds none)
        return text
    # Catch-all for zak tokens outside a recognisable URL (schemeless "zoom.us/s/…?zak=…").
    return _SECRET_TOKEN.sub(START_LINK_PLACEHOLDER, text)


def has_secret(text: str) -> bool:
    """Whether redact() would change `text`. Both of its patterns need "://" (URL_RE) or "zak"
    (_SECRET_TOKEN), so text with neither is answered without running them (most lines)."""
    if "://" not in text and "zak" not in text.lower():
        return False
    return redact(text) != text


def meeting_id_from_text(text: str) -> str | None:
    """First "Meeting ID: 855 1234 5678" (or Webinar ID) of 9–11 digits, as digits only."""
    for match in _MEETING_ID_TEXT.finditer(text):
        digits = re.sub(r"\D", "", match.group(1))
        if 9 <= len(digits) <= 11:
            return digits
    return None


def passcode_from_text(text: str) -> str | None:
    """First plausible "Passcode: …" / "Password: …" / "Meeting password: …" value."""
    for match in _PASSCODE_TEXT.finditer(text):
        value = match.group(1).rstrip(".")
        # Zoom-generated passcodes contain a digit or mixed case; this skips "Password: see below".
        if re.search(r"\d", value) or (value.lower() != value and value.upper() != value):
            return value
    return None


def one_taps(text: str, meeting_id: str | None) -> list[str]:
    """One-tap dial strings as tel: URIs, in order, no duplicates; only `meeting_id`'s if known."""
    found: list[str] = []
    for match in _ONE_TAP.finditer(text):
        if meeting_id and match.group(1) != meeting_id:
            continue
        uri = "tel:" + match.group(0)
        if uri not in found:
            found.append(uri)
    return found


def group_meeting_id(meeting_id: str) -> str:
    """A meeting ID grouped the way Zoom prints it: 855 1234 5678, 123 456 7890, 123 456 789."""
    if len(meeting_id) == 11:
        return f"{meeting_id[:3]} {meeting_id[3:7]} {meeting_id[7:]}"
    if len(meeting_id) in (9, 10):
        return f"{meeting_id[:3]} {meeting_id[3:6]} {meeting_id[6:]}"
    return meeting_id
