"""Connecting calendars and contacts under the organisation's policy (A1–A3, P1–P5): every
check is made before anything is sent to a provider; the connected account's domain is checked
before anything is stored; what the user ticked must make sense (writing calendars needs
reading them); connections the administrator sets up with application permissions (P3) are
made here too. Also the status page's view of each connection (A2).

It decides and orchestrates; consent, credentials and storage are bridge/connections.py's, the
policy values and their wording bridge/policy.py's. Must not import radicale or the portal, and
must not log secrets.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace

from bridge.connections import Connections, PendingConsent
from bridge.errors import (
    AuthExpired,
    BadInput,
    BridgeError,
    NotFound,
    PolicyRefused,
    ProviderBusy,
)
from bridge.managed import AppPermissions, is_managed
from bridge.model import ProviderKind
from bridge.policy import Policy
from bridge.settings import Settings
from bridge.statuses import ConnectionStatus, first_sync_words, service_of
from bridge.store import Store
from bridge.store.rows import ConnectionPolicy, ConnectionRow, UserRow
from bridge.sync.enforcement import clamp
from bridge.sync.engine import BUSY_PREFIX, SyncEngine

log = logging.getLogger("davbridge")

__all__ = ["ConnectionStatus", "Onboarding"]

MANAGED_MESSAGE = (
    "Your administrator connects Microsoft 365 for everyone; there is nothing to set up "
    "yourself, and its permissions are managed by your administrator."
)
NOTHING_TICKED = (
    "Tick at least one of \u201cread calendars\u201d and \u201csync contacts\u201d: "
    "otherwise the bridge has nothing to do."
)
WRITE_NEEDS_READ = (
    "\u201cWrite calendars\u201d needs \u201cread calendars\u201d: tick read calendars "
    "too, or untick write calendars."
)


class Onboarding(AppPermissions):
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

    # -- lookups ----------------------------------------------------------------------------
    def _user(self, username: str) -> UserRow:
        user = self.store.user_by_name(username)
        if user is None:
            raise NotFound(f"no user {username!r}")
        return user

    def own(self, username: str, connection_id: int) -> tuple[UserRow, ConnectionRow]:
        """The user's connection; another user's is NotFound (its existence is not revealed)."""
        user = self._user(username)
        try:
            conn = self.store.connection(connection_id)
        except NotFound:
            conn = None
        if conn is None or conn.user_id != user.id:
            raise NotFound(f"user {username!r} has no connection {connection_id}")
        return user, conn

    # -- what may be connected ----------------------------------------------------------------
    def services_for(self, username: str) -> tuple[str, ...]:
        """Services the user may connect themselves: the policy's (default first), without
        Microsoft 365 when the administrator sets it up for everyone (P3)."""
        policy = self.policy_for(self._user(username).id)
        return tuple(s for s in policy.services() if s != "microsoft365" or policy.setup != "admin")

    def _check_service(self, policy: Policy, service: str) -> None:
        policy.check_service(service)  # P1, P2 (BadInput for an unknown service)
        if service == "microsoft365" and policy.setup == "admin":
            raise PolicyRefused("setup", MANAGED_MESSAGE)  # P3

    @staticmethod
    def _check_ticks(*, calendars: bool, write: bool, contacts: bool) -> None:
        """What the user ticked must make sense (A1): writing calendars needs reading them,
        and a connection must read calendars or sync contacts (BadInput, 400)."""
        if write and not calendars:
            raise BadInput(WRITE_NEEDS_READ)
        if not (calendars or contacts):
            raise BadInput(NOTHING_TICKED)

    def check_connect(
        self, username: str, service: str, *, write: bool, contacts: bool, calendars: bool = True
    ) -> None:
        """Every check of a connect without sending anything anywhere: P1, P2 (service), P3,
        P5 (permissions), then the ticks themselves. The portal calls it before showing the
        Exchange form; `begin_connect` and `connect_exchange` make the same checks."""
        policy = self.policy_for(self._user(username).id)
        self._check_service(policy, service)
        policy.check_permissions(write=write, contacts=contacts)
        self._check_ticks(calendars=calendars, write=write, contacts=contacts)

    @staticmethod
    def _oauth_kind(policy: Policy, service: str) -> ProviderKind:
        if service == "google":
            return ProviderKind.GOOGLE
        if service == "microsoft365":
            return ProviderKind.GRAPH
        raise BadInput(f"{service} is connected with the Exchange form (user name and password)")

    # -- OAuth connect (A1) -----------------------------------------------------------------
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
        kind = self._oauth_kind(policy, service)
        policy.check_permissions(write=write, contacts=contacts)  # P5
        self._check_ticks(calendars=calendars, write=write, contacts=contacts)
        return self.connections.begin_consent(
            kind, user.id, redirect_uri, write=write, contacts=contacts, calendars=calendars
        )

    def complete_connect(
        self, pending: PendingConsent, response: Mapping[str, str]
    ) -> ConnectionStatus:
        """Redeem the provider's answer (state checked by msal / oauthlib). The policy is
        checked again, the scopes must be the least for the recorded permissions, and the
        account's domain must be allowed (P4) — otherwise the grant is dropped and nothing is
        stored. Then one sync; its errors are recorded on the connection, not raised."""
        policy = self.policy_for(pending.user_id)
        service = "microsoft365" if pending.provider is ProviderKind.GRAPH else "google"
        self._check_service(policy, service)
        perms = pending.policy
        policy.check_permissions(write=perms.write_calendars, contacts=perms.sync_contacts)
        least = Connections.scopes_for(
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

    # -- Exchange (A1) -----------------------------------------------------------------------
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
        """Exchange Server over EWS: P1, P2, P3, P4 (the
        mailbox's address), P5 and the ticks first, then the connection is tested (AuthFailed
        "wrong user name or password", ProviderError "cannot reach …") and stored, then synced
        once."""
        user = self._user(username)
        policy = self.policy_for(user.id)
        self._check_service(policy, service)
        if service == "google":
            raise BadInput("Google is connected through Google's sign-in page")
        if service == "microsoft365":
            raise BadInput(
                "Microsoft 365 is connected through the Microsoft sign-in: Exchange Online no "
                "longer serves Exchange Web Services to davbridge."
            )
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
        )
        self._sync_quietly(conn.id)
        return self.status(conn.id)

    # -- changing a connection (A2, A3) -----------------------------------------------------
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
        if is_managed(conn):
            raise PolicyRefused("setup", MANAGED_MESSAGE)
        policy.check_permissions(write=write, contacts=contacts)
        self._check_ticks(calendars=calendars, write=write, contacts=contacts)
        kind = ProviderKind(conn.provider)
        if kind is ProviderKind.EWS:
            new = replace(
                conn.policy, read_calendars=calendars, write_calendars=write, sync_contacts=contacts
            )
            self.connections.set_policy(conn.id, new)
            self._sync_quietly(conn.id)
            return None
        return self.connections.begin_consent(
            kind,
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
        if conn.provider == ProviderKind.EWS.value:
            raise BadInput("an Exchange connection is re-authorized with its new password")
        if is_managed(conn):
            raise PolicyRefused("setup", MANAGED_MESSAGE)
        policy = self.policy_for(user.id)
        self._check_service(policy, service_of(conn.provider, {})[0])
        perms = clamp(policy, conn.policy)
        return self.connections.begin_consent(
            ProviderKind(conn.provider),
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
        if conn.provider != ProviderKind.EWS.value:
            raise BadInput("only Exchange connections are re-authorized with a password")
        settings = json.loads(conn.settings or "{}")
        service, _ = service_of(conn.provider, settings)
        policy = self.policy_for(user.id)
        policy.check_enabled()
        policy.check_domain(conn.account)
        self.connections.connect_ews(
            user.id,
            url=settings["ews_url"],
            username=settings["username"],
            password=password,
            email=settings["email"],
            version=settings.get("version"),
            auth_type=settings.get("auth_type"),
            permissions=conn.policy,
            service=service,
        )
        self._sync_quietly(conn.id)
        return self.status(conn.id)

    def check_deletable(self, username: str, connection_id: int) -> None:
        """Refuse deleting a connection the administrator manages (P3); NotFound for another
        user's. The lead calls it at the top of Bridge.delete_connection."""
        _, conn = self.own(username, connection_id)
        if is_managed(conn):
            raise PolicyRefused("setup", MANAGED_MESSAGE)

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
                self.store.set_connection_status(connection_id, "ok", BUSY_PREFIX + exc.message)
                return
            except BridgeError as exc:
                self.store.set_connection_status(connection_id, "error", exc.message)
                log.warning("first sync of connection %d failed: %s", connection_id, exc.message)
                return
        for coll in colls:
            self.engine.refresh(coll.id)
