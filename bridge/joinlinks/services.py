"""Video-meeting services other than Zoom: which URL belongs to which service, and its label.

Each service is recognised by exact host (or subdomain of an exact domain) plus a path shape, so
look-alike hosts (teams.microsoft.com.evil.example) and non-meeting pages (webex.com/pricing) do
not count. `classify()` returns the service and the normalised join URL.

This module must not know about Zoom (see zoom.py) and must not do I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bridge.joinlinks.urls import unwrap


@dataclass(frozen=True)
class Service:
    key: str  # machine-readable name, used in X-DAVBRIDGE-CONFERENCE
    label: str  # human label, used in CONFERENCE;LABEL=


ZOOM = Service("zoom", "Zoom")
TEAMS = Service("teams", "Microsoft Teams")
MEET = Service("google-meet", "Google Meet")
WEBEX = Service("webex", "Webex")
GOTO = Service("goto-meeting", "GoTo Meeting")
SKYPE_BUSINESS = Service("skype-for-business", "Skype for Business")
SKYPE = Service("skype", "Skype")
BLUEJEANS = Service("bluejeans", "BlueJeans")
JITSI = Service("jitsi", "Jitsi Meet")
WHEREBY = Service("whereby", "Whereby")
CHIME = Service("amazon-chime", "Amazon Chime")

ALL_SERVICES = (
    ZOOM,
    TEAMS,
    MEET,
    WEBEX,
    GOTO,
    SKYPE_BUSINESS,
    SKYPE,
    BLUEJEANS,
    JITSI,
    WHEREBY,
    CHIME,
)
BY_KEY = {service.key: service for service in ALL_SERVICES}

_WHEREBY_PAGES = frozenset(
    {"user", "information", "pricing", "blog", "login", "signup", "org", "download", "careers"}
)


def _on(host: str, *domains: str) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def _teams(host: str, path: str) -> bool:
    # Microsoft Learn, "Create an online meeting" / onlineMeeting joinWebUrl: /l/meetup-join/…;
    # the newer short form is /meet/<id>?p=<passcode>; consumer Teams uses teams.live.com/meet/<id>.
    if not (host in ("teams.microsoft.com", "teams.live.com") or _on(host, "teams.microsoft.us")):
        return False
    return path.startswith("/l/meetup-join/") or re.match(r"/meet/\d+", path) is not None


def _meet(host: str, path: str) -> bool:
    # Google Workspace Admin Help, "Meet codes": abc-defg-hij; lookup/<name> for nicknames.
    return host == "meet.google.com" and (
        re.fullmatch(r"/[a-z]{3}-[a-z]{4}-[a-z]{3}/?", path) is not None
        or path.startswith("/lookup/")
    )


def _webex(host: str, path: str) -> bool:
    if not _on(host, "webex.com"):
        return False
    return (
        re.match(r"/(?:meet|join)/[^/]+", path) is not None
        or re.search(r"/j\.php$", path) is not None
        or re.match(r"/[^/]+/j\.php$", path) is not None
        or path.startswith("/wbxmjs/joinservice/")
        or re.search(r"/meeting/[0-9a-f]{16,}", path) is not None
    )


def _goto(host: str, path: str) -> bool:
    if host in ("global.gotomeeting.com", "www.gotomeeting.com", "gotomeeting.com"):
        return re.match(r"/join/\d+", path) is not None
    if host == "meet.goto.com":
        return re.fullmatch(r"/[A-Za-z0-9\-]+/?", path) is not None
    if host == "app.goto.com":
        return re.match(r"/meeting/\d+", path) is not None
    if host == "gotomeet.me":
        return re.fullmatch(r"/[A-Za-z0-9\-]+/?", path) is not None
    return False


def _skype_business(host: str, path: str) -> bool:
    # Skype for Business Online meeting links: https://meet.lync.com/<tenant>/<user>/<conference>
    return _on(host, "lync.com") and re.match(r"/[^/]+/[^/]+", path) is not None


def _skype(host: str, path: str) -> bool:
    return host == "join.skype.com" and re.fullmatch(r"/[A-Za-z0-9]+/?", path) is not None


def _bluejeans(host: str, path: str) -> bool:
    return _on(host, "bluejeans.com") and re.match(r"/\d{6,}", path) is not None


def _jitsi(host: str, path: str) -> bool:
    return host == "meet.jit.si" and re.fullmatch(r"/[^/]+/?", path) is not None


def _whereby(host: str, path: str) -> bool:
    m = re.fullmatch(r"/([A-Za-z0-9_\-]+)/?", path)
    return host == "whereby.com" and m is not None and m.group(1).lower() not in _WHEREBY_PAGES


def _chime(host: str, path: str) -> bool:
    if host == "chime.aws":
        return re.fullmatch(r"/\d{10}/?", path) is not None
    return host == "app.chime.aws" and path.startswith("/meetings/")


_RULES: tuple[tuple[Service, Callable[[str, str], bool], bool], ...] = (
    # (service, matcher, keep query string in the normalised URL)
    (TEAMS, _teams, True),
    (MEET, _meet, False),
    (WEBEX, _webex, True),
    (GOTO, _goto, False),
    (SKYPE_BUSINESS, _skype_business, True),
    (SKYPE, _skype, False),
    (BLUEJEANS, _bluejeans, True),
    (JITSI, _jitsi, False),
    (WHEREBY, _whereby, False),
    (CHIME, _chime, False),
)


def classify(url: str) -> tuple[Service, str] | None:
    """The non-Zoom service of a (possibly wrapped) join URL and the URL normalised, or None."""
    url = unwrap(url)
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or parts.username or parts.password:
        return None
    for service, matches, keep_query in _RULES:
        if matches(host, parts.path):
            query = f"?{parts.query}" if keep_query and parts.query else ""
            return service, f"https://{host}{parts.path}{query}"
    return None


def service_for_label(label: str | None) -> Service | None:
    """A service named in a provider's CONFERENCE LABEL ("Zoom Meeting", "Microsoft Teams" …)."""
    if not label:
        return None
    lowered = label.lower()
    for service in ALL_SERVICES:
        if service.label.lower() in lowered or service.key in lowered:
            return service
    return None
