"""The component structure of a calendar-query filter (RFC 4791 §7.8, §9.7.1), checked before
the query runs: a filter that can match nothing because it is malformed is refused with the
precondition the RFC names, instead of an empty 207 that reads as "no events".

- the filter's one top-level CALDAV:comp-filter must name VCALENDAR: 403 CALDAV:valid-filter
  (a query without any filter is answered as one for everything, and one with several
  top-level comp-filters gets Radicale's 400 with its reason);
- a nested comp-filter naming something that is not an iCalendar component (RFC 5545 §3.6,
  RFC 7953's VAVAILABILITY, or an X-/IANA-style name with a dash): 403 CALDAV:supported-filter
  (RFC 4791 §7.8: the server SHOULD say which comp-filter it does not support — the message
  names it).

Nothing else of the query is judged here (time ranges: guards.range_refusal). Pure; imports
only the standard library and radicale_plugins.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from radicale_plugins.refusals import CALDAV, Refusal

#: Components of RFC 5545 §3.6 (with the time-zone and alarm sub-components) and RFC 7953.
COMPONENTS = frozenset(
    {
        "VEVENT",
        "VTODO",
        "VJOURNAL",
        "VFREEBUSY",
        "VTIMEZONE",
        "VALARM",
        "STANDARD",
        "DAYLIGHT",
        "VAVAILABILITY",
        "AVAILABLE",
    }
)
_COMP = f"{{{CALDAV}}}comp-filter"


def filter_refusal(root: Element) -> Refusal | None:
    """None unless `root` is a calendar-query whose filter is malformed or names an unknown
    component."""
    if root.tag != f"{{{CALDAV}}}calendar-query":
        return None
    found = root.find(f"{{{CALDAV}}}filter")
    if found is None:
        return None
    top = found.findall(_COMP)
    if len(top) != 1:  # none or several: Radicale's own 400, with its reason
        return None
    if str(top[0].get("name", "")).upper() != "VCALENDAR":
        return Refusal(
            403,
            "The filter must hold one comp-filter for VCALENDAR at its top (RFC 4791 §9.7.1); "
            f"it holds {top[0].get('name')!r}.",
            (CALDAV, "valid-filter"),
        )
    for nested in top[0].iter(_COMP):
        if nested is top[0]:
            continue
        name = str(nested.get("name", "")).upper()
        if name not in COMPONENTS and "-" not in name:
            return Refusal(
                403,
                f"comp-filter name={nested.get('name')!r} is not an iCalendar component; "
                f"this server filters on {', '.join(sorted(COMPONENTS))}.",
                (CALDAV, "supported-filter"),
            )
    return None
