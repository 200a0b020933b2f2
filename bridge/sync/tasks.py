"""Provider task lists as calendars of to-dos (issue 11): what the sync engine and the write
path need to treat a task list (mirrored under "tasks:<list id>", model.TASKS_PREFIX) like an
event calendar.

- `tasks_of(provider)`: the provider's TasksProvider side, or Forbidden with a reason;
- `TaskCalendar`: a TasksProvider seen through the CalendarProvider calls the engine and the
  write path make (pull/fetch/create/update/delete of one collection), so pulls, cursors,
  write-through and the mirror are shared with events; task lists have no time window; for a
  provider with no place for the overlay the bridge keeps it (task_overlays.py);
- `task_list_entries(...)`: a connection's task lists as calendar listing entries (ids with
  the prefix, labelled like calendars: "Tasks — Microsoft 365"). An account that did not grant
  the tasks permission, or a provider fault, keeps the task lists already mirrored as they are.
Must not import radicale or any concrete provider.
"""

from __future__ import annotations

import logging
from dataclasses import replace

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
from bridge.store import Store
from bridge.sync.task_overlays import KeptOverlays

log = logging.getLogger("davbridge.sync")


def tasks_of(provider: object) -> TasksProvider:
    if not isinstance(provider, TasksProvider):
        raise Forbidden("This service's task lists cannot be reached through the bridge.")
    return provider


def list_id(calendar_id: str) -> str:
    """The provider's task list id of a mirrored task list's remote id."""
    return calendar_id.removeprefix(TASKS_PREFIX)


class TaskCalendar:
    """A TasksProvider behind the CalendarProvider calls of one collection (see the module);
    `kept`: the bridge keeps the overlay (a provider without a place for it)."""

    def __init__(
        self, calendars: CalendarProvider, tasks: TasksProvider, kept: KeptOverlays | None = None
    ) -> None:
        self._calendars = calendars
        self._tasks = tasks
        self._kept = kept
        self.kind: ProviderKind = calendars.kind

    @property
    def account_email(self) -> str:
        return self._calendars.account_email

    def list_calendars(self) -> list[CalendarInfo]:
        return self._tasks.list_task_lists()

    def pull(self, calendar_id: str, cursor: str | None, window: SyncWindow) -> PullResult:
        result = self._tasks.pull_tasks(list_id(calendar_id), cursor)
        if self._kept is None:
            return result
        for gone in result.removed:
            self._kept.forget(gone)
        return replace(result, items=tuple(self._kept.applied(i) for i in result.items))

    def fetch(self, calendar_id: str, remote_id: str, window: SyncWindow) -> RemoteItem | None:
        item = self._tasks.fetch_task(list_id(calendar_id), remote_id)
        return item if item is None or self._kept is None else self._kept.applied(item)

    def create(
        self, calendar_id: str, ical: str, idempotency_key: str, window: SyncWindow
    ) -> RemoteItem:
        item = self._tasks.create_task(list_id(calendar_id), ical, idempotency_key)
        return item if self._kept is None else self._kept.remember(ical, item)

    def update(
        self, calendar_id: str, remote_id: str, version: str | None, ical: str, window: SyncWindow
    ) -> RemoteItem:
        item = self._tasks.update_task(list_id(calendar_id), remote_id, version, ical)
        return item if self._kept is None else self._kept.remember(ical, item)

    def delete(self, calendar_id: str, remote_id: str, version: str | None) -> None:
        self._tasks.delete_task(list_id(calendar_id), remote_id, version)
        if self._kept is not None:
            self._kept.forget(remote_id)


def source_for(
    provider: CalendarProvider, coll: CollectionRecord, store: Store
) -> CalendarProvider:
    """What pulls and writes of `coll` go through: the provider, or its task lists."""
    if not coll.holds_tasks:
        return provider
    tasks = tasks_of(provider)
    kept = None if tasks.task_overlay_at_provider else KeptOverlays(store, coll.id)
    return TaskCalendar(provider, tasks, kept)


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
