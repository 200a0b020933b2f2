"""Task items (t:Task, ItemClass IPM.Task) of the EWS sandbox: parse, update, render.

Per web-service-reference "Task" (TaskType: CompleteDate, DueDate, PercentComplete, StartDate,
Status NotStarted | InProgress | Completed | WaitingOnOthers | Deferred, IsComplete, …; and the
item fields Subject, Body, Categories, Importance, ReminderDueBy, ReminderIsSet,
ExtendedProperty), "CreateItem operation (task)" (SavedItemFolderId: a tasks folder, FolderClass
IPF.Task; default the distinguished `tasks` folder) and "UpdateItem operation" (SetItemField /
DeleteItemField with FieldURI task:… / item:…, ExtendedFieldURI). CompleteDate is read-only: it
is set when Status becomes Completed (PercentComplete 100) and cleared otherwise, as "Status"
describes. Data layout (EWS names, model values): Subject, Body + BodyType, Importance,
Sensitivity, Status, PercentComplete (float), DueDate / StartDate / CompleteDate /
ReminderDueBy (aware UTC), ReminderIsSet (bool), Categories ([str]), Extended
({ExtendedFieldURI key: value}). ops_write.py and itemxml.py dispatch here.
This module must not know HTTP.
"""

from __future__ import annotations

import copy
import datetime as dt
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from sandbox.ews.contacts_model import extended_key
from sandbox.ews.itemxml import body_as
from sandbox.ews.soap import (
    EwsError,
    fmt_bool,
    fmt_datetime,
    local,
    parse_bool,
    parse_datetime,
    sub,
    t,
)
from sandbox.ews.store import CalItem, Fields, Folder

if TYPE_CHECKING:
    from sandbox.ews.itemxml import RenderContext, View
    from sandbox.ews.service import EwsService

TASK_CLASS = "IPM.Task"
STATUSES = ("NotStarted", "InProgress", "Completed", "WaitingOnOthers", "Deferred")
TEXT = ("Subject", "Importance", "Sensitivity", "Status")
TIMES = ("DueDate", "StartDate", "ReminderDueBy")
READ_ONLY = ("CompleteDate", "IsComplete", "IsRecurring", "ChangeCount", "Owner", "DelegationState")


def is_task(item: CalItem) -> bool:
    return item.data.get("ItemClass") == TASK_CLASS


def parse_task(elem: ET.Element) -> Fields:
    out: Fields = {}
    for child in elem:
        name, text = local(child), child.text or ""
        if name in TEXT:
            out[name] = text.strip()
        elif name == "Body":
            out["Body"] = text
            out["BodyType"] = "HTML" if child.get("BodyType", "Text") == "HTML" else "Text"
        elif name == "Categories":
            out[name] = [(s.text or "").strip() for s in child if (s.text or "").strip()]
        elif name in TIMES:
            out[name] = parse_datetime(text)
        elif name == "ReminderIsSet":
            out[name] = parse_bool(text)
        elif name == "PercentComplete":
            try:
                out[name] = float(text)
            except ValueError as exc:
                raise EwsError(
                    "ErrorInvalidValueForProperty", f"Bad PercentComplete {text!r}"
                ) from exc
        elif name == "ExtendedProperty":
            uri = child.find(t("ExtendedFieldURI"))
            value = child.findtext(t("Value"))
            if uri is not None and value is not None:
                out.setdefault("Extended", {})[extended_key(uri)] = value
        elif name in READ_ONLY:
            raise EwsError("ErrorInvalidPropertySet", f"{name} is read-only.")
    return out


def _normalize(data: Fields, now: dt.datetime, before: Fields | None = None) -> None:
    status = str(data.get("Status") or "NotStarted")
    if status not in STATUSES:
        raise EwsError("ErrorInvalidValueForProperty", f"{status!r} is not a task status.")
    data["Status"] = status
    percent = float(data.get("PercentComplete") or 0.0)
    if not 0.0 <= percent <= 100.0:
        raise EwsError("ErrorInvalidPropertyRequest", "PercentComplete must be 0 to 100.")
    if status == "Completed":
        data["PercentComplete"] = 100.0
        was = (before or {}).get("Status") == "Completed"
        data["CompleteDate"] = (before or {}).get("CompleteDate") if was else now
        data["CompleteDate"] = data["CompleteDate"] or now
    else:
        data.pop("CompleteDate", None)
        data["PercentComplete"] = 0.0 if status == "NotStarted" else percent
    data["ItemClass"] = TASK_CLASS


