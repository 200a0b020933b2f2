"""Microsoft To Do state of the Graph sandbox: task lists, tasks, their open extensions and
the change sequence their delta queries read.

Follows Microsoft's documentation:
- "To Do tasks API overview" https://learn.microsoft.com/en-us/graph/api/resources/todo-overview
- todoTaskList https://learn.microsoft.com/en-us/graph/api/resources/todotasklist: every user
  has one list with wellknownListName "defaultList" (named "Tasks"); lists the user makes are
  "none";
- todoTask https://learn.microsoft.com/en-us/graph/api/resources/todotask: the properties kept
  here; status values notStarted, inProgress, completed, waitingOnOthers, deferred; importance
  low, normal, high; completedDateTime is set when the status becomes completed;
- todoTask delta https://learn.microsoft.com/en-us/graph/api/todotask-delta: a round hands out
  the tasks changed since its token, deleted ones as "@removed".
Each change takes the next number of one store-wide sequence; a delta token is the sequence at
the end of its round, so a round is "what changed after the token, up to the round's start".
This module does not render JSON for HTTP beyond a task's body or know routes (todo_routes.py).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("notStarted", "inProgress", "completed", "waitingOnOthers", "deferred")
IMPORTANCES = ("low", "normal", "high")
#: todoTask properties a client sets (the rest are the service's)
WRITABLE = (
    "title",
    "body",
    "status",
    "importance",
    "categories",
    "dueDateTime",
    "startDateTime",
    "completedDateTime",
    "reminderDateTime",
    "isReminderOn",
    "recurrence",
)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _new_id() -> str:
    return "AQMkA" + secrets.token_urlsafe(33)


@dataclass
class TaskList:
    id: str
    user_id: str
    display_name: str
    wellknown: str = "none"  # "defaultList" for the user's own "Tasks"

    def render(self) -> dict[str, Any]:
        return {
            "@odata.etag": f'W/"{self.id[-12:]}"',
            "id": self.id,
            "displayName": self.display_name,
            "isOwner": True,
            "isShared": False,
            "wellknownListName": self.wellknown,
        }


@dataclass
class Task:
    id: str
    list_id: str
    props: dict[str, Any]
    created: str
    modified: str
    seq: int
    change: str  # the etag's value; new on every change
    extensions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def render(self, expand: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "@odata.etag": f'W/"{self.change}"',
            "id": self.id,
            "importance": "normal",
            "isReminderOn": False,
            "status": "notStarted",
            "title": "",
            "categories": [],
            "body": {"content": "", "contentType": "text"},
            "hasAttachments": False,
            "createdDateTime": self.created,
            "lastModifiedDateTime": self.modified,
            "bodyLastModifiedDateTime": self.modified,
        }
        out.update({k: v for k, v in self.props.items() if v is not None})
        if expand:
            out["extensions"] = [
                {
                    "@odata.type": "#microsoft.graph.openTypeExtension",
                    "id": name,
                    "extensionName": name,
                    **values,
                }
                for name, values in sorted(self.extensions.items())
            ]
        return out


class TodoError(ValueError):
    """A request To Do refuses with 400 (the message is the service's wording)."""


def _check_time(name: str, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or not value.get("dateTime") or not value.get("timeZone"):
        raise TodoError(f"Invalid value for property '{name}': a dateTimeTimeZone is required.")
    try:
        dt.datetime.fromisoformat(str(value["dateTime"]).rstrip("Z")[:19])
    except ValueError as exc:
        raise TodoError(f"Cannot convert the literal '{value['dateTime']}'.") from exc


def check_body(body: dict[str, Any]) -> dict[str, Any]:
    """The writable properties of a POST/PATCH body; TodoError for invalid values."""
    props = {k: body[k] for k in WRITABLE if k in body}
    if "status" in props and props["status"] not in STATUSES:
        raise TodoError(f"Requested value '{props['status']}' was not found.")
    if "importance" in props and props["importance"] not in IMPORTANCES:
        raise TodoError(f"Requested value '{props['importance']}' was not found.")
    for name in ("dueDateTime", "startDateTime", "completedDateTime", "reminderDateTime"):
        _check_time(name, props.get(name))
    cats = props.get("categories")
    if cats is not None and not (isinstance(cats, list) and all(isinstance(c, str) for c in cats)):
        raise TodoError("Invalid value for property 'categories'.")
    return props


@dataclass
class TodoStore:
    lists: dict[str, TaskList] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    removed: list[tuple[int, str, str]] = field(default_factory=list)  # (seq, list id, task id)
    seq: int = 0

    def clear(self) -> None:
        self.lists.clear()
        self.tasks.clear()
        self.removed.clear()

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def lists_of(self, user_id: str) -> list[TaskList]:
        """The user's lists, the default "Tasks" list first (made on first use)."""
        mine = [lst for lst in self.lists.values() if lst.user_id == user_id]
        if not any(lst.wellknown == "defaultList" for lst in mine):
            default = TaskList(_new_id(), user_id, "Tasks", "defaultList")
            self.lists[default.id] = default
            mine.insert(0, default)
        return sorted(mine, key=lambda lst: (lst.wellknown != "defaultList", lst.display_name))

    def task_list(self, user_id: str, list_id: str) -> TaskList | None:
        self.lists_of(user_id)
        found = self.lists.get(list_id)
        return found if found is not None and found.user_id == user_id else None

    def add_list(self, user_id: str, name: str) -> TaskList:
        made = TaskList(_new_id(), user_id, name)
        self.lists[made.id] = made
        return made

    def delete_list(self, lst: TaskList) -> None:
        for task in self.tasks_in(lst):
            self.delete(task)
        del self.lists[lst.id]

    def tasks_in(self, lst: TaskList) -> list[Task]:
        return sorted(
            (t for t in self.tasks.values() if t.list_id == lst.id), key=lambda t: t.created
        )

    def _apply(self, task: Task, props: dict[str, Any]) -> None:
        before = task.props.get("status")
        task.props.update(props)
        status = task.props.get("status")
        if status == "completed" and before != "completed" and not props.get("completedDateTime"):
            task.props["completedDateTime"] = {"dateTime": _now()[:-1] + "0000", "timeZone": "UTC"}
        if status != "completed":
            task.props.pop("completedDateTime", None)
        if task.props.get("recurrence") and not task.props.get("dueDateTime"):
            raise TodoError("A recurring task requires a dueDateTime.")
        task.modified = _now()
        task.seq = self._next()
        task.change = secrets.token_urlsafe(12)

    def create(self, lst: TaskList, body: dict[str, Any]) -> Task:
        props = check_body(body)
        now = _now()
        task = Task(_new_id(), lst.id, {}, now, now, 0, "")
        self._apply(task, props)
        self.tasks[task.id] = task
        return task

    def update(self, task: Task, body: dict[str, Any]) -> Task:
        props = check_body(body)
        saved = (dict(task.props), task.modified, task.seq, task.change)
        try:
            self._apply(task, props)
        except TodoError:
            task.props, task.modified, task.seq, task.change = saved  # nothing changed
            raise
        return task

    def delete(self, task: Task) -> None:
        del self.tasks[task.id]
        self.removed.append((self._next(), task.list_id, task.id))

    def changes(self, lst: TaskList, since: int, upto: int) -> list[tuple[str, str]]:
        """("upsert" | "removed", task id) changed in (since, upto], in change order."""
        found = [(t.seq, "upsert", t.id) for t in self.tasks_in(lst) if since < t.seq <= upto]
        found += [
            (seq, "removed", tid)
            for seq, lid, tid in self.removed
            if lid == lst.id and since < seq <= upto and (since > 0 or tid in self.tasks)
        ]
        return [(kind, tid) for _, kind, tid in sorted(found)]

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "lists": [vars(lst) for lst in self.lists.values()],
            "tasks": [vars(t) for t in self.tasks.values()],
            "removed": self.removed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TodoStore:
        store = cls(seq=int(data.get("seq", 0)))
        for raw in data.get("lists", []):
            lst = TaskList(**raw)
            store.lists[lst.id] = lst
        for raw in data.get("tasks", []):
            task = Task(**raw)
            store.tasks[task.id] = task
        store.removed = [(int(s), str(lid), str(tid)) for s, lid, tid in data.get("removed", [])]
        return store
