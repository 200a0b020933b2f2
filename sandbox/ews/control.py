"""Control API of the EWS sandbox: `/_control/…`, JSON in and out, loopback only, no auth.

Writes made here are what Outlook (the "provider side") would do: they go through the same edits
as EWS operations, so ChangeKeys change and SyncFolderItems reports them.

  GET  /_control                      this description
  GET  /_control/folders              [{id, name, folder_class, distinguished, parent_id, can_write}]
  GET  /_control/items?folder=calendar  [{id, change_key, uid, subject, start, end, type}]
  GET  /_control/items/full?folder=…    [{id, change_key, data: every stored field, exceptions,
                                          deleted_occurrences}] (field-by-field comparisons)
  POST /_control/create   {"folder": "calendar" | folder id | display name,
                           "fields": {EWS names: Subject, Start, End (ISO), StartTimeZone,
                                      IsAllDayEvent, Location, Body, BodyType, Sensitivity,
                                      Categories, …}  or  "event": {Graph-shaped event body}}
                          -> {id, change_key, uid}
  POST /_control/update   {"id", "fields" | "event", "occurrence": 0-based index (optional)}
  POST /_control/delete   {"id", "occurrence": optional}
  POST /_control/cancel   {"id", "occurrence": optional}  (IsCancelled, as an organizer's cancel)
  POST /_control/fault    {"operation": "SyncFolderItems" | "*", "code": "ErrorServerBusy",
                           "back_off_ms": 200, "times": 1, "skip": 0, "delay_ms": 0}
                          delay_ms > 0: not a failure — the operation takes effect and its
                          answer is held delay_ms (a slow server: the client times out after
                          the write was done)
  POST /_control/clear-faults
  POST /_control/invalidate-sync-states   every SyncState -> ErrorInvalidSyncStateData
  POST /_control/password {"password"}    old password -> 401 (NTLM connections re-authenticate)
  GET  /_control/log      {"requests": [...], "counts": {op: n}}
  POST /_control/reset-log
  POST /_control/reset    {"seed": true, "bulk_events": 0}  fresh mailbox (new ids)
  GET|POST /_control/contacts…            contacts (see sandbox.ews.contacts_control)
  GET|POST /_control/users…               more accounts, each with a mailbox; their passwords
                                          (see sandbox.ews.users_control)

This module must not speak SOAP.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any, Protocol

from sandbox.ews import contacts_control, edits, itemparse, ops_scheduling, users_control
from sandbox.ews import recurrence as erec
from sandbox.ews.seed import graph_to_fields
from sandbox.ews.service import EwsService, FaultRule
from sandbox.ews.soap import EwsError, fmt_datetime
from sandbox.ews.store import Fields

Json = dict[str, Any]


class Controlled(users_control.Accounts, Protocol):
    def reseed(self, seed: bool, bulk_events: int) -> None: ...


def _folder_id(svc: EwsService, ref: str) -> str:
    store = svc.store
    if ref in store.folders:
        return ref
    found = store.distinguished(ref)
    if found is None:
        found = next((f for f in store.folders.values() if f.display_name == ref), None)
    if found is None:
        raise EwsError("ErrorFolderNotFound", f"no folder {ref!r}")
    return found.id


def _fields(body: Json) -> Fields:
    if "event" in body:
        return graph_to_fields(body["event"])
    out: Fields = {}
    for key, value in (body.get("fields") or {}).items():
        if key in ("Start", "End") and isinstance(value, str):
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if value.tzinfo is None:
                zone_id = (body.get("fields") or {}).get("StartTimeZone", "UTC")
                value = value.replace(tzinfo=erec.zone(zone_id))
            value = value.astimezone(dt.UTC)
        if key in ("RequiredAttendees", "OptionalAttendees", "Resources"):
            value = [tuple(v) for v in value]
        if key == "Organizer":
            value = tuple(value)
        out[key] = value
    return out


def _item_json(svc: EwsService, item_id: str) -> Json:
    item = svc.store.items[item_id]
    return {
        "id": item.id,
        "change_key": item.change_key,
        "uid": item.data.get("UID"),
        "subject": item.data.get("Subject"),
        "start": fmt_datetime(item.data["Start"]),
        "end": fmt_datetime(item.data["End"]),
        "type": "RecurringMaster" if item.data.get("Recurrence") else "Single",
        "exceptions": sorted(item.exceptions),
        "deleted_occurrences": sorted(item.deleted_occurrences),
        "extended": dict(item.data.get("Extended") or {}),  # ExtendedFieldURI key -> value
    }


def _plain(value: Any) -> Any:
    """A stored field value as JSON (tests compare items field by field)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def full_item(item: Any) -> Json:
    """Every stored field of a calendar item, its exceptions and deleted occurrences."""
    return {
        "id": item.id,
        "change_key": item.change_key,
        "data": _plain(item.data),
        "exceptions": {str(k): _plain(v) for k, v in sorted(item.exceptions.items())},
        "deleted_occurrences": sorted(item.deleted_occurrences),
    }


