"""The one protocol the sync engine uses to talk to any provider (Graph, Google, EWS).

A provider is done when the shared contract tests pass for it. Implementations do wire I/O
and mapping; they must not touch the store, and must not enrich (join links are added by
the sync engine, once, when an item enters the mirror). `prefetched` is the page-ahead iteration
a paged pull runs on (the engine over a provider's pages, a provider over its own requests).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar, runtime_checkable

from bridge.ical.itip import Availability, Reply
from bridge.model import (
    AddressBookInfo,
    CalendarInfo,
    CollectionChange,
    ProviderKind,
    PullResult,
    RemoteItem,
    SyncWindow,
)


class CalendarProvider(Protocol):
    """Calendars of one connected account.

    Error contract (see `bridge.errors`): stale version -> PreconditionFailed; read-only
    calendar -> ReadOnly; invalid data -> ProviderRefused; throttled/5xx -> ProviderBusy with
    retry_after; expired/revoked credentials -> AuthExpired. `pull` never returns a partial
    result: either the whole increment (all pages) or an exception, so a failure mid-pull
    leaves the caller's cursor and mirror untouched.
    """

    kind: ProviderKind

    @property
    def account_email(self) -> str:
        """The mailbox address of the connected account (used for "hosted by me")."""
        ...

    def list_calendars(self) -> list[CalendarInfo]: ...

    def pull(self, calendar_id: str, cursor: str | None, window: SyncWindow) -> PullResult:
        """Everything changed since `cursor` (None: full listing, result.reset=True).

        An expired cursor is handled inside: the provider does a full listing and returns
        reset=True.
        """
        ...

    def fetch(self, calendar_id: str, remote_id: str, window: SyncWindow) -> RemoteItem | None:
        """The current state of one resource (None when it no longer exists)."""
        ...

    def create(
        self, calendar_id: str, ical: str, idempotency_key: str, window: SyncWindow
    ) -> RemoteItem:
        """Create from VCALENDAR text (enrichment already stripped). Retrying with the same
        idempotency_key never creates a second event."""
        ...

    def update(
        self, calendar_id: str, remote_id: str, version: str | None, ical: str, window: SyncWindow
    ) -> RemoteItem:
        """Update the same provider object (a time move keeps its id). Overrides in `ical`
        become provider exceptions; new EXDATEs cancel occurrences. `version` None means
        unconditional."""
        ...

    def delete(self, calendar_id: str, remote_id: str, version: str | None) -> None: ...


class ContactsProvider(Protocol):
    """Contact folders / groups of one connected account (K1–K3).

    Same error contract as CalendarProvider. Contacts travel as vCard 3.0 text
    (RemoteItem.ical), deterministic for the same provider state. `update_contact` changes
    only the fields a vCard can express and the client changed, so provider fields the vCard
    cannot carry are never erased (K3). A contact in several groups (Google labels) appears in
    each group's address book with the same UID.
    """

    kind: ProviderKind

    @property
    def account_email(self) -> str: ...

    def list_address_books(self) -> list[AddressBookInfo]: ...

    def pull_contacts(self, book_id: str, cursor: str | None) -> PullResult:
        """Everything changed since `cursor` (None: full listing, reset=True); an expired
        cursor is handled inside with a full listing (reset=True)."""
        ...

    def fetch_contact(self, book_id: str, remote_id: str) -> RemoteItem | None: ...

    def create_contact(self, book_id: str, vcard: str, idempotency_key: str) -> RemoteItem: ...

    def update_contact(
        self, book_id: str, remote_id: str, version: str | None, vcard: str
    ) -> RemoteItem: ...

    def delete_contact(self, book_id: str, remote_id: str, version: str | None) -> None: ...


@runtime_checkable
class CalendarCollections(Protocol):
    """Calendars managed from DAV clients (MKCALENDAR, PROPPATCH, DELETE; issue 11).

    `calendar_fields` names what the provider can set: "name", "color", "description".
    Errors as for CalendarProvider; a calendar the account may not change -> ReadOnly.
    """

    calendar_fields: frozenset[str]

    def create_calendar(self, change: CollectionChange) -> CalendarInfo: ...

    def change_calendar(self, remote_id: str, change: CollectionChange) -> None: ...

    def delete_calendar(self, remote_id: str) -> None: ...


@runtime_checkable
class AddressBookCollections(Protocol):
    """Contact folders / groups managed from CardDAV clients (extended MKCOL, PROPPATCH of the
    name, DELETE). The default folder (My Contacts) is never changed here."""

    def create_address_book(self, display_name: str) -> AddressBookInfo: ...

    def rename_address_book(self, remote_id: str, display_name: str) -> None: ...

    def delete_address_book(self, remote_id: str) -> None: ...


#: The remote id the directory address book is mirrored under, for every provider (K5).
DIRECTORY_ID = "@directory"


@runtime_checkable
class DirectorySource(Protocol):
    """The organisation's directory (K5) as one read-only address book: Graph users, the
    Google Workspace directory, the Exchange GAL (branch views). Same error contract and
    all-or-nothing pulls as ContactsProvider.pull_contacts; items are vCard 3.0 text
    (bridge.providers.common.directory)."""

    def pull_directory(self, cursor: str | None) -> PullResult: ...


@runtime_checkable
class Scheduling(Protocol):
    """RFC 6638 through the provider (issue 16): the provider's availability API answers
    free/busy lookups, and its own reply call answers an invitation, so the provider sends the
    messages. An organizer's invitations need nothing here: creating or updating an event with
    attendees makes the provider send them.

    `free_busy`: one Availability per address, in order (status "3.7;Invalid calendar user" for
    an address the provider does not know). `reply`: the account's answer to the invitation
    `remote_id` (an occurrence when `reply.recurrence_id` is set); RemoteNotFound when it is gone.
    """

    def free_busy(
        self, addresses: Sequence[str], start: dt.datetime, end: dt.datetime
    ) -> list[Availability]: ...

    def reply(self, calendar_id: str, remote_id: str, reply: Reply) -> None: ...


@runtime_checkable
class TasksProvider(Protocol):
    """Task lists of one connected account (issue 11): Microsoft To Do, Google Tasks, Exchange
    task folders, each list served as a calendar whose components are VTODO.

    A task list is described by a CalendarInfo (`is_default`: the list the provider will not
    delete). Tasks travel as VCALENDAR text holding one VTODO (RemoteItem.ical), deterministic
    for the same provider state, with what the provider cannot hold merged back from the
    lossless overlay where the provider can keep one. Same error contract and all-or-nothing
    pulls as CalendarProvider; task lists have no time window. An account that did not grant
    the tasks permission raises Forbidden from `list_task_lists` (its calendars are unaffected).
    `task_overlay_at_provider` False: the provider has nowhere to keep the overlay (Google
    Tasks), so the items it returns are its own rendering and the sync layer keeps the overlay.
    """

    task_overlay_at_provider: bool

    def list_task_lists(self) -> list[CalendarInfo]: ...

    def create_task_list(self, display_name: str) -> CalendarInfo: ...

    def rename_task_list(self, list_id: str, display_name: str) -> None: ...

    def delete_task_list(self, list_id: str) -> None: ...

    def pull_tasks(self, list_id: str, cursor: str | None) -> PullResult:
        """Everything changed since `cursor` (None: full listing, reset=True)."""
        ...

    def fetch_task(self, list_id: str, remote_id: str) -> RemoteItem | None: ...

    def create_task(self, list_id: str, ical: str, idempotency_key: str) -> RemoteItem: ...

    def update_task(
        self, list_id: str, remote_id: str, version: str | None, ical: str
    ) -> RemoteItem: ...

    def delete_task(self, list_id: str, remote_id: str, version: str | None) -> None: ...


@dataclass(frozen=True)
class PullPage:
    """One page of a streamed pull (`PagedPull`): the items converted from one provider page
    (or batch), raw ids the provider reported deleted, whether the round is a full listing,
    the requests made for it, and — on the last page only — the new cursor.
    A full listing (`reset`) comes page by page; an incremental round comes as one page."""

    items: tuple[RemoteItem, ...]
    removed: tuple[str, ...]
    reset: bool
    requests: int
    cursor: str | None = None


@runtime_checkable
class PagedPull(Protocol):
    """A calendar provider whose full listing can be taken page by page (issue 14 points 1
    and 3: the first sync stores each page while the next is fetched, and never holds the
    whole listing). Same error contract as `CalendarProvider.pull`; the caller keeps its old
    cursor until the last page (the one with `cursor` set) has been applied."""

    def pull_pages(
        self, calendar_id: str, cursor: str | None, window: SyncWindow
    ) -> Iterator[PullPage]: ...


T = TypeVar("T")

DEPTH = 2  # values produced ahead of the one being consumed (memory: DEPTH + 1 pages)


def prefetched(make: Callable[[], Iterable[T]], depth: int = DEPTH) -> Generator[T, None, None]:
    """The values of `make()`, produced on a thread of its own at most `depth` ahead. Its
    exception is raised here, in order; closing this iterator stops the thread after the
    value it is producing (it is joined, so nothing of it runs on afterwards)."""
    slots: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[str, object]) -> bool:
        while not stop.is_set():
            try:
                slots.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for value in make():
                if not put(("value", value)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            put(("error", exc))

    context = contextvars.copy_context()  # the pull's log context on the fetch thread too
    thread = threading.Thread(target=context.run, args=(produce,), name="davbridge-prefetch")
    thread.daemon = True
    thread.start()
    try:
        while True:
            kind, value = slots.get()
            if kind == "value":
                yield value  # type: ignore[misc]
            elif kind == "end":
                return
            else:
                assert isinstance(value, BaseException)
                raise value
    finally:
        stop.set()
        thread.join()


@runtime_checkable
class PagedContacts(Protocol):
    """`PagedPull` for a contacts provider's address books (`pull_contacts` page by page)."""

    def pull_contact_pages(self, book_id: str, cursor: str | None) -> Iterator[PullPage]: ...