def _tasks_folder(folder: Folder | None) -> Folder:
    if folder is None:
        raise EwsError("ErrorFolderNotFound", "The specified folder could not be found.")
    if not folder.can_write:
        raise EwsError("ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    if not (folder.folder_class or "").startswith("IPF.Task"):
        raise EwsError(
            "ErrorInvalidItemForOperationCreateItem",
            "A task can only be created in a tasks folder.",
        )
    return folder


def create(svc: EwsService, folder: Folder | None, elem: ET.Element) -> CalItem:
    target = _tasks_folder(folder or svc.store.distinguished("tasks"))
    data = parse_task(elem)
    now = svc.now()
    _normalize(data, now)
    return svc.store.create(target.id, data, now)


def update(svc: EwsService, item: CalItem, updates: ET.Element | None) -> None:
    data = copy.deepcopy(item.data)
    for upd in updates if updates is not None else []:
        path = next((c for c in upd if local(c) in ("FieldURI", "ExtendedFieldURI")), None)
        if path is None:
            raise EwsError("ErrorInvalidPropertyRequest", "Update without a property path")
        container = next((c for c in upd if c is not path), None)
        if local(path) == "ExtendedFieldURI":
            ext = dict(data.get("Extended") or {})
            if local(upd) == "DeleteItemField":
                ext.pop(extended_key(path), None)
            else:
                found = parse_task(container) if container is not None else {}
                ext.update(found.get("Extended") or {})
            data["Extended"] = ext
            continue
        name = path.get("FieldURI", "").split(":", 1)[-1]
        if name in READ_ONLY:
            raise EwsError("ErrorInvalidPropertySet", f"{name} is read-only.")
        if local(upd) == "DeleteItemField":
            data.pop(name, None)
            continue
        fields = parse_task(container) if container is not None else {}
        if name not in fields:
            raise EwsError("ErrorIncorrectUpdatePropertyCount", f"No value for {name}.")
        data[name] = fields[name]
        if name == "Body":
            data["BodyType"] = fields["BodyType"]
    now = svc.now()
    _normalize(data, now, item.data)
    item.data = data
    svc.store.touch(item, now)


def render(parent: ET.Element, v: View, ctx: RenderContext) -> ET.Element:
    """t:Task with the ItemType elements first, then TaskType's, in schema order."""
    node = sub(parent, "t:Task")
    item, d = v.item, v.item.data
    sub(node, "t:ItemId", Id=item.id, ChangeKey=item.change_key)
    folder = ctx.store.folders.get(item.folder_id)
    sub(node, "t:ParentFolderId", Id=item.folder_id, ChangeKey=folder.change_key if folder else "")
    sub(node, "t:ItemClass", TASK_CLASS)
    sub(node, "t:Subject", str(d.get("Subject") or ""))
    sub(node, "t:Sensitivity", str(d.get("Sensitivity") or "Normal"))
    kind, text = body_as(d, ctx.shape.body_type)
    sub(node, "t:Body", text, BodyType=kind, IsTruncated="false")
    sub(node, "t:DateTimeReceived", fmt_datetime(item.created))
    sub(node, "t:Size", str(len(str(d)) + 256))
    if d.get("Categories"):
        cats = sub(node, "t:Categories")
        for value in d["Categories"]:
            sub(cats, "t:String", str(value))
    sub(node, "t:Importance", str(d.get("Importance") or "Normal"))
    sub(node, "t:DateTimeCreated", fmt_datetime(item.created))
    if d.get("ReminderDueBy") is not None:
        sub(node, "t:ReminderDueBy", fmt_datetime(d["ReminderDueBy"]))
    sub(node, "t:ReminderIsSet", fmt_bool(bool(d.get("ReminderIsSet"))))
    sub(node, "t:HasAttachments", "false")
    stored = d.get("Extended") or {}
    for ext in ctx.shape.extended:
        value = stored.get(extended_key(ext))
        if value is None:
            continue
        prop = sub(node, "t:ExtendedProperty")
        sub(prop, "t:ExtendedFieldURI", **dict(ext.attrib))
        sub(prop, "t:Value", str(value))
    sub(node, "t:LastModifiedTime", fmt_datetime(item.modified))
    sub(node, "t:ChangeCount", str(len(item.history)))
    if d.get("CompleteDate") is not None:
        sub(node, "t:CompleteDate", fmt_datetime(d["CompleteDate"]))
    if d.get("DueDate") is not None:
        sub(node, "t:DueDate", fmt_datetime(d["DueDate"]))
    sub(node, "t:IsComplete", fmt_bool(d.get("Status") == "Completed"))
    sub(node, "t:IsRecurring", "false")
    sub(node, "t:PercentComplete", _percent(d.get("PercentComplete")))
    if d.get("StartDate") is not None:
        sub(node, "t:StartDate", fmt_datetime(d["StartDate"]))
    sub(node, "t:Status", str(d.get("Status") or "NotStarted"))
    return node


def _percent(value: Any) -> str:
    number = float(value or 0.0)
    return str(int(number)) if number.is_integer() else str(number)
