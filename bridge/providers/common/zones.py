"""The VTIMEZONEs a served calendar object needs, and the object's assembly.

What it does: `ZoneYears` collects, while a provider's event is mapped to iCalendar, every TZID
a DTSTART/DTEND/RECURRENCE-ID/RDATE uses and the years it must cover (a series reaches to the
year of its last occurrence); `calendar_text` assembles the VCALENDAR (RFC 5545 §3.4: PRODID,
VERSION 2.0, then one VTIMEZONE per TZID, sorted, as §3.6.5 requires for every TZID used, then
the components) with icalendar, so equal input gives equal bytes.
What it must not do: pick zones (the mappings do), or know a provider's JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from icalendar import Calendar, Component

from bridge.ical.timezones import vtimezone

PRODID = "-//davbridge//davbridge//EN"


@dataclass
class ZoneYears:
    """TZIDs used by one resource and the (first, last) year each must cover."""

    years: dict[str, tuple[int, int]] = field(default_factory=dict)

    def note(self, value: dt.date | None, last_year: int | None = None) -> None:
        """Record the zone of an aware date-time (UTC, floating and dates need none)."""
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            return
        key = getattr(value.tzinfo, "key", None)
        if not key or key == "UTC":
            return
        first, last = self.years.get(key, (value.year, value.year))
        self.years[key] = (min(first, value.year), max(last, value.year, last_year or 0))


def calendar_text(components: Iterable[Component], zones: ZoneYears) -> str:
    """The VCALENDAR text holding `components` and the VTIMEZONEs `zones` noted."""
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    for tzid in sorted(zones.years):
        first, last = zones.years[tzid]
        calendar.add_component(vtimezone(tzid, first, last))
    for component in components:
        calendar.add_component(component)
    return calendar.to_ical().decode("utf-8")
