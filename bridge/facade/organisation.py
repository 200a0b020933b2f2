"""The facade's organisation methods: users and their portal passwords, groups, the policy
(P1–P7), portal sessions and signing in with Microsoft or Google. Adapters (portal, CLI,
Radicale plugins) call these on the Bridge instead of reaching bridge.organisation.administration or
bridge.organisation.signin.

Delegates only: the decisions are Administration's and SignIn's. Must not log secrets.
"""

from __future__ import annotations

from collections.abc import Mapping

from bridge.organisation.administration import (
    Actor,
    Administration,
    GroupRecord,
    SessionRecord,
    UserRecord,
)
from bridge.organisation.dav_logins import DavLogins
from bridge.organisation.policy import Policy
from bridge.organisation.signin import Identity, SignIn
from bridge.settings import Settings


class OrganisationFacade:
    settings: Settings
    admin: Administration
    signin: SignIn
    dav_logins: DavLogins

    def config(self) -> Settings:
        """The settings the bridge runs with (frozen values)."""
        return self.settings

    # -- users --------------------------------------------------------------------------------
    def users(self) -> list[UserRecord]:
        return self.admin.users()

    def user(self, user_id: int) -> UserRecord:
        return self.admin.user(user_id)

    def user_by_name(self, name: str) -> UserRecord | None:
        return self.admin.user_by_name(name)

    def create_user(
        self,
        name: str,
        email: str | None = None,
        password: str | None = None,
        admin: bool = False,
    ) -> UserRecord:
        return self.admin.create_user(name, email, password, admin)

    def set_password(self, name: str, password: str) -> None:
        self.admin.set_password(name, password)

    def check_password(self, name: str, password: str, client: str) -> UserRecord:
        """A portal password (paced per user and client address, see bridge.organisation.dav_logins)."""
        return self.admin.check_password(name, password, client)

    def login_retry_after(self, user: str, client: str) -> float:
        """Seconds until `client` may try credentials of `user` again (0: now)."""
        return self.dav_logins.retry_after(user, client)

    def set_admin(self, actor: Actor, username: str, admin: bool) -> None:
        self.admin.set_admin(actor, username, admin)

    # -- policy and groups (P1–P7) ------------------------------------------------------------
    def org_policy(self) -> Policy:
        return self.admin.org_policy()

    def set_org_policy(self, actor: Actor, policy: Policy) -> None:
        self.admin.set_org_policy(actor, policy)

    def policy_for(self, user_id: int) -> Policy:
        """The user's effective policy: the organisation's with their group's overrides."""
        return self.admin.policy_for(user_id)

    def groups(self) -> list[GroupRecord]:
        return self.admin.groups()

    def group(self, group_id: int) -> GroupRecord:
        return self.admin.group(group_id)

    def create_group(self, actor: Actor, name: str) -> GroupRecord:
        return self.admin.create_group(actor, name)

    def set_group_overrides(
        self, actor: Actor, group_id: int, overrides: Mapping[str, object]
    ) -> GroupRecord:
        return self.admin.set_group_overrides(actor, group_id, overrides)

    def delete_group(self, actor: Actor, group_id: int) -> None:
        self.admin.delete_group(actor, group_id)

    def set_user_group(self, actor: Actor, username: str, group_id: int | None) -> None:
        self.admin.set_user_group(actor, username, group_id)

    def should_prompt_connect(
        self, user_id: int, first_sign_in: bool, has_connections: bool
    ) -> bool:
        return self.admin.should_prompt_connect(user_id, first_sign_in, has_connections)

    # -- portal sessions and signing in ---------------------------------------------------------
    def new_session(self, user_id: int | None) -> tuple[str, SessionRecord]:
        return self.admin.new_session(user_id)

    def session(self, token: str) -> SessionRecord | None:
        return self.admin.session(token)

    def sign_session_in(self, token: str, user_id: int) -> tuple[str, SessionRecord]:
        return self.admin.sign_session_in(token, user_id)

    def end_session(self, token: str) -> None:
        self.admin.end_session(token)

    def record_sign_in(self, user_id: int) -> bool:
        return self.admin.record_sign_in(user_id)

    def sign_in_providers(self) -> tuple[str, ...]:
        return self.signin.providers()

    def begin_sign_in(self, provider: str, redirect_uri: str) -> tuple[str, dict[str, object]]:
        return self.signin.begin(provider, redirect_uri)

    def complete_sign_in(
        self, provider: str, flow: Mapping[str, object], response: Mapping[str, str]
    ) -> Identity:
        return self.signin.complete(provider, flow, response)

    def sign_in_identity(self, email: str, name: str) -> UserRecord:
        return self.admin.sign_in_identity(email, name)
