# ruff: noqa: F811  (pytest fixtures imported from the harness modules are used as parameters)
"""The organisation directory (K5) of each provider through its sandbox and the real client
library: Graph users (msal + requests, `/users/delta`), the Google Workspace directory
(google-api-python-client, `people.listDirectoryPeople`), the Exchange GAL (exchangelib,
ResolveNames).

Every provider hands over the whole directory (≥ 500 people) as read-only vCards with names,
addresses and the numbers as the directory writes them; Graph and Google pull incrementally
afterwards (a changed number and a person who left, nothing else); without the directory
permission the pull is refused in plain words naming the permission to grant.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import vobject

from bridge.errors import ProviderRefused
from bridge.model import PullResult
from bridge.providers.ews.contacts import EwsContactsProvider
from bridge.providers.google.contacts import GoogleContactsProvider
from bridge.providers.graph.contacts import GraphContactsProvider
from bridge.providers.graph.http import GraphHttp
from sandbox.ews.ops_directory import gal
from sandbox.google.server import GoogleSandboxInfo
from sandbox.server import SandboxInfo
from tests.contract.conftest import Control, consent
from tests.contract.ews_harness import EwsHarness, ews, ews_sandbox  # noqa: F401
from tests.contract.google_harness import Control as GoogleControl
from tests.contract.google_harness import consent as google_consent
from tests.contract.google_harness import (  # noqa: F401 (fixtures)
    google_control_fixture,
    google_sandbox_fixture,
)

DIRECTORY_READONLY = "https://www.googleapis.com/auth/directory.readonly"


def _graph(sandbox: SandboxInfo, scopes: tuple[str, ...]) -> GraphContactsProvider:
    connection = consent(sandbox, scopes)
    return GraphContactsProvider(GraphHttp(connection.config, connection.auth()))


def _google(info: GoogleSandboxInfo, scopes: tuple[str, ...]) -> GoogleContactsProvider:
    connection = google_consent(info, scopes)
    config = dataclasses.replace(connection.config, people_api_base=info.people_api_base)
    return GoogleContactsProvider(connection.auth(), config, sleep=lambda _s: None)


def _cards(result: PullResult) -> dict[str, Any]:
    return {it.remote_id: vobject.readOne(it.ical) for it in result.items}


def _tels(card: Any) -> list[str]:
    return [t.value for t in card.contents.get("tel", [])]


def _check_whole_directory(result: PullResult, minimum: int = 500) -> dict[str, Any]:
    assert result.reset
    cards = _cards(result)
    assert len(cards) >= minimum
    emails = [c.email.value for c in cards.values()]
    assert len(set(emails)) == len(emails)
    assert all(c.fn.value.strip() for c in cards.values())
    numbers = [n for c in cards.values() for n in _tels(c)]
    assert len(numbers) >= minimum
    # the directory's own spellings, not normalised: national, dotted, international, 00-prefix
    assert any(n.startswith("(") for n in numbers)
    assert any("." in n for n in numbers)
    assert any(n.startswith("+44 ") for n in numbers)
    assert any(n.startswith("0049 ") for n in numbers)
    assert all(it.uid.endswith("@directory") for it in result.items)
    return cards


# -- Microsoft 365 (Graph) -------------------------------------------------------------------
def test_graph_directory_full_then_delta(sandbox: SandboxInfo, control: Control) -> None:
    provider = _graph(sandbox, ("User.Read", "Contacts.Read", "User.Read.All"))
    first = provider.pull_directory(None)
    cards = _check_whole_directory(first)
    assert first.requests >= 1
    someone = sorted(cards)[3]
    control.call("PATCH", f"/directory/{someone}", {"mobile": "+1 206 555 0999"})
    leaving = sorted(cards)[4]
    control.call("DELETE", f"/directory/{leaving}")
    try:
        second = provider.pull_directory(first.cursor)
        assert not second.reset
        assert [it.remote_id for it in second.items] == [someone]
        assert "+1 206 555 0999" in _tels(_cards(second)[someone])
        assert second.removed == (leaving,)
        quiet = provider.pull_directory(second.cursor)
        assert (quiet.items, quiet.removed, quiet.requests) == ((), (), 1)
    finally:
        back = cards[leaving]
        given, family = back.n.value.given, back.n.value.family
        control.call(
            "POST", "/directory", {"given": given, "family": family, "email": back.email.value}
        )


def test_graph_basic_profile_has_no_numbers_and_no_user_scope_is_refused(
    sandbox: SandboxInfo, control: Control
) -> None:
    basic = _graph(sandbox, ("User.Read", "Contacts.Read", "User.ReadBasic.All"))
    cards = _cards(basic.pull_directory(None))
    assert len(cards) >= 500
    assert not any(_tels(c) for c in cards.values())  # why the bridge asks for User.Read.All
    none = _graph(sandbox, ("User.Read", "Contacts.Read"))
    with pytest.raises(ProviderRefused, match="User.Read.All"):
        none.pull_directory(None)


def test_graph_directory_without_delta_lists_users(sandbox: SandboxInfo, control: Control) -> None:
    provider = _graph(sandbox, ("User.Read", "Contacts.Read", "User.Read.All"))
    control.fault(
        match=r"^GET /v1\.0/users/delta", status=400, code="Request_UnsupportedQuery", times=5
    )
    first = provider.pull_directory(None)
    _check_whole_directory(first)  # "List users" instead, a full round
    again = provider.pull_directory(first.cursor)
    assert again.reset and len(again.items) == len(first.items)


# -- Google Workspace (People API) -----------------------------------------------------------
def test_google_directory_full_then_sync_token(
    google_sandbox: GoogleSandboxInfo, google_control: GoogleControl
) -> None:
    provider = _google(google_sandbox, ("openid", "email", DIRECTORY_READONLY))
    first = provider.pull_directory(None)
    cards = _check_whole_directory(first)
    someone = sorted(cards)[5]
    pid = someone.removeprefix("people/")
    google_control.call("PATCH", f"/directory/{pid}", {"office": "+44 20 7946 0000"})
    second = provider.pull_directory(first.cursor)
    assert not second.reset
    assert [it.remote_id for it in second.items] == [someone]
    assert "+44 20 7946 0000" in _tels(_cards(second)[someone])
    found = provider.search_directory(cards[someone].n.value.family)
    assert someone in {p.remote_id for p in found}


def test_google_directory_needs_directory_readonly(google_sandbox: GoogleSandboxInfo) -> None:
    contacts_only = _google(
        google_sandbox, ("openid", "email", "https://www.googleapis.com/auth/contacts")
    )
    with pytest.raises(ProviderRefused, match="directory.readonly"):
        contacts_only.pull_directory(None)


# -- Exchange (EWS, the GAL) -----------------------------------------------------------------
@pytest.mark.parametrize("ews", ["basic"], indirect=True)  # the GAL is the same over NTLM
def test_ews_gal_sweep_finds_everyone(ews: EwsHarness) -> None:
    provider = EwsContactsProvider(ews.config, sleep=ews.sleeps.append)
    result = provider.pull_directory(None)
    cards = _check_whole_directory(result)
    wanted = {p.email.lower() for p in gal().listing()}
    assert wanted <= set(cards)
    assert result.requests >= 36  # one ResolveNames per prefix a-z, 0-9 (more where capped)
    person = gal().listing()[10]
    card = cards[person.email.lower()]
    assert card.fn.value == person.display_name
    assert (person.office or person.mobile) in _tels(card)
