"""Private events as busy blocks, for delegates without private access (SPEC C7, issue 15.2).

`redact_private(text)` turns every VEVENT of a VCALENDAR whose CLASS is PRIVATE or CONFIDENTIAL
into a busy block: its times, recurrence and free/busy transparency stay; SUMMARY becomes the
neutral "Private"; every other property (DESCRIPTION, LOCATION, ATTENDEE, ORGANIZER, URL,
CONFERENCE, X-ZOOM-*, ATTACH, categories, the provider's extensions …) and every nested
component (VALARM) is absent. It is an allow-list: a property not named below never survives,
whatever a provider or the enrichment adds later. Events that are not private are unchanged
byte for byte; a text without a private event is returned as it is (no parse).

The sync engine applies it to the provider's text before an item enters the mirror (and again to
the enriched text), so every serving path — GET, multiget, calendar-query, sync-collection,
free/busy, the meeting views — reads redacted bytes.
This module must not do I/O and must not import anything from the bridge but leaves.
"""

from __future__ import annotations

import re

#: What a busy block keeps of a private VEVENT (RFC 5545 §3.6.1 time and recurrence
#: properties, identity, status and transparency for free/busy, RFC 4791 §7.10).
KEPT = frozenset(
    {
        "UID",
        "DTSTAMP",
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "RDATE",
        "EXDATE",
        "RECURRENCE-ID",
        "SEQUENCE",
        "STATUS",
        "TRANSP",
        "CLASS",
        "CREATED",
        "LAST-MODIFIED",
        "X-MICROSOFT-CDO-BUSYSTATUS",
        "X-MICROSOFT-CDO-ALLDAYEVENT",
    }
)
PRIVATE_CLASSES = frozenset({"PRIVATE", "CONFIDENTIAL"})
NEUTRAL_SUMMARY = "Private"
_PRIVATE_HINT = re.compile(r"^CLASS[;:][^\r\n]*?(PRIVATE|CONFIDENTIAL)", re.I | re.M)


def _name(line: str) -> str:
    end = len(line)
    for sep in (";", ":"):
        pos = line.find(sep)
        if 0 <= pos < end:
            end = pos
    return line[:end].upper()


def _value(line: str) -> str:
    # the value follows the first ':' that is not inside a quoted parameter value
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            return line[i + 1 :]
    return ""


def _unfold(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def _fold(line: str) -> str:
    """RFC 5545 §3.1 folding at 75 octets, never inside a UTF-8 sequence."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    start, limit = 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, limit = end, 74
    return "\r\n ".join(parts)


def is_private(lines: list[str]) -> bool:
    """Whether the direct properties of one VEVENT say CLASS:PRIVATE or CONFIDENTIAL."""
    return any(
        _name(line) == "CLASS" and _value(line).strip().upper() in PRIVATE_CLASSES for line in lines
    )


def _busy_block(event: list[str]) -> list[str]:
    """One private VEVENT (its lines from BEGIN to END, nested components included) reduced
    to the allow-list, with the neutral SUMMARY after its UID."""
    direct: list[str] = []
    depth = 0
    for line in event[1:-1]:
        upper = line.upper()
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:"):
            depth -= 1
        elif depth == 0 and _name(line) in KEPT:
            direct.append(line)
    return ["BEGIN:VEVENT", *direct, f"SUMMARY:{NEUTRAL_SUMMARY}", "END:VEVENT"]


def redact_private(text: str) -> str:
    """`text` with each private or confidential VEVENT reduced to a busy block."""
    if not _PRIVATE_HINT.search(text):
        return text
    lines = _unfold(text)
    out: list[str] = []
    i = 0
    changed = False
    while i < len(lines):
        if lines[i].upper() != "BEGIN:VEVENT":
            out.append(lines[i])
            i += 1
            continue
        depth, j = 0, i
        while j < len(lines):
            upper = lines[j].upper()
            if upper.startswith("BEGIN:"):
                depth += 1
            elif upper.startswith("END:"):
                depth -= 1
                if depth == 0:
                    break
            j += 1
        event = lines[i : j + 1]
        if is_private(_direct(event)):
            out.extend(_busy_block(event))
            changed = True
        else:
            out.extend(event)
        i = j + 1
    if not changed:
        return text
    return "\r\n".join(_fold(line) for line in out) + "\r\n"


def _direct(event: list[str]) -> list[str]:
    """The direct properties of one VEVENT (not those of its VALARMs)."""
    direct: list[str] = []
    depth = 0
    for line in event[1:-1]:
        upper = line.upper()
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:"):
            depth -= 1
        elif depth == 0:
            direct.append(line)
    return direct


def has_private(text: str) -> bool:
    """Whether any VEVENT of `text` says CLASS:PRIVATE or CONFIDENTIAL (a busy block too)."""
    return (
        any(is_private(_direct(event)) for event in _events(_unfold(text)))
        if _PRIVATE_HINT.search(text)
        else False
    )


def _events(lines: list[str]) -> list[list[str]]:
    events: list[list[str]] = []
    current: list[str] | None = None
    depth = 0
    for line in lines:
        upper = line.upper()
        if current is None:
            if upper == "BEGIN:VEVENT":
                current, depth = [line], 1
            continue
        current.append(line)
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:"):
            depth -= 1
            if depth == 0:
                events.append(current)
                current = None
    return events
