"""Connected provider accounts: consent (OAuth for Microsoft 365 and Google, credentials for
Exchange), encrypted credential storage, and building the provider object the sync engine
uses for a connection.

Tokens and passwords exist in plaintext only in memory; at rest they are encrypted with
SecretBox. Provider packages are imported when first needed. Must not import radicale, and
must not log secrets.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bridge.errors import BadInput, BridgeError, ConfigError, NotFound
from bridge.model import ProviderKind
from bridge.providers.base import CalendarProvider, ContactsProvider
from bridge.secrets import SecretBox
from bridge.settings import Settings
from bridge.store import Store
from bridge.store.sqlite import ConnectionPolicy, ConnectionRow

log = logging.getLogger("davbridge")


@dataclass(frozen=True)
class PendingConsent:
    """An authorization request in flight (kept server-side; `state` is inside `flow`)."""

    user_id: int
    provider: ProviderKind
    scopes: tuple[str, ...]
    flow: Mapping[str, object]
    policy: ConnectionPolicy = ConnectionPolicy()


@dataclass(frozen=True)
class Revocation:
    """What happened to a connection's grant at the provider when it was deleted (A5)."""

    revoked: bool
    note: str


class Connections:
    def __init__(self, store: Store, box: SecretBox, settings: Settings) -> None:
        self.store = store
        self.box = box
        self.settings = settings
        self._providers: dict[int, tuple[CalendarProvider, ContactsProvider]] = {}
        self._guard = threading.Lock()
        self._app_only: Any = None  # one AppOnlyAuth (client credentials) for every mailbox

    # -- configuration of the OAuth applications ------------------------------------------
    def graph_config(self) -> Any:
        from bridge.providers.graph.auth import GraphAppConfig

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

    def google_config(self) -> Any:
        from bridge.providers.google.auth import GoogleAppConfig

        g = self.settings.google
        if not g.client_id:
            raise ConfigError("google.client_id", "no Google OAuth client configured")
        return GoogleAppConfig(
            client_id=g.client_id,
            client_secret=g.client_secret,
            auth_uri=g.auth_uri,
            token_uri=g.token_uri,
            revoke_uri=g.revoke_uri,
            calendar_api_base=g.calendar_api_base,
            ca_bundle=g.ca_bundle or None,
            people_api_base=g.people_api_base,
        )

    def _oauth(
        self,
        kind: ProviderKind,
        blob: str | None,
        on_change: Callable[[str], None],
        scopes: Sequence[str] | None,
    ) -> Any:
        """The provider's auth object (GraphAuth / GoogleAuth share the consent interface)."""
        if kind is ProviderKind.GRAPH:
            from bridge.providers.graph.auth import GraphAuth

            return GraphAuth(self.graph_config(), blob, on_change, scopes=scopes)
        if kind is ProviderKind.GOOGLE:
            from bridge.providers.google.auth import GoogleAuth

            return GoogleAuth(self.google_config(), blob, on_change, scopes=scopes)
        raise BadInput(f"{kind.value} does not connect through OAuth")

    @staticmethod
    def scopes_for(
        kind: ProviderKind, write: bool, *, contacts: bool = True, calendars: bool = True
    ) -> tuple[str, ...]:
        """The least scopes that allow what the user ticked: calendars read or read-write,
        contacts only when they are synced (read-write together with write, as CardDAV
        clients may edit them). Graph "Microsoft Graph permissions reference"; Google
        "Choose Google Calendar API scopes" / "People API scopes"."""
        if kind is ProviderKind.GRAPH:
            from bridge.providers.graph import auth as graph_auth

            graph = graph_auth.DELEGATED_SCOPES_WRITE if write else graph_auth.DELEGATED_SCOPES_READ
            return tuple(
                s
                for s in graph
                if (calendars or not s.startswith("Calendars."))
                and (contacts or not s.startswith("Contacts."))
            )
        from bridge.providers.google import auth as google_auth

        google = google_auth.SCOPES_WRITE if write else google_auth.SCOPES_READ
        return tuple(
            s
            for s in google
            if (calendars or "/auth/calendar" not in s) and (contacts or "/auth/contacts" not in s)
        )

    # -- consent --------------------------------------------------------------------------
    def begin_consent(
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
        scopes = self.scopes_for(kind, write, contacts=contacts, calendars=calendars)
        auth = self._oauth(kind, None, lambda _blob: None, scopes)
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

    def complete_consent(
        self,
        pending: PendingConsent,
        auth_response: Mapping[str, str],
        check_account: Callable[[str], None] | None = None,
    ) -> ConnectionRow:
        """Redeem the authorization response (state checked by msal / oauthlib) and store the
        connection. `check_account` may refuse the consented account (raises) before anything
        is stored."""
        holder: dict[str, str] = {}
        auth = self._oauth(
            pending.provider, None, lambda blob: holder.update(blob=blob), pending.scopes
        )
        account = auth.complete_consent(dict(pending.flow), auth_response)
        if check_account is not None:
            try:
                check_account(account)
            except BridgeError:
                # Refused (P4): the fresh grant is dropped, nothing is stored. Google can revoke
                # it ("Using OAuth 2.0 to Access Google APIs": revoking a token); Microsoft 365
                # has no endpoint for that, the tokens only ever lived in memory.
                self._discard(pending.provider, holder.get("blob"), pending.scopes)
                raise
        secret = self.box.encrypt(json.dumps({"token": holder.get("blob", "")}))
        policy = self._with_toggles(
            pending.user_id, pending.provider.value, account, pending.policy
        )
        settings = policy.into(json.dumps({"scopes": list(pending.scopes), "mailbox": "me"}))
        conn = self.store.create_connection(
            pending.user_id, pending.provider.value, account, settings, secret
        )
        self.forget(conn.id)
        return conn

    def _discard(self, kind: ProviderKind, blob: str | None, scopes: Sequence[str]) -> None:
        if kind is not ProviderKind.GOOGLE or not blob:
            return
        try:
            self._oauth(kind, blob, lambda _blob: None, scopes).revoke()
        except BridgeError as exc:  # best effort: the token is forgotten either way
            log.info("revoking a refused Google grant failed: %s", exc.message)

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
    ) -> ConnectionRow:
        """Exchange: test the credentials against the EWS URL first, then store them.
        `permissions`: what the user ticked (EWS has no scopes; the bridge enforces them).
        `service`: "exchange" or "microsoft365" (a Microsoft 365 mailbox over EWS), kept for
        the status page."""
        from bridge.providers.ews.account import EwsConfig, test_connection

        config = EwsConfig(
            ews_url=url,
            username=username,
            password=password,
            email=email,
            version=version or self.settings.ews.default_version,
            auth_type=auth_type or self.settings.ews.auth_type,
            ca_bundle=self.settings.ews.ca_bundle or None,
        )
        test_connection(config)
        policy = self._with_toggles(
            user_id, ProviderKind.EWS.value, email, permissions or ConnectionPolicy()
        )
        settings = policy.into(
            json.dumps(
                {
                    "ews_url": url,
                    "username": username,
                    "email": email,
                    "version": config.version,
                    "auth_type": config.auth_type,
                    **({"service": service} if service else {}),
                }
            )
        )
        secret = self.box.encrypt(json.dumps({"password": password}))
        conn = self.store.create_connection(
            user_id, ProviderKind.EWS.value, email, settings, secret
        )
        self.forget(conn.id)
        return conn

    # -- application permissions (P3 "admin") --------------------------------------------
    def app_only_auth(self) -> Any:
        """The organisation's client-credentials token source for Graph application
        permissions, shared by every app-only connection (its client secret is in settings)."""
        from bridge.providers.graph.auth import AppOnlyAuth

        with self._guard:
            if self._app_only is None:
                self._app_only = AppOnlyAuth(self.graph_config())
            return self._app_only

    def app_only_provider(self, mailbox: str) -> CalendarProvider:
        """A Graph calendar provider for `mailbox` through the application permission."""
        from bridge.providers.graph.http import GraphHttp
        from bridge.providers.graph.provider import GraphCalendarProvider

        return GraphCalendarProvider(
            GraphHttp(self.graph_config(), self.app_only_auth(), mailbox=mailbox)
        )

    def connect_app_only(
        self, user_id: int, email: str, permissions: ConnectionPolicy
    ) -> ConnectionRow:
        """A Microsoft 365 connection the administrator set up for `email`'s mailbox (P3): the
        bridge reaches /users/{email} with the organisation's application permission, so no
        token or password of the user is stored. Toggles of an existing one are kept."""
        policy = self._with_toggles(user_id, ProviderKind.GRAPH.value, email, permissions)
        settings = policy.into(json.dumps({"app_only": True, "mailbox": email}))
        conn = self.store.create_connection(
            user_id, ProviderKind.GRAPH.value, email, settings, None
        )
        self.forget(conn.id)
        return conn

    # -- providers ------------------------------------------------------------------------
    def _build(self, conn: ConnectionRow) -> tuple[CalendarProvider, ContactsProvider]:
        """The connection's calendar and contacts providers, sharing one auth object."""
        kind = ProviderKind(conn.provider)
        secret = json.loads(self.box.decrypt(conn.secret)) if conn.secret else {}
        conn_settings = json.loads(conn.settings or "{}")
        if kind is ProviderKind.EWS:
            from bridge.providers.ews.account import EwsConfig
            from bridge.providers.ews.contacts import EwsContactsProvider
            from bridge.providers.ews.provider import EwsCalendarProvider

            config = EwsConfig(
                ews_url=conn_settings["ews_url"],
                username=conn_settings["username"],
                password=secret.get("password", ""),
                email=conn_settings["email"],
                version=conn_settings.get("version", self.settings.ews.default_version),
                auth_type=conn_settings.get("auth_type", self.settings.ews.auth_type),
                ca_bundle=self.settings.ews.ca_bundle or None,
            )
            return EwsCalendarProvider(config), EwsContactsProvider(config)

        def save(blob: str, conn_id: int = conn.id) -> None:
            self.store.set_connection_secret(conn_id, self.box.encrypt(json.dumps({"token": blob})))

        if kind is ProviderKind.GRAPH and conn_settings.get("app_only"):
            from bridge.providers.graph.contacts import GraphContactsProvider
            from bridge.providers.graph.http import GraphHttp
            from bridge.providers.graph.provider import GraphCalendarProvider

            mailbox = str(conn_settings.get("mailbox") or conn.account)
            http = GraphHttp(self.graph_config(), self.app_only_auth(), mailbox=mailbox)
            return GraphCalendarProvider(http), GraphContactsProvider(http)
        token = secret.get("token") or secret.get("msal_cache") or None
        auth = self._oauth(kind, token, save, conn_settings.get("scopes") or None)
        if kind is ProviderKind.GRAPH:
            from bridge.providers.graph.contacts import GraphContactsProvider
            from bridge.providers.graph.http import GraphHttp
            from bridge.providers.graph.provider import GraphCalendarProvider

            http = GraphHttp(self.graph_config(), auth, mailbox=conn_settings.get("mailbox", "me"))
            return GraphCalendarProvider(http), GraphContactsProvider(http)
        from bridge.providers.google.contacts import GoogleContactsProvider
        from bridge.providers.google.provider import GoogleCalendarProvider

        config = self.google_config()
        return GoogleCalendarProvider(auth, config), GoogleContactsProvider(auth, config)

    def _pair(self, connection_id: int) -> tuple[CalendarProvider, ContactsProvider]:
        with self._guard:
            cached = self._providers.get(connection_id)
            if cached is not None:
                return cached
        conn = self.store.connection(connection_id)
        try:
            pair = self._build(conn)
        except ValueError as exc:  # an unknown provider kind in the database
            raise NotFound(f"provider {conn.provider!r} is not available: {exc}") from exc
        with self._guard:
            return self._providers.setdefault(connection_id, pair)

    def provider(self, connection_id: int) -> CalendarProvider:
        return self._pair(connection_id)[0]

    def contacts_provider(self, connection_id: int) -> ContactsProvider:
        return self._pair(connection_id)[1]

    def forget(self, connection_id: int) -> None:
        """Drop the cached provider object (after new consent or credentials)."""
        with self._guard:
            self._providers.pop(connection_id, None)

    def set_policy(self, connection_id: int, policy: ConnectionPolicy) -> ConnectionRow:
        """Store what the connection may do and which halves are on (no new consent)."""
        conn = self.store.connection(connection_id)
        self.store.set_connection_settings(connection_id, policy.into(conn.settings))
        return self.store.connection(connection_id)

    def revoke(self, connection_id: int) -> Revocation:
        """Revoke the connection's grant at the provider where it has an endpoint for it."""
        conn = self.store.connection(connection_id)
        kind = ProviderKind(conn.provider)
        if kind is ProviderKind.GRAPH and json.loads(conn.settings or "{}").get("app_only"):
            return Revocation(
                False,
                "this connection used the organisation's application permission; nothing of "
                "the user was stored. The permission itself stays until an administrator "
                "removes it from the app registration in Microsoft Entra ID",
            )
        if kind is ProviderKind.GRAPH:
            return Revocation(
                False,
                "Microsoft 365 has no endpoint to revoke one app's grant; the tokens were "
                "erased here (the user or an admin can remove the app under My Apps / "
                "Enterprise applications)",
            )
        if kind is ProviderKind.EWS:
            return Revocation(False, "Exchange uses a password, nothing to revoke; it was erased")
        secret = json.loads(self.box.decrypt(conn.secret)) if conn.secret else {}
        token = secret.get("token")
        if not token:
            return Revocation(False, "no token was stored")
        settings = json.loads(conn.settings or "{}")
        auth = self._oauth(kind, token, lambda _blob: None, settings.get("scopes") or None)
        try:
            auth.revoke()  # Google "Using OAuth 2.0 to Access Google APIs": revoking a token
        except BridgeError as exc:
            return Revocation(False, f"revocation at Google failed ({exc.message}); erased here")
        return Revocation(True, "the grant was revoked at Google")

    def scopes(self, connection_id: int) -> Sequence[str]:
        conn = self.store.connection(connection_id)
        return tuple(json.loads(conn.settings or "{}").get("scopes", ()))
