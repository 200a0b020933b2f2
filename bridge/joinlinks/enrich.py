"""enrich(): add join-link metadata to every VEVENT of a provider's VCALENDAR text (C3).

Deterministic (the output is a function of the input text and the account addresses only) and
idempotent: the input is first passed through strip(), so enrich(enrich(x)) == enrich(x) and
enrich(strip(enrich(x))) == enrich(x). Lines it does not change are carried through as received
(only folding and line endings are canonicalised). Host start links are redacted everywhere in the
calendar first. See the package docstring for the property table.

This module must not do I/O and must never write a host start link (zak) into its output.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from bridge.joinlinks import props, visible, zoom
from bridge.joinlinks.content import (
    ContentLine,
    build_line,
    escape_text,
    layout,
    parse_line,
    property_name,
    serialize,
    split_vevents,
    unescape_text,
    unfold,
    with_value,
)
from bridge.joinlinks.detect import (
    SOURCE_PROPERTIES,
    Detection,
    EventSources,
    StructuredConference,
    detect_sources,
    normalise_tel,
    sources_from_lines,
)
from bridge.joinlinks.record import KEY_PROPERTIES, Enrichment, VeventChanges, changes_of
from bridge.joinlinks.services import MEET, TEAMS, ZOOM, Service, classify, service_for_label
from bridge.joinlinks.strip import strip_lines


@dataclass(frozen=True)
class EnrichOptions:
    """Per-user choices that change the served bytes (deterministically)."""

    not_zoom_line: bool = True  # "Not a Zoom meeting · Host: …" on top of DESCRIPTION


DEFAULT_OPTIONS = EnrichOptions()


@dataclass(frozen=True)
class Enriched:
    text: str
    record: Enrichment


def enrich(
    ical: str, account_emails: Sequence[str], options: EnrichOptions = DEFAULT_OPTIONS
) -> str:
    """Provider VCALENDAR text -> enriched VCALENDAR text (CRLF, folded at 75 octets)."""
    return enrich_with_record(ical, account_emails, options).text


def enrich_with_record(
    ical: str, account_emails: Sequence[str], options: EnrichOptions = DEFAULT_OPTIONS
) -> Enriched:
    """Enriched text and the record of exactly what was added (see record.py)."""
    head, ical = _split_head(ical)
    out: list[str] = []
    records: list[VeventChanges] = []
    lines = strip_lines(unfold(ical))
    # zoom.has_secret needs "://" or "zak" in a line: one look at the whole text for the latter
    zak = "zak" in "\n".join(lines).lower()
    for segment in split_vevents(lines):
        if isinstance(segment, list):
            enriched, changes = enrich_vevent_recorded(
                [redact_line(line, zak) for line in segment], account_emails, options
            )
            out.extend(enriched)
            records.append(changes)
        else:
            out.append(redact_line(segment, zak))
    return Enriched(_head_text(head) + serialize(out), Enrichment(tuple(records)))


def _split_head(ical: str) -> tuple[str, str]:
    """(the lines before the first VEVENT, the rest), split at the start of a line
    "BEGIN:VEVENT"; ("", ical) when there is no such line or the head may hold one in
    another spelling (split_vevents upper-cases). The head (VCALENDAR properties and
    VTIMEZONEs: the same for every event of a zone and years) has no VEVENT, so enrich only
    redacts and refolds it, line by line: the same text whether it is processed alone or not."""
    at = ical.find("\nBEGIN:VEVENT") + 1
    if at <= 0 or "BEGIN:VEVENT" in ical[:at].upper():
        return "", ical
    return ical[:at], ical[at:]


def _head_text(head: str) -> str:
    """The head (see _split_head) redacted and folded; cached while short (memory bound)."""
    if not head:
        return ""
    return _head_cached(head) if len(head) <= _CACHED_HEAD else _head_uncached(head)


_CACHED_HEAD = 16_384


@functools.lru_cache(maxsize=256)
def _head_cached(head: str) -> str:
    return _head_uncached(head)


def _head_uncached(head: str) -> str:
    return serialize(redact_line(line) for line in unfold(head))


def redact_line(raw: str, zak: bool = True) -> str:
    """`raw` with host start links replaced, in parameters (ALTREP …) and in the value.
    `zak`: False when the caller knows the text holds no "zak" (any case)."""
    if ("://" not in raw and not zak) or not zoom.may_hold_secret(raw):
        return raw
    line = parse_line(raw)
    # a TEXT value is read unescaped: "…/s/123\\nThanks" is a start link and a new line
    if not zoom.has_secret(raw) and (line.is_uri or not zoom.has_secret(unescape_text(line.value))):
        return raw
    head = raw[: len(raw) - len(line.value)] if line.value else raw
    head = zoom.redact(head)
    if not head.endswith(":"):
        head += ":"
    if line.is_uri:
        value = zoom.redact(line.value)
    else:
        # Redact the unescaped text: an escaped comma inside a URL must not hide the zak behind it.
        value = escape_text(zoom.redact(unescape_text(line.value)))
    return head + value


def _structured_service(conf: StructuredConference) -> Service | None:
    if zoom.parse_zoom_url(conf.uri) is not None:
        return ZOOM
    classified = classify(conf.uri)
    return classified[0] if classified else service_for_label(conf.label)


def _uri_line(name: str, value: str, params: Sequence[tuple[str, str]] = ()) -> str:
    return build_line(name, [*params, ("VALUE", "URI")] if params else [("VALUE", "URI")], value)


def enrich_vevent(block: list[str], account_emails: Sequence[str]) -> list[str]:
    """One clean (stripped, redacted) VEVENT -> the same with our properties added."""
    return enrich_vevent_recorded(block, account_emails, DEFAULT_OPTIONS)[0]


def enrich_vevent_recorded(
    block: list[str], account_emails: Sequence[str], options: EnrichOptions
) -> tuple[list[str], VeventChanges]:
    """One clean VEVENT -> (enriched lines, the record of what was added)."""
    direct, at = layout(block)
    # only the properties detection, the visible additions and the record's key read
    parsed = {i: parse_line(block[i]) for i in direct if property_name(block[i]) in _READ}
    sources = sources_from_lines(list(parsed.values()))
    det = detect_sources(sources)
    new: list[str] = _zoom_lines(det, account_emails)
    added: list[str] = []

    structured_services = {
        s.key
        for s in map(_structured_service, (c for c in sources.conferences if not c.is_phone))
        if s
    }
    for conf in det.conferences:
        if conf.structured or conf.service.key in structured_services:
            continue
        new.append(
            build_line(
                "CONFERENCE",
                [("VALUE", "URI"), ("FEATURE", "VIDEO"), ("LABEL", conf.service.label)],
                conf.uri,
            )
        )
        added.append(conf.uri)
    if det.zoom is not None:
        existing = {normalise_tel(c.uri) for c in sources.conferences if c.is_phone}
        for tel in det.zoom.dial:
            if normalise_tel(tel) not in existing:
                new.append(
                    build_line(
                        "CONFERENCE",
                        [("VALUE", "URI"), ("FEATURE", "PHONE"), ("LABEL", ZOOM.label)],
                        tel,
                    )
                )
                added.append(tel)
    new.extend(_other_zoom_lines(det, sources, added))
    for conf in det.conferences:
        if conf.service != ZOOM:
            new.append(build_line(props.DAVBRIDGE_CONFERENCE, (), conf.service.key))
    primary = det.primary_join_url
    if primary:
        new.append(build_line(props.DAVBRIDGE_JOIN_URL, (), escape_text(primary)))
    new.extend(_uri_line(props.DAVBRIDGE_ADDED_CONFERENCE, uri) for uri in added)

    shown = _Visible(det, parsed, options)
    new.extend(shown.vendor_lines())
    if primary:
        new.extend(shown.fill(primary))
    new.extend(shown.description())
    new.extend(shown.bookkeeping())

    lines = [shown.replaced.get(i, raw) for i, raw in enumerate(block)]
    record = changes_of(block, new, shown.replaced, shown.affixed, direct, list(parsed.values()))
    return lines[:at] + new + lines[at:], record


_SHOWN = frozenset(
    {"URL", "LOCATION", "DESCRIPTION", visible.TEAMS_URL_PROPERTY, visible.MEET_URL_PROPERTY}
)
_READ = SOURCE_PROPERTIES | _SHOWN | KEY_PROPERTIES


def _other_zoom_lines(det: Detection, sources: EventSources, added: list[str]) -> list[str]:
    """A second (third…) Zoom meeting the event names: its own CONFERENCE with its passcode,
    and its own one-tap dial-ins; the primary meeting alone is in X-ZOOM-*."""
    present = {c.uri for c in sources.conferences} | {
        normalise_tel(c.uri) for c in sources.conferences if c.is_phone
    }
    lines: list[str] = []
    for meeting in det.other_zoom:
        if not meeting.join_url or meeting.join_url in present:
            continue
        params = [("VALUE", "URI"), ("FEATURE", "VIDEO"), ("LABEL", ZOOM.label)]
        if meeting.passcode:
            params.append(("X-PASSCODE", meeting.passcode))
        lines.append(build_line("CONFERENCE", params, meeting.join_url))
        added.append(meeting.join_url)
        for tel in meeting.dial:
            if normalise_tel(tel) not in present:
                phone = [("VALUE", "URI"), ("FEATURE", "PHONE"), ("LABEL", ZOOM.label)]
                lines.append(build_line("CONFERENCE", phone, tel))
                added.append(tel)
    return lines


class _Visible:
    """The additions people and clients see (see visible.py), for one VEVENT. Reads the
    properties of `_SHOWN` only."""

    def __init__(
        self, det: Detection, parsed: dict[int, ContentLine], options: EnrichOptions
    ) -> None:
        self.det, self.parsed, self.options = det, parsed, options
        self.first: dict[str, int] = {}  # property name -> index of its first line
        for i, line in parsed.items():
            self.first.setdefault(line.name, i)
        self.replaced: dict[int, str] = {}
        self.affixed: dict[int, tuple[str, str]] = {}
        self.tokens: list[str] = []
        self.placeholder: str | None = None
        self.placeholder_raw = ""  # as the provider wrote it (strip() restores it exactly)

    def _index(self, name: str) -> int | None:
        return self.first.get(name)

    def _url_of(self, service: Service) -> str | None:
        return next((c.uri for c in self.det.conferences if c.service == service), None)

    def vendor_lines(self) -> list[str]:
        out: list[str] = []
        for service, name in (
            (TEAMS, visible.TEAMS_URL_PROPERTY),
            (MEET, visible.MEET_URL_PROPERTY),
        ):
            url = self._url_of(service)
            if url is not None and self._index(name) is None:
                out.append(build_line(name, (), escape_text(url)))
                self.tokens.append(name)
        return out

    def fill(self, primary: str) -> list[str]:
        """URL and LOCATION: added when absent, filled when empty, LOCATION replaced when it
        only names the service (the placeholder is kept in DESCRIPTION)."""
        new: list[str] = []
        filled: list[str] = []
        for name, value in (("URL", primary), ("LOCATION", escape_text(primary))):
            index = self._index(name)
            if index is None:
                filled.append(name)
                new.append(build_line(name, (), value))
            elif self.parsed[index].value == "":
                filled.append(f"{name}-EMPTY")
                self.replaced[index] = with_value(self.parsed[index], value)
            elif name == "LOCATION" and visible.is_placeholder(self.parsed[index].text):
                self.placeholder = self.parsed[index].text.strip()
                self.placeholder_raw = self.parsed[index].value
                self.replaced[index] = with_value(self.parsed[index], value)
                self.tokens.append("LOCATION-PLACEHOLDER")
        new.append(build_line(props.DAVBRIDGE_FILLED, (), ",".join(filled) or "NONE"))
        return new

    def _prefix(self) -> str:
        det = self.det
        if det.zoom is not None:
            z = det.zoom
            text = props.block_text(z.join_url, z.meeting_id, z.passcode, z.dial, self.placeholder)
            return "" if text is None else text + "\n\n"
        host = (det.organizer.cn or det.organizer.email) if det.organizer else None
        text = visible.note(host, self.placeholder, self.options.not_zoom_line)
        if text is None:
            return ""
        self.tokens.append("NOTE")
        return text + "\n\n"

    def description(self) -> list[str]:
        prefix = self._prefix()
        teams, meet = self._url_of(TEAMS), self._url_of(MEET)
        index = self._index("DESCRIPTION")
        if index is None:
            base = prefix.rstrip("\n")
            suffix, leads = visible.suffix_for(base, teams, meet)
            body = base + suffix
            self.tokens.extend(f"LEAD-{n}" for n in leads)
            if not body:
                return []
            self.tokens.append("DESCRIPTION")
            return [build_line("DESCRIPTION", (), escape_text(body))]
        line = self.parsed[index]
        suffix, leads = visible.suffix_for(prefix + line.text, teams, meet)
        self.tokens.extend(f"LEAD-{n}" for n in leads)
        if prefix or suffix:
            self.replaced[index] = with_value(
                line, escape_text(prefix) + line.value + escape_text(suffix)
            )
            self.affixed[index] = (prefix, suffix)
        return []

    def bookkeeping(self) -> list[str]:
        """What strip() needs to undo these additions from the served text alone."""
        out: list[str] = []
        if self.tokens:
            out.append(build_line(props.DAVBRIDGE_VISIBLE, (), ",".join(self.tokens)))
        if self.placeholder:
            out.append(build_line(props.DAVBRIDGE_LOCATION, (), self.placeholder_raw))
        return out


def _zoom_lines(det: Detection, account_emails: Sequence[str]) -> list[str]:
    meeting = det.zoom
    if meeting is None:
        return [build_line(props.ZOOM_MEETING, (), "FALSE")]
    lines = [build_line(props.ZOOM_MEETING, (), "TRUE")]
    if meeting.join_url:
        lines.append(build_line(props.ZOOM_JOIN_URL, (), escape_text(meeting.join_url)))
    if meeting.meeting_id:
        lines.append(build_line(props.ZOOM_MEETING_ID, (), meeting.meeting_id))
    if meeting.passcode:
        lines.append(build_line(props.ZOOM_PASSCODE, (), escape_text(meeting.passcode)))
    if det.organizer is not None:
        cn = [("CN", det.organizer.cn)] if det.organizer.cn else []
        lines.append(build_line(props.ZOOM_HOST, cn, det.organizer.address))
    hosted = "TRUE" if det.hosted_by(account_emails) else "FALSE"
    lines.append(build_line(props.ZOOM_HOSTED_BY_ME, (), hosted))
    lines.extend(_uri_line(props.ZOOM_DIAL, tel) for tel in meeting.dial)
    return lines
