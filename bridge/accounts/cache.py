"""The calendar and contacts provider objects of each connection, built once through the
provider registry and kept until the connection's consent or credentials change.

With several processes on one PostgreSQL store (issue 17) a change may be made by another
process: there each use compares a digest of the stored settings and secret with the one the
objects were built from, and rebuilds them when it differs (new consent, a refreshed token).

Must not decide by provider kind (bridge/accounts/registry.py does) nor log secrets.
"""

from __future__ import annotations

import hashlib
import threading
from functools import partial

from bridge.accounts import registry
from bridge.accounts.apps import OAuthApps
from bridge.accounts.credentials import Credentials
from bridge.accounts.kit import ProviderPair
from bridge.errors import NotFound
from bridge.providers.base import CalendarProvider, ContactsProvider
from bridge.store import Store
from bridge.store.rows import ConnectionRow


class ProviderCache:
    def __init__(self, store: Store, apps: OAuthApps, credentials: Credentials) -> None:
        self.store = store
        self.apps = apps
        self.credentials = credentials
        self._pairs: dict[int, ProviderPair] = {}
        self._stamps: dict[int, str] = {}  # connection id -> digest the pair was built from
        self._guard = threading.Lock()

    def _build(self, conn: ConnectionRow) -> ProviderPair:
        kit = registry.entry(conn.provider).kit()
        save = partial(self.credentials.save_token, conn.id)
        return kit.build(self.apps, conn, self.credentials.read(conn), save)

    @staticmethod
    def _stamp(conn: ConnectionRow) -> str:
        digest = hashlib.sha256(conn.settings.encode("utf-8"))
        digest.update(conn.secret or b"")
        return digest.hexdigest()

    def _pair(self, connection_id: int) -> ProviderPair:
        shared = self.store.dialect == "postgres"
        with self._guard:
            cached = self._pairs.get(connection_id)
            stamp = self._stamps.get(connection_id)
        conn: ConnectionRow | None = None
        if cached is not None:
            if not shared or stamp is None:  # one process; or a pair a test put there
                return cached
            conn = self.store.connection(connection_id)
            if self._stamp(conn) == stamp:
                return cached
        conn = conn or self.store.connection(connection_id)
        try:
            pair = self._build(conn)
        except ValueError as exc:  # an unknown provider kind in the database
            raise NotFound(f"provider {conn.provider!r} is not available: {exc}") from exc
        with self._guard:
            if shared:
                self._pairs[connection_id] = pair
                self._stamps[connection_id] = self._stamp(conn)
                return pair
            return self._pairs.setdefault(connection_id, pair)

    def provider(self, connection_id: int) -> CalendarProvider:
        return self._pair(connection_id)[0]

    def contacts_provider(self, connection_id: int) -> ContactsProvider:
        return self._pair(connection_id)[1]

    def forget(self, connection_id: int) -> None:
        """Drop the cached provider objects (after new consent or credentials)."""
        with self._guard:
            self._pairs.pop(connection_id, None)
            self._stamps.pop(connection_id, None)
