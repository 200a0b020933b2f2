"""Emulated Microsoft Graph v1.0 To Do surface (paths after `/me` or `/users/{id}`), as
documented in "To Do tasks API overview"
(https://learn.microsoft.com/en-us/graph/api/resources/todo-overview):

  GET|POST   /todo/lists                             todo-list-lists, todo-post-lists
  GET|PATCH|DELETE /todo/lists/{id}                  todotasklist-get, -update, -delete
  GET|POST   /todo/lists/{id}/tasks                  todotasklist-list-tasks, -post-tasks
  GET|PATCH|DELETE /todo/lists/{id}/tasks/{id}       todotask-get, -update, -delete
  GET        /todo/lists/{id}/tasks/delta            todotask-delta
  POST       /todo/lists/{id}/tasks/{id}/extensions  opentypeextension-post-opentypeextension
  GET|PATCH|DELETE …/tasks/{id}/extensions/{name}    opentypeextension-get, -update, -delete
Tasks are versioned by `@odata.etag` (W/"…"); a PATCH or DELETE with a stale If-Match gives 412
(the sandbox checks it as Graph does for Outlook items). `$expand=extensions` on a task or a
listing returns the open extensions (extensions on todoTask: "Add custom data to resources
using extensions", https://learn.microsoft.com/en-us/graph/extensibility-overview); delta does
not expand. Deleting the default list ("Tasks", wellknownListName defaultList) is refused
(403; To Do offers no way to delete it). Paging: `$top`/`$skip` and `Prefer:
odata.maxpagesize` with absolute next links; delta pages by `$skiptoken` to a `$deltatoken`.
This module must not hold state; it reads and writes SandboxState.todo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox import gtime
from sandbox.gerrors import GraphError, bad_request, not_found
from sandbox.todo_model import Task, TaskList, TodoError

if TYPE_CHECKING:
    from sandbox.graph_routes import Ctx

DELTA_PAGE = 10


def _store(ctx: Ctx) -> Any:
    return ctx.st.todo


async def _body(ctx: Ctx) -> dict[str, Any]:
    body = await ctx.request.json()
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", "BadRequest")
    return body


def _check_if_match(ctx: Ctx, task: Task) -> None:
    value = ctx.request.headers.get("If-Match")
    if not value or value.strip() == "*":
        return
    tags = [t.strip().removeprefix("W/").strip('"') for t in value.split(",")]
    if task.change not in tags:
        raise GraphError(412, "PreconditionFailed", "The ETag value does not match the object.")


def _page(ctx: Ctx, rows: list[dict[str, Any]], path: str) -> web.Response:
    size = ctx.page_size()
    skip_text = ctx.query.get("$skip", "0")
    skip = int(skip_text) if skip_text.isdigit() else 0
    body: dict[str, Any] = {
        "@odata.context": f"{ctx.st.base_url}/v1.0/$metadata#Collection",
        "value": rows[skip : skip + size],
    }
    if skip + size < len(rows):
        params = {"$top": str(size), "$skip": str(skip + size)}
        if "$expand" in ctx.query:
            params["$expand"] = ctx.query["$expand"]
        body["@odata.nextLink"] = ctx.url(path, **params)
    return ctx.respond(body)


def _expand(ctx: Ctx) -> bool:
    wanted = ctx.query.get("$expand")
    if wanted is None:
        return False
    if wanted.strip().lower() != "extensions":
        raise bad_request(f"Could not find a property named '{wanted}' on type 'todoTask'.")
    return True


def _invalid(exc: TodoError) -> GraphError:
    return bad_request(str(exc), "invalidRequest")


async def dispatch(ctx: Ctx, method: str, parts: list[str]) -> web.StreamResponse:
    low = [p.lower() for p in parts]
    store, uid = _store(ctx), ctx.user.id
    if low[:2] != ["todo", "lists"]:
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{parts[0]}'.")
    if len(parts) == 2:
        return await _lists(ctx, method)
    lst = store.task_list(uid, parts[2])
    if lst is None:
        raise not_found("The requested task list was not found.")
    base = f"/todo/lists/{lst.id}"
    if len(parts) == 3:
        return await _list_item(ctx, method, lst)
    if low[3] != "tasks":
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{parts[3]}'.")
    if len(parts) == 4:
        return await _tasks(ctx, method, lst, base + "/tasks")
    if len(parts) == 5 and low[4] in ("delta", "delta()") and method == "GET":
        return _delta(ctx, lst, f"{base}/tasks/{parts[4]}")
    task = store.tasks.get(parts[4])
    if task is None or task.list_id != lst.id:
        raise not_found("The requested task was not found.")
    if len(parts) == 5:
        return await _task_item(ctx, method, task)
    if low[5] == "extensions":
        return await _extensions(ctx, method, task, parts[6] if len(parts) > 6 else None)
    raise GraphError(400, "BadRequest", f"Resource not found for the segment '{parts[5]}'.")


async def _lists(ctx: Ctx, method: str) -> web.Response:
    store = _store(ctx)
    if method == "GET":
        return _page(ctx, [lst.render() for lst in store.lists_of(ctx.user.id)], "/todo/lists")
    if method == "POST":
        name = str((await _body(ctx)).get("displayName") or "").strip()
        if not name:
            raise bad_request("The property 'displayName' is required.", "invalidRequest")
        made = store.add_list(ctx.user.id, name)
        ctx.st.dirty = True
        return ctx.respond(made.render(), 201)
    raise GraphError(405, "MethodNotAllowed", "Method not allowed.")


async def _list_item(ctx: Ctx, method: str, lst: TaskList) -> web.StreamResponse:
    if method == "GET":
        return ctx.respond(lst.render())
    if method == "PATCH":
        name = str((await _body(ctx)).get("displayName") or "").strip()
        if name:
            lst.display_name = name
        ctx.st.dirty = True
        return ctx.respond(lst.render())
    if method == "DELETE":
        if lst.wellknown == "defaultList":
            raise GraphError(403, "accessDenied", "The default task list cannot be deleted.")
        _store(ctx).delete_list(lst)
        ctx.st.dirty = True
        return web.Response(status=204)
    raise GraphError(405, "MethodNotAllowed", "Method not allowed.")


async def _tasks(ctx: Ctx, method: str, lst: TaskList, path: str) -> web.Response:
    store = _store(ctx)
    if method == "GET":
        expand = _expand(ctx)
        return _page(ctx, [t.render(expand) for t in store.tasks_in(lst)], path)
    if method == "POST":
        body = await _body(ctx)
        try:
            task = store.create(lst, body)
        except TodoError as exc:
            raise _invalid(exc) from exc
        for ext in body.get("extensions") or []:  # todotasklist-post-tasks: with extensions
            if isinstance(ext, dict) and ext.get("extensionName"):
                task.extensions[str(ext["extensionName"])] = _ext_values(ext)
        ctx.st.dirty = True
        return ctx.respond(task.render(), 201)
    raise GraphError(405, "MethodNotAllowed", "Method not allowed.")


async def _task_item(ctx: Ctx, method: str, task: Task) -> web.StreamResponse:
    if method == "GET":
        return ctx.respond(task.render(_expand(ctx)))
    if method == "PATCH":
        _check_if_match(ctx, task)
        try:
            _store(ctx).update(task, await _body(ctx))
        except TodoError as exc:
            raise _invalid(exc) from exc
        ctx.st.dirty = True
        return ctx.respond(task.render())
    if method == "DELETE":
        _check_if_match(ctx, task)
        _store(ctx).delete(task)
        ctx.st.dirty = True
        return web.Response(status=204)
    raise GraphError(405, "MethodNotAllowed", "Method not allowed.")


def _ext_values(body: dict[str, Any]) -> dict[str, Any]:
    """An open extension's custom properties (null values are not kept)."""
    return {
        k: v
        for k, v in body.items()
        if not k.startswith("@") and k not in ("id", "extensionName") and v is not None
    }


