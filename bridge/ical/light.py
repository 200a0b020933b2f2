"""A light iCalendar component: the content lines icalendar would write, without its objects.

What it does: `LightComponent` offers the part of icalendar's `Component` API the provider
mappings use (`add`, `get`, `decoded`, `add_component`, `in`), and keeps each property as the
content line icalendar's `to_ical()` would write for it — same value encoding (TEXT escaping,
DATE / DATE-TIME with TZID, URI and CAL-ADDRESS verbatim, X- names as UNKNOWN), same parameter
quoting (icalendar's own `Parameters.to_ical`, cached), same property order (the component's
canonical order, then alphabetical), same folding (`fold`, exact to icalendar's `_foldline`).
Values of other types go through icalendar's own encoder (`Component._encode`), so they are
exact by construction. `light_rendering` assembles the VCALENDAR like
`bridge.providers.common.zones.calendar_rendering` and takes the time range from the
components (bridge.ical.timerange.component_range), never from the text.
What it must not do: write anything icalendar would write differently. What it does not cover
raises `Unsupported`, and the mapping is run again with icalendar (issue 14: the icalendar
path cost a third of a first sync). tests/unit/test_ical_light.py compares the two.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component, Event, Parameters, Timezone, vDDDTypes

from bridge.ical.rendering import Rendering, serialise, shared_text
from bridge.ical.timerange import MAX_TS, MIN_TS, component_range

_UTC_STAMPS = ("DTSTAMP", "CREATED", "LAST-MODIFIED")  # icalendar converts these to UTC
_FACTORY = Event.types_factory
_ALL_TYPES = _FACTORY.all_types
_TEXT, _VERBATIM = "text", "verbatim"


class Unsupported(Exception):
    """The light component does not cover this value: build the item with icalendar."""


class _Held:
    """What `get` returns for a DATE / DATE-TIME property added as a Python value (as
    icalendar's vDDDTypes: `.dt` and `.params`)."""

    __slots__ = ("dt", "params")

    def __init__(self, value: dt.date, params: Mapping[str, str]) -> None:
        self.dt = value
        self.params = dict(params)


def escape_text(text: str) -> str:
    """RFC 5545 §3.3.11 TEXT escaping, as icalendar's vText.to_ical."""
    return (
        text.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
    )


def fold(line: str) -> str:
    """icalendar's `_foldline(line)` (75-octet limit, an escape never split off its
    backslash or caret), fast for ASCII lines."""
    if len(line) < 75 and line.isascii():
        return line
    if not line.isascii():
        from icalendar.parser.content_line import Contentline

        folded = Contentline(line).to_ical()  # type: ignore[no-untyped-call]  # icalendar: unannotated
        return str(folded.decode("utf-8"))
    pieces: list[str] = []
    start, size = 0, len(line)
    while size - start > 74:
        end = start + 74
        if line[end - 1] in "\\^":
            end -= 1
        pieces.append(line[start:end])
        start = end
    pieces.append(line[start:])
    return "\r\n ".join(pieces)


@functools.lru_cache(maxsize=256)
def _kind(name: str, value_param: str | None) -> str | None:
    """How a plain str value of property `name` is written: escaped, verbatim, or (None) by
    icalendar itself."""
    from icalendar import vCalAddress, vText, vUnknown, vUri

    klass = _FACTORY.for_property(name, value_param)
    if klass is vText:
        return _TEXT
    if klass in (vUri, vCalAddress, vUnknown):
        return _VERBATIM
    return None


@functools.lru_cache(maxsize=4096)
def _params_cached(items: tuple[tuple[str, str], ...]) -> str:
    return str(Parameters(dict(items)).to_ical(sorted=True).decode("utf-8"))


def _params_text(params: Mapping[str, Any]) -> str:
    if not params:
        return ""
    try:
        return _params_cached(tuple(sorted(params.items())))
    except TypeError:  # a list-valued parameter: not hashable
        return str(Parameters(dict(params)).to_ical(sorted=True).decode("utf-8"))


@functools.lru_cache(maxsize=256)
def _zone_form(tz: dt.tzinfo) -> tuple[bool, tuple[tuple[str, str], ...]]:
    """(written with Z, parameters) of a DATE-TIME in `tz`, as icalendar's vDDDTypes."""
    probe = vDDDTypes(dt.datetime(2000, 1, 1, tzinfo=tz))
    return probe.to_ical().decode().endswith("Z"), tuple(probe.params.items())


def _merge(base: Iterable[tuple[str, Any]], parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    params = {str(k).upper(): v for k, v in base}
    for key, item in (parameters or {}).items():
        key = str(key).upper()
        if item is None:
            params.pop(key, None)
        else:
            params[key] = item
    return params


def _date_line(
    name: str, value: dt.date, parameters: Mapping[str, Any] | None
) -> tuple[str, dict[str, Any], Any]:
    if isinstance(value, dt.datetime):
        tz = value.tzinfo
        if name in _UTC_STAMPS:
            value = value.replace(tzinfo=dt.UTC) if tz is None else value.astimezone(dt.UTC)
            tz = dt.UTC
        if tz is not dt.UTC and type(tz) is not ZoneInfo:
            raise Unsupported(f"{name}: a date-time in {type(tz).__name__}")
        utc, base = _zone_form(tz)
        text = (
            f"{value.year:04}{value.month:02}{value.day:02}"
            f"T{value.hour:02}{value.minute:02}{value.second:02}"
        )
        params = _merge(base, parameters)
        return text + "Z" if utc else text, params, _Held(value, params)
    params = _merge((("VALUE", "DATE"),), parameters)
    return f"{value.year:04}{value.month:02}{value.day:02}", params, _Held(value, params)


def _icalendar_value(name: str, value: Any, parameters: Mapping[str, Any] | None) -> Any:
    """icalendar's own property value for `add(name, value, parameters)`."""
    params = dict(parameters) if parameters else None
    return Component._encode(name, value, params)  # type: ignore[no-untyped-call]  # unannotated


def _ical_text(value: Any) -> str:
    raw = value.to_ical()
    return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)


def encode(name: str, value: Any, parameters: Mapping[str, Any] | None = None) -> tuple[str, Any]:
    """(unfolded content line, what `get` returns) of `add(name, value, parameters)`."""
    held: Any
    if parameters is None and type(value) is str and _kind(name, None) == _TEXT:
        return f"{name}:{escape_text(value)}", value  # the common case, short-cut
    if type(value) is str:
        kind = _kind(name, (parameters or {}).get("VALUE"))
        if kind is None:
            raise Unsupported(f"{name}: a str value icalendar encodes itself")
        if kind == _TEXT:
            text = escape_text(value)
        elif "\n" in value or "\r" in value:  # icalendar refuses most: let it decide
            raise Unsupported(f"{name}: a line break in a verbatim value")
        else:
            text = value
        params = _merge((), parameters)
        held = value
    elif isinstance(value, dt.date) and not isinstance(value, _ALL_TYPES):
        text, params, held = _date_line(name, value, parameters)
    elif isinstance(value, list):
        if name not in ("CATEGORIES", "EXDATE", "RDATE"):
            raise Unsupported(f"{name}: a list value")
        held = _icalendar_value(name, value, parameters)
        text, params = _ical_text(held), _merge(held.params.items(), None)
    else:
        if isinstance(value, _ALL_TYPES):
            held = value
            params = _merge(getattr(value, "params", {}).items(), parameters)
        else:
            held = _icalendar_value(name, value, parameters)
            params = _merge(getattr(held, "params", {}).items(), None)
        text = _ical_text(held)
    head = _params_text(params)
    return (f"{name};{head}:{text}" if head else f"{name}:{text}"), held


class LightComponent:
    """A VEVENT / VALARM as content lines (see the module docstring)."""

    def __init__(self, name: str, canonical_order: tuple[str, ...] = ()) -> None:
        self.name = name
        self.canonical_order = canonical_order
        self._props: dict[str, list[tuple[str, Any]]] = {}
        self.subcomponents: list[LightComponent] = []

    def add(
        self,
        name: str,
        value: Any,
        parameters: Mapping[str, Any] | None = None,
        encode_value: bool = True,
    ) -> None:
        if not encode_value:
            raise Unsupported(f"{name}: an unencoded value")
        key = name.upper()
        self._props.setdefault(key, []).append(encode(key, value, parameters))

    def get(self, name: str, default: Any = None) -> Any:
        entries = self._props.get(name.upper())
        if not entries:
            return default
        if len(entries) == 1:
            return entries[0][1]
        return [held for _line, held in entries]

    def decoded(self, name: str) -> Any:
        held = self.get(name)
        if held is None:
            raise KeyError(name)
        if isinstance(held, _Held):
            return held.dt
        raise Unsupported(f"decoded({name})")

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.upper() in self._props

    def __getitem__(self, name: str) -> Any:
        raise Unsupported(f"[{name}]")

    def __delitem__(self, name: str) -> None:
        raise Unsupported(f"del [{name}]")

    def add_component(self, component: LightComponent) -> None:
        if not isinstance(component, LightComponent):
            raise Unsupported("an icalendar subcomponent")
        self.subcomponents.append(component)

    def walk(self) -> list[LightComponent]:
        found = [self]
        for sub in self.subcomponents:
            found.extend(sub.walk())
        return found

    def lines(self) -> list[str]:
        """Unfolded content lines, BEGIN to END, in icalendar's order."""
        out = [f"BEGIN:{self.name}"]
        order = {k: i for i, k in enumerate(self.canonical_order)}
        head = sorted((k for k in self._props if k in order), key=order.__getitem__)
        for key in head + sorted(k for k in self._props if k not in order):
            out.extend(line for line, _held in self._props[key])
        for sub in self.subcomponents:
            out.extend(sub.lines())
        out.append(f"END:{self.name}")
        return out


def light_event() -> LightComponent:
    return LightComponent("VEVENT", tuple(Event.canonical_order or ()))


def light_alarm() -> LightComponent:
    from icalendar import Alarm

    return LightComponent("VALARM", tuple(Alarm.canonical_order or ()))


@functools.cache
def _calendar_frame(prodid: str) -> tuple[str, str]:
    """The VCALENDAR's own lines before and after its subcomponents, as icalendar writes them."""
    calendar = Calendar()
    calendar.add("PRODID", prodid)
    calendar.add("VERSION", "2.0")
    text = serialise(calendar)
    cut = text.index("END:VCALENDAR")
    return text[:cut], text[cut:]


def light_rendering(
    components: Iterable[LightComponent], timezones: Iterable[Timezone], prodid: str
) -> Rendering:
    """The VCALENDAR text (PRODID, VERSION, the VTIMEZONEs, the components) and its range."""
    head, tail = _calendar_frame(prodid)
    parts = [head]
    parts.extend(shared_text(tz) for tz in timezones)
    lo: int | None = None
    hi: int | None = None
    for component in components:
        parts.extend(fold(line) + "\r\n" for line in component.lines())
        for part in component.walk():
            if part.name not in ("VEVENT", "VTODO", "VJOURNAL"):
                continue
            start, end = component_range(part)
            lo = start if lo is None else min(lo, start)
            hi = end if hi is None else max(hi, end)
    parts.append(tail)
    span = (MIN_TS, MAX_TS) if lo is None or hi is None else (max(lo, MIN_TS), min(hi, MAX_TS))
    return Rendering("".join(parts), span)
