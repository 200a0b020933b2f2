"""Detection of conferencing details in one VEVENT: services, Zoom join URL, ID, passcode, dial-ins.

Sources are read in priority order: CONFERENCE properties (structured data from the provider
mapping), URL, LOCATION, DESCRIPTION, X-ALT-DESC (HTML). The first Zoom join URL wins; other
services are recorded once each, first URL wins. Every source is redacted first (host start
links replaced by the placeholder), so detection never depends on a secret and gives the same
answer before and after strip(): an event whose only Zoom trace is a removed start link is still
a Zoom meeting, but without join URL or ID.

A Zoom link behind Mimecast URL Protect (whose target only Mimecast knows, rewriters.py) makes
the event a Zoom meeting when the link names a Zoom domain; its join URL is then rebuilt from the
text's "Meeting ID" in Zoom's documented /j/<id> form, or left out when there is none.

Structured data understood on CONFERENCE: FEATURE (VIDEO/PHONE …), LABEL, and a passcode in the
X-PASSCODE or X-PASSWORD parameter; X-CONFERENCE-ID gives the Zoom meeting ID when the structured
video conference is Zoom.

This module must not build iCalendar output (see enrich.py) and must not do I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import icalendar

from bridge.joinlinks import zoom
from bridge.joinlinks.content import ContentLine, direct_properties, parse_line, unfold
from bridge.joinlinks.rewriters import wrapped_domain
from bridge.joinlinks.services import ZOOM, Service, classify, service_for_label
from bridge.joinlinks.urls import find_urls, find_urls_in_html, html_to_text


@dataclass(frozen=True)
class StructuredConference:
    """A CONFERENCE property as the provider mapping emitted it."""

    uri: str
    features: tuple[str, ...] = ()
    label: str | None = None
    passcode: str | None = None

    @property
    def is_phone(self) -> bool:
        return "PHONE" in self.features or self.uri.lower().startswith("tel:")


@dataclass(frozen=True)
class Organizer:
    address: str  # the ORGANIZER value as written, e.g. mailto:alex@contoso.example
    cn: str | None = None

    @property
    def email(self) -> str:
        address = self.address.strip()
        return address[7:] if address.lower().startswith("mailto:") else address


@dataclass(frozen=True)
class EventSources:
    """The parts of a VEVENT detection reads, as user-visible text (TEXT values unescaped)."""

    conferences: tuple[StructuredConference, ...] = ()
    url: str | None = None
    location: str | None = None
    description: str | None = None
    alt_desc: str | None = None  # HTML
    organizer: Organizer | None = None
    conference_id: str | None = None


@dataclass(frozen=True)
class Conference:
    """One detected video meeting. `structured` is True when the provider already emitted it."""

    service: Service
    uri: str
    source: str  # CONFERENCE | URL | LOCATION | DESCRIPTION | X-ALT-DESC
    structured: bool


@dataclass(frozen=True)
class ZoomMeeting:
    join_url: str | None
    meeting_id: str | None
    passcode: str | None
    dial: tuple[str, ...]  # tel: URIs
    start_link_removed: bool


@dataclass(frozen=True)
class Detection:
    conferences: tuple[Conference, ...]  # one per service, in source-priority order
    zoom: ZoomMeeting | None
    organizer: Organizer | None
    structured_phones: tuple[str, ...]  # tel: URIs of provider-emitted PHONE conferences
    # further Zoom meetings the event names (e.g. LOCATION one meeting, the body another), each
    # with its own ID, passcode and dial-ins; `zoom` is the primary one
    other_zoom: tuple[ZoomMeeting, ...] = ()

    @property
    def is_zoom(self) -> bool:
        return self.zoom is not None

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(c.service.key for c in self.conferences)

    @property
    def primary_join_url(self) -> str | None:
        """Zoom first (C3), else the first detected service's URL."""
        if self.zoom is not None and self.zoom.join_url:
            return self.zoom.join_url
        return self.conferences[0].uri if self.conferences else None

    def hosted_by(self, account_emails: Iterable[str]) -> bool:
        """True when the organizer's address is one of `account_emails` (case-insensitive)."""
        if self.organizer is None:
            return False
        mine = {e.strip().casefold() for e in account_emails}
        return self.organizer.email.casefold() in mine


NO_DETECTION = Detection((), None, None, ())


def _redacted(text: str | None) -> str | None:
    return zoom.redact(text) if text else text


def normalise_tel(uri: str) -> str:
    """A tel: URI without visual separators, for duplicate checks only."""
    return re.sub(r"[\s\-.()]", "", uri).lower()