async def _extensions(ctx: Ctx, method: str, task: Task, name: str | None) -> web.StreamResponse:
    """Open extensions of a task; a PATCH replaces the extension's properties (opentypeextension
    -update: "the data in the request body replaces the extension's data")."""
    if name is None:
        if method == "GET":
            return ctx.respond({"value": task.render(True)["extensions"]})
        if method == "POST":
            body = await _body(ctx)
            ext_name = str(body.get("extensionName") or "")
            if not ext_name:
                raise bad_request("The property 'extensionName' is required.", "invalidRequest")
            if ext_name in task.extensions:
                raise GraphError(409, "NameAlreadyExists", "The extension already exists.")
            task.extensions[ext_name] = _ext_values(body)
            ctx.st.dirty = True
            return ctx.respond(
                {"extensionName": ext_name, "id": ext_name, **task.extensions[ext_name]}, 201
            )
        raise GraphError(405, "MethodNotAllowed", "Method not allowed.")
    if name not in task.extensions:
        raise not_found("The extension was not found.")
    if method == "GET":
        return ctx.respond({"extensionName": name, "id": name, **task.extensions[name]})
    if method == "PATCH":
        task.extensions[name] = _ext_values(await _body(ctx))
        ctx.st.dirty = True
        return web.Response(status=204)
    if method == "DELETE":
        del task.extensions[name]
        ctx.st.dirty = True
        return web.Response(status=204)
    raise GraphError(405, "MethodNotAllowed", "Method not allowed.")


