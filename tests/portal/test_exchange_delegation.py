"""The Exchange form takes the mailboxes whose calendar the user opens as a delegate (issue
15: Exchange cannot list them): their calendars appear labelled with the owner; a value that
is not an address is refused with the reason and nothing is stored."""

from __future__ import annotations

from tests.portal.conftest import Running, new_user, signed_in
from tests.portal.test_connect import exchange_fields


def test_exchange_form_opens_other_mailboxes_as_a_delegate(running: Running) -> None:
    name = new_user(running)
    browser = signed_in(running, name)
    fields = exchange_fields(running, read_calendars="1")
    bad = browser.post("/connect/exchange", {**fields, "shared": "megan, nestor@contoso.example"})
    assert bad.status_code == 400 and "not an email address: megan" in bad.text
    assert running.bridge.onboarding.statuses(name) == []
    shared = "megan@contoso.example, nestor@contoso.example"
    ok = browser.post("/connect/exchange", {**fields, "shared": shared})
    assert ok.status_code == 200, ok.text[:2000]
    names = {c.display_name for c in running.bridge.collections_for(name)}
    assert "Calendar (megan@contoso.example) — Exchange" in names
    assert "Calendar (nestor@contoso.example) — Exchange" in names
    assert not any("adele" in n for n in names)  # not asked for
