"""`CalendarProvider` for Exchange over EWS with exchangelib (C1 calendars, C5 writes, C6 pulls).

Wire calls only; the conversion lives in bridge.providers.ews.mapping.
- list_calendars: the distinguished Calendar folder and the calendar folders below it.
- pull: SyncFolderItems (IdOnly) for every round until IncludesLastItemInRange, then GetItem in
  batches for the created/updated ids (SyncFolderItems cannot return Body or Recurrence:
  "Synchronize items by using EWS in Exchange"). A RecurringMaster is one resource with its
  ModifiedOccurrences fetched by GetItem (overrides) and its DeletedOccurrences (EXDATE).
  Nothing is returned before the last round arrived. Window: an item is kept when its iCalendar
  enclosing range (bridge.ical.timerange; a series up to its last occurrence, open-ended series
  forever) meets the window; in an incremental round an updated item that left the window is
  reported removed. As with Graph, a cursor keeps its window while the sync window moved less
  than WINDOW_TOLERANCE, and a full round (reset) starts after that, so items that drifted into
  the window are listed.
- create: EWS has no idempotency key, so the folder is searched for the UID first (FindItem
  around the start) and an existing item is returned instead of a second one.
- update/delete: a given version is checked against the item's current ChangeKey before
  anything is written; UpdateItem uses ConflictResolution=NeverOverwrite with the ChangeKey, so
  a race still ends in ErrorIrresolvableConflict -> PreconditionFailed. Overrides edit the
  occurrence (found in ModifiedOccurrences or by a CalendarView around its original start);
  new EXDATEs delete the occurrence.
- Lossless overlay (C10): after a write, what Exchange could not hold of the client's text
  is stored in a named extended property (overlay_field.py) and merged back on every read; the
  client's UID is Exchange's own (set on create), except for a second calendar's copy of a UID
  the mailbox holds already (`copy_uid`), where the overlay keeps the client's.
This module must not touch the store or the sync engine and must not enrich events.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from exchangelib import CalendarItem
from exchangelib.ewsdatetime import EWSDateTime
from exchangelib.folders import Calendar
from exchangelib.items import (
    NEVER_OVERWRITE,
    SEND_TO_ALL_AND_SAVE_COPY,
    SEND_TO_CHANGED_AND_SAVE_COPY,
    SEND_TO_NONE,
)
from exchangelib.properties import RecurringMasterItemId

from bridge.errors import (
    BridgeError,
    IncompleteItem,
    PreconditionFailed,
    RemoteNotFound,
)
from bridge.ical import overlay
from bridge.ical.timerange import enclosing_range
from bridge.model import CalendarInfo, ProviderKind, PullResult, RemoteItem, SyncWindow
from bridge.providers.base import PullPage, prefetched
from bridge.providers.common.retry import RetryPolicy
from bridge.providers.common.versions import decode_versions, encode_versions
from bridge.providers.ews import overlay_field
from bridge.providers.ews.collections import EwsCalendarFolders, hierarchy_lock
from bridge.providers.ews.errors import PULL_POLICY, WRITE_POLICY
from bridge.providers.ews.mailbox import EwsMailbox
from bridge.providers.ews.mapping import EwsWrite, changed_fields, ews_to_ical, ical_to_ews
from bridge.providers.ews.mapping_read import ews_rendering, plain
from bridge.providers.ews.occurrences import OccurrenceWrites
from bridge.providers.ews.scheduling import EwsScheduling, cancels
from bridge.providers.ews.shared import shared_calendars
from bridge.providers.ews.sync import CURSORS
from bridge.providers.ews.tasks import EwsTasks

log = logging.getLogger(__name__)
T = TypeVar("T")


def copy_uid(uid: str, calendar_id: str) -> str:
    """Exchange's UID for the copy of `uid` in calendar folder `calendar_id` (stable, so a
    retried create finds it)."""
    return f"{uid}-davbridge-copy-{hashlib.sha256(calendar_id.encode()).hexdigest()[:12]}"


FIELDS = (
    "subject",
    "body",
    "start",
    "end",
    "is_all_day",
    "location",
    "organizer",
    "required_attendees",
    "optional_attendees",
    "resources",
    "recurrence",
    "modified_occurrences",
    "deleted_occurrences",
    "first_occurrence",
    "sensitivity",
    "legacy_free_busy_status",
    "categories",
    "reminder_is_set",
    "reminder_minutes_before_start",
    "uid",
    "last_modified_time",
    "datetime_created",
    "_start_timezone",
    "_end_timezone",
    "type",
    "is_cancelled",
    "importance",
    "original_start",
    overlay_field.FIELD,
)
_OCCURRENCE_TYPES = ("Occurrence", "Exception")
# ids fetched and converted per page of a streamed full round (a multiple of exchangelib's
# GetItem batch of 100, so the requests are those of one fetch of them all)
PAGE_IDS = 500


def _in_window(item: RemoteItem, window: SyncWindow) -> bool:
    """Whether the item has an occurrence in the window: the mapping's range when it gave one
    (no parse), else the range of the text."""
    start, end = item.span if item.span is not None else enclosing_range(item.ical)
    return start < window.end.timestamp() and end > window.start.timestamp()


class EwsCalendarProvider(
    EwsMailbox, OccurrenceWrites, EwsCalendarFolders, EwsScheduling, EwsTasks
):
    """Calendars of one EWS mailbox (implements bridge.providers.base.CalendarProvider)."""

    kind = ProviderKind.EWS
    FOLDER_WORD = "calendar folder"
    ITEM_TYPE = CalendarItem
    ITEM_FIELDS = FIELDS

    def _list_folders(self) -> None:
        self.list_calendars()

    # --- C1 ------------------------------------------------------------------------------------
    def list_calendars(self) -> list[CalendarInfo]:
        with hierarchy_lock(self.account):
            # exchangelib caches the folder hierarchy for the Account's lifetime; without clearing
            # it a calendar made in Outlook would appear only after a restart (C1, issue 11).
            self._call(lambda: self.account.root.clear_cache(), PULL_POLICY)
            default = self._call(lambda: self.account.calendar, PULL_POLICY)
            below = self._call(lambda: list(default.walk()), PULL_POLICY)
            folders = [default] + [
                f
                for f in below
                if isinstance(f, Calendar) or getattr(f, "folder_class", None) == "IPF.Appointment"
            ]
            result = []
            for folder in folders:
                self._folders[str(folder.id)] = folder
                rights = getattr(folder, "effective_rights", None)
                read_only = rights is not None and not (rights.create_contents or rights.modify)
                result.append(
                    CalendarInfo(
                        remote_id=str(folder.id),
                        display_name=str(folder.name or "Calendar"),
                        read_only=bool(read_only),
                        owner_email=self._config.email,
                        is_default=folder is default,
                    )
                )
            # other mailboxes' calendars opened as a delegate (issue 15, bridge.providers.ews.shared)
            shared = shared_calendars(
                self.account,
                self._config.shared_mailboxes,
                lambda fn: self._call(fn, PULL_POLICY),
            )
            for folder, info in shared:
                self._folders[info.remote_id] = folder
                result.append(info)
            return result

    # --- C6 ------------------------------------------------------------------------------------
    def pull(self, calendar_id: str, cursor: str | None, window: SyncWindow) -> PullResult:
        first_count = self.request_count
        folder = self._folder(calendar_id)
        # ErrorInvalidSyncStateData: start over ("Handling synchronization-related errors in
        # EWS in Exchange"); the state keeps the window it was started with.
        done = self._changes(folder, CURSORS.decode(cursor), window, CalendarItem)
        (upserts, deleted, sync_state), window = done.value, done.window or window
        items, removed = self._resolve(folder, upserts, deleted, window, done.reset)
        requests = self.request_count - first_count
        return CURSORS.result(
            items, removed, sync_state, window=window, reset=done.reset, requests=requests
        )

    def pull_pages(
        self, calendar_id: str, cursor: str | None, window: SyncWindow
    ) -> Iterator[PullPage]:
        """`pull` for the sync engine's streamed first sync (base.PagedPull): an incremental
        round as one page; a full round's ids (SyncFolderItems, ids only) are fetched and
        converted `PAGE_IDS` at a time, each batch handed on before the next is fetched."""
        state = CURSORS.decode(cursor)
        if state is not None and state.close_to(window):
            done = self.pull(calendar_id, cursor, window)
            yield PullPage(done.items, done.removed, done.reset, done.requests, done.cursor)
            return
        count = self.request_count
        folder = self._folder(calendar_id)
        upserts, deleted, sync_state = self._sync_round(folder, None, CalendarItem)
        chunks = [upserts[i : i + PAGE_IDS] for i in range(0, len(upserts), PAGE_IDS)] or [[]]

        def fetched() -> Iterator[list[Any]]:  # GetItem of each chunk, on a thread of its own
            for chunk in chunks:
                yield self._get(chunk, folder, PULL_POLICY)

        # the next chunk is asked for while this one is mapped; the counts telescope: the last
        # page's `used` is taken after all requests
        with contextlib.closing(prefetched(fetched)) as answers:
            for n, got in enumerate(answers):
                last = n == len(chunks) - 1
                items, removed = self._resolve(
                    folder, chunks[n], deleted if last else [], window, True, got
                )
                used, count = self.request_count - count, self.request_count
                cursor_out = CURSORS.encode(sync_state, window) if last else None
                yield PullPage(tuple(items), tuple(removed), True, used, cursor_out)

    def _resolve(
        self,
        folder: Any,
        upserts: list[str],
        deleted: list[str],
        window: SyncWindow,
        reset: bool,
        fetched: list[Any] | None = None,
    ) -> tuple[list[RemoteItem], list[str]]:
        """(items, removed remote ids) of `upserts` (GetItem, unless `fetched` is its answer)
        and `deleted`."""
        removed: dict[str, None] = dict.fromkeys(deleted)
        if fetched is None:
            fetched = self._get(upserts, folder, PULL_POLICY)
        found = {str(i.id) for i in fetched}
        removed.update(dict.fromkeys(i for i in upserts if i not in found))
        masters = self._masters(fetched, folder, PULL_POLICY)
        items: list[RemoteItem] = []
        for item in self._items(masters, folder, PULL_POLICY):
            if _in_window(item, window):
                removed.pop(item.remote_id, None)
                items.append(item)
            elif not reset:
                removed[item.remote_id] = None  # moved out of the window
        return items, [r for r in removed if r not in {i.remote_id for i in items}]

    def _masters(self, fetched: Iterable[Any], folder: Any, policy: RetryPolicy) -> list[Any]:
        """Singles and masters; occurrences/exceptions are replaced by their master."""
        result: dict[str, Any] = {}
        occurrences = []
        for item in fetched:
            if item.type in _OCCURRENCE_TYPES:
                occurrences.append(RecurringMasterItemId(id=item.id, changekey=item.changekey))
            else:
                result[str(item.id)] = item
        for master in self._get(occurrences, folder, policy):
            result.setdefault(str(master.id), master)
        return list(result.values())

    def _items(self, masters: Sequence[Any], folder: Any, policy: RetryPolicy) -> list[RemoteItem]:
        exception_ids = [
            str(o.id) for m in masters for o in (m.modified_occurrences or []) if o.id is not None
        ]
        exceptions = {str(e.id): e for e in self._get(exception_ids, folder, policy)}
        items = []
        for master in masters:
            own = [
                exceptions[str(o.id)]
                for o in master.modified_occurrences or []
                if str(o.id) in exceptions
            ]
            try:
                items.append(self._item(master, own))
            except IncompleteItem as exc:
                log.warning("skipped an Exchange item: %s", exc)
        return items

    @staticmethod
    def _item(master: Any, own: Sequence[Any]) -> RemoteItem:
        versions = {str(master.id): str(master.changekey)}
        versions.update({str(e.id): str(e.changekey) for e in own})
        rendered = ews_rendering(master, own)
        text, client_uid = overlay.apply(rendered.text, overlay_field.stored(master))
        return RemoteItem(
            remote_id=str(master.id),
            version=encode_versions(versions),
            uid=client_uid or str(master.uid or master.id),
            ical=text,
            member_ids=tuple(sorted(str(e.id) for e in own)),
            span=rendered.span if text is rendered.text else None,  # an overlay: recomputed
        )

    def fetch(self, calendar_id: str, remote_id: str, window: SyncWindow) -> RemoteItem | None:
        return self._fetch(calendar_id, remote_id, PULL_POLICY)

    def _fetch(self, calendar_id: str, remote_id: str, policy: RetryPolicy) -> RemoteItem | None:
        folder = self._folder(calendar_id)
        masters = self._masters(self._get([remote_id], folder, policy), folder, policy)
        items = self._items(masters, folder, policy)
        return items[0] if items else None

    # --- C5 ------------------------------------------------------------------------------------
    def create(
        self, calendar_id: str, ical: str, idempotency_key: str, window: SyncWindow
    ) -> RemoteItem:
        wanted = ical_to_ews(ical)
        folder = self._folder(calendar_id)
        existing = self._find_uid(folder, wanted)
        if existing is not None:
            log.info("ews: UID %s already exists as %s; not created again", wanted.uid, existing)
            return self._canonical(calendar_id, existing, ical)
        # the folder's account: another mailbox's calendar opened as a delegate has its own
        item = CalendarItem(
            account=getattr(folder, "account", None) or self.account,
            folder=folder,
            uid=wanted.uid,
            **wanted.master,
        )
        send = SEND_TO_ALL_AND_SAVE_COPY if wanted.has_attendees else SEND_TO_NONE
        try:
            self._call(lambda: item.save(send_meeting_invitations=send), WRITE_POLICY)
        except BridgeError as error:
            if "ErrorDuplicateUID" not in f"{getattr(error, 'code', '')} {error.message}":
                raise
            # The UID lives on an item the start-time search did not reach (one that left
            # the sync window, or moved): Exchange keeps one item per UID, so that item is
            # the one the client means; it is updated to what the client sent (issue 11).
            found = self._find_uid_anywhere(folder, wanted.uid)
            if found is None:
                return self._create_copy(calendar_id, folder, wanted, ical, window)
            log.info("ews: UID %s exists outside the window as %s; updating it", wanted.uid, found)
            return self.update(calendar_id, found, None, ical, window)
        return self._created(calendar_id, folder, str(item.id), wanted, ical)

    def _create_copy(
        self, calendar_id: str, folder: Any, wanted: EwsWrite, ical: str, window: SyncWindow
    ) -> RemoteItem:
        """The client's UID is held by an item in another calendar folder of the mailbox:
        Exchange keeps one item per UID in a mailbox (ErrorDuplicateUID), while CalDAV keeps
        UIDs unique per collection only (RFC 4791 §5.3.2.1), so a second calendar may hold a
        copy. The copy is stored under a UID of its own (`copy_uid`) and the client's UID is
        kept in the overlay (C10) and served: two separate items, as on any CalDAV server."""
        uid = copy_uid(wanted.uid, calendar_id)
        found = self._find_uid_anywhere(folder, uid)  # a retried create
        if found is not None:
            return self.update(calendar_id, found, None, ical, window)
        log.info("ews: UID %s is in another folder; the copy here is %s", wanted.uid, uid)
        item = CalendarItem(account=self.account, folder=folder, uid=uid, **wanted.master)
        # a copy of a meeting the mailbox holds already: its attendees are not invited again
        self._call(lambda: item.save(send_meeting_invitations=SEND_TO_NONE), WRITE_POLICY)
        return self._created(calendar_id, folder, str(item.id), wanted, ical)

    def _created(
        self, calendar_id: str, folder: Any, item_id: str, wanted: EwsWrite, ical: str
    ) -> RemoteItem:
        if wanted.overrides or wanted.exdates:
            self._apply_instances(folder, item_id, wanted)
        return self._canonical(calendar_id, item_id, ical)

    def _find_uid(self, folder: Any, wanted: EwsWrite) -> str | None:
        """The id of an item with the UID being created (a retried create), if any."""
        start = wanted.master["start"]
        if not isinstance(start, dt.datetime):
            start = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC)
        lo = EWSDateTime.from_datetime(plain(start) - dt.timedelta(days=2))
        hi = EWSDateTime.from_datetime(plain(start) + dt.timedelta(days=2))
        try:
            found = self._call(
                lambda: list(folder.filter(start__gte=lo, start__lte=hi).only("uid")),
                WRITE_POLICY,
            )
        except BridgeError as error:  # a server without restrictions: list every UID
            log.info("ews: restricted FindItem refused (%s); listing the folder", error)
            found = self._call(lambda: list(folder.all().only("uid")), WRITE_POLICY)
        for item in found:
            if not isinstance(item, Exception) and item.uid == wanted.uid:
                return str(item.id)
        return None

    def _find_uid_anywhere(self, folder: Any, uid: str) -> str | None:
        """The id of the item with `uid` anywhere in the folder (FindItem without a
        CalendarView lists single items and series masters, whatever their dates)."""
        found = self._call(lambda: list(folder.all().only("uid")), WRITE_POLICY)
        for item in found:
            if not isinstance(item, Exception) and item.uid == uid:
                return str(item.id)
        return None

    def update(
        self, calendar_id: str, remote_id: str, version: str | None, ical: str, window: SyncWindow
    ) -> RemoteItem:
        wanted = ical_to_ews(ical)
        folder = self._folder(calendar_id)
        current = self._one(remote_id, folder)
        if version is not None:
            expected = decode_versions(version).get(remote_id)
            if expected is None or expected != str(current.changekey):
                raise PreconditionFailed(
                    "ews",
                    f"item {remote_id} changed in Exchange since it was read",
                    "ErrorIrresolvableConflict",
                    412,
                )
        master = dict(wanted.master)
        if current.type != "RecurringMaster" and master.get("recurrence") is None:
            master.pop("recurrence", None)
        changed = changed_fields(current, master)
        if changed:
            for name in changed:
                setattr(current, name, master[name])
            attendees_changed = any(n.endswith("attendees") or n == "resources" for n in changed)
            send = SEND_TO_CHANGED_AND_SAVE_COPY if attendees_changed else SEND_TO_NONE
            # A time move is an UpdateItem of the same ItemId: the item keeps its id (C5).
            self._call(
                lambda: current.save(
                    update_fields=changed,
                    conflict_resolution=NEVER_OVERWRITE,
                    send_meeting_invitations=send,
                ),
                WRITE_POLICY,
            )
        if wanted.overrides or wanted.exdates:
            self._apply_instances(folder, remote_id, wanted)
        return self._canonical(calendar_id, remote_id, ical)

    def delete(self, calendar_id: str, remote_id: str, version: str | None) -> None:
        folder = self._folder(calendar_id)
        try:
            current = self._one(remote_id, folder)
        except RemoteNotFound:
            return  # already gone: the client's intent holds
        if version is not None:
            expected = decode_versions(version).get(remote_id)
            if expected and expected != str(current.changekey):
                raise PreconditionFailed(
                    "ews",
                    f"item {remote_id} changed in Exchange since it was read",
                    "ErrorIrresolvableConflict",
                    412,
                )
        try:
            # DeleteItem SendMeetingCancellations: the organizer's delete cancels the meeting
            send = (
                SEND_TO_ALL_AND_SAVE_COPY if cancels(current, self.account_email) else SEND_TO_NONE
            )
            self._call(lambda: current.delete(send_meeting_cancellations=send), WRITE_POLICY)
        except RemoteNotFound:
            return

    def _one(self, item_id: str, folder: Any) -> Any:
        items = self._get([item_id], folder, WRITE_POLICY)
        if not items:
            raise RemoteNotFound(
                "ews", f"item {item_id} no longer exists", "ErrorItemNotFound", 404
            )
        return items[0]

    def _canonical(self, calendar_id: str, item_id: str, client: str) -> RemoteItem:
        """Exchange's copy after a write, with the overlay of what it could not hold written to
        the item's extended property (one UpdateItem, only when it changed; C10)."""
        folder = self._folder(calendar_id)
        masters = self._masters(self._get([item_id], folder, WRITE_POLICY), folder, WRITE_POLICY)
        if not masters:
            raise RemoteNotFound("ews", f"item {item_id} vanished right after the write")
        master = masters[0]
        ids = [str(o.id) for o in master.modified_occurrences or [] if o.id is not None]
        own = self._get(ids, folder, WRITE_POLICY)
        wanted = overlay.for_write(
            client, ews_to_ical(master, own), stored=overlay_field.stored(master)
        )
        if wanted != overlay_field.stored(master):
            setattr(master, overlay_field.FIELD, wanted or None)
            self._call(
                lambda: master.save(
                    update_fields=[overlay_field.FIELD],
                    conflict_resolution=NEVER_OVERWRITE,
                    send_meeting_invitations=SEND_TO_NONE,
                ),
                WRITE_POLICY,
            )
            # Exchange stamped a new LastModifiedTime (DTSTAMP/LAST-MODIFIED): hand back the
            # copy a pull will serve, not the one read before this save.
            master = self._masters(
                self._get([item_id], folder, WRITE_POLICY), folder, WRITE_POLICY
            )[0]
        return self._item(master, own)
