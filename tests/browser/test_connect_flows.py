"""Connecting each service from the Connect page in a real browser (A1): Microsoft 365 and
Google through the sandbox's OAuth sign-in page, Exchange through the form (a wrong password
shows the plain error and saves nothing). Afterwards the profile shows the connection with
what was granted, and a calendar app signed in with an app password sees its calendars."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import Portal
from tests.browser.flows import (
    DavClient,
    Sandboxes,
    card,
    connect_oauth,
    create_app_password,
    open_page,
    sandboxes,
    shot,
    sign_in_with,
    wait_until,
)

__all__ = ["open_page", "sandboxes"]  # fixtures


def granted(page: Page, label: str, account: str, words: list[str]) -> None:
    """The profile lists the connection, working, with exactly these permissions ticked."""
    section = card(page, label, account)
    expect(section).to_be_visible()
    expect(section.locator("dd.status")).to_have_text("working")
    expect(section.locator("ul.ticks li")).to_have_text(words)


def test_connect_microsoft_365_and_a_calendar_app_sees_its_calendars(
    portal: Portal, sandboxes: Sandboxes, open_page: Callable[[], Page]
) -> None:
    who = sandboxes.add_microsoft()
    page = open_page()
    sign_in_with(page, portal, "Microsoft", who)
    shot(page, "connect")
    connect_oauth(page, portal, "microsoft365", who)
    granted(page, "Microsoft 365", who.email, ["read calendars", "write calendars"])
    user, password = create_app_password(page, portal, "Laptop")
    assert user == who.email
    dav = DavClient(portal, user, password)
    cals = wait_until(dav.calendars, "the Microsoft 365 calendar is served")
    assert "Calendar — Microsoft 365" in cals, cals


def test_connect_google_and_a_calendar_app_sees_its_calendars(
    portal: Portal, sandboxes: Sandboxes, open_page: Callable[[], Page]
) -> None:
    who = sandboxes.add_google()
    page = open_page()
    sign_in_with(page, portal, "Google", who)
    connect_oauth(page, portal, "google", who, write=False)
    granted(page, "Google", who.email, ["read calendars"])
    dav = DavClient(portal, *create_app_password(page, portal, "Phone"))
    cals = wait_until(dav.calendars, "the Google calendars are served")
    assert any(name.endswith("— Google") for name in cals), cals


def fill_exchange_form(page: Page, portal: Portal, ews: dict[str, str], password: str) -> None:
    """Connect page → Exchange → the form, filled as the mailbox's owner would."""
    page.goto(portal.at("connect"))
    page.get_by_role("radio", name="Exchange").check()
    page.get_by_label("Sync contacts").uncheck()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Connect Exchange (Exchange Web Services)"
    )
    page.get_by_label("User name or UPN").fill(ews["username"])
    page.get_by_label("Email address of the mailbox").fill(ews["upn"])
    page.get_by_label("Password").fill(password)
    page.get_by_label("Exchange version").select_option(ews["version"])
    page.get_by_label("EWS URL").fill(ews["ews_url"])


def test_connect_exchange_with_the_form(
    portal: Portal, sandboxes: Sandboxes, open_page: Callable[[], Page]
) -> None:
    ews = sandboxes.ews
    who = sandboxes.add_microsoft()
    page = open_page()
    sign_in_with(page, portal, "Microsoft", who)
    fill_exchange_form(page, portal, ews, "not the password")
    shot(page, "exchange-form")
    page.get_by_role("button", name="Test and connect").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong user name or password")
    # what was typed is kept, except the password; nothing was saved
    expect(page.get_by_label("User name or UPN")).to_have_value(ews["username"])
    expect(page.get_by_label("Password")).to_have_value("")
    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_text("No calendar or contacts service is connected yet.")).to_be_visible()

    fill_exchange_form(page, portal, ews, ews["password"])
    page.get_by_role("button", name="Test and connect").click()
    expect(page).to_have_url(portal.url)
    expect(page.get_by_role("status")).to_contain_text(
        f"Connected Exchange ({ews['upn']}): read calendars, write calendars."
    )
    granted(page, "Exchange", ews["upn"], ["read calendars", "write calendars"])
    dav = DavClient(portal, *create_app_password(page, portal, "Desktop"))
    cals = wait_until(dav.calendars, "the Exchange calendars are served")
    assert any(name.endswith("— Exchange") for name in cals), cals
