"""`TasksProvider` for Google Tasks API v1 (issue 11; https://developers.google.com/tasks/reference/rest),
through google-api-python-client's `tasks` service (the bundled discovery document).

- lists: tasklists.list / insert / patch / delete; the default list is the one "@default"
  names (tasklists.get) — the bridge never deletes it;
- tasks: tasks.list / get / insert / patch / delete, versioned by `etag` (the API takes no
  If-Match: a conditional write compares the current etag first);
- changes: Google Tasks has no sync token. A pull is tasks.list with showCompleted,
  showHidden and — after the first — `updatedMin` (the latest `updated` time seen so far, an
  inclusive bound: the newest task is listed again, which changes nothing) with showDeleted,
  so deleted tasks come back flagged `deleted` and leave the mirror. The cursor keeps that time.
- mapping: title⇄SUMMARY, notes⇄DESCRIPTION, status needsAction/completed and `completed`⇄
  STATUS/COMPLETED, `due`⇄DUE — a date only (the reference: "the time portion of the timestamp
  is discarded"), so a DUE with a time comes back as its UTC date. Nothing else has a field:
  Google Tasks has no extension mechanism, so `task_overlay_at_provider` is False and the sync
  layer keeps the overlay of what the client wrote (bridge/sync/task_overlays.py).
Wire calls only; no store, no sync.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bridge.errors import PreconditionFailed, RemoteNotFound
from bridge.ical.todo import Todo, read_todo, render_todo
from bridge.model import CalendarInfo, PullResult, RemoteItem
from bridge.providers.common.cursor import CursorCodec
from bridge.providers.common.retry import PULL_POLICY, WRITE_POLICY
from bridge.providers.google.client import CalendarClient

_CURSORS = CursorCodec("updated-min")
_EPOCH = "1970-01-01T00:00:00.000Z"
PAGE = 100  # tasks.list maxResults: at most 100


class TasksClient(CalendarClient):
    """One connection's Tasks v1 service (same retries and error mapping as Calendar)."""

    API = ("tasks", "v1")

    def endpoint(self) -> str:
        return self._config.tasks_api_base


def _rfc3339(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC).replace(microsecond=0)


