"""The portal's pages doing their jobs: status (A2), toggles (A4), delete (A5), app passwords
shown once (A6), the admin area (P1–P7 forms, groups, users), and the words for times."""

from __future__ import annotations

import re

from bridge.portal.render import due_time, human_time
from tests.portal.conftest import Browser, Running, new_user, signed_in


def test_profile_shows_each_connection_in_plain_words(running: Running) -> None:
    browser = admin_browser(running)
    page = browser.get("/").text
    for status in running.bridge.onboarding.statuses("demo"):
        assert status.account in page and status.label in page
    connection_cards = page.count('<section class="card" aria-labelledby="conn-')
    assert connection_cards == len(running.bridge.onboarding.statuses("demo"))
    assert "<li>read calendars</li>" in page
    assert re.search(
        r"Last successful sync</dt><dd[^>]*><time[^>]*>(just now|\d+ minutes? ago)", page
    )
    assert 'href="/admin"' in page  # the demo user is an administrator


def admin_browser(running: Running) -> Browser:
    """The demo user: an administrator with a portal password."""
    return signed_in(running, "demo", password=running.info.portal_password)


def test_toggle_off_and_on_keeps_the_connection(running: Running) -> None:
    browser = admin_browser(running)
    status = running.bridge.onboarding.statuses("demo")[0]
    page = browser.get(f"/connections/{status.id}")
    assert "Switch contacts off" in page.text or "Switch contacts on" in page.text
    off = browser.post(f"/connections/{status.id}/toggle", {"kind": "calendars", "on": "0"})
    assert off.status_code == 200 and f"Calendars of {status.account}: off." in off.text
    assert not running.bridge.onboarding.status(status.id).calendars_enabled
    on = browser.post(f"/connections/{status.id}/toggle", {"kind": "calendars", "on": "1"})
    assert on.status_code == 200 and "Switch calendars off" in on.text
    assert running.bridge.onboarding.status(status.id).calendars_enabled
    bad = browser.post(f"/connections/{status.id}/toggle", {"kind": "mail", "on": "1"})
    assert bad.status_code == 400


def test_app_password_is_shown_once_then_listed_without_the_secret(running: Running) -> None:
    name = new_user(running)
    browser = signed_in(running, name)
    created = browser.post("/app-passwords", {"label": "Thunderbird at home"})
    assert created.status_code == 200
    password = re.search(r'<code class="secret">([^<]+)</code>', created.text)
    assert password is not None
    secret = password.group(1)
    for words in ("Server URL", "User name", "Password", running.info.dav_url, name):
        assert words in created.text
    assert running.bridge.login(name, secret)  # it works for DAV clients
    again = browser.get(created.url)  # a reload neither shows it again nor makes another
    assert again.status_code == 200 and secret not in again.text and "only once" in again.text
    assert len(running.bridge.list_app_passwords(name)) == 1
    listing = browser.get("/app-passwords")
    assert "Thunderbird at home" in listing.text and secret not in listing.text
    assert "never" not in listing.text  # created and last used (by the login above): just now
    ((pw_id, _, _, _),) = running.bridge.list_app_passwords(name)
    revoked = browser.post(f"/app-passwords/{pw_id}/revoke")
    assert revoked.status_code == 200 and "revoked" in revoked.text
    assert "Thunderbird at home" not in revoked.text
    assert not running.bridge.login(name, secret)


def test_delete_asks_first_then_removes_the_connection(running: Running) -> None:
    ews = running.info.sandboxes.ews
    assert ews is not None
    name = new_user(running)
    browser = signed_in(running, name)
    conn = running.bridge.onboarding.connect_exchange(
        name,
        "exchange",
        url=ews.ews_url,
        login=ews.username,
        password=ews.password,
        email=ews.upn,
        version="Exchange2016",
        write=False,
        contacts=False,
    )
    confirm = browser.get(f"/connections/{conn.id}/delete")
    assert confirm.status_code == 200 and "Delete connection" in confirm.text
    assert running.bridge.onboarding.statuses(name) != []
    done = browser.post(f"/connections/{conn.id}/delete")
    assert done.status_code == 200 and "is deleted" in done.text
    assert running.bridge.onboarding.statuses(name) == []


