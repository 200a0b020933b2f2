"""The organisation policy (P1–P7): offered services, each check with the words users read,
group overrides and the admin forms, including crafted values."""

from __future__ import annotations

import pytest

from bridge.errors import BadInput, PolicyRefused
from bridge.organisation.policy import (
    POLICY_FIELDS,
    SERVICES,
    Policy,
    parse_policy_form,
    policy_from_dict,
)


def refused(call: object, *args: object, **kwargs: object) -> PolicyRefused:
    with pytest.raises(PolicyRefused) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return info.value


# -- P1 ---------------------------------------------------------------------------------------
def test_switched_off_offers_nothing_and_refuses_in_plain_words() -> None:
    policy = Policy(enabled=False)
    assert policy.services() == ()
    err = refused(policy.check_enabled)
    assert err.setting == "enabled"
    assert "switched off by your administrator" in err.message
    assert "ask your administrator" in err.message.lower()
    assert refused(policy.check_service, "google").setting == "enabled"
    assert err.http_status == 403


def test_enabled_passes() -> None:
    Policy().check_enabled()


# -- P2 ---------------------------------------------------------------------------------------
def test_services_default_first() -> None:
    assert Policy().services() == SERVICES
    assert Policy(default_service="google").services() == ("google", "microsoft365", "exchange")


def test_forced_service_hides_and_refuses_the_others() -> None:
    policy = Policy(default_service="google", force_service=True)
    assert policy.services() == ("google",)
    policy.check_service("google")
    err = refused(policy.check_service, "exchange")
    assert err.setting == "force_service"
    assert "only Google" in err.message and "not Exchange" in err.message
    assert "ask your administrator" in err.message.lower()


def test_unknown_service_is_bad_input() -> None:
    with pytest.raises(BadInput):
        Policy().check_service("icloud")


# -- P5 ---------------------------------------------------------------------------------------
def test_read_only_calendars_refuse_write_permission() -> None:
    policy = Policy(allow_write_calendars=False)
    policy.check_permissions(write=False, contacts=True)
    err = refused(policy.check_permissions, write=True, contacts=False)
    assert err.setting == "allow_write_calendars"
    assert err.message.startswith("Your administrator allows calendars to be read only")


def test_no_contacts_refuses_contacts_permission() -> None:
    policy = Policy(allow_contacts=False)
    policy.check_permissions(write=True, contacts=False)
    err = refused(policy.check_permissions, write=False, contacts=True)
    assert err.setting == "allow_contacts"
    assert "does not allow contacts" in err.message


# -- P4 ---------------------------------------------------------------------------------------
def test_any_domain_when_none_listed() -> None:
    Policy().check_domain("someone@anywhere.example")


def test_domains_compared_case_insensitively_on_the_last_at() -> None:
    policy = Policy(allowed_domains=("Contoso.Example",))
    assert policy.allowed_domains == ("contoso.example",)
    policy.check_domain("Alex@CONTOSO.example")
    policy.check_domain('"odd@fabrikam.example"@contoso.example')


def test_other_domain_refused_with_both_domains_named() -> None:
    policy = Policy(allowed_domains=("contoso.example",))
    err = refused(policy.check_domain, "eve@fabrikam.example")
    assert err.setting == "allowed_domains"
    assert "Accounts of fabrikam.example may not use" in err.message
    assert "(allowed: contoso.example)" in err.message


def test_account_without_email_refused_when_domains_are_listed() -> None:
    err = refused(Policy(allowed_domains=("contoso.example",)).check_domain, "")
    assert "Accounts without an email address may not use" in err.message


@pytest.mark.parametrize(
    "email",
    [
        "eve@evilcontoso.example",
        "eve@sales.contoso.example",
        "eve@contoso.example.evil",
        "contoso.example",
        "eve@contoso.example@fabrikam.example",
        "",
    ],
)
def test_lookalike_domains_are_refused(email: str) -> None:
    refused(Policy(allowed_domains=("contoso.example",)).check_domain, email)


def test_international_domains_match_their_idna_form() -> None:
    policy = Policy(allowed_domains=("bücher.example",))
    assert policy.allowed_domains == ("xn--bcher-kva.example",)
    policy.check_domain("anna@BÜCHER.example")
    policy.check_domain("anna@xn--bcher-kva.example")


# -- construction and overrides (P6) ---------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {"default_service": "icloud"},
        {"setup": "everyone"},
        {"connect_prompt": "always"},
        {"enabled": "yes"},
        {"allow_contacts": 1},
        {"allowed_domains": "contoso.example"},
        {"allowed_domains": ("not a domain",)},
        {"allowed_domains": ("-bad.example",)},
    ],
)
def test_invalid_policy_is_bad_input(kwargs: dict[str, object]) -> None:
    with pytest.raises(BadInput):
        Policy(**kwargs)  # type: ignore[arg-type]


