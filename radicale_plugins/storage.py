"""Radicale storage plugin: serves collections and items from the davbridge mirror.

Paths: "" (root) → "<user>" (principal, also the calendar home) → "<user>/<collection>" →
"<user>/<collection>/<href>". Items are built from stored text, ETag, UID, component and
time range, so serving never parses iCalendar. Writes go through `bridge.api` (write-through
to the provider). This adapter must import only radicale and bridge.api; it keeps no state
of its own (Radicale instantiates it more than once).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, overload

from radicale import item as radicale_item
from radicale import pathutils, types
from radicale.item import filter as radicale_filter
from radicale.storage import BaseCollection, BaseStorage

from bridge import api
from radicale_plugins import collections, proxied, putcheck, queryrange

TOKEN_PREFIX = "http://davbridge.org/ns/sync/"  # noqa: S105 - a URI, not a secret


@dataclass(frozen=True)
class WriteConditions:
    """The request's precondition on the stored version (RFC 9110 §13.1.1 If-Match), which the
    provider write must carry: Radicale's storage API (`upload`, `delete`) receives no request,
    so the DAV app hands it over through `write_request` for the duration of one PUT/DELETE."""

    if_match: str | None = None

    @property
    def conditional(self) -> bool:
        return bool(self.if_match)


@dataclass
class WriteOutcome:
    """What the storage reports back about one write: the provider stored something other
    than what the client sent (RFC 4791 §5.3.4: then the answer carries no ETag)."""

    stored_differs: bool = False


_write: contextvars.ContextVar[tuple[WriteConditions, WriteOutcome] | None] = (
    contextvars.ContextVar("davbridge_write", default=None)
)


@contextlib.contextmanager
def write_request(conditions: WriteConditions) -> Iterator[WriteOutcome]:
    """The scope of one PUT/DELETE: `upload`/`delete` see `conditions`, the caller reads the
    outcome afterwards."""
    outcome = WriteOutcome()
    token = _write.set((conditions, outcome))
    try:
        yield outcome
    finally:
        _write.reset(token)


def _current_write() -> tuple[WriteConditions, WriteOutcome]:
    return _write.get() or (WriteConditions(), WriteOutcome())


class RootCollection(BaseCollection):
    def __init__(self, path: str = "") -> None:
        self._path = path

    @property
    def path(self) -> str:
        return self._path

    def get_multi(self, hrefs: Iterable[str]) -> Iterable[tuple[str, radicale_item.Item | None]]:
        return ((href, None) for href in hrefs)

    def get_all(self) -> Iterable[radicale_item.Item]:
        return iter(())

    def has_uid(self, uid: str) -> bool:
        return False

    @overload
    def get_meta(self, key: None = None) -> Mapping[str, str]: ...

    @overload
    def get_meta(self, key: str) -> str | None: ...

    def get_meta(self, key: str | None = None) -> Mapping[str, str] | str | None:
        meta: dict[str, str] = {}
        if self._path:
            meta["D:displayname"] = self._path
        return meta if key is None else meta.get(key)

    def set_meta(self, props: Mapping[str, str]) -> None:
        raise ValueError("properties of this collection cannot be changed")

    def upload(self, href: str, item: radicale_item.Item) -> Any:
        raise ValueError("items can only be stored in a calendar or address book")

    def delete(self, href: str | None = None) -> None:
        raise ValueError("this collection cannot be deleted")

    @property
    def last_modified(self) -> str:
        return formatdate(0, usegmt=True)

    @property
    def etag(self) -> str:
        return '"root"'


def _limit_properties(kind: str) -> dict[str, str]:
    """What a client may write to a collection (RFC 4791 §5.2.5–5.2.9, RFC 6352 §6.2.3), from
    the `[limits]` and `[server]` settings the write path enforces."""
    settings = api.current().config()
    if kind == "addressbook":
        return {"CR:max-resource-size": str(settings.max_resource_size)}
    limits = settings.limits
    low, high = api.current().accepted_years()
    return {
        "C:min-date-time": f"{low:04d}0101T000000Z",
        "C:max-date-time": f"{high:04d}1231T235959Z",
        "C:max-instances": str(putcheck.MAX_RRULE_OCCURRENCES),
        "C:max-attendees-per-instance": str(limits.attendees_per_event),
    }


class MirrorCollection(BaseCollection):
    """A calendar (or address book) served from the mirror."""

    def __init__(self, username: str, record: Any) -> None:
        self._username = username
        self.record = record

    @property
    def path(self) -> str:
        return f"{self._username}/{self.record.name}"

    def item(self, rec: Any) -> radicale_item.Item:
        """Radicale's Item for a mirror record (no parsing: text, ETag, UID, time range)."""
        return radicale_item.Item(
            collection_path=self.path,
            collection=self,
            href=rec.href,
            text=rec.text,
            etag=rec.etag,
            uid=rec.uid,
            name="VCALENDAR" if rec.component != "VCARD" else "VCARD",
            component_name=rec.component,
            time_range=(rec.start, rec.end),
            last_modified=formatdate(time.time(), usegmt=True),
        )

    def get_multi(self, hrefs: Iterable[str]) -> Iterable[tuple[str, radicale_item.Item | None]]:
        wanted = list(hrefs)
        found = api.current().items_by_href(self.record, wanted)
        missing = [h for h in wanted if h not in found]
        if missing and _write.get() is None:
            found.update(api.current().items_answered_outside_window(self.record, missing))
        elif missing:  # a write to what a query beyond the window found: that provider item
            found.update(api.current().adopt_answered_outside_window(self.record, missing))
        for href in dict.fromkeys(wanted):
            rec = found.get(href)
            yield href, (self.item(rec) if rec else None)

    def get_all(self) -> Iterable[radicale_item.Item]:
        return (self.item(rec) for rec in api.current().item_records(self.record))

    def has_uid(self, uid: str) -> bool:
        return api.current().has_uid(self.record, uid)

    def get_filtered(
        self, filters: Iterable[ET.Element]
    ) -> Iterable[tuple[radicale_item.Item, bool]]:
        """The mirror's matches, plus what the provider has in the part of a bounded
        time-range query beyond the sync window (issue 11); those are always re-checked by
        Radicale's full filter (`False`)."""
        filters = list(filters)
        yield from super().get_filtered(filters)
        if not self.tag:
            return
        tag, start, end, _ = radicale_filter.simplify_prefilters(filters, self.tag)
        if tag not in (None, "VEVENT") or self.record.holds_tasks:
            return
        asked = queryrange.asked()
        if asked is not None and (start, end) == (
            radicale_filter.TIMESTAMP_MIN,
            radicale_filter.TIMESTAMP_MAX,
        ):
            start, end = asked  # an `expand`: Radicale took the range out of the filter
        for rec in api.current().items_outside_window(self.record, start, end):
            yield self.item(rec), False

    def sync(self, old_token: str = "") -> tuple[str, Iterable[str]]:
        """RFC 6578: tokens are the collection's change sequence; deletions included."""
        bridge = api.current()
        if not old_token:
            token = bridge.sync_token(self.record)

            def everything() -> Iterator[str]:
                yield from (href for href, _etag, _component in bridge.item_listing(self.record))

            return TOKEN_PREFIX + token, everything()
        if not old_token.startswith(TOKEN_PREFIX):
            raise ValueError(f"unknown sync token {old_token!r}")
        token, hrefs = bridge.sync(self.record, old_token[len(TOKEN_PREFIX) :])
        return TOKEN_PREFIX + token, hrefs

    @property
    def etag(self) -> str:
        token = api.current().sync_token(self.record)
        meta = f"{self.record.display_name}\0{self.record.color}\0{self.record.read_only}"
        return '"' + hashlib.sha256(f"{token}\0{meta}".encode()).hexdigest()[:32] + '"'

    @overload
    def get_meta(self, key: None = None) -> Mapping[str, str]: ...

    @overload
    def get_meta(self, key: str) -> str | None: ...

    def get_meta(self, key: str | None = None) -> Mapping[str, str] | str | None:
        rec = self.record
        meta = {
            "tag": "VCALENDAR",
            "D:displayname": rec.display_name,
            "C:supported-calendar-component-set": "VTODO" if rec.holds_tasks else "VEVENT",
        }
        if rec.kind.value == "addressbook":
            meta = {"tag": "VADDRESSBOOK", "D:displayname": rec.display_name}
        if rec.color:
            meta["ICAL:calendar-color"] = rec.color
        if rec.owner:
            meta["C:calendar-description"] = f"Shared by {rec.owner}"
        if key is None:
            return meta
        # The bounds, only when asked for by name: RFC 4791 §5.2.6–5.2.9 say they SHOULD NOT
        # be returned for DAV:allprop (C:max-resource-size is Radicale's own answer).
        return meta.get(key) or _limit_properties(rec.kind.value).get(key)

    def set_meta(self, props: Mapping[str, str]) -> None:
        # PROPPATCH is answered by radicale_plugins.collections (per-property statuses)
        raise ValueError("calendar properties are changed through PROPPATCH at the provider")

    def upload(self, href: str, item: radicale_item.Item) -> Any:
        bridge = api.current()
        conditions, outcome = _current_write()
        text = item.serialize()
        stored = bridge.put(
            self.record,
            href,
            text,
            conditional=conditions.conditional,
            if_match=conditions.if_match,
        )
        outcome.stored_differs = stored.text != text
        new_item = self.item(stored)
        return new_item, None

    def delete(self, href: str | None = None) -> None:
        if href is None:  # the collection itself: deleted at the provider (issue 11)
            api.current().delete_collection(self.record)
            return
        conditions, _ = _current_write()
        api.current().delete(
            self.record,
            href,
            conditional=conditions.conditional,
            if_match=conditions.if_match,
        )

    @property
    def last_modified(self) -> str:
        return formatdate(self.record.refreshed_at or time.time(), usegmt=True)


