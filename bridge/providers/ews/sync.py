"""The SyncFolderItems cursor and a SyncFolderItems service that reports errors correctly.

What it does: the pull cursor holds the SyncState (bridge.providers.common.cursor, key
"state"); `SyncFolderItemsService` is exchangelib's SyncFolderItems with two changes:
exchangelib reads <m:SyncState> before looking at ResponseClass, and an error message
(ErrorInvalidSyncStateData, "Handling synchronization-related errors in EWS in Exchange") has
no SyncState, so the error is raised first; and a created or updated item of an IdOnly round
is read as what it is — its item class and its <t:ItemId> — instead of a whole exchangelib
item with its 79 fields built around one id (a sixth of an EWS first sync's CPU, issue 14).
What it must not do: I/O of its own, or interpret sync changes (provider.py does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exchangelib.folders import BaseFolder
from exchangelib.items import ID_ONLY, CalendarItem
from exchangelib.properties import ItemId
from exchangelib.services import SyncFolderItems
from exchangelib.services.sync_folder_hierarchy import SyncFolder

from bridge.errors import CursorExpired
from bridge.providers.common.cursor import CursorCodec

CURSORS = CursorCodec("state")


class SyncFolderItemsService(SyncFolderItems):  # type: ignore[misc]  # exchangelib ships no type information
    """exchangelib reads <SyncState> before checking ResponseClass; an error message (e.g.
    ErrorInvalidSyncStateData) has none, so the error is raised before that read."""

    def _get_element_container(self, message: Any, name: Any = None) -> Any:
        if message.get("ResponseClass") == "Error":
            return super(SyncFolder, self)._get_element_container(message=message, name=name)
        return super()._get_element_container(message=message, name=name)

    def _elem_to_obj(self, elem: Any) -> tuple[str, Any]:
        change_type = self.change_types_map[elem.tag]
        if change_type not in (self.CREATE, self.UPDATE):
            return super()._elem_to_obj(elem)  # type: ignore[no-any-return]
        # the item's element (its tag names its class: CalendarItem, MeetingRequest, Task…);
        # an IdOnly shape holds nothing but the ItemId (SyncFolderItems, "Changes" element)
        item_elem = elem[0]
        id_elem = item_elem.find(ItemId.response_tag())
        return change_type, ChangedItem(
            model=BaseFolder.item_model_from_tag(item_elem.tag),
            id=None if id_elem is None else id_elem.get(ItemId.ID_ATTR),
        )


@dataclass(frozen=True)
class ChangedItem:
    """A created or updated item of an IdOnly SyncFolderItems round: its exchangelib item
    class and its ItemId's Id."""

    model: type
    id: str | None


MAX_ROUNDS = 10_000

#: How a provider runs one EWS call under its retry policy: call(operation) -> result.
Runner = Callable[[Callable[[], list[Any]]], list[Any]]


def sync_changes(
    account: Any,
    folder: Any,
    state: str | None,
    max_changes: int,
    run: Runner,
    translate: Callable[[Exception], Exception],
    item_type: type = CalendarItem,
) -> tuple[list[str], list[str], str]:
    """All SyncFolderItems rounds until IncludesLastItemInRange (ids only), nothing applied
    before the last: (changed ids, deleted ids, new state). Several changes to one item since
    `state` end as one entry, its last (how-to-synchronize-items-by-using-ews-in-exchange.md).
    Created/updated items that are not `item_type` (a calendar folder also holds Message,
    MeetingRequest, MeetingResponse… items) are skipped."""
    upserts: dict[str, None] = {}
    deleted: dict[str, None] = {}
    for _ in range(MAX_ROUNDS):
        svc = SyncFolderItemsService(account=account)

        def one_round(svc: Any = svc, current: str | None = state) -> list[Any]:
            return list(
                svc.call(
                    folder=folder,
                    shape=ID_ONLY,
                    additional_fields=set(),
                    sync_state=current,
                    ignore=None,
                    max_changes_returned=max_changes,
                    sync_scope="NormalItems",
                )
            )

        for element in run(one_round):
            if isinstance(element, Exception):
                raise translate(element)
            change, obj = element
            if change == SyncFolderItems.DELETE:
                upserts.pop(str(obj.id), None)
                deleted[str(obj.id)] = None
            elif (
                change in (SyncFolderItems.CREATE, SyncFolderItems.UPDATE)
                and isinstance(obj, ChangedItem)
                and issubclass(obj.model, item_type)
                and obj.id
            ):
                item_id = obj.id
                deleted.pop(item_id, None)
                upserts[item_id] = None
        new_state = svc.sync_state
        if svc.includes_last_item_in_range or not new_state or new_state == state:
            return list(upserts), list(deleted), str(new_state or state or "")
        state = new_state
    raise CursorExpired("ews", "SyncFolderItems never reached the last item")
