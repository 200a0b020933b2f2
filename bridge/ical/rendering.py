"""A provider item rendered as iCalendar text together with its enclosing time range.

What it does: `Rendering.of(calendar)` serialises a VCALENDAR the mapping has just built and
computes its enclosing time range (bridge.ical.timerange, RFC 4791 §9.9 prefilter) from the
very objects the mapping built — so the sync engine never parses the text again just to learn
when the item happens (issue 14: re-parsing was 41 % of a first sync).
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
        return Rendering(calendar.to_ical().decode("utf-8"), enclosing_range(calendar))