def handle(
    sb: Controlled, method: str, path: str, query: dict[str, str], body: Json
) -> tuple[int, Any]:
    svc = sb.service
    action = path.removeprefix("/_control").strip("/")
    try:
        with svc.lock:
            return _dispatch(sb, svc, method, action, query, body)
    except EwsError as exc:
        return 404 if exc.code in ("ErrorItemNotFound", "ErrorFolderNotFound") else 400, {
            "error": exc.code,
            "message": exc.text,
        }
    except (KeyError, ValueError, TypeError) as exc:
        return 400, {"error": "BadRequest", "message": repr(exc)}


def _dispatch(  # noqa: C901 - a flat route table
    sb: Controlled, svc: EwsService, method: str, action: str, query: dict[str, str], body: Json
) -> tuple[int, Any]:
    now = svc.now()
    if action == "contacts" or action.startswith("contacts/"):
        return contacts_control.handle(svc, method, action, query, body)
    if action == "users" or action.startswith("users/"):
        return users_control.handle(sb, method, action, body)
    if method == "GET" and action == "":
        return 200, {"doc": __doc__}
    if action in (
        "messages",
        "messages/clear",
    ):  # test-only: the meeting messages Exchange would send
        return ops_scheduling.control(svc, method, query)
    if method == "GET" and action == "folders":
        return 200, [
            {
                "id": f.id,
                "name": f.display_name,
                "folder_class": f.folder_class,
                "distinguished": f.distinguished,
                "parent_id": f.parent_id,
                "can_write": f.can_write,
            }
            for f in svc.store.folders.values()
        ]
    if method == "GET" and action == "items":
        folder = _folder_id(svc, query.get("folder", "calendar"))
        return 200, [_item_json(svc, i.id) for i in svc.store.items_in(folder)]
    if method == "GET" and action == "items/full":
        folder = _folder_id(svc, query.get("folder", "calendar"))
        return 200, [full_item(i) for i in svc.store.items_in(folder)]
    if method == "GET" and action == "log":
        return 200, {"requests": list(svc.log), "counts": dict(svc.counts)}
    if method != "POST":
        return 404, {"error": "NotFound"}
    if action == "create":
        data = _fields(body)
        itemparse.validate(data)
        if (
            isinstance(data.get("Recurrence"), dict)
            or "event" in body
            and body["event"].get("recurrence")
        ):
            from sandbox import recurrence as rec

            raw = data.get("Recurrence") or body["event"]["recurrence"]
            start_local = data["Start"].astimezone(erec.zone(data["StartTimeZone"]))
            data["Recurrence"] = rec.normalize(
                raw, start_local.replace(tzinfo=None), data["StartTimeZone"]
            )
        folder = _folder_id(svc, str(body.get("folder", "calendar")))
        folder_obj = svc.store.folders[folder]
        writable, folder_obj.can_write = folder_obj.can_write, True  # the owner may write
        try:
            item = edits.create(svc.store, folder, data, now)
        finally:
            folder_obj.can_write = writable
        return 200, _item_json(svc, item.id)
    if action in ("update", "delete", "cancel"):
        item, _ = svc.item_of_id(str(body["id"]))
        index = body.get("occurrence")
        index = int(index) if index is not None else None
        folder_obj = svc.store.folders[item.folder_id]
        writable, folder_obj.can_write = folder_obj.can_write, True
        try:
            if action == "update":
                changes = _fields(body)
                if index is not None:
                    changes.pop("StartTimeZone", None)
                    changes.pop("EndTimeZone", None)
                else:
                    merged = {**item.data, **changes}
                    itemparse.validate(merged)
                    changes["Start"], changes["End"] = merged["Start"], merged["End"]
                edits.update(svc.store, item, index, changes, now)
            elif action == "delete":
                edits.delete(svc.store, item, index, now)
            else:
                edits.set_cancelled(svc.store, item, index, now)
        finally:
            folder_obj.can_write = writable
        return 200, _item_json(svc, item.id)
    if action == "fault":
        svc.faults.append(
            FaultRule(
                operation=str(body.get("operation", "*")),
                code=str(body.get("code", "ErrorServerBusy")),
                back_off_ms=body.get("back_off_ms", 200),
                times=int(body.get("times", 1)),
                skip=int(body.get("skip", 0)),
                delay_ms=int(body.get("delay_ms", 0)),
            )
        )
        return 200, {"faults": len(svc.faults)}
    if action == "clear-faults":
        svc.faults.clear()
        return 200, {"faults": 0}
    if action == "invalidate-sync-states":
        svc.store.epoch += 1
        return 200, {"epoch": svc.store.epoch}
    if action == "password":
        sb.auth.set_password(str(body["password"]))
        return 200, {"ok": True}
    if action == "reset-log":
        svc.log.clear()
        svc.counts.clear()
        return 200, {"ok": True}
    if action == "reset":
        sb.reseed(bool(body.get("seed", True)), int(body.get("bulk_events", 0)))
        return 200, {"ok": True}
    return 404, {"error": "NotFound", "message": f"no control action {action!r}"}
