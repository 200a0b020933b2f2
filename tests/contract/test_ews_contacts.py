# ruff: noqa: F811  (pytest fixtures imported from ews_harness are used as parameters)
"""EWS-specific EwsContactsProvider behaviour against the EWS sandbox, Basic and NTLM (K1–K3).

The scenarios every provider shares (folders as books named by path, full and incremental pulls,
broken sync states, idempotent create, a phone added keeping SpouseName/Manager, unchanged cards
writing nothing, stale change keys, delete) run for EWS (NTLM) in test_contacts_contract.py.
This file keeps what only Exchange has: department and birthday read from the seed, nested
folder contents, the three-email slot limit, and ErrorServerBusy back-off.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import vobject

from bridge.errors import BadInput
from bridge.providers.ews.contacts import EwsContactsProvider
from tests.contract.ews_harness import EwsHarness, ews, ews_sandbox  # noqa: F401


def _provider(ews: EwsHarness) -> EwsContactsProvider:
    return EwsContactsProvider(ews.config, sleep=ews.sleeps.append)


def _listing(ews: EwsHarness, folder: str = "contacts") -> list[dict[str, Any]]:
    resp = requests.get(f"{ews.info.control_url}/contacts", params={"folder": folder}, timeout=10)
    assert resp.status_code == 200, resp.text
    return list(resp.json())


def _default(provider: EwsContactsProvider) -> str:
    return next(b.remote_id for b in provider.list_address_books() if b.is_default)


def _card(text: str) -> Any:
    return vobject.readOne(text)


def _named(items: Any, fn: str) -> Any:
    return next(i for i in items if _card(i.ical).fn.value == fn)


NEW = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:client-1\r\nFN:Nora Neu\r\nN:Neu;Nora;;;\r\n"
    "EMAIL;TYPE=INTERNET,WORK:nora@example.org\r\nTEL;TYPE=CELL:+49 170 5550000\r\n"
    "END:VCARD\r\n"
)


def test_full_pull_reads_department_birthday_and_nested_folders(ews: EwsHarness) -> None:
    provider = _provider(ews)
    result = provider.pull_contacts(_default(provider), None)
    max_ = _card(_named(result.items, "Max Mustermann").ical)
    assert max_.org.value == ["Contoso GmbH", "Einkauf"]
    assert max_.bday.value == "1975-04-12"
    europe = next(b for b in provider.list_address_books() if b.display_name.endswith("Europe"))
    names = {_card(i.ical).fn.value for i in provider.pull_contacts(europe.remote_id, None).items}
    assert {"Oliver Smith", "Hans Meier"} <= names


def test_a_fourth_email_is_refused_before_anything_is_written(ews: EwsHarness) -> None:
    provider = _provider(ews)
    book = _default(provider)
    before = len(_listing(ews))
    emails = "".join(f"EMAIL:n{i}@example.org\r\n" for i in range(4))
    with pytest.raises(BadInput, match="at most 3 email addresses"):
        provider.create_contact(book, NEW.replace("END:VCARD", emails + "END:VCARD"), "k")
    assert len(_listing(ews)) == before


def test_throttled_sync_backs_off_and_completes(ews: EwsHarness) -> None:
    provider = _provider(ews)
    book = _default(provider)
    ews.control.fault(operation="SyncFolderItems", code="ErrorServerBusy", back_off_ms=700)
    result = provider.pull_contacts(book, None)
    assert len(result.items) == len(_listing(ews))
    assert ews.sleeps == [0.7]
