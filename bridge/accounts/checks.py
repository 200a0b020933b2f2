"""What may be connected under the organisation's policy (A1, P1–P3, P5): the services a user
may connect, and the checks every connect makes before anything is sent to a provider — the
service is enabled and offered, the permissions allowed, and what the user ticked makes sense
(writing calendars needs reading them).

Decides only: must not talk to providers or store anything. The policy values and their wording
are bridge/organisation/policy.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bridge.errors import BadInput, NotFound, PolicyRefused
from bridge.organisation.policy import Policy
from bridge.store import Store
from bridge.store.rows import ConnectionRow, UserRow

if TYPE_CHECKING:
    from bridge.accounts.connections import Connections
    from bridge.accounts.statuses import ConnectionStatus

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


class ConnectChecks:
    """The lookups and policy checks the connect and re-authorize flows share."""

    store: Store
    policy_for: Callable[[int], Policy]
    connections: Connections

    if TYPE_CHECKING:  # Onboarding's, which every flow ends with

        def status(self, connection_id: int) -> ConnectionStatus: ...

        def _sync_quietly(self, connection_id: int) -> None: ...

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
