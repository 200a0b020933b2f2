"""The times of a to-do a provider keeps only as days, or not at all (issue 11): Google Tasks
keeps a due date without its time and no start or recurrence; Exchange keeps due and start as
days. What the bridge keeps of the client's DTSTART, DUE and RRULE, and how it is put back.

What it does: `kept_times(text)` takes the client's DTSTART, DUE and RRULE of the to-do's
master as lines (times in UTC or as dates) with the day its DUE falls on, as a JSON-ready
dict; `with_times(text, kept)` puts them into a provider's rendering (replacing the provider's
own lines of those names) while the provider's due day is still that day — a due date changed
at the provider wins, and the client's times go.
What it must not do: I/O, or know where the kept times are stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from icalendar import vDDDTypes, vRecur

from bridge.errors import BadInput
from bridge.ical.contentlines import fold, unfold
from bridge.ical.todo import When, read_todo

_TIMES = ("DTSTART", "DUE", "RRULE")


def _line(name: str, value: When) -> str:
    text = vDDDTypes(value).to_ical().decode()
    return f"{name};VALUE=DATE:{text}" if not isinstance(value, dt.datetime) else f"{name}:{text}"


def _day(value: When | None) -> str:
    if value is None:
        return ""
    return (value.date() if isinstance(value, dt.datetime) else value).isoformat()


def kept_times(text: str) -> dict[str, Any]:
    """The client's DTSTART, DUE, RRULE as lines, and the day its DUE falls on (the guard)."""
    try:
        todo = read_todo(text)
    except BadInput:
        return {}
    lines = {}
    if todo.start is not None:
        lines["DTSTART"] = _line("DTSTART", todo.start)
    if todo.due is not None:
        lines["DUE"] = _line("DUE", todo.due)
    if todo.rrule:
        rule = vRecur(todo.rrule).to_ical()  # type: ignore[no-untyped-call]
        lines["RRULE"] = "RRULE:" + rule.decode()
    return {"lines": lines, "due": _day(todo.due)} if lines else {}


def with_times(text: str, kept: dict[str, Any]) -> str:
    """`text` with the kept time lines in its VTODO (replacing the provider's own of the same
    names), when the provider's due day is still the one they were written with."""
    lines: dict[str, str] = dict(kept.get("lines") or {})
    try:
        provider_due = _day(read_todo(text).due)
    except BadInput:
        return text
    if not lines or provider_due != str(kept.get("due") or ""):
        return text
    out: list[str] = []
    depth = 0  # inside the VTODO (1) or one of its sub-components (2)
    for line in unfold(text):
        upper = line.upper()
        name = upper.split(":", 1)[0].split(";", 1)[0]
        if upper == "BEGIN:VTODO":
            depth = 1
            out.append(line)
            out.extend(lines[n] for n in _TIMES if n in lines)
            continue
        if depth == 1 and upper.startswith("BEGIN:"):
            depth = 2
        elif depth == 2 and upper.startswith("END:") and upper != "END:VTODO":
            depth = 1
        elif upper == "END:VTODO":
            depth = 0
        if depth == 1 and name in lines:
            continue  # the provider's own, replaced
        out.append(line)
    return "\r\n".join(fold(line) for line in out) + "\r\n"