def test_admin_saves_organisation_settings(running: Running) -> None:
    browser = admin_browser(running)
    page = browser.get("/admin")
    assert page.status_code == 200
    assert "Set up Microsoft 365 for everyone (application permissions)" in page.text
    for label in ("Integration switched on", "Default service", "Allowed email domains"):
        assert label in page.text
    before = running.bridge.admin.org_policy()
    form = {
        "enabled": "1",
        "default_service": "google",
        "microsoft_api": "graph",
        "setup": "user",
        "allowed_domains": "",
        "allow_write_calendars": "1",
        "allow_contacts": "1",
        "connect_prompt": "never",
    }
    try:
        saved = browser.post("/admin/settings", form)
        assert saved.status_code == 200 and "Organisation settings saved." in saved.text
        policy = running.bridge.admin.org_policy()
        assert policy.default_service == "google" and policy.connect_prompt == "never"
        assert policy.force_service is False  # unticked checkbox
        assert 'value="google" selected' in saved.text
        bad = browser.post("/admin/settings", {**form, "allowed_domains": "not a domain!"})
        assert bad.status_code == 400
    finally:
        running.bridge.admin.set_org_policy("demo", before)


def test_admin_groups_override_settings_for_their_members(running: Running) -> None:
    browser = admin_browser(running)
    group_name = f"sales-{new_user(running)}"
    created = browser.post("/admin/groups", {"name": group_name})
    assert created.status_code == 200 and f"Group {group_name}" in created.text
    group = next(g for g in running.bridge.admin.groups() if g.name == group_name)
    assert "Inherit (" in created.text
    form = {
        "enabled": "inherit",
        "allow_contacts": "0",
        "connect_prompt": "every",
        "allowed_domains__mode": "set",
        "allowed_domains": "contoso.example",
    }
    saved = browser.post(f"/admin/groups/{group.id}", form)
    assert saved.status_code == 200 and f"Group {group_name} saved." in saved.text
    overrides = dict(next(g for g in running.bridge.admin.groups() if g.id == group.id).overrides)
    assert overrides == {
        "allow_contacts": False,
        "connect_prompt": "every",
        "allowed_domains": ("contoso.example",),
    }
    member = new_user(running)
    users = browser.post(f"/admin/users/{member}", {"group": str(group.id)})
    assert users.status_code == 200 and f"User {member} saved." in users.text
    assert running.bridge.admin.user_by_name(member).group_id == group.id  # type: ignore[union-attr]
    assert (
        running.bridge.admin.policy_for(
            running.bridge.admin.user_by_name(member).id  # type: ignore[union-attr]
        ).allow_contacts
        is False
    )
    deleted = browser.post(f"/admin/groups/{group.id}/delete")
    assert deleted.status_code == 200 and f"Group {group_name} deleted." in deleted.text


def test_human_times() -> None:
    now = 1_000_000.0
    assert human_time(None) == "never"
    assert human_time(now - 10, now) == "just now"
    assert human_time(now - 180, now) == "3 minutes ago"
    assert human_time(now + 120, now) == "in 2 minutes"
    assert human_time(now - 3600, now) == "1 hour ago"
    assert human_time(now - 3 * 86400, now) == "3 days ago"
    # a planned sync is never "3 minutes ago"
    assert due_time(now - 180, now) == "due now" and due_time(now + 120, now) == "in 2 minutes"


def test_a_connection_needing_reauthorization_shows_the_problem_and_a_button() -> None:
    from bridge.api import ConnectionStatus
    from bridge.portal.render import make_env

    status = ConnectionStatus(
        id=7,
        account="alex@contoso.example",
        provider="graph",
        service="microsoft365",
        label="Microsoft 365",
        permissions={"read_calendars": True, "write_calendars": True, "sync_contacts": False},
        calendars_enabled=True,
        contacts_enabled=False,
        status="reauth",
        last_sync=None,
        next_sync=None,
        problem="Microsoft 365 no longer accepts the bridge's access.",
        needs_reauth=True,
    )
    page = (
        make_env()
        .get_template("profile.html")
        .render(
            user=None,
            csrf="t0k",
            path="/",
            notices=[],
            title="",
            connections=[status],
            not_zoom_line=True,
        )
    )
    assert "needs re-authorization" in page
    assert "Microsoft 365 no longer accepts the bridge&#39;s access." in page
    assert 'action="/connections/7/reauthorize"' in page and ">Re-authorize</button>" in page
    assert "<li>read calendars</li>" in page and "<li>write calendars</li>" in page
    assert "sync contacts</li>" not in page
    assert re.search(r"Last successful sync</dt><dd[^>]*>never", page)
