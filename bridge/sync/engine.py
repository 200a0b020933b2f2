"""The pull side of the sync engine (C6): keep each mirrored collection fresh from its
provider's incremental API, one puller per collection at a time.

An incremental pull is all-or-nothing: the provider returns the whole increment or raises,
and the increment plus the new cursor are applied in one store transaction. A full listing
(first sync, expired cursor) from a provider that can page it (base.PagedPull), and any pull
of a provider that pages contacts (base.PagedContacts), is stored page by page while the next
page is fetched, the new cursor only with the last (sync/stream.py).
Provider faults leave the cursor as it was and are recorded on the connection.
Must not import radicale or any concrete provider.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from bridge.errors import AuthExpired, BridgeError, Busy, NotFound, ProviderBusy, Superseded
from bridge.ical.limits import ItemLimits
from bridge.joinlinks import EnrichOptions
from bridge.model import (
    CollectionKind,
    CollectionRecord,
    PullResult,
    RemoteItem,
    SyncWindow,
)
from bridge.providers.base import (
    CalendarProvider,
    ContactsProvider,
    DirectorySource,
    PagedContacts,
    PagedPull,
    prefetched,
)
from bridge.settings import LimitsSettings, SyncSettings
from bridge.store import ItemDraft, Store
from bridge.store.delegation import Redaction
from bridge.store.rows import ConnectionPolicy, ConnectionRow, ConnectionState
from bridge.sync import give_back, meeting_uids
from bridge.sync.convert_pool import Offload
from bridge.sync.directory import DIRECTORY_EVERY, is_directory
from bridge.sync.directory import visible as directory_visible
from bridge.sync.discovery import CollectionDiscovery
from bridge.sync.enforcement import OrgLimits, PolicyFor, clamp
from bridge.sync.items import CalendarConversion, draft_from_contact
from bridge.sync.lease import PullLeases
from bridge.sync.locks import CollectionLocks, SharedLock
from bridge.sync.stream import Applied, FullListing, apply_full, apply_pages
from bridge.sync.tally import PullTally
from bridge.sync.tasks import source_for
from bridge.sync.virtual import is_view

log = logging.getLogger("davbridge.sync")

ProviderFor = Callable[[int], CalendarProvider]
ContactsFor = Callable[[int], ContactsProvider]
# what a pull found (result, drafts, removed ids, requests), or a full listing already stored
Pulled = tuple[PullResult, dict[str, ItemDraft], set[str], int] | tuple["Applied", bool]


@dataclass(frozen=True)
class PullOutcome:
    collection_id: int
    changed: int
    requests: int
    reset: bool
    seconds: float


class SyncEngine(CollectionDiscovery):
    """Pulls provider changes into the mirror; shared by the request path and the loop."""

    def __init__(
        self,
        store: Store,
        providers: ProviderFor,
        settings: SyncSettings,
        clock: Callable[[], float] = time.time,
        contacts: ContactsFor | None = None,
        region_for: Callable[[int], str] = lambda _user_id: "US",
        policy_for: PolicyFor | None = None,
        limits: LimitsSettings | None = None,
        lock_timeout_s: float = 10.0,
    ) -> None:
        self.store = store
        self.limits = limits or LimitsSettings()
        self.policy_for = policy_for
        self.providers = providers
        self.contacts = contacts
        self.region_for = region_for
        self.settings = settings
        self.clock = clock
        self.tally = PullTally()
        self.locks = CollectionLocks(store, lock_timeout_s)
        self._not_before: dict[int, float] = {}  # collection id -> earliest retry (Retry-After)
        self.leases = PullLeases(store, settings.pull_lease_s, settings.request_refresh_timeout_s)
        # called with the owner's user id after a calendar listing (grant copies follow it)
        self.on_discovered: Callable[[int], None] | None = None

    @property
    def lock_timeout_s(self) -> float:
        """Longest wait for a collection's or item's lock (then Busy)."""
        return self.locks.timeout_s

    @lock_timeout_s.setter
    def lock_timeout_s(self, seconds: float) -> None:
        self.locks.timeout_s = seconds

    def lock(self, collection_id: int) -> SharedLock:
        """The collection's lock (re-entrant when held exclusively, as a pull holds it)."""
        return self.locks.lock(collection_id)

    def listing_lock(
        self, connection_id: int, kind: CollectionKind
    ) -> AbstractContextManager[None]:
        """See `CollectionLocks.listing_lock`."""
        return self.locks.listing_lock(connection_id, kind)

    def locked(
        self, collection_id: int, timeout: float | None = None
    ) -> AbstractContextManager[None]:
        """Hold the collection exclusively, waiting at most `timeout` (default: the lock
        timeout) for a write or pull holding it: past that, Busy (503 + Retry-After)."""
        return self.locks.locked(collection_id, timeout)

    def writing(
        self, collection_id: int, href: str, timeout: float | None = None
    ) -> AbstractContextManager[None]:
        """Hold one item of the collection for a client's write (see `CollectionLocks`)."""
        return self.locks.writing(collection_id, href, timeout)

    def item_limits(self) -> ItemLimits:
        return ItemLimits(
            description_chars=self.limits.description_chars,
            attendees_per_event=self.limits.attendees_per_event,
            components_per_resource=self.limits.components_per_resource,
        )

    def window(self) -> SyncWindow:
        from datetime import UTC, datetime

        return SyncWindow.around(
            datetime.fromtimestamp(self.clock(), UTC),
            self.settings.window_days_back,
            self.settings.window_days_forward,
        )

    def retry_at(self, collection_id: int) -> float | None:
        """When a throttled collection may be pulled again (the provider's Retry-After)."""
        at = self._not_before_of(collection_id)
        return at if at > self.clock() else None

    def _not_before_of(self, collection_id: int) -> float:
        """This process's Retry-After for the collection, or another process's (issue 17)."""
        return max(self._not_before.get(collection_id, 0.0), self.leases.held_off(collection_id))

    # -- collections of a connection ------------------------------------------------------
    def limits_for(self, user_id: int) -> OrgLimits | None:
        """The user's effective organisation policy (P1, P5), if the bridge has one."""
        return self.policy_for(user_id) if self.policy_for is not None else None

    def effective_policy(self, conn: ConnectionRow) -> ConnectionPolicy:
        """What the connection may do: the user's grant narrowed by the policy (A1, P1, P5)."""
        return clamp(self.limits_for(conn.user_id), conn.policy)

    def wanted(self, coll: CollectionRecord) -> bool:
        """Whether the collection's connection lets it be served and pulled (A1, A4, P1, P5)."""
        try:
            conn = self.store.connection(coll.connection_id)
        except NotFound:  # the connection was deleted meanwhile
            return False
        if not directory_visible(coll, self.limits_for(coll.user_id)):
            return False
        return self.effective_policy(conn).shows(coll.kind)

    # -- pulling --------------------------------------------------------------------------
    def enrich_options(self, user_id: int) -> EnrichOptions:
        """The user's enrichment choices (portal profile page)."""
        return EnrichOptions(not_zoom_line=self.store.not_zoom_line(user_id))

    def is_stale(self, coll: CollectionRecord) -> bool:
        # the directory changes slowly and an Exchange GAL sweep costs dozens of requests
        if is_view(coll):  # built when read (bridge/sync/views.py), never pulled
            return False
        every = DIRECTORY_EVERY if is_directory(coll) else 1
        return coll.refreshed_at is None or (
            self.clock() - coll.refreshed_at >= self.settings.refresh_interval_s * every
        )

    def _calendar_conversion(
        self, coll: CollectionRecord, provider: CalendarProvider, redact: bool
    ) -> tuple[Callable[[RemoteItem], ItemDraft], Offload]:
        """How the collection's items become drafts, here and (offload) in the worker;
        `redact`: busy blocks only (a delegate without private access, issue 15)."""
        conversion = CalendarConversion(
            emails=(provider.account_email,),
            aliases=self.store.uid_aliases(coll.id),
            limits=self.item_limits(),
            options=self.enrich_options(coll.user_id),
            redact=redact,
        )

        def found(items: Sequence[RemoteItem]) -> dict[str, str]:
            # an attendee's copy of a meeting organized through the bridge: the organizer's
            # UID (an alias the mirror already holds wins)
            return meeting_uids.aliases(self.store, items)

        def convert(it: RemoteItem) -> ItemDraft:
            return conversion(it, found((it,)))

        return convert, Offload(conversion, found)

    def _pull_calendar(self, coll: CollectionRecord, privacy: Redaction) -> Pulled:
        provider = source_for(self.providers(coll.connection_id), coll, self.store)
        window = self.window()
        convert, offload = self._calendar_conversion(coll, provider, privacy.redact)
        if isinstance(provider, PagedPull):  # a full listing is stored page by page
            pages = prefetched(lambda: provider.pull_pages(coll.provider_id, coll.cursor, window))
            first = next(pages)
            if first.reset:
                job = FullListing(
                    self.store,
                    coll,
                    convert,
                    ".ics",
                    lambda: self._outside(coll, window),
                    lambda rid: provider.fetch(coll.provider_id, rid, window),
                    offload,
                    privacy.epoch,
                )
                return apply_full(job, itertools.chain([first], pages), self.clock), True
            pages.close()
            result = PullResult(
                first.items, first.removed, first.cursor or "", False, first.requests
            )
        else:
            result = provider.pull(coll.provider_id, coll.cursor, window)
        return self._calendar_drafts(coll, provider, window, result, convert)

    def _outside(self, coll: CollectionRecord, window: SyncWindow) -> set[str]:
        start, end = int(window.start.timestamp()), int(window.end.timestamp())
        return self.store.written_outside(coll.id, start, end)

    def _calendar_drafts(
        self,
        coll: CollectionRecord,
        provider: CalendarProvider,
        window: SyncWindow,
        result: PullResult,
        convert: Callable[[RemoteItem], ItemDraft],
    ) -> tuple[PullResult, dict[str, ItemDraft], set[str], int]:
        drafts = {it.remote_id: convert(it) for it in result.items}
        removed: set[str] = set()
        requests = result.requests
        refetch: set[str] = set()
        for provider_id in result.removed:
            resource = self.store.resource_for(coll.id, provider_id)
            if resource == provider_id:
                removed.add(provider_id)
            elif resource is not None and resource not in drafts:
                refetch.add(resource)
        refetch -= removed
        # What a client wrote outside the window is not listed by a windowed pull (and an
        # incremental one may report it "removed" when it leaves the window): it stays in the
        # mirror as long as the provider still has it (issue 11, point 3).
        outside = self._outside(coll, window)
        kept = {rid for rid in outside if rid in removed or (result.reset and rid not in drafts)}
        for resource in sorted(refetch | kept):
            item = provider.fetch(coll.provider_id, resource, window)
            requests += 1
            if item is None:
                removed.add(resource)
            else:
                removed.discard(resource)
                drafts[resource] = convert(item)
        return result, drafts, removed, requests

    def _pull_contacts(self, coll: CollectionRecord) -> Pulled:
        if self.contacts is None:
            raise BridgeError("contacts are not available in this bridge")
        provider = self.contacts(coll.connection_id)
        region = self.region_for(coll.user_id)
        aliases = self.store.uid_aliases(coll.id)
        tels = self.limits.tels_per_contact

        def convert(it: RemoteItem) -> ItemDraft:
            return draft_from_contact(it, region, aliases, tels)

        if is_directory(coll) and isinstance(provider, DirectorySource):
            result = provider.pull_directory(coll.cursor)
        elif isinstance(provider, PagedContacts):  # a full listing is stored page by page
            pages = prefetched(lambda: provider.pull_contact_pages(coll.remote_id, coll.cursor))
            first = next(pages)  # full or incremental: both page by page (a bulk import)
            job = FullListing(self.store, coll, convert, ".vcf")
            chained = itertools.chain([first], pages)
            return apply_pages(job, chained, self.clock, first.reset), first.reset
        else:
            result = provider.pull_contacts(coll.remote_id, coll.cursor)
        drafts = {it.remote_id: convert(it) for it in result.items}
        return result, drafts, set(result.removed), result.requests

    def refresh(self, collection_id: int, only_if_stale: bool = False) -> PullOutcome | None:
        """Pull one collection now (waits, at most the lock timeout, for a pull or write
        already running on it; past that the pull is left to the next round). Another
        process pulling it is waited for instead (its lease, issue 17); `only_if_stale`: no
        pull when the collection became fresh meanwhile (pulled by another process)."""
        if self.clock() < self._not_before_of(collection_id):
            return None
        try:
            with self.leases.pulling(collection_id) as mine:
                if not mine:
                    return None
                with self.locked(collection_id):
                    if only_if_stale and not self._still_stale(collection_id):
                        return None
                    outcome = self._refresh_locked(collection_id)
            give_back.after_pull(outcome.changed if outcome else 0)  # a large pull's garbage
            return outcome
        except Busy as exc:
            log.info("pull of collection %d skipped: %s", collection_id, exc.message)
            return None

    def _still_stale(self, collection_id: int) -> bool:
        try:
            return self.is_stale(self.store.collection(collection_id))
        except NotFound:
            return False

    def _refresh_locked(self, collection_id: int) -> PullOutcome | None:
        try:
            coll = self.store.collection(collection_id)
        except NotFound:  # deleted with its connection (A5)
            return None
        if not self.wanted(coll) or is_view(coll):  # a view is built, not pulled (C4)
            return None
        began = time.monotonic()
        epoch: int | None = None
        try:
            if coll.kind is CollectionKind.ADDRESSBOOK:
                pulled = self._pull_contacts(coll)
            else:
                # what the drafts are made under; a change meanwhile makes every commit of this
                # pull store nothing (Superseded): the change made the next pull a full one
                privacy = self.store.redaction(coll.id)
                epoch = privacy.epoch
                pulled = self._pull_calendar(coll, privacy)
        except ProviderBusy as exc:
            self._not_before[collection_id] = self.clock() + exc.retry_after
            self.leases.hold_off(collection_id, exc.retry_after)
            self.store.set_connection_status(coll.connection_id, ConnectionState.BUSY, exc.message)
            log.info("pull of collection %d throttled for %.0fs", coll.id, exc.retry_after)
            return None
        except AuthExpired as exc:
            self.store.set_connection_status(
                coll.connection_id, ConnectionState.REAUTH, exc.message
            )
            log.warning("connection %d needs re-authorization: %s", coll.connection_id, exc.message)
            return None
        except Superseded:  # not the connection's fault: refresh() skips the pull (a Busy)
            raise
        except BridgeError as exc:
            self.store.set_connection_status(coll.connection_id, ConnectionState.ERROR, exc.message)
            log.warning("pull of collection %d failed: %s", coll.id, exc.message)
            return None
        now = self.clock()
        if isinstance(pulled[0], Applied):  # stored page by page
            changed, requests, reset = pulled[0].changed, pulled[0].requests, bool(pulled[1])
        else:
            result, drafts, removed, requests = pulled
            suffix = ".vcf" if coll.kind is CollectionKind.ADDRESSBOOK else ".ics"
            changed = self.store.apply_pull(
                coll.id, drafts.values(), removed, result.cursor, result.reset, now, suffix, epoch
            )
            reset = result.reset
        self.store.set_connection_status(
            coll.connection_id, ConnectionState.OK, None, synced_at=now
        )
        outcome = PullOutcome(coll.id, changed, requests, reset, time.monotonic() - began)
        self.tally.add(outcome)
        # a quiet steady state: idle pulls are summed up by the refresher's periodic summary
        log.log(
            logging.INFO if changed or reset else logging.DEBUG,
            "pulled collection %d: %d changed, %d requests, reset=%s, %.2fs",
            coll.id,
            changed,
            requests,
            reset,
            outcome.seconds,
        )
        return outcome
