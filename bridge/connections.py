"""Connected provider accounts: consent, encrypted credential storage, and building the
provider object the sync engine uses for a connection.

Tokens only ever exist in plaintext in memory; at rest they are encrypted with SecretBox.
Must not import radicale, and must not log secrets.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bridge.errors import ConfigError, NotFound
from bridge.model import ProviderKind
from bridge.providers.base import CalendarProvider
from bridge.providers.graph.auth import (
    DELEGATED_SCOPES_READ,
    DELEGATED_SCOPES_WRITE,
    GraphAppConfig,
    GraphAuth,
)
from bridge.providers.graph.http import GraphHttp
from bridge.providers.graph.provider import GraphCalendarProvider
from bridge.secrets import SecretBox
from bridge.settings import Settings
from bridge.store import Store
from bridge.store.sqlite import ConnectionRow


@dataclass(frozen=True)
class PendingConsent:
    """An authorization request in flight (kept server-side; `state` is inside `flow`)."""

    user_id: int
    provider: ProviderKind
    scopes: tuple[str, ...]
    flow: Mapping[str, object]


class Connections:
    def __init__(self, store: Store, box: SecretBox, settings: Settings) -> None:
        self.store = store
        self.box = box
        self.settings = settings
        self._providers: dict[int, CalendarProvider] = {}
        self._guard = threading.Lock()

    # -- Microsoft 365 (Graph) ------------------------------------------------------------
    def graph_config(self) -> GraphAppConfig:
        g = self.settings.graph
        if not g.client_id:
            raise ConfigError("graph.client_id", "no Azure app registration configured")
        return GraphAppConfig(
            authority=g.authority,
            client_id=g.client_id,
            client_secret=g.client_secret,
            graph_base_url=g.graph_base_url,
            ca_bundle=g.ca_bundle or None,
        )

    def begin_graph_consent(
        self, user_id: int, redirect_uri: str, write: bool = True, login_hint: str | None = None
    ) -> tuple[str, PendingConsent]:
        scopes = DELEGATED_SCOPES_WRITE if write else DELEGATED_SCOPES_READ
        auth = GraphAuth(self.graph_config(), None, lambda _blob: None)
        url, flow = auth.begin_consent(redirect_uri, scopes, login_hint)
        return url, PendingConsent(user_id, ProviderKind.GRAPH, tuple(scopes), flow)

    def complete_graph_consent(
        self, pending: PendingConsent, auth_response: Mapping[str, str]
    ) -> ConnectionRow:
        holder: dict[str, str] = {}
        auth = GraphAuth(self.graph_config(), None, lambda blob: holder.update(cache=blob))
        account = auth.complete_consent(dict(pending.flow), auth_response)
        secret = self.box.encrypt(json.dumps({"msal_cache": holder.get("cache", "")}))
        settings = json.dumps({"scopes": list(pending.scopes), "mailbox": "me"})
        conn = self.store.create_connection(
            pending.user_id, ProviderKind.GRAPH.value, account, settings, secret
        )
        with self._guard:
            self._providers.pop(conn.id, None)
        return conn

    def _graph_provider(self, conn: ConnectionRow) -> CalendarProvider:
        blob = json.loads(self.box.decrypt(conn.secret)) if conn.secret else {}

        def save(serialized: str, conn_id: int = conn.id) -> None:
            self.store.set_connection_secret(
                conn_id, self.box.encrypt(json.dumps({"msal_cache": serialized}))
            )

        config = self.graph_config()
        conn_settings = json.loads(conn.settings or "{}")
        auth = GraphAuth(
            config, blob.get("msal_cache") or None, save, scopes=conn_settings.get("scopes") or None
        )
        mailbox = conn_settings.get("mailbox", "me")
        return GraphCalendarProvider(GraphHttp(config, auth, mailbox=mailbox))

    # -- any provider ---------------------------------------------------------------------
    def provider(self, connection_id: int) -> CalendarProvider:
        with self._guard:
            cached = self._providers.get(connection_id)
            if cached is not None:
                return cached
        conn = self.store.connection(connection_id)
        if conn.provider == ProviderKind.GRAPH.value:
            provider = self._graph_provider(conn)
        else:
            raise NotFound(f"provider {conn.provider!r} is not available in this build")
        with self._guard:
            return self._providers.setdefault(connection_id, provider)

    def scopes(self, connection_id: int) -> Sequence[str]:
        conn = self.store.connection(connection_id)
        return tuple(json.loads(conn.settings or "{}").get("scopes", ()))
