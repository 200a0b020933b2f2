"""enrich(): add join-link metadata to every VEVENT of a provider's VCALENDAR text (C3).

Deterministic (the output is a function of the input text and the account addresses only) and
idempotent: the input is first passed through strip(), so enrich(enrich(x)) == enrich(x) and
enrich(strip(enrich(x))) == enrich(x). Lines it does not change are carried through as received
(only folding and line endings are canonicalised). Host start links are redacted everywhere in the
calendar first. See the package docstring for the property table.

This module must not do I/O and must never write a host start link (zak) into its output.
"""

from __future__ import annotations

from collections.abc import Sequence

from bridge.joinlinks import props, zoom
from bridge.joinlinks.content import (
    build_line,
    direct_properties,
    escape_text,
    insertion_point,
    parse_line,
    serialize,
    split_vevents,
    unescape_text,
    unfold,
    with_value,
)
from bridge.joinlinks.detect import (
    Detection,
    StructuredConference,
    detect_sources,
    normalise_tel,
    sources_from_lines,
)
from bridge.joinlinks.services import ZOOM, Service, classify, service_for_label
from bridge.joinlinks.strip import strip_lines


def enrich(ical: str, account_emails: Sequence[str]) -> str:
    """Provider VCALENDAR text -> enriched VCALENDAR text (CRLF, folded at 75 octets)."""
    out: list[str] = []
    for segment in split_vevents(strip_lines(unfold(ical))):
        if isinstance(segment, list):
            out.extend(enrich_vevent([redact_line(line) for line in segment], account_emails))
        else:
            out.append(redact_line(segment))
    return serialize(out)


def redact_line(raw: str) -> str:
    """`raw` with host start links replaced, in parameters (ALTREP …) and in the value."""
    if not zoom.has_secret(raw):
        return raw
    line = parse_line(raw)
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
    parsed = {i: parse_line(block[i]) for i in direct_properties(block)}
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
    for conf in det.conferences:
        if conf.service != ZOOM:
            new.append(build_line(props.DAVBRIDGE_CONFERENCE, (), conf.service.key))

    primary = det.primary_join_url
    if primary:
        new.append(build_line(props.DAVBRIDGE_JOIN_URL, (), escape_text(primary)))
    new.extend(_uri_line(props.DAVBRIDGE_ADDED_CONFERENCE, uri) for uri in added)

    replaced: dict[int, str] = {}
    if primary:
        filled: list[str] = []
        for name, value in (("URL", primary), ("LOCATION", escape_text(primary))):
            index = next((i for i, line in parsed.items() if line.name == name), None)
            if index is None:
                filled.append(name)
                new.append(build_line(name, (), value))
            elif parsed[index].value == "":
                filled.append(f"{name}-EMPTY")
                replaced[index] = with_value(parsed[index], value)
        new.append(build_line(props.DAVBRIDGE_FILLED, (), ",".join(filled) or "NONE"))

    if det.zoom is not None:
        text = props.block_text(
            det.zoom.join_url, det.zoom.meeting_id, det.zoom.passcode, det.zoom.dial
        )
        if text is not None:
            index = next((i for i, line in parsed.items() if line.name == "DESCRIPTION"), None)
            if index is None:
                new.append(build_line("DESCRIPTION", (), props.prepend_block(None, text)))
            else:
                line = parsed[index]
                replaced[index] = with_value(line, props.prepend_block(line.value, text))

    lines = [replaced.get(i, raw) for i, raw in enumerate(block)]
    at = insertion_point(lines)
    return lines[:at] + new + lines[at:]


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
