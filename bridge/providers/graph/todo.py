"""`TasksProvider` for Microsoft To Do over Graph v1.0 (issue 11): task lists served as VTODO
calendars.

Graph docs, "To Do tasks API overview" (https://learn.microsoft.com/en-us/graph/api/resources/
todo-overview):
- lists: GET/POST /me/todo/lists (todo-list-lists, todo-post-lists), PATCH/DELETE
  /me/todo/lists/{id} (todotasklist-update, todotasklist-delete); the todoTaskList resource
  (https://learn.microsoft.com/en-us/graph/api/resources/todotasklist) marks the account's own
  "Tasks" list with wellknownListName = defaultList — the bridge never deletes it;
- tasks: POST /me/todo/lists/{id}/tasks (todotasklist-post-tasks), GET/PATCH/DELETE
  .../tasks/{id} (todotask-get, todotask-update, todotask-delete), versioned by @odata.etag;
- changes: GET .../tasks/delta (https://learn.microsoft.com/en-us/graph/api/todotask-delta):
  pages by @odata.nextLink up to an @odata.deltaLink, deleted tasks as {"id", "@removed"};
- the lossless overlay (C10) lives in one open extension per task (openTypeExtension,
  https://learn.microsoft.com/en-us/graph/api/resources/opentypeextension — todoTask supports
  open extensions), read with $expand=extensions (delta cannot expand, so a pull that found
  changes lists the tasks once with their extensions).
Wire calls only (a mixin over the Graph provider's `_http` and `_p`); no store, no sync.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bridge.errors import CursorExpired, PreconditionFailed, RemoteNotFound
from bridge.ical import overlay
from bridge.ical.todo import read_todo, render_todo
from bridge.model import CalendarInfo, PullResult, RemoteItem
from bridge.providers.common.cursor import CursorCodec, resume
from bridge.providers.common.retry import PULL_POLICY, WRITE_POLICY
from bridge.providers.graph.http import GraphHttp
from bridge.providers.graph.todo_mapping import task_to_todo, todo_to_task

_CURSORS = CursorCodec("todo-delta")
EXTENSION = "org.davbridge.overlay"  # the open extension holding a task's overlay
_KEY = "overlay"  # its properties: overlay0, overlay1 … (chunks of the encoded overlay)
_EXPAND = {"$expand": "extensions"}


def task_etag(task: Mapping[str, Any]) -> str:
    return str(task.get("@odata.etag") or "")


def stored_overlay(task: Mapping[str, Any]) -> str | None:
    """The overlay a task read with $expand=extensions carries ("" none; None: not expanded)."""
    found = task.get("extensions")
    if not isinstance(found, list):
        return None
    for ext in found:
        if isinstance(ext, dict) and str(ext.get("extensionName") or "") == EXTENSION:
            return overlay.from_keyed(ext, _KEY)
        if isinstance(ext, dict) and str(ext.get("id") or "").endswith(EXTENSION):
            return overlay.from_keyed(ext, _KEY)
    return ""


def _chunk_count(text: str) -> int:
    return len(overlay.chunks(text)) if text else 0


class GraphTasks:
    """Microsoft To Do lists of one mailbox (implements bridge.providers.base.TasksProvider)."""

    _http: GraphHttp
    _prefer: dict[str, str]
    _p: Callable[..., str]  # GraphMailbox builds the paths
    task_overlay_at_provider = True  # an open extension per task

    # --- lists -------------------------------------------------------------------------------
    def list_task_lists(self) -> list[CalendarInfo]:
        found = self._http.get_all(self._p("todo", "lists"), policy=PULL_POLICY)
        return [
            CalendarInfo(
                remote_id=str(lst["id"]),
                display_name=str(lst.get("displayName") or ""),
                read_only=not bool(lst.get("isOwner", True)),
                is_default=str(lst.get("wellknownListName") or "") == "defaultList",
            )
            for lst in found
            if lst.get("id")
            # flaggedEmails is the mail app's own view (todotasklist: wellknownListName)
            and str(lst.get("wellknownListName") or "") != "flaggedEmails"
        ]

    def create_task_list(self, display_name: str) -> CalendarInfo:
        made = self._http.post(
            self._p("todo", "lists"), json={"displayName": display_name}, policy=WRITE_POLICY
        )
        made = made or {}
        return CalendarInfo(str(made["id"]), str(made.get("displayName") or display_name))

    def rename_task_list(self, list_id: str, display_name: str) -> None:
        self._http.patch(
            self._p("todo", "lists", list_id),
            json={"displayName": display_name},
            policy=WRITE_POLICY,
        )

    def delete_task_list(self, list_id: str) -> None:
        try:
            self._http.delete(self._p("todo", "lists", list_id), policy=WRITE_POLICY)
        except RemoteNotFound:
            return

    # --- pulls -------------------------------------------------------------------------------
    def pull_tasks(self, list_id: str, cursor: str | None) -> PullResult:
        first = self._http.request_count
        state = _CURSORS.decode(cursor)
        if state is not None and not self._http.is_graph_url(state.token):
            state = None
        start = self._p("todo", "lists", list_id, "tasks", "delta")
        done = resume(
            state,
            None,
            self._task_round,
            lambda: self._task_round(start),
            f"graph task list {list_id}",
        )
        entries, link = done.value
        upserts: dict[str, dict[str, Any]] = {}
        removed: dict[str, None] = {}
        for entry in entries:  # the last state of a task within a round wins
            task_id = str(entry.get("id") or "")
            if not task_id:
                continue
            if "@removed" in entry:
                upserts.pop(task_id, None)
                removed[task_id] = None
            else:
                removed.pop(task_id, None)
                upserts[task_id] = entry
        kept = self._task_overlays(list_id) if upserts else {}
        items = [self._task_item(task, kept.get(tid, "")) for tid, task in upserts.items()]
        requests = self._http.request_count - first
        return _CURSORS.result(items, removed, link, reset=done.reset, requests=requests)

    def _task_round(self, url: str) -> tuple[list[dict[str, Any]], str]:
        entries: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            body = self._http.get(next_url, headers=self._prefer, policy=PULL_POLICY) or {}
            entries.extend(v for v in body.get("value", []) if isinstance(v, dict))
            if body.get("@odata.deltaLink"):
                return entries, str(body["@odata.deltaLink"])
            next_url = body.get("@odata.nextLink")
        raise CursorExpired("graph", "task delta round ended without a deltaLink")

    def _task_overlays(self, list_id: str) -> dict[str, str]:
        found = self._http.get_all(
            self._p("todo", "lists", list_id, "tasks"),
            params=_EXPAND,
            headers=self._prefer,
            policy=PULL_POLICY,
        )
        return {str(t["id"]): stored_overlay(t) or "" for t in found if t.get("id")}

    def _task_item(self, task: Mapping[str, Any], stored: str | None) -> RemoteItem:
        raw = render_todo(task_to_todo(dict(task)))
        text, client_uid = overlay.apply(raw, stored)
        return RemoteItem(
            remote_id=str(task["id"]),
            version=task_etag(task),
            uid=client_uid or str(task["id"]),
            ical=text,
        )

    def _task_path(self, list_id: str, task_id: str) -> str:
        return self._p("todo", "lists", list_id, "tasks", task_id)

    def _get_task(self, list_id: str, task_id: str, policy: Any) -> dict[str, Any] | None:
        try:
            return self._http.get(self._task_path(list_id, task_id), params=_EXPAND, policy=policy)
        except RemoteNotFound:
            return None

    def fetch_task(self, list_id: str, remote_id: str) -> RemoteItem | None:
        task = self._get_task(list_id, remote_id, PULL_POLICY)
        return None if task is None else self._task_item(task, stored_overlay(task))

    # --- writes ------------------------------------------------------------------------------
    def create_task(self, list_id: str, ical: str, idempotency_key: str) -> RemoteItem:
        # To Do has no transactionId: a retried create is found again by its overlay's UID
        todo = read_todo(ical)
        made = self._http.post(
            self._p("todo", "lists", list_id, "tasks"),
            json=todo_to_task(todo),
            policy=WRITE_POLICY,
        )
        made = made or {}
        made["extensions"] = []
        return self._task_canonical(list_id, made, ical)

    def update_task(
        self, list_id: str, remote_id: str, version: str | None, ical: str
    ) -> RemoteItem:
        current = self._get_task(list_id, remote_id, WRITE_POLICY)
        if current is None:
            raise RemoteNotFound("graph", f"task {remote_id} no longer exists")
        headers: dict[str, str] = {}
        if version is not None:
            if version != task_etag(current):
                raise PreconditionFailed(
                    "graph", f"task {remote_id} changed at the provider", "PreconditionFailed", 412
                )
            headers = {"If-Match": version}
        patched = self._http.patch(
            self._task_path(list_id, remote_id),
            json=todo_to_task(read_todo(ical)),
            headers=headers,
            policy=WRITE_POLICY,
        )
        task = dict(patched or current)
        task["extensions"] = current.get("extensions") or []
        return self._task_canonical(list_id, task, ical)

    def delete_task(self, list_id: str, remote_id: str, version: str | None) -> None:
        headers = {"If-Match": version} if version else {}
        try:
            self._http.delete(
                self._task_path(list_id, remote_id), headers=headers, policy=WRITE_POLICY
            )
        except RemoteNotFound:
            return

    def _task_canonical(self, list_id: str, task: dict[str, Any], client: str) -> RemoteItem:
        """The task as Graph holds it, with the overlay of what To Do could not hold written to
        its open extension (only when it changed; C10)."""
        stored = stored_overlay(task) or ""
        raw = render_todo(task_to_todo(task))
        wanted = overlay.for_write(client, raw, stored=stored or None)
        if wanted != stored:
            ext_path = self._task_path(list_id, str(task["id"])) + "/extensions"
            if not stored:
                body: dict[str, Any] = {
                    "@odata.type": "microsoft.graph.openTypeExtension",
                    "extensionName": EXTENSION,
                    **overlay.keyed_chunks(wanted, _KEY),
                }
                self._http.post(ext_path, json=body, policy=WRITE_POLICY)
            elif wanted:
                chunks = overlay.keyed_chunks(wanted, _KEY, _chunk_count(stored))
                self._http.patch(f"{ext_path}/{EXTENSION}", json=chunks, policy=WRITE_POLICY)
            else:
                self._http.delete(f"{ext_path}/{EXTENSION}", policy=WRITE_POLICY)
        return self._task_item(task, wanted)