def _z(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def task_to_todo(task: dict[str, Any]) -> Todo:
    done = str(task.get("status") or "") == "completed"
    due = _rfc3339(task.get("due"))
    return Todo(
        uid=str(task.get("id") or ""),
        summary=str(task.get("title") or ""),
        description=str(task.get("notes") or ""),
        status="COMPLETED" if done else "NEEDS-ACTION",
        completed=_rfc3339(task.get("completed")) if done else None,
        percent=100 if done else None,
        due=due.date() if due is not None else None,
        stamp=_rfc3339(task.get("updated")),
    )


def todo_to_task(todo: Todo) -> dict[str, Any]:
    done = todo.status == "COMPLETED"
    due = todo.due
    if isinstance(due, dt.datetime):
        due = due.astimezone(dt.UTC).date()
    body: dict[str, Any] = {
        "title": todo.summary,
        "notes": todo.description or None,
        "status": "completed" if done else "needsAction",
        "due": f"{due.isoformat()}T00:00:00.000Z" if due is not None else None,
        "completed": _z(todo.completed) if done and todo.completed else None,
    }
    return body


class GoogleTasks:
    """Google Tasks of one account (implements bridge.providers.base.TasksProvider)."""

    _tasks_client: TasksClient
    task_overlay_at_provider = False

    def list_task_lists(self) -> list[CalendarInfo]:
        client = self._tasks_client
        found, _ = client.list_all(
            lambda s, t: s.tasklists().list(maxResults=100, pageToken=t), PULL_POLICY
        )
        default = client.execute(lambda s: s.tasklists().get(tasklist="@default"), PULL_POLICY)
        default_id = str((default or {}).get("id") or "")
        return [
            CalendarInfo(
                remote_id=str(lst["id"]),
                display_name=str(lst.get("title") or ""),
                is_default=str(lst["id"]) == default_id,
            )
            for lst in found
            if lst.get("id")
        ]

    def create_task_list(self, display_name: str) -> CalendarInfo:
        made = self._tasks_client.execute(
            lambda s: s.tasklists().insert(body={"title": display_name}), WRITE_POLICY
        )
        return CalendarInfo(str(made["id"]), str(made.get("title") or display_name))

    def rename_task_list(self, list_id: str, display_name: str) -> None:
        self._tasks_client.execute(
            lambda s: s.tasklists().patch(tasklist=list_id, body={"title": display_name}),
            WRITE_POLICY,
        )

    def delete_task_list(self, list_id: str) -> None:
        try:
            self._tasks_client.execute(
                lambda s: s.tasklists().delete(tasklist=list_id), WRITE_POLICY
            )
        except RemoteNotFound:
            return

    # --- pulls -------------------------------------------------------------------------------
    def pull_tasks(self, list_id: str, cursor: str | None) -> PullResult:
        client = self._tasks_client
        first = client.request_count
        state = _CURSORS.decode(cursor)
        since = state.token if state is not None else None

        def page(s: Any, token: str | None) -> Any:
            extra = {"updatedMin": since, "showDeleted": True} if since else {}
            return s.tasks().list(
                tasklist=list_id,
                maxResults=PAGE,
                pageToken=token,
                showCompleted=True,
                showHidden=True,
                **extra,
            )

        found, _ = client.list_all(page, PULL_POLICY)
        newest = max([since or _EPOCH, *(str(t.get("updated") or "") for t in found)])
        items = [self._task_item(t) for t in found if t.get("id") and not t.get("deleted")]
        removed = [str(t["id"]) for t in found if t.get("id") and t.get("deleted")]
        requests = client.request_count - first
        return _CURSORS.result(items, removed, newest, reset=since is None, requests=requests)

    def _task_item(self, task: dict[str, Any]) -> RemoteItem:
        return RemoteItem(
            remote_id=str(task["id"]),
            version=str(task.get("etag") or ""),
            uid=str(task["id"]),
            ical=render_todo(task_to_todo(task)),
        )

    def _get_task(self, list_id: str, task_id: str, policy: Any) -> dict[str, Any] | None:
        try:
            found = self._tasks_client.execute(
                lambda s: s.tasks().get(tasklist=list_id, task=task_id), policy
            )
        except RemoteNotFound:
            return None
        return None if not found or found.get("deleted") else dict(found)

    def fetch_task(self, list_id: str, remote_id: str) -> RemoteItem | None:
        task = self._get_task(list_id, remote_id, PULL_POLICY)
        return None if task is None else self._task_item(task)

    # --- writes ------------------------------------------------------------------------------
    def create_task(self, list_id: str, ical: str, idempotency_key: str) -> RemoteItem:
        body = todo_to_task(read_todo(ical))
        made = self._tasks_client.execute(
            lambda s: s.tasks().insert(tasklist=list_id, body=body), WRITE_POLICY
        )
        return self._task_item(dict(made))

    def update_task(
        self, list_id: str, remote_id: str, version: str | None, ical: str
    ) -> RemoteItem:
        if version is not None:
            current = self._get_task(list_id, remote_id, WRITE_POLICY)
            if current is None:
                raise RemoteNotFound("google", f"task {remote_id} no longer exists")
            if str(current.get("etag") or "") != version:
                raise PreconditionFailed(
                    "google", f"task {remote_id} changed at the provider", "conditionNotMet", 412
                )
        body = todo_to_task(read_todo(ical))
        patched = self._tasks_client.execute(
            lambda s: s.tasks().patch(tasklist=list_id, task=remote_id, body=body), WRITE_POLICY
        )
        return self._task_item(dict(patched))

    def delete_task(self, list_id: str, remote_id: str, version: str | None) -> None:
        try:
            self._tasks_client.execute(
                lambda s: s.tasks().delete(tasklist=list_id, task=remote_id), WRITE_POLICY
            )
        except RemoteNotFound:
            return
