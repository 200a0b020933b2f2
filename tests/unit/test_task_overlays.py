"""What the bridge keeps of a to-do a provider cannot hold (bridge/ical/todo_times.py, issue
11): Google Tasks keeps a due date without its time and no start or recurrence; a client reads
back the times it wrote until the due date is changed at the provider."""

from __future__ import annotations

from bridge.ical.todo import read_todo, render_todo
from bridge.ical.todo_times import kept_times, with_times
from bridge.providers.google.tasks import task_to_todo, todo_to_task

CLIENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:abc\r\n"
    "DTSTAMP:20240101T000000Z\r\nSUMMARY:Buy milk\r\n"
    "DTSTART;TZID=Europe/Berlin:20260108T120000\r\nDUE;TZID=Europe/Berlin:20260110T120000\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=3\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
)


def _google(body: dict[str, object]) -> str:
    return render_todo(task_to_todo({**body, "id": "g1", "updated": "2026-01-01T00:00:00.000Z"}))


def test_times_google_cannot_hold_come_back_in_utc() -> None:
    held = _google(todo_to_task(read_todo(CLIENT)))
    assert "DUE;VALUE=DATE:20260110" in held and "DTSTART" not in held
    served = read_todo(with_times(held, kept_times(CLIENT)))
    assert served.due is not None and served.due.isoformat() == "2026-01-10T11:00:00+00:00"
    assert served.start is not None and served.start.isoformat() == "2026-01-08T11:00:00+00:00"
    assert served.rrule == {"FREQ": ["WEEKLY"], "COUNT": [3]}


def test_a_due_date_changed_at_the_provider_wins_over_the_kept_times() -> None:
    body = todo_to_task(read_todo(CLIENT))
    moved = _google({**body, "due": "2026-01-12T00:00:00.000Z"})
    served = read_todo(with_times(moved, kept_times(CLIENT)))
    assert served.due is not None and served.due.isoformat() == "2026-01-12"
    assert served.start is None
