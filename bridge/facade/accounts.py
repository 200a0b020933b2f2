"""The facade's account methods: which services a user may connect, the connect flows (OAuth
consent, the Exchange form, the administrator's "set up for everyone"), changing permissions,
signing in again at the provider, and the operator's connects from `davbridge connect` (no
policy: whoever runs them holds the database). Adapters call these on the Bridge instead of
reaching bridge.accounts.onboarding or bridge.accounts.connections.

Delegates only (bridge/delegate.py's `forward`, so the parameters are written once, at the
implementation): the decisions are Onboarding's, consent and storage Connections'. Must not log
secrets.
"""

from __future__ import annotations

from bridge.accounts import registry
from bridge.accounts.connections import Connections, PendingConsent
from bridge.accounts.onboarding import Onboarding
from bridge.delegate import forward
from bridge.model import ProviderKind


class AccountsFacade:
    onboarding: Onboarding
    connections: Connections

    def provider_label(self, kind: str) -> str:
        """The provider's name as users see it ("Microsoft 365", "Google", "Exchange")."""
        return registry.label_of(kind)

    services_for = forward("onboarding", Onboarding.services_for)
    check_connect = forward("onboarding", Onboarding.check_connect)
    begin_connect = forward("onboarding", Onboarding.begin_connect)
    complete_connect = forward("onboarding", Onboarding.complete_connect)
    connect_exchange = forward("onboarding", Onboarding.connect_exchange)
    change_permissions = forward("onboarding", Onboarding.change_permissions)
    begin_reauthorize = forward("onboarding", Onboarding.begin_reauthorize)
    reauthorize_exchange = forward("onboarding", Onboarding.reauthorize_exchange)
    enable_app_permissions = forward("onboarding", Onboarding.enable_app_permissions)
    ensure_managed_connection = forward("onboarding", Onboarding.ensure_managed_connection)

    # -- the operator's connects (`davbridge connect …`, the demo) -------------------------------
    def operator_begin_consent(
        self,
        kind: ProviderKind,
        user_id: int,
        redirect_uri: str,
        *,
        write: bool = True,
        contacts: bool = True,
    ) -> tuple[str, PendingConsent]:
        return self.connections.begin_consent(
            kind, user_id, redirect_uri, write=write, contacts=contacts
        )

    operator_complete_consent = forward("connections", Connections.complete_consent)
    operator_connect_exchange = forward("connections", Connections.connect_ews)
