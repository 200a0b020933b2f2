"""Administration on a real SQLite store: users and portal passwords, throttled sign-in with the
policy gate, OIDC identities, groups and effective policy (P6), the P7 prompt, admin-only
actions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.errors import AuthFailed, BadInput, Forbidden, NotFound, PolicyRefused, TooManyAttempts
from bridge.organisation.administration import Administration, UserRecord
from bridge.organisation.policy import Policy
from bridge.organisation.throttle import LoginThrottle
from bridge.settings import Settings
from bridge.store import Store

PASSWORD = "correct horse battery"


@pytest.fixture
def admin(tmp_path: Path) -> Administration:
    store = Store(tmp_path / "db.sqlite3")
    adm = Administration(store, Settings(), throttle=LoginThrottle(3, 300, 60))
    adm.create_user("root", "root@contoso.example", PASSWORD, admin=True)
    return adm


# -- users and passwords ------------------------------------------------------------------------
def test_create_user_and_read_back(admin: Administration) -> None:
    alex = admin.create_user("alex", "Alex@Contoso.Example")
    assert alex == UserRecord(
        alex.id, "alex", "Alex@contoso.example", False, None, has_password=False, sign_ins=0
    )
    assert admin.user(alex.id) == alex == admin.user_by_name("alex")
    assert admin.user_by_name("nobody") is None
    assert [u.name for u in admin.users()] == ["alex", "root"]
    assert admin.user_by_name("root").is_admin  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["", "a b", "a/b", "a:b", "x" * 129, "tab\tname"])
def test_bad_user_names_refused(admin: Administration, name: str) -> None:
    with pytest.raises(BadInput):
        admin.create_user(name)


def test_duplicate_user_and_bad_email_refused(admin: Administration) -> None:
    with pytest.raises(BadInput, match="already exists"):
        admin.create_user("root")
    with pytest.raises(BadInput):
        admin.create_user("eve", "not-an-address")


def test_short_password_refused(admin: Administration) -> None:
    with pytest.raises(BadInput, match="at least 10"):
        admin.create_user("alex", password="short")
    assert admin.user_by_name("alex") is None
    admin.create_user("alex")
    with pytest.raises(BadInput):
        admin.set_password("alex", "123456789")


def test_password_sign_in(admin: Administration) -> None:
    assert admin.check_password("root", PASSWORD, "10.0.0.1").name == "root"
    with pytest.raises(AuthFailed) as wrong:
        admin.check_password("root", PASSWORD + "x", "10.0.0.1")
    with pytest.raises(AuthFailed) as unknown:
        admin.check_password("ghost", PASSWORD, "10.0.0.1")
    assert wrong.value.message == unknown.value.message == "wrong user name or password"


def test_user_without_password_cannot_sign_in_with_one(admin: Administration) -> None:
    admin.create_user("alex", "alex@contoso.example")
    with pytest.raises(AuthFailed):
        admin.check_password("alex", "", "c")
    admin.set_password("alex", "a new password")
    assert admin.user_by_name("alex").has_password  # type: ignore[union-attr]
    admin.check_password("alex", "a new password", "c")


def test_password_is_stored_hashed(admin: Administration, tmp_path: Path) -> None:
    admin.store.close()
    data = b"".join(p.read_bytes() for p in tmp_path.glob("db.sqlite3*"))
    assert PASSWORD.encode() not in data
    assert b"scrypt$" in data


def test_password_change_ends_sessions(admin: Administration) -> None:
    root = admin.user_by_name("root")
    assert root is not None
    token, _ = admin.new_session(root.id)
    admin.set_password("root", "another long password")
    assert admin.session(token) is None
    with pytest.raises(AuthFailed):
        admin.check_password("root", PASSWORD, "c")


# -- throttling ---------------------------------------------------------------------------------
def test_repeated_failures_lock_the_name(admin: Administration) -> None:
    for i in range(3):
        with pytest.raises(AuthFailed):
            admin.check_password("root", "guess", f"10.0.0.{i}")
    with pytest.raises(TooManyAttempts) as info:
        admin.check_password("root", PASSWORD, "10.0.0.9")  # even the right password
    assert info.value.retry_after == 60


def test_repeated_failures_lock_the_client(admin: Administration) -> None:
    admin.create_user("alex", password=PASSWORD)
    for name in ("a", "b", "c"):
        with pytest.raises(AuthFailed):
            admin.check_password(name, "guess", "10.0.0.1")
    with pytest.raises(TooManyAttempts):
        admin.check_password("alex", PASSWORD, "10.0.0.1")
    assert admin.check_password("alex", PASSWORD, "10.0.0.2").name == "alex"


def test_success_forgives_earlier_failures_of_the_name(admin: Administration) -> None:
    for _ in range(2):
        with pytest.raises(AuthFailed):
            admin.check_password("root", "guess", "c1")
    admin.check_password("root", PASSWORD, "c2")
    for _ in range(2):
        with pytest.raises(AuthFailed):
            admin.check_password("root", "guess", "c3")
    admin.check_password("root", PASSWORD, "c4")


# -- the policy gate at sign-in (P1, P4); admins are never locked out -----------------------
def test_other_domain_and_switched_off_refuse_users_but_not_admins(admin: Administration) -> None:
    admin.create_user("eve", "eve@fabrikam.example", PASSWORD)
    admin.create_user("alex", "alex@contoso.example", PASSWORD)
    admin.set_org_policy("root", Policy(allowed_domains=("contoso.example",)))
    with pytest.raises(PolicyRefused) as info:
        admin.check_password("eve", PASSWORD, "c")
    assert "Accounts of fabrikam.example may not use" in info.value.message
    admin.check_password("alex", PASSWORD, "c")
    admin.set_org_policy("root", Policy(enabled=False, allowed_domains=("fabrikam.example",)))
    with pytest.raises(PolicyRefused) as info:
        admin.check_password("alex", PASSWORD, "c")
    assert info.value.setting == "enabled"
    # the admin's own domain is not allowed and the integration is off: still signs in
    assert admin.check_password("root", PASSWORD, "c").is_admin


def test_wrong_password_says_nothing_about_the_policy(admin: Administration) -> None:
    admin.create_user("eve", "eve@fabrikam.example", PASSWORD)
    admin.set_org_policy("root", Policy(allowed_domains=("contoso.example",)))
    with pytest.raises(AuthFailed):
        admin.check_password("eve", "guess", "c")


def test_identity_sign_in_matches_email_or_creates_a_user(admin: Administration) -> None:
    alex = admin.create_user("alex", "alex@contoso.example")
    assert admin.sign_in_identity("ALEX@contoso.example", "Alex Wilber").id == alex.id
    megan = admin.sign_in_identity("megan@contoso.example", "Megan Bowen")
    assert (megan.name, megan.email, megan.is_admin) == (
        "megan@contoso.example",
        "megan@contoso.example",
        False,
    )
    assert admin.sign_in_identity("megan@contoso.example", "Megan").id == megan.id
    # the identity's display name is kept (grant copies are labelled with it), latest wins
    assert admin.store.user(alex.id).display_name == "Alex Wilber"
    assert admin.store.user(megan.id).display_name == "Megan"


def test_identity_never_takes_over_a_user_named_like_the_address(admin: Administration) -> None:
    squatter = admin.create_user("lee@contoso.example", None, PASSWORD)
    lee = admin.sign_in_identity("lee@contoso.example", "Lee")
    assert lee.id != squatter.id
    assert lee.name == "lee@contoso.example-2"


def test_identity_of_another_domain_creates_no_user(admin: Administration) -> None:
    admin.set_org_policy("root", Policy(allowed_domains=("contoso.example",)))
    with pytest.raises(PolicyRefused):
        admin.sign_in_identity("eve@fabrikam.example", "Eve")
    assert admin.user_by_name("eve@fabrikam.example") is None
    admin.set_org_policy("root", Policy(allowed_domains=("fabrikam.example",)))
    assert admin.sign_in_identity("root@contoso.example", "Root").name == "root"  # admin


def test_record_sign_in_reports_the_first(admin: Administration) -> None:
    root = admin.user_by_name("root")
    assert root is not None
    assert admin.record_sign_in(root.id) is True
    assert admin.record_sign_in(root.id) is False
    assert admin.user(root.id).sign_ins == 2


# -- admin-only actions -------------------------------------------------------------------------
def test_non_admins_cannot_administer(admin: Administration) -> None:
    admin.create_user("alex")
    group = admin.create_group("root", "Sales")
    for action in (
        lambda: admin.set_org_policy("alex", Policy(enabled=False)),
        lambda: admin.create_group("alex", "Mine"),
        lambda: admin.set_group_overrides("alex", group.id, {"allow_contacts": False}),
        lambda: admin.delete_group("alex", group.id),
        lambda: admin.set_user_group("alex", "alex", group.id),
        lambda: admin.set_admin("alex", "alex", True),
        lambda: admin.set_admin("ghost", "alex", True),
    ):
        with pytest.raises(Forbidden):
            action()
    assert admin.org_policy() == Policy()
    assert not admin.user_by_name("alex").is_admin  # type: ignore[union-attr]
    assert [g.name for g in admin.groups()] == ["Sales"]


def test_admins_grant_admin_but_cannot_drop_their_own(admin: Administration) -> None:
    admin.create_user("alex")
    admin.set_admin("root", "alex", True)
    assert admin.user_by_name("alex").is_admin  # type: ignore[union-attr]
    with pytest.raises(Forbidden, match="your own administrator rights"):
        admin.set_admin("root", "root", False)
    assert admin.user_by_name("root").is_admin  # type: ignore[union-attr]
    admin.set_admin("alex", "root", False)
    assert not admin.user_by_name("root").is_admin  # type: ignore[union-attr]


# -- groups and the effective policy (P6) -----------------------------------------------------
def test_group_overrides_apply_to_members_only(admin: Administration) -> None:
    alex = admin.create_user("alex")
    bob = admin.create_user("bob")
    admin.set_org_policy("root", Policy(allow_contacts=False, default_service="google"))
    sales = admin.create_group("root", "  Sales ")
    assert sales.name == "Sales" and dict(sales.overrides) == {}
    sales = admin.set_group_overrides(
        "root", sales.id, {"allow_contacts": True, "allowed_domains": ["Contoso.example"]}
    )
    assert dict(sales.overrides) == {
        "allow_contacts": True,
        "allowed_domains": ("contoso.example",),
    }
    admin.set_user_group("root", "alex", sales.id)
    assert admin.user(alex.id).group_id == sales.id
    alex_policy = admin.policy_for(alex.id)
    assert alex_policy.allow_contacts and alex_policy.allowed_domains == ("contoso.example",)
    assert alex_policy.default_service == "google"  # inherited
    assert admin.policy_for(bob.id) == admin.org_policy()
    # a later org change still reaches the group's members for what it does not override
    admin.set_org_policy("root", Policy(allow_contacts=False, allow_write_calendars=False))
    assert admin.policy_for(alex.id).allow_contacts is True
    assert admin.policy_for(alex.id).allow_write_calendars is False


def test_group_overrides_are_replaced_not_merged(admin: Administration) -> None:
    group = admin.create_group("root", "G")
    admin.set_group_overrides("root", group.id, {"allow_contacts": False})
    group = admin.set_group_overrides("root", group.id, {"force_service": True})
    assert dict(group.overrides) == {"force_service": True}


def test_bad_group_input(admin: Administration) -> None:
    group = admin.create_group("root", "G")
    with pytest.raises(BadInput):
        admin.create_group("root", "G")
    with pytest.raises(BadInput):
        admin.create_group("root", "   ")
    with pytest.raises(BadInput):
        admin.set_group_overrides("root", group.id, {"is_admin": True})
    with pytest.raises(BadInput):
        admin.set_group_overrides("root", group.id, {"setup": "everyone"})
    with pytest.raises(NotFound):
        admin.set_group_overrides("root", 999, {})
    with pytest.raises(NotFound):
        admin.set_user_group("root", "root", 999)
    with pytest.raises(NotFound):
        admin.set_user_group("root", "ghost", group.id)


def test_deleting_a_group_returns_members_to_the_org_policy(admin: Administration) -> None:
    alex = admin.create_user("alex")
    group = admin.create_group("root", "Closed")
    admin.set_group_overrides("root", group.id, {"enabled": False})
    admin.set_user_group("root", "alex", group.id)
    assert admin.policy_for(alex.id).services() == ()
    admin.delete_group("root", group.id)
    assert admin.user(alex.id).group_id is None
    assert admin.policy_for(alex.id) == Policy()
    admin.set_user_group("root", "alex", None)


# -- P7 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prompt", "first", "connected", "expected"),
    [
        ("first", True, False, True),
        ("first", False, False, False),
        ("first", True, True, False),
        ("every", False, False, True),
        ("every", True, True, False),
        ("never", True, False, False),
    ],
)
def test_connect_prompt(
    admin: Administration, prompt: str, first: bool, connected: bool, expected: bool
) -> None:
    alex = admin.create_user("alex")
    admin.set_org_policy("root", Policy(connect_prompt=prompt))
    assert admin.should_prompt_connect(alex.id, first, connected) is expected


def test_no_prompt_when_switched_off_for_the_group(admin: Administration) -> None:
    alex = admin.create_user("alex")
    group = admin.create_group("root", "Off")
    admin.set_group_overrides("root", group.id, {"enabled": False})
    admin.set_user_group("root", "alex", group.id)
    admin.set_org_policy("root", Policy(connect_prompt="every"))
    assert admin.should_prompt_connect(alex.id, True, False) is False


def test_the_operator_administers_from_the_command_line(admin: Administration) -> None:
    from bridge.organisation.administration import OPERATOR

    group = admin.create_group(OPERATOR, "Ops")
    admin.set_group_overrides(OPERATOR, group.id, {"allow_contacts": False})
    admin.set_user_group(OPERATOR, "root", group.id)
    admin.set_admin(OPERATOR, "root", False)
    assert not admin.user_by_name("root").is_admin  # type: ignore[union-attr]
    with pytest.raises(Forbidden):
        admin.create_group("OPERATOR", "not the operator")  # a name is never the operator


def test_users_of_an_older_database_survive_migration_4(tmp_path: Path) -> None:
    import sqlite3

    from bridge.store.migrations import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:3]:
        db.executescript(script)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    db.execute("INSERT INTO schema_version VALUES (3)")
    db.execute("INSERT INTO users (name, email, created) VALUES ('alex', 'a@contoso.example', 0)")
    db.commit()
    db.close()
    adm = Administration(Store(path), Settings())
    alex = adm.user_by_name("alex")
    assert alex is not None
    assert (alex.is_admin, alex.group_id, alex.has_password, alex.sign_ins) == (
        False,
        None,
        False,
        0,
    )
    assert adm.org_policy() == Policy()
