"""To-dos (VTODO, RFC 5545 §3.6.2) as the task providers see them: one neutral `Todo` read from
a client's VCALENDAR and rendered back as the text a task list serves (issue 11).

What it does: `todo_resource(text)` checks a client's body is one calendar object resource of
a to-do (RFC 4791 §4.1: one VTODO, VTIMEZONEs aside, with a UID) and returns its UID;
`read_todo(text)` gives the fields every task provider maps (title, notes, status and
completion, due, start, priority, categories, the RRULE, one reminder instant); `render_todo`
builds the deterministic VCALENDAR text of a provider's task from them. Times are rendered in
UTC (a DUE given with a TZID comes back as the same instant); a date-only DUE stays a DATE.
CREATED is not rendered: a to-do without DTSTART and DUE is matched by time-range queries on
its CREATED (RFC 4791 §9.9), and the provider's creation time is not what the client wrote.
What it must not do: I/O, or know any provider's wire format (the providers map `Todo`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from icalendar import Alarm, Calendar, Component, vRecur
from icalendar import Todo as VTodo

from bridge.errors import BadInput
from bridge.ical.resource import parse_vcalendar

PRODID = "-//davbridge//tasks//EN"
STATUSES = ("NEEDS-ACTION", "IN-PROCESS", "COMPLETED", "CANCELLED")
_ONCE = ("UID", "DTSTART", "DUE", "DURATION", "COMPLETED", "SUMMARY", "DESCRIPTION", "STATUS")

When = dt.date | dt.datetime  # a DATE, or an aware UTC datetime


@dataclass(frozen=True)
class Todo:
    """The fields of one VTODO that task providers hold (the rest travels in the overlay)."""

    uid: str
    summary: str = ""
    description: str = ""
    status: str = "NEEDS-ACTION"  # one of STATUSES
    completed: dt.datetime | None = None  # aware UTC
    percent: int | None = None
    due: When | None = None
    start: When | None = None
    priority: int = 0  # 0 undefined, 1 highest … 9 lowest (RFC 5545 §3.8.1.9)
    categories: tuple[str, ...] = ()
    rrule: dict[str, list[Any]] | None = None  # icalendar's vRecur mapping
    reminder: dt.datetime | None = None  # aware UTC: the first VALARM's trigger instant
    stamp: dt.datetime | None = None  # the provider's last change (DTSTAMP / LAST-MODIFIED)

    @property
    def done(self) -> bool:
        return self.status == "COMPLETED"


def _parse(text: str) -> Component:
    return parse_vcalendar(text, "one VTODO")


def _todos(calendar: Component) -> list[Component]:
    others = sorted(
        {str(c.name) for c in calendar.subcomponents if c.name not in ("VTODO", "VTIMEZONE")}
    )
    if others:
        raise BadInput(f"this task list holds to-dos (VTODO) only: {', '.join(others)} is not")
    todos = [c for c in calendar.subcomponents if c.name == "VTODO"]
    if not todos:
        raise BadInput("the calendar object contains no VTODO")
    return todos


def todo_resource(text: str) -> str:
    """The UID of a client's to-do resource; BadInput saying what is wrong otherwise."""
    todos = _todos(_parse(text))
    uids = sorted({str(t.get("UID") or "").strip() for t in todos})
    if "" in uids:
        raise BadInput("a VTODO has no UID")
    if len(uids) > 1:
        raise BadInput(
            f"the calendar object holds several UIDs ({', '.join(uids)}); "
            "put each to-do in its own resource (RFC 4791 §4.1)"
        )
    for todo in todos:
        for name, message in getattr(todo, "errors", []):
            raise BadInput(f"{name} is invalid: {message}")
        for name in _ONCE:
            if isinstance(todo.get(name), list):
                raise BadInput(f"{name} appears more than once in one VTODO")
    return uids[0]


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:  # floating: read as UTC (task providers keep no zone of their own)
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _when(todo: Component, name: str) -> When | None:
    prop: Any = todo.get(name)
    value = getattr(prop, "dt", None)
    if isinstance(value, dt.datetime):
        return _utc(value)
    if isinstance(value, dt.date):
        return value
    return None


