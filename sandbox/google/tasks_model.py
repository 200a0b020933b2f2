"""Google Tasks state of the Google sandbox: task lists and tasks, as the Tasks API v1 reference
describes them (https://developers.google.com/tasks/reference/rest).

- TaskList (https://developers.google.com/tasks/reference/rest/v1/tasklists): id, title,
  updated, etag; every user has a default list ("My Tasks", also reachable as "@default").
- Task (https://developers.google.com/tasks/reference/rest/v1/tasks): title, notes, status
  ("needsAction" | "completed"), due ("The due date only records date information; the time
  portion of the timestamp is discarded when setting the due date"), completed (set when the
  status becomes completed, cleared with needsAction), deleted, hidden, updated, etag.
  A deleted task stays, flagged `deleted`, so tasks.list with showDeleted reports it.
This module does not know HTTP; tasks_routes.py does.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

TASKS = "https://www.googleapis.com/auth/tasks"
TASKS_READONLY = "https://www.googleapis.com/auth/tasks.readonly"
WRITABLE = ("title", "notes", "status", "due", "completed")


class TasksError(ValueError):
    """A request the Tasks API refuses with 400 invalid (the message is its wording)."""


def now_rfc3339() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _etag() -> str:
    return '"' + secrets.token_urlsafe(12) + '"'


def _new_id() -> str:
    return secrets.token_urlsafe(16).replace("-", "x").replace("_", "y")


@dataclass
class GTaskList:
    id: str
    user: str
    title: str
    updated: str
    etag: str
    default: bool = False

    def render(self, base: str) -> dict[str, Any]:
        return {
            "kind": "tasks#taskList",
            "id": self.id,
            "etag": self.etag,
            "title": self.title,
            "updated": self.updated,
            "selfLink": f"{base}/tasks/v1/users/@me/lists/{self.id}",
        }


@dataclass
class GTask:
    id: str
    list_id: str
    props: dict[str, Any]
    updated: str
    etag: str
    position: str
    deleted: bool = False

    def render(self, base: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "tasks#task",
            "id": self.id,
            "etag": self.etag,
            "title": "",
            "updated": self.updated,
            "selfLink": f"{base}/tasks/v1/lists/{self.list_id}/tasks/{self.id}",
            "position": self.position,
            "status": "needsAction",
            "links": [],
            "webViewLink": f"https://tasks.google.com/task/{self.id}",
        }
        out.update({k: v for k, v in self.props.items() if v is not None})
        if self.deleted:
            out["deleted"] = True
        return out


def _date_only(value: Any) -> str:
    """A due value as the API keeps it: the date, at midnight UTC."""
    text = str(value)
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError as exc:
        raise TasksError(f"Invalid value for: {text} is not a valid RFC 3339 date-time") from exc
    return f"{day.isoformat()}T00:00:00.000Z"


def check_body(body: dict[str, Any]) -> dict[str, Any]:
    props = {k: body[k] for k in WRITABLE if k in body}
    if "status" in props and props["status"] not in ("needsAction", "completed"):
        raise TasksError(f"Invalid value for: {props['status']}")
    if props.get("due") is not None:
        props["due"] = _date_only(props["due"])
    if props.get("title") is not None and len(str(props["title"])) > 1024:
        raise TasksError("Invalid value for: title is too long (1024 characters at most)")
    if props.get("notes") is not None and len(str(props["notes"])) > 8192:
        raise TasksError("Invalid value for: notes is too long (8192 characters at most)")
    return props


@dataclass
class TasksStore:
    lists: dict[str, GTaskList] = field(default_factory=dict)
    tasks: dict[str, GTask] = field(default_factory=dict)

    def clear(self) -> None:
        self.lists.clear()
        self.tasks.clear()

    def lists_of(self, user: str) -> list[GTaskList]:
        mine = [lst for lst in self.lists.values() if lst.user == user]
        if not any(lst.default for lst in mine):
            made = GTaskList(_new_id(), user, "My Tasks", now_rfc3339(), _etag(), default=True)
            self.lists[made.id] = made
            mine.append(made)
        return sorted(mine, key=lambda lst: (not lst.default, lst.updated, lst.id))

    def task_list(self, user: str, ref: str) -> GTaskList | None:
        mine = self.lists_of(user)
        if ref == "@default":
            return next(lst for lst in mine if lst.default)
        return next((lst for lst in mine if lst.id == ref), None)

    def add_list(self, user: str, title: str) -> GTaskList:
        made = GTaskList(_new_id(), user, title, now_rfc3339(), _etag())
        self.lists[made.id] = made
        return made

    def delete_list(self, lst: GTaskList) -> None:
        for task in [t for t in self.tasks.values() if t.list_id == lst.id]:
            del self.tasks[task.id]
        del self.lists[lst.id]

    def tasks_in(self, lst: GTaskList) -> list[GTask]:
        return sorted(
            (t for t in self.tasks.values() if t.list_id == lst.id),
            key=lambda t: (t.position, t.id),
        )

    def _apply(self, task: GTask, props: dict[str, Any]) -> None:
        before = task.props.get("status")
        task.props.update(props)
        status = task.props.get("status", "needsAction")
        if status == "completed" and not task.props.get("completed"):
            task.props["completed"] = now_rfc3339()
        if status != "completed":
            task.props.pop("completed", None)
        del before
        task.updated = now_rfc3339()
        task.etag = _etag()

    def create(self, lst: GTaskList, body: dict[str, Any]) -> GTask:
        props = check_body(body)
        position = f"{len(self.tasks_in(lst)):020d}"
        task = GTask(_new_id(), lst.id, {}, "", "", position)
        self._apply(task, props)
        self.tasks[task.id] = task
        return task

    def update(self, task: GTask, body: dict[str, Any]) -> GTask:
        self._apply(task, check_body(body))
        return task

    def delete(self, task: GTask) -> None:
        task.deleted = True
        task.updated = now_rfc3339()
        task.etag = _etag()

    def to_json(self) -> dict[str, Any]:
        return {
            "lists": [vars(lst) for lst in self.lists.values()],
            "tasks": [vars(t) for t in self.tasks.values()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TasksStore:
        store = cls()
        for raw in data.get("lists", []):
            lst = GTaskList(**raw)
            store.lists[lst.id] = lst
        for raw in data.get("tasks", []):
            task = GTask(**raw)
            store.tasks[task.id] = task
        return store
