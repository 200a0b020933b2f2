"""Microsoft To Do tasks (Graph todoTask) ⇄ VTODO (issue 11).

Graph docs: "To Do tasks API overview" (https://learn.microsoft.com/en-us/graph/api/resources/
todo-overview) and the todoTask resource type (https://learn.microsoft.com/en-us/graph/api/
resources/todotask): title, body (itemBody), status (notStarted, inProgress, completed,
waitingOnOthers, deferred), importance (low, normal, high), completedDateTime, dueDateTime,
startDateTime and reminderDateTime (dateTimeTimeZone), isReminderOn, categories, recurrence
(patternedRecurrence, the one events use), createdDateTime, lastModifiedDateTime.

The mapping: SUMMARY⇄title, DESCRIPTION⇄body (text), STATUS/COMPLETED⇄status and
completedDateTime (CANCELLED is held as "deferred"; the overlay gives the client its own
STATUS back), DUE⇄dueDateTime, DTSTART⇄startDateTime, PRIORITY⇄importance (1–4 high, 5 or none
normal, 6–9 low), CATEGORIES⇄categories, RRULE⇄recurrence (To Do repeats tasks with a due date; the pattern's
days come from DTSTART, else DUE, as an RRULE repeats them; a rule Graph cannot hold is lost), the first VALARM⇄reminderDateTime + isReminderOn.
Times are sent in UTC; a due or start at midnight UTC is read back as a DATE (To Do's due
dates are days). What To Do has no field for travels in the lossless overlay (todo.py keeps it).
No I/O here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bridge.errors import BadInput
from bridge.ical.todo import Todo, When
from bridge.providers.common.outlook_recurrence import pattern_to_rrule, rrule_to_recurrence

_STATUS_IN = {
    "notstarted": "NEEDS-ACTION",
    "inprogress": "IN-PROCESS",
    "completed": "COMPLETED",
    "waitingonothers": "IN-PROCESS",
    "deferred": "CANCELLED",
}
_STATUS_OUT = {
    "NEEDS-ACTION": "notStarted",
    "IN-PROCESS": "inProgress",
    "COMPLETED": "completed",
    "CANCELLED": "deferred",
}


def _read_time(value: Any) -> dt.datetime | None:
    """A dateTimeTimeZone as an aware UTC datetime (the bridge writes UTC; other zone names are
    read as UTC too, Graph converting on request with the Prefer outlook.timezone header)."""
    if not isinstance(value, dict) or not value.get("dateTime"):
        return None
    text = str(value["dateTime"]).rstrip("Z")
    if "." in text:
        head, _, frac = text.partition(".")
        text = f"{head}.{frac[:6]}"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def _read_day(value: Any) -> When | None:
    found = _read_time(value)
    if found is not None and found.time() == dt.time(0, 0):
        return found.date()
    return found


def _write_time(value: When | None) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(), dt.UTC)
    return {
        "dateTime": value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000"),
        "timeZone": "UTC",
    }


def _iso(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    parsed = parsed.replace(microsecond=0)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _priority(importance: str) -> int:
    return {"high": 1, "low": 9}.get(importance.lower(), 0)


def _importance(priority: int) -> str:
    if 1 <= priority <= 4:
        return "high"
    if priority >= 6:
        return "low"
    return "normal"


def task_to_todo(task: dict[str, Any]) -> Todo:
    """The Todo Graph holds for one todoTask (the UID is the task id; the overlay restores the
    client's own)."""
    status = _STATUS_IN.get(str(task.get("status") or "notStarted").lower(), "NEEDS-ACTION")
    body = task.get("body") or {}
    description = str(body.get("content") or "") if isinstance(body, dict) else ""
    due = _read_day(task.get("dueDateTime"))
    start = _read_day(task.get("startDateTime"))
    rrule = None
    recurrence = task.get("recurrence")
    if isinstance(recurrence, dict) and recurrence.get("pattern"):
        anchor = start or due  # an RRULE repeats DTSTART, else DUE (RFC 5545 §3.8.5.3)
        start_date = (recurrence.get("range") or {}).get("startDate")
        if anchor is None and start_date:
            anchor = dt.date.fromisoformat(str(start_date))
        if anchor is not None:
            found = pattern_to_rrule(recurrence, anchor)
            rrule = dict(found) if found is not None else None
    completed = _read_time(task.get("completedDateTime")) if status == "COMPLETED" else None
    return Todo(
        uid=str(task.get("id") or ""),
        summary=str(task.get("title") or ""),
        description=description.replace("\r\n", "\n"),
        status=status,
        completed=completed,
        percent=100 if status == "COMPLETED" else None,
        due=due,
        start=start,
        priority=_priority(str(task.get("importance") or "normal")),
        categories=tuple(str(c) for c in task.get("categories") or []),
        rrule=rrule,
        reminder=_read_time(task.get("reminderDateTime")) if task.get("isReminderOn") else None,
        stamp=_iso(task.get("lastModifiedDateTime")),
    )


def todo_to_task(todo: Todo) -> dict[str, Any]:
    """The todoTask body of a create or a whole update (cleared fields are sent as null)."""
    completed = todo.completed
    if todo.status == "COMPLETED" and completed is None:
        completed = todo.stamp or dt.datetime.now(dt.UTC).replace(microsecond=0)
    body: dict[str, Any] = {
        "title": todo.summary,
        "body": {"content": todo.description, "contentType": "text"},
        "status": _STATUS_OUT.get(todo.status, "notStarted"),
        "importance": _importance(todo.priority),
        "categories": list(todo.categories),
        "dueDateTime": _write_time(todo.due),
        "startDateTime": _write_time(todo.start),
        "completedDateTime": _write_time(completed) if todo.status == "COMPLETED" else None,
        "isReminderOn": todo.reminder is not None,
        "reminderDateTime": _write_time(todo.reminder),
        "recurrence": None,
    }
    if todo.rrule and todo.due is not None:  # To Do repeats tasks that have a due date
        anchor = todo.start or todo.due
        try:  # a rule Graph cannot hold is left out: the task is saved without recurrence
            recurrence = rrule_to_recurrence(todo.rrule, anchor, "UTC")
        except BadInput:
            recurrence = None
        body["recurrence"] = recurrence
    return body
