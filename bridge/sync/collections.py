"""Calendars and address books managed from DAV clients, at the provider (issue 11; RFC 4791
§5.3.1 MKCALENDAR, RFC 5689 extended MKCOL, RFC 4918 §9.2 PROPPATCH, §9.6 DELETE).

- Create: the collection is made at the provider of one of the user's connections, then
  mirrored at once under the path segment the client chose (so the client finds it where it
  asked). Which connection: a segment starting with `<service>-` (`m365-`, `microsoft365-`,
  `google-`, `exchange-`) names the service; otherwise the organisation's default service if
  the user has connected it, otherwise the user's first connection. The connection must allow
  writing (A1) and the organisation too (P5).
- Change: display name, colour, description go to the provider as far as it has them
  (`CalendarCollections.calendar_fields`); the rest is refused property by property.
- Delete: only collections the user owns and may write; the default calendar and the primary
  contacts are refused with a reason. The mirror forgets the collection after the provider did.
Must not import radicale or any concrete provider.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bridge.accounts.registry import kind_of_name, kind_of_service, label_of
from bridge.errors import BadInput, Forbidden
from bridge.model import TASKS_PREFIX, CollectionChange, CollectionKind, CollectionRecord
from bridge.providers.base import AddressBookCollections, CalendarCollections
from bridge.store.rows import ConnectionRow
from bridge.sync.discovery import strip_label
from bridge.sync.enforcement import check_write
from bridge.sync.engine import SyncEngine
from bridge.sync.tasks import list_id, tasks_of

log = logging.getLogger("davbridge.sync")


@dataclass(frozen=True)
class ChangeOutcome:
    """Per requested property ("name", "color", "description", or a DAV property name the
    bridge has no field for): None when applied, else the reason it was refused."""

    results: dict[str, str | None]


class CollectionAdmin:
    def __init__(self, engine: SyncEngine) -> None:
        self.engine = engine

    # -- which connection ------------------------------------------------------------------
    def target(self, user_id: int, name: str, kind: CollectionKind) -> ConnectionRow:
        conns = [
            c
            for c in self.engine.store.connections(user_id)
            if self.engine.effective_policy(c).shows(kind)
        ]
        if not conns:
            raise Forbidden(
                "No connected service takes new "
                f"{'calendars' if kind is CollectionKind.CALENDAR else 'address books'}: "
                "connect one in the portal first."
            )
        provider = kind_of_name(name.lower())  # a path-segment prefix names the service
        if provider is not None:
            named = [c for c in conns if c.provider == provider]
            if not named:
                label = label_of(provider)
                raise Forbidden(f"The path names {label}, which you have not connected.")
            return named[0]
        limits = self.engine.limits_for(user_id)
        default = kind_of_service(str(getattr(limits, "default_service", "") or ""))
        preferred = [c for c in conns if c.provider == default]
        return (preferred or conns)[0]

    def _check_writable(self, conn: ConnectionRow, kind: CollectionKind) -> None:
        check_write(self.engine.limits_for(conn.user_id), kind)
        if kind is CollectionKind.CALENDAR and not conn.policy.write_calendars:
            label = label_of(conn.provider)
            raise Forbidden(
                f"Writing calendars is not permitted for this {label} connection; "
                "change its permissions in the portal."
            )

    def _calendars(self, conn: ConnectionRow) -> CalendarCollections:
        provider = self.engine.providers(conn.id)
        if not isinstance(provider, CalendarCollections):
            raise Forbidden(f"{conn.provider} calendars cannot be managed from DAV clients")
        return provider

    def _books(self, conn: ConnectionRow) -> AddressBookCollections:
        provider = self.engine.contacts(conn.id) if self.engine.contacts else None
        if not isinstance(provider, AddressBookCollections):
            raise Forbidden(f"{conn.provider} contact folders cannot be managed from DAV clients")
        return provider

    # -- create ----------------------------------------------------------------------------
    def create(
        self, user_id: int, name: str, kind: CollectionKind, change: CollectionChange
    ) -> CollectionRecord:
        if not name or "/" in name:
            raise BadInput(f"not a collection name: {name!r}")
        conn = self.target(user_id, name, kind)
        self._check_writable(conn, kind)
        with self.engine.listing_lock(conn.id, kind):  # no listing from before it applies
            coll = self._create(conn, user_id, name, kind, change)
        self.engine.refresh(coll.id)
        return self.engine.store.collection(coll.id)

    def _create(
        self,
        conn: ConnectionRow,
        user_id: int,
        name: str,
        kind: CollectionKind,
        change: CollectionChange,
    ) -> CollectionRecord:
        store = self.engine.store
        wanted = CollectionChange(
            display_name=strip_label(change.display_name or "", conn.provider) or name,
            color=change.color or None,
            description=change.description,
        )
        if kind is CollectionKind.CALENDAR and change.tasks:  # a VTODO-only MKCALENDAR
            made = tasks_of(self.engine.providers(conn.id)).create_task_list(
                wanted.display_name or name
            )
            remote_id, color = TASKS_PREFIX + made.remote_id, change.color or None
        elif kind is CollectionKind.CALENDAR:
            cal = self._calendars(conn).create_calendar(wanted)
            remote_id, color = cal.remote_id, cal.color or change.color or None
        else:
            book = self._books(conn).create_address_book(wanted.display_name or name)
            remote_id, color = book.remote_id, None
        label = f"{wanted.display_name} — {label_of(conn.provider)}"
        coll = store.upsert_collection(
            user_id, conn.id, kind, remote_id, label, color, False, None, name=name
        )
        if change.display_name:
            store.set_client_name(coll.id, change.display_name)
        if kind is CollectionKind.CALENDAR and change.color:
            store.set_client_color(coll.id, change.color)
        log.info("created %s %r at %s for user %d", kind.value, name, conn.provider, user_id)
        self._rediscover(conn.id, kind)
        return coll

    def _rediscover(self, connection_id: int, kind: CollectionKind) -> None:
        if kind is CollectionKind.CALENDAR:
            self.engine.discover_calendars(connection_id)
        else:
            self.engine.discover_address_books(connection_id)

    # -- change ----------------------------------------------------------------------------
    def change(
        self, coll: CollectionRecord, change: CollectionChange, unknown: list[str]
    ) -> ChangeOutcome:
        """Apply what the provider can change; the rest is refused per property."""
        conn = self.engine.store.connection(coll.connection_id)
        results: dict[str, str | None] = {
            p: "the provider has no such calendar property" for p in unknown
        }
        asked = {
            "name": change.display_name,
            "color": change.color,
            "description": change.description,
        }
        asked = {k: v for k, v in asked.items() if v is not None}
        if not asked:
            return ChangeOutcome(results)
        refusal = self._change_refusal(coll, conn)
        if coll.holds_tasks:  # the name at the provider; the colour kept by the bridge
            fields = frozenset({"name", "color"})
        elif coll.kind is CollectionKind.CALENDAR and refusal is None:
            fields = self._calendars(conn).calendar_fields
        else:
            fields = frozenset({"name"})
        for key in asked:
            if refusal is not None:
                results[key] = refusal
            elif key not in fields and asked[key] != "":  # removing what it lacks is no error
                label = label_of(conn.provider)
                results[key] = f"{label} has no {key} for this collection"
        apply = {k: v for k, v in asked.items() if k not in results}
        if not apply:
            return ChangeOutcome(results)
        name = apply.get("name")
        if name is not None:
            name = strip_label(name, conn.provider)
            if not name:
                return ChangeOutcome({**results, "name": "the name must not be empty"})
        # as create: a listing taken before the change must not be applied after it (it would
        # serve the provider's old name, the client's new one no longer matching it)
        with self.engine.listing_lock(conn.id, coll.kind):
            with self.engine.lock(coll.id):
                if apply.get("name") is not None:
                    self.engine.store.set_client_name(coll.id, apply["name"])
                color = apply.get("color")
                if color is not None:  # "": the client removed it; the provider keeps one
                    self.engine.store.set_client_color(coll.id, color)
                if coll.holds_tasks:
                    if name is not None:
                        tasks = tasks_of(self.engine.providers(conn.id))
                        tasks.rename_task_list(list_id(coll.remote_id), name)
                elif coll.kind is CollectionKind.CALENDAR:
                    self._calendars(conn).change_calendar(
                        coll.remote_id,
                        CollectionChange(name, color or None, apply.get("description")),
                    )
                elif name is not None:
                    self._books(conn).rename_address_book(coll.remote_id, name)
            self._rediscover(conn.id, coll.kind)
        return ChangeOutcome({**results, **dict.fromkeys(apply)})

    def _change_refusal(self, coll: CollectionRecord, conn: ConnectionRow) -> str | None:
        if coll.provider_id != coll.remote_id:  # a bridge-level grant's copy (issue 15)
            return f"this calendar is {coll.owner}'s, shared with you in davbridge; only its owner can change it"
        if coll.owner and coll.owner.lower() != conn.account.lower():
            return f"this calendar is shared with you by {coll.owner}; only its owner can change it"
        if coll.read_only:
            return "this collection is read-only at the provider"
        try:
            self._check_writable(conn, coll.kind)
        except Forbidden as exc:
            return exc.message
        return None

    # -- delete ----------------------------------------------------------------------------
    def delete(self, coll: CollectionRecord) -> None:
        conn = self.engine.store.connection(coll.connection_id)
        refusal = self._change_refusal(coll, conn)
        if refusal is not None:
            raise Forbidden(f"{coll.display_name!r} cannot be deleted: {refusal}.")
        with self.engine.listing_lock(conn.id, coll.kind):  # as create
            if coll.holds_tasks:
                self._delete_task_list(coll, conn)
            elif coll.kind is CollectionKind.CALENDAR:
                calendars = self.engine.providers(conn.id).list_calendars()
                if any(c.remote_id == coll.remote_id and c.is_default for c in calendars):
                    raise Forbidden(
                        f"{coll.display_name!r} is the account's default calendar; the provider "
                        "does not let it be deleted."
                    )
                with self.engine.lock(coll.id):
                    self._calendars(conn).delete_calendar(coll.remote_id)
            else:
                books = (
                    self.engine.contacts(conn.id).list_address_books()
                    if self.engine.contacts
                    else []
                )
                if any(b.remote_id == coll.remote_id and b.is_default for b in books):
                    raise Forbidden(
                        f"{coll.display_name!r} holds the account's main contacts; it cannot be "
                        "deleted."
                    )
                with self.engine.lock(coll.id):
                    self._books(conn).delete_address_book(coll.remote_id)
            self.engine.store.delete_collection(coll.id)
        log.info("deleted %s %r at %s", coll.kind.value, coll.name, conn.provider)

    def _delete_task_list(self, coll: CollectionRecord, conn: ConnectionRow) -> None:
        """A task list the account owns; its default list ("Tasks") is refused (issue 11)."""
        tasks = tasks_of(self.engine.providers(conn.id))
        remote = list_id(coll.remote_id)
        if any(t.remote_id == remote and t.is_default for t in tasks.list_task_lists()):
            raise Forbidden(
                f"{coll.display_name!r} is the account's default task list; the provider "
                "does not let it be deleted."
            )
        with self.engine.lock(coll.id):
            tasks.delete_task_list(remote)
