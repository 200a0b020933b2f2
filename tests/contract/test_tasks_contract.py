# ruff: noqa: F811  (sandbox fixtures are imported so that the fixtures can request them)
"""The TasksProvider contract (issue 11): one scenario, run for Microsoft To Do (Graph), Google
Tasks and Exchange task folders (EWS) against their sandboxes — lists with one default, a to-do
created from VTODO text and listed by the first pull, a completion seen by the incremental pull,
a stale version refused, a deletion reported as removed."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from icalendar import Calendar

from bridge.errors import PreconditionFailed
from bridge.ical.todo import read_todo
from bridge.providers.base import TasksProvider
from tests.contract import ews_harness as ews
from tests.contract.ews_harness import ews_sandbox  # noqa: F401
from tests.contract.google_harness import (  # noqa: F401
    gh_fixture,
    google_control_fixture,
    google_sandbox_fixture,
)

TODO = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//contract//EN\r\nBEGIN:VTODO\r\n"
    "UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:{summary}\r\nDESCRIPTION:by Friday\r\n"
    "DUE;VALUE=DATE:20260220\r\nSTATUS:{status}\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture(params=["graph", "google", "ews"])
def tasks(request: pytest.FixtureRequest) -> Iterator[TasksProvider]:
    if request.param == "ews":
        _, info = request.getfixturevalue("ews_sandbox")
        with ews.fresh_harness(info, "NTLM") as h:
            provider: object = h.provider()
            assert isinstance(provider, TasksProvider)
            yield provider
        return
    harness = request.getfixturevalue("harness" if request.param == "graph" else "gh")
    provider = harness.provider()
    assert isinstance(provider, TasksProvider)
    yield provider


def _summary(ical: str) -> str:
    return str(Calendar.from_ical(ical).walk("VTODO")[0]["SUMMARY"])


def test_task_list_lifecycle_through_the_provider(tasks: TasksProvider) -> None:
    lists = tasks.list_task_lists()
    assert sum(1 for t in lists if t.is_default) == 1

    made = tasks.create_task_list(f"Chores {uuid.uuid4().hex[:6]}")
    assert made.remote_id in {t.remote_id for t in tasks.list_task_lists()}
    first = tasks.pull_tasks(made.remote_id, None)
    assert first.reset and not first.items

    uid = str(uuid.uuid4())
    created = tasks.create_task(
        made.remote_id, TODO.format(uid=uid, summary="Sweep", status="NEEDS-ACTION"), "k1"
    )
    todo = read_todo(created.ical)
    assert (todo.summary, todo.description, todo.due) == (
        "Sweep",
        "by Friday",
        dt.date(2026, 2, 20),
    )
    assert todo.status == "NEEDS-ACTION"

    listed = tasks.pull_tasks(made.remote_id, first.cursor)
    assert [i.remote_id for i in listed.items] == [created.remote_id]

    with pytest.raises(PreconditionFailed):  # a stale version writes nothing
        tasks.update_task(
            made.remote_id,
            created.remote_id,
            created.version + "x",
            TODO.format(uid=uid, summary="Sweep twice", status="NEEDS-ACTION"),
        )
    done = tasks.update_task(
        made.remote_id,
        created.remote_id,
        created.version,
        TODO.format(uid=uid, summary="Sweep", status="COMPLETED"),
    )
    assert read_todo(done.ical).status == "COMPLETED"
    assert read_todo(done.ical).completed is not None

    changed = tasks.pull_tasks(made.remote_id, listed.cursor)
    found: dict[str, Any] = {i.remote_id: i for i in changed.items}
    assert "STATUS:COMPLETED" in found[created.remote_id].ical
    assert _summary(found[created.remote_id].ical) == "Sweep"

    tasks.delete_task(made.remote_id, created.remote_id, None)
    gone = tasks.pull_tasks(made.remote_id, changed.cursor)
    assert created.remote_id in gone.removed
    assert tasks.fetch_task(made.remote_id, created.remote_id) is None

    tasks.delete_task_list(made.remote_id)
    assert made.remote_id not in {t.remote_id for t in tasks.list_task_lists()}
