"""The mailbox model of the EWS sandbox: folders, calendar items, ChangeKeys and change history.

Every write goes through `Store.touch`, which gives the item a new ChangeKey (page "ItemId",
ChangeKey "identifies a specific version of an item") and a new change number, so
SyncFolderItems (ops_sync.py) can tell what a client has seen. Deleted items stay as tombstones
for sync. Occurrence exceptions and deletions live on their recurring master (0-based index in
series order); EWS's InstanceIndex is 1-based. Pure data + bookkeeping: no XML, no HTTP, no clock
reads (callers pass `now`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

Fields = dict[str, Any]

# Calendar item fields kept in CalItem.data (EWS element names, values in model form):
#   Subject, Body (text), BodyType ("HTML"|"Text"), Start/End (aware UTC), IsAllDayEvent,
#   StartTimeZone/EndTimeZone (Windows ids), Location, Organizer ((name, email)),
#   RequiredAttendees/OptionalAttendees/Resources ([(name, email, ResponseType)]), Sensitivity,
#   Categories ([str]), ReminderIsSet, ReminderMinutesBeforeStart, LegacyFreeBusyStatus,
#   IsCancelled, Importance, MyResponseType, UID, Recurrence (Graph-shaped normalized dict).
EXCEPTION_FIELDS = (
    "Subject",
    "Body",
    "BodyType",
    "Start",
    "End",
    "Location",
    "LegacyFreeBusyStatus",
    "IsCancelled",
    "Sensitivity",
    "ReminderIsSet",
    "ReminderMinutesBeforeStart",
    "Categories",
    "RequiredAttendees",
    "OptionalAttendees",
    "IsAllDayEvent",
)


ID_MAGIC = b"\x00\x03\x24\x00"  # base64 text starts "AAMkA", like Exchange's EwsIds
ID_BYTES = 111  # Exchange ItemIds are ~148 base64 characters (DavMail relies on >= 144)


def make_id(kind: str, raw: bytes) -> str:
    """An opaque, base64 EWS-looking id (real ids are base64 of a binary entry id)."""
    data = ID_MAGIC + kind.encode() + b"\x00" + raw
    return base64.b64encode(data.ljust(ID_BYTES, b"\x00")).decode()


def occurrence_id(master_id: str, index: int) -> str:
    """Id of the `index`-th (0-based) occurrence of a master; stable across reads."""
    return make_id("OCC", f"{master_id}|{index}".encode())


def looks_like_id(value: str) -> bool:
    try:
        return base64.b64decode(value.encode(), validate=True).startswith(ID_MAGIC)
    except Exception:
        return False


def parse_occurrence_id(item_id: str) -> tuple[str, int] | None:
    try:
        raw = base64.b64decode(item_id.encode(), validate=True)
    except Exception:
        return None
    prefix = ID_MAGIC + b"OCC\x00"
    if not raw.startswith(prefix):
        return None
    master, _, idx = raw[len(prefix) :].rstrip(b"\x00").decode(errors="replace").rpartition("|")
    try:
        return master, int(idx)
    except ValueError:
        return None


@dataclass
class Folder:
    id: str
    change_key: str
    parent_id: str | None
    display_name: str
    folder_class: str | None
    distinguished: str | None = None
    can_write: bool = True
    modified: dt.datetime = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    # another mailbox of the organisation, opened by the user as a delegate ("" = the user's
    # own); view_private: the delegate's ViewPrivateItems (sandbox.ews.delegates)
    mailbox: str = ""
    view_private: bool = True


@dataclass
class CalItem:
    id: str
    change_key: str
    folder_id: str
    data: Fields
    created: dt.datetime
    modified: dt.datetime
    # occurrence index (0-based) -> overridden fields (exception); also holds "ChangeKey"
    exceptions: dict[int, Fields] = field(default_factory=dict)
    deleted_occurrences: set[int] = field(default_factory=set)
    history: list[int] = field(default_factory=list)  # change numbers of create/updates
    deleted_seq: int | None = None  # tombstone when set

    @property
    def alive(self) -> bool:
        return self.deleted_seq is None

    @property
    def version(self) -> int:
        return self.history[-1] if self.history else 0

    @property
    def change_seq(self) -> int:
        return self.deleted_seq if self.deleted_seq is not None else self.version

    def version_at(self, seq: int) -> int:
        """The version a client that saw everything up to `seq` has (0: none)."""
        if self.deleted_seq is not None and self.deleted_seq <= seq:
            return 0
        seen = [h for h in self.history if h <= seq]
        return seen[-1] if seen else 0

    def current_view(self) -> int:
        return self.version if self.alive else 0


class Store:
    """Folders and items of one mailbox, with a global change counter."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.seq = 0
        self.counter = 0
        self.epoch = 0  # bumped to invalidate every SyncState
        self.folders: dict[str, Folder] = {}
        self.items: dict[str, CalItem] = {}
        self.by_uid: dict[str, str] = {}

    # ---- ids ------------------------------------------------------------------------------
    def new_raw(self, kind: str) -> bytes:
        self.counter += 1
        return hashlib.sha256(self.secret + f"{kind}:{self.counter}".encode()).digest()[:18]

    def new_change_key(self) -> str:
        self.counter += 1
        raw = hashlib.sha256(self.secret + f"ck:{self.counter}".encode()).digest()[:12]
        return base64.b64encode(b"DwAAABYAAAA" + raw).decode()

    # ---- folders --------------------------------------------------------------------------
    def add_folder(
        self,
        name: str,
        parent: str | None,
        folder_class: str | None,
        distinguished: str | None = None,
        can_write: bool = True,
    ) -> Folder:
        fid = make_id("FLD", self.new_raw("folder"))
        folder = Folder(
            fid, self.new_change_key(), parent, name, folder_class, distinguished, can_write
        )
        self.folders[fid] = folder
        return folder

    def distinguished(self, name: str, mailbox: str = "") -> Folder | None:
        for folder in self.folders.values():
            if folder.distinguished == name and folder.mailbox.lower() == mailbox.lower():
                return folder
        return None

    def children(self, folder_id: str) -> list[Folder]:
        return [f for f in self.folders.values() if f.parent_id == folder_id]

    def descendants(self, folder_id: str) -> list[Folder]:
        out: list[Folder] = []
        for child in self.children(folder_id):
            out.append(child)
            out.extend(self.descendants(child.id))
        return out

    def items_in(self, folder_id: str) -> list[CalItem]:
        return [i for i in self.items.values() if i.alive and i.folder_id == folder_id]

    # ---- items ----------------------------------------------------------------------------
    def _bump(self, item: CalItem, now: dt.datetime) -> None:
        self.seq += 1
        item.history.append(self.seq)
        item.change_key = self.new_change_key()
        item.modified = now
        folder = self.folders.get(item.folder_id)
        if folder is not None:
            folder.modified = now

    def create(self, folder_id: str, data: Fields, now: dt.datetime) -> CalItem:
        iid = make_id("ITM", self.new_raw("item"))
        item = CalItem(iid, "", folder_id, dict(data), now, now)
        if not item.data.get("UID"):
            item.data["UID"] = hashlib.sha256(iid.encode()).hexdigest()[:40].upper()
        self.items[iid] = item
        self.by_uid[str(item.data["UID"])] = iid
        self._bump(item, now)
        return item

    def touch(self, item: CalItem, now: dt.datetime) -> None:
        """Record a write: new ChangeKey, new change number, LastModifiedTime = now."""
        self._bump(item, now)

    def delete(self, item: CalItem, now: dt.datetime) -> None:
        self.seq += 1
        item.deleted_seq = self.seq
        item.modified = now
        self.by_uid.pop(str(item.data.get("UID")), None)

    def get(self, item_id: str) -> CalItem | None:
        item = self.items.get(item_id)
        return item if item is not None and item.alive else None
