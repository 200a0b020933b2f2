"""Writes to calendar items shared by the EWS operations and the control API.

Semantics follow web-service-reference "UpdateItem operation" / "DeleteItem operation" and
"how-to-update-a-recurring-series-by-using-ews" / "how-to-access-a-recurring-series-by-using-ews":
editing one occurrence makes it an exception (listed in the master's ModifiedOccurrences, with its
own ChangeKey); deleting one occurrence adds a DeletedOccurrence; both are writes to the master
(new ChangeKey, an Update in SyncFolderItems). Every write changes the ChangeKey. This module
must not parse or render XML.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.ews import recurrence as erec
from sandbox.ews.soap import EwsError
from sandbox.ews.store import EXCEPTION_FIELDS, CalItem, Fields, Store

SERIES_ONLY = ("Recurrence", "StartTimeZone", "EndTimeZone", "UID", "Organizer")


def create(store: Store, folder_id: str, data: Fields, now: dt.datetime) -> CalItem:
    folder = store.folders.get(folder_id)
    if folder is None:
        raise EwsError("ErrorFolderNotFound", "The specified folder could not be found.")
    if not folder.can_write:
        raise EwsError("ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    data = dict(data)
    data.setdefault("Subject", "")
    data.setdefault("LegacyFreeBusyStatus", "Busy")
    data.setdefault("Sensitivity", "Normal")
    data.setdefault("ReminderIsSet", True)
    data.setdefault("ReminderMinutesBeforeStart", 15)
    if data.get("UID") and str(data["UID"]) in store.by_uid:
        raise EwsError("ErrorDuplicateUID", "An item with the same UID already exists.")
    return store.create(folder_id, data, now)


def _check_writable(store: Store, item: CalItem) -> None:
    folder = store.folders.get(item.folder_id)
    if folder is not None and not folder.can_write:
        raise EwsError("ErrorAccessDenied", "Access is denied. Check credentials and try again.")


def update(
    store: Store, item: CalItem, index: int | None, changes: Fields, now: dt.datetime
) -> None:
    """Apply field changes (value None deletes the field) to a master/single or one occurrence."""
    _check_writable(store, item)
    if index is None:
        for key, value in changes.items():
            if value is None:
                item.data.pop(key, None)
            else:
                item.data[key] = value
        if item.data.get("Recurrence") is None:
            item.exceptions.clear()
            item.deleted_occurrences.clear()
        if item.data["End"] < item.data["Start"]:
            raise EwsError(
                "ErrorCalendarEndDateIsEarlierThanStartDate", "EndDate is earlier than StartDate"
            )
        store.touch(item, now)
        return
    bad = [k for k in changes if k not in EXCEPTION_FIELDS]
    if bad:
        raise EwsError(
            "ErrorInvalidPropertyForOperation", f"{bad[0]} cannot be set on an occurrence."
        )
    times = erec.occurrence_times(item, index)
    if times is None:
        raise EwsError(
            "ErrorCalendarOccurrenceIsDeletedFromRecurrence", "The occurrence was deleted."
        )
    exc: dict[str, Any] = dict(item.exceptions.get(index, {}))
    exc.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        exc.pop(key, None)
    start = exc.get("Start", times[0])
    end = exc.get("End", times[1])
    if end < start:
        raise EwsError(
            "ErrorCalendarEndDateIsEarlierThanStartDate", "EndDate is earlier than StartDate"
        )
    exc["ChangeKey"] = store.new_change_key()
    item.exceptions[index] = exc
    store.touch(item, now)


def delete(store: Store, item: CalItem, index: int | None, now: dt.datetime) -> None:
    _check_writable(store, item)
    if index is None:
        store.delete(item, now)
        return
    item.deleted_occurrences.add(index)
    item.exceptions.pop(index, None)
    store.touch(item, now)


def set_cancelled(store: Store, item: CalItem, index: int | None, now: dt.datetime) -> None:
    """What an organizer's cancellation does to an attendee's copy: IsCancelled, Free."""
    update(store, item, index, {"IsCancelled": True, "LegacyFreeBusyStatus": "Free"}, now)
