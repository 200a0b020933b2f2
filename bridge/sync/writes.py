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
from collections.abc import Iterator
from contextlib import contextmanager

import icalendar

from bridge import joinlinks
from bridge.errors import AuthExpired, BadInput, ReadOnly, RemoteNotFound
from bridge.model import CollectionRecord, ItemRecord
from bridge.sync.engine import SyncEngine
from bridge.sync.items import draft_from_remote

log = logging.getLogger("davbridge.sync")


def check_calendar_text(text: str) -> str:
    """Validate a client's calendar object resource (RFC 4791 §4.1); returns its UID."""
    try:
        cal = icalendar.Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError) as exc:
        raise BadInput(f"malformed iCalendar: {exc}") from exc
    if cal.name != "VCALENDAR":
        raise BadInput(f"expected a VCALENDAR object, got {cal.name}")
    kinds = {str(c.name) for c in cal.subcomponents if c.name not in ("VTIMEZONE",)}
    if not kinds:
        raise BadInput("the calendar object contains no event (VEVENT)")
    if kinds != {"VEVENT"}:
        other = ", ".join(sorted(kinds - {"VEVENT"}))
        raise BadInput(f"this calendar holds events only (VEVENT); got {other}")
    uids = {str(c.get("UID", "")) for c in cal.walk("VEVENT")}
    if "" in uids:
        raise BadInput("every VEVENT needs a UID")
    if len(uids) != 1:
        raise BadInput(
            f"a calendar object resource holds exactly one UID (RFC 4791 §4.1); got {len(uids)}"
        )
    return uids.pop()


class WriteThrough:
    def __init__(self, engine: SyncEngine) -> None:
        self.engine = engine

    def _provider_name(self, coll: CollectionRecord) -> str:
        return self.engine.store.connection(coll.connection_id).provider

    @contextmanager
    def _reauth_guard(self, coll: CollectionRecord) -> Iterator[None]:
        """A revoked or expired grant: mark the connection and refuse with a clear reason."""
        try:
            yield
        except AuthExpired as exc:
            self.engine.store.set_connection_status(coll.connection_id, "reauth", exc.message)
            raise AuthExpired(
                exc.provider,
                "the connection to the provider needs re-authorization; changes cannot be "
                f"saved until its owner signs in again ({exc.message})",
                exc.code,
                exc.status,
            ) from exc

    def put(
        self,
        coll: CollectionRecord,
        href: str,
        text: str,
        existing: ItemRecord | None,
        conditional: bool,
    ) -> ItemRecord:
        """Create or update at the provider, then mirror its canonical copy."""
        if coll.read_only:
            raise ReadOnly(
                self._provider_name(coll),
                f"the calendar {coll.display_name!r} is "
                "read-only at the provider; changes cannot be saved",
            )
        uid = check_calendar_text(text)
        upstream = joinlinks.strip(text)
        store, provider = self.engine.store, self.engine.providers(coll.connection_id)
        window = self.engine.window()
        with self.engine.lock(coll.id), self._reauth_guard(coll):
            if existing is not None:
                item = provider.update(
                    coll.remote_id,
                    existing.remote_id,
                    existing.version if conditional else None,
                    upstream,
                    window,
                )
            else:
                key = hashlib.sha256(f"{coll.id}:{coll.remote_id}:{uid}".encode()).hexdigest()
                item = provider.create(coll.remote_id, upstream, key, window)
            if item.uid != uid:
                store.set_uid_alias(coll.id, item.remote_id, uid)
            draft = draft_from_remote(item, [provider.account_email], {item.remote_id: uid})
            stored = store.put_item(coll.id, href, draft)
        log.info("wrote %s/%s through to the provider", coll.name, href)
        return stored

    def delete(self, coll: CollectionRecord, existing: ItemRecord, conditional: bool) -> None:
        if coll.read_only:
            raise ReadOnly(
                self._provider_name(coll),
                f"the calendar {coll.display_name!r} is "
                "read-only at the provider; events cannot be deleted",
            )
        provider = self.engine.providers(coll.connection_id)
        with self.engine.lock(coll.id), self._reauth_guard(coll):
            try:
                provider.delete(
                    coll.remote_id, existing.remote_id, existing.version if conditional else None
                )
            except RemoteNotFound:
                log.info("%s/%s was already gone at the provider", coll.name, existing.href)
            self.engine.store.delete_item(coll.id, existing.href)
