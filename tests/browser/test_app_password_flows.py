"""App passwords in a real browser (A6): made with a label and shown exactly once, accepted
by the DAV server, listed with their last use, and refused at once after revocation."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import Portal
from tests.browser.flows import (
    DavClient,
    Sandboxes,
    connected,
    create_app_password,
    open_page,
    sandboxes,
    shot,
)

__all__ = ["open_page", "sandboxes"]  # fixtures


def test_app_password_shown_once_works_shows_last_use_and_revokes(
    portal: Portal, sandboxes: Sandboxes, open_page: Callable[[], Page]
) -> None:
    page = open_page()
    who, _ = connected(page, portal, sandboxes)
    user, password = create_app_password(page, portal, "Thunderbird at home")
    shot(page, "app-password-created")
    expect(page.get_by_role("note")).to_have_text("Copy it now: it is shown only this once.")
    assert user == who.email
    expect(page.get_by_text(str(portal.demo.info["dav_url"]))).to_be_visible()

    page.get_by_role("link", name="Done").click()
    expect(page).to_have_url(portal.at("app-passwords"))
    row = page.get_by_role("row").filter(has_text="Thunderbird at home")
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(2)).to_have_text("never")
    page.reload()
    expect(row).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text(password)  # the list never shows it

    dav = DavClient(portal, user, password)
    assert "Calendar — Microsoft 365" in dav.calendars()
    page.reload()
    expect(row.get_by_role("cell").nth(2)).to_have_text("just now")

    row.get_by_role("button", name="Revoke Thunderbird at home").click()
    expect(page.get_by_role("row").filter(has_text="Thunderbird at home")).to_have_count(0)
    assert dav.home().status_code == 401
    other = DavClient(portal, user, password + "x")  # and a wrong one never worked
    assert other.home().status_code == 401
