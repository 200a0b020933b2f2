"""Shared value types that cross layer boundaries (provider -> sync -> store -> DAV adapter).

Every type here is a frozen dataclass with no behaviour beyond trivial derived values.
This module must not import anything from the bridge, and must not do I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class ProviderKind(StrEnum):
    GRAPH = "graph"
    GOOGLE = "google"
    EWS = "ews"


class CollectionKind(StrEnum):
    CALENDAR = "calendar"
    ADDRESSBOOK = "addressbook"


#: A calendar collection holding to-dos (VTODO) is a provider task list, mirrored under the
#: remote id "tasks:<task list id>" (issue 11): it is a calendar to DAV clients, policy and
#: permissions, whose supported-calendar-component-set is VTODO.
TASKS_PREFIX = "tasks:"


@dataclass(frozen=True)
class SyncWindow:
    """The time range of events mirrored (C6): default 6 months back, 18 months forward."""

    start: dt.datetime  # timezone-aware UTC
    end: dt.datetime  # timezone-aware UTC

    @staticmethod
    def around(now: dt.datetime, days_back: int, days_forward: int) -> SyncWindow:
        """A window around `now`, rounded to whole UTC days so it is stable within a day."""
        day = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return SyncWindow(day - dt.timedelta(days=days_back), day + dt.timedelta(days=days_forward))


@dataclass(frozen=True)
class CalendarInfo:
    """One provider calendar the user can see (C1)."""

    remote_id: str
    display_name: str
    color: str | None = None  # "#RRGGBB"
    read_only: bool = False
    owner_email: str | None = None
    owner_name: str | None = None
    is_default: bool = False
    # another user's calendar the account sees as a delegate or share recipient without the
    # right to see private events (issue 15): they are mirrored as busy blocks only
    can_view_private: bool = True


@dataclass(frozen=True)
class AddressBookInfo:
    """One provider contact folder / contact group the user can see (K1). Nested folders are
    named by their path, e.g. "Clients / Europe"."""

    remote_id: str
    display_name: str
    read_only: bool = False
    is_default: bool = False


@dataclass(frozen=True)
class CollectionChange:
    """What a client asks of a calendar or address book it creates (MKCALENDAR / extended
    MKCOL) or changes (PROPPATCH): None leaves a property as it is."""

    display_name: str | None = None
    color: str | None = None  # "#RRGGBB"
    description: str | None = None
    tasks: bool = False  # MKCALENDAR asked for a VTODO-only component set: a task list


@dataclass(frozen=True)
class RemoteItem:
    """One provider object as one DAV resource.

    For calendars: a single event, or a series master folded together with its exceptions
    and cancelled occurrences (C2). `ical` is the provider's data as VCALENDAR text *before*
    join-link enrichment; it must be deterministic for the same provider state.
    """

    remote_id: str  # stable provider id of the resource (single event id or series master id)
    version: str  # opaque provider concurrency token(s) (Graph: JSON map id -> changeKey)
    uid: str  # iCalendar UID
    ical: str  # VCALENDAR text for events, VCARD (3.0) text for contacts
    member_ids: tuple[str, ...] = ()  # provider ids folded into this resource (instances)
    # unix seconds enclosing every occurrence, as the mapping computed it from the components it
    # built; None: the sync engine computes it from `ical` (a parse)
    span: tuple[int, int] | None = None
    # the provider's own UID when it is not `uid` (Graph's iCalUId of an event whose client
    # chose another UID): what attendees' copies of a meeting carry (issue 16)
    provider_uid: str = ""


@dataclass(frozen=True)
class PullResult:
    """What one incremental pull of a collection found.

    `reset` means the listing is complete (first sync, or the provider's cursor expired and
    a full resync was done): mirror items whose remote ids are not in `items` are gone.
    Otherwise `items` are upserts and `removed` raw provider ids reported deleted (these can
    be member ids of a folded resource: the sync engine resolves them).
    """

    items: tuple[RemoteItem, ...]
    removed: tuple[str, ...]
    cursor: str
    reset: bool = False
    requests: int = 0  # provider HTTP requests this pull made (for economy figures)


@dataclass(frozen=True)
class PhoneEntry:
    """One TEL of a mirrored contact as the caller-lookup index holds it (K4)."""

    e164: str  # "+49301234567" (or the digits as written when not parseable)
    national: str  # national significant number, digits only: "301234567"
    raw: str  # as the provider stores it: "030 1234567"
    kind: str  # cell, work, home, fax, other …
    name: str  # the contact's FN
    org: str  # the contact's organisation ("" when none)


@dataclass(frozen=True)
class PhoneMatch:
    """A caller-lookup hit: which contact, which of its numbers."""

    collection_id: int
    href: str
    entry: PhoneEntry


@dataclass(frozen=True)
class WriteResult:
    """The provider's canonical copy after a create or update (C5)."""

    item: RemoteItem


@dataclass(frozen=True)
class Principal:
    """A bridge user as DAV clients see them."""

    user_id: int
    name: str
    email: str | None = None


@dataclass(frozen=True)
class CollectionRecord:
    """A mirrored collection as the store holds it."""

    id: int
    user_id: int
    connection_id: int
    kind: CollectionKind
    name: str  # path segment under the user's principal
    remote_id: str
    display_name: str
    color: str | None
    read_only: bool
    owner: str | None
    seq: int
    cursor: str | None
    refreshed_at: float | None
    virtual: bool = False

    @property
    def provider_id(self) -> str:
        """The provider's id of the collection: a grantee's copy of another user's calendar
        (a bridge-level grant, issue 15) is named "grant:<grant id>:<provider id>"."""
        if self.remote_id.startswith("grant:"):
            parts = self.remote_id.split(":", 2)
            if len(parts) == 3 and parts[1].isdigit():
                return parts[2]
        return self.remote_id

    @property
    def holds_tasks(self) -> bool:
        """A provider task list (VTODO), not an event calendar (TASKS_PREFIX)."""
        return self.kind is CollectionKind.CALENDAR and self.provider_id.startswith(TASKS_PREFIX)


@dataclass(frozen=True)
class ItemRecord:
    """A mirrored item as the store holds it; enough to serve without parsing."""

    collection_id: int
    href: str
    uid: str
    remote_id: str
    version: str
    etag: str  # quoted
    text: str
    component: str  # VEVENT, VTODO, VCARD …
    start: int  # unix seconds, conservative (wide) enclosing range
    end: int
    seq: int
    members: tuple[str, ...] = field(default_factory=tuple)
