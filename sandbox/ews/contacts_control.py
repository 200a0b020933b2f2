"""Control API routes for contacts (what Outlook would do on the provider side), JSON only.

  GET  /_control/contacts?folder=contacts | display name | folder id
                              [{id, change_key, folder_id, display_name, fields}]
  GET  /_control/contacts/item?id=…      {id, change_key, folder_id, display_name, fields}
  POST /_control/contacts/create  {"folder": …, "fields": {EWS names: GivenName, Surname,
                                   DisplayName, CompanyName, SpouseName, Manager, Children [..],
                                   Birthday "YYYY-MM-DD", EmailAddresses {"EmailAddress1": …},
                                   PhoneNumbers {"MobilePhone": …}, PhysicalAddresses
                                   {"Home": {"Street": …}}, Body, Categories [..] …}}
  POST /_control/contacts/update  {"id", "fields": {…}}  a dictionary merges per key (a null
                                   entry removes that key); any other null removes the field
  POST /_control/contacts/delete  {"id"}
Writes go through contacts_edit, so ChangeKeys move and SyncFolderItems reports them. Folder
permissions do not apply here (the owner may write). This module must not speak SOAP.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from sandbox.ews import contacts_edit
from sandbox.ews.contacts_model import INDEXED, is_contact
from sandbox.ews.edits import delete as delete_item
from sandbox.ews.service import EwsService
from sandbox.ews.soap import EwsError, fmt_datetime
from sandbox.ews.store import CalItem, Fields

Json = dict[str, Any]


def _folder_id(svc: EwsService, ref: str) -> str:
    store = svc.store
    if ref in store.folders:
        return ref
    found = store.distinguished(ref) or next(
        (f for f in store.folders.values() if f.display_name == ref), None
    )
    if found is None:
        raise EwsError("ErrorFolderNotFound", f"no folder {ref!r}")
    return found.id


def _fields(raw: Json) -> Fields:
    out: Fields = {}
    for key, value in raw.items():
        if key in ("Birthday", "WeddingAnniversary") and isinstance(value, str):
            day = dt.date.fromisoformat(value[:10])
            value = dt.datetime(day.year, day.month, day.day, 11, 59, tzinfo=dt.UTC)
        out[key] = value
    return out


def _json(item: CalItem) -> Json:
    fields = {
        k: fmt_datetime(v) if isinstance(v, dt.datetime) else v
        for k, v in item.data.items()
        if k not in ("UID", "ItemClass")
    }
    return {
        "id": item.id,
        "change_key": item.change_key,
        "folder_id": item.folder_id,
        "display_name": item.data.get("DisplayName"),
        "fields": fields,
    }


def _contact(svc: EwsService, item_id: str) -> CalItem:
    item = svc.store.get(item_id)
    if item is None or not is_contact(item):
        raise EwsError("ErrorItemNotFound", f"no contact {item_id!r}")
    return item


def _merged(current: Fields, changes: Fields) -> Fields:
    data = copy.deepcopy(current)
    for key, value in changes.items():
        if key in INDEXED and isinstance(value, dict):
            entries = dict(data.get(key) or {})
            for index, entry in value.items():
                if entry is None:
                    entries.pop(index, None)
                else:
                    entries[index] = entry
            data[key] = entries
        elif value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def _owner_write(svc: EwsService, folder_id: str, action: Any) -> Any:
    folder = svc.store.folders[folder_id]
    writable, folder.can_write = folder.can_write, True
    try:
        return action()
    finally:
        folder.can_write = writable


def handle(
    svc: EwsService, method: str, action: str, query: dict[str, str], body: Json
) -> tuple[int, Any]:
    now = svc.now()
    if method == "GET" and action == "contacts":
        folder = _folder_id(svc, query.get("folder", "contacts"))
        items = sorted(svc.store.items_in(folder), key=lambda i: str(i.data.get("FileAs")))
        return 200, [_json(i) for i in items if is_contact(i)]
    if method == "GET" and action == "contacts/item":
        return 200, _json(_contact(svc, query.get("id", "")))
    if method != "POST":
        return 404, {"error": "NotFound"}
    if action == "contacts/create":
        folder = _folder_id(svc, str(body.get("folder", "contacts")))
        data = _fields(body.get("fields") or {})
        item = _owner_write(svc, folder, lambda: contacts_edit.create(svc.store, folder, data, now))
        return 200, _json(item)
    item = _contact(svc, str(body.get("id", "")))
    if action == "contacts/update":
        data = _merged(item.data, _fields(body.get("fields") or {}))
        _owner_write(svc, item.folder_id, lambda: contacts_edit.update(svc.store, item, data, now))
        return 200, _json(item)
    if action == "contacts/delete":
        _owner_write(svc, item.folder_id, lambda: delete_item(svc.store, item, None, now))
        return 200, {"id": item.id, "deleted": True}
    return 404, {"error": "NotFound", "message": f"no control action {action!r}"}
