"""The facade the adapters (Radicale plugins, portal, CLI) call: one `Bridge` per process.

It wires the store, secrets, connections and the sync engine together and answers in terms
of model records. Adapters must go through it, never around it. It must not import radicale.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bridge.administration import Administration, GroupRecord, SessionRecord, UserRecord
from bridge.connections import Connections, PendingConsent, Revocation
from bridge.contacts.directory import DirectoryCard, directory_card
from bridge.contacts.phones import e164_of, phone_entries
from bridge.contacts.vcard4 import to_vcard4
from bridge.dav_logins import DavLogins, LoginOutcome
from bridge.errors import (
    AuthExpired,
    AuthFailed,
    BadInput,
    BridgeError,
    Busy,
    ConfigError,
    Forbidden,
    LimitExceeded,
    NotFound,
    PolicyRefused,
    PreconditionFailed,
    ProviderBusy,
    ProviderError,
    TooManyAttempts,
)
from bridge.files import private_dir
from bridge.model import (
    CollectionChange,
    CollectionKind,
    CollectionRecord,
    ItemRecord,
    PhoneMatch,
)
from bridge.onboarding import ConnectionStatus, Onboarding
from bridge.policy import INHERIT, POLICY_FIELDS, SERVICES, Policy, parse_policy_form
from bridge.secrets import (
    SecretBox,
    generate_key,
    hash_password,
    new_app_password,
    read_key_file,
    verify_password,
    write_key_file,
)
from bridge.settings import Settings
from bridge.signin import Identity, SignIn
from bridge.store import Store
from bridge.store.sqlite import ConnectionRow, UserRow
from bridge.sync.collections import ChangeOutcome, CollectionAdmin
from bridge.sync.engine import SyncEngine
from bridge.sync.outside import OutsideWindow
from bridge.sync.rerender import rerender_user
from bridge.sync.scheduler import Refresher
from bridge.sync.writes import WriteThrough

log = logging.getLogger("davbridge")

__all__ = [
    "INHERIT",
    "POLICY_FIELDS",
    "SERVICES",
    "AuthExpired",
    "AuthFailed",
    "BadInput",
    "Bridge",
    "BridgeError",
    "ChangeOutcome",
    "CollectionChange",
    "CollectionKind",
    "CollectionRecord",
    "ConnectionStatus",
    "LoginOutcome",
    "Forbidden",
    "GroupRecord",
    "Identity",
    "NotFound",
    "PendingConsent",
    "Policy",
    "PolicyRefused",
    "ProviderError",
    "Revocation",
    "SessionRecord",
    "TooManyAttempts",
    "UserRecord",
    "parse_policy_form",
    "DirectoryCard",
    "Busy",
    "LimitExceeded",
    "ProviderBusy",
    "current",
    "directory_card",
    "e164_of",
    "install",
    "phone_entries",
    "to_vcard4",
]


@dataclass(frozen=True)
class SyncProgress:
    """How far a connection's first sync got: `current` is the collection being pulled
    (empty when finished), `items` the events and contacts mirrored so far."""

    current: str
    done: int
    total: int
    items: int


class Bridge:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        private_dir(settings.data_dir)  # 0700: the mirror and everything beside it
        self.store = Store(settings.database_path)
        self.store.lock_timeout_s = settings.server.lock_timeout_seconds
        key_file = settings.secrets.key_file or str(settings.data_dir / "secret.key")
        self.key_file = Path(key_file)
        self.box = SecretBox.load(self.key_file)
        self.connections = Connections(self.store, self.box, settings)
        self.engine = SyncEngine(
            self.store,
            self.connections.provider,
            settings.sync,
            contacts=self.connections.contacts_provider,
            region_for=self._region_of_user,
            limits=settings.limits,
            lock_timeout_s=settings.server.lock_timeout_seconds,
        )
        self.refresher = Refresher(self.engine)
        self.writes = WriteThrough(self.engine, settings.server.write_budget_seconds)
        self.collection_admin = CollectionAdmin(self.engine)
        self.outside_window = OutsideWindow(self.engine)
        self.admin = Administration(self.store, settings)
        self.engine.policy_for = self.admin.policy_for  # P1/P5 clamp every connection
        self.signin = SignIn(settings)
        self.onboarding = Onboarding(
            self.store, self.connections, self.engine, settings, self.admin.policy_for
        )
        self.dav_logins = DavLogins(self._app_password_matches)

    # -- users ----------------------------------------------------------------------------
    def ensure_user(self, name: str, email: str | None = None) -> UserRow:
        return self.store.user_by_name(name) or self.store.create_user(name, email)

    def new_app_password(self, user: UserRow, label: str) -> str:
        """Create an app password; the plaintext is returned once and stored only hashed."""
        password = new_app_password()
        self.store.add_app_password(user.id, label, hash_password(password))
        return password

    def list_app_passwords(self, username: str) -> list[tuple[int, str, float, float | None]]:
        """(id, label, created, last used) of each of the user's app passwords (A6)."""
        user = self._user(username)
        return [(p.id, p.label, p.created, p.last_used) for p in self.store.app_passwords(user.id)]

    def revoke_app_password(self, username: str, password_id: int) -> None:
        """Delete an app password; it stops working at once (the login cache is emptied)."""
        user = self._user(username)
        if not self.store.delete_app_password(user.id, password_id):
            raise NotFound(f"user {username!r} has no app password {password_id}")
        self.dav_logins.forget_successes()

    def _user(self, username: str) -> UserRow:
        user = self.store.user_by_name(username)
        if user is None:
            raise NotFound(f"no user {username!r}")
        return user

    def accepted_years(self) -> tuple[int, int]:
        """The years a client may write or query ([limits] min_year, max_year)."""
        limits = self.settings.limits
        return limits.min_year, limits.max_year

    def check_login(self, username: str, password: str, client: str = "") -> LoginOutcome:
        """Check DAV/lookup/phonebook credentials (user name + app password) from the client
        address `client`: the user, or why not (wrong: 401; too many failures: 429 with
        `retry_after`). See bridge.dav_logins for how failures are counted and paced; a
        correct credential is never refused because of other clients' failures."""
        return self.dav_logins.check(username, password, client)

    def login(self, username: str, password: str, client: str = "") -> bool:
        return self.check_login(username, password, client).ok

    def lookup_token_failed(self, client: str, token: str) -> None:
        """A wrong `[contacts] lookup_token` counts against the client address."""
        self.dav_logins.secret_failed(client, token)

    def _app_password_matches(self, username: str, password: str) -> bool:
        """The slow check (scrypt) of an app password; touches its last-use time."""
        user = self.store.user_by_name(username)
        if user is not None:
            for pw_id, stored in self.store.app_password_hashes(user.id):
                if verify_password(password, stored):
                    self.store.touch_app_password(pw_id)
                    return True
        else:
            verify_password(password, hash_password("timing-equaliser"))
        return False

    # -- DAV reads (mirror only; stale collections get a background refresh) ---------------
    def collections_for(self, username: str) -> list[CollectionRecord]:
        """The user's collections clients see: those of connections switched off or not
        permitted for the kind are left out (A1, A4)."""
        user = self.store.user_by_name(username)
        if user is None:
            return []
        policies = {c.id: self.engine.effective_policy(c) for c in self.store.connections(user.id)}
        return [
            coll
            for coll in self.store.collections(user_id=user.id)
            if coll.connection_id in policies and policies[coll.connection_id].shows(coll.kind)
        ]

    def collection(self, username: str, name: str) -> CollectionRecord | None:
        user = self.store.user_by_name(username)
        coll = self.store.collection_by_name(user.id, name) if user else None
        return coll if coll is not None and self.engine.wanted(coll) else None

    def fresh(self, coll: CollectionRecord) -> CollectionRecord:
        """The collection as the mirror has it; a stale one has its refresh scheduled (not
        waited for, except the bounded first fill of a never-synced one)."""
        if self.engine.is_stale(coll):
            self.refresher.ensure_fresh(coll)
            return self.store.collection(coll.id)
        return coll

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

    def sync_token(self, coll: CollectionRecord) -> str:
        return self.store.sync_token(coll.id)

    def items_by_href(self, coll: CollectionRecord, hrefs: Sequence[str]) -> dict[str, ItemRecord]:
        return self.store.items_by_href(coll.id, hrefs)

    def has_uid(self, coll: CollectionRecord, uid: str) -> bool:
        return self.store.item_by_uid(coll.id, uid) is not None

    def items_outside_window(
        self, coll: CollectionRecord, start: int, end: int
    ) -> list[ItemRecord]:
        """Provider items in [start, end) beyond the sync window (bounded wait, cached)."""
        return self.outside_window.items(coll, start, end)

    def href_of_uid(self, coll: CollectionRecord, uid: str) -> str | None:
        item = self.store.item_by_uid(coll.id, uid)
        return item.href if item is not None else None

    def sync(self, coll: CollectionRecord, token: str) -> tuple[str, list[str]]:
        return self.store.changes_since(coll.id, token)

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
        found = self.store.phone_matches(
            user.id,
            exact=query.exact,
            prefix=query.prefix,
            contains=query.contains,
            collection_id=collection.id if collection else None,
            limit=limit,
        )
        visible = {c.id for c in self.collections_for(username)}
        return [m for m in found if m.collection_id in visible]

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
        # checked again under the collection's lock: a pull may refresh the item meanwhile
        return self.writes.put(coll, href, text, existing, conditional, if_match or "")

    def delete(
        self, coll: CollectionRecord, href: str, conditional: bool, if_match: str | None = None
    ) -> None:
        existing = self.store.item(coll.id, href)
        if existing is None:
            raise BridgeError(f"no item {href}")
        check_if_match(existing, if_match)
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

    # -- connections (A2, A4, A5) ------------------------------------------------------------
    def _connection_of(self, username: str, connection_id: int) -> ConnectionRow:
        return self.onboarding.own(username, connection_id)[1]

    def connection_statuses(self, username: str) -> list[ConnectionStatus]:
        """What a status page shows for each of the user's connections (A2)."""
        return self.onboarding.statuses(username)

    def set_toggle(self, username: str, connection_id: int, kind: str, on: bool) -> ConnectionRow:
        """Switch a connection's calendars or contacts on or off (A4). Off hides its
        collections from clients and stops pulling them; the mirror and the consent stay, so
        switching on again needs no new consent."""
        conn = self._connection_of(username, connection_id)
        if kind not in ("calendars", "contacts"):
            raise BadInput(f"toggle {kind!r}: expected 'calendars' or 'contacts'")
        policy = replace(conn.policy, **{f"{kind}_enabled": on})
        updated = self.connections.set_policy(conn.id, policy)
        if on:
            self._sync_quietly(conn.id)
        return updated

    def not_zoom_line(self, username: str) -> bool:
        return self.store.not_zoom_line(self._user(username).id)

    def set_not_zoom_line(self, username: str, on: bool) -> int:
        """The user's "Not a Zoom meeting · Host" line on or off (SPEC C3); their events are
        rendered again at once (new ETags). Returns how many events changed."""
        user = self._user(username)
        self.store.set_not_zoom_line(user.id, on)
        return rerender_user(self.engine, user.id)

    def _sync_quietly(self, connection_id: int) -> None:
        try:
            self.sync_connection(connection_id)
        except BridgeError as exc:  # recorded on the connection; the toggle itself holds
            log.warning("sync of connection %d after a change failed: %s", connection_id, exc)

    def delete_connection(self, username: str, connection_id: int) -> Revocation:
        """Delete a connection (A5): revoke the grant where the provider allows, erase its
        secret and everything mirrored from it; its collections disappear from clients."""
        conn = self._connection_of(username, connection_id)
        self.onboarding.check_deletable(username, conn.id)
        revocation = self.connections.revoke(conn.id)
        colls = self.store.collections(connection_id=conn.id)
        with contextlib.ExitStack() as held:  # wait (bounded) for pulls and writes in flight
            for coll in colls:
                held.enter_context(self.engine.locked(coll.id))
            self.store.delete_connection(conn.id)
        self.connections.forget(conn.id)
        log.info("deleted connection %d (%s): %s", conn.id, conn.provider, revocation.note)
        return revocation

    # -- key rotation ---------------------------------------------------------------------
    def _secret_files(self) -> list[Path]:
        """Secrets kept beside the database: the demo's app password (in the demo's data
        directory, the parent of the bridge's)."""
        data = self.settings.data_dir
        return [
            p
            for p in (data / "demo-password.enc", data.parent / "demo-password.enc")
            if p.is_file()
        ]

    def reencrypt_secrets(self, box: SecretBox) -> int:
        """Re-encrypt every stored secret under `box`'s newest key (which must be able to
        read them through one of its keys); returns how many were re-encrypted."""
        rotated = {
            c.id: box.rotate(c.secret) for c in self.store.connections() if c.secret is not None
        }
        for path in self._secret_files():
            tmp = path.with_name(path.name + ".new")
            tmp.write_bytes(box.rotate(path.read_bytes()))
            tmp.chmod(0o600)
            os.replace(tmp, path)
        self.store.replace_secrets(rotated)
        self.box = self.connections.box = box
        return len(rotated) + len(self._secret_files())

    def rotate_key(self, drop_old: bool = False) -> int:
        """Put a new key in front of the key file, then re-encrypt every secret under it.
        The key file is written first (new key, then the old ones), so a crash at any point
        leaves every secret readable. `drop_old` removes the old keys afterwards (only when no
        other process still writes secrets with them)."""
        if os.environ.get("DAVBRIDGE_SECRET_KEY"):
            raise ConfigError(
                "DAVBRIDGE_SECRET_KEY", "the key comes from the environment; rotate it there"
            )
        old = read_key_file(self.key_file)
        keys = [generate_key(), *old]
        write_key_file(self.key_file, keys)
        count = self.reencrypt_secrets(SecretBox(keys))
        if drop_old:
            write_key_file(self.key_file, keys[:1])
            self.box = self.connections.box = SecretBox(keys[:1])
        return count

    # -- lifecycle ------------------------------------------------------------------------
    def _region_of_user(self, user_id: int) -> str:
        return self.store.user_region(user_id) or self.settings.contacts.default_region

    def sync_connection(
        self, connection_id: int, progress: Callable[[SyncProgress], None] | None = None
    ) -> None:
        """Discover the connection's calendars and address books and pull each now (waits).
        `progress` hears after discovery and after each collection how far the sync got."""
        colls = self.engine.discover_calendars(connection_id)
        colls += self.engine.discover_address_books(connection_id)
        done: list[CollectionRecord] = []
        items = 0
        for coll in colls:
            if progress is not None:
                progress(SyncProgress(coll.display_name, len(done), len(colls), items))
            outcome = self.engine.refresh(coll.id)
            items += outcome.changed if outcome is not None else 0
            done.append(coll)
        if progress is not None:
            progress(SyncProgress("", len(done), len(colls), items))

    def start_background(self) -> None:
        if self.settings.sync.background:
            self.refresher.start_loop()

    def close(self) -> None:
        self.refresher.stop()
        self.writes.close()
        self.store.close()


_current: Bridge | None = None


def install(bridge: Bridge | None) -> None:
    """Make `bridge` the process-wide instance the Radicale plugins use."""
    global _current
    _current = bridge


def current() -> Bridge:
    if _current is None:
        raise RuntimeError("davbridge is not initialised (bridge.api.install was not called)")
    return _current


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
