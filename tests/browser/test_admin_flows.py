"""The admin area in a real browser (P2, P4, P5, P6), as the demo administrator: each setting
is saved on the organisation settings page and then seen from a user's own browser — a
refusal in plain words, a Connect page that offers less, a disabled checkbox with its reason,
and a crafted request that the server refuses anyway. Every test puts the organisation
settings back (fixture `org_settings`) because the other tests share the demo."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from playwright.sync_api import APIResponse, Page, expect

from tests.browser.conftest import Portal
from tests.browser.flows import (
    SUBMIT,
    Sandboxes,
    card,
    open_page,
    org_settings,
    sandboxes,
    shot,
    sign_in_with,
)

__all__ = ["open_page", "org_settings", "sandboxes"]  # fixtures


def save_settings(admin: Page) -> None:
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_role("status")).to_have_text("Organisation settings saved.")


def crafted_connect(page: Page, portal: Portal, **fields: str) -> APIResponse:
    """A POST the page's own form would never send, with the page's valid CSRF token."""
    csrf = page.locator("input[name=csrf]").first.get_attribute("value") or ""
    return page.request.post(portal.at("connect"), form={"csrf": csrf, **fields}, max_redirects=0)


def test_demo_admin_profile_shows_its_three_connections(portal: Portal, org_settings: Page) -> None:
    admin = org_settings
    shot(admin, "admin-settings")
    admin.get_by_role("link", name="Profile").click()
    for label, account in (
        ("Microsoft 365", "alex@contoso.example"),
        ("Google", "alex@contoso.example"),
        ("Exchange", "alex@contoso.example"),
    ):
        expect(card(admin, label, account).locator("dd.status")).to_have_text("working")
    shot(admin, "profile")


def test_allowed_domains_refuse_another_domain_with_a_clear_message(
    portal: Portal, sandboxes: Sandboxes, org_settings: Page, open_page: Callable[[], Page]
) -> None:
    admin = org_settings
    admin.get_by_label("Allowed email domains").fill("contoso.example")
    save_settings(admin)
    expect(admin.get_by_label("Allowed email domains")).to_have_value("contoso.example")

    stranger = sandboxes.add_microsoft(domain="fabrikam.example")
    page = open_page()
    page.goto(portal.at("signin"))
    page.get_by_role("link", name="Sign in with Microsoft").click()
    page.get_by_label("Email").fill(stranger.email)
    page.get_by_label("Password").fill(stranger.password)
    page.get_by_role("button", name=SUBMIT).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("fabrikam.example")
    expect(alert).to_contain_text("contoso.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to davbridge")
    page.goto(portal.url)
    expect(page).to_have_url(portal.at("signin"))  # not signed in

    colleague = sandboxes.add_microsoft()  # the allowed domain still gets in
    sign_in_with(open_page(), portal, "Microsoft", colleague)


def test_forced_default_service_is_the_only_one_offered_and_accepted(
    portal: Portal, sandboxes: Sandboxes, org_settings: Page, open_page: Callable[[], Page]
) -> None:
    admin = org_settings
    admin.get_by_label("Default service", exact=True).select_option("google")
    admin.get_by_label("Only the default service").check()
    save_settings(admin)

    page = open_page()
    sign_in_with(page, portal, "Microsoft", sandboxes.add_microsoft())
    page.goto(portal.at("connect"))
    expect(page.get_by_role("radio")).to_have_count(1)
    expect(page.get_by_role("radio", name="Google")).to_be_checked()
    refused = crafted_connect(page, portal, service="microsoft365", read_calendars="1")
    assert refused.status == 403, refused.text()
    assert "Google" in refused.text()
    sneaky = crafted_connect(page, portal, service="exchange", read_calendars="1")
    assert sneaky.status == 403, sneaky.text()


def test_read_only_policy_disables_write_with_the_reason_and_refuses_it(
    portal: Portal, sandboxes: Sandboxes, org_settings: Page, open_page: Callable[[], Page]
) -> None:
    admin = org_settings
    admin.get_by_label("Users may let the bridge write calendars").uncheck()
    save_settings(admin)

    page = open_page()
    sign_in_with(page, portal, "Microsoft", sandboxes.add_microsoft())
    page.goto(portal.at("connect"))
    write = page.get_by_label(re.compile("^Write calendars"))
    expect(write).to_be_disabled()
    expect(write).not_to_be_checked()
    expect(page.get_by_text("Your administrator allows calendars to be read only")).to_be_visible()
    refused = crafted_connect(
        page, portal, service="microsoft365", read_calendars="1", write_calendars="1"
    )
    assert refused.status == 403, refused.text()
    assert "read only" in refused.text()


def test_group_override_changes_what_its_member_sees(
    portal: Portal, sandboxes: Sandboxes, org_settings: Page, open_page: Callable[[], Page]
) -> None:
    member, outsider = sandboxes.add_microsoft(), sandboxes.add_microsoft()
    page, other = open_page(), open_page()
    sign_in_with(page, portal, "Microsoft", member)
    sign_in_with(other, portal, "Microsoft", outsider)
    contacts = page.get_by_label("Sync contacts")
    expect(contacts).to_be_enabled()

    admin, group = org_settings, f"browser-{uuid.uuid4().hex[:6]}"
    admin.get_by_role("navigation", name="Admin").get_by_role("link", name="Groups").click()
    admin.get_by_label("Name").fill(group)
    admin.get_by_role("button", name="Create group").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(f"Group {group}")
    try:
        admin.get_by_label("Users may sync contacts").select_option("0")
        admin.get_by_role("button", name="Save group").click()
        expect(admin.get_by_role("status")).to_have_text(f"Group {group} saved.")
        admin.get_by_role("navigation", name="Admin").get_by_role("link", name="Users").click()
        row = admin.get_by_role("row").filter(has_text=member.email)
        row.get_by_label("Group").select_option(label=group)
        row.get_by_role("button", name=f"Save {member.email}").click()
        admin.get_by_role("navigation", name="Admin").get_by_role("link", name="Groups").click()
        admin.get_by_role("link", name=group).click()
        expect(admin.get_by_role("listitem").filter(has_text=member.email)).to_be_visible()
        shot(admin, "admin-group", admin.get_by_text("Users may let the bridge write calendars"))

        page.reload()
        expect(contacts).to_be_disabled()
        expect(page.get_by_text("does not allow contacts")).to_be_visible()
        other.reload()
        expect(other.get_by_label("Sync contacts")).to_be_enabled()  # not in the group
    finally:
        admin.goto(portal.at("admin/groups"))
        admin.get_by_role("link", name=group).click()
        admin.get_by_role("button", name=f"Delete group {group}").click()
        expect(admin.get_by_role("status")).to_have_text(f"Group {group} deleted.")
    page.reload()
    expect(contacts).to_be_enabled()  # back to the organisation's settings
