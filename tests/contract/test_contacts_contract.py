# ruff: noqa: F811  (sandbox fixtures are imported so that `contacts_contract` can request them)
"""The ContactsProvider contract: one scenario list, run for Graph, Google and EWS (K1–K3).

Each test runs once per provider against its real sandbox (session-scoped, reset before every
test), through a contacts-scoped consent; provider-side changes go through the sandbox control
APIs via the adapters in tests/contract/contacts_harness.py. Vendor-specific behaviour (photos,
Google's two-label contacts and label deletes, EWS slot limits, read-only scopes, throttling)
stays in test_graph_contacts.py, test_google_contacts.py and test_ews_contacts.py.
"""

from __future__ import annotations

from typing import Any

import pytest
import vobject

from bridge.errors import PreconditionFailed
from bridge.model import PullResult, RemoteItem
from bridge.providers.base import ContactsProvider
from tests.contract.contacts_harness import ContactsHarness, contacts_contract  # noqa: F401
from tests.contract.ews_harness import ews_sandbox  # noqa: F401
from tests.contract.google_harness import google_control_fixture, google_sandbox_fixture  # noqa: F401
from tests.contract.test_google_contacts import gc_fixture  # noqa: F401
from tests.contract.test_graph_contacts import contacts  # noqa: F401

NEW_CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:contract-uid-1\r\nFN:Nora Neu\r\nN:Neu;Nora;;;\r\n"
    "EMAIL;TYPE=INTERNET,WORK:nora@litware.example\r\nTEL;TYPE=CELL:+49 170 5550000\r\n"
    "END:VCARD\r\n"
)


def card(item: RemoteItem) -> Any:
    return vobject.readOne(item.ical)


def named(result: PullResult, fn: str) -> RemoteItem:
    found = [i for i in result.items if card(i).fn.value == fn]
    assert len(found) == 1, f"{fn} listed {len(found)} times"
    return found[0]


def default_book(provider: ContactsProvider) -> str:
    return next(b.remote_id for b in provider.list_address_books() if b.is_default)


def add_line(item: RemoteItem, line: str) -> str:
    return item.ical.replace("END:VCARD", f"{line}\r\nEND:VCARD")


def unfolded(item: RemoteItem) -> list[str]:
    return item.ical.replace("\r\n ", "").split("\r\n")


def emails(item: RemoteItem) -> list[str]:
    """The card's EMAIL values; each must be typed INTERNET (vCard 3.0, RFC 2426 3.3.2)."""
    found = [ln.partition(":") for ln in unfolded(item) if ln.startswith("EMAIL")]
    assert all("TYPE=INTERNET" in params for params, _, _ in found), found
    return [value for _, _, value in found]


# --- K1 address books -----------------------------------------------------------------------
def test_address_books_follow_the_providers_structure(contacts_contract: ContactsHarness) -> None:
    h = contacts_contract
    provider = h.provider()
    books = provider.list_address_books()
    names = [b.display_name for b in books]
    defaults = [b for b in books if b.is_default]
    assert len(defaults) == 1 and books[0] == defaults[0]
    assert not any(b.read_only for b in books)
    assert len(set(names)) == len(names) and set(names) == h.provider_books()
    assert names[1:] == sorted(names[1:])  # default first, then a stable order
    assert provider.account_email == h.account_email
    if h.layout == "folders":  # nested folders are books named by their path
        assert "Clients / Europe" in names and "Clients" in names
    else:  # one book per label, labels are flat
        assert "Clients" in names and "Family" in names
        assert not any(" / " in n for n in names)


# --- K2 reads -------------------------------------------------------------------------------
def test_full_pull_lists_the_book_as_vcard_3(contacts_contract: ContactsHarness) -> None:
    h = contacts_contract
    provider = h.provider()
    book = default_book(provider)
    result = provider.pull_contacts(book, None)
    assert result.reset and result.removed == ()
    assert {i.remote_id for i in result.items} == h.ids_in(book)

    max_ = named(result, "Max Mustermann")
    lines = unfolded(max_)
    assert lines[:2] == ["BEGIN:VCARD", "VERSION:3.0"]
    assert "FN:Max Mustermann" in lines and "N:Mustermann;Max;;;" in lines
    assert [ln for ln in lines if ln.startswith("ORG:")][0].startswith("ORG:Contoso GmbH")
    assert "TEL;TYPE=WORK:+49 30 1234567" in lines
    assert "TEL;TYPE=CELL:+49 151 23456789" in lines
    assert emails(max_) == ["max@contoso.de"]
    parsed = card(max_)
    assert parsed.version.value == "3.0" and parsed.uid.value == max_.uid

    erika = named(result, "Erika Musterfrau")
    lines = unfolded(erika)
    assert "FN:Erika Musterfrau" in lines and "N:Musterfrau;Erika;;;" in lines
    assert [ln for ln in lines if ln.startswith("TEL")] == ["TEL;TYPE=HOME:030 7654321"]
    fetched = provider.fetch_contact(book, erika.remote_id)
    assert fetched is not None and fetched.ical == erika.ical


