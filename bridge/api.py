"""The facade the adapters (Radicale plugins, portal, CLI) call: one `Bridge` per process.

It wires the store, secrets, connections and the sync engine together and answers in terms
of model records. Adapters must go through it, never around it. It must not import radicale.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence

from cachetools import TTLCache

from bridge.connections import Connections
from bridge.contacts.directory import DirectoryCard, directory_card
from bridge.contacts.phones import e164_of, phone_entries
from bridge.contacts.vcard4 import to_vcard4
from bridge.errors import BridgeError, ProviderBusy
from bridge.model import CollectionRecord, ItemRecord, PhoneMatch
from bridge.secrets import SecretBox, hash_password, new_app_password, verify_password
from bridge.settings import Settings
from bridge.store import Store
from bridge.store.sqlite import UserRow
from bridge.sync.engine import SyncEngine
from bridge.sync.scheduler import Refresher
from bridge.sync.writes import WriteThrough

log = logging.getLogger("davbridge")

__all__ = [
    "Bridge",
    "BridgeError",
    "DirectoryCard",
    "ProviderBusy",
    "current",
    "directory_card",
    "e164_of",
    "install",
    "phone_entries",
    "to_vcard4",
]


class Bridge:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(settings.database_path)
        key_file = settings.secrets.key_file or str(settings.data_dir / "secret.key")
        from pathlib import Path

        self.box = SecretBox.load(Path(key_file))
        self.connections = Connections(self.store, self.box, settings)
        self.engine = SyncEngine(
            self.store,
            self.connections.provider,
            settings.sync,
            contacts=self.connections.contacts_provider,
            region_for=self._region_of_user,
        )
        self.refresher = Refresher(self.engine)
        self.writes = WriteThrough(self.engine)
        self._logins: TTLCache[str, int] = TTLCache(maxsize=4096, ttl=120)
        self._login_guard = threading.Lock()

    # -- users ----------------------------------------------------------------------------
    def ensure_user(self, name: str, email: str | None = None) -> UserRow:
        return self.store.user_by_name(name) or self.store.create_user(name, email)

    def new_app_password(self, user: UserRow, label: str) -> str:
        """Create an app password; the plaintext is returned once and stored only hashed."""
        password = new_app_password()
        self.store.add_app_password(user.id, label, hash_password(password))
        return password

    def login(self, username: str, password: str) -> bool:
        """Check DAV credentials (user name + app password). Successful logins are cached
        briefly by a digest so that every request does not pay for the slow hash."""
        if not username or not password:
            return False
        digest = hashlib.sha256(f"{username}\0{password}".encode()).hexdigest()
        with self._login_guard:
            if digest in self._logins:
                return True
        user = self.store.user_by_name(username)
        if user is None:
            verify_password(password, hash_password("timing-equaliser"))
            return False
        for pw_id, stored in self.store.app_password_hashes(user.id):
            if verify_password(password, stored):
                self.store.touch_app_password(pw_id)
                with self._login_guard:
                    self._logins[digest] = user.id
                return True
        return False

    # -- DAV reads (mirror only, plus a bounded refresh of stale collections) -------------
    def collections_for(self, username: str) -> list[CollectionRecord]:
        user = self.store.user_by_name(username)
        return self.store.collections(user_id=user.id) if user else []

    def collection(self, username: str, name: str) -> CollectionRecord | None:
        user = self.store.user_by_name(username)
        return self.store.collection_by_name(user.id, name) if user else None

    def fresh(self, coll: CollectionRecord) -> CollectionRecord:
        """The collection after a refresh if it was stale (bounded wait)."""
        if self.engine.is_stale(coll):
            self.refresher.ensure_fresh(coll)
            return self.store.collection(coll.id)
        return coll

    def items(self, coll: CollectionRecord) -> list[ItemRecord]:
        return self.store.items(coll.id)

    def item_texts(self, coll: CollectionRecord) -> list[tuple[str, str, str, str]]:
        """(href, etag, component, text) of every item, for bulk answers."""
        return self.store.item_texts(coll.id)

    def item_blobs(self, coll: CollectionRecord) -> list[tuple[str, str, bytes]]:
        """(href, etag, UTF-8 text) of every item, for bulk answers."""
        return self.store.item_blobs(coll.id)

    def items_by_href(self, coll: CollectionRecord, hrefs: Sequence[str]) -> dict[str, ItemRecord]:
        return self.store.items_by_href(coll.id, hrefs)

    def has_uid(self, coll: CollectionRecord, uid: str) -> bool:
        return self.store.item_by_uid(coll.id, uid) is not None

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
        return self.store.phone_matches(
            user.id,
            exact=query.exact,
            prefix=query.prefix,
            contains=query.contains,
            collection_id=collection.id if collection else None,
            limit=limit,
        )

    # -- DAV writes (write-through) -------------------------------------------------------
    def put(self, coll: CollectionRecord, href: str, text: str, conditional: bool) -> ItemRecord:
        existing = self.store.item(coll.id, href)
        return self.writes.put(coll, href, text, existing, conditional)

    def delete(self, coll: CollectionRecord, href: str, conditional: bool) -> None:
        existing = self.store.item(coll.id, href)
        if existing is None:
            raise BridgeError(f"no item {href}")
        self.writes.delete(coll, existing, conditional)

    # -- lifecycle ------------------------------------------------------------------------
    def _region_of_user(self, user_id: int) -> str:
        return self.store.user_region(user_id) or self.settings.contacts.default_region

    def sync_connection(self, connection_id: int) -> None:
        """Discover the connection's calendars and address books and pull each now (waits)."""
        colls = self.engine.discover_calendars(connection_id)
        colls += self.engine.discover_address_books(connection_id)
        for coll in colls:
            self.engine.refresh(coll.id)

    def start_background(self) -> None:
        if self.settings.sync.background:
            self.refresher.start_loop()

    def close(self) -> None:
        self.refresher.stop()
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
