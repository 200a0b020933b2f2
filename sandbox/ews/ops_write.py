"""CreateItem, UpdateItem and DeleteItem for calendar items.

Per web-service-reference "CreateItem operation (calendar item)" (SavedItemFolderId,
SendMeetingInvitations), "UpdateItem operation" (ItemChange with SetItemField / DeleteItemField /
AppendToItemField; ConflictResolution NeverOverwrite | AutoResolve | AlwaysOverwrite: a stale
ChangeKey with NeverOverwrite fails with ErrorIrresolvableConflict; the response carries the new
ItemId/ChangeKey and ConflictResults) and "DeleteItem operation" (ItemId, OccurrenceItemId,
RecurringMasterItemId; SendMeetingCancellations). Meeting messages are not sent anywhere.
Contacts (t:Contact, ItemClass IPM.Contact) branch to contacts_ops after the shared ChangeKey check,
tasks (t:Task, IPM.Task) to tasks_items.
This module must not render whole items (itemxml does) nor know HTTP.
"""

from __future__ import annotations

import copy
import datetime as dt
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from sandbox.ews import contacts_ops, edits, itemparse, ops_scheduling, tasks_items
from sandbox.ews import recurrence as erec
from sandbox.ews.contacts_model import extended_key
from sandbox.ews.itemxml import view_of
from sandbox.ews.soap import EwsError, Request, error, local, m, sub, success, t

if TYPE_CHECKING:
    from sandbox.ews.service import EwsService

_UPDATE_TZ = ("StartTimeZone", "EndTimeZone")


def _request_tz(svc: EwsService, req: Request) -> dt.tzinfo:
    return erec.zone(req.timezone_id) if req.timezone_id else dt.UTC


def create_item(svc: EwsService, req: Request) -> ET.Element:
    env, msgs = svc.envelope(req)
    tz = _request_tz(svc, req)
    target = req.body.find(f"{m('SavedItemFolderId')}/*")
    items = req.body.find(m("Items"))
    for elem in items if items is not None else []:
        try:
            folder = svc.folder_of(target) if target is not None else None
            if local(elem) == "Contact":
                contact = contacts_ops.create(svc, folder, elem)
                node = sub(sub(success(msgs, "CreateItem"), "m:Items"), "t:Contact")
                sub(node, "t:ItemId", Id=contact.id, ChangeKey=contact.change_key)
                continue
            if local(elem) == "Task":  # tasks_items.py
                task = tasks_items.create(svc, folder, elem)
                node = sub(sub(success(msgs, "CreateItem"), "m:Items"), "t:Task")
                sub(node, "t:ItemId", Id=task.id, ChangeKey=task.change_key)
                continue
            if local(elem) in ops_scheduling.REPLIES:  # AcceptItem, DeclineItem, ...
                disposition = req.body.get("MessageDisposition", "SaveOnly")
                ops_scheduling.respond(svc, elem, disposition)
                sub(success(msgs, "CreateItem"), "m:Items")
                continue
            if folder is None:
                folder = svc.store.distinguished("calendar")
            assert folder is not None
            if local(elem) != "CalendarItem":
                raise EwsError(
                    "ErrorInvalidItemForOperationCreateItem",
                    f"{local(elem)} items cannot be created in this sandbox mailbox.",
                )
            data, rec_elem = itemparse.parse_fields(elem, tz)
            itemparse.validate(data)
            itemparse.apply_recurrence(data, rec_elem)
            item = edits.create(svc.store, folder.id, data, svc.now())
            send = req.body.get("SendMeetingInvitations", "")
            ops_scheduling.sent_for_write(svc, None, item.data, send)
        except EwsError as exc:
            error(msgs, "CreateItem", exc)
            continue
        msg = success(msgs, "CreateItem")
        node = sub(sub(msg, "m:Items"), "t:CalendarItem")
        sub(node, "t:ItemId", Id=item.id, ChangeKey=item.change_key)
    return env


def _changes(
    updates: ET.Element, current: dict[str, Any], tz: dt.tzinfo
) -> tuple[dict[str, Any], ET.Element | None, bool]:
    """(field changes, Recurrence element, recurrence deleted)."""
    changes: dict[str, Any] = {}
    rec_elem: ET.Element | None = None
    rec_deleted = False
    for upd in updates:
        kind = local(upd)
        path = next((c for c in upd if local(c) in ("FieldURI", "IndexedFieldURI")), None)
        ext_path = next((c for c in upd if local(c) == "ExtendedFieldURI"), None)
        if path is None and ext_path is not None:
            # "SetItemField"/"DeleteItemField" with an ExtendedFieldURI: the property is set
            # from the item's ExtendedProperty, or removed (web-service-reference)
            ext = dict(changes.get("Extended") or current.get("Extended") or {})
            if kind == "DeleteItemField":
                ext.pop(extended_key(ext_path), None)
            else:
                holder = next((c for c in upd if c is not ext_path), None)
                prop = holder.find(t("ExtendedProperty")) if holder is not None else None
                value = prop.findtext(t("Value")) if prop is not None else None
                if value is None:
                    raise EwsError("ErrorInvalidPropertyRequest", "No ExtendedProperty value.")
                ext[extended_key(ext_path)] = value
            changes["Extended"] = ext
            continue
        if path is None:
            raise EwsError("ErrorInvalidPropertyRequest", "Update without a property path")
        uri = path.get("FieldURI", "")
        container = next((c for c in upd if local(c) not in ("FieldURI", "IndexedFieldURI")), None)
        if kind == "DeleteItemField":
            name = uri.split(":", 1)[-1]
            if name == "Recurrence":
                rec_deleted = True
            else:
                changes[name] = None
            continue
        if container is None:
            raise EwsError("ErrorInvalidPropertyRequest", f"No value for {uri}")
        name, value = itemparse.field_value(uri, container, tz)
        if name == "Recurrence":
            rec_elem = value
        elif name == "Body":
            text, body_type = value
            if kind == "AppendToItemField":
                text = str(current.get("Body") or "") + text
            changes["Body"], changes["BodyType"] = text, body_type
        elif kind == "AppendToItemField" and isinstance(value, list):
            changes[name] = list(current.get(name) or []) + value
        else:
            changes[name] = value
    return changes, rec_elem, rec_deleted


