"""Write-through (C5): a client's PUT/DELETE changes the provider first; only the provider's
answer enters the mirror, in one transaction.

Enrichment is stripped before anything is sent upstream. Errors keep their meaning for the
client (403 read-only, 412 changed meanwhile, 400 invalid, 503 busy with Retry-After), and
nothing is written to the mirror unless the provider accepted the change.
Must not import radicale or any concrete provider.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from typing import TypeVar

from bridge import joinlinks
from bridge.accounts.registry import label_of
from bridge.errors import (
    AuthExpired,
    BadInput,
    Busy,
    Forbidden,
    PreconditionFailed,
    ProviderBusy,
    ReadOnly,
    RemoteNotFound,
)
from bridge.ical import itip, overlay
from bridge.ical.compare import same_content
from bridge.ical.resource import calendar_resource
from bridge.ical.todo import todo_resource
from bridge.joinlinks.kept import restore_dropped_x, restore_truncated
from bridge.joinlinks.redacted import has_redactions, restore_redacted
from bridge.model import CollectionKind, CollectionRecord, ItemRecord, RemoteItem
from bridge.providers.base import CalendarProvider, ContactsProvider
from bridge.settings import LimitsSettings
from bridge.store.rows import ConnectionState
from bridge.sync import meeting_uids
from bridge.sync.bounds import check_calendar_limits, check_not_shortened, check_vcard_limits
from bridge.sync.enforcement import check_write
from bridge.sync.engine import SyncEngine
from bridge.sync.items import draft_from_contact, draft_from_remote
from bridge.sync.itip import decline_removed, send_replies
from bridge.sync.tasks import source_for

log = logging.getLogger("davbridge.sync")
T = TypeVar("T")


@dataclass(frozen=True)
class _Put:
    """One checked PUT on its way to the provider: the collection and name, the client's text
    and its UID, the mirrored item it replaces (None: a new one), whether the provider's
    version must match, and the client's If-Match header."""

    coll: CollectionRecord
    href: str
    text: str
    uid: str
    existing: ItemRecord | None
    conditional: bool
    if_match: str


def check_calendar_text(text: str) -> str:
    """Validate a client's calendar object resource (RFC 4791 §4.1); returns its UID."""
    return calendar_resource(text).uid


def check_vcard_text(text: str, limits: LimitsSettings | None = None) -> str:
    """Validate a client's address object resource (RFC 6352 §5.1); returns its UID."""
    import vobject

    try:
        cards = list(vobject.readComponents(text))
    except Exception as exc:  # vobject raises many kinds; all mean "cannot parse"
        raise BadInput(f"malformed vCard: {exc}") from exc
    if len(cards) != 1 or cards[0].name != "VCARD":
        raise BadInput("an address object resource holds exactly one VCARD (RFC 6352 §5.1)")
    card = cards[0]
    uid = str(card.uid.value).strip() if hasattr(card, "uid") else ""
    if not uid:
        raise BadInput("the vCard needs a UID")
    if not hasattr(card, "fn") and not hasattr(card, "n"):
        raise BadInput("the vCard needs a name (FN or N)")
    if limits is not None:
        check_vcard_limits(card, limits)
    return uid


def _etag_matches(if_match: str, etag: str) -> bool:
    """RFC 9110 §13.1.1 If-Match against the mirror's current ETag ("" or * always match)."""
    wanted = [tag.strip().removeprefix("W/") for tag in if_match.split(",") if tag.strip()]
    return not wanted or "*" in wanted or etag in wanted


