"""The facade's account methods: which services a user may connect, the connect flows (OAuth
consent, the Exchange form, the administrator's "set up for everyone"), changing permissions,
signing in again at the provider, and the operator's connects from `davbridge connect` (no
policy: whoever runs them holds the database). Adapters call these on the Bridge instead of
reaching bridge.accounts.onboarding or bridge.accounts.connections.

Delegates only: the decisions are Onboarding's, consent and storage Connections'. Must not log
secrets.
"""

from __future__ import annotations

from collections.abc import Mapping

from bridge.accounts import registry
from bridge.accounts.connections import Connections, PendingConsent
from bridge.accounts.onboarding import ConnectionStatus, Onboarding
from bridge.model import ProviderKind
from bridge.store.rows import ConnectionPolicy, ConnectionRow


class AccountsFacade:
    onboarding: Onboarding
    connections: Connections

    def provider_label(self, kind: str) -> str:
        """The provider's name as users see it ("Microsoft 365", "Google", "Exchange")."""
        return registry.label_of(kind)

    def services_for(self, username: str) -> tuple[str, ...]:
        return self.onboarding.services_for(username)

    def check_connect(
        self, username: str, service: str, *, write: bool, contacts: bool, calendars: bool = True
    ) -> None:
        self.onboarding.check_connect(
            username, service, write=write, contacts=contacts, calendars=calendars
        )

    def begin_connect(
        self,
        username: str,
        service: str,
        *,
        write: bool,
        contacts: bool,
        redirect_uri: str,
        calendars: bool = True,
    ) -> tuple[str, PendingConsent]:
        return self.onboarding.begin_connect(
            username,
            service,
            write=write,
            contacts=contacts,
            redirect_uri=redirect_uri,
            calendars=calendars,
        )

    def complete_connect(
        self, pending: PendingConsent, response: Mapping[str, str]
    ) -> ConnectionStatus:
        return self.onboarding.complete_connect(pending, response)

    def connect_exchange(
        self,
        username: str,
        service: str,
        *,
        url: str,
        login: str,
        password: str,
        email: str,
        version: str,
        write: bool,
        contacts: bool,
        calendars: bool = True,
    ) -> ConnectionStatus:
        return self.onboarding.connect_exchange(
            username,
            service,
            url=url,
            login=login,
            password=password,
            email=email,
            version=version,
            write=write,
            contacts=contacts,
            calendars=calendars,
        )

    def change_permissions(
        self,
        username: str,
        connection_id: int,
        *,
        write: bool,
        contacts: bool,
        redirect_uri: str,
        calendars: bool = True,
    ) -> tuple[str, PendingConsent] | None:
        return self.onboarding.change_permissions(
            username,
            connection_id,
            write=write,
            contacts=contacts,
            redirect_uri=redirect_uri,
            calendars=calendars,
        )

    def begin_reauthorize(
        self, username: str, connection_id: int, redirect_uri: str
    ) -> tuple[str, PendingConsent]:
        return self.onboarding.begin_reauthorize(username, connection_id, redirect_uri)

    def reauthorize_exchange(
        self, username: str, connection_id: int, password: str
    ) -> ConnectionStatus:
        return self.onboarding.reauthorize_exchange(username, connection_id, password)

    def enable_app_permissions(self, actor: str) -> int:
        return self.onboarding.enable_app_permissions(actor)

    def ensure_managed_connection(self, user_id: int) -> ConnectionStatus | None:
        return self.onboarding.ensure_managed_connection(user_id)

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

    def operator_complete_consent(
        self, pending: PendingConsent, response: Mapping[str, str]
    ) -> ConnectionRow:
        return self.connections.complete_consent(pending, response)

    def operator_connect_exchange(
        self,
        user_id: int,
        *,
        url: str,
        username: str,
        password: str,
        email: str,
        version: str | None = None,
        auth_type: str | None = None,
        permissions: ConnectionPolicy | None = None,
    ) -> ConnectionRow:
        return self.connections.connect_ews(
            user_id,
            url=url,
            username=username,
            password=password,
            email=email,
            version=version,
            auth_type=auth_type,
            permissions=permissions,
        )
