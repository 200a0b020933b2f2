"""Changing an existing connection (A2, A3, A5): new permissions (a re-consent for OAuth
connections, at once for Exchange), signing in again at the provider, a changed Exchange
password, and the check before a deletion. Connections the administrator manages (P3) are
refused here.

Orchestrates only: consent and storage are bridge/accounts/connections.py's. Must not log secrets.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bridge.accounts import registry
from bridge.accounts.checks import MANAGED_MESSAGE, ConnectChecks
from bridge.accounts.consent import PendingConsent
from bridge.errors import BadInput, PolicyRefused
from bridge.store.rows import EwsAccount
from bridge.sync.enforcement import clamp

if TYPE_CHECKING:
    from bridge.accounts.statuses import ConnectionStatus


class Reauthorization(ConnectChecks):
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
        """New permissions (A3): OAuth connections re-consent with the new least scopes (the
        URL and pending consent are returned; the toggles are kept on completion); Exchange
        ones change at once (None) and are synced, so calendars turned on appear at once.
        P1, P5 and the ticks are checked; managed connections are refused."""
        user, conn = self.own(username, connection_id)
        policy = self.policy_for(user.id)
        policy.check_enabled()
        if conn.config.managed:
            raise PolicyRefused("setup", MANAGED_MESSAGE)
        policy.check_permissions(write=write, contacts=contacts)
        self._check_ticks(calendars=calendars, write=write, contacts=contacts)
        entry = registry.entry(conn.provider)
        if entry.consent == "password":
            new = replace(
                conn.policy, read_calendars=calendars, write_calendars=write, sync_contacts=contacts
            )
            self.connections.set_policy(conn.id, new)
            self._sync_quietly(conn.id)
            return None
        return self.connections.begin_consent(
            entry.kind,
            user.id,
            redirect_uri,
            write=write,
            login_hint=conn.account,
            contacts=contacts,
            calendars=calendars,
        )

    def begin_reauthorize(
        self, username: str, connection_id: int, redirect_uri: str
    ) -> tuple[str, PendingConsent]:
        """Sign in again at the provider (A2) with the connection's permissions (narrowed by
        today's policy), the account as login hint; complete with `complete_connect`."""
        user, conn = self.own(username, connection_id)
        entry = registry.entry(conn.provider)
        if entry.consent == "password":
            raise BadInput("an Exchange connection is re-authorized with its new password")
        if conn.config.managed:
            raise PolicyRefused("setup", MANAGED_MESSAGE)
        policy = self.policy_for(user.id)
        self._check_service(policy, entry.service)
        perms = clamp(policy, conn.policy)
        return self.connections.begin_consent(
            entry.kind,
            user.id,
            redirect_uri,
            write=perms.write_calendars,
            login_hint=conn.account,
            contacts=perms.sync_contacts,
            calendars=perms.read_calendars,
        )

    def reauthorize_exchange(
        self, username: str, connection_id: int, password: str
    ) -> ConnectionStatus:
        """A changed Exchange password (A2): tested first (AuthFailed when wrong), then stored
        in place of the old one; permissions and toggles are kept; then synced."""
        user, conn = self.own(username, connection_id)
        account = conn.config.provider
        if registry.entry(conn.provider).consent != "password":
            raise BadInput("only Exchange connections are re-authorized with a password")
        if not isinstance(account, EwsAccount):
            account = EwsAccount()
        service, _ = registry.service_of(conn)
        policy = self.policy_for(user.id)
        policy.check_enabled()
        policy.check_domain(conn.account)
        self.connections.connect_ews(
            user.id,
            url=account.ews_url,
            username=account.username,
            password=password,
            email=account.email,
            version=account.version,
            auth_type=account.auth_type,
            permissions=conn.policy,
            service=service,
        )
        self._sync_quietly(conn.id)
        return self.status(conn.id)

    def check_deletable(self, username: str, connection_id: int) -> None:
        """Refuse deleting a connection the administrator manages (P3); NotFound for another
        user's. The facade calls it at the top of Bridge.delete_connection."""
        _, conn = self.own(username, connection_id)
        if conn.config.managed:
            raise PolicyRefused("setup", MANAGED_MESSAGE)
