"""Whether two iCalendar texts say the same thing, property by property (RFC 5545 §3.1).

Used by the write path to recognise a client PUT that changes nothing the provider holds (the
client re-serialised the resource, re-folded lines, reordered parameters or properties): such a
PUT needs no provider call, so it can neither lose a change made at the provider meanwhile nor
disturb a value the bridge could not serve as it is (a redacted host start link). DTSTAMP is
ignored (RFC 5545 §3.8.7.2: it records when the object was serialised, not what it says), and so
are VTIMEZONE bodies (providers keep the zone name only; the bridge rebuilds the definition).

Must not do I/O.
"""

from __future__ import annotations

import icalendar

_IGNORED = frozenset({"DTSTAMP", "PRODID"})
# VTIMEZONE bodies are rebuilt by the bridge from each TZID; a provider keeps only the zone name
# (and vobject shortens their comma-separated RDATE lists), so they never count as content.
_REGENERATED = frozenset({"VTIMEZONE"})  # PRODID: which program wrote the text

Prop = tuple[str, tuple[tuple[str, str], ...], str]
Signature = tuple[str, tuple[Prop, ...], tuple[object, ...]]


def _value(value: object) -> str:
    raw = value.to_ical() if hasattr(value, "to_ical") else str(value)
    return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)


def _signature(component: icalendar.cal.Component) -> Signature:
    props: list[Prop] = []
    for name, value in component.property_items(recursive=False, sorted=False):
        if name in _IGNORED or name in ("BEGIN", "END"):
            continue
        params = tuple(
            sorted((str(k).upper(), str(v)) for k, v in getattr(value, "params", {}).items())
        )
        props.append((name, params, _value(value)))
    children = tuple(
        sorted(
            (_signature(c) for c in component.subcomponents if c.name not in _REGENERATED),
            key=repr,
        )
    )
    return (str(component.name), tuple(sorted(props)), children)


def _lines(text: str) -> list[str]:
    """Unfolded content lines (RFC 5545 §3.1), blank lines dropped."""
    out: list[str] = []
    for physical in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if physical[:1] in (" ", "\t") and out:
            out[-1] += physical[1:]
        elif physical.strip():
            out.append(physical)
    return out


def _quick(text: str) -> list[str]:
    """A cheap canonical form: unfolded lines, DTSTAMP/PRODID dropped, sorted per component."""
    out: list[str] = []
    block: list[str] = []
    for line in _lines(text):
        name = line.split(";", 1)[0].split(":", 1)[0].upper()
        if name in _IGNORED:
            continue
        if name in ("BEGIN", "END"):
            out.extend(sorted(block))
            block = []
            out.append(line.upper())
        else:
            block.append(line)
    out.extend(sorted(block))
    return out


def same_content(a: str, b: str) -> bool:
    """True when `a` and `b` hold the same components, properties, parameters and values."""
    if a == b or _quick(a) == _quick(b):
        return True
    try:
        first = icalendar.Calendar.from_ical(a)
        second = icalendar.Calendar.from_ical(b)
    except (ValueError, IndexError, KeyError):
        return False
    return _signature(first) == _signature(second)
