"""The connections service: one object that combines the organisation's OAuth applications
(bridge/accounts/apps.py), consent and credentials (consent.py, credentials.py), the provider
objects of each connection (cache.py) and revocation (revocation.py) for the facade, the
onboarding flows and the sync engine. Provider kinds are looked up in bridge/accounts/registry.py.

Tokens and passwords exist in plaintext only in memory; at rest they are encrypted with
SecretBox. Must not import radicale, and must not log secrets.
"""

from __future__ import annotations

from collections.abc import Sequence

from bridge.accounts.apps import OAuthApps
from bridge.accounts.cache import ProviderCache
from bridge.accounts.consent import Consent, PendingConsent, scopes_for
from bridge.accounts.credentials import Credentials
from bridge.accounts.kit import Revocation
from bridge.accounts.kits.graph import GraphKit
from bridge.accounts.revocation import revoke
from bridge.delegate import forward
from bridge.providers.base import CalendarProvider, ContactsProvider
from bridge.secrets import SecretBox
from bridge.settings import Settings
from bridge.store import Store
from bridge.store.rows import ConnectionPolicy, ConnectionRow, OAuthGrant

__all__ = ["Connections", "PendingConsent", "Revocation"]


class Connections:
    def __init__(self, store: Store, box: SecretBox, settings: Settings) -> None:
        self.store = store
        self.apps = OAuthApps(settings)
        self.credentials = Credentials(store, box)
        self.cache = ProviderCache(store, self.apps, self.credentials)
        self.consent = Consent(store, self.apps, self.credentials, self.cache.forget)

    @property
    def settings(self) -> Settings:
        return self.apps.settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self.apps.settings = settings

    @property
    def box(self) -> SecretBox:
        return self.credentials.box

    @box.setter
    def box(self, box: SecretBox) -> None:
        self.credentials.box = box

    scopes_for = staticmethod(scopes_for)

    @property
    def _providers(self) -> dict[int, tuple[CalendarProvider, ContactsProvider]]:
        """The cache's table (tests put fakes in it)."""
        return self.cache._pairs

    # -- consent --------------------------------------------------------------------------
    begin_consent = forward("consent", Consent.begin)
    complete_consent = forward("consent", Consent.complete)
    connect_ews = forward("consent", Consent.connect_ews)

    # -- application permissions (P3 "admin") --------------------------------------------
    def app_only_provider(self, mailbox: str) -> CalendarProvider:
        """A Graph calendar provider for `mailbox` through the application permission."""
        return GraphKit().app_only_calendar(self.apps, mailbox)

    def connect_app_only(
        self, user_id: int, email: str, permissions: ConnectionPolicy
    ) -> ConnectionRow:
        return self.consent.connect_app_only(user_id, email, permissions)

    # -- providers ------------------------------------------------------------------------
    def provider(self, connection_id: int) -> CalendarProvider:
        return self.cache.provider(connection_id)

    def contacts_provider(self, connection_id: int) -> ContactsProvider:
        return self.cache.contacts_provider(connection_id)

    def forget(self, connection_id: int) -> None:
        """Drop the cached provider object (after new consent or credentials)."""
        self.cache.forget(connection_id)

    def set_policy(self, connection_id: int, policy: ConnectionPolicy) -> ConnectionRow:
        """Store what the connection may do and which halves are on (no new consent)."""
        conn = self.store.connection(connection_id)
        self.store.set_connection_settings(connection_id, conn.config.with_policy(policy))
        return self.store.connection(connection_id)

    def revoke(self, connection_id: int) -> Revocation:
        """Revoke the connection's grant at the provider where it has an endpoint for it."""
        return revoke(self.store, self.apps, self.credentials, connection_id)

    def scopes(self, connection_id: int) -> Sequence[str]:
        grant = self.store.connection(connection_id).config.provider
        return grant.scopes if isinstance(grant, OAuthGrant) else ()
