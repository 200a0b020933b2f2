"""Writes to contact items, shared by the EWS operations (ops_write.py) and the control API.

Every write goes through `Store.create` / `Store.touch`, so the ChangeKey and the change number
move and SyncFolderItems reports the contact ("UpdateItem operation", "ChangeKey" in page
"ItemId"). A contact can only be created in a contacts folder (FolderClass IPF.Contact): other
folders answer ErrorInvalidItemForOperationCreateItem. This module must not parse or render
XML.
"""

from __future__ import annotations

import datetime as dt

from sandbox.ews.contacts_model import normalize
from sandbox.ews.soap import EwsError
from sandbox.ews.store import CalItem, Fields, Folder, Store


def _writable(folder: Folder | None) -> Folder:
    if folder is None:
        raise EwsError("ErrorFolderNotFound", "The specified folder could not be found.")
    if not folder.can_write:
        raise EwsError("ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    return folder


def create(store: Store, folder_id: str, data: Fields, now: dt.datetime) -> CalItem:
    folder = _writable(store.folders.get(folder_id))
    if not (folder.folder_class or "").startswith("IPF.Contact"):
        raise EwsError(
            "ErrorInvalidItemForOperationCreateItem",
            "A contact can only be created in a contacts folder.",
        )
    data = dict(data)
    normalize(data)
    if not data.get("DisplayName"):
        raise EwsError("ErrorInvalidRequest", "A contact needs a name, company or email address.")
    return store.create(folder.id, data, now)  # its internal UID is never rendered


def update(store: Store, item: CalItem, data: Fields, now: dt.datetime) -> None:
    """Replace the contact's data with `data` (already merged) and record the write."""
    _writable(store.folders.get(item.folder_id))
    data = dict(data)
    normalize(data)
    item.data = data
    store.touch(item, now)
