"""Microsoft 365 set up by the administrator for everyone (P3 "admin"): application
permissions (client-credentials grant) proven once against the administrator's own mailbox,
then one managed Graph connection per user whose effective policy says so — no consent and no
secret of the user stored.

A mixin of bridge.accounts.onboarding.Onboarding (which provides the store, connections, policy and the
status/sync helpers declared below). Must not import the portal or radicale, nor log secrets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bridge.accounts.connections import Connections
from bridge.accounts.statuses import ConnectionStatus
from bridge.errors import (
    AuthExpired,
    BadInput,
    Forbidden,
    PolicyRefused,
    ProviderBusy,
    ProviderError,
    ReadOnly,
    RemoteNotFound,
)
from bridge.model import ProviderKind
from bridge.organisation.policy import Policy
from bridge.store import Store
from bridge.store.rows import ConnectionPolicy, ConnectionRow, UserRow

log = logging.getLogger("davbridge")

_APP_PERMISSIONS = (
    "Calendars.ReadWrite, Contacts.ReadWrite, Tasks.ReadWrite.All (task lists) and User.Read.All"
)


def is_managed(conn: ConnectionRow) -> bool:
    """Whether the administrator set the connection up (application permissions)."""
    return conn.config.managed


class AppPermissions:
    store: Store
    connections: Connections
    policy_for: Callable[[int], Policy]

    if TYPE_CHECKING:

        def _user(self, username: str) -> UserRow: ...

        def status(self, connection_id: int) -> ConnectionStatus: ...

        def _sync_quietly(self, connection_id: int) -> None: ...

    def enable_app_permissions(self, actor: str) -> int:
        """The administrator's "set up for everyone": prove the configured Graph app's
        application permission reads the actor's own mailbox, then give every user whose
        effective policy says setup="admin" a managed connection. Returns how many have one."""
        admin = self._user(actor)
        if not admin.is_admin:
            raise Forbidden("only an administrator can set up Microsoft 365 for everyone")
        if not admin.email:
            raise BadInput("your user has no email address to test the application permission")
        self._probe(admin.email, strict=True)
        count = 0
        for user in self.store.users():
            if self.ensure_managed_connection(user.id) is not None:
                count += 1
        return count

    def _probe(self, email: str, strict: bool) -> bool:
        """Whether the application permission reaches `email`'s mailbox; with `strict` the
        reason it does not is raised in plain words."""
        try:
            provider = self.connections.app_only_provider(email)
            return bool(provider.account_email)  # GET /users/{upn}
        except AuthExpired as exc:
            reason = (
                "Microsoft 365 refused the bridge's application credentials (graph.client_id / "
                f"graph.client_secret): {exc.message}"
            )
        except ReadOnly as exc:
            reason = (
                "the app registration lacks admin-consented application permissions "
                f"({_APP_PERMISSIONS}) in Microsoft Entra ID: {exc.message}"
            )
        except RemoteNotFound:
            reason = f"there is no mailbox {email} in the Microsoft 365 tenant"
        except ProviderBusy as exc:
            reason = f"Microsoft 365 cannot be reached now, try again later: {exc.message}"
        except ProviderError as exc:
            reason = f"Microsoft 365 refused: {exc.message}"
        if strict:
            raise ProviderError("graph", reason)
        log.warning("no managed connection for a mailbox: %s", reason)
        return False

    def ensure_managed_connection(self, user_id: int) -> ConnectionStatus | None:
        """When the user's effective policy has setup="admin" (and the integration on,
        Microsoft 365 offered, their email's domain allowed): their Graph connection through
        the application permission, made once (idempotent). No secret of the user is stored;
        permissions are bounded by P5 through the policy clamp. Otherwise None."""
        policy = self.policy_for(user_id)
        if not policy.enabled or policy.setup != "admin" or "microsoft365" not in policy.services():
            return None
        email = self.store.user(user_id).email
        if not email:
            return None
        try:
            policy.check_domain(email)
        except PolicyRefused:
            return None
        for conn in self.store.connections(user_id):
            same = conn.provider == ProviderKind.GRAPH and conn.account.lower() == email.lower()
            if same and is_managed(conn):
                return self.status(conn.id)
        if not self._probe(email, strict=False):
            return None
        conn = self.connections.connect_app_only(user_id, email, ConnectionPolicy())
        log.info("managed Microsoft 365 connection %d for user %d", conn.id, user_id)
        self._sync_quietly(conn.id)
        return self.status(conn.id)
