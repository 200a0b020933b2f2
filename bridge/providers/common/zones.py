"""The VTIMEZONEs a served calendar object needs, and the object's assembly.

What it does: `new_vevent` starts a VEVENT with what every provider item has (UID; DTSTAMP
from the last change, else the creation, else the epoch; CREATED; LAST-MODIFIED) and
`cal_address` writes an organizer or attendee. `ZoneYears`
collects, while a provider's event is mapped to iCalendar, every TZID
a DTSTART/DTEND/RECURRENCE-ID/RDATE uses and the years it must cover (a series reaches to the
year of its last occurrence); `calendar_rendering` assembles the VCALENDAR (RFC 5545 §3.4: PRODID,
VERSION 2.0, then one VTIMEZONE per TZID, sorted, as §3.6.5 requires for every TZID used, then
the components) with icalendar and renders it (bridge.ical.rendering: the text and its time range), so equal
input gives equal bytes. `last_year` is the year an
RRULE's last occurrence falls in (UNTIL, or COUNT expanded with dateutil; open-ended:
NO_END_YEAR, icalendar's default VTIMEZONE horizon).
What it must not do: pick zones (the mappings do), or know a provider's JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dateutil.rrule import rrulestr
from icalendar import Alarm, Calendar, Event, vCalAddress, vRecur

from bridge.ical.light import Unsupported, light_alarm, light_event, light_rendering
from bridge.ical.rendering import Rendering
from bridge.ical.timezones import vtimezone

PRODID = "-//davbridge//davbridge//EN"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NO_END_YEAR = 2037  # VTIMEZONE horizon for open-ended series (icalendar's default)
_MAX_COUNTED = 1000  # a COUNT above this is not expanded (the horizon is used)


@dataclass(frozen=True)
class Kit:
    """What a mapping builds its components with: icalendar's (`ICAL`), or the light
    components of bridge.ical.light (`LIGHT`), which write the same text faster and raise
    Unsupported for what they do not cover (`best_rendering` then uses icalendar)."""

    event: Callable[[], Any]
    alarm: Callable[[], Any]
    light: bool


ICAL = Kit(Event, Alarm, light=False)
LIGHT = Kit(light_event, light_alarm, light=True)


def best_rendering(build: Callable[[Kit], Rendering]) -> Rendering:
    """`build(LIGHT)`, or `build(ICAL)` when the light components do not cover the item
    (both give the same text: tests/unit/test_ical_light.py)."""
    try:
        return build(LIGHT)
    except Unsupported:
        return build(ICAL)


def new_vevent(
    uid: str, created: dt.datetime | None, modified: dt.datetime | None, kit: Kit = ICAL
) -> Any:
    """A VEVENT with UID, DTSTAMP, CREATED and LAST-MODIFIED (RFC 5545 §3.8.7)."""
    vevent = kit.event()
    vevent.add("UID", uid)
    vevent.add("DTSTAMP", modified or created or EPOCH)
    if created:
        vevent.add("CREATED", created)
    if modified:
        vevent.add("LAST-MODIFIED", modified)
    return vevent


def cal_address(email: str, name: str | None) -> vCalAddress | None:
    """An ORGANIZER/ATTENDEE value: mailto:`email` with CN=`name` (RFC 5545 §3.3.3, §3.2.2);
    None without an e-mail address."""
    email = email.strip()
    if not email:
        return None
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = str(name)
    return address


def last_year(rule: vRecur, start: dt.date) -> int:
    """The last year `rule` (starting at `start`) reaches, for VTIMEZONE coverage."""
    until = rule.get("UNTIL")
    if until:
        return int(until[0].year)
    count = rule.get("COUNT")
    if count and int(count[0]) <= _MAX_COUNTED:
        naive = (
            start.replace(tzinfo=None)
            if isinstance(start, dt.datetime)
            else dt.datetime.combine(start, dt.time())
        )
        occurrences = list(rrulestr(rule.to_ical().decode(), dtstart=naive))  # type: ignore[no-untyped-call]  # icalendar's vRecur.to_ical is unannotated
        return occurrences[-1].year if occurrences else start.year
    return max(NO_END_YEAR, start.year + 1)


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


def calendar_rendering(components: Iterable[Any], zones: ZoneYears, kit: Kit = ICAL) -> Rendering:
    """The VCALENDAR holding `components` and the VTIMEZONEs `zones` noted: its text and its
    time range (bridge.ical.rendering; bridge.ical.light for light components)."""
    if kit.light:
        timezones = [vtimezone(tzid, *zones.years[tzid]) for tzid in sorted(zones.years)]
        return light_rendering(components, timezones, PRODID)
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    for tzid in sorted(zones.years):
        first, last = zones.years[tzid]
        calendar.add_component(vtimezone(tzid, first, last))
    for component in components:
        calendar.add_component(component)
    return Rendering.of(calendar)
