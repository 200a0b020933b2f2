"""The SyncFolderItems cursor and a SyncFolderItems service that reports errors correctly.

What it does: the pull cursor holds the SyncState (bridge.providers.common.cursor, key
"state"); `SyncFolderItemsService` is exchangelib's SyncFolderItems with one
fix: exchangelib reads <m:SyncState> before looking at ResponseClass, and an error message
(ErrorInvalidSyncStateData, "Handling synchronization-related errors in EWS in Exchange") has
no SyncState, so the error is raised first.
What it must not do: I/O of its own, or interpret sync changes (provider.py does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exchangelib.items import ID_ONLY, CalendarItem
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
            elif change in (SyncFolderItems.CREATE, SyncFolderItems.UPDATE) and isinstance(
                obj, item_type
            ):
                item_id = str(getattr(obj, "id", ""))
                deleted.pop(item_id, None)
                upserts[item_id] = None
        new_state = svc.sync_state
        if svc.includes_last_item_in_range or not new_state or new_state == state:
            return list(upserts), list(deleted), str(new_state or state or "")
        state = new_state
    raise CursorExpired("ews", "SyncFolderItems never reached the last item")
