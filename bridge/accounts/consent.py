"""Making a connection: OAuth consent for the least scopes of what the user ticked (A1), the
Exchange credentials tested before they are stored, and connections the administrator sets up
with application permissions (P3). A re-consent keeps the connection's on/off toggles (A3).

Policy checks are bridge/onboarding's; this module only talks to the provider's consent
endpoints (through the registry's kit) and stores the result. Must not log secrets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from bridge.accounts import registry
from bridge.accounts.apps import OAuthApps
from bridge.accounts.credentials import Credentials
from bridge.accounts.directory_scopes import directory_scopes, directory_wanted
from bridge.errors import BridgeError
from bridge.model import ProviderKind
from bridge.store import Store
from bridge.store.rows import (
    AppOnlyMailbox,
    ConnectionPolicy,
    ConnectionRow,
    ConnectionSettings,
    EwsAccount,
    OAuthGrant,
)


@dataclass(frozen=True)
class PendingConsent:
    """An authorization request in flight (kept server-side; `state` is inside `flow`)."""

    user_id: int
    provider: ProviderKind
    scopes: tuple[str, ...]
    flow: Mapping[str, object]
    policy: ConnectionPolicy = ConnectionPolicy()


def scopes_for(
    kind: ProviderKind, write: bool, *, contacts: bool = True, calendars: bool = True
) -> tuple[str, ...]:
    """The least scopes that allow what the user ticked: calendars read or read-write,
    contacts only when they are synced (read-write together with write, as CardDAV clients
    may edit them). Graph "Microsoft Graph permissions reference"; Google "Choose Google
    Calendar API scopes" / "People API scopes"."""
    kit = registry.entry(kind).oauth()
    return kit.scopes(write, contacts=contacts, calendars=calendars)


class Consent:
    def __init__(
        self,
        store: Store,
        apps: OAuthApps,
        credentials: Credentials,
        forget: Callable[[int], None],
    ) -> None:
        self.store = store
        self.apps = apps
        self.credentials = credentials
        self.forget = forget  # drops the cached provider objects of a connection

    def begin(
        self,
        kind: ProviderKind,
        user_id: int,
        redirect_uri: str,
        write: bool = True,
        login_hint: str | None = None,
        *,
        contacts: bool = True,
        calendars: bool = True,
    ) -> tuple[str, PendingConsent]:
        """Start consent for the ticked permissions (A1): read calendars (`calendars`), write
        calendars (`write`), sync contacts (`contacts`)."""
        kit = registry.entry(kind).oauth()
        scopes = kit.scopes(write, contacts=contacts, calendars=calendars)
        if contacts and directory_wanted(self.store, user_id):  # K5 (branch views)
            scopes += directory_scopes(kit)
        auth = kit.auth(self.apps, None, lambda _blob: None, scopes)
        url, flow = auth.begin_consent(redirect_uri, scopes, login_hint)
        policy = ConnectionPolicy(
            read_calendars=calendars, write_calendars=write and calendars, sync_contacts=contacts
        )
        return url, PendingConsent(user_id, kind, scopes, flow, policy)

    def _existing(self, user_id: int, provider: str, account: str) -> ConnectionRow | None:
        for conn in self.store.connections(user_id):
            if conn.provider == provider and conn.account.lower() == account.lower():
                return conn
        return None

    def _with_toggles(
        self, user_id: int, provider: str, account: str, policy: ConnectionPolicy
    ) -> ConnectionPolicy:
        """A re-consent (A3) keeps the connection's on/off toggles."""
        old = self._existing(user_id, provider, account)
        if old is None:
            return policy
        was = old.policy
        return replace(
            policy, calendars_enabled=was.calendars_enabled, contacts_enabled=was.contacts_enabled
        )

    def complete(
        self,
        pending: PendingConsent,
        auth_response: Mapping[str, str],
        check_account: Callable[[str], None] | None = None,
    ) -> ConnectionRow:
        """Redeem the authorization response (state checked by msal / oauthlib) and store the
        connection. `check_account` may refuse the consented account (raises) before anything
        is stored."""
        holder: dict[str, str] = {}
        kit = registry.entry(pending.provider).oauth()
        auth = kit.auth(self.apps, None, lambda blob: holder.update(blob=blob), pending.scopes)
        account = auth.complete_consent(dict(pending.flow), auth_response)
        if check_account is not None:
            try:
                check_account(account)
            except BridgeError:
                # Refused (P4): the fresh grant is dropped, nothing is stored. Google can revoke
                # it ("Using OAuth 2.0 to Access Google APIs": revoking a token); Microsoft 365
                # has no endpoint for that, the tokens only ever lived in memory.
                kit.discard(self.apps, holder.get("blob"), pending.scopes)
                raise
        secret = self.credentials.seal_token(holder.get("blob", ""))
        kind = pending.provider.value
        policy = self._with_toggles(pending.user_id, kind, account, pending.policy)
        settings = ConnectionSettings(OAuthGrant(scopes=tuple(pending.scopes)), policy)
        conn = self.store.create_connection(pending.user_id, kind, account, settings, secret)
        self.forget(conn.id)
        return conn

    def connect_ews(
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
        service: str | None = None,
        shared_mailboxes: tuple[str, ...] = (),
    ) -> ConnectionRow:
        """Exchange: test the credentials against the EWS URL first, then store them.
        `shared_mailboxes`: other mailboxes whose calendar the user opens as a delegate.
        `permissions`: what the user ticked (EWS has no scopes; the bridge enforces them).
        `service`: "exchange" or "microsoft365" (a Microsoft 365 mailbox over EWS), kept for
        the status page."""
        from bridge.accounts.kits.ews import EwsKit

        wanted = EwsAccount(
            url, username, email, version, auth_type, service or None, shared_mailboxes
        )
        account = EwsKit().test(self.apps.settings, wanted, password)
        kind = ProviderKind.EWS.value
        policy = self._with_toggles(user_id, kind, email, permissions or ConnectionPolicy())
        secret = self.credentials.seal_password(password)
        settings = ConnectionSettings(account, policy)
        conn = self.store.create_connection(user_id, kind, email, settings, secret)
        self.forget(conn.id)
        return conn

    def connect_app_only(
        self, user_id: int, email: str, permissions: ConnectionPolicy
    ) -> ConnectionRow:
        """A Microsoft 365 connection the administrator set up for `email`'s mailbox (P3): the
        bridge reaches /users/{email} with the organisation's application permission, so no
        token or password of the user is stored. Toggles of an existing one are kept."""
        kind = ProviderKind.GRAPH.value
        policy = self._with_toggles(user_id, kind, email, permissions)
        settings = ConnectionSettings(AppOnlyMailbox(mailbox=email), policy)
        conn = self.store.create_connection(user_id, kind, email, settings, None)
        self.forget(conn.id)
        return conn