# --- K2 incremental pulls -------------------------------------------------------------------
def test_provider_side_changes_arrive_in_an_incremental_pull(
    contacts_contract: ContactsHarness,
) -> None:
    h = contacts_contract
    provider = h.provider()
    book = default_book(provider)
    first = provider.pull_contacts(book, None)
    erika = named(first, "Erika Musterfrau").remote_id
    gone = named(first, "Max Mustermann").remote_id

    h.add_mobile(erika, "+49 160 5550000")
    h.delete(gone)
    new = h.add_contact(book, "Neu", "Kunde")
    second = provider.pull_contacts(book, first.cursor)

    assert not second.reset
    assert {i.remote_id for i in second.items} == {erika, new}
    assert second.removed == (gone,)
    assert "TEL;TYPE=CELL:+49 160 5550000" in unfolded(named(second, "Erika Musterfrau"))
    assert card(named(second, "Neu Kunde")).n.value.family == "Kunde"
    third = provider.pull_contacts(book, second.cursor)
    assert third.items == () and third.removed == () and not third.reset


def test_expired_cursor_resets_with_the_same_remote_ids(
    contacts_contract: ContactsHarness,
) -> None:
    h = contacts_contract
    provider = h.provider()
    book = default_book(provider)
    first = provider.pull_contacts(book, None)
    h.expire_cursors()

    again = provider.pull_contacts(book, first.cursor)

    assert again.reset
    assert {i.remote_id: i.ical for i in again.items} == {i.remote_id: i.ical for i in first.items}
    assert {i.uid for i in again.items} == {i.uid for i in first.items}
    follow_up = provider.pull_contacts(book, again.cursor)
    assert not follow_up.reset and follow_up.items == () and follow_up.removed == ()


# --- K3 writes ------------------------------------------------------------------------------
def test_create_twice_with_the_same_key_makes_one_contact(
    contacts_contract: ContactsHarness,
) -> None:
    h = contacts_contract
    provider = h.provider()
    book = default_book(provider)
    before = h.ids_in(book)

    made = provider.create_contact(book, NEW_CARD, "contract-key-1")
    retried = h.provider().create_contact(book, NEW_CARD, "contract-key-1")

    assert retried.remote_id == made.remote_id and retried.uid == made.uid
    assert h.ids_in(book) == before | {made.remote_id}
    assert h.phones(made.remote_id) == ["+49 170 5550000"]
    listed = named(provider.pull_contacts(book, None), "Nora Neu")
    assert listed.remote_id == made.remote_id and listed.ical == made.ical
    assert listed.version == made.version  # the version handed back is the stored one
    assert emails(listed) == ["nora@litware.example"]  # Graph keeps no email type: OTHER
    other = provider.create_contact(book, NEW_CARD, "contract-key-2")
    assert other.remote_id != made.remote_id  # a different key is a different create


def test_adding_a_phone_keeps_what_the_vcard_cannot_carry(
    contacts_contract: ContactsHarness,
) -> None:
    h = contacts_contract
    provider = h.provider()
    book = default_book(provider)
    item = named(provider.pull_contacts(book, None), "Max Mustermann")
    kept, phones = h.vcard_cannot_carry(item.remote_id), h.phones(item.remote_id)
    assert all(kept.values()), kept  # the seed really has such fields

    updated = provider.update_contact(
        book, item.remote_id, item.version, add_line(item, "TEL;TYPE=HOME:030 1231231")
    )

    assert updated.remote_id == item.remote_id and updated.version != item.version
    assert sorted(h.phones(item.remote_id)) == sorted([*phones, "030 1231231"])
    assert h.vcard_cannot_carry(item.remote_id) == kept
    assert "TEL;TYPE=HOME:030 1231231" in unfolded(updated)
    assert ("PHOTO" in updated.ical) == ("PHOTO" in item.ical)  # the photo is kept
    fetched = provider.fetch_contact(book, item.remote_id)
    assert fetched is not None and fetched.ical == updated.ical
    assert fetched.version == updated.version
    mark = h.write_mark()  # the same card again changes nothing, so nothing is written
    same = provider.update_contact(book, item.remote_id, updated.version, updated.ical)
    assert same.version == updated.version and h.writes_since(mark) == 0


def test_stale_version_is_refused_and_nothing_is_written(
    contacts_contract: ContactsHarness,
) -> None:
    h = contacts_contract
    provider = h.provider()
    book = default_book(provider)
    item = named(provider.pull_contacts(book, None), "Erika Musterfrau")
    h.edit_elsewhere(item.remote_id)
    snapshot, mark = h.record(item.remote_id), h.write_mark()

    with pytest.raises(PreconditionFailed):
        provider.update_contact(
            book, item.remote_id, item.version, add_line(item, "TEL;TYPE=CELL:+49 170 0000000")
        )
    with pytest.raises(PreconditionFailed):
        provider.delete_contact(book, item.remote_id, item.version)

    assert h.writes_since(mark) == 0
    assert h.record(item.remote_id) == snapshot
    assert item.remote_id in h.ids_in(book)


def test_delete(contacts_contract: ContactsHarness) -> None:
    h = contacts_contract
    provider = h.provider()
    book = default_book(provider)
    first = provider.pull_contacts(book, None)
    item = named(first, "Erika Musterfrau")

    provider.delete_contact(book, item.remote_id, item.version)

    assert item.remote_id not in h.ids_in(book)
    assert provider.fetch_contact(book, item.remote_id) is None
    delta = provider.pull_contacts(book, first.cursor)
    assert delta.removed == (item.remote_id,) and delta.items == ()
    provider.delete_contact(book, item.remote_id, None)  # already gone: nothing to do
