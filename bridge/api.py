"""The facade the adapters (Radicale plugins, portal, CLI) call: one `Bridge` per process.

It wires the store, secrets, connections and the sync engine together and answers in terms
of model records. Adapters call its methods only — never its services (tests/unit/test_layers.py
checks every attribute they use on it). The organisation and account methods are in
bridge/facade/. It must not import radicale.

Radicale builds its plugins from class names, so they cannot be handed the Bridge: the DAV
server hosting them (bridge.entry.serve.HttpServer) installs it (`install`) and the plugins ask
for it with `current()`. Nothing else uses that handle (tests/unit/test_layers.py checks it); the
portal and the CLI are handed the object.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bridge.accounts.connections import Connections, PendingConsent, Revocation
from bridge.accounts.onboarding import ConnectionStatus, Onboarding
from bridge.errors import (
    AuthExpired,
    AuthFailed,
    BadInput,
    BridgeError,
    Busy,
    Forbidden,
    LimitExceeded,
    NotFound,
    PolicyRefused,
    ProviderBusy,
    ProviderError,
    TooManyAttempts,
)
from bridge.facade.accounts import AccountsFacade
from bridge.facade.dav import DavFacade
from bridge.facade.delegation import DelegationFacade, ProxyRights
from bridge.facade.keys import KeysFacade
from bridge.facade.organisation import OrganisationFacade
from bridge.facade.scheduling import ScheduleResponse, SchedulingFacade
from bridge.facade.shared import SharedFacade
from bridge.files import private_dir
from bridge.model import (
    CollectionChange,
    CollectionKind,
    CollectionRecord,
    ProviderKind,
)
from bridge.organisation.administration import (
    Administration,
    GroupRecord,
    SessionRecord,
    UserRecord,
)
from bridge.organisation.dav_logins import DavLogins, LoginOutcome
from bridge.organisation.policy import INHERIT, POLICY_FIELDS, SERVICES, Policy, parse_policy_form
from bridge.organisation.signin import Identity, SignIn
from bridge.organisation.throttle_shared import SharedLoginThrottle, SharedPacing
from bridge.secrets import (
    SecretBox,
    hash_password,
    new_app_password,
    verify_password,
)
from bridge.settings import Settings
from bridge.store import Store
from bridge.store.delegation import GrantRow
from bridge.store.sqlite import ConnectionRow, UserRow
from bridge.sync.collections import ChangeOutcome, CollectionAdmin
from bridge.sync.delegation import GrantCopies
from bridge.sync.engine import SyncEngine
from bridge.sync.itip import SchedulingService
from bridge.sync.outside import OutsideWindow
from bridge.sync.rerender import rerender_user
from bridge.sync.scheduler import Refresher
from bridge.sync.views import BY_KEY as VIEW_KEYS
from bridge.sync.views import MeetingViews
from bridge.sync.writes import WriteThrough

log = logging.getLogger("davbridge")

__all__ = [
    "INHERIT",
    "POLICY_FIELDS",
    "SERVICES",
    "AuthExpired",
    "AuthFailed",
    "BadInput",
    "Bridge",
    "BridgeError",
    "ChangeOutcome",
    "CollectionChange",
    "CollectionKind",
    "CollectionRecord",
    "ConnectionStatus",
    "LoginOutcome",
    "Forbidden",
    "GrantRow",
    "GroupRecord",
    "Identity",
    "NotFound",
    "PendingConsent",
    "Policy",
    "PolicyRefused",
    "ProxyRights",
    "ProviderError",
    "ProviderKind",
    "Revocation",
    "ScheduleResponse",
    "SessionRecord",
    "SyncProgress",
    "TooManyAttempts",
    "UserRecord",
    "parse_policy_form",
    "Busy",
    "LimitExceeded",
    "ProviderBusy",
    "current",
    "install",
]


@dataclass(frozen=True)
class SyncProgress:
    """How far a connection's first sync got: `current` is the collection being pulled
    (empty when finished), `items` the events and contacts mirrored so far."""

    current: str
    done: int
    total: int
    items: int


class Bridge(
    DavFacade,
    AccountsFacade,
    OrganisationFacade,
    KeysFacade,
    SharedFacade,
    DelegationFacade,
    SchedulingFacade,
):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        private_dir(settings.data_dir)  # 0700: the mirror and everything beside it
        self.store = Store(settings.store_target)
        self.store.lock_timeout_s = settings.server.lock_timeout_seconds
        key_file = settings.secrets.key_file or str(settings.data_dir / "secret.key")
        self.key_file = Path(key_file)
        self.box = SecretBox.load(self.key_file)
        self.connections = Connections(self.store, self.box, settings)
        self.engine = SyncEngine(
            self.store,
            self.connections.provider,
            settings.sync,
            contacts=self.connections.contacts_provider,
            region_for=self._region_of_user,
            limits=settings.limits,
            lock_timeout_s=settings.server.lock_timeout_seconds,
        )
        self.refresher = Refresher(self.engine)
        self.writes = WriteThrough(self.engine, settings.server.write_budget_seconds)
        self.collection_admin = CollectionAdmin(self.engine)
        self.scheduling = SchedulingService(self.engine)  # RFC 6638 (issue 16)
        self.outside_window = OutsideWindow(self.engine)
        shared = self.store.dialect == "postgres"  # several processes share the counts
        self.admin = Administration(
            self.store,
            settings,
            throttle=SharedLoginThrottle(self.store, "throttle:portal") if shared else None,
        )
        self.meeting_views = MeetingViews(self.engine)  # C4 (branch views)
        self.grant_copies = GrantCopies(self.engine)  # bridge-level grants (issue 15)
        self.engine.on_discovered = self.grant_copies.follow_owner
        self.engine.policy_for = self.admin.policy_for  # P1/P5 clamp every connection
        self.signin = SignIn(settings)
        self.onboarding = Onboarding(
            self.store, self.connections, self.engine, settings, self.admin.policy_for
        )
        self.dav_logins = DavLogins(
            self._app_password_matches,
            SharedLoginThrottle(self.store, "throttle:dav") if shared else None,
            fingerprint_key=self.box.derived_key("dav-login-fingerprints") if shared else None,
            pacing=SharedPacing(self.store, "pace:dav") if shared else None,
        )

    # -- users ----------------------------------------------------------------------------
    def ensure_user(self, name: str, email: str | None = None) -> UserRow:
        return self.store.user_by_name(name) or self.store.create_user(name, email)

    def new_app_password(self, user: UserRow | UserRecord, label: str) -> str:
        """Create an app password; the plaintext is returned once and stored only hashed."""
        password = new_app_password()
        self.store.add_app_password(user.id, label, hash_password(password))
        return password

    def list_app_passwords(self, username: str) -> list[tuple[int, str, float, float | None]]:
        """(id, label, created, last used) of each of the user's app passwords (A6)."""
        user = self._user(username)
        return [(p.id, p.label, p.created, p.last_used) for p in self.store.app_passwords(user.id)]

    def revoke_app_password(self, username: str, password_id: int) -> None:
        """Delete an app password; it stops working at once (the login cache is emptied)."""
        user = self._user(username)
        if not self.store.delete_app_password(user.id, password_id):
            raise NotFound(f"user {username!r} has no app password {password_id}")
        self.forget_logins_everywhere()

    def _user(self, username: str) -> UserRow:
        user = self.store.user_by_name(username)
        if user is None:
            raise NotFound(f"no user {username!r}")
        return user

    def accepted_years(self) -> tuple[int, int]:
        """The years a client may write or query ([limits] min_year, max_year)."""
        limits = self.settings.limits
        return limits.min_year, limits.max_year

    def check_login(self, username: str, password: str, client: str = "") -> LoginOutcome:
        """Check DAV/lookup/phonebook credentials (user name + app password) from the client
        address `client`: the user, or why not (wrong: 401; too many failures: 429 with
        `retry_after`). See bridge.organisation.dav_logins for how failures are counted and paced; a
        correct credential is never refused because of other clients' failures."""
        self.follow_logins()  # another process may have revoked an app password (issue 17)
        return self.dav_logins.check(username, password, client)

    def login(self, username: str, password: str, client: str = "") -> bool:
        return self.check_login(username, password, client).ok

    def lookup_token_failed(self, client: str, token: str) -> None:
        """A wrong `[contacts] lookup_token` counts against the client address."""
        self.dav_logins.secret_failed(client, token)

    def _app_password_matches(self, username: str, password: str) -> bool:
        """The slow check (scrypt) of an app password; touches its last-use time."""
        user = self.store.user_by_name(username)
        if user is not None:
            for pw_id, stored in self.store.app_password_hashes(user.id):
                if verify_password(password, stored):
                    self.store.touch_app_password(pw_id)
                    return True
        else:
            verify_password(password, hash_password("timing-equaliser"))
        return False

    # -- connections (A2, A4, A5) ------------------------------------------------------------
    def _connection_of(self, username: str, connection_id: int) -> ConnectionRow:
        return self.onboarding.own(username, connection_id)[1]

    def connection_statuses(self, username: str) -> list[ConnectionStatus]:
        """What a status page shows for each of the user's connections (A2)."""
        return self.onboarding.statuses(username)

    def set_toggle(self, username: str, connection_id: int, kind: str, on: bool) -> ConnectionRow:
        """Switch a connection's calendars or contacts on or off (A4). Off hides its
        collections from clients and stops pulling them; the mirror and the consent stay, so
        switching on again needs no new consent."""
        conn = self._connection_of(username, connection_id)
        if kind not in ("calendars", "contacts"):
            raise BadInput(f"toggle {kind!r}: expected 'calendars' or 'contacts'")
        policy = replace(conn.policy, **{f"{kind}_enabled": on})
        updated = self.connections.set_policy(conn.id, policy)
        if on:
            self._sync_quietly(conn.id)
        return updated

    def not_zoom_line(self, username: str) -> bool:
        return self.store.not_zoom_line(self._user(username).id)

    def set_not_zoom_line(self, username: str, on: bool) -> int:
        """The user's "Not a Zoom meeting · Host" line on or off (SPEC C3); their events are
        rendered again at once (new ETags). Returns how many events changed."""
        user = self._user(username)
        self.store.set_not_zoom_line(user.id, on)
        return rerender_user(self.engine, user.id)

    def meeting_view_switches(self, username: str) -> frozenset[str]:
        """The meeting views (C4) the user switched on: "zoom", "hosted"."""
        return self.store.meeting_views(self._user(username).id)

    def set_meeting_view(self, username: str, view: str, on: bool) -> frozenset[str]:
        """Switch one meeting view ("zoom" or "hosted") on or off for the user (C4); clients
        see the calendar appear or go at their next listing."""
        if view not in VIEW_KEYS:
            raise BadInput(f"unknown meeting view {view!r}: expected one of {', '.join(VIEW_KEYS)}")
        user = self._user(username)
        views = set(self.store.meeting_views(user.id))
        views = views | {view} if on else views - {view}
        self.store.set_meeting_views(user.id, views)
        self.meeting_views.ensure(user.id)
        return frozenset(views)

    def _sync_quietly(self, connection_id: int) -> None:
        try:
            self.sync_connection(connection_id)
        except BridgeError as exc:  # recorded on the connection; the toggle itself holds
            log.warning("sync of connection %d after a change failed: %s", connection_id, exc)

    def delete_connection(self, username: str, connection_id: int) -> Revocation:
        """Delete a connection (A5): revoke the grant where the provider allows, erase its
        secret and everything mirrored from it; its collections disappear from clients."""
        conn = self._connection_of(username, connection_id)
        self.onboarding.check_deletable(username, conn.id)
        revocation = self.connections.revoke(conn.id)
        colls = self.store.collections(connection_id=conn.id)
        with contextlib.ExitStack() as held:  # wait (bounded) for pulls and writes in flight
            for coll in colls:
                held.enter_context(self.engine.locked(coll.id))
            self.store.delete_connection(conn.id)
        self.connections.forget(conn.id)
        log.info("deleted connection %d (%s): %s", conn.id, conn.provider, revocation.note)
        return revocation

    # -- lifecycle ------------------------------------------------------------------------
    def _region_of_user(self, user_id: int) -> str:
        return self.store.user_region(user_id) or self.settings.contacts.default_region

    def sync_connection(
        self, connection_id: int, progress: Callable[[SyncProgress], None] | None = None
    ) -> None:
        """Discover the connection's calendars and address books and pull each now (waits).
        `progress` hears after discovery and after each collection how far the sync got."""
        colls = self.engine.discover_calendars(connection_id)
        colls += self.engine.discover_address_books(connection_id)
        done: list[CollectionRecord] = []
        items = 0
        for coll in colls:
            if progress is not None:
                progress(SyncProgress(coll.display_name, len(done), len(colls), items))
            outcome = self.engine.refresh(coll.id)
            items += outcome.changed if outcome is not None else 0
            done.append(coll)
        if progress is not None:
            progress(SyncProgress("", len(done), len(colls), items))

    def start_background(self) -> None:
        if self.settings.sync.background:
            self.refresher.start_loop()

    def close(self) -> None:
        self.refresher.stop()
        self.writes.close()
        self.scheduling.close()
        self.store.close()


_current: Bridge | None = None


def install(bridge: Bridge | None) -> None:
    """Make `bridge` the process-wide instance the Radicale plugins use."""
    global _current
    _current = bridge


def current() -> Bridge:
    if _current is None:
        raise RuntimeError("davbridge is not initialised (bridge.api.install was not called)")
    return _current
