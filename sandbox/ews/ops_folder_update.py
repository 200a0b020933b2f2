"""UpdateFolder (web-service-reference "UpdateFolder operation", "SetFolderField"): renames a
folder. Each FolderChange names a folder by FolderId (its ChangeKey, when given, must be the
current one: ErrorIrresolvableConflict otherwise) and sets `folder:DisplayName`; a name taken by
a sibling is ErrorFolderExists, a distinguished folder cannot be renamed
(ErrorCannotRenameDefaultFolder is not documented for every folder; Exchange answers
ErrorAccessDenied for default folders), and any other field is ErrorInvalidPropertySet. The
answer carries the folder's new FolderId/ChangeKey. This module changes only folder names.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from sandbox.ews.ops_folders import render_folder
from sandbox.ews.soap import EwsError, Request, error, m, sub, success, t

if TYPE_CHECKING:
    from sandbox.ews.service import EwsService


def _new_name(change: ET.Element) -> str:
    updates = change.find(t("Updates"))
    name = ""
    for update in updates if updates is not None else []:
        uri = update.find(t("FieldURI"))
        field = uri.get("FieldURI", "") if uri is not None else ""
        if field != "folder:DisplayName":
            raise EwsError("ErrorInvalidPropertySet", f"The property {field!r} cannot be set.")
        holder = next(iter([c for c in update if c is not uri]), None)
        name = (holder.findtext(t("DisplayName")) if holder is not None else "") or ""
    if not name.strip():
        raise EwsError("ErrorInvalidRequest", "DisplayName must not be empty.")
    return name.strip()


def update_folder(svc: EwsService, req: Request) -> ET.Element:
    env, msgs = svc.envelope(req)
    changes = req.body.find(m("FolderChanges"))
    for change in changes if changes is not None else []:
        try:
            id_elem = change.find(t("FolderId"))
            if id_elem is None:
                raise EwsError("ErrorInvalidRequest", "FolderId is required.")
            folder = svc.folder_of(id_elem)
            key = id_elem.get("ChangeKey")
            if key and key != folder.change_key:
                raise EwsError("ErrorIrresolvableConflict", "The folder changed meanwhile.")
            if folder.distinguished or not folder.can_write:
                raise EwsError("ErrorAccessDenied", "Access is denied.")
            name = _new_name(change)
            siblings = svc.store.children(folder.parent_id) if folder.parent_id else []
            if any(f is not folder and f.display_name.lower() == name.lower() for f in siblings):
                raise EwsError(
                    "ErrorFolderExists", "A folder with the specified name already exists."
                )
            folder.display_name = name
            folder.change_key = svc.store.new_change_key()
            folder.modified = svc.now()
        except EwsError as exc:
            error(msgs, "UpdateFolder", exc)
            continue
        msg = success(msgs, "UpdateFolder")
        render_folder(svc, sub(msg, "m:Folders"), folder, {"FolderId"}, [])
    return env


HANDLERS = {"UpdateFolder": update_folder}