def detect_sources(src: EventSources) -> Detection:
    """Detection over already-extracted sources (see EventSources)."""
    confs = tuple(
        StructuredConference(_redacted(c.uri) or "", c.features, c.label, c.passcode)
        for c in src.conferences
    )
    url = _redacted(src.url)
    location = _redacted(src.location)
    description = _redacted(src.description)
    alt_desc = _redacted(src.alt_desc)
    alt_text = html_to_text(alt_desc) if alt_desc else None

    candidates: list[tuple[str, str, StructuredConference | None]] = []
    for structured in confs:
        if not structured.is_phone:
            candidates.append(("CONFERENCE", structured.uri, structured))
    if url:
        candidates += [("URL", u, None) for u in find_urls(url) or [url.strip()]]
    for name, text in (("LOCATION", location), ("DESCRIPTION", description)):
        if text:
            candidates += [(name, u, None) for u in find_urls(text)]
    if alt_desc:
        candidates += [("X-ALT-DESC", u, None) for u in find_urls_in_html(alt_desc)]

    zoom_link: zoom.ZoomLink | None = None
    zoom_conf: StructuredConference | None = None
    zoom_source = ""
    found: dict[str, Conference] = {}
    others: dict[str, zoom.ZoomLink] = {}
    hidden: tuple[str, str] | None = None  # (source, Zoom host) of a Mimecast-protected link
    for source, candidate, conf in candidates:
        link = zoom.parse_zoom_url(candidate)
        if link is None and hidden is None:
            host = _hidden_zoom_host(candidate)
            hidden = (source, host) if host else None
        if link is not None:
            if zoom_link is None and link.join_url:
                zoom_link, zoom_conf, zoom_source = link, conf, source
            elif zoom_link is not None and link.join_url and _key(link) != _key(zoom_link):
                others.setdefault(_key(link), link)
            continue
        classified = classify(candidate)
        if classified and classified[0].key not in found:
            service, uri = classified
            found[service.key] = Conference(service, uri, source, conf is not None)

    texts = [t for t in (location, description, alt_text) if t]
    if zoom_link is None and hidden is not None:
        zoom_source, zoom_link = hidden[0], _behind_mimecast(hidden[1], texts)
    start_removed = any(zoom.START_LINK_PLACEHOLDER in t for t in (*texts, url or ""))
    structured_video = [c for c in confs if not c.is_phone]
    first_structured_zoom = bool(structured_video) and (
        zoom.parse_zoom_url(structured_video[0].uri) is not None
        or service_for_label(structured_video[0].label) == ZOOM
    )
    phones = tuple(c.uri for c in confs if c.is_phone)

    meeting: ZoomMeeting | None = None
    other_meetings: list[ZoomMeeting] = []
    if zoom_link is not None or start_removed:
        # with several Zoom meetings, each reads its details only from the text about it
        parts = _segments(texts, [zoom_link, *others.values()]) if others else {}
        own = parts.get(_key(zoom_link), texts) if zoom_link is not None else texts
        meeting = _zoom_meeting(
            zoom_link,
            zoom_conf,
            first_structured_zoom,
            src.conference_id,
            own,
            confs,
            start_removed,
        )
        for key, link in others.items():
            other_meetings.append(
                _zoom_meeting(link, None, False, None, parts.get(key, []), (), False)
            )
    conferences = list(found.values())
    if meeting is not None and meeting.join_url:
        zoom_entry = Conference(ZOOM, meeting.join_url, zoom_source, zoom_conf is not None)
        order = ["CONFERENCE", "URL", "LOCATION", "DESCRIPTION", "X-ALT-DESC"]
        position = sum(1 for c in conferences if order.index(c.source) <= order.index(zoom_source))
        conferences.insert(position, zoom_entry)
    return Detection(tuple(conferences), meeting, src.organizer, phones, tuple(other_meetings))


def _hidden_zoom_host(candidate: str) -> str | None:
    """The Zoom host a Mimecast URL Protect link names in `domain=` (rewriters.py: the target
    itself is kept by Mimecast and cannot be resolved offline)."""
    try:
        domain = wrapped_domain(urlsplit(candidate))
    except ValueError:
        return None
    return domain if domain and zoom.is_zoom_host(domain) else None


def _behind_mimecast(host: str, texts: Sequence[str]) -> zoom.ZoomLink:
    """A Zoom meeting whose only link is Mimecast-protected: a Zoom meeting all the same. With
    the invitation's "Meeting ID: …" its join URL is Zoom's documented form for that host,
    https://<host>/j/<id> (the link's embedded passcode is not recoverable: the passcode comes
    from the text, as for any meeting); without an ID there is no join URL — none is made up."""
    meeting_id = next(filter(None, (zoom.meeting_id_from_text(t) for t in texts)), None)
    join_url = f"https://{host}/j/{meeting_id}" if meeting_id else None
    return zoom.ZoomLink("join", host, meeting_id, join_url)


def _key(link: zoom.ZoomLink | None) -> str:
    if link is None:
        return ""
    return link.meeting_id or link.join_url or ""


