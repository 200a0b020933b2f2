"""`TasksProvider` for Exchange over EWS (issue 11): task folders served as VTODO calendars.

EWS web-service-reference "Task" and the how-to "Work with tasks by using EWS in Exchange":
tasks are `t:Task` items (exchangelib `Task`) in the distinguished Tasks folder and in folders
whose FolderClass is IPF.Task (CreateFolder of a TasksFolder, as Outlook's "New Task Folder"
does); changes come from SyncFolderItems like calendar items (one SyncState per folder, the
pull cursor), items from GetItem, writes are CreateItem / UpdateItem (a stale ChangeKey is
checked before, as for events) / DeleteItem.
Mapping: SUMMARY⇄Subject, DESCRIPTION⇄Body, STATUS⇄Status (NotStarted, InProgress, Completed;
WaitingOnOthers is read as IN-PROCESS, CANCELLED held as Deferred), PERCENT-COMPLETE⇄
PercentComplete, COMPLETED⇐CompleteDate (read-only: Exchange sets it), DUE⇄DueDate and DTSTART⇄
StartDate (dates: Exchange keeps tasks' dates as days), PRIORITY⇄Importance, CATEGORIES⇄
Categories, the first VALARM⇄ReminderDueBy + ReminderIsSet. The rest travels in the lossless
overlay, in the same extended property as events (overlay_field.py); the client's DTSTART and
DUE times and RRULE, which Exchange keeps as days or not at all, in a second one
(davbridge.tasktimes, bridge.ical.todo_times), served while Exchange's due day is unchanged.
Wire calls only (a mixin over the EWS calendar provider's `account` and `_call`); no store.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from exchangelib import Account
from exchangelib.ewsdatetime import EWSDate, EWSDateTime
from exchangelib.extended_properties import ExtendedProperty
from exchangelib.folders import Tasks as TasksFolder
from exchangelib.items import Task
from exchangelib.properties import Body

from bridge.errors import PreconditionFailed, RemoteNotFound
from bridge.ical import overlay
from bridge.ical.todo import Todo, When, read_todo, render_todo
from bridge.ical.todo_times import kept_times, with_times
from bridge.model import CalendarInfo, PullResult, RemoteItem
from bridge.providers.common.cursor import resume
from bridge.providers.common.retry import RetryPolicy
from bridge.providers.ews import overlay_field
from bridge.providers.ews.collections import hierarchy_lock
from bridge.providers.ews.errors import PULL_POLICY, WRITE_POLICY, translate
from bridge.providers.ews.sync import CURSORS

_STATUS_IN = {
    "NotStarted": "NEEDS-ACTION",
    "InProgress": "IN-PROCESS",
    "Completed": "COMPLETED",
    "WaitingOnOthers": "IN-PROCESS",
    "Deferred": "CANCELLED",
}
_STATUS_OUT = {
    "NEEDS-ACTION": "NotStarted",
    "IN-PROCESS": "InProgress",
    "COMPLETED": "Completed",
    "CANCELLED": "Deferred",
}
_WRITTEN = (
    "subject",
    "body",
    "status",
    "percent_complete",
    "due_date",
    "start_date",
    "importance",
    "categories",
    "reminder_is_set",
    "reminder_due_by",
)
TIMES_FIELD = "davbridge_task_times"
TASK_FIELDS = (
    *_WRITTEN,
    "complete_date",
    "last_modified_time",
    overlay_field.FIELD,
    TIMES_FIELD,
)


class DavbridgeTaskTimes(ExtendedProperty):  # type: ignore[misc]  # exchangelib ships no type information
    """The client's DTSTART / DUE times and RRULE, which Exchange keeps as days or not at all
    (bridge.ical.todo_times), as JSON, in davbridge's property set."""

    property_set_id = overlay_field.PROPERTY_SET
    property_name = "davbridge.tasktimes"
    property_type = "String"


def register() -> None:
    """The overlay and times fields on exchangelib's Task (overlay_field registers events and
    contacts)."""
    for name, cls in (
        (overlay_field.FIELD, overlay_field.DavbridgeOverlay),
        (TIMES_FIELD, DavbridgeTaskTimes),
    ):
        try:
            Task.register(name, cls)
        except ValueError:
            continue  # already registered


def _stored_times(task: Any) -> dict[str, Any]:
    try:
        found = json.loads(str(getattr(task, TIMES_FIELD, None) or "{}"))
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _utc(value: Any) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromtimestamp(aware.timestamp(), dt.UTC).replace(microsecond=0)


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    return None


