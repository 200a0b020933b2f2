"""The calendar and contacts provider objects of each connection, built once through the
provider registry and kept until the connection's consent or credentials change.

Must not decide by provider kind (bridge/accounts/registry.py does) nor log secrets.
"""

from __future__ import annotations

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
        self._guard = threading.Lock()

    def _build(self, conn: ConnectionRow) -> ProviderPair:
        kit = registry.entry(conn.provider).kit()
        save = partial(self.credentials.save_token, conn.id)
        return kit.build(self.apps, conn, self.credentials.read(conn), save)

    def _pair(self, connection_id: int) -> ProviderPair:
        with self._guard:
            cached = self._pairs.get(connection_id)
            if cached is not None:
                return cached
        conn = self.store.connection(connection_id)
        try:
            pair = self._build(conn)
        except ValueError as exc:  # an unknown provider kind in the database
            raise NotFound(f"provider {conn.provider!r} is not available: {exc}") from exc
        with self._guard:
            return self._pairs.setdefault(connection_id, pair)

    def provider(self, connection_id: int) -> CalendarProvider:
        return self._pair(connection_id)[0]

    def contacts_provider(self, connection_id: int) -> ContactsProvider:
        return self._pair(connection_id)[1]

    def forget(self, connection_id: int) -> None:
        """Drop the cached provider objects (after new consent or credentials)."""
        with self._guard:
            self._pairs.pop(connection_id, None)