def _gone(ctx: Ctx, path: str) -> GraphError:
    return GraphError(
        410,
        "syncStateNotFound",
        "The sync state was not found or has expired. Start a new synchronization "
        "without a delta token.",
        {"Location": ctx.url(path)},
    )


def _ints(text: str, count: int) -> list[int] | None:
    pieces = text.split(".")
    if len(pieces) != count or not all(p.isdigit() for p in pieces):
        return None
    return [int(p) for p in pieces]


def _delta(ctx: Ctx, lst: TaskList, path: str) -> web.Response:
    """todotask-delta: a round is the changes after its token up to the round's start; the
    tokens carry those sequence numbers (`since.upto.position` while paging)."""
    store, q = _store(ctx), ctx.query
    size = gtime.prefer_page_size(ctx.prefer) or DELTA_PAGE
    if "$skiptoken" in q:
        found = _ints(q["$skiptoken"], 3)
        if found is None:
            raise _gone(ctx, path)
        since, upto, pos = found
    elif "$deltatoken" in q:
        token = _ints(q["$deltatoken"], 1)
        if token is None or token[0] > store.seq:
            raise _gone(ctx, path)
        since, upto, pos = token[0], store.seq, 0
    else:
        if "$expand" in q:
            raise bad_request("$expand is not supported with delta.", "invalidRequest")
        since, upto, pos = 0, store.seq, 0
    changes = store.changes(lst, since, upto)
    page = changes[pos : pos + size]
    value: list[dict[str, Any]] = []
    for kind, tid in page:
        task = store.tasks.get(tid)
        if kind == "upsert" and task is not None and task.list_id == lst.id:
            value.append(task.render())
        else:
            value.append({"id": tid, "@removed": {"reason": "deleted"}})
    body: dict[str, Any] = {
        "@odata.context": f"{ctx.st.base_url}/v1.0/$metadata#Collection(todoTask)",
        "value": value,
    }
    if pos + size < len(changes):
        body["@odata.nextLink"] = ctx.url(path, **{"$skiptoken": f"{since}.{upto}.{pos + size}"})
    else:
        body["@odata.deltaLink"] = ctx.url(path, **{"$deltatoken": str(upto)})
    return ctx.respond(body)