def task_to_todo(task: Any) -> Todo:
    status = _STATUS_IN.get(str(task.status or "NotStarted"), "NEEDS-ACTION")
    percent = int(task.percent_complete or 0)
    importance = str(task.importance or "Normal")
    return Todo(
        uid=str(task.id or ""),
        summary=str(task.subject or ""),
        description=str(task.body or ""),
        status=status,
        completed=_utc(task.complete_date) if status == "COMPLETED" else None,
        percent=percent if percent or status == "COMPLETED" else None,
        due=_day(task.due_date),
        start=_day(task.start_date),
        priority={"High": 1, "Low": 9}.get(importance, 0),
        categories=tuple(str(c) for c in task.categories or []),
        reminder=_utc(task.reminder_due_by) if task.reminder_is_set else None,
        stamp=_utc(task.last_modified_time),
    )


def _date(value: When | None) -> EWSDate | None:
    day = _day(value)
    return None if day is None else EWSDate(day.year, day.month, day.day)


def _fields(todo: Todo) -> dict[str, Any]:
    """exchangelib Task field values for a to-do (None clears a field)."""
    status = _STATUS_OUT.get(todo.status, "NotStarted")
    percent = 100 if status == "Completed" else 0 if status == "NotStarted" else todo.percent or 0
    importance = "High" if 1 <= todo.priority <= 4 else "Low" if todo.priority >= 6 else "Normal"
    reminder = EWSDateTime.from_datetime(todo.reminder) if todo.reminder is not None else None
    return {
        "subject": todo.summary,
        "body": Body(todo.description) if todo.description else None,
        "status": status,
        "percent_complete": Decimal(percent),
        "due_date": _date(todo.due),
        "start_date": _date(todo.start),
        "importance": importance,
        "categories": list(todo.categories) or None,
        "reminder_is_set": todo.reminder is not None,
        "reminder_due_by": reminder,
    }