def _segments(texts: Sequence[str], links: Sequence[zoom.ZoomLink | None]) -> dict[str, list[str]]:
    """Each meeting's share of the texts: from a mention of its join URL up to the next mention
    of another meeting (text before the first mention belongs to that first meeting). A text
    that mentions no Zoom meeting belongs to the primary (the first of `links`)."""
    primary = _key(links[0]) if links else ""
    known = {_key(link) for link in links if link is not None}
    parts: dict[str, list[str]] = {}
    for text in texts:
        marks: list[tuple[int, str]] = []
        offset = 0
        for url in find_urls(text):
            at = text.find(url, offset)
            if at < 0:
                continue
            offset = at + len(url)
            key = _key(zoom.parse_zoom_url(url))
            if key in known and (not marks or marks[-1][1] != key):
                marks.append((at, key))
        if not marks:
            parts.setdefault(primary, []).append(text)
            continue
        for n, (at, key) in enumerate(marks):
            begin = 0 if n == 0 else at
            end = marks[n + 1][0] if n + 1 < len(marks) else len(text)
            parts.setdefault(key, []).append(text[begin:end])
    return parts


def _zoom_meeting(
    link: zoom.ZoomLink | None,
    conf: StructuredConference | None,
    structured_is_zoom: bool,
    conference_id: str | None,
    texts: Sequence[str],
    confs: Sequence[StructuredConference],
    start_removed: bool,
) -> ZoomMeeting:
    meeting_id = link.meeting_id if link else None
    if meeting_id is None and structured_is_zoom and conference_id:
        digits = re.sub(r"\D", "", conference_id)
        meeting_id = digits if 9 <= len(digits) <= 11 else None
    if meeting_id is None:
        meeting_id = next(filter(None, (zoom.meeting_id_from_text(t) for t in texts)), None)
    passcode = conf.passcode if conf is not None and conf.passcode else None
    if passcode is None and link is not None:
        passcode = next(filter(None, (zoom.passcode_from_text(t) for t in texts)), None)
    dial: list[str] = []
    seen: set[str] = set()
    structured_zoom_phones = [
        c.uri
        for c in confs
        if c.is_phone and (structured_is_zoom or service_for_label(c.label) == ZOOM)
    ]
    text_taps = [tap for t in texts for tap in zoom.one_taps(t, meeting_id)]
    for uri in (*structured_zoom_phones, *text_taps):
        if normalise_tel(uri) not in seen:
            seen.add(normalise_tel(uri))
            dial.append(uri)
    return ZoomMeeting(
        join_url=link.join_url if link else None,
        meeting_id=meeting_id,
        passcode=passcode,
        dial=tuple(dial),
        start_link_removed=start_removed,
    )


# the properties whose text EventSources holds (others are not unescaped: most of a VEVENT)
_SOURCE_NAMES = frozenset({"URL", "LOCATION", "DESCRIPTION", "X-ALT-DESC", "X-CONFERENCE-ID"})
#: every property sources_from_lines reads (a caller may leave the others unparsed)
SOURCE_PROPERTIES = _SOURCE_NAMES | {"CONFERENCE", "ORGANIZER"}


def sources_from_lines(lines: Sequence[ContentLine]) -> EventSources:
    """EventSources from the direct property lines of one VEVENT (not those of its VALARMs)."""
    confs: list[StructuredConference] = []
    first: dict[str, str] = {}
    organizer: Organizer | None = None
    for line in lines:
        if line.name == "CONFERENCE":
            confs.append(
                StructuredConference(
                    uri=line.value.strip(),
                    features=_features(p for key, v in line.params if key == "FEATURE" for p in v),
                    label=line.param("LABEL"),
                    passcode=line.param("X-PASSCODE") or line.param("X-PASSWORD"),
                )
            )
        elif line.name == "ORGANIZER" and organizer is None:
            organizer = Organizer(line.value.strip(), line.param("CN"))
        elif line.name in _SOURCE_NAMES and line.name not in first:
            first[line.name] = line.text
    return EventSources(
        conferences=tuple(confs),
        url=first.get("URL"),
        location=first.get("LOCATION"),
        description=first.get("DESCRIPTION"),
        alt_desc=first.get("X-ALT-DESC"),
        organizer=organizer,
        conference_id=first.get("X-CONFERENCE-ID"),
    )


def _features(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v.strip().upper() for v in values if v.strip())


def detect(vevent: icalendar.Event) -> Detection:
    """Detect conferencing details in an icalendar.Event, provider-made or already enriched.

    Our own additions are stripped first, so the answer is the same for enrich()'s input and output.
    """
    from bridge.joinlinks.strip import strip_vevent  # strip imports this module

    raw = vevent.to_ical()
    text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
    block = strip_vevent(unfold(text))
    return detect_sources(
        sources_from_lines([parse_line(block[i]) for i in direct_properties(block)])
    )
