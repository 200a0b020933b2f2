"""Control API for contacts (provider-side edits, as if made in Outlook), under /_control.

Registered by control.add_routes, so the same loopback guard applies; faults and
`POST /_control/delta/expire` (which also expires contact delta tokens) live in control.py.
Provider-side writes use the same model as Graph writes: they change changeKeys and show in
delta. `user` (UPN or id) selects the mailbox; default: the demo user. A folder id may be
`contacts` for the default folder.

  GET    /_control/contacts/folders[?user=]          [{id, displayName, parentFolderId,
                                                      path ("Clients / Europe"), isDefault}]
  POST   /_control/contacts/folders                  {displayName, parentId?, user?} -> 201
  GET    /_control/contacts/folders/{fid}/contacts   contacts (Graph JSON + "extended", "hasPhoto")
  POST   /_control/contacts/folders/{fid}/contacts   Graph contact body -> 201
  POST   /_control/contacts/folders/{fid}/bulk       {contacts: [Graph contact body, …]} -> 201
                                                     {created}: many at once (benchmarks)
  GET|PATCH|DELETE /_control/contacts/{id}           one contact (PATCH: Graph contact body)
  PUT    /_control/contacts/{id}/photo               {jpeg_base64} sets the photo
  DELETE /_control/contacts/{id}/photo               removes it
This module must not implement Graph semantics itself; it calls the contacts model.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aiohttp import web

from sandbox.contacts_model import Contact, ContactFolder, ContactStore
from sandbox.gerrors import GraphError
from sandbox.state import STATE_KEY, SandboxState


def _st(request: web.Request) -> SandboxState:
    return request.app[STATE_KEY]


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    data = await request.json()
    return data if isinstance(data, dict) else {}


def _user_id(st: SandboxState, name: str | None) -> str:
    return st.mailboxes.find_user(name).id if name else st.user_id


def folder_path(store: ContactStore, folder: ContactFolder) -> str:
    names: list[str] = []
    current: ContactFolder | None = folder
    while current is not None and not current.is_default:
        names.append(current.display_name)
        current = store.folders.get(current.parent_id)
    return " / ".join(reversed(names)) or folder.display_name


def _contact_json(contact: Contact) -> dict[str, Any]:
    return {**contact.render(), "extended": dict(contact.ext), "hasPhoto": bool(contact.photo)}


def _contact(st: SandboxState, contact_id: str) -> Contact:
    contact = st.contacts.contacts.get(contact_id)
    if contact is None:
        raise GraphError(404, "ErrorItemNotFound", "No such contact.")
    return contact


def _folder(st: SandboxState, request: web.Request) -> ContactFolder:
    user_id = _user_id(st, request.query.get("user"))
    return st.contacts.folder(user_id, request.match_info["fid"])


async def folders(request: web.Request) -> web.Response:
    st = _st(request)
    store = st.contacts
    if request.method == "GET":
        user_id = _user_id(st, request.query.get("user"))
        store.default_folder(user_id)
        rows = [
            {**f.render(), "path": folder_path(store, f), "isDefault": f.is_default}
            for f in store.folders.values()
            if f.user_id == user_id
        ]
        return web.json_response(rows)
    body = await _body(request)
    user_id = _user_id(st, body.get("user"))
    parent = store.folder(user_id, str(body.get("parentId") or "contacts"))
    folder = store.add_folder(parent, str(body.get("displayName") or ""))
    return web.json_response(folder.render(), status=201)


async def folder_contacts(request: web.Request) -> web.Response:
    st = _st(request)
    folder = _folder(st, request)
    if request.method == "GET":
        return web.json_response([_contact_json(c) for c in st.contacts.contacts_in(folder)])
    contact = st.contacts.create(folder, await _body(request))
    return web.json_response(_contact_json(contact), status=201)


async def folder_bulk(request: web.Request) -> web.Response:
    st = _st(request)
    folder = _folder(st, request)
    bodies = (await _body(request)).get("contacts")
    if not isinstance(bodies, list) or not all(isinstance(b, dict) for b in bodies):
        raise GraphError(400, "ErrorInvalidRequest", "contacts must be a list of objects.")
    for body in bodies:
        st.contacts.create(folder, body)
    return web.json_response({"created": len(bodies)}, status=201)


async def contact_item(request: web.Request) -> web.StreamResponse:
    st = _st(request)
    contact = _contact(st, request.match_info["id"])
    if request.method == "GET":
        return web.json_response(_contact_json(contact))
    if request.method == "PATCH":
        st.contacts.update(contact, await _body(request))
        return web.json_response(_contact_json(contact))
    st.contacts.delete(contact)
    return web.Response(status=204)


async def contact_photo(request: web.Request) -> web.Response:
    st = _st(request)
    contact = _contact(st, request.match_info["id"])
    if request.method == "DELETE":
        st.contacts.set_photo(contact, None)
        return web.json_response(_contact_json(contact))
    try:
        data = base64.b64decode(str((await _body(request)).get("jpeg_base64") or ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise GraphError(400, "ErrorInvalidRequest", "jpeg_base64 is not base64.") from exc
    if not data.startswith(b"\xff\xd8"):
        raise GraphError(400, "ErrorInvalidRequest", "The photo is not a JPEG image.")
    st.contacts.set_photo(contact, data)
    return web.json_response(_contact_json(contact))


def add_routes(app: web.Application) -> None:
    r = app.router
    for method in ("GET", "POST"):
        r.add_route(method, "/_control/contacts/folders", folders)
        r.add_route(method, "/_control/contacts/folders/{fid}/contacts", folder_contacts)
    r.add_post("/_control/contacts/folders/{fid}/bulk", folder_bulk)
    for method in ("GET", "PATCH", "DELETE"):
        r.add_route(method, "/_control/contacts/{id}", contact_item)
    for method in ("PUT", "DELETE"):
        r.add_route(method, "/_control/contacts/{id}/photo", contact_photo)
