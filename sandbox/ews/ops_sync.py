"""SyncFolderItems: incremental item sync with opaque, client-held SyncStates.

Per how-to "Synchronize items by using EWS in Exchange" and web-service-reference
"SyncFolderItems operation": no SyncState = initial sync (every item as a Create); each response
carries a new SyncState and IncludesLastItemInRange; at most MaxChangesReturned (1..512) changes
per response; several changes to one item since the client's state collapse into one change
with the current item (Create, Update or Delete); a state that cannot be read (or was
invalidated) gives ErrorInvalidSyncStateData. Recurring masters are synced, never occurrences.

A state is (base change number B, per-item overrides): the client has, for every item, the
version it had at B unless an override says otherwise (items sent in a partial page). States are
signed so a tampered state is rejected. This module must not change the store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from sandbox.ews import itemxml
from sandbox.ews.soap import EwsError, EwsFault, Request, error, fmt_bool, m, sub, success
from sandbox.ews.store import CalItem, Store

if TYPE_CHECKING:
    from sandbox.ews.service import EwsService

MAX_CHANGES = 512


def encode_state(store: Store, folder_id: str, base: int, overrides: dict[str, int]) -> str:
    payload = json.dumps(
        {"f": folder_id, "b": base, "o": overrides, "e": store.epoch}, separators=(",", ":")
    ).encode()
    sig = hmac.new(store.secret, payload, hashlib.sha256).digest()[:12]
    return base64.b64encode(b"H4sI" + sig + payload).decode()


def decode_state(store: Store, folder_id: str, token: str) -> tuple[int, dict[str, int]]:
    bad = EwsError("ErrorInvalidSyncStateData", "Synchronization state data is corrupt or invalid.")
    try:
        raw = base64.b64decode(token.strip().encode(), validate=True)
    except Exception as exc:
        raise bad from exc
    if not raw.startswith(b"H4sI") or len(raw) < 17:
        raise bad
    sig, payload = raw[4:16], raw[16:]
    if not hmac.compare_digest(sig, hmac.new(store.secret, payload, hashlib.sha256).digest()[:12]):
        raise bad
    data = json.loads(payload)
    if data.get("f") != folder_id or data.get("e") != store.epoch or data["b"] > store.seq:
        raise bad
    return int(data["b"]), {str(k): int(v) for k, v in data["o"].items()}


def pending(
    items: list[CalItem], base: int, overrides: dict[str, int]
) -> list[tuple[CalItem, int]]:
    """(item, version the client has) for items whose current state differs, by change order."""
    out = []
    for item in items:
        has = overrides.get(item.id, item.version_at(base))
        if has != item.current_view():
            out.append((item, has))
    out.sort(key=lambda pair: pair[0].change_seq)
    return out


def plan(
    store: Store, folder_id: str, base: int, overrides: dict[str, int], limit: int
) -> tuple[list[tuple[CalItem, int]], int, dict[str, int], bool]:
    """(changes to send, new base, new overrides, includes last)."""
    items = [i for i in store.items.values() if i.folder_id == folder_id]
    todo = pending(items, base, overrides)
    sent = todo[:limit]
    done = len(sent) == len(todo)
    new_base = store.seq if done else sent[-1][0].change_seq
    sent_ids = {i.id for i, _ in sent}
    new_over: dict[str, int] = {}
    for item in items:
        if item.id in sent_ids:
            view = item.current_view()
        else:
            view = overrides.get(item.id, item.version_at(base))
        if view != item.version_at(new_base):
            new_over[item.id] = view
    return sent, new_base, new_over, done


def sync_folder_items(svc: EwsService, req: Request) -> ET.Element:
    env, msgs = svc.envelope(req)
    body = req.body
    folder_elem = body.find(f"{m('SyncFolderId')}/*")
    if folder_elem is None:
        raise EwsFault("ErrorSchemaValidation", "SyncFolderId is required.")
    folder = svc.folder_of(folder_elem)
    try:
        limit = int((body.findtext(m("MaxChangesReturned")) or "").strip())
    except ValueError as exc:
        raise EwsFault("ErrorSchemaValidation", "MaxChangesReturned is required.") from exc
    if not 1 <= limit <= MAX_CHANGES:
        raise EwsFault("ErrorSchemaValidation", "MaxChangesReturned must be between 1 and 512.")
    token = (body.findtext(m("SyncState")) or "").strip()
    try:
        base, overrides = decode_state(svc.store, folder.id, token) if token else (0, {})
    except EwsError as exc:
        # Exchange still sends (empty) SyncState and IncludesLastItemInRange; exchangelib reads them
        msg = error(msgs, "SyncFolderItems", exc)
        sub(msg, "m:SyncState")
        sub(msg, "m:IncludesLastItemInRange", "true")
        return env
    sent, new_base, new_over, done = plan(svc.store, folder.id, base, overrides, limit)
    shape = itemxml.parse_shape(body.find(m("ItemShape")))
    ctx = svc.render_ctx(shape)
    msg = success(msgs, "SyncFolderItems")
    sub(msg, "m:SyncState", encode_state(svc.store, folder.id, new_base, new_over))
    sub(msg, "m:IncludesLastItemInRange", fmt_bool(done))
    changes = sub(msg, "m:Changes")
    for item, has in sent:
        if not item.alive:
            node = sub(changes, "t:Delete")
            sub(node, "t:ItemId", Id=item.id, ChangeKey=item.change_key)
            continue
        node = sub(changes, "t:Create" if has == 0 else "t:Update")
        itemxml.render(node, itemxml.View(item, None, item.data), ctx)
    return env


HANDLERS = {"SyncFolderItems": sync_folder_items}
