"""A provider item rendered as iCalendar text together with its enclosing time range.

What it does: `Rendering.of(calendar)` serialises a VCALENDAR the mapping has just built and
computes its enclosing time range (bridge.ical.timerange, RFC 4791 §9.9 prefilter) from the
very objects the mapping built — so the sync engine never parses the text again just to learn
when the item happens (issue 14: re-parsing was 41 % of a first sync).
`serialise` gives exactly `calendar.to_ical()`'s bytes (as text) but leaves the content lines
that need no folding alone (RFC 5545 §3.1: fold lines longer than 75 octets): icalendar folds
character by character, which was a tenth of a first sync for lines that are mostly short.
What it must not do: I/O, or change the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from icalendar import Calendar

from bridge.ical.timerange import enclosing_range


@dataclass(frozen=True)
class Rendering:
    text: str  # the VCALENDAR text (CRLF, folded)
    span: tuple[int, int]  # unix seconds enclosing every occurrence (conservative)

    @staticmethod
    def of(calendar: Calendar) -> Rendering:
        return Rendering(serialise(calendar), enclosing_range(calendar))


def serialise(calendar: Calendar) -> str:
    """`calendar.to_ical().decode()`, faster: icalendar folds an ASCII line of up to 74
    characters to itself, so only longer or non-ASCII lines go through its folding."""
    return "".join(
        (line if len(line) < 75 and line.isascii() else line.to_ical().decode("utf-8")) + "\r\n"
        for line in calendar.content_lines()
        if line
    )
