"""GetFolder and FindFolder.

GetFolder answers one response message per requested id, in request order; an unknown
distinguished id gets `ErrorFolderNotFound` in its own message (web-service-reference
"GetFolder operation", "DistinguishedFolderId"). FindFolder supports Shallow and Deep traversal,
IndexedPageFolderView paging and Restriction ("FindFolder operation", "RootFolder
(FindFolderResponseMessage)"). Folder elements are typed by FolderClass (CalendarFolder for
IPF.Appointment). This module must not change the store.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from sandbox.ews import mime, restrict
from sandbox.ews.soap import EwsError, Request, error, fmt_bool, local, m, sub, success, t
from sandbox.ews.store import Folder

if TYPE_CHECKING:
    from sandbox.ews.service import EwsService

_ELEMENT = {
    "IPF.Appointment": "t:CalendarFolder",
    "IPF.Contact": "t:ContactsFolder",
    "IPF.Task": "t:TasksFolder",
    "IPF.Note.OutlookHomepage": "t:SearchFolder",
}
_DEFAULT = ("FolderId", "DisplayName", "TotalCount", "ChildFolderCount", "UnreadCount")
_ALL = (
    "FolderId",
    "ParentFolderId",
    "FolderClass",
    "DisplayName",
    "TotalCount",
    "ChildFolderCount",
    "EffectiveRights",
    "UnreadCount",
)
_ORDER = ("FolderId", "DistinguishedFolderId", *_ALL[1:])


def _shape(req_elem: ET.Element) -> tuple[set[str], list[ET.Element]]:
    shape = req_elem.find(m("FolderShape"))
    base = (shape.findtext(t("BaseShape")) if shape is not None else None) or "Default"
    wanted = {"FolderId"}
    if base.strip() == "Default":
        wanted.update(_DEFAULT)
    elif base.strip() == "AllProperties":
        wanted.update(_ALL)
    extended: list[ET.Element] = []
    props = shape.find(t("AdditionalProperties")) if shape is not None else None
    for p in props if props is not None else []:
        if local(p) == "FieldURI":
            wanted.add(p.get("FieldURI", "").split(":", 1)[-1])
        elif local(p) == "ExtendedFieldURI":
            extended.append(p)
    return wanted, extended


def render_folder(
    svc: EwsService, parent: ET.Element, folder: Folder, wanted: set[str], ext: list[ET.Element]
) -> None:
    tag = _ELEMENT.get(folder.folder_class or "", "t:Folder")
    node = sub(parent, tag)
    store = svc.store
    for name in _ORDER:
        if name not in wanted:
            continue
        if name == "FolderId":
            sub(node, "t:FolderId", Id=folder.id, ChangeKey=folder.change_key)
        elif name == "DistinguishedFolderId" and folder.distinguished:
            sub(node, "t:DistinguishedFolderId", folder.distinguished)
        elif name == "ParentFolderId" and folder.parent_id:
            pf = store.folders[folder.parent_id]
            sub(node, "t:ParentFolderId", Id=pf.id, ChangeKey=pf.change_key)
        elif name == "FolderClass" and folder.folder_class:
            sub(node, "t:FolderClass", folder.folder_class)
        elif name == "DisplayName":
            sub(node, "t:DisplayName", folder.display_name)
        elif name == "TotalCount":
            sub(node, "t:TotalCount", str(len(store.items_in(folder.id))))
        elif name == "ChildFolderCount":
            sub(node, "t:ChildFolderCount", str(len(store.children(folder.id))))
        elif name == "EffectiveRights":
            rights = sub(node, "t:EffectiveRights")
            for right, value in (
                ("CreateAssociated", folder.can_write),
                ("CreateContents", folder.can_write),
                ("CreateHierarchy", folder.can_write),
                ("Delete", folder.can_write and folder.distinguished is None),
                ("Modify", folder.can_write),
                ("Read", True),
                # ViewPrivateItems: the owner, or a delegate given it (page "ViewPrivateItems")
                ("ViewPrivateItems", folder.can_write and folder.view_private),
            ):
                sub(rights, f"t:{right}", fmt_bool(value))
        elif name == "UnreadCount" and tag == "t:Folder":
            sub(node, "t:UnreadCount", "0")
    for e in ext:
        ext_value = mime.extended_folder_value(folder, e, store)
        if ext_value is not None:
            prop = sub(node, "t:ExtendedProperty")
            sub(prop, "t:ExtendedFieldURI", **dict(e.attrib))
            sub(prop, "t:Value", ext_value)


def get_folder(svc: EwsService, req: Request) -> ET.Element:
    env, msgs = svc.envelope(req)
    wanted, ext = _shape(req.body)
    ids = req.body.find(m("FolderIds"))
    for elem in ids if ids is not None else []:
        try:
            folder = svc.folder_of(elem)
        except EwsError as exc:
            error(msgs, "GetFolder", exc)
            continue
        msg = success(msgs, "GetFolder")
        render_folder(svc, sub(msg, "m:Folders"), folder, wanted, ext)
    return env


def _folder_property(folder: Folder, svc: EwsService, path: ET.Element) -> Any:
    if local(path) == "ExtendedFieldURI":
        return mime.extended_folder_value(folder, path, svc.store)
    name = path.get("FieldURI", "").split(":", 1)[-1]
    return {
        "DisplayName": folder.display_name,
        "FolderClass": folder.folder_class,
        "TotalCount": len(svc.store.items_in(folder.id)),
        "ChildFolderCount": len(svc.store.children(folder.id)),
    }.get(name)


def _folder_getter(folder: Folder, svc: EwsService) -> restrict.Getter:
    return lambda path: _folder_property(folder, svc, path)


def find_folder(svc: EwsService, req: Request) -> ET.Element:
    env, msgs = svc.envelope(req)
    wanted, ext = _shape(req.body)
    deep = req.body.get("Traversal", "Shallow") == "Deep"
    restriction = req.body.find(m("Restriction"))
    page = req.body.find(m("IndexedPageFolderView"))
    parents = req.body.find(m("ParentFolderIds"))
    for elem in parents if parents is not None else []:
        try:
            parent = svc.folder_of(elem)
        except EwsError as exc:
            error(msgs, "FindFolder", exc)
            continue
        found = svc.store.descendants(parent.id) if deep else svc.store.children(parent.id)
        found = [f for f in found if restrict.matches(restriction, _folder_getter(f, svc))]
        offset, limit = 0, len(found)
        if page is not None:
            offset = int(page.get("Offset", "0"))
            limit = int(page.get("MaxEntriesReturned", str(len(found))))
            if page.get("BasePoint", "Beginning") == "End":
                offset = max(0, len(found) - offset - limit)
        chunk = found[offset : offset + limit]
        msg = success(msgs, "FindFolder")
        root = sub(
            msg,
            "m:RootFolder",
            IndexedPagingOffset=str(offset + len(chunk)),
            TotalItemsInView=str(len(found)),
            IncludesLastItemInRange=fmt_bool(offset + len(chunk) >= len(found)),
        )
        container = sub(root, "t:Folders")
        for folder in chunk:
            render_folder(svc, container, folder, wanted, ext)
    return env


def create_folder(svc: EwsService, req: Request) -> ET.Element:
    """CreateFolder (page "CreateFolder operation"): a duplicate DisplayName under the same
    parent fails with ErrorFolderExists."""
    env, msgs = svc.envelope(req)
    parent_elem = req.body.find(f"{m('ParentFolderId')}/*")
    folders = req.body.find(m("Folders"))
    for elem in folders if folders is not None else []:
        try:
            if parent_elem is None:
                raise EwsError("ErrorInvalidRequest", "ParentFolderId is required.")
            parent = svc.folder_of(parent_elem)
            if not parent.can_write:
                raise EwsError("ErrorAccessDenied", "Access is denied.")
            name = (elem.findtext(t("DisplayName")) or "").strip()
            if not name:
                raise EwsError("ErrorInvalidRequest", "DisplayName is required.")
            if any(f.display_name.lower() == name.lower() for f in svc.store.children(parent.id)):
                raise EwsError(
                    "ErrorFolderExists", "A folder with the specified name already exists."
                )
            folder_class = elem.findtext(t("FolderClass")) or {
                "CalendarFolder": "IPF.Appointment",
                "ContactsFolder": "IPF.Contact",
                "TasksFolder": "IPF.Task",
            }.get(local(elem), "IPF.Note")
            folder = svc.store.add_folder(name, parent.id, folder_class.strip())
        except EwsError as exc:
            error(msgs, "CreateFolder", exc)
            continue
        msg = success(msgs, "CreateFolder")
        render_folder(svc, sub(msg, "m:Folders"), folder, {"FolderId"}, [])
    return env


def delete_folder(svc: EwsService, req: Request) -> ET.Element:
    env, msgs = svc.envelope(req)
    ids = req.body.find(m("FolderIds"))
    for elem in ids if ids is not None else []:
        try:
            folder = svc.folder_of(elem)
            if folder.distinguished:
                raise EwsError(
                    "ErrorDeleteDistinguishedFolder", "Distinguished folders cannot be deleted."
                )
            for sub_folder in [folder, *svc.store.descendants(folder.id)]:
                for item in svc.store.items_in(sub_folder.id):
                    svc.store.delete(item, svc.now())
                del svc.store.folders[sub_folder.id]
        except EwsError as exc:
            error(msgs, "DeleteFolder", exc)
            continue
        success(msgs, "DeleteFolder")
    return env


HANDLERS = {
    "GetFolder": get_folder,
    "FindFolder": find_folder,
    "CreateFolder": create_folder,
    "DeleteFolder": delete_folder,
}
