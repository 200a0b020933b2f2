"""Provider task lists as calendars of to-dos (issue 11): what the sync engine and the write
path need to treat a task list (mirrored under "tasks:<list id>", model.TASKS_PREFIX) like an
event calendar.

- `tasks_of(provider)`: the provider's TasksProvider side, or Forbidden with a reason;
- `TaskCalendar`: a TasksProvider seen through the CalendarProvider calls the engine and the
  write path make (pull/fetch/create/update/delete of one collection), so pulls, cursors,
  write-through and the mirror are shared with events; task lists have no time window;
- `task_list_entries(...)`: a connection's task lists as calendar listing entries (ids with
  the prefix, labelled like calendars: "Tasks — Microsoft 365"). An account that did not grant
  the tasks permission, or a provider fault, keeps the task lists already mirrored as they are.
Must not import radicale or any concrete provider.
"""

from __future__ import annotations

import logging

from bridge.errors import AuthExpired, BridgeError, Forbidden
from bridge.model import (
    TASKS_PREFIX,
    CalendarInfo,
    CollectionRecord,
    ProviderKind,
    PullResult,
    RemoteItem,
    SyncWindow,
)
from bridge.providers.base import CalendarProvider, TasksProvider

log = logging.getLogger("davbridge.sync")


def tasks_of(provider: object) -> TasksProvider:
    if not isinstance(provider, TasksProvider):
        raise Forbidden("This service's task lists cannot be reached through the bridge.")
    return provider


def list_id(calendar_id: str) -> str:
    """The provider's task list id of a mirrored task list's remote id."""
    return calendar_id.removeprefix(TASKS_PREFIX)


class TaskCalendar:
    """A TasksProvider behind the CalendarProvider calls of one collection (see the module)."""

    def __init__(self, calendars: CalendarProvider, tasks: TasksProvider) -> None:
        self._calendars = calendars
        self._tasks = tasks
        self.kind: ProviderKind = calendars.kind

    @property
    def account_email(self) -> str:
        return self._calendars.account_email

    def list_calendars(self) -> list[CalendarInfo]:
        return self._tasks.list_task_lists()

    def pull(self, calendar_id: str, cursor: str | None, window: SyncWindow) -> PullResult:
        return self._tasks.pull_tasks(list_id(calendar_id), cursor)

    def fetch(self, calendar_id: str, remote_id: str, window: SyncWindow) -> RemoteItem | None:
        return self._tasks.fetch_task(list_id(calendar_id), remote_id)

    def create(
        self, calendar_id: str, ical: str, idempotency_key: str, window: SyncWindow
    ) -> RemoteItem:
        return self._tasks.create_task(list_id(calendar_id), ical, idempotency_key)

    def update(
        self, calendar_id: str, remote_id: str, version: str | None, ical: str, window: SyncWindow
    ) -> RemoteItem:
        return self._tasks.update_task(list_id(calendar_id), remote_id, version, ical)

    def delete(self, calendar_id: str, remote_id: str, version: str | None) -> None:
        self._tasks.delete_task(list_id(calendar_id), remote_id, version)


def source_for(provider: CalendarProvider, coll: CollectionRecord) -> CalendarProvider:
    """What pulls and writes of `coll` go through: the provider, or its task lists."""
    if coll.holds_tasks:
        return TaskCalendar(provider, tasks_of(provider))
    return provider


def task_lists(provider: CalendarProvider) -> list[CalendarInfo] | None:
    """The provider's task lists with mirrored ids ("tasks:<id>"); None when they cannot be
    listed now (no tasks permission, a fault: the mirror keeps what it has)."""
    if not isinstance(provider, TasksProvider):
        return []
    try:
        found = provider.list_task_lists()
    except AuthExpired:
        raise
    except BridgeError as exc:
        log.info("task lists not listed (%s): %s", type(exc).__name__, exc.message)
        return None
    return [
        CalendarInfo(
            remote_id=TASKS_PREFIX + info.remote_id,
            display_name=info.display_name,
            color=info.color,
            read_only=info.read_only,
            is_default=info.is_default,
        )
        for info in found
    ]
