"""Exchange Server through Exchange Web Services (exchangelib): user name and password, tested
against the EWS URL before they are stored. EWS has no scopes; the bridge enforces what the user
ticked. Must not log passwords.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bridge.accounts.apps import OAuthApps
from bridge.accounts.kit import ProviderPair, Revocation, TokenSink
from bridge.settings import Settings
from bridge.store.rows import ConnectionRow, EwsAccount

if TYPE_CHECKING:
    from bridge.providers.ews.account import EwsConfig


class EwsKit:
    @staticmethod
    def config(settings: Settings, account: EwsAccount, password: str) -> EwsConfig:
        """The exchangelib connection of `account` with `password` ([ews] defaults fill in
        the version and authentication)."""
        from bridge.providers.ews.account import EwsConfig

        return EwsConfig(
            ews_url=account.ews_url,
            username=account.username,
            password=password,
            email=account.email,
            version=account.version or settings.ews.default_version,
            auth_type=account.auth_type or settings.ews.auth_type,
            ca_bundle=settings.ews.ca_bundle or None,
            shared_mailboxes=account.shared_mailboxes,
        )

    def test(self, settings: Settings, account: EwsAccount, password: str) -> EwsAccount:
        """Raise AuthFailed/ProviderError in plain words unless the mailbox is readable; the
        account with the version and authentication actually used."""
        from bridge.providers.ews.account import test_connection

        config = self.config(settings, account, password)
        test_connection(config)
        return EwsAccount(
            ews_url=account.ews_url,
            username=account.username,
            email=account.email,
            version=config.version,
            auth_type=config.auth_type,
            service=account.service,
            shared_mailboxes=account.shared_mailboxes,
        )

    def build(
        self, apps: OAuthApps, conn: ConnectionRow, secret: Mapping[str, str], save_token: TokenSink
    ) -> ProviderPair:
        from bridge.providers.ews.contacts import EwsContactsProvider
        from bridge.providers.ews.provider import EwsCalendarProvider

        account = conn.config.provider
        if not isinstance(account, EwsAccount):
            raise ValueError("the connection has no Exchange settings")
        config = self.config(apps.settings, account, secret.get("password", ""))
        return EwsCalendarProvider(config), EwsContactsProvider(config)

    def revoke(self, apps: OAuthApps, conn: ConnectionRow, secret: Mapping[str, str]) -> Revocation:
        return Revocation(False, "Exchange uses a password, nothing to revoke; it was erased")
