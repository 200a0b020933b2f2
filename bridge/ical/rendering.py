"""A provider item rendered as iCalendar text together with its enclosing time range.

What it does: `Rendering.of(calendar)` serialises a VCALENDAR the mapping has just built and
computes its enclosing time range (bridge.ical.timerange, RFC 4791 §9.9 prefilter) from the
very objects the mapping built — so the sync engine never parses the text again just to learn
when the item happens (issue 14: re-parsing was 41 % of a first sync).
`serialise` gives exactly `calendar.to_ical()`'s bytes (as text), faster: content lines that
need no folding (RFC 5545 §3.1: lines longer than 75 octets are folded) are left alone where
icalendar folds character by character, and the text of a shared, cached subcomponent (the
VTIMEZONEs of bridge.ical.timezones.vtimezone, which callers must not modify) is produced
once, not once per event.
What it must not do: I/O, or change the text.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from icalendar import Calendar, Component

from bridge.ical.timerange import enclosing_range

_SHARED = ("VTIMEZONE",)  # subcomponents that come from a cache and are never modified
_MAX_CACHED = 1024
# id(component) -> (weak reference to it, its text): the reference guards against a reused id
_texts: dict[int, tuple[weakref.ref[Any], str]] = {}
_texts_guard = threading.Lock()


@dataclass(frozen=True)
class Rendering:
    text: str  # the VCALENDAR text (CRLF, folded)
    span: tuple[int, int]  # unix seconds enclosing every occurrence (conservative)

    @staticmethod
    def of(calendar: Calendar) -> Rendering:
        return Rendering(serialise(calendar), enclosing_range(calendar))


def _lines(lines: Iterable[Any]) -> str:
    """icalendar's Contentlines.to_ical, as text: an ASCII line of up to 74 characters is
    folded to itself there, so only longer or non-ASCII lines go through its folding."""
    return "".join(
        (line if len(line) < 75 and line.isascii() else line.to_ical().decode("utf-8")) + "\r\n"
        for line in lines
        if line
    )


def shared_text(component: Component) -> str:
    """The text of a shared, cached subcomponent (a VTIMEZONE), produced once."""
    key = id(component)
    with _texts_guard:
        entry = _texts.get(key)
    if entry is not None and entry[0]() is component:
        return entry[1]
    text = _lines(component.content_lines())
    with _texts_guard:
        if len(_texts) >= _MAX_CACHED:
            _texts.clear()
        _texts[key] = (weakref.ref(component), text)
    return text


def serialise(calendar: Calendar) -> str:
    """`calendar.to_ical().decode()` (sorted properties), built from its parts: the calendar's
    own properties, then each subcomponent's lines (Component.content_line depends only on the
    property, so a subcomponent's lines are the same wherever it sits)."""
    own = Component.content_line
    head = [own(calendar, "BEGIN", calendar.name)]
    for name in calendar.sorted_keys():
        values = calendar[name]
        for value in values if isinstance(values, list) else [values]:
            head.append(own(calendar, name, value))
    parts = [_lines(head)]
    for sub in calendar.subcomponents:
        if sub.name in _SHARED:
            parts.append(shared_text(sub))
        else:
            parts.append(_lines(sub.content_lines()))
    parts.append(_lines([own(calendar, "END", calendar.name)]))
    return "".join(parts)
