"""`CalendarProvider` for Google Calendar v3 (C1 calendars, C5 writes, C6 pulls).

Wire calls only, through `CalendarClient`; conversion in `mapping`. Pulls follow Google's
"Synchronize resources efficiently" guide: a full round is `events.list` over the sync window
with `singleEvents=false` (masters, singles and exceptions — cancelled exceptions included, per
the `showDeleted` parameter description) until `nextSyncToken`; an incremental round is
`events.list(syncToken=…)` with no time bounds; 410 means a new full round.
A series is one resource: when an exception or master changed, the whole series is read with
`events.list(iCalUID=…, showDeleted=true)` — the "Events" resource documents that all
occurrences of a recurring event share its iCalUID, so this one listing returns the master and
every exception (cancelled ones too), which `events.instances` cannot tell apart from plain
occurrences.
Lossless overlay (C10): after a write, what Google could not hold of the client's text
(its UID included: `iCalUID` and `id` are not both given on insert, per the Events resource) is
stored in the master's `extendedProperties.private` and merged back on every read.
This module must not touch the store or the sync engine and must not enrich events.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from typing import Any

from bridge import offload
from bridge.errors import (
    CursorExpired,
    PreconditionFailed,
    ProviderRefused,
    RemoteNotFound,
)
from bridge.ical import overlay
from bridge.model import CalendarInfo, ProviderKind, PullResult, RemoteItem, SyncWindow
from bridge.providers.base import PullPage, prefetched
from bridge.providers.common.cursor import CursorCodec, iso_z, resume
from bridge.providers.common.retry import PULL_POLICY, WRITE_POLICY, RetryPolicy
from bridge.providers.common.versions import SeriesParts, decode_versions
from bridge.providers.google.auth import GoogleAppConfig, GoogleAuth
from bridge.providers.google.client import CalendarClient
from bridge.providers.google.collections import GoogleCalendarCollections
from bridge.providers.google.item import (
    google_item,
    item_or_skip,
    single_or_skip,
    stored_overlay,
)
from bridge.providers.google.mapping import google_body_diff, google_to_ical, ical_to_google
from bridge.providers.google.mapping_common import (
    event_zone,
    instance_key,
    original_key,
    parse_edt,
)
from bridge.providers.google.mapping_recurrence import date_line, parse_recurrence
from bridge.providers.google.provider_support import (
    OVERLAY_PREFIX,
    PAGE_SIZE,
    SEND_UPDATES,
    WRITERS,
    delete_call,
    event_id_for,
    overlaps,
    owner_email,
    patch_call,
    reaches_back,
)
from bridge.providers.google.scheduling import GoogleScheduling
from bridge.providers.google.tasks import GoogleTasks, TasksClient

log = logging.getLogger(__name__)
_CURSORS = CursorCodec("sync")


class GoogleCalendarProvider(GoogleCalendarCollections, GoogleScheduling, GoogleTasks):
    """Calendars of one Google account (implements bridge.providers.base.CalendarProvider)."""

    kind = ProviderKind.GOOGLE

    def __init__(
        self,
        auth: GoogleAuth,
        config: GoogleAppConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._auth = auth
        self._client = CalendarClient(auth, config, sleep=sleep)
        self._tasks_client = TasksClient(auth, config, sleep=sleep)  # Google Tasks (tasks.py)
        self._page_size = page_size
        self._email: str | None = auth.account

    # --- C1 ----------------------------------------------------------------------------------
    @property
    def account_email(self) -> str:
        if not self._email:
            entry = self._client.execute(
                lambda s: s.calendarList().get(calendarId="primary"), PULL_POLICY
            )
            self._email = str((entry or {}).get("id") or "")
        return self._email

    def list_calendars(self) -> list[CalendarInfo]:
        entries, _ = self._client.list_all(
            lambda s, t: s.calendarList().list(pageToken=t, showHidden=False), PULL_POLICY
        )
        result = []
        for cal in entries:
            cal_id = str(cal["id"])
            role = str(cal.get("accessRole") or "reader")
            owned = role == "owner"
            color = cal.get("backgroundColor")
            result.append(
                CalendarInfo(
                    remote_id=cal_id,
                    display_name=str(cal.get("summaryOverride") or cal.get("summary") or cal_id),
                    color=str(color).upper() if color else None,
                    read_only=role not in WRITERS,
                    owner_email=owner_email(cal_id, owned),
                    is_default=bool(cal.get("primary")),
                    # acl resource roles: "reader — private events appear, details hidden";
                    # writer and owner see them (developers.google.com/calendar/api/v3/
                    # reference/acl#role); freeBusyReader sees free/busy only (issue 15)
                    can_view_private=role in WRITERS,
                )
            )
        return result

    # --- C6 ----------------------------------------------------------------------------------
    def pull(self, calendar_id: str, cursor: str | None, window: SyncWindow) -> PullResult:
        first = self._client.request_count
        # A 410 fullSyncRequired means: wipe and full-sync again (guides/sync).
        done = resume(
            _CURSORS.decode(cursor),
            window,
            lambda token: self._round(calendar_id, token, None),
            lambda: self._round(calendar_id, None, window),
            "google calendar",
        )
        (entries, token), window = done.value, done.window or window
        items, removed = self._fold(calendar_id, entries, window, full=done.reset)
        requests = self._client.request_count - first
        return _CURSORS.result(
            items, removed, token, window=window, reset=done.reset, requests=requests
        )

    def pull_pages(
        self, calendar_id: str, cursor: str | None, window: SyncWindow
    ) -> Iterator[PullPage]:
        """`pull` for the sync engine's streamed first sync (base.PagedPull): an incremental
        round as one page; a full round page by page — single events as their page arrives,
        series (masters, exceptions, cancellations) once the last page is in, since a master
        and its exceptions may come on different pages."""
        state = _CURSORS.decode(cursor)
        if state is not None and state.close_to(window):
            done = self.pull(calendar_id, cursor, window)
            yield PullPage(done.items, done.removed, done.reset, done.requests, done.cursor)
            return
        params: dict[str, Any] = {
            "calendarId": calendar_id,
            "singleEvents": False,
            "maxResults": self._page_size,
            "timeMin": iso_z(window.start),
            "timeMax": iso_z(window.end),
            "showDeleted": False,
        }
        count = self._client.request_count
        deferred: dict[str, dict[str, Any]] = {}  # the last copy of an id wins, as in _fold
        mapping = functools.partial(single_or_skip, window=window)
        sharing: offload.Sharing[Mapping[str, Any], RemoteItem | None]
        sharing = offload.Sharing(mapping, lambda _chunk: mapping)
        # the pages are asked for on a thread of their own (the next one while this one is
        # folded); the counts telescope: the last page's `used` is taken after all requests
        listing = prefetched(
            lambda: self._client.pages(
                lambda s, t: s.events().list(pageToken=t, **params), PULL_POLICY
            )
        )
        with closing(listing) as pages:
            for page in pages:
                singles = []
                for entry in page.get("items") or []:
                    if not isinstance(entry, dict) or not entry.get("id"):
                        continue
                    if (
                        entry.get("recurringEventId")
                        or entry.get("recurrence")
                        or entry.get("status") == "cancelled"
                    ):
                        deferred[str(entry["id"])] = entry
                    else:
                        deferred.pop(str(entry["id"]), None)
                        singles.append(entry)
                if not page.get("nextPageToken"):
                    if not page.get("nextSyncToken"):
                        raise CursorExpired("google", "list round ended without a nextSyncToken")
                    singles += deferred.values()
                    last = _CURSORS.encode(str(page["nextSyncToken"]), window)
                else:
                    last = None
                items, removed = self._fold(calendar_id, singles, window, True, sharing)
                used, count = self._client.request_count - count, self._client.request_count
                yield PullPage(tuple(items), tuple(removed), True, used, last)

    def _round(
        self, calendar_id: str, sync: str | None, window: SyncWindow | None
    ) -> tuple[list[dict[str, Any]], str]:
        """Every page of one list round; nothing is returned before the last page arrived."""
        params: dict[str, Any] = {
            "calendarId": calendar_id,
            "singleEvents": False,
            "maxResults": self._page_size,
        }
        if sync is not None:
            params["syncToken"] = sync  # never with timeMin/timeMax (400, guides/sync)
        elif window is not None:
            params.update(timeMin=iso_z(window.start), timeMax=iso_z(window.end))
            params["showDeleted"] = False
        items, last = self._client.list_all(
            lambda s, t: s.events().list(pageToken=t, **params), PULL_POLICY
        )
        if not last.get("nextSyncToken"):
            raise CursorExpired("google", "list round ended without a nextSyncToken")
        return items, str(last["nextSyncToken"])

    def _fold(
        self,
        calendar_id: str,
        entries: Sequence[dict[str, Any]],
        window: SyncWindow,
        full: bool,
        singles: offload.Sharing[Mapping[str, Any], RemoteItem | None] | None = None,
    ) -> tuple[list[RemoteItem], list[str]]:
        """The page's resources and removed ids; `singles`: how single events are mapped
        (a full listing's, shared with the worker process: bridge/offload.py)."""
        latest: dict[str, dict[str, Any]] = {}
        for entry in entries:  # the last copy of an id wins
            if entry.get("id"):
                latest[str(entry["id"])] = entry
        items: dict[str, RemoteItem | None] = {}
        removed: dict[str, None] = {}
        masters: dict[str, dict[str, Any] | None] = {}
        exceptions: dict[str, list[dict[str, Any]]] = {}
        mapped: list[str] = []  # single events, in order
        for event_id, event in latest.items():
            parent = event.get("recurringEventId")
            if parent:
                masters.setdefault(str(parent), None)
                exceptions.setdefault(str(parent), []).append(event)
            elif event.get("status") == "cancelled":
                removed[event_id] = None
            elif event.get("recurrence"):
                masters[event_id] = event
            elif full or overlaps(event, window):
                mapped.append(event_id)
                items[event_id] = None  # its place kept: mapped below, all at once
            else:
                removed[event_id] = None  # moved out of the window
        events = [latest[event_id] for event_id in mapped]
        for event_id, single in zip(
            mapped,
            singles.map(events) if singles else [single_or_skip(e, window) for e in events],
            strict=True,
        ):
            if single is None:  # skipped (logged)
                del items[event_id]
            else:
                items[event_id] = single
        for master_id, master in masters.items():
            if master_id in removed:
                continue
            if full and master is not None and not reaches_back(master, window):
                # A windowed full listing holds every exception inside the window; a series
                # begun before the window is read whole (its older exceptions: reach.py).
                item = item_or_skip(master, exceptions.get(master_id, []), window)
            else:
                item = self._series(calendar_id, master_id, master, window, PULL_POLICY)
            if item is None:
                removed[master_id] = None
            else:
                items[master_id] = item
        found = [item for item in items.values() if item is not None]
        return found, [r for r in removed if r not in items]

    def _get(self, calendar_id: str, event_id: str, policy: RetryPolicy) -> dict[str, Any] | None:
        try:
            event = self._client.execute(
                lambda s: s.events().get(calendarId=calendar_id, eventId=event_id), policy
            )
        except RemoteNotFound:
            return None
        if not event or event.get("status") == "cancelled":
            return None
        return dict(event)

    def _listing(
        self, calendar_id: str, master: Mapping[str, Any], policy: RetryPolicy
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """(fresh master, its exceptions) from `events.list(iCalUID=…)`."""
        uid = master.get("iCalUID")
        if not uid:
            return dict(master), []
        entries, _ = self._client.list_all(
            lambda s, t: s.events().list(
                calendarId=calendar_id,
                iCalUID=uid,
                showDeleted=True,
                singleEvents=False,
                maxResults=self._page_size,
                pageToken=t,
            ),
            policy,
        )
        fresh: dict[str, Any] | None = dict(master)
        found: list[dict[str, Any]] = []
        for entry in entries:
            if entry.get("id") == master.get("id"):
                fresh = None if entry.get("status") == "cancelled" else entry
            elif entry.get("recurringEventId") == master.get("id"):
                found.append(entry)
        return fresh, found

    def _series(
        self,
        calendar_id: str,
        master_id: str,
        master: Mapping[str, Any] | None,
        window: SyncWindow,
        policy: RetryPolicy,
    ) -> RemoteItem | None:
        parts = self._series_parts(calendar_id, master_id, master, policy)
        return None if parts is None else item_or_skip(*parts, window)

    def _series_parts(
        self,
        calendar_id: str,
        master_id: str,
        master: Mapping[str, Any] | None,
        policy: RetryPolicy,
    ) -> SeriesParts | None:
        if master is None:
            master = self._get(calendar_id, master_id, policy)
            if master is None:
                return None
        fresh, found = self._listing(calendar_id, master, policy)
        if fresh is None:
            return None
        return fresh, found

    def fetch(self, calendar_id: str, remote_id: str, window: SyncWindow) -> RemoteItem | None:
        return self._fetch(calendar_id, remote_id, window, PULL_POLICY)

    def _fetch(
        self, calendar_id: str, remote_id: str, window: SyncWindow, policy: RetryPolicy
    ) -> RemoteItem | None:
        parts = self._parts(calendar_id, remote_id, policy)
        return None if parts is None else item_or_skip(*parts, window)

    def _parts(self, calendar_id: str, remote_id: str, policy: RetryPolicy) -> SeriesParts | None:
        """(master or single event, its exceptions) as Google holds them now."""
        event = self._get(calendar_id, remote_id, policy)
        if event is None:
            return None
        if event.get("recurringEventId"):
            return self._series_parts(calendar_id, str(event["recurringEventId"]), None, policy)
        if event.get("recurrence"):
            return self._series_parts(calendar_id, remote_id, event, policy)
        return event, []

    # --- C5 ----------------------------------------------------------------------------------
    def create(
        self, calendar_id: str, ical: str, idempotency_key: str, window: SyncWindow
    ) -> RemoteItem:
        event_id = event_id_for(idempotency_key)
        wanted = ical_to_google(ical)
        body = {**wanted.master, "id": event_id}
        exdate = self._exdate_line(wanted.exdates, wanted.all_day)
        if exdate and body.get("recurrence"):
            body["recurrence"] = [*body["recurrence"], exdate]
        try:
            self._client.execute(
                lambda s: s.events().insert(
                    calendarId=calendar_id,
                    body=body,
                    conferenceDataVersion=1,
                    sendUpdates=SEND_UPDATES,
                ),
                WRITE_POLICY,
            )
        except ProviderRefused as exc:
            if exc.status != 409:
                raise
            # The id exists already: a retried create, or an event deleted before — Google
            # keeps a deleted event as status "cancelled" under its id, and insert refuses
            # the id for good. Updating it with status "confirmed" revives it with what the
            # client sent now (PROVIDERS.md; events.update replaces the whole resource).
            log.info("google: event id %s exists; updating it to the client's copy", event_id)
            revived = {**body, "status": "confirmed"}
            self._client.execute(
                lambda s: s.events().update(
                    calendarId=calendar_id,
                    eventId=event_id,
                    body=revived,
                    conferenceDataVersion=1,
                    sendUpdates=SEND_UPDATES,
                ),
                WRITE_POLICY,
            )
        if wanted.overrides and body.get("recurrence"):
            self._apply_overrides(calendar_id, event_id, wanted.overrides, {}, {})
        return self._canonical(calendar_id, event_id, window, ical)

    @staticmethod
    def _exdate_line(keys: Sequence[str], all_day: bool) -> str | None:
        values: list[dt.date] = []
        for key in keys:
            instant = dt.datetime.strptime(key[:8], "%Y%m%d")
            if all_day and "T" not in key:
                values.append(instant.date())
            elif not all_day and "T" in key:
                values.append(dt.datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC))
        return date_line("EXDATE", values)

    def update(
        self, calendar_id: str, remote_id: str, version: str | None, ical: str, window: SyncWindow
    ) -> RemoteItem:
        wanted = ical_to_google(ical)
        versions = decode_versions(version)
        current = self._get(calendar_id, remote_id, WRITE_POLICY)
        if current is None:
            raise RemoteNotFound("google", f"event {remote_id} no longer exists")
        members: list[dict[str, Any]] = []
        if current.get("recurrence"):
            fresh, members = self._listing(calendar_id, current, WRITE_POLICY)
            current = fresh or current
        if version is not None:
            # Every version the client saw is checked before anything is written, so a stale
            # version writes nothing; the master write carries If-Match as well ("Events:
            # patch"; a stale If-Match answers 412 conditionNotMet).
            have = {str(current["id"]): str(current.get("etag") or "")}
            have.update({str(m["id"]): str(m.get("etag") or "") for m in members})
            expected = versions.get(remote_id)
            stale = expected is None or any(have.get(k) != v for k, v in versions.items())
            if stale:
                raise PreconditionFailed(
                    "google", f"event {remote_id} changed at the provider", "conditionNotMet", 412
                )
        body = dict(wanted.master)
        if current.get("recurrence") or body.get("recurrence"):
            body["recurrence"] = self._recurrence_lines(current, wanted.master)
        diff = google_body_diff(current, body)
        if diff:
            if_match = versions.get(remote_id) if version is not None else None
            self._client.execute(
                patch_call(calendar_id, remote_id, diff), WRITE_POLICY, if_match=if_match
            )
        if body.get("recurrence"):
            by_key = {original_key(m): m for m in members}
            cancelled = {k for k, m in by_key.items() if k and m.get("status") == "cancelled"}
            cancelled |= self._recurrence_exdates(current)
            new_exdates = [k for k in wanted.exdates if k not in cancelled]
            self._apply_overrides(
                calendar_id,
                remote_id,
                wanted.overrides,
                {k: m for k, m in by_key.items() if k and m.get("status") != "cancelled"},
                versions if not diff else {},
            )
            self._cancel(calendar_id, remote_id, new_exdates)
        return self._canonical(calendar_id, remote_id, window, ical)

    @staticmethod
    def _recurrence_exdates(event: Mapping[str, Any]) -> set[str]:
        zone = event_zone(event)
        start = parse_edt(event.get("start"), zone)
        if start is None:
            return set()
        rec = parse_recurrence(event.get("recurrence") or [], start)
        return {instance_key(v) for v in rec.exdates}

    def _recurrence_lines(self, current: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
        """The client's rule lines plus the EXDATE lines Google already has that the client
        kept (new EXDATEs cancel instances instead, so exceptions are not rewritten)."""
        lines = [str(x) for x in wanted.get("recurrence") or []]
        if not lines:
            return []
        for line in current.get("recurrence") or []:
            if str(line).upper().startswith("EXDATE"):
                lines.append(str(line))
        return lines

    def _apply_overrides(
        self,
        calendar_id: str,
        master_id: str,
        overrides: Mapping[str, dict[str, Any]],
        existing: Mapping[str, Mapping[str, Any]],
        versions: Mapping[str, str],
    ) -> None:
        """RECURRENCE-ID overrides -> PATCH of the instance `<masterId>_<key>`."""
        for key, wanted in sorted(overrides.items()):
            current = existing.get(key)
            instance_id = str(current["id"]) if current else f"{master_id}_{key}"
            if current is not None:
                body = google_body_diff(current, wanted)
                if not body:
                    continue
            else:
                body = dict(wanted)
            try:
                self._client.execute(
                    patch_call(calendar_id, instance_id, body),
                    WRITE_POLICY,
                    if_match=versions.get(instance_id),
                )
            except RemoteNotFound:
                log.info("google: no occurrence %s of a series; override not applied", key)

    def _cancel(self, calendar_id: str, master_id: str, keys: Sequence[str]) -> None:
        """New EXDATEs: deleting an instance makes a cancelled exception (guides/recurringevents)."""
        for key in keys:
            instance_id = f"{master_id}_{key}"
            try:
                self._client.execute(delete_call(calendar_id, instance_id), WRITE_POLICY)
            except RemoteNotFound:
                continue  # not an occurrence, or already cancelled

    def delete(self, calendar_id: str, remote_id: str, version: str | None) -> None:
        if_match = decode_versions(version).get(remote_id) if version is not None else None
        try:
            self._client.execute(
                delete_call(calendar_id, remote_id), WRITE_POLICY, if_match=if_match
            )
        except RemoteNotFound:
            return  # 404, or 410 deleted: already gone, the client's intent holds

    def _canonical(
        self, calendar_id: str, event_id: str, window: SyncWindow, client: str
    ) -> RemoteItem:
        """Google's copy after a write, with the overlay of what it could not hold stored in
        the master's `extendedProperties.private` (one PATCH, only when it changed; the
        "Extended properties" guide: patch, null removes a key)."""
        parts = self._parts(calendar_id, event_id, WRITE_POLICY)
        if parts is None:
            raise RemoteNotFound("google", f"event {event_id} vanished right after the write")
        master, members = parts
        wanted = overlay.for_write(
            client, google_to_ical(master, members, window), stored=stored_overlay(master)
        )
        stored = stored_overlay(master)
        if wanted != stored:
            old_count = len(overlay.chunks(stored))
            private = overlay.keyed_chunks(wanted, OVERLAY_PREFIX, old_count)
            patched = self._client.execute(
                patch_call(
                    calendar_id,
                    str(master["id"]),
                    {"extendedProperties": {"private": private}},
                    notify=False,
                ),
                WRITE_POLICY,
            )
            master = dict(patched or master)
        return google_item(master, members, window)
