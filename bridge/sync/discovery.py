"""Which collections a connection has: the provider's calendars, task lists and address books
listed and mirrored (new ones appear, vanished ones go, a provider listing nothing keeps what
is there), with the labels clients see and the names and colours clients set kept while the
provider keeps them (C1, K1, issue 3).

Part of the sync engine (`SyncEngine` extends `CollectionDiscovery`); what is in a collection
is the engine's pulls. Must not import radicale or any concrete provider.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from bridge.accounts.registry import label_of
from bridge.errors import AuthExpired
from bridge.model import AddressBookInfo, CalendarInfo, CollectionKind, CollectionRecord
from bridge.providers.base import CalendarProvider, ContactsProvider
from bridge.store import Store
from bridge.store.rows import ClientProps, ConnectionPolicy, ConnectionRow, ConnectionState
from bridge.sync.directory import directory_books
from bridge.sync.enforcement import OrgLimits
from bridge.sync.tasks import task_lists
from bridge.sync.virtual import is_view

log = logging.getLogger("davbridge.sync")


def collection_label(cal: CalendarInfo, account: str, provider: str, owner: str | None) -> str:
    """What clients show: the provider's name for the calendar, whose it is when shared, and
    which service it comes from, so that several connections are told apart (C1, issue 3).
    A primary calendar named after the account (Google does that) is called "Calendar"."""
    name = cal.display_name
    if cal.is_default and name.lower() == account.lower():
        name = "Calendar"
    if owner is not None:
        if name.lower() == (cal.owner_email or "").lower():  # Google: a primary calendar
            name = "Calendar"
        name = f"{name} ({cal.owner_name or cal.owner_email})"
    return f"{name} — {label_of(provider)}"


def strip_label(display_name: str, provider: str) -> str:
    """A display name as the provider keeps it: the " — <service>" the bridge adds to what
    clients see (collection_label) is not part of it."""
    suffix = f" — {label_of(provider)}"
    return display_name.removesuffix(suffix).strip()


def client_name_kept(client_name: str, provider_name: str, provider: str) -> bool:
    """Does the provider still carry the name a client set (the provider may trim it)?"""
    return strip_label(client_name, provider) == provider_name.strip()


def book_label(book: AddressBookInfo, provider: str) -> str:
    """ "Contacts — Microsoft 365", "Clients / Europe — Exchange" …"""
    return f"{book.display_name} — {label_of(provider)}"


class CollectionDiscovery:
    """Listing and mirroring a connection's collections (see the module docstring)."""

    store: Store
    providers: Callable[[int], CalendarProvider]
    contacts: Callable[[int], ContactsProvider] | None
    # called with the owner's user id after a calendar listing (grant copies follow it)
    on_discovered: Callable[[int], None] | None

    if TYPE_CHECKING:

        def effective_policy(self, conn: ConnectionRow) -> ConnectionPolicy: ...

        def limits_for(self, user_id: int) -> OrgLimits | None: ...

        def listing_lock(
            self, connection_id: int, kind: CollectionKind
        ) -> AbstractContextManager[None]: ...

    def discover_calendars(self, connection_id: int) -> list[CollectionRecord]:
        with self.listing_lock(connection_id, CollectionKind.CALENDAR):
            return self._discover_calendars(connection_id)

    def _discover_calendars(self, connection_id: int) -> list[CollectionRecord]:
        """Mirror the connection's calendar list (new ones appear, vanished ones go).
        Nothing is listed while calendars are not permitted or switched off (the mirror is
        kept as it was, so switching on again serves it at once)."""
        conn = self.store.connection(connection_id)
        if not self.effective_policy(conn).shows(CollectionKind.CALENDAR):
            return []
        try:
            provider = self.providers(connection_id)
            calendars = provider.list_calendars()
            lists = task_lists(provider)  # served as VTODO calendars (issue 11)
        except AuthExpired as exc:
            self.store.set_connection_status(connection_id, ConnectionState.REAUTH, exc.message)
            raise
        named = self.store.client_props(connection_id)
        wanted = []
        if lists is None:  # not listed now: the task lists mirrored stay as they are
            wanted = [
                (c.remote_id, c.display_name, c.color, c.read_only, c.owner)
                for c in self.store.collections(connection_id=connection_id)
                if c.holds_tasks and c.user_id == conn.user_id
            ]
        for cal in [*calendars, *(lists or [])]:
            owner = (
                cal.owner_email
                if cal.owner_email and cal.owner_email.lower() != conn.account.lower()
                else None
            )
            label = collection_label(cal, conn.account, conn.provider, owner)
            client = named.get(cal.remote_id)
            label = self._client_label(client, cal.display_name, conn.provider, label)
            color = self._client_color(client, cal.remote_id, connection_id, cal.color)
            wanted.append((cal.remote_id, label, color, cal.read_only, cal.owner_email))
        mirrored = self._mirror_list(connection_id, CollectionKind.CALENDAR, wanted)
        for cal in calendars:  # the account's own name (Graph: calendar.owner.name), for labels
            if cal.owner_name and (cal.owner_email or "").lower() == conn.account.lower():
                self.store.set_display_name(conn.user_id, cal.owner_name)
                break
        private = {cal.remote_id: cal.can_view_private for cal in calendars}
        for coll in mirrored:  # a delegate without private access: busy blocks (issue 15)
            self.store.set_redaction(coll.id, not private.get(coll.remote_id, True))
        if self.on_discovered is not None:
            self.on_discovered(conn.user_id)
        return mirrored

    def discover_address_books(self, connection_id: int) -> list[CollectionRecord]:
        with self.listing_lock(connection_id, CollectionKind.ADDRESSBOOK):
            return self._discover_address_books(connection_id)

    def _discover_address_books(self, connection_id: int) -> list[CollectionRecord]:
        """Mirror the connection's contact folders / groups as address books (K1)."""
        if self.contacts is None:
            return []
        conn = self.store.connection(connection_id)
        if not self.effective_policy(conn).shows(CollectionKind.ADDRESSBOOK):
            return []
        try:
            books = self.contacts(connection_id).list_address_books()
        except AuthExpired as exc:
            self.store.set_connection_status(connection_id, ConnectionState.REAUTH, exc.message)
            raise
        named = self.store.client_props(connection_id)
        wanted: list[tuple[str, str, str | None, bool, str | None]] = [
            (
                b.remote_id,
                self._client_label(
                    named.get(b.remote_id),
                    b.display_name,
                    conn.provider,
                    book_label(b, conn.provider),
                ),
                None,
                b.read_only,
                None,
            )
            for b in books
        ]
        wanted += directory_books(  # K5 (branch views)
            self.contacts(connection_id), self.limits_for(conn.user_id), conn.provider
        )
        return self._mirror_list(connection_id, CollectionKind.ADDRESSBOOK, wanted)

    @staticmethod
    def _client_label(
        client: ClientProps | None, provider_name: str, provider: str, label: str
    ) -> str:
        """The display name a DAV client set, verbatim, while the provider still has it (the
        provider keeps it without the " — <service>" label); once the collection is renamed
        at the provider, the provider's name with the label again."""
        name = client.name if client is not None else None
        if name is not None and client_name_kept(name, provider_name, provider):
            return name
        return label

    def _client_color(
        self, client: ClientProps | None, remote_id: str, connection_id: int, color: str | None
    ) -> str | None:
        """The colour a DAV client set, as set, while the provider keeps the colour it made of
        it (Outlook's palette rounds '#ff0000' to its own red); changed at the provider, the
        provider's colour."""
        if client is None or client.color is None:
            return color
        if client.color_of is None:  # first listing since the client set it
            self.store.see_client_color(connection_id, remote_id, color or "")
            return client.color or None  # "": removed by the client
        return (client.color or None) if client.color_of == (color or "") else color

    def _mirror_list(
        self,
        connection_id: int,
        kind: CollectionKind,
        wanted: list[tuple[str, str, str | None, bool, str | None]],
    ) -> list[CollectionRecord]:
        conn = self.store.connection(connection_id)
        existing = {
            c.remote_id: c
            for c in self.store.collections(connection_id=connection_id)
            if c.kind is kind
            and not is_view(c)  # the bridge's own views stay (C4)
            and c.user_id == conn.user_id  # not other users' grant copies
        }
        if not wanted and existing:
            # A provider that suddenly lists nothing is a fault, not a mass deletion.
            log.warning("provider listed no %ss; keeping %d", kind.value, len(existing))
            return list(existing.values())
        result = [
            self.store.upsert_collection(
                conn.user_id, connection_id, kind, remote_id, label, color, read_only, owner
            )
            for remote_id, label, color, read_only, owner in wanted
        ]
        listed = {remote_id for remote_id, *_ in wanted}
        for remote_id, coll in existing.items():
            if remote_id not in listed:
                self.store.delete_collection(coll.id)
        return result
