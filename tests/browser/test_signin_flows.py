"""Signing in to the portal in a real browser: a local password (a wrong one shows the plain
message and lets nobody in), and "Sign in with Microsoft" / "Sign in with Google" through the
sandbox identity providers' own sign-in pages, for identities added just for the test."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import Portal
from tests.browser.flows import (
    PASSWORD,
    SUBMIT,
    Sandboxes,
    at_provider_sign_in,
    local_user,
    open_page,
    sandboxes,
    shot,
    sign_in_with,
)

__all__ = ["open_page", "sandboxes"]  # fixtures


def test_local_password_signs_in_and_a_wrong_one_is_refused_plainly(
    portal: Portal, open_page: Callable[[], Page]
) -> None:
    name = local_user(portal)
    page = open_page()
    page.goto(portal.at("signin"))
    shot(page, "signin")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill("not " + PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("wrong user name or password")
    expect(page.get_by_label("User name")).to_have_value(name)  # kept, the password is not
    expect(page.get_by_label("Password")).to_have_value("")
    page.goto(portal.url)
    expect(page).to_have_url(portal.at("signin"))  # still nobody signed in
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header .username")).to_have_text(name)
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)  # not an administrator
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(portal.at("signin"))
    page.goto(portal.at("app-passwords"))
    expect(page).to_have_url(portal.at("signin"))


def test_sign_in_with_microsoft_through_the_sandbox_page(
    portal: Portal, sandboxes: Sandboxes, open_page: Callable[[], Page]
) -> None:
    who = sandboxes.add_microsoft()
    page = open_page()
    page.goto(portal.at("signin"))
    page.get_by_role("link", name="Sign in with Microsoft").click()
    expect(page).to_have_url(re.compile("^" + re.escape(sandboxes.graph["authority"])))
    at_provider_sign_in(page, portal, who)
    expect(page.locator("header .username")).to_have_text(who.email)
    # first sign-in, nothing connected: the organisation's default prompt sends them to Connect
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Connect calendar and contacts service"
    )
    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_text("No calendar or contacts service is connected yet.")).to_be_visible()


def test_sign_in_with_google_through_the_sandbox_page(
    portal: Portal, sandboxes: Sandboxes, open_page: Callable[[], Page]
) -> None:
    who = sandboxes.add_google()
    page = open_page()
    page.goto(portal.at("signin"))
    page.get_by_role("link", name="Sign in with Google").click()
    expect(page).to_have_url(re.compile("^" + re.escape(sandboxes.google["auth_uri"])))
    at_provider_sign_in(page, portal, who)
    expect(page.locator("header .username")).to_have_text(who.email)
    # a second sign-in finds the same bridge user (no "-2" twin) and no prompt any more
    page.get_by_role("button", name="Sign out").click()
    sign_in_with(page, portal, "Google", who)
    expect(page).to_have_url(portal.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your calendars and contacts")


def test_wrong_password_at_the_provider_does_not_sign_in(
    portal: Portal, sandboxes: Sandboxes, open_page: Callable[[], Page]
) -> None:
    who = sandboxes.add_microsoft()
    page = open_page()
    page.goto(portal.at("signin"))
    page.get_by_role("link", name="Sign in with Microsoft").click()
    page.get_by_label("Email").fill(who.email)
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name=SUBMIT).click()
    expect(page.get_by_text("Your account or password is incorrect.")).to_be_visible()
    page.goto(portal.url)
    expect(page).to_have_url(portal.at("signin"))
