"""Emulated Microsoft Graph v1.0 contacts surface (paths after `/me` or `/users/{id}`).

  GET|POST   /contactFolders                          user-list-contactfolders.md (the folders
                                                      in the default Contacts folder)
  GET|PATCH|DELETE /contactFolders/{id}               contactfolder-get.md, contactfolder-update.md
                                                      (displayName); `contacts` = default
  GET|POST   /contactFolders/{id}[/childFolders/{id}…]/childFolders
                                                      contactfolder-list-childfolders.md
  GET|POST   /contacts, …/contactFolders/{id}[/childFolders/{id}…]/contacts
                                                      user-list-contacts.md, user-post-contacts.md,
                                                      contactfolder-post-contacts.md
  GET|PATCH|DELETE /contacts/{id} and …/contacts/{id} contact-get.md, contact-update.md,
                                                      contact-delete.md
  GET        …/contacts/delta (or delta())            contact-delta.md
  GET        …/contacts/{id}/photo, GET|PUT …/photo/$value   profilephoto-get.md,
                                                      profilephoto-update.md (404 ImageNotFound)
Query options: `$top`/`$skip` and `Prefer: odata.maxpagesize` paging with an absolute
`@odata.nextLink`; `$select`; `$filter=singleValueExtendedProperties/Any(ep: ep/id eq '…' and
ep/value eq '…')` and `$expand=singleValueExtendedProperties($filter=id eq '…')`
(singlevaluelegacyextendedproperty-get.md). Other `$filter`s are refused with 400.
`If-Match` with a stale changeKey gives 412 `ErrorIrresolvableConflict` as for events.
This module must not hold state; it reads and writes SandboxState.contacts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from sandbox import extprops, gtime
from sandbox.contacts_delta import DEFAULT_PAGE_SIZE
from sandbox.contacts_model import Contact, ContactFolder
from sandbox.contacts_props import select
from sandbox.gerrors import GraphError, bad_request, not_found

if TYPE_CHECKING:
    from sandbox.graph_routes import Ctx


def _url(ctx: Ctx, path: str, params: dict[str, str]) -> str:
    base = f"{ctx.st.base_url}/v1.0{ctx.prefix}{path}"
    if not params:
        return base
    return base + "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())


def _if_match(request: web.Request, change_key: str) -> None:
    # contact-update.md/contact-delete.md behave as event-update.md: a stale changeKey -> 412
    value = request.headers.get("If-Match")
    if not value or value.strip() == "*":
        return
    tags = [t.strip().removeprefix("W/").strip('"') for t in value.split(",")]
    if change_key not in tags:
        raise GraphError(
            412,
            "ErrorIrresolvableConflict",
            "The send or update operation could not be performed because the change "
            "key passed in the request does not match the current change key for the "
            "item.",
        )


async def _body(request: web.Request) -> dict[str, Any]:
    body = await request.json()
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", "BadRequest")
    return body


def _contact_json(ctx: Ctx, contact: Contact) -> dict[str, Any]:
    out = select(contact.render(), ctx.query.get("$select"))
    expand, prop_id = extprops.expand_filter(ctx.query)
    if expand:
        out[extprops.EXTENDED] = extprops.expanded(contact.ext, prop_id)
    return out


def _page_size(ctx: Ctx) -> int:
    top = ctx.query.get("$top")
    if top is not None:
        if not top.isdigit():
            raise bad_request(f"Invalid $top value '{top}'.", "BadRequest")
        return max(1, min(int(top), 1000))
    return min(gtime.prefer_page_size(ctx.prefer) or DEFAULT_PAGE_SIZE, 1000)


def _paged(ctx: Ctx, rows: list[dict[str, Any]], path: str) -> web.Response:
    size = _page_size(ctx)
    skip_text = ctx.query.get("$skip", "0")
    skip = int(skip_text) if skip_text.isdigit() else 0
    body: dict[str, Any] = {
        "@odata.context": f"{ctx.st.base_url}/v1.0/$metadata#Collection",
        "value": rows[skip : skip + size],
    }
    if skip + size < len(rows):
        keep = {k: v for k, v in ctx.request.query.items() if k.lower() not in ("$top", "$skip")}
        keep.update({"$top": str(size), "$skip": str(skip + size)})
        body["@odata.nextLink"] = _url(ctx, path, keep)
    return ctx.respond(body)


# ---- routing ---------------------------------------------------------------------------------
async def dispatch(ctx: Ctx, method: str, parts: list[str]) -> web.StreamResponse:
    """`parts` starts with `contacts` or `contactFolders`."""
    store, uid = ctx.st.contacts, ctx.user.id
    low = [p.lower() for p in parts]
    any_folder = low[0] == "contacts"
    if any_folder:
        folder, path, rest = store.default_folder(uid), "/contacts", parts[1:]
    else:
        if len(parts) == 1:
            return await _folders(ctx, method, store.default_folder(uid), "/contactFolders")
        folder = store.folder(uid, parts[1])
        path, i = f"/contactFolders/{parts[1]}", 2
        while i + 1 < len(parts) and low[i] == "childfolders":
            child = store.folder(uid, parts[i + 1])
            if child.parent_id != folder.id:
                raise not_found()
            folder, path, i = child, f"{path}/childFolders/{parts[i + 1]}", i + 2
        rest = parts[i:]
        if not rest:
            return await _folder_item(ctx, method, folder)
        if [r.lower() for r in rest] == ["childfolders"]:
            return await _folders(ctx, method, folder, path + "/childFolders")
        if rest[0].lower() != "contacts":
            raise bad_request(f"Resource not found for the segment '{rest[0]}'.", "BadRequest")
        path, rest = path + "/contacts", rest[1:]
    if not rest:
        return await _collection(ctx, method, folder, path)
    rest_low = [r.lower() for r in rest]
    if rest_low[0] in ("delta", "delta()") and len(rest) == 1:
        if method != "GET":
            raise GraphError(405, "ErrorInvalidRequest", "Method not allowed.")
        return _delta(ctx, folder, f"{path}/{rest[0]}")
    contact = store.contact(uid, rest[0])
    if not any_folder and contact.folder_id != folder.id:
        raise not_found()
    if len(rest) == 1:
        return await _item(ctx, method, contact)
    if rest_low[1] == "photo" and len(rest) <= 3:
        return await _photo(ctx, method, contact, raw=len(rest) == 3 and rest_low[2] == "$value")
    raise bad_request(f"Resource not found for the segment '{rest[1]}'.", "BadRequest")


async def _folders(ctx: Ctx, method: str, parent: ContactFolder, path: str) -> web.Response:
    store = ctx.st.contacts
    if method == "GET":
        return _paged(ctx, [f.render() for f in store.children(parent)], path)
    if method == "POST":
        body = await _body(ctx.request)
        folder = store.add_folder(parent, str(body.get("displayName") or ""))
        ctx.st.dirty = True
        return ctx.respond(folder.render(), 201)
    raise GraphError(405, "ErrorInvalidRequest", "Method not allowed.")


async def _folder_item(ctx: Ctx, method: str, folder: ContactFolder) -> web.Response:
    if method == "GET":
        return ctx.respond(folder.render())
    if method == "PATCH":
        body = await _body(ctx.request)
        ctx.st.contacts.rename_folder(folder, str(body.get("displayName") or ""))
        ctx.st.dirty = True
        return ctx.respond(folder.render())
    if method == "DELETE":
        ctx.st.contacts.delete_folder(folder)
        ctx.st.dirty = True
        return web.Response(status=204)
    raise GraphError(405, "ErrorInvalidRequest", "Method not allowed.")


async def _collection(ctx: Ctx, method: str, folder: ContactFolder, path: str) -> web.Response:
    store = ctx.st.contacts
    if method == "GET":
        contacts = store.contacts_in(folder)
        flt = ctx.query.get("$filter")
        if flt:
            found = extprops.parse_filter(flt)
            if found is None:
                raise bad_request(
                    "The sandbox supports only singleValueExtendedProperties/Any(...) filters.",
                    "ErrorInvalidUrlQueryFilter",
                )
            contacts = store.find_by_extended(folder, *found)
        return _paged(ctx, [_contact_json(ctx, c) for c in contacts], path)
    if method == "POST":
        contact = store.create(folder, await _body(ctx.request))
        ctx.st.dirty = True
        return ctx.respond(_contact_json(ctx, contact), 201)
    raise GraphError(405, "ErrorInvalidRequest", "Method not allowed.")


async def _item(ctx: Ctx, method: str, contact: Contact) -> web.StreamResponse:
    store = ctx.st.contacts
    if method == "GET":
        return ctx.respond(
            _contact_json(ctx, contact), headers={"ETag": f'W/"{contact.change_key}"'}
        )
    if method == "PATCH":
        _if_match(ctx.request, contact.change_key)
        store.update(contact, await _body(ctx.request))
        ctx.st.dirty = True
        return ctx.respond(_contact_json(ctx, contact))
    if method == "DELETE":
        _if_match(ctx.request, contact.change_key)
        store.delete(contact)
        ctx.st.dirty = True
        return web.Response(status=204)
    raise GraphError(405, "ErrorInvalidRequest", "Method not allowed.")


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's SOFn segment."""
    pos = 2
    while pos + 9 < len(data) and data[pos] == 0xFF:
        marker, length = data[pos + 1], int.from_bytes(data[pos + 2 : pos + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[pos + 5 : pos + 7], "big")
            return int.from_bytes(data[pos + 7 : pos + 9], "big"), height
        pos += 2 + length
    return None


async def _photo(ctx: Ctx, method: str, contact: Contact, raw: bool) -> web.StreamResponse:
    if method == "PUT" and raw:
        _if_match(ctx.request, contact.change_key)
        data = await ctx.request.read()
        if not data.startswith(b"\xff\xd8"):
            raise bad_request("The photo is not a valid JPEG image.", "ErrorInvalidRequest")
        ctx.st.contacts.set_photo(contact, data)
        ctx.st.dirty = True
        return web.Response(status=200)  # profilephoto-update.md: 200 OK
    if method != "GET":
        raise GraphError(405, "ErrorInvalidRequest", "Method not allowed.")
    if contact.photo is None:
        # profilephoto-get.md: a missing photo is 404 ImageNotFound
        raise GraphError(404, "ImageNotFound", "The photo wasn't found.")
    if raw:
        return web.Response(body=contact.photo, content_type="image/jpeg")
    width, height = jpeg_size(contact.photo) or (0, 0)
    return ctx.respond(
        {
            "@odata.context": f"{ctx.st.base_url}/v1.0/$metadata#users('{ctx.user.id}')"
            f"/contacts('{contact.id}')/photo/$entity",
            "@odata.mediaContentType": "image/jpeg",
            "@odata.mediaEtag": f'W/"{contact.change_key}"',
            "id": f"{width}X{height}",
            "width": width,
            "height": height,
        }
    )


# ---- delta ----------------------------------------------------------------------------------
def _gone(ctx: Ctx, path: str) -> GraphError:
    return GraphError(
        410,
        "syncStateNotFound",
        "The sync state was not found or has expired. Start a new synchronization "
        "without a delta token.",
        {"Location": _url(ctx, path, {})},
    )


def _delta(ctx: Ctx, folder: ContactFolder, path: str) -> web.Response:
    store, q, uid = ctx.st.contacts, ctx.query, ctx.user.id
    delta = store.delta
    size = gtime.prefer_page_size(ctx.prefer) or DEFAULT_PAGE_SIZE
    if "$skiptoken" in q:
        found = delta.find_round(q["$skiptoken"])
        if found is None or found[0].folder_id != folder.id or found[0].user_id != uid:
            raise _gone(ctx, path)
        rnd, pos = found
    elif "$deltatoken" in q:
        state = delta.find_state(q["$deltatoken"])
        if state is None or state.folder_id != folder.id or state.user_id != uid:
            raise _gone(ctx, path)
        rnd, pos = delta.start_round(uid, folder.id, store.snapshot(folder), state), 0
    else:
        rnd, pos = delta.start_round(uid, folder.id, store.snapshot(folder)), 0
    page = delta.page(rnd, pos, size)
    ctx.st.dirty = True
    value: list[dict[str, Any]] = []
    for kind, cid in page.items:
        contact = store.contacts.get(cid)
        if kind == "upsert" and contact is not None and contact.folder_id == folder.id:
            value.append(_contact_json(ctx, contact))
        else:
            value.append(
                {
                    "@odata.type": "#microsoft.graph.contact",
                    "id": cid,
                    "@removed": {"reason": "deleted"},
                }
            )
    # $select is carried in the links (Graph encodes it in the token: contact-delta.md)
    carry = {"$select": q["$select"]} if q.get("$select") else {}
    body: dict[str, Any] = {
        "@odata.context": f"{ctx.st.base_url}/v1.0/$metadata#Collection(contact)"
    }
    if page.next_skiptoken:
        body["@odata.nextLink"] = _url(ctx, path, {**carry, "$skiptoken": page.next_skiptoken})
    else:
        body["@odata.deltaLink"] = _url(ctx, path, {**carry, "$deltatoken": page.deltatoken or ""})
    body["value"] = value
    return ctx.respond(body)
