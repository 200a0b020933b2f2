"""`CalendarProvider` for Microsoft 365 over Graph v1.0 (C1 calendars, C5 writes, C6 pulls).

Wire calls only: it asks `GraphHttp` for JSON and `mapping` for the conversion between Graph
events and iCalendar. Pulls use `calendarView/delta` (Graph docs "Get incremental changes to
events in a calendar view", event-delta.md) and fold a series' expanded instances back into one
resource with its master (`GET /events/{id}` + `/instances`, event-list-instances.md).
Lossless overlay (C10): after a write, what Graph could not hold of the client's text is
stored in the event's extended properties (overlay_props.py) and merged back on every read.
This module must not touch the store or the sync engine and must not enrich events.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bridge import offload
from bridge.errors import CursorExpired, PreconditionFailed, RemoteNotFound
from bridge.ical import overlay
from bridge.model import CalendarInfo, ProviderKind, PullResult, RemoteItem, SyncWindow
from bridge.providers.base import PullPage, prefetched
from bridge.providers.common.cursor import CursorCodec, iso_z, resume
from bridge.providers.common.outlook_time import parse_utc
from bridge.providers.common.retry import PULL_POLICY, WRITE_POLICY
from bridge.providers.common.versions import SeriesParts, decode_versions
from bridge.providers.graph import overlay_props
from bridge.providers.graph.collections import COLOR_NAMES, GraphCalendarCollections
from bridge.providers.graph.item import (
    change_key,
    event_reach,
    graph_item,
    item_or_skip,
    single_or_skip,
)
from bridge.providers.graph.mailbox import GraphMailbox
from bridge.providers.graph.mapping import (
    GraphWrite,
    graph_body_diff,
    graph_to_ical,
    ical_to_graph,
)
from bridge.providers.graph.scheduling import GraphScheduling, own_answers
from bridge.providers.graph.todo import GraphTasks

log = logging.getLogger(__name__)

# A delta token encodes its calendarView window (delta-query-events.md): the cursor keeps it.
_CURSORS = CursorCodec("delta")
# Namespace for transactionId values derived from idempotency keys (event resource type:
# transactionId lets the server drop a retried POST of the same event).
_TRANSACTION_NS = uuid.UUID("5b0d7f2e-8f5c-4d59-9f2e-6c1f0a3d7b11")

# Outlook calendar colour names (calendarColor enum, calendar resource type) as approximate


@dataclass
class _FoldMemo:
    """What a full round folded page by page has already asked for, and its single events'
    mapping, shared with the worker process once the round is large (bridge/offload.py)."""

    singles: offload.Sharing[tuple[dict[str, Any], str], RemoteItem | None]
    overlays: dict[str, str] | None = None
    series: set[str] = field(default_factory=set)


def _if_match(key: str) -> dict[str, str]:
    return {"If-Match": f'W/"{key}"'}


class GraphCalendarProvider(GraphMailbox, GraphCalendarCollections, GraphScheduling, GraphTasks):
    """Calendars of one Graph mailbox (implements bridge.providers.base.CalendarProvider)."""

    kind = ProviderKind.GRAPH

    def _event_path(self, event_id: str) -> str:
        return self._p("events", event_id)

    # --- C1 ----------------------------------------------------------------------------------
    def list_calendars(self) -> list[CalendarInfo]:
        result = []
        for cal in self._http.get_all(self._p("calendars"), policy=PULL_POLICY):
            owner = cal.get("owner") or {}
            color = cal.get("hexColor") or COLOR_NAMES.get(  # hexColor wins when Graph sets it
                str(cal.get("color") or "")
            )
            result.append(
                CalendarInfo(
                    remote_id=str(cal["id"]),
                    display_name=str(cal.get("name") or ""),
                    color=str(color).upper() if color else None,
                    read_only=not bool(cal.get("canEdit", True)),
                    owner_email=owner.get("address") or None,
                    owner_name=owner.get("name") or None,
                    is_default=bool(cal.get("isDefaultCalendar", False)),
                    # resources/calendar.md: false for a delegate or share recipient who may
                    # not see the owner's private events (issue 15)
                    can_view_private=bool(cal.get("canViewPrivateItems", True)),
                )
            )
        return result

    # --- C6 ----------------------------------------------------------------------------------
    def pull(self, calendar_id: str, cursor: str | None, window: SyncWindow) -> PullResult:
        first_count = self._http.request_count
        state = _CURSORS.decode(cursor)
        # A cursor from another Graph endpoint (configuration changed) is as good as expired;
        # 410 Gone / syncStateNotFound start a new round too (delta-query-overview.md).
        if state is not None and not self._http.is_graph_url(state.token):
            state = None
        start = self._p("calendars", calendar_id, "calendarView", "delta")
        done = resume(
            state,
            window,
            self._delta_round,
            lambda: self._delta_round(start, window),
            f"graph calendar {calendar_id}",
        )
        (entries, delta_link), window = done.value, done.window or window
        items, removed = self._fold(calendar_id, entries, window)
        requests = self._http.request_count - first_count
        return _CURSORS.result(
            items, removed, delta_link, window=window, reset=done.reset, requests=requests
        )

    def _delta_round(
        self, url: str, window: SyncWindow | None = None
    ) -> tuple[list[dict[str, Any]], str]:
        """All pages of one delta round (nextLink… until deltaLink). Nothing is returned before
        the last page arrived, so a failure mid-way leaves the caller's cursor untouched."""
        params = None
        if window is not None:
            params = {"startDateTime": iso_z(window.start), "endDateTime": iso_z(window.end)}
        entries: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            body = (
                self._http.get(next_url, params=params, headers=self._prefer, policy=PULL_POLICY)
                or {}
            )
            params = None
            entries.extend(v for v in body.get("value", []) if isinstance(v, dict))
            if body.get("@odata.deltaLink"):
                return entries, str(body["@odata.deltaLink"])
            next_url = body.get("@odata.nextLink")
        raise CursorExpired("graph", "delta round ended without a deltaLink")

    def pull_pages(
        self, calendar_id: str, cursor: str | None, window: SyncWindow
    ) -> Iterator[PullPage]:
        """`pull` for the sync engine's streamed first sync (base.PagedPull): an incremental
        round as one page; a full round page by page, each delta page folded and handed on
        before the next is asked for (the overlay listing once, each series once)."""
        state = _CURSORS.decode(cursor)
        if state is not None and self._http.is_graph_url(state.token) and state.close_to(window):
            done = self.pull(calendar_id, cursor, window)
            yield PullPage(done.items, done.removed, done.reset, done.requests, done.cursor)
            return
        memo = _FoldMemo(offload.Sharing(self._single(window), self._remote_singles(window)))
        params: dict[str, str] | None = {
            "startDateTime": iso_z(window.start),
            "endDateTime": iso_z(window.end),
        }
        first = self._p("calendars", calendar_id, "calendarView", "delta")
        count = self._http.request_count
        # the delta pages are asked for on a thread of their own (the next one while this one
        # is folded); the counts telescope: the last page's `used` is taken after all requests
        with contextlib.closing(prefetched(lambda: self._delta_bodies(first, params))) as bodies:
            for body in bodies:
                entries = [v for v in body.get("value", []) if isinstance(v, dict)]
                items, removed = self._fold(calendar_id, entries, window, memo)
                delta = body.get("@odata.deltaLink")
                last = _CURSORS.encode(str(delta), window) if delta else None
                used, count = self._http.request_count - count, self._http.request_count
                yield PullPage(tuple(items), tuple(removed), True, used, last)
                if delta:
                    return
        raise CursorExpired("graph", "delta round ended without a deltaLink")

    def _delta_bodies(
        self, next_url: str | None, params: dict[str, str] | None
    ) -> Iterator[dict[str, Any]]:
        """The bodies of a delta round's pages, following nextLink up to the deltaLink."""
        while next_url:
            body = (
                self._http.get(next_url, params=params, headers=self._prefer, policy=PULL_POLICY)
                or {}
            )
            params = None
            yield body
            if body.get("@odata.deltaLink"):
                return
            next_url = body.get("@odata.nextLink")

    def _fold(
        self,
        calendar_id: str,
        entries: Sequence[dict[str, Any]],
        window: SyncWindow,
        memo: _FoldMemo | None = None,
    ) -> tuple[list[RemoteItem], list[str]]:
        upserts: dict[str, dict[str, Any]] = {}
        removed: dict[str, None] = {}
        for entry in entries:  # duplicates within a round: the last one wins (event-delta.md)
            event_id = str(entry.get("id") or "")
            if not event_id:
                log.warning("skipped a Graph delta entry without id")
                continue
            if "@removed" in entry:
                upserts.pop(event_id, None)
                removed[event_id] = None
            else:
                removed.pop(event_id, None)
                upserts[event_id] = entry
        items: dict[str, RemoteItem] = {}
        series: dict[str, None] = {}
        singles: dict[str, dict[str, Any]] = {}
        for event_id, event in upserts.items():
            kind = event.get("type")
            if kind in ("occurrence", "exception") and event.get("seriesMasterId"):
                series[str(event["seriesMasterId"])] = None
            elif kind == "seriesMaster":
                series[event_id] = None
            else:  # singleInstance: the delta payload is the whole event
                singles[event_id] = event
        if memo is None:
            kept = self._overlays(calendar_id) if singles else {}
        else:  # a full round page by page: one overlay listing, each series fetched once
            if singles and memo.overlays is None:
                memo.overlays = self._overlays(calendar_id)
            kept = memo.overlays or {}
            series = {m: None for m in series if m not in memo.series}
            memo.series.update(series)
        pairs = [(event, kept.get(event_id, "")) for event_id, event in singles.items()]
        here = self._single(window)
        mapped = memo.singles.map(pairs) if memo is not None else [here(p) for p in pairs]
        for event_id, single in zip(singles, mapped, strict=True):
            if single is not None:
                items[event_id] = single
        for master_id in series:
            item = self._fetch_series(master_id, window)
            if item is None:
                removed[master_id] = None  # deleted between the delta page and now
            else:
                items[master_id] = item
        gone = [rid for rid in removed if rid not in items]
        return list(items.values()), gone

    def _overlays(self, calendar_id: str) -> dict[str, str]:
        """{event id: stored overlay} of the calendar's events that carry one: delta cannot
        expand extended properties, one filtered listing can (overlay_props.py)."""
        found = self._http.get_all(
            self._p("calendars", calendar_id, "events"),
            params=overlay_props.WITH_OVERLAY,
            headers=self._prefer,
            policy=PULL_POLICY,
        )
        return {str(e["id"]): overlay_props.stored(e) or "" for e in found if e.get("id")}

    def _item_or_skip(
        self,
        event: dict[str, Any],
        instances: Sequence[dict[str, Any]],
        window: SyncWindow,
        kept: str | None = None,
    ) -> RemoteItem | None:
        """The item, or None (logged) when Graph gave too little for a valid resource."""
        return item_or_skip(event, instances, window, kept, self._address_for(event, instances))

    def _single(
        self, window: SyncWindow
    ) -> Callable[[tuple[dict[str, Any], str]], RemoteItem | None]:
        def single(pair: tuple[dict[str, Any], str]) -> RemoteItem | None:
            return self._item_or_skip(pair[0], [], window, pair[1])

        return single

    def _remote_singles(
        self, window: SyncWindow
    ) -> Callable[[Sequence[tuple[dict[str, Any], str]]], Callable[..., RemoteItem | None]]:
        """The worker's mapping of a chunk of single events: the account's address (one
        request the first time) is looked up here, and only for a chunk holding an
        invitation — as the mapping here asks for it."""

        def remote(chunk: Sequence[tuple[dict[str, Any], str]]) -> Callable[..., RemoteItem | None]:
            invited = any(own_answers(event, ()) for event, _kept in chunk)
            email = self.account_email if invited else ""
            return functools.partial(single_or_skip, window=window, account_email=email)

        return remote

    def _item(
        self,
        event: dict[str, Any],
        instances: Sequence[dict[str, Any]],
        window: SyncWindow,
        kept: str | None = None,
    ) -> RemoteItem:
        return graph_item(event, instances, window, kept, self._address_for(event, instances))

    def _address_for(self, event: Mapping[str, Any], instances: Sequence[Mapping[str, Any]]) -> str:
        """The account's address (one request the first time), only for an invitation."""
        return self.account_email if own_answers(event, instances) else ""

    def _instances(
        self, master_id: str, start: dt.datetime, end: dt.datetime, policy: Any = PULL_POLICY
    ) -> list[dict[str, Any]]:
        return self._http.get_all(
            self._p("events", master_id, "instances"),
            params={"startDateTime": iso_z(start), "endDateTime": iso_z(end)},
            headers=self._prefer,
            policy=policy,
        )

    def _get_event(self, event_id: str, policy: Any) -> dict[str, Any]:
        """One event with its overlay property expanded (overlay_props.py)."""
        return (
            self._http.get(
                self._event_path(event_id), params=overlay_props.EXPAND_OVERLAY, policy=policy
            )
            or {}
        )

    def _fetch_series(
        self, master_id: str, window: SyncWindow, policy: Any = PULL_POLICY
    ) -> RemoteItem | None:
        parts = self._series_parts(master_id, window, policy)
        return None if parts is None else self._item_or_skip(*parts, window)

    def _series_parts(self, master_id: str, window: SyncWindow, policy: Any) -> SeriesParts | None:
        try:
            master = self._get_event(master_id, policy)
            reach = event_reach(master, window)
            instances = self._instances(master_id, reach.start, reach.end, policy)
        except RemoteNotFound:
            return None
        return master, instances

    def fetch(self, calendar_id: str, remote_id: str, window: SyncWindow) -> RemoteItem | None:
        return self._fetch(remote_id, window, PULL_POLICY)

    def _fetch(self, remote_id: str, window: SyncWindow, policy: Any) -> RemoteItem | None:
        parts = self._parts(remote_id, window, policy)
        return None if parts is None else self._item_or_skip(*parts, window)

    def _parts(self, remote_id: str, window: SyncWindow, policy: Any) -> SeriesParts | None:
        """(single event or series master, its instances in the window) as Graph has them."""
        try:
            event = self._get_event(remote_id, policy)
        except RemoteNotFound:
            return None
        if event.get("type") in ("occurrence", "exception") and event.get("seriesMasterId"):
            return self._series_parts(str(event["seriesMasterId"]), window, policy)
        if event.get("type") == "seriesMaster":
            reach = event_reach(event, window)
            try:
                instances = self._instances(remote_id, reach.start, reach.end, policy)
            except RemoteNotFound:
                return None
            return event, instances
        return event, []

    # --- C5 ----------------------------------------------------------------------------------
    def create(
        self, calendar_id: str, ical: str, idempotency_key: str, window: SyncWindow
    ) -> RemoteItem:
        wanted = ical_to_graph(ical)
        body = dict(wanted.master)
        # Graph drops a retried POST carrying the same transactionId (event resource type).
        body["transactionId"] = str(uuid.uuid5(_TRANSACTION_NS, idempotency_key))
        created = (
            self._http.post(
                self._p("calendars", calendar_id, "events"), json=body, policy=WRITE_POLICY
            )
            or {}
        )
        event_id = str(created["id"])
        if created.get("type") == "seriesMaster":
            self._apply_instances(event_id, wanted, {})
        return self._canonical(event_id, window, ical)

    def update(
        self, calendar_id: str, remote_id: str, version: str | None, ical: str, window: SyncWindow
    ) -> RemoteItem:
        wanted = ical_to_graph(ical)
        versions = decode_versions(version)
        current = self._http.get(self._event_path(remote_id), policy=WRITE_POLICY) or {}
        expected = versions.get(remote_id)
        headers: dict[str, str] = {}
        if version is not None:
            # The master is checked first, before any exception is touched: a stale version
            # writes nothing (event-update.md; If-Match with the changeKey etag).
            if expected is None or expected != change_key(current):
                raise PreconditionFailed(
                    "graph",
                    f"event {remote_id} changed at the provider",
                    "ErrorIrresolvableConflict",
                    412,
                )
            headers = _if_match(expected)
        diff = graph_body_diff(current, dict(wanted.master))
        kind = current.get("type")
        if diff:
            # A time move is a PATCH of the same id: the event keeps its id (C5).
            updated = (
                self._http.patch(
                    self._event_path(remote_id), json=diff, headers=headers, policy=WRITE_POLICY
                )
                or {}
            )
            kind = updated.get("type", kind)
        if kind == "seriesMaster" or wanted.overrides or wanted.exdates:
            # Exchange bumps the master's changeKey when an exception changes, so the master
            # check covers the exceptions; their own changeKeys only hold while the master was
            # not rewritten (a new pattern or start regenerates the occurrences).
            self._apply_instances(remote_id, wanted, {} if diff else versions)
        return self._canonical(remote_id, window, ical)

    def delete(self, calendar_id: str, remote_id: str, version: str | None) -> None:
        headers: dict[str, str] = {}
        if version is not None:
            expected = decode_versions(version).get(remote_id)
            if expected:
                headers = _if_match(expected)
        try:
            self._http.delete(self._event_path(remote_id), headers=headers, policy=WRITE_POLICY)
        except RemoteNotFound:
            return  # already gone: the client's intent holds

    def _canonical(self, event_id: str, window: SyncWindow, client: str) -> RemoteItem:
        """Graph's copy after a write, with the overlay of what it could not hold written to
        the event's extended properties (one PATCH, only when it changed; C10)."""
        parts = self._parts(event_id, window, WRITE_POLICY)
        if parts is None:
            raise RemoteNotFound("graph", f"event {event_id} vanished right after the write")
        event, instances = parts
        wanted = overlay.for_write(
            client,
            graph_to_ical(event, instances, event_reach(event, window)),
            stored=overlay_props.stored(event),
        )
        if wanted != (overlay_props.stored(event) or ""):
            patched = self._http.patch(
                self._event_path(str(event["id"])),
                json=overlay_props.written(wanted),
                policy=WRITE_POLICY,
            )
            event = dict(patched or event)  # the PATCH answer: the event with a new changeKey
            event["singleValueExtendedProperties"] = [
                {"id": overlay_props.OVERLAY_ID, "value": wanted}
            ]
            if event.get("type") == "seriesMaster":
                # a PATCH of the master is a series edit: its exceptions get new changeKeys,
                # and the version kept for the next If-Match must hold those
                reach = event_reach(event, window)
                instances = self._instances(str(event["id"]), reach.start, reach.end)
        return self._item(event, instances, window)

    def _apply_instances(
        self, master_id: str, wanted: GraphWrite, versions: Mapping[str, str]
    ) -> None:
        """Overrides become exceptions (PATCH the occurrence); EXDATEs cancel occurrences
        (DELETE the occurrence) — event-list-instances.md, event-update.md, event-delete.md."""
        keys = list(wanted.overrides) + list(wanted.exdates)
        if not keys:
            return
        lo = min(keys) - dt.timedelta(days=2)
        hi = max(keys) + dt.timedelta(days=2)
        instances = self._instances(master_id, lo, hi, WRITE_POLICY)
        for original, override in sorted(wanted.overrides.items()):
            inst = _match_instance(instances, original)
            if inst is None:
                log.info(
                    "graph: no occurrence of %s at %s; override not applied", master_id, original
                )
                continue
            diff = graph_body_diff(inst, dict(override))
            if not diff:
                continue
            inst_id = str(inst["id"])
            headers = _if_match(versions[inst_id]) if inst_id in versions else {}
            self._http.patch(
                self._event_path(inst_id), json=diff, headers=headers, policy=WRITE_POLICY
            )
        for original in sorted(wanted.exdates):
            inst = _match_instance(instances, original)
            if inst is None:
                continue  # already cancelled
            try:
                self._http.delete(self._event_path(str(inst["id"])), policy=WRITE_POLICY)
            except RemoteNotFound:
                continue


def _instance_original(inst: Mapping[str, Any]) -> dt.datetime | None:
    if inst.get("originalStart"):
        return parse_utc(str(inst["originalStart"]))
    start = inst.get("start") or {}
    if start.get("dateTime") and str(start.get("timeZone", "UTC")).upper() == "UTC":
        return parse_utc(str(start["dateTime"]))
    return None


def _match_instance(
    instances: Sequence[dict[str, Any]], original: dt.datetime
) -> dict[str, Any] | None:
    """The occurrence whose original start is `original` (UTC)."""
    target = original.astimezone(dt.UTC) if original.tzinfo else original.replace(tzinfo=dt.UTC)
    for inst in instances:
        if _instance_original(inst) == target:
            return inst
    # All-day series: RECURRENCE-ID is a date; Graph's originalStart is local midnight.
    same_day = [
        i
        for i in instances
        if i.get("isAllDay")
        and (o := _instance_original(i)) is not None
        and abs(o - target) < dt.timedelta(hours=15)
    ]
    return same_day[0] if len(same_day) == 1 else None
