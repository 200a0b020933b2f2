"""What is wrong with a PUT body, decided before anything is written to the provider or the
mirror, as the status and precondition the RFCs define:

- larger than the collections' max-resource-size (`[limits] resource_bytes`, capped at
  `[server] max_content_length`): 403 with CALDAV:max-resource-size (RFC 4791 §5.3.2.1) or
  CARDDAV:max-resource-size (RFC 6352 §6.3.2.1), measured on the body's octets before it is
  parsed (a body over max_content_length never gets here: 413 before it is read);
- wrong media type (a vCard into a calendar, application/octet-stream): 415 with
  CALDAV:supported-calendar-data (RFC 4791 §5.3.2.1) or CARDDAV:supported-address-data
  (RFC 6352 §6.3.2.1);
- not decodable or not parseable: 400 with CALDAV:valid-calendar-data / CARDDAV:valid-address-data;
- parseable but not one calendar object resource (several UIDs, a VCARD in a calendar …):
  403 with CALDAV:valid-calendar-object-resource (RFC 4791 §4.1) or valid-address-data;
- a component the calendar does not hold (VTODO in an event calendar, VEVENT in a task
  list): 403 with
  CALDAV:supported-calendar-component;
- dates outside the accepted years ([limits] min_year / max_year): 403 with CALDAV:min-date-time or
  max-date-time — no provider takes year 1 or 9999;
- a series with more occurrences than MAX_RRULE_OCCURRENCES: 403 with CALDAV:max-instances
  (RFC 4791 §5.3.2.1; the value is advertised as the calendars' max-instances property);
- dates or durations beyond what can be represented (DURATION:P99999999W): 400 with
  valid-calendar-data — Radicale would report that overflow as 412, which is for failed
  preconditions (If-Match) only (RFC 9110 §15.5.13).

Pure: parses with Radicale's own reader and touches no storage. Imports radicale,
radicale_plugins and the standard library.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

from radicale import item as radicale_item

from radicale_plugins.guards import ACCEPTED_YEARS
from radicale_plugins.refusals import CALDAV, CARDDAV, Refusal

_CALENDAR_TYPES = {"text/calendar"}
_CARD_TYPES = {"text/vcard", "text/x-vcard", "text/directory"}
#: Components an event calendar holds besides VEVENT (time zones travel with events).
_CALENDAR_COMPONENTS = {"VEVENT", "VTIMEZONE"}
#: What a task list (a provider's to-do list, issue 11) holds.
_TASK_COMPONENTS = {"VTODO", "VTIMEZONE"}
MAX_RRULE_OCCURRENCES = 10000
_DATE_PROPERTIES = ("dtstart", "dtend", "due", "recurrence_id", "exdate", "rdate")


def _charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"')
            try:
                return codecs.lookup(charset).name
            except LookupError:
                return "utf-8"  # refused earlier (guards.charset_refusal)
    return "utf-8"


def _limit_named(year: int, low: int, high: int) -> str:
    return (
        f"limit: [limits] min_year = {low}" if year < low else f"limit: [limits] max_year = {high}"
    )


def _years_refusal(calendar: Any, years: tuple[int, int]) -> Refusal | None:
    """403 CALDAV:min-date-time / max-date-time (RFC 4791 §5.3.2.1) for a date outside the
    accepted years: no provider stores year 1 or 9999, and a write that can never succeed
    must not reach one (it would come back as a provider error, or a retry-later)."""
    low, high = years
    for component in calendar.components():
        for name in _DATE_PROPERTIES:
            for line in component.contents.get(name, []):
                values = line.value if isinstance(line.value, list) else [line.value]
                for value in values:
                    year = getattr(value, "year", None)
                    if isinstance(year, int) and not low <= year <= high:
                        return Refusal(
                            403,
                            f"{name.upper().replace('_', '-')} {value} is outside the "
                            f"accepted years {low}–{high} "
                            f"({_limit_named(year, low, high)}).",
                            (CALDAV, "min-date-time" if year < low else "max-date-time"),
                        )
    return None


def size_refusal(size: int, max_size: int, calendar: bool) -> Refusal:
    """403 with the max-resource-size precondition for a resource of `size` octets."""
    return Refusal(
        403,
        f"The {'calendar object' if calendar else 'vCard'} is {size} bytes, more than the "
        f"{max_size} this {'calendar' if calendar else 'address book'} takes "
        f"(max-resource-size = {max_size}: [limits] resource_bytes, at most [server] "
        "max_content_length).",
        (CALDAV if calendar else CARDDAV, "max-resource-size"),
    )


#: Radicale's log line for an item over its max_resource_size (radicale/app/put.py), which it
#: answers with a bare 412
_OVERSIZE = re.compile(r"^PUT request contains item with UID .* size (\d+) above limit \d+")


def oversize(found: list[str]) -> int | None:
    """The serialised size Radicale refused an item for, if that was its reason."""
    for reason in found:
        match = _OVERSIZE.match(reason)
        if match:
            return int(match.group(1))
    return None


def put_refusal(
    body: bytes,
    content_type: str,
    calendar: bool,
    years: tuple[int, int] = ACCEPTED_YEARS,
    max_size: int | None = None,
    tasks: bool = False,
) -> Refusal | None:
    """None when the body may be stored in a calendar (`calendar`; a task list: `tasks`) or an
    address book, of resources up to `max_size` octets."""
    if max_size is not None and len(body) > max_size:
        return size_refusal(len(body), max_size, calendar)
    namespace = CALDAV if calendar else CARDDAV
    what = "calendar" if calendar else "address"
    valid = (namespace, f"valid-{what}-data")
    media = content_type.split(";")[0].strip().lower()
    accepted = _CALENDAR_TYPES if calendar else _CARD_TYPES
    if media and media not in accepted:
        wanted = "text/calendar (iCalendar)" if calendar else "text/vcard (vCard)"
        return Refusal(
            415,
            f"This {'calendar' if calendar else 'address book'} stores {wanted}, not {media}.",
            (namespace, f"supported-{what}-data"),
        )
    if not body.strip():
        return Refusal(400, "The request body is empty.", valid)
    charset = _charset(content_type)
    try:
        text = body.decode(charset)
    except UnicodeDecodeError as exc:
        return Refusal(400, f"The body is not {charset} text (byte {exc.start}).", valid)
    try:
        components = radicale_item.read_components(text)
    except Exception as exc:  # vobject raises many kinds; all mean "cannot parse"
        return Refusal(400, f"Malformed {'iCalendar' if calendar else 'vCard'} data: {exc}", valid)
    if not components:
        return Refusal(400, "The body holds no component.", valid)
    names = {c.name.upper() for c in components}
    if calendar and names != {"VCALENDAR"}:
        return Refusal(
            400, f"The body is {', '.join(sorted(names))}, not one VCALENDAR object.", valid
        )
    if not calendar and names != {"VCARD"}:
        return Refusal(400, f"The body is {', '.join(sorted(names))}, not a VCARD.", valid)
    if calendar:
        inner = {c.name.upper() for c in components[0].components()}
        unsupported = inner - (_TASK_COMPONENTS if tasks else _CALENDAR_COMPONENTS)
        if unsupported:
            held = "task list holds to-dos (VTODO)" if tasks else "calendar holds events (VEVENT)"
            return Refusal(
                403,
                f"This {held} only, not {', '.join(sorted(unsupported))}.",
                (CALDAV, "supported-calendar-component"),
            )
    if calendar:
        refusal = _years_refusal(components[0], years)
        if refusal is not None:
            return refusal
    try:
        radicale_item.check_and_sanitize_items(
            components,
            MAX_RRULE_OCCURRENCES,
            tag="VCALENDAR" if calendar else "VADDRESSBOOK",
        )
        if len(components) != 1:
            raise ValueError("a resource holds one object")
        radicale_item.Item(collection_path="check/check", vobject_item=components[0]).prepare()
    except OverflowError as exc:
        return Refusal(400, f"A date or duration is out of the representable range: {exc}.", valid)
    except ValueError as exc:
        if str(exc).startswith("Too many recurrence rule entries"):
            return Refusal(
                403,
                f"The series has more than {MAX_RRULE_OCCURRENCES} occurrences, more than "
                f"davbridge accepts in one event (CALDAV:max-instances = {MAX_RRULE_OCCURRENCES}"
                f"): {exc}.",
                (CALDAV, "max-instances"),
            )
        condition = (CALDAV, "valid-calendar-object-resource") if calendar else valid
        return Refusal(403 if calendar else 400, f"Invalid {what} object: {exc}", condition)
    except (AttributeError, TypeError, RuntimeError) as exc:
        condition = (CALDAV, "valid-calendar-object-resource") if calendar else valid
        return Refusal(403 if calendar else 400, f"Invalid {what} object: {exc}", condition)
    return None
