"""Accounts added through the EWS sandbox's control API: each signs in (NTLM and Basic) to a
mailbox of its own, its password can change without touching the sandbox's own account, and
both survive a restart from the state directory."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from exchangelib import NTLM, Account, CalendarItem, EWSDateTime, EWSTimeZone
from exchangelib.errors import UnauthorizedError

from sandbox.ews.server import EwsSandbox, EwsSandboxInfo
from tests.sandbox_ews.conftest import make_account

BOB = {
    "user": "bob",
    "upn": "bob@contoso.example",
    "display_name": "Bob",
    "password": "B0b-secret!",
}


def users(sb: EwsSandbox, path: str = "", body: dict[str, Any] | None = None) -> requests.Response:
    url = f"{sb.info.control_url}/users{path}"
    if body is None:
        return requests.get(url, timeout=10)
    return requests.post(url, json=body, timeout=10)


def bob_info(sb: EwsSandbox, password: str = BOB["password"], name: str = "") -> EwsSandboxInfo:
    return replace(sb.info, username=name or "CONTOSO\\bob", upn=BOB["upn"], password=password)


def subjects(account: Account) -> set[str]:
    return {item.subject for item in account.calendar.all().only("subject")}


@pytest.mark.parametrize(
    ("auth", "name"), [(NTLM, "CONTOSO\\bob"), ("basic", "bob@contoso.example")]
)
def test_an_added_account_has_a_mailbox_of_its_own(
    sandbox: EwsSandbox, auth: str, name: str
) -> None:
    added = users(sandbox, body=BOB)
    assert added.status_code == 201, added.text
    assert added.json() == {"username": "CONTOSO\\bob", "upn": "bob@contoso.example"}
    assert [u["upn"] for u in users(sandbox).json()] == ["alex@contoso.example", BOB["upn"]]
    assert users(sandbox, body=BOB).status_code == 400  # taken

    bob = make_account(bob_info(sandbox, name=name), auth, max_wait=None)
    alex = make_account(sandbox.info, auth, max_wait=None)
    assert subjects(bob) == set()  # empty folders, not Alex's calendar
    alex_before = subjects(alex)
    assert alex_before
    start = EWSDateTime.from_datetime(dt.datetime(2030, 1, 7, 9, tzinfo=dt.UTC)).astimezone(
        EWSTimeZone("UTC")
    )
    CalendarItem(
        account=bob,
        folder=bob.calendar,
        subject="Bob's only",
        start=start,
        end=start + dt.timedelta(hours=1),
    ).save()
    assert subjects(bob) == {"Bob's only"}
    assert subjects(alex) == alex_before


def test_an_added_accounts_password_changes_alone_and_survives_a_restart(tmp_path: Path) -> None:
    sb = EwsSandbox(tmp_path / "state")
    sb.start()
    try:
        assert users(sb, body={**BOB, "seed": True}).status_code == 201
        alex = make_account(sb.info, NTLM, max_wait=None)
        assert alex.calendar.name == "Calendar"
        changed = users(sb, "/password", {"upn": BOB["upn"], "password": "N3w-B0b!"})
        assert changed.status_code == 200, changed.text
        with pytest.raises(UnauthorizedError):
            make_account(bob_info(sb), NTLM, max_wait=None).calendar.refresh()
        assert subjects(make_account(bob_info(sb, "N3w-B0b!"), NTLM, max_wait=None))  # seeded
        assert make_account(sb.info, NTLM, max_wait=None).calendar.name == "Calendar"
        unknown = users(sb, "/password", {"upn": "nobody@contoso.example", "password": "x"})
        assert unknown.status_code == 404
    finally:
        sb.stop()
    again = EwsSandbox(tmp_path / "state")
    again.start()
    try:
        assert subjects(make_account(bob_info(again, "N3w-B0b!"), "basic", max_wait=None))
        with pytest.raises(UnauthorizedError):
            make_account(bob_info(again), "basic", max_wait=None).calendar.refresh()
    finally:
        again.stop()