def update_item(svc: EwsService, req: Request) -> ET.Element:
    env, msgs = svc.envelope(req)
    tz = _request_tz(svc, req)
    resolution = req.body.get("ConflictResolution", "AutoResolve")
    changes_elem = req.body.find(m("ItemChanges"))
    for change in changes_elem if changes_elem is not None else []:
        try:
            id_elem = next(c for c in change if local(c) != "Updates")
            item, index = svc.item_of(id_elem)
            current = view_of(item, index)
            assert current is not None
            given = id_elem.get("ChangeKey")
            if given and given != current.change_key and resolution == "NeverOverwrite":
                raise EwsError(
                    "ErrorIrresolvableConflict",
                    "The send or update operation could not be performed because the change key "
                    "passed in the request does not match the current change key for the item.",
                )
            updates = change.find(t("Updates"))
            if contacts_ops.is_contact(item):
                contacts_ops.update(svc, item, updates)
                msg = success(msgs, "UpdateItem")
                node = sub(sub(msg, "m:Items"), "t:Contact")
                sub(node, "t:ItemId", Id=item.id, ChangeKey=item.change_key)
                sub(sub(msg, "m:ConflictResults"), "t:Count", "0")
                continue
            if tasks_items.is_task(item):
                tasks_items.update(svc, item, updates)
                msg = success(msgs, "UpdateItem")
                node = sub(sub(msg, "m:Items"), "t:Task")
                sub(node, "t:ItemId", Id=item.id, ChangeKey=item.change_key)
                sub(sub(msg, "m:ConflictResults"), "t:Count", "0")
                continue
            changes, rec_elem, rec_deleted = _changes(
                updates if updates is not None else ET.Element("x"), current.data, tz
            )
            if index is None:
                merged = {**item.data, **{k: v for k, v in changes.items() if v is not None}}
                if "StartTimeZone" in changes and "EndTimeZone" not in changes:
                    changes["EndTimeZone"] = changes["StartTimeZone"]
                    merged["EndTimeZone"] = changes["StartTimeZone"]
                itemparse.validate(merged)
                for key in ("Start", "End"):
                    changes[key] = merged[key]
                if rec_elem is not None:
                    itemparse.apply_recurrence(merged, rec_elem)
                    changes["Recurrence"] = merged["Recurrence"]
                elif rec_deleted:
                    changes["Recurrence"] = None
            else:
                for key in _UPDATE_TZ:
                    changes.pop(key, None)
                if rec_elem is not None or rec_deleted:
                    raise EwsError(
                        "ErrorInvalidPropertyForOperation",
                        "Recurrence cannot be set on an occurrence.",
                    )
            before = copy.deepcopy(current.data)
            edits.update(svc.store, item, index, changes, svc.now())
            after = view_of(item, index)
            assert after is not None
            send = req.body.get("SendMeetingInvitationsOrCancellations", "")
            ops_scheduling.sent_for_write(svc, before, after.data, send)
        except EwsError as exc:
            error(msgs, "UpdateItem", exc)
            continue
        msg = success(msgs, "UpdateItem")
        node = sub(sub(msg, "m:Items"), "t:CalendarItem")
        sub(node, "t:ItemId", Id=after.id, ChangeKey=after.change_key)
        sub(sub(msg, "m:ConflictResults"), "t:Count", "0")
    return env


def delete_item(svc: EwsService, req: Request) -> ET.Element:
    env, msgs = svc.envelope(req)
    ids = req.body.find(m("ItemIds"))
    for elem in ids if ids is not None else []:
        try:
            item, index = svc.item_of(elem)
            before = view_of(item, index)
            edits.delete(svc.store, item, index, svc.now())
            send = req.body.get("SendMeetingCancellations", "")
            if before is not None:
                ops_scheduling.sent_for_write(svc, before.data, None, send)
        except EwsError as exc:
            error(msgs, "DeleteItem", exc)
            continue
        success(msgs, "DeleteItem")
    return env


HANDLERS = {"CreateItem": create_item, "UpdateItem": update_item, "DeleteItem": delete_item}