def test_overrides_merge_over_the_org_policy() -> None:
    org = Policy(allowed_domains=("contoso.example",), allow_contacts=False)
    group = org.with_overrides({"allow_contacts": True, "force_service": True})
    assert group.allow_contacts and group.force_service
    assert group.allowed_domains == ("contoso.example",)
    assert org.allow_contacts is False  # the org policy is not changed
    assert org.with_overrides({}) == org
    assert org.with_overrides({"allowed_domains": ["A.example", "a.example"]}).allowed_domains == (
        "a.example",
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"is_admin": True},
        {"allow_contacts": "true"},
        {"allowed_domains": "contoso.example"},
        {"default_service": "aol"},
    ],
)
def test_bad_overrides_are_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(BadInput):
        Policy().with_overrides(overrides)


def test_as_dict_round_trips() -> None:
    policy = Policy(
        enabled=False,
        default_service="exchange",
        allowed_domains=("a.example", "b.example"),
        connect_prompt="every",
    )
    data = policy.as_dict()
    assert data["allowed_domains"] == ["a.example", "b.example"]
    assert set(data) == {f.name for f in POLICY_FIELDS}
    assert policy_from_dict(data) == policy
    assert policy_from_dict({}) == Policy()


# -- forms -------------------------------------------------------------------------------------
def org_form(**values: str) -> dict[str, str]:
    form = {
        "csrf": "token",
        "enabled": "on",
        "default_service": "google",
        "microsoft_api": "ews",
        "setup": "user",
        "allowed_domains": "Contoso.example\nfabrikam.example, contoso.example",
        "allow_contacts": "on",
        "connect_prompt": "every",
    }
    form.update(values)
    return form


def test_org_form_missing_checkboxes_are_false() -> None:
    values = parse_policy_form(org_form(), partial=False)
    policy = Policy().with_overrides(values)
    assert policy == Policy(
        enabled=True,
        default_service="google",
        force_service=False,
        setup="user",
        allowed_domains=("contoso.example", "fabrikam.example"),
        allow_write_calendars=False,
        allow_contacts=True,
        connect_prompt="every",
    )


def test_org_form_empty_domains_means_any() -> None:
    values = parse_policy_form(org_form(allowed_domains="  "), partial=False)
    assert values["allowed_domains"] == ()


@pytest.mark.parametrize(
    "crafted",
    [
        {"default_service": "icloud"},
        {"setup": "Admin"},
        {"connect_prompt": "<script>"},
        {"enabled": "maybe"},
        {"allowed_domains": "contoso.example evil@fabrikam.example"},
    ],
)
def test_org_form_crafted_values_are_bad_input(crafted: dict[str, str]) -> None:
    with pytest.raises(BadInput):
        parse_policy_form(org_form(**crafted), partial=False)


def test_org_form_tolerates_surrounding_blanks() -> None:
    assert parse_policy_form(org_form(setup=" admin "), partial=False)["setup"] == "admin"


def test_org_form_missing_select_is_bad_input() -> None:
    form = org_form()
    del form["default_service"]
    with pytest.raises(BadInput):
        parse_policy_form(form, partial=False)


def test_group_form_inherit_or_missing_is_not_overridden() -> None:
    form = {
        "csrf": "x",
        "enabled": "inherit",
        "allow_write_calendars": "0",
        "allow_contacts": "1",
        "allowed_domains": "",
        "default_service": "inherit",
        "connect_prompt": "never",
    }
    assert parse_policy_form(form, partial=True) == {
        "allow_write_calendars": False,
        "allow_contacts": True,
        "allowed_domains": (),
        "connect_prompt": "never",
    }
    assert parse_policy_form({}, partial=True) == {}


def test_group_form_crafted_value_is_bad_input() -> None:
    with pytest.raises(BadInput):
        parse_policy_form({"allow_write_calendars": "please"}, partial=True)


def test_fields_describe_values_in_plain_words() -> None:
    by_name = {f.name: f for f in POLICY_FIELDS}
    assert by_name["allowed_domains"].describe([]) == "any domain"
    assert by_name["setup"].describe("admin") == "The administrator, once for everyone"
    assert by_name["enabled"].describe(False) == "no"
    assert [f.name for f in POLICY_FIELDS] == list(Policy().as_dict())


def test_the_retired_microsoft365_over_ews_setting_is_ignored_when_read_back() -> None:
    """Stored by an earlier version: Exchange Online no longer serves EWS, so Microsoft 365 is
    always connected through Graph and the old choice is neither offered nor an error."""
    assert policy_from_dict({"microsoft_api": "ews", "setup": "admin"}) == Policy(setup="admin")
    assert "microsoft_api" not in {f.name for f in POLICY_FIELDS}
