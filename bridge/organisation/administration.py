"""Administration of the bridge's users and organisation: accounts and portal passwords, sign-in
checks (throttled; the P1/P4 gate), groups and the organisation policy (P1–P7, P6 overrides),
the P7 connect prompt, and the portal's server-side sessions.

It answers in records (UserRecord, GroupRecord, SessionRecord) and raises errors from
bridge/errors.py. It must not talk to providers or connections (bridge/accounts/onboarding.py does) and
never returns or stores a plaintext password or session token: passwords are kept as scrypt
hashes, sessions under the sha256 of their token.

Administrators are never locked out of the portal by the policy: P1 (integration off) and P4
(allowed domains) refuse other users' sign-ins, but an admin can always sign in to fix them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bridge.errors import AuthFailed, BadInput, Forbidden, NotFound
from bridge.organisation.policy import Policy, normalize_domain, policy_from_dict
from bridge.organisation.throttle import LoginThrottle
from bridge.secrets import hash_password, verify_password
from bridge.settings import Settings
from bridge.store import Store
from bridge.store.sqlite import GroupRow, SessionRow, UserRow

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
# names are DAV principal path segments and HTTP Basic user-ids: no "/", ":", blanks, controls
_USER_NAME = re.compile(r"^[^\s/:\x00-\x1f\x7f]{1,128}$")
_WRONG = "wrong user name or password"


@dataclass(frozen=True)
class UserRecord:
    id: int
    name: str
    email: str | None
    is_admin: bool
    group_id: int | None
    has_password: bool
    sign_ins: int

    @staticmethod
    def of(row: UserRow) -> UserRecord:
        return UserRecord(
            row.id, row.name, row.email, row.is_admin, row.group_id, row.has_password, row.sign_ins
        )


@dataclass(frozen=True)
class GroupRecord:
    """A group; `overrides` (read-only) holds only the settings it overrides, as Policy holds
    them (allowed_domains as a tuple)."""

    id: int
    name: str
    overrides: Mapping[str, object]


@dataclass(frozen=True)
class SessionRecord:
    token_hash: str
    user_id: int | None
    csrf: str
    created: float
    expires: float


class Operator:
    """The type of OPERATOR: whoever runs `davbridge` on the server (holds the database
    anyway). Only composition roots pass it; the portal passes the signed-in user's name, a
    str, and can never become it."""

    def __repr__(self) -> str:
        return "OPERATOR"


OPERATOR = Operator()
Actor = str | Operator


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown users, so they cost the same time as known ones."""
    return hash_password(secrets.token_urlsafe(16))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise BadInput(f"a password may have at most {MAX_PASSWORD} characters")


def _clean_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    local, at, domain = email.strip().rpartition("@")
    if not at or not local:
        raise BadInput(f"{email!r} is not an email address")
    return f"{local}@{normalize_domain(domain)}"