class WriteThrough:
    """Client writes, each answered within `budget_s` (issue 9): the lock wait, the provider
    call (its own throttling retries included) and the mirror update run on a worker; past
    the budget the client gets Busy (503 + Retry-After) while the worker finishes. The
    idempotency key of creates (Graph transactionId, Google id from the UID, EWS UID
    search) makes the client's retry of that write safe."""

    def __init__(self, engine: SyncEngine, budget_s: float = 25.0, workers: int = 8) -> None:
        self.engine = engine
        self.budget_s = budget_s
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="write")

    def _within_budget(self, work: Callable[[], T]) -> T:
        began = time.monotonic()
        future = self._pool.submit(work)
        try:
            return future.result(timeout=self.budget_s)
        except ProviderBusy as exc:
            # throttled, or no answer in time: the provider may hold the change already
            raise Busy(
                f"{exc.message}; if the provider received the change it is kept once — "
                "sending it again is safe",
                retry_after=exc.retry_after,
            ) from exc
        except FutureTimeout:
            waited = time.monotonic() - began
            raise Busy(
                f"the provider has not confirmed this change within {waited:.0f} s (the "
                "write budget); it may still be saved — sending it again is safe",
                retry_after=max(5.0, min(self.budget_s, 30.0)),
            ) from None

    def _locked(self, coll: CollectionRecord, href: str) -> AbstractContextManager[None]:
        """The item's write lock: other items of the collection are written meanwhile, a
        pull waits (bounded by the lock timeout and the write budget)."""
        return self.engine.writing(coll.id, href, min(self.engine.lock_timeout_s, self.budget_s))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _provider_name(self, coll: CollectionRecord) -> str:
        return self.engine.store.connection(coll.connection_id).provider

    @contextmanager
    def _reauth_guard(self, coll: CollectionRecord) -> Iterator[None]:
        """A revoked or expired grant: mark the connection and refuse with a clear reason."""
        try:
            yield
        except AuthExpired as exc:
            self.engine.store.set_connection_status(
                coll.connection_id, ConnectionState.REAUTH, exc.message
            )
            raise AuthExpired(
                exc.provider,
                "the connection to the provider needs re-authorization; changes cannot be "
                f"saved until its owner signs in again ({exc.message})",
                exc.code,
                exc.status,
            ) from exc

    def _check_permitted(self, coll: CollectionRecord) -> None:
        """Writes must be allowed by the user's organisation policy (P1, P5: PolicyRefused),
        and calendar writes need the connection's write_calendars permission (A1)."""
        conn = self.engine.store.connection(coll.connection_id)
        check_write(self.engine.limits_for(conn.user_id), coll.kind)
        if coll.kind is not CollectionKind.CALENDAR:
            return
        if not conn.policy.write_calendars:
            label = label_of(conn.provider)
            raise Forbidden(
                f"Writing calendars is not permitted for this {label} connection; "
                "change its permissions in the portal."
            )

    def put(
        self,
        coll: CollectionRecord,
        href: str,
        text: str,
        existing: ItemRecord | None,
        conditional: bool,
        if_match: str = "",
    ) -> ItemRecord:
        """Create or update at the provider, then mirror its canonical copy. `if_match`: the
        client's If-Match header, checked again against the mirror under the lock."""
        self._check_permitted(coll)
        if coll.read_only:
            raise ReadOnly(
                self._provider_name(coll),
                f"{coll.display_name!r} is read-only at the provider; changes cannot be saved",
            )
        if coll.kind is CollectionKind.ADDRESSBOOK:
            uid = check_vcard_text(text, self.engine.limits)
            overlay.precheck(text)  # C10: past the overlay bound, refuse before any write
            write = self._put_card
        else:
            # a task list holds to-dos only (issue 11), an event calendar events only
            uid = todo_resource(text) if coll.holds_tasks else check_calendar_text(text)
            check_calendar_limits(text, self.engine.limits)
            check_not_shortened(existing)
            write = self._put_event
        put = _Put(coll, href, text, uid, existing, conditional, if_match)
        return self._within_budget(lambda: write(put))

    def _put_event(self, put: _Put) -> ItemRecord:
        coll, href, text, uid = put.coll, put.href, put.text, put.uid
        existing = put.existing
        store = self.engine.store
        provider = source_for(self.engine.providers(coll.connection_id), coll, store)
        record = None if existing is None else store.enrichment(coll.id, existing.href)
        upstream = self._without_enrichment(coll, text, existing, record)
        upstream = itip.without_schedule_status(upstream)  # RFC 6638 §3.2.9: the server's
        overlay.precheck(upstream)  # C10: past the overlay bound, refuse before any write
        window = self.engine.window()
        with self._locked(coll, href), self._reauth_guard(coll):
            existing = self._current(coll, href, existing, put.if_match, "event")
            if existing is not None:
                provider_text = self._provider_text(existing, record)
                upstream = restore_dropped_x(
                    restore_truncated(upstream, provider_text), provider_text
                )
                # RFC 6638: the user's own PARTSTAT on an invitation goes out as the
                # provider's reply first (issue 16.3)
                replied = (
                    None  # to-dos carry no invitations here
                    if coll.holds_tasks
                    else send_replies(
                        provider,
                        coll.provider_id,
                        existing.remote_id,
                        provider_text,
                        upstream,
                        window,
                    )
                )
                if replied is None and same_content(upstream, provider_text):
                    # nothing the provider holds changed: no call, so nothing can be lost
                    log.info("%s/%s: unchanged, not written to the provider", coll.name, href)
                    return existing
                if replied is not None and same_content(upstream, replied.ical):
                    item = replied
                else:
                    item = self._update(put, provider, existing, upstream, replied)
            else:
                key = hashlib.sha256(f"{coll.id}:{coll.remote_id}:{uid}".encode()).hexdigest()
                item = provider.create(coll.provider_id, upstream, key, window)
            if item.uid != uid:
                store.set_uid_alias(coll.id, item.remote_id, uid)
            options = self.engine.enrich_options(coll.user_id)
            invites = "ATTENDEE" in upstream and "ORGANIZER" in upstream
            draft = draft_from_remote(
                item,
                [provider.account_email],
                {item.remote_id: uid},
                self.engine.item_limits(),
                options,
                store.redacts(coll.id),
            )
            stored = store.put_item(coll.id, href, draft)
            if invites:  # attendees' copies: the organizer's UID, found beyond the window too
                if item.provider_uid and item.provider_uid != uid:
                    meeting_uids.remember(store, item.provider_uid, uid, draft.end)
                meeting_uids.invited(store, upstream)
        log.info("wrote %s/%s through to the provider", coll.name, href)
        return stored

    def _update(
        self,
        put: _Put,
        provider: CalendarProvider,
        existing: ItemRecord,
        upstream: str,
        replied: RemoteItem | None,
    ) -> RemoteItem:
        window = self.engine.window()
        if has_redactions(upstream):
            current = replied or provider.fetch(put.coll.provider_id, existing.remote_id, window)
            if current is not None:
                upstream = restore_redacted(upstream, current.ical)
        version = replied.version if replied is not None else existing.version
        return provider.update(
            put.coll.provider_id,
            existing.remote_id,
            version if put.conditional else None,
            upstream,
            window,
        )

    def _current(
        self,
        coll: CollectionRecord,
        href: str,
        existing: ItemRecord | None,
        if_match: str,
        what: str,
    ) -> ItemRecord | None:
        """Under the collection's lock: the mirror's item as it is now (another write or a pull
        may have changed it while this one waited), with the client's If-Match checked against
        it — RFC 9110 §13.1.1: a stale ETag is 412 and nothing is written."""
        if existing is None:
            return None
        current = self.engine.store.item(coll.id, href)
        if if_match and (current is None or not _etag_matches(if_match, current.etag)):
            raise PreconditionFailed(
                self._provider_name(coll), f"the {what} changed since the client read it"
            )
        return current or existing

    @staticmethod
    def _provider_text(existing: ItemRecord, record: str | None) -> str:
        """The provider's own text of a mirrored item: the served text without enrichment."""
        text = existing.text or ""
        if record is not None:
            with suppress(ValueError):  # an unreadable record: strip() alone
                text = joinlinks.remove_enrichment(text, joinlinks.Enrichment.from_json(record))
        return itip.without_schedule_status(joinlinks.strip(text))

    def _without_enrichment(
        self,
        coll: CollectionRecord,
        text: str,
        existing: ItemRecord | None,
        record: str | None,
    ) -> str:
        """The client's text without what the bridge added (DESIGN: enrichment happens once).

        The mirror's record of what enrichment added to this item is applied first: it compares
        the client's values with what the bridge served and restores the provider's own values,
        so it works whatever bookkeeping the client dropped or re-serialised. The marker-based
        strip() then removes our named properties and blocks, and covers items mirrored before
        records existed and copies PUT to a new name.
        """
        if existing is not None and record is not None:
            try:
                text = joinlinks.remove_enrichment(text, joinlinks.Enrichment.from_json(record))
            except ValueError:
                log.warning("unreadable enrichment record for %s/%s", coll.name, existing.href)
        return joinlinks.strip(text)

    def _put_card(self, put: _Put) -> ItemRecord:
        coll, href, text, uid, conditional = put.coll, put.href, put.text, put.uid, put.conditional
        contacts = self._contacts(coll)
        store = self.engine.store
        with self._locked(coll, href), self._reauth_guard(coll):
            existing = self._current(coll, href, put.existing, put.if_match, "contact")
            if existing is not None:
                item = contacts.update_contact(
                    coll.remote_id,
                    existing.remote_id,
                    existing.version if conditional else None,
                    text,
                )
            else:
                key = hashlib.sha256(f"{coll.id}:{coll.remote_id}:{uid}".encode()).hexdigest()
                item = contacts.create_contact(coll.remote_id, text, key)
            if item.uid != uid:
                store.set_uid_alias(coll.id, item.remote_id, uid)
            region = self.engine.region_for(coll.user_id)
            tels = self.engine.limits.tels_per_contact
            draft = draft_from_contact(item, region, {item.remote_id: uid}, tels)
            stored = store.put_item(coll.id, href, draft)
        log.info("wrote %s/%s through to the provider", coll.name, href)
        return stored

    def _contacts(self, coll: CollectionRecord) -> ContactsProvider:
        if self.engine.contacts is None:
            raise BadInput("contacts are not available in this bridge")
        return self.engine.contacts(coll.connection_id)

    def delete(self, coll: CollectionRecord, existing: ItemRecord, conditional: bool) -> None:
        self._check_permitted(coll)
        if coll.read_only:
            raise ReadOnly(
                self._provider_name(coll),
                f"{coll.display_name!r} is read-only at the provider; nothing can be deleted",
            )
        self._within_budget(lambda: self._delete(coll, existing, conditional))

    def _delete(self, coll: CollectionRecord, existing: ItemRecord, conditional: bool) -> None:
        version = existing.version if conditional else None
        with self._locked(coll, existing.href), self._reauth_guard(coll):
            try:
                if coll.kind is CollectionKind.ADDRESSBOOK:
                    self._contacts(coll).delete_contact(coll.remote_id, existing.remote_id, version)
                else:
                    provider = source_for(
                        self.engine.providers(coll.connection_id), coll, self.engine.store
                    )
                    # RFC 6638 §3.2.2.3: removing an invitation declines it (issue 16.3)
                    # a grant copy's remote id is "grant:<id>:<calendar>" (issue 15)
                    calendar_id = coll.provider_id
                    if not coll.holds_tasks:
                        decline_removed(provider, calendar_id, existing.remote_id, existing.text)
                    provider.delete(calendar_id, existing.remote_id, version)
            except RemoteNotFound:
                log.info("%s/%s was already gone at the provider", coll.name, existing.href)
            self.engine.store.delete_item(coll.id, existing.href)
