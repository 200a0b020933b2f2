"""Revoking a connection's grant at the provider when the connection is deleted (A5), where
the provider has an endpoint for it (the registry's kit says how). The caller erases the secret
and the mirror either way. Must not log secrets.
"""

from __future__ import annotations

from bridge.accounts import registry
from bridge.accounts.apps import OAuthApps
from bridge.accounts.credentials import Credentials
from bridge.accounts.kit import Revocation
from bridge.store import Store

__all__ = ["Revocation", "revoke"]


def revoke(
    store: Store, apps: OAuthApps, credentials: Credentials, connection_id: int
) -> Revocation:
    """Revoke the connection's grant at the provider where it has an endpoint for it."""
    conn = store.connection(connection_id)
    kit = registry.entry(conn.provider).kit()
    return kit.revoke(apps, conn, credentials.read(conn))