class Administration:
    """Users, groups, organisation policy and portal sessions over the store.

    Admin-only methods take `actor`: the signed-in user's name (Forbidden unless an admin), or
    OPERATOR for the command line.

    `throttle` counts failed portal sign-ins (keys "user:<name>", "client:<address>"); pass
    the one `Bridge.login` uses to share it. `clock` (wall time) dates sessions."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        throttle: LoginThrottle | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.throttle = throttle or LoginThrottle()
        self.session_ttl_s = settings.portal.session_hours * 3600.0
        self._clock = clock

    # -- users ----------------------------------------------------------------------------------
    def create_user(
        self,
        name: str,
        email: str | None = None,
        password: str | None = None,
        admin: bool = False,
    ) -> UserRecord:
        """A new user; without a password they can sign in only with Microsoft or Google."""
        if not _USER_NAME.match(name):
            raise BadInput(
                f"{name!r} cannot be a user name (1 to 128 characters, no blanks, '/' or ':')"
            )
        if self.store.user_by_name(name) is not None:
            raise BadInput(f"a user named {name!r} already exists")
        if password is not None:
            _check_new_password(password)
        password_hash = hash_password(password) if password is not None else None
        row = self.store.create_user(name, _clean_email(email), password_hash, admin)
        return UserRecord.of(row)

    def set_password(self, name: str, password: str) -> None:
        """Set (or change) a user's portal password; their portal sessions end."""
        _check_new_password(password)
        user = self._row(name)
        self.store.set_user_password_hash(user.id, hash_password(password))
        self.store.delete_user_sessions(user.id)

    def user(self, user_id: int) -> UserRecord:
        return UserRecord.of(self.store.user(user_id))

    def user_by_name(self, name: str) -> UserRecord | None:
        row = self.store.user_by_name(name)
        return UserRecord.of(row) if row else None

    def users(self) -> list[UserRecord]:
        return [UserRecord.of(row) for row in self.store.users()]

    def _row(self, name: str) -> UserRow:
        row = self.store.user_by_name(name)
        if row is None:
            raise NotFound(f"no user {name!r}")
        return row

    # -- sign-in --------------------------------------------------------------------------------
    def check_password(self, name: str, password: str, client: str) -> UserRecord:
        """Portal sign-in with a local password. AuthFailed with the same words whether the
        user is unknown, has no password or typed a wrong one (and in about the same time);
        TooManyAttempts after repeated failures for the name or the client address; then the
        policy gate (P1, P4) unless the user is an admin."""
        keys = (f"user:{name}", f"client:{client}")
        for key in keys:
            self.throttle.check(key)
        row = self.store.user_by_name(name)
        stored = self.store.user_password_hash(row.id) if row else None
        too_long = len(password) > MAX_PASSWORD
        checked = password[:MAX_PASSWORD]
        ok = verify_password(checked, stored or _dummy_hash()) and stored is not None
        if row is None or not ok or too_long:
            for key in keys:
                self.throttle.failed(key)
            raise AuthFailed(_WRONG)
        # only the name is forgiven: one's own good password must not reset a shared address
        self.throttle.succeeded(keys[0])
        self._gate(row, row.email or "")
        return UserRecord.of(row)

    def sign_in_identity(self, email: str, name: str) -> UserRecord:
        """Portal sign-in with Microsoft or Google (OpenID Connect; the identity is verified by
        bridge/organisation/signin.py): the user whose email matches, case-insensitively, or a new user
        named by the email address. The policy gate (P1, P4) comes first: a refused identity
        creates no user. `name` (the display name) is kept for labels such as the calendars a
        grant shows others ("Calendar (Megan Bowen)")."""
        address = _clean_email(email)
        if address is None:
            raise AuthFailed("the identity provider did not tell your email address")
        row = self.store.user_by_email(address)
        if row is not None:
            self._gate(row, address)
        else:
            org = self.org_policy()
            org.check_enabled()
            org.check_domain(address)
            row = self.store.create_user(self._free_name(address), address)
        if name.strip():
            self.store.set_display_name(row.id, name.strip()[:200])
        return UserRecord.of(row)

    def _free_name(self, address: str) -> str:
        """The address itself, or with "-2", "-3" … when a user already has that name (an
        existing account is never taken over by a sign-in that merely matches its name)."""
        candidate, n = address, 1
        while self.store.user_by_name(candidate) is not None:
            n += 1
            candidate = f"{address}-{n}"
        return candidate

    def _gate(self, row: UserRow, email: str) -> None:
        if row.is_admin:
            return  # admins must always be able to reach the settings to fix them
        policy = self.policy_for(row.id)
        policy.check_enabled()
        policy.check_domain(email)

    def record_sign_in(self, user_id: int) -> bool:
        """Count a portal sign-in; True when it is the user's first."""
        return self.store.count_sign_in(user_id) == 1

    # -- organisation policy and groups ---------------------------------------------------------
    def _require_admin(self, actor: Actor) -> UserRow | None:
        """The acting admin's row (None for the OPERATOR); Forbidden for anyone else."""
        if actor is OPERATOR:
            return None
        row = self.store.user_by_name(actor) if isinstance(actor, str) else None
        if row is None or not row.is_admin:
            raise Forbidden("Only an administrator may change the organisation's settings.")
        return row

    def org_policy(self) -> Policy:
        return policy_from_dict(json.loads(self.store.org_policy()))

    def set_org_policy(self, actor: Actor, policy: Policy) -> None:
        self._require_admin(actor)
        self.store.set_org_policy(json.dumps(policy.as_dict(), sort_keys=True))

    def _group(self, row: GroupRow) -> GroupRecord:
        stored: dict[str, object] = json.loads(row.overrides or "{}")
        applied = Policy().with_overrides(stored)  # validates, normalises
        values = {key: getattr(applied, key) for key in stored}
        return GroupRecord(row.id, row.name, MappingProxyType(values))

    def groups(self) -> list[GroupRecord]:
        return [self._group(row) for row in self.store.groups()]

    def group(self, group_id: int) -> GroupRecord:
        return self._group(self.store.group(group_id))

    def create_group(self, actor: Actor, name: str) -> GroupRecord:
        self._require_admin(actor)
        clean = name.strip()
        if not clean or len(clean) > 100 or any(ord(ch) < 32 for ch in clean):
            raise BadInput("a group needs a name of 1 to 100 characters")
        return self._group(self.store.create_group(clean))

    def set_group_overrides(
        self, actor: Actor, group_id: int, overrides: Mapping[str, object]
    ) -> GroupRecord:
        """Replace the group's overrides (only the settings given are overridden)."""
        self._require_admin(actor)
        applied = Policy().with_overrides(overrides)  # BadInput on unknown keys or bad values
        data = {key: applied.as_dict()[key] for key in overrides}
        self.store.set_group_overrides(group_id, json.dumps(data, sort_keys=True))
        return self.group(group_id)

    def delete_group(self, actor: Actor, group_id: int) -> None:
        """Members stay, under the organisation policy."""
        self._require_admin(actor)
        self.store.delete_group(group_id)

    def set_user_group(self, actor: Actor, username: str, group_id: int | None) -> None:
        self._require_admin(actor)
        user = self._row(username)
        if group_id is not None:
            self.store.group(group_id)  # NotFound
        self.store.set_user_group(user.id, group_id)

    def set_admin(self, actor: Actor, username: str, admin: bool) -> None:
        """Grant or remove admin rights. An admin cannot remove their own (so at least one
        admin always remains)."""
        me = self._require_admin(actor)
        user = self._row(username)
        if me is not None and user.id == me.id and not admin:
            raise Forbidden(
                "You cannot remove your own administrator rights; ask another administrator."
            )
        self.store.set_user_admin(user.id, admin)

    def policy_for(self, user_id: int) -> Policy:
        """The user's effective policy: the organisation's with their group's overrides (P6)."""
        org = self.org_policy()
        group_id = self.store.user(user_id).group_id
        if group_id is None:
            return org
        return org.with_overrides(json.loads(self.store.group(group_id).overrides or "{}"))

    def should_prompt_connect(
        self, user_id: int, first_sign_in: bool, has_connections: bool
    ) -> bool:
        """P7: whether to send the user to the connect page after this sign-in."""
        policy = self.policy_for(user_id)
        if has_connections or not policy.services():
            return False
        if policy.connect_prompt == "every":
            return True
        return policy.connect_prompt == "first" and first_sign_in

    # -- portal sessions ------------------------------------------------------------------------
    def _new_row(self, user_id: int | None) -> tuple[str, SessionRow]:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        row = SessionRow(
            _token_hash(token), user_id, secrets.token_urlsafe(32), now, now + self.session_ttl_s
        )
        return token, row

    @staticmethod
    def _record(row: SessionRow) -> SessionRecord:
        return SessionRecord(row.token_hash, row.user_id, row.csrf, row.created, row.expires)

    def new_session(self, user_id: int | None) -> tuple[str, SessionRecord]:
        """A session (signed in when `user_id` is given); the token goes only to the cookie."""
        token, row = self._new_row(user_id)
        self.store.add_session(row)
        return token, self._record(row)

    def session(self, token: str) -> SessionRecord | None:
        """The live session of a token; None when unknown or expired (an expired one is ended)."""
        if not token:
            return None
        key = _token_hash(token)
        row = self.store.session_row(key)
        if row is None:
            return None
        if row.expires <= self._clock():
            self.store.delete_session(key)
            return None
        return self._record(row)

    def sign_session_in(self, token: str, user_id: int) -> tuple[str, SessionRecord]:
        """Sign in: the old session (if any) ends and a new token and CSRF token are issued, so
        a token planted before sign-in is worth nothing after it (no session fixation)."""
        new_token, row = self._new_row(user_id)
        self.store.replace_session(_token_hash(token), row)
        return new_token, self._record(row)

    def end_session(self, token: str) -> None:
        if token:
            self.store.delete_session(_token_hash(token))