def _reminder(todo: Component, due: When | None, start: When | None) -> dt.datetime | None:
    """The first VALARM's trigger as an instant: absolute, or relative to DUE (RFC 5545
    §3.8.6.3: RELATED=START is relative to DTSTART)."""
    for alarm in todo.subcomponents:
        if alarm.name != "VALARM":
            continue
        trigger: Any = alarm.get("TRIGGER")
        value = getattr(trigger, "dt", None)
        if isinstance(value, dt.datetime):
            return _utc(value)
        if isinstance(value, dt.timedelta):
            related = str(trigger.params.get("RELATED", "START")).upper()
            base = start if related == "START" and start is not None else due
            if related == "START" and start is None:
                base = due  # a to-do without DTSTART: DUE is the only anchor it has
            if base is None:
                continue
            if not isinstance(base, dt.datetime):
                base = dt.datetime.combine(base, dt.time(), dt.UTC)
            return base + value
    return None


def read_todo(text: str) -> Todo:
    """The master VTODO of a client's resource as a Todo (BadInput when it is not one)."""
    todos = _todos(_parse(text))
    master = next((t for t in todos if t.get("RECURRENCE-ID") is None), todos[0])
    status = str(master.get("STATUS") or "NEEDS-ACTION").upper()
    completed_value = _when(master, "COMPLETED")
    completed = completed_value if isinstance(completed_value, dt.datetime) else None
    if completed is not None and status not in ("COMPLETED", "CANCELLED"):
        status = "COMPLETED"  # RFC 5545 §3.8.2.1: COMPLETED says when it was done
    if status not in STATUSES:
        status = "NEEDS-ACTION"
    percent_prop = master.get("PERCENT-COMPLETE")
    percent = int(percent_prop) if percent_prop is not None else None
    if percent == 100 and status == "NEEDS-ACTION":
        status = "COMPLETED"
    priority_prop = master.get("PRIORITY")
    categories: list[str] = []
    raw = master.get("CATEGORIES")
    for prop in raw if isinstance(raw, list) else [raw] if raw is not None else []:
        categories.extend(str(c) for c in getattr(prop, "cats", []) if str(c).strip())
    rrule = master.get("RRULE")
    due, start = _when(master, "DUE"), _when(master, "DTSTART")
    return Todo(
        uid=str(master.get("UID") or "").strip(),
        summary=str(master.get("SUMMARY") or ""),
        description=str(master.get("DESCRIPTION") or ""),
        status=status,
        completed=completed,
        percent=percent,
        due=due,
        start=start,
        priority=int(priority_prop) if priority_prop is not None else 0,
        categories=tuple(categories),
        rrule=dict(rrule) if rrule is not None else None,
        reminder=_reminder(master, due, start),
    )


def render_todo(todo: Todo) -> str:
    """The VCALENDAR text of a provider's task: deterministic for the same fields."""
    cal = Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    vtodo = VTodo()
    vtodo.add("UID", todo.uid)
    vtodo.add("DTSTAMP", todo.stamp or dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    if todo.stamp is not None:
        vtodo.add("LAST-MODIFIED", todo.stamp)
    if todo.start is not None:
        vtodo.add("DTSTART", todo.start)
    if todo.due is not None:
        vtodo.add("DUE", todo.due)
    vtodo.add("SUMMARY", todo.summary)
    if todo.description:
        vtodo.add("DESCRIPTION", todo.description)
    vtodo.add("STATUS", todo.status)
    if todo.completed is not None:
        vtodo.add("COMPLETED", todo.completed)
    if todo.percent is not None:
        vtodo.add("PERCENT-COMPLETE", todo.percent)
    if todo.priority:
        vtodo.add("PRIORITY", todo.priority)
    if todo.categories:
        vtodo.add("CATEGORIES", list(todo.categories))
    if todo.rrule:
        vtodo.add("RRULE", vRecur(todo.rrule))
    if todo.reminder is not None:
        alarm = Alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("DESCRIPTION", todo.summary or "Reminder")
        alarm.add("TRIGGER", todo.reminder, parameters={"VALUE": "DATE-TIME"})
        vtodo.add_component(alarm)
    cal.add_component(vtodo)
    return str(cal.to_ical().decode("utf-8"))
