"""Google Tasks API v1 routes (paths of the bundled discovery document tasks.v1.json, root = the
sandbox base URL), per the reference https://developers.google.com/tasks/reference/rest:

  GET|POST         /tasks/v1/users/@me/lists                 tasklists.list / tasklists.insert
  GET|PATCH|DELETE /tasks/v1/users/@me/lists/{tasklist}      tasklists.get / patch / delete
  GET|POST         /tasks/v1/lists/{tasklist}/tasks          tasks.list / tasks.insert
  GET|PATCH|DELETE /tasks/v1/lists/{tasklist}/tasks/{task}   tasks.get / patch / delete
tasks.list honours maxResults (default 20, at most 100) and pageToken, showCompleted (default
true), showDeleted and showHidden (default false), updatedMin (tasks changed at or after it,
deleted ones included when showDeleted). "@default" names the user's default list.
Scopes: reads need tasks or tasks.readonly, writes tasks, else 403 insufficientPermissions.
Deleting the default list: the reference does not say; the sandbox refuses it (400 invalid),
and the bridge never asks. This module must not hold state; it reads GoogleState.tasks.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from sandbox.google.errors import auth_error, bad_request, insufficient_scope, not_found
from sandbox.google.state import STATE_KEY, GoogleState
from sandbox.google.tasks_model import TASKS, TASKS_READONLY, GTaskList, TasksError, TasksStore

PREFIX = "/tasks/v1"


def _st(request: web.Request) -> GoogleState:
    return request.app[STATE_KEY]


def _store(request: web.Request) -> TasksStore:
    return _st(request).tasks


def _user(request: web.Request, write: bool = False) -> str:
    st = _st(request)
    header = request.headers.get("Authorization", "")
    value = header[7:].strip() if header.lower().startswith("bearer ") else ""
    tok = st.tokens.valid_access(value or request.query.get("access_token", ""))
    if tok is None:
        raise auth_error()
    allowed = {TASKS} if write else {TASKS, TASKS_READONLY}
    if not allowed.intersection(tok.scopes):
        raise insufficient_scope()
    return tok.user


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise bad_request("Invalid JSON payload received.", "parseError") from exc
    if not isinstance(data, dict):
        raise bad_request("Invalid JSON payload received.", "parseError")
    return data


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, content_type="application/json")


def _int(request: web.Request, name: str, default: int, most: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not text.isdigit():
        raise bad_request(f"Invalid value for: {name}", location=name)
    return max(1, min(int(text), most))


def _flag(request: web.Request, name: str, default: bool) -> bool:
    text = request.query.get(name)
    return default if text is None else text.lower() == "true"


def _list(request: web.Request, user: str) -> GTaskList:
    found = _store(request).task_list(user, request.match_info["tasklist"])
    if found is None:
        raise not_found()
    return found


def _page(request: web.Request, kind: str, rows: list[dict[str, Any]], size: int) -> web.Response:
    token = request.query.get("pageToken", "0")
    start = int(token) if token.isdigit() else 0
    body: dict[str, Any] = {"kind": kind, "etag": '"p"', "items": rows[start : start + size]}
    if start + size < len(rows):
        body["nextPageToken"] = str(start + size)
    return _json(body)


async def lists(request: web.Request) -> web.Response:
    st = _st(request)
    if request.method == "GET":
        user = _user(request)
        rows = [lst.render(st.base_url) for lst in st.tasks.lists_of(user)]
        return _page(request, "tasks#taskLists", rows, _int(request, "maxResults", 20, 1000))
    user = _user(request, write=True)
    title = str((await _body(request)).get("title") or "").strip()
    if not title:
        raise bad_request("Invalid value for: title is required", location="title")
    made = st.tasks.add_list(user, title)
    st.dirty = True
    return _json(made.render(st.base_url))


async def list_item(request: web.Request) -> web.StreamResponse:
    st = _st(request)
    user = _user(request, write=request.method != "GET")
    lst = _list(request, user)
    if request.method == "PATCH":
        title = str((await _body(request)).get("title") or "").strip()
        if title:
            lst.title = title
        st.dirty = True
    elif request.method == "DELETE":
        if lst.default:
            raise bad_request("Invalid value for: the default task list cannot be deleted")
        st.tasks.delete_list(lst)
        st.dirty = True
        return web.Response(status=204)
    return _json(lst.render(st.base_url))


async def tasks(request: web.Request) -> web.Response:
    st = _st(request)
    if request.method == "GET":
        lst = _list(request, _user(request))
        since = request.query.get("updatedMin")
        completed = _flag(request, "showCompleted", True)
        deleted = _flag(request, "showDeleted", False)
        hidden = _flag(request, "showHidden", False)
        rows = []
        for task in st.tasks.tasks_in(lst):
            if task.deleted and not deleted:
                continue
            if task.props.get("status") == "completed" and not completed:
                continue
            if task.props.get("hidden") and not hidden:
                continue
            if since and task.updated < since:  # RFC 3339 UTC "…Z" texts sort as instants
                continue
            rows.append(task.render(st.base_url))
        return _page(request, "tasks#tasks", rows, _int(request, "maxResults", 20, 100))
    lst = _list(request, _user(request, write=True))
    try:
        made = st.tasks.create(lst, await _body(request))
    except TasksError as exc:
        raise bad_request(str(exc)) from exc
    st.dirty = True
    return _json(made.render(st.base_url))


async def task_item(request: web.Request) -> web.StreamResponse:
    st = _st(request)
    lst = _list(request, _user(request, write=request.method != "GET"))
    task = st.tasks.tasks.get(request.match_info["task"])
    if task is None or task.list_id != lst.id:
        raise not_found()
    if request.method == "GET":
        return _json(task.render(st.base_url))
    if task.deleted:
        raise not_found()
    if request.method == "PATCH":
        try:
            st.tasks.update(task, await _body(request))
        except TasksError as exc:
            raise bad_request(str(exc)) from exc
        st.dirty = True
        return _json(task.render(st.base_url))
    st.tasks.delete(task)
    st.dirty = True
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_route("GET", f"{PREFIX}/users/@me/lists", lists)
    r.add_route("POST", f"{PREFIX}/users/@me/lists", lists)
    for method in ("GET", "PATCH", "DELETE"):
        r.add_route(method, f"{PREFIX}/users/@me/lists/{{tasklist}}", list_item)
        r.add_route(method, f"{PREFIX}/lists/{{tasklist}}/tasks/{{task}}", task_item)
    r.add_route("GET", f"{PREFIX}/lists/{{tasklist}}/tasks", tasks)
    r.add_route("POST", f"{PREFIX}/lists/{{tasklist}}/tasks", tasks)