class Storage(BaseStorage):
    # hrefs are SQLite text: any UTF-8 name round-trips (Radicale then validates paths with
    # its "minimal" rules instead of refusing everything beyond Latin-1)
    _supports_unicode = True

    def discover(
        self,
        path: str,
        depth: str = "0",
        child_context_manager: Callable[[str, str | None], AbstractContextManager[None]]
        | None = None,
        user_groups: set[str] | None = None,
    ) -> Iterable[types.CollectionOrItem]:
        sane = pathutils.strip_path(path)
        parts = sane.split("/") if sane else []
        bridge = api.current()
        if not parts:
            yield RootCollection()
            return
        user = parts[0]
        if bridge.user_by_name(user) is None:
            return
        foreign = proxied.foreign(parts)  # a delegate in the owner's home: the grant only
        if len(parts) == 1:
            yield RootCollection(user)
            if depth != "0":
                listed = proxied.calendars(user) if foreign else bridge.collections_for(user)
                for rec in listed:
                    yield MirrorCollection(user, rec)
            return
        found_rec = (
            proxied.calendar(user, parts[1]) if foreign else bridge.collection(user, parts[1])
        )
        if found_rec is None or len(parts) > 3:
            return
        rec = found_rec
        if len(parts) == 2 or depth != "0":
            rec = bridge.fresh(rec)
        else:
            bridge.item_read(rec)
        coll = MirrorCollection(user, rec)
        if len(parts) == 3:
            found = dict(coll.get_multi([parts[2]]))
            item = found.get(parts[2])
            if item is not None:
                yield item
            return
        yield coll
        if depth != "0":
            yield from coll.get_all()

    def move(self, item: radicale_item.Item, to_collection: BaseCollection, to_href: str) -> None:
        raise ValueError("moving events between calendars is not supported")

    def create_collection(
        self,
        href: str,
        items: Iterable[radicale_item.Item] | None = None,
        props: Mapping[str, str] | None = None,
    ) -> Any:
        sane = pathutils.strip_path(href)
        if "/" not in sane and not props and not items:  # the principal always exists
            return RootCollection(sane), {}, []
        parts = sane.split("/")
        if len(parts) == 2 and props and not items:  # MKCALENDAR / extended MKCOL
            record = collections.create(parts[0], parts[1], props)
            return MirrorCollection(parts[0], record)
        raise ValueError("only calendars and address books can be created here")

    @types.contextmanager
    def acquire_lock(self, mode: str, user: str = "", *args: Any, **kwargs: Any) -> Iterator[None]:
        # The store does its own locking (transactions, one puller per collection).
        with contextlib.nullcontext():
            yield

    def verify(self) -> bool:
        return True