class EwsTasks:
    """Task folders of one EWS mailbox (implements bridge.providers.base.TasksProvider)."""

    account: Account
    _call: Callable[[Callable[[], Any], RetryPolicy], Any]
    request_count: int
    _sync_round: Callable[[Any, str | None, type], Any]  # EwsMailbox: SyncFolderItems rounds
    task_overlay_at_provider = True  # the overlay extended property on the task
    _task_folders: dict[str, Any]

    def _tasks_map(self) -> dict[str, Any]:
        if not hasattr(self, "_task_folders"):
            self._task_folders = {}
        return self._task_folders

    def list_task_lists(self) -> list[CalendarInfo]:
        register()
        with hierarchy_lock(self.account):
            self._call(lambda: self.account.root.clear_cache(), PULL_POLICY)
            default = self._call(lambda: self.account.tasks, PULL_POLICY)
            below = self._call(lambda: list(default.walk()), PULL_POLICY)
            folders = [default] + [
                f
                for f in below
                if isinstance(f, TasksFolder) or getattr(f, "folder_class", None) == "IPF.Task"
            ]
            known = self._tasks_map()
            result = []
            for folder in folders:
                known[str(folder.id)] = folder
                result.append(
                    CalendarInfo(
                        remote_id=str(folder.id),
                        display_name=str(folder.name or "Tasks"),
                        is_default=folder is default,
                    )
                )
            return result

    def _task_folder(self, list_id: str) -> Any:
        if list_id not in self._tasks_map():
            self.list_task_lists()
        if list_id not in self._tasks_map():
            raise RemoteNotFound("ews", f"task folder {list_id} does not exist", None, 404)
        return self._tasks_map()[list_id]

    def create_task_list(self, display_name: str) -> CalendarInfo:
        with hierarchy_lock(self.account):
            parent = self._call(lambda: self.account.tasks, WRITE_POLICY)
            folder = TasksFolder(parent=parent, name=display_name)
            self._call(lambda: folder.save(), WRITE_POLICY)
            self._call(lambda: self.account.root.clear_cache(), WRITE_POLICY)
        self._tasks_map()[str(folder.id)] = folder
        return CalendarInfo(str(folder.id), str(folder.name))

    def rename_task_list(self, list_id: str, display_name: str) -> None:
        with hierarchy_lock(self.account):
            folder = self._task_folder(list_id)
            folder.name = display_name
            self._call(lambda: folder.save(update_fields=["name"]), WRITE_POLICY)

    def delete_task_list(self, list_id: str) -> None:
        with hierarchy_lock(self.account):
            try:
                folder = self._task_folder(list_id)
            except RemoteNotFound:
                return
            self._call(lambda: folder.delete(), WRITE_POLICY)
            self._call(lambda: self.account.root.clear_cache(), WRITE_POLICY)
            self._tasks_map().pop(list_id, None)

    # --- pulls -------------------------------------------------------------------------------
    def pull_tasks(self, list_id: str, cursor: str | None) -> PullResult:
        register()
        first = self.request_count
        folder = self._task_folder(list_id)
        done = resume(
            CURSORS.decode(cursor),
            None,
            lambda state: self._sync_round(folder, state, Task),
            lambda: self._sync_round(folder, None, Task),
            f"ews task folder {list_id}",
        )
        upserts, deleted, state = done.value
        fetched = self._tasks_by_id(upserts, folder, PULL_POLICY)
        found = {str(t.id) for t in fetched}
        removed = [*deleted, *(i for i in upserts if i not in found)]
        items = [self._task_item(t) for t in fetched]
        requests = self.request_count - first
        return CURSORS.result(items, removed, state, reset=done.reset, requests=requests)

    def _tasks_by_id(self, ids: Sequence[str], folder: Any, policy: RetryPolicy) -> list[Any]:
        if not ids:
            return []
        wanted = [(i, None) for i in ids]
        results = self._call(
            lambda: list(self.account.fetch(ids=wanted, folder=folder, only_fields=TASK_FIELDS)),
            policy,
        )
        tasks = []
        for result in results:
            if isinstance(result, Exception):
                error = translate(result)
                if isinstance(error, RemoteNotFound):
                    continue
                raise error
            if isinstance(result, Task):
                tasks.append(result)
        return tasks

    def _one_task(self, list_id: str, remote_id: str, policy: RetryPolicy) -> Any:
        found = self._tasks_by_id([remote_id], self._task_folder(list_id), policy)
        if not found:
            raise RemoteNotFound("ews", f"task {remote_id} no longer exists", None, 404)
        return found[0]

    @staticmethod
    def _task_item(task: Any, stored: str | None = None) -> RemoteItem:
        raw = render_todo(task_to_todo(task))
        kept = overlay_field.stored(task) if stored is None else stored
        text, client_uid = overlay.apply(raw, kept)
        text = with_times(text, _stored_times(task))
        return RemoteItem(
            remote_id=str(task.id),
            version=str(task.changekey),
            uid=client_uid or str(task.id),
            ical=text,
        )

    def fetch_task(self, list_id: str, remote_id: str) -> RemoteItem | None:
        try:
            return self._task_item(self._one_task(list_id, remote_id, PULL_POLICY))
        except RemoteNotFound:
            return None

    # --- writes ------------------------------------------------------------------------------
    def create_task(self, list_id: str, ical: str, idempotency_key: str) -> RemoteItem:
        register()
        folder = self._task_folder(list_id)
        fields = {k: v for k, v in _fields(read_todo(ical)).items() if v is not None}
        task = Task(account=self.account, folder=folder, **fields)
        self._call(lambda: task.save(), WRITE_POLICY)
        return self._task_canonical(list_id, str(task.id), ical)

    def update_task(
        self, list_id: str, remote_id: str, version: str | None, ical: str
    ) -> RemoteItem:
        register()
        current = self._one_task(list_id, remote_id, WRITE_POLICY)
        if version is not None and version != str(current.changekey):
            raise PreconditionFailed(
                "ews",
                f"task {remote_id} changed in Exchange since it was read",
                "ErrorIrresolvableConflict",
                412,
            )
        fields = _fields(read_todo(ical))
        if fields["reminder_due_by"] is None:  # required once set: ReminderIsSet false instead
            del fields["reminder_due_by"]
        for name, value in fields.items():
            setattr(current, name, value)
        self._call(lambda: current.save(update_fields=list(fields)), WRITE_POLICY)
        return self._task_canonical(list_id, remote_id, ical)

    def delete_task(self, list_id: str, remote_id: str, version: str | None) -> None:
        try:
            current = self._one_task(list_id, remote_id, WRITE_POLICY)
        except RemoteNotFound:
            return
        self._call(lambda: current.delete(), WRITE_POLICY)

    def _task_canonical(self, list_id: str, remote_id: str, client: str) -> RemoteItem:
        """Exchange's copy after a write, with the overlay of what it could not hold written
        to the task's extended property (only when it changed; C10)."""
        task = self._one_task(list_id, remote_id, WRITE_POLICY)
        stored = overlay_field.stored(task)
        raw = render_todo(task_to_todo(task))
        wanted = overlay.for_write(client, raw, stored=stored or None)
        times = kept_times(client)
        changed = []
        if wanted != stored:
            setattr(task, overlay_field.FIELD, wanted or None)
            changed.append(overlay_field.FIELD)
        if times != _stored_times(task):
            setattr(task, TIMES_FIELD, json.dumps(times, sort_keys=True) if times else None)
            changed.append(TIMES_FIELD)
        if changed:
            self._call(lambda: task.save(update_fields=changed), WRITE_POLICY)
            task = self._one_task(list_id, remote_id, WRITE_POLICY)
        return self._task_item(task, wanted)
