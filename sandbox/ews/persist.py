"""The EWS sandbox's mailbox store as JSON data, and back (sandbox.core.persistence writes it).

Ids, ChangeKeys, change numbers, the signing secret and the sync epoch are kept, so a resumed
sandbox accepts the SyncStates and ChangeKeys it handed out before. This module must not
interpret the data beyond (de)serializing it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.ews.store import CalItem, Folder, Store

STATE_FILE = "ews-sandbox.json"
_DT = "$dt:"


def _enc(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _DT + value.isoformat()
    if isinstance(value, tuple | list):
        return [_enc(v) for v in value]
    if isinstance(value, dict):
        return {k: _enc(v) for k, v in value.items()}
    return value


def _dec(value: Any, key: str = "") -> Any:
    if isinstance(value, str) and value.startswith(_DT):
        return dt.datetime.fromisoformat(value[len(_DT) :])
    if isinstance(value, list):
        items = [_dec(v) for v in value]
        if key in ("Organizer",):
            return tuple(items)
        if key in ("RequiredAttendees", "OptionalAttendees", "Resources"):
            return [tuple(v) for v in items]
        return items
    if isinstance(value, dict):
        return {k: _dec(v, k) for k, v in value.items()}
    return value


def store_to_json(store: Store) -> dict[str, Any]:
    return {
        "secret": store.secret.hex(),
        "seq": store.seq,
        "counter": store.counter,
        "epoch": store.epoch,
        "folders": [
            {**{k: v for k, v in vars(f).items() if k != "modified"}, "modified": _enc(f.modified)}
            for f in store.folders.values()
        ],
        "items": [
            {
                "id": i.id,
                "change_key": i.change_key,
                "folder_id": i.folder_id,
                "data": _enc(i.data),
                "created": _enc(i.created),
                "modified": _enc(i.modified),
                "exceptions": {str(k): _enc(v) for k, v in i.exceptions.items()},
                "deleted_occurrences": sorted(i.deleted_occurrences),
                "history": i.history,
                "deleted_seq": i.deleted_seq,
            }
            for i in store.items.values()
        ],
    }


def store_from_json(data: dict[str, Any]) -> Store:
    store = Store(bytes.fromhex(data["secret"]))
    store.seq, store.counter, store.epoch = data["seq"], data["counter"], data["epoch"]
    for f in data["folders"]:
        folder = Folder(**{**f, "modified": _dec(f["modified"])})
        store.folders[folder.id] = folder
    for i in data["items"]:
        item = CalItem(
            i["id"],
            i["change_key"],
            i["folder_id"],
            _dec(i["data"]),
            _dec(i["created"]),
            _dec(i["modified"]),
            {int(k): _dec(v) for k, v in i["exceptions"].items()},
            set(i["deleted_occurrences"]),
            list(i["history"]),
            i["deleted_seq"],
        )
        store.items[item.id] = item
        if item.alive:
            store.by_uid[str(item.data.get("UID"))] = item.id
    return store
