"""Connecting calendars and contacts under the organisation's policy (A1–A3, P1–P5): the
onboarding service the facade calls. It combines the policy checks (bridge/accounts/checks.py),
the connect flows (connect.py), changes to a connection (reauthorize.py) and the connections the
administrator sets up (bridge/accounts/managed.py), and gives the status page's view of each connection
(A2, worded by bridge/accounts/statuses.py).

It decides and orchestrates; consent, credentials and storage are bridge/accounts/connections.py's, the
policy values and their wording bridge/organisation/policy.py's. Must not import radicale or the portal, and
must not log secrets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bridge.accounts.connect import ConnectFlows
from bridge.accounts.connections import Connections
from bridge.accounts.managed import AppPermissions
from bridge.accounts.reauthorize import Reauthorization
from bridge.accounts.statuses import ConnectionStatus, first_sync_words
from bridge.errors import AuthExpired, BridgeError, ProviderBusy
from bridge.organisation.policy import Policy
from bridge.settings import Settings
from bridge.store import Store
from bridge.store.rows import ConnectionState
from bridge.sync.enforcement import clamp
from bridge.sync.engine import SyncEngine

log = logging.getLogger("davbridge")

__all__ = ["ConnectionStatus", "Onboarding"]


class Onboarding(ConnectFlows, Reauthorization, AppPermissions):
    def __init__(
        self,
        store: Store,
        connections: Connections,
        engine: SyncEngine,
        settings: Settings,
        policy_for: Callable[[int], Policy],
    ) -> None:
        self.store = store
        self.connections = connections
        self.engine = engine
        self.settings = settings
        self.policy_for = policy_for

    # -- status (A2) ---------------------------------------------------------------------------
    def status(self, connection_id: int) -> ConnectionStatus:
        conn = self.store.connection(connection_id)
        policy = self.policy_for(conn.user_id)
        effective = clamp(policy, conn.policy)
        retry, due = None, []
        shown = [
            c for c in self.store.collections(connection_id=conn.id) if effective.shows(c.kind)
        ]
        pulled = [c for c in shown if c.refreshed_at is not None]
        progress = (
            first_sync_words(
                len(pulled), len(shown), sum(len(self.store.items(c.id)) for c in pulled)
            )
            if len(pulled) < len(shown)  # counting items only while a first sync runs
            else None
        )
        for coll in shown:
            at = self.engine.retry_at(coll.id)
            retry = min(retry, at) if retry is not None and at is not None else (retry or at)
            fresh = (
                coll.refreshed_at + self.settings.sync.refresh_interval_s
                if coll.refreshed_at is not None
                else self.engine.clock()
            )
            due.append(max(fresh, at) if at is not None else fresh)
        return ConnectionStatus.of(
            conn,
            effective,
            enabled=policy.enabled,
            next_sync=min(due) if due else None,
            retry_at=retry,
            now=self.engine.clock(),
            first_sync=progress,
        )

    def statuses(self, username: str) -> list[ConnectionStatus]:
        user = self._user(username)
        return [self.status(c.id) for c in self.store.connections(user.id)]

    # -- syncing ------------------------------------------------------------------------------
    def _sync_quietly(self, connection_id: int) -> None:
        """Discover and pull the connection once; failures are recorded on it, not raised."""
        colls = []
        for discover in (self.engine.discover_calendars, self.engine.discover_address_books):
            try:
                colls += discover(connection_id)
            except AuthExpired:
                return  # recorded as "reauth" by the engine
            except ProviderBusy as exc:
                self.store.set_connection_status(connection_id, ConnectionState.BUSY, exc.message)
                return
            except BridgeError as exc:
                self.store.set_connection_status(connection_id, ConnectionState.ERROR, exc.message)
                log.warning("first sync of connection %d failed: %s", connection_id, exc.message)
                return
        for coll in colls:
            self.engine.refresh(coll.id)
