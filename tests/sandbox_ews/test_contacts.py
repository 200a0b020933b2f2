"""exchangelib 5.6 against the EWS sandbox's contacts: folders, items, sync and writes.

What the EWS contacts provider relies on, checked with exchangelib exactly as it sends and parses
(Contact, indexed fields, SyncFolderItems, UpdateItem Set/DeleteItemField, extended properties).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import requests
from exchangelib import Account, Contact
from exchangelib.errors import ErrorInvalidSyncStateData, ErrorIrresolvableConflict
from exchangelib.extended_properties import ExtendedProperty
from exchangelib.indexed_properties import EmailAddress, PhoneNumber, PhysicalAddress
from exchangelib.items import NEVER_OVERWRITE

from sandbox.ews.server import EwsSandbox
from tests.sandbox_ews.conftest import control, make_account


class SandboxTestKey(ExtendedProperty):
    distinguished_property_set_id = "PublicStrings"
    property_name = "sandbox-test-key"
    property_type = "String"


def _listing(sb: EwsSandbox, folder: str = "contacts") -> list[dict[str, Any]]:
    resp = requests.get(f"{sb.info.control_url}/contacts", params={"folder": folder}, timeout=10)
    assert resp.status_code == 200, resp.text
    return list(resp.json())


def _by_name(account: Account, name: str) -> Any:
    return next(c for c in account.contacts.all() if c.display_name == name)


def _all_contacts(account: Account) -> list[Any]:
    folders = [account.contacts, *account.contacts.walk()]
    return [c for f in folders for c in f.all()]


def test_contact_folders_nest_below_contacts(account: Account) -> None:
    root = account.contacts
    assert root.name == "Contacts"
    children = {f.name: f for f in root.children}
    assert set(children) == {"Clients", "Family"}
    assert {f.name for f in children["Clients"].children} == {"Europe"}
    assert all(f.folder_class == "IPF.Contact" for f in root.walk())
    assert root.total_count > 10


def test_seed_has_the_named_contacts_and_phone_spellings(account: Account) -> None:
    contacts = _all_contacts(account)
    assert 35 <= len(contacts) <= 45
    numbers = {p.phone_number for c in contacts for p in c.phone_numbers or []}
    for spelling in (
        "+49 30 1234567",
        "030 7654321",
        "0049 89 1234 5678",
        "+1 (646) 555-0100",
        "646-555-0199",
        "+44 20 7946 0958",
        "+49 30 1234567-89",
    ):
        assert spelling in numbers
    erika = _by_name(account, "Erika Musterfrau")
    assert [(p.label, p.phone_number) for p in erika.phone_numbers] == [
        ("HomePhone", "030 7654321")
    ]


def test_getitem_returns_every_contact_field(account: Account) -> None:
    max_ = _by_name(account, "Max Mustermann")
    assert max_.item_class == "IPM.Contact"
    assert max_.company_name == "Contoso GmbH"
    assert {p.label: p.phone_number for p in max_.phone_numbers} == {
        "BusinessPhone": "+49 30 1234567",
        "MobilePhone": "+49 151 23456789",
    }
    assert [e.email for e in max_.email_addresses] == ["max@contoso.de"]
    (adr,) = max_.physical_addresses
    assert (adr.label, adr.city, adr.zipcode, adr.country) == (
        "Business",
        "Berlin",
        "10117",
        "Germany",
    )
    assert max_.birthday == dt.date(1975, 4, 12)
    assert (max_.spouse_name, max_.manager, max_.assistant_name) == (
        "Maria Mustermann",
        "Dr. Anna Schmidt",
        "Lena Vogel",
    )
    assert max_.children == ["Paul", "Emma"]
    assert max_.complete_name.full_name == "Max Mustermann"  # derived, read-only
    assert max_.file_as == "Mustermann, Max"


def test_replacing_lists_sends_deletes_for_unused_slots(account: Account) -> None:
    max_ = _by_name(account, "Max Mustermann")
    max_.email_addresses = [EmailAddress(label="EmailAddress2", email="m@private.example")]
    max_.phone_numbers = [
        *max_.phone_numbers,
        PhoneNumber(label="HomePhone", phone_number="030 999"),
    ]
    max_.physical_addresses = [PhysicalAddress(label="Home", city="Potsdam")]
    max_.save(update_fields=["email_addresses", "phone_numbers", "physical_addresses"])
    again = account.contacts.get(id=max_.id)
    assert [(e.label, e.email) for e in again.email_addresses] == [
        ("EmailAddress2", "m@private.example")
    ]
    assert {p.label for p in again.phone_numbers} == {"BusinessPhone", "MobilePhone", "HomePhone"}
    assert [(a.label, a.city, a.street) for a in again.physical_addresses] == [
        ("Home", "Potsdam", None)
    ]
    assert again.spouse_name == "Maria Mustermann"  # not in update_fields: untouched
    max_.email_addresses = []
    max_.save(update_fields=["email_addresses"])
    assert account.contacts.get(id=max_.id).email_addresses is None


def test_stale_changekey_with_never_overwrite_is_a_conflict(
    sandbox: EwsSandbox, account: Account
) -> None:
    stale = _by_name(account, "Erika Musterfrau")
    control(sandbox, "contacts/update", {"id": stale.id, "fields": {"JobTitle": "Ärztin"}})
    stale.nickname = "Eri"
    with pytest.raises(ErrorIrresolvableConflict):
        stale.save(update_fields=["nickname"], conflict_resolution=NEVER_OVERWRITE)
    fresh = account.contacts.get(id=stale.id)
    assert fresh.nickname is None and fresh.job_title == "Ärztin"


def test_create_with_extended_property_and_find_by_it(account: Account) -> None:
    if "sandbox_key" not in {f.name for f in Contact.FIELDS}:
        Contact.register("sandbox_key", SandboxTestKey)
    try:
        folder = next(f for f in account.contacts.children if f.name == "Family")
        made = Contact(
            account=account,
            folder=folder,
            display_name="Kim Neu",
            given_name="Kim",
            surname="Neu",
            birthday=dt.date(2001, 2, 3),
            sandbox_key="key-42",
        )
        made.save()
        found = list(folder.filter(sandbox_key="key-42"))
        assert [c.id for c in found] == [made.id]
        assert list(folder.filter(sandbox_key="other")) == []
        got = folder.get(id=made.id)
        assert (got.file_as, got.birthday, got.sandbox_key) == (
            "Neu, Kim",
            dt.date(2001, 2, 3),
            "key-42",
        )
        got.delete()
        assert list(folder.filter(sandbox_key="key-42")) == []
    finally:
        Contact.deregister("sandbox_key")


def test_sync_reports_provider_side_changes(sandbox: EwsSandbox, account: Account) -> None:
    folder = account.contacts
    first = list(folder.sync_items(max_changes_returned=5))
    assert len(first) == folder.total_count
    assert {kind for kind, _ in first} == {"create"}
    state = folder.item_sync_state
    made = control(sandbox, "contacts/create", {"fields": {"GivenName": "Neu", "Surname": "X"}})
    erika = next(c for c in _listing(sandbox) if c["display_name"] == "Erika Musterfrau")
    control(sandbox, "contacts/update", {"id": erika["id"], "fields": {"Nickname": "E"}})
    klaus = next(c for c in _listing(sandbox) if c["display_name"] == "Klaus Becker")
    control(sandbox, "contacts/delete", {"id": klaus["id"]})
    changes = {
        (kind, str(getattr(obj, "id", obj))) for kind, obj in folder.sync_items(sync_state=state)
    }
    kinds = {kind for kind, _ in changes}
    assert kinds == {"create", "update", "delete"}
    assert ("create", made["id"]) in changes and ("update", erika["id"]) in changes


def test_invalidated_sync_state_is_refused(sandbox: EwsSandbox, account: Account) -> None:
    folder = account.contacts
    list(folder.sync_items())
    state = folder.item_sync_state
    control(sandbox, "invalidate-sync-states")
    with pytest.raises(ErrorInvalidSyncStateData):
        list(folder.sync_items(sync_state=state))


def test_contacts_survive_a_restart(tmp_path: Path) -> None:
    sb = EwsSandbox(tmp_path / "state")
    sb.start()
    try:
        before = _listing(sb, "Europe")
    finally:
        sb.stop()
    sb = EwsSandbox(tmp_path / "state")
    sb.start()
    try:
        after = _listing(sb, "Europe")
        account = make_account(sb.info, "basic")
        europe = next(f for f in account.contacts.walk() if f.name == "Europe")
        hans = next(c for c in europe.all() if c.display_name == "Hans Meier")
        assert hans.phone_numbers[0].phone_number == "0049 89 1234 5678"
    finally:
        sb.stop()
    assert after == before
