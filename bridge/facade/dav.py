"""The facade's DAV methods, for the Radicale plugins: the collections a user's clients see,
their items from the mirror (a stale collection is refreshed first, within a bounded wait),
caller lookup by phone number (K4), writes through to the provider (If-Match checked against
the mirror, RFC 9110 §13.1.1), and collections made, changed or deleted from clients.

Delegates only: the mirror is bridge.store's, pulls and writes bridge.sync's. Must not import
radicale.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bridge.errors import BridgeError, NotFound, PreconditionFailed
from bridge.model import (
    CollectionChange,
    CollectionKind,
    CollectionRecord,
    ItemRecord,
    PhoneMatch,
)
from bridge.settings import Settings
from bridge.store import Store
from bridge.store.rows import ConnectionState, UserRow
from bridge.sync.collections import ChangeOutcome, CollectionAdmin
from bridge.sync.delegation import GrantCopies, refuse_hidden_write
from bridge.sync.directory import is_directory
from bridge.sync.directory import visible as directory_visible
from bridge.sync.engine import SyncEngine
from bridge.sync.itip import SchedulingService
from bridge.sync.outside import OutsideWindow
from bridge.sync.scheduler import Refresher
from bridge.sync.views import MeetingViews, source_of
from bridge.sync.virtual import is_view
from bridge.sync.writes import WriteThrough


@dataclass(frozen=True)
class ConnectionHealth:
    """One connection as /health details show it."""

    id: int
    provider: str
    status: ConnectionState
    last_sync: float | None


class DavFacade:
    settings: Settings
    store: Store
    engine: SyncEngine
    refresher: Refresher
    writes: WriteThrough
    collection_admin: CollectionAdmin
    outside_window: OutsideWindow
    meeting_views: MeetingViews
    grant_copies: GrantCopies
    scheduling: SchedulingService

    if TYPE_CHECKING:

        def _user(self, username: str) -> UserRow: ...

    # -- DAV reads (mirror only; stale collections get a background refresh) ---------------
    def collections_for(self, username: str) -> list[CollectionRecord]:
        """The user's collections clients see: those of connections switched off or not
        permitted for the kind are left out (A1, A4)."""
        user = self.store.user_by_name(username)
        if user is None:
            return []
        for view in self.meeting_views.ensure(user.id):  # C4: the user's switches
            self.meeting_views.rebuild(view)
        policies = {c.id: self.engine.effective_policy(c) for c in self.store.connections(user.id)}
        limits = self.engine.limits_for(user.id)
        colls = self.store.collections(user_id=user.id)
        for cid in {c.connection_id for c in colls} - set(policies):
            # copies of another user's calendars by a bridge-level grant (issue 15): the
            # owner's connection decides
            with suppress(NotFound):
                policies[cid] = self.engine.effective_policy(self.store.connection(cid))
        return [
            coll
            for coll in colls
            if coll.connection_id in policies
            and policies[coll.connection_id].shows(coll.kind)
            and self.grant_copies.valid(coll)
            and directory_visible(coll, limits)
        ]

    def collection(self, username: str, name: str) -> CollectionRecord | None:
        user = self.store.user_by_name(username)
        coll = self.store.collection_by_name(user.id, name) if user else None
        if coll is not None and is_view(coll) and not self.meeting_views.switched_on(coll):
            return None
        wanted = coll is not None and self.engine.wanted(coll) and self.grant_copies.valid(coll)
        return coll if wanted else None

    def fresh(self, coll: CollectionRecord) -> CollectionRecord:
        """The collection as the mirror has it; a stale one has its refresh scheduled (not
        waited for, except the bounded first fill of a never-synced one). A meeting view
        (C4) is brought up to date from the mirror here."""
        if is_view(coll):
            return self.meeting_views.rebuild(coll)
        if self.engine.is_stale(coll):
            if coll.kind is CollectionKind.CALENDAR:  # invitations after the window (issue 16)
                self.scheduling.beyond.adopt(self.store.collections(user_id=coll.user_id))
            self.refresher.ensure_fresh(coll)
            return self.store.collection(coll.id)
        return coll

    def item_read(self, coll: CollectionRecord) -> None:
        """A client read one item of `coll` (no refresh is scheduled for that): invitations
        dated after the sync window are looked for when the calendar is stale (issue 16; a
        client polling an attendee's copy sees the organizer's update)."""
        if coll.kind is CollectionKind.CALENDAR and self.engine.is_stale(coll):
            self.scheduling.beyond.adopt(self.store.collections(user_id=coll.user_id))

    def items(self, coll: CollectionRecord) -> list[ItemRecord]:
        return self.store.items(coll.id)

    def item_records(self, coll: CollectionRecord) -> Iterator[ItemRecord]:
        """Every item, streamed from the mirror (bulk answers filter them one by one)."""
        return self.store.item_records(coll.id)

    def item_listing(self, coll: CollectionRecord) -> Iterator[tuple[str, str, str]]:
        """(href, etag, component) of every item, streamed, for bulk answers."""
        return self.store.item_listing(coll.id)

    def item_blobs(self, coll: CollectionRecord) -> Iterator[tuple[str, str, bytes]]:
        """(href, etag, UTF-8 text) of every item, streamed, for bulk answers."""
        return self.store.item_blobs(coll.id)

    def blobs_by_href(
        self, coll: CollectionRecord, hrefs: Sequence[str]
    ) -> dict[str, tuple[str, bytes]]:
        """href -> (etag, UTF-8 text) of the items among `hrefs` (pass bounded batches)."""
        return self.store.blobs_by_href(coll.id, hrefs)

    def etags_by_href(self, coll: CollectionRecord, hrefs: Sequence[str]) -> dict[str, str]:
        """href -> ETag of the items among `hrefs`, their texts not read."""
        return self.store.etags_by_href(coll.id, hrefs)

    def items_by_href(self, coll: CollectionRecord, hrefs: Sequence[str]) -> dict[str, ItemRecord]:
        return self.store.items_by_href(coll.id, hrefs)

    def has_uid(self, coll: CollectionRecord, uid: str) -> bool:
        return self.store.item_by_uid(coll.id, uid) is not None

    def items_outside_window(
        self, coll: CollectionRecord, start: int, end: int
    ) -> list[ItemRecord]:
        """Provider items in [start, end) beyond the sync window (bounded wait, cached)."""
        return self.outside_window.items(coll, start, end)

    def items_answered_outside_window(
        self, coll: CollectionRecord, hrefs: Sequence[str]
    ) -> dict[str, ItemRecord]:
        """Items among `hrefs` a query beyond the window answered lately (reads only)."""
        return self.outside_window.answered(coll, list(hrefs))

    def adopt_answered_outside_window(
        self, coll: CollectionRecord, hrefs: Sequence[str]
    ) -> dict[str, ItemRecord]:
        """Items among `hrefs` a query beyond the window answered lately, put into the
        mirror because a client writes to them (PUT, DELETE): an edit, not a second event."""
        return self.outside_window.adopt(coll, list(hrefs))

    def href_of_uid(self, coll: CollectionRecord, uid: str) -> str | None:
        item = self.store.item_by_uid(coll.id, uid)
        return item.href if item is not None else None

    def sync(self, coll: CollectionRecord, token: str) -> tuple[str, list[str]]:
        return self.store.changes_since(coll.id, token)

    def sync_token(self, coll: CollectionRecord) -> str:
        """The collection's current change sequence (RFC 6578 sync token, without prefix)."""
        return self.store.sync_token(coll.id)

    def connection_collections(self, connection_id: int) -> list[CollectionRecord]:
        """Every collection mirrored from the connection (switched off or not)."""
        return self.store.collections(connection_id=connection_id)

    def connections_health(self) -> list[ConnectionHealth]:
        """Every connection's state, for /health."""
        return [
            ConnectionHealth(c.id, c.provider, c.status, c.last_sync)
            for c in self.store.connections()
        ]

    # -- caller lookup (K4) ----------------------------------------------------------------
    def region_of(self, username: str) -> str:
        """The default region numbers without a country code are read in (E.164)."""
        user = self.store.user_by_name(username)
        region = self.store.user_region(user.id) if user else None
        return region or self.settings.contacts.default_region

    def find_by_phone(
        self,
        username: str,
        text: str,
        match: str = "equals",
        limit: int = 50,
        collection: CollectionRecord | None = None,
    ) -> list[PhoneMatch]:
        """Contacts of `username` whose numbers match `text` however it is written; answered
        from the E.164 index. `match`: equals | starts-with | contains (RFC 6352 text-match)."""
        from bridge.contacts.phones import plan_query

        user = self.store.user_by_name(username)
        if user is None:
            return []
        query = plan_query(text, match, self.region_of(username))
        colls = self.collections_for(username)
        found = self.store.phone_matches(
            user.id,
            exact=query.exact,
            prefix=query.prefix,
            contains=query.contains,
            collection_id=collection.id if collection else None,
            limit=limit,
            last=[c.id for c in colls if is_directory(c)],  # own contacts first (K5)
        )
        visible = {c.id for c in colls}
        return [m for m in found if m.collection_id in visible]

    def find_cards(
        self, coll: CollectionRecord, props: Sequence[str], text: str, match: str, limit: int
    ) -> list[str]:
        """Hrefs of cards whose FN / N / NICKNAME / ORG / EMAIL (`props`) equals, starts with
        or contains `text`, case-insensitively, from the name index (K5)."""
        return self.store.card_hrefs(coll.id, props, text, match, limit)

    def read_only_reason(self, coll: CollectionRecord, href: str | None) -> str:
        """Why a client's write to the read-only collection `coll` is refused, in plain
        words: a meeting view names the calendar the item comes from (C4)."""
        if is_view(coll):
            source = source_of(href or "")
            src = self.store.collection_by_name(coll.user_id, source) if source else None
            if src is not None:
                return (
                    f"{coll.display_name!r} is a read-only view of your calendars; this event "
                    f"belongs to the calendar {src.display_name!r} (/{src.name}/): change it "
                    "there."
                )
            return (
                f"{coll.display_name!r} is a read-only view of your calendars; create events "
                "in one of the calendars it shows."
            )
        if is_directory(coll):
            return (
                f"{coll.display_name!r} is your organisation's directory and cannot be "
                "changed from here."
            )
        kind = "calendar" if coll.kind is CollectionKind.CALENDAR else "address book"
        return (
            f"The {kind} {coll.display_name!r} is read-only at the provider; changes cannot "
            "be saved."
        )

    def is_directory(self, coll: CollectionRecord) -> bool:
        """Whether the collection is the organisation's directory (K5): read-only, listed
        after the user's own contacts in caller lookup and the phonebooks."""
        return is_directory(coll)

    # -- DAV writes (write-through) -------------------------------------------------------
    def put(
        self,
        coll: CollectionRecord,
        href: str,
        text: str,
        conditional: bool,
        if_match: str | None = None,
    ) -> ItemRecord:
        existing = self.store.item(coll.id, href)
        check_if_match(existing, if_match)
        if existing is not None:
            refuse_hidden_write(self.engine, coll, existing)
        # checked again under the collection's lock: a pull may refresh the item meanwhile
        return self.writes.put(coll, href, text, existing, conditional, if_match or "")

    def delete(
        self, coll: CollectionRecord, href: str, conditional: bool, if_match: str | None = None
    ) -> None:
        existing = self.store.item(coll.id, href)
        if existing is None:
            raise BridgeError(f"no item {href}")
        check_if_match(existing, if_match)
        refuse_hidden_write(self.engine, coll, existing)
        self.writes.delete(coll, existing, conditional)

    # -- collections managed from clients (MKCALENDAR, MKCOL, PROPPATCH, DELETE) -----------
    def create_collection(
        self, username: str, name: str, kind: CollectionKind, change: CollectionChange
    ) -> CollectionRecord:
        return self.collection_admin.create(self._user(username).id, name, kind, change)

    def change_collection(
        self, coll: CollectionRecord, change: CollectionChange, unknown: list[str]
    ) -> ChangeOutcome:
        return self.collection_admin.change(coll, change, unknown)

    def delete_collection(self, coll: CollectionRecord) -> None:
        self.collection_admin.delete(coll)


def check_if_match(existing: ItemRecord | None, if_match: str | None) -> None:
    """RFC 9110 §13.1.1 against the mirror as it is now: the DAV layer compared If-Match a
    moment earlier, and a background refresh may have brought a provider-side change since;
    the write would then go out with the newer provider version and overwrite that change."""
    if not if_match or existing is None:
        return
    tags = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    if "*" in tags or existing.etag in tags:
        return
    raise PreconditionFailed(
        "davbridge", f"{existing.href} changed since the client read it", None, 412
    )
