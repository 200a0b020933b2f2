"""Edits of single occurrences of an EWS series: overrides and cancellations (EXDATE).

What it does: a RECURRENCE-ID override edits the occurrence (UpdateItem on its ItemId), which
makes it an Exception of the series; a new EXDATE deletes the occurrence (DeleteItem), which adds
a DeletedOccurrence ("Update a recurring series by using EWS in Exchange", "Delete appointments
in a recurring series by using EWS in Exchange"). The occurrence is found in the master's
ModifiedOccurrences (by OriginalStart) or by a CalendarView around its original start.
What it must not do: touch the series master's own fields (provider.py does that).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from exchangelib.ewsdatetime import EWSDateTime
from exchangelib.items import SEND_TO_NONE

from bridge.errors import RemoteNotFound
from bridge.providers.common.retry import RetryPolicy
from bridge.providers.ews.errors import WRITE_POLICY
from bridge.providers.ews.mapping import EwsWrite, changed_fields
from bridge.providers.ews.mapping_read import day_of, item_zone, plain

log = logging.getLogger(__name__)
T = TypeVar("T")
_OCCURRENCE_TYPES = ("Occurrence", "Exception")


class OccurrenceWrites:
    """Mixin of EwsCalendarProvider: needs its `_call` and `_one`."""

    def _call(self, operation: Callable[[], T], policy: RetryPolicy) -> T:
        raise NotImplementedError

    def _one(self, item_id: str, folder: Any) -> Any:
        raise NotImplementedError

    def _apply_instances(self, folder: Any, master_id: str, wanted: EwsWrite) -> None:
        """Overrides edit the occurrence (it becomes an Exception); EXDATEs delete it
        ("Update a recurring series by using EWS", "Delete appointments in a recurring series")."""
        master = self._one(master_id, folder)
        zone = item_zone(master)
        all_day = bool(master.is_all_day)

        def key_of(instant: dt.datetime) -> dt.datetime:
            if all_day:
                day = day_of(instant, zone)
                return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
            return plain(instant)

        deleted = {key_of(d.start) for d in master.deleted_occurrences or [] if d.start}
        modified = {
            key_of(o.original_start): str(o.id)
            for o in master.modified_occurrences or []
            if o.original_start is not None and o.id
        }
        for original, fields in sorted(wanted.overrides.items()):
            occurrence_id = modified.get(original) or self._occurrence(
                folder, master, original, key_of
            )
            if occurrence_id is None:
                log.info(
                    "ews: no occurrence of %s at %s; override not applied", master_id, original
                )
                continue
            occurrence = self._one(occurrence_id, folder)
            values = {k: v for k, v in fields.items() if k not in ("recurrence", "uid")}
            changed = changed_fields(occurrence, values)
            if not changed:
                continue
            for name in changed:
                setattr(occurrence, name, values[name])
            save = partial(
                occurrence.save, update_fields=changed, send_meeting_invitations=SEND_TO_NONE
            )
            self._call(save, WRITE_POLICY)
        for original in sorted(wanted.exdates):
            if original in deleted:
                continue
            occurrence_id = modified.get(original) or self._occurrence(
                folder, master, original, key_of
            )
            if occurrence_id is None:
                continue
            try:
                occurrence = self._one(occurrence_id, folder)
                remove = partial(occurrence.delete, send_meeting_cancellations=SEND_TO_NONE)
                self._call(remove, WRITE_POLICY)
            except RemoteNotFound:
                continue

    def _occurrence(
        self,
        folder: Any,
        master: Any,
        original: dt.datetime,
        key_of: Callable[[dt.datetime], dt.datetime],
    ) -> str | None:
        """The id of the unmodified occurrence starting at `original`, from a CalendarView."""
        lo = EWSDateTime.from_datetime(original - dt.timedelta(days=1))
        hi = EWSDateTime.from_datetime(original + dt.timedelta(days=2))
        found = self._call(
            lambda: list(
                folder.view(start=lo, end=hi).only("uid", "type", "start", "original_start")
            ),
            WRITE_POLICY,
        )
        for item in found:
            if isinstance(item, Exception) or item.uid != master.uid:
                continue
            if item.type not in _OCCURRENCE_TYPES:
                continue
            began = item.original_start or item.start
            if isinstance(began, dt.datetime) and key_of(began) == original:
                return str(item.id)
        return None
