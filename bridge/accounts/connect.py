"""The two connect flows a user starts (A1): OAuth consent (Microsoft 365, Google) for the
least scopes of what was ticked, and the Exchange form (user name and password). Every policy
check is made before anything is sent to a provider; the connected account's domain is checked
(P4) before anything is stored; then the connection is synced once. The third flow, connections
the administrator sets up (P3), is bridge/accounts/managed.py's.

Orchestrates only: consent and storage are bridge/accounts/connections.py's. Must not log secrets.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bridge.accounts import registry
from bridge.accounts.checks import ConnectChecks
from bridge.accounts.consent import PendingConsent, scopes_for
from bridge.accounts.statuses import ConnectionStatus
from bridge.errors import BadInput, PolicyRefused
from bridge.store.rows import ConnectionPolicy

log = logging.getLogger("davbridge")


class ConnectFlows(ConnectChecks):
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
        """The provider's authorization URL for the least scopes of what was ticked. P1, P2,
        P3 and P5 are checked first: a refusal sends nothing anywhere."""
        user = self._user(username)
        policy = self.policy_for(user.id)
        self._check_service(policy, service)
        entry = registry.for_service(service)
        entry.oauth()  # BadInput: this service is connected with the Exchange form
        policy.check_permissions(write=write, contacts=contacts)  # P5
        self._check_ticks(calendars=calendars, write=write, contacts=contacts)
        return self.connections.begin_consent(
            entry.kind, user.id, redirect_uri, write=write, contacts=contacts, calendars=calendars
        )

    def complete_connect(
        self, pending: PendingConsent, response: Mapping[str, str]
    ) -> ConnectionStatus:
        """Redeem the provider's answer (state checked by msal / oauthlib). The policy is
        checked again, the scopes must be the least for the recorded permissions, and the
        account's domain must be allowed (P4) — otherwise the grant is dropped and nothing is
        stored. Then one sync; its errors are recorded on the connection, not raised."""
        policy = self.policy_for(pending.user_id)
        self._check_service(policy, registry.entry(pending.provider).service)
        perms = pending.policy
        policy.check_permissions(write=perms.write_calendars, contacts=perms.sync_contacts)
        least = scopes_for(
            pending.provider,
            perms.write_calendars,
            contacts=perms.sync_contacts,
            calendars=perms.read_calendars,
        )
        extra = {s.lower() for s in pending.scopes} - {s.lower() for s in least}
        if extra:
            raise PolicyRefused(
                "allow_write_calendars",
                f"the request asked for more than the ticked permissions ({', '.join(extra)})",
            )
        conn = self.connections.complete_consent(pending, response, policy.check_domain)
        log.info("connected %s account for user %d", conn.provider, conn.user_id)
        self._sync_quietly(conn.id)
        return self.status(conn.id)

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
        shared_mailboxes: tuple[str, ...] = (),
    ) -> ConnectionStatus:
        """Exchange Server over EWS: P1, P2, P3, P4 (the mailbox's address), P5 and the ticks
        first, then the connection is tested (AuthFailed "wrong user name or password",
        ProviderError "cannot reach …") and stored, then synced once. `shared_mailboxes`:
        other mailboxes whose calendar the user opens as a delegate (issue 15)."""
        bad = [a for a in shared_mailboxes if "@" not in a or a.count("@") > 1]
        if bad:
            raise BadInput(f"not an email address: {', '.join(bad)}")
        user = self._user(username)
        policy = self.policy_for(user.id)
        self._check_service(policy, service)
        entry = registry.for_service(service)
        if entry.consent != "password":
            raise BadInput(entry.other_form)
        policy.check_permissions(write=write, contacts=contacts)
        self._check_ticks(calendars=calendars, write=write, contacts=contacts)
        policy.check_domain(email)
        conn = self.connections.connect_ews(
            user.id,
            url=url,
            username=login,
            password=password,
            email=email,
            version=version or None,
            permissions=ConnectionPolicy(
                read_calendars=calendars, write_calendars=write, sync_contacts=contacts
            ),
            service=service,
            shared_mailboxes=tuple(dict.fromkeys(a.lower() for a in shared_mailboxes)),
        )
        self._sync_quietly(conn.id)
        return self.status(conn.id)
