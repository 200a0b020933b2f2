"""Google-specific ContactsProvider behaviour (People API v1) through the sandbox (K1–K3).

The scenarios every provider shares (address books, full and incremental pulls, expired cursors,
idempotent create, phone added without erasing relations/userDefined, stale etags, delete) run
for Google in test_contacts_contract.py, which uses the `gc` fixture below. This file keeps what
only Google has: books that are contact groups, two-label contacts, label removals and deletes
from a label, the one-field update mask, photos, the read-only scope and throttling.

The provider talks to the emulated Google OAuth and People endpoints with google-auth and
googleapiclient as it would to Google; provider-side changes go through the sandbox's control
API only. Fixtures come from tests/contract/google_harness.py (a freshly reset, seeded sandbox);
the consent asks for the contacts scopes explicitly.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pytest
import vobject

from bridge.errors import ReadOnly
from bridge.model import PullResult, RemoteItem
from bridge.providers.google.contacts import MY_CONTACTS, GoogleContactsProvider
from sandbox.google.server import GoogleSandboxInfo
from tests.contract.google_harness import (  # noqa: F401 (fixtures)
    Control,
    consent,
    google_control_fixture,
    google_sandbox_fixture,
)

CONTACTS = "https://www.googleapis.com/auth/contacts"
CONTACTS_READONLY = "https://www.googleapis.com/auth/contacts.readonly"


@dataclasses.dataclass
class ContactsHarness:
    info: GoogleSandboxInfo
    control: Control
    provider: GoogleContactsProvider
    sleeps: list[float]

    def book(self, name: str) -> str:
        return next(
            b.remote_id for b in self.provider.list_address_books() if b.display_name == name
        )

    def person(self, remote_id: str) -> dict[str, Any]:
        return dict(self.control.call("GET", f"/people/{pid(remote_id)}"))

    def group_members(self, name: str) -> set[str]:
        groups = self.control.call("GET", "/people-groups")
        grp = next(g for g in groups if g.get("name") == name)
        return set(grp.get("memberResourceNames") or [])


def make_provider(
    info: GoogleSandboxInfo, scopes: tuple[str, ...], sleeps: list[float]
) -> GoogleContactsProvider:
    connection = consent(info, scopes)
    config = dataclasses.replace(connection.config, people_api_base=info.people_api_base)
    return GoogleContactsProvider(connection.auth(), config, sleep=sleeps.append)


@pytest.fixture(name="gc")
def gc_fixture(
    google_sandbox: GoogleSandboxInfo, google_control: Control, monkeypatch: pytest.MonkeyPatch
) -> ContactsHarness:
    # The configured CA bundle must win over the environment's (requests docs, Advanced Usage: SSL Cert Verification).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    sleeps: list[float] = []
    provider = make_provider(google_sandbox, ("openid", "email", CONTACTS), sleeps)
    return ContactsHarness(google_sandbox, google_control, provider, sleeps)


def pid(resource_name: str) -> str:
    """The id part of "people/c…" or "contactGroups/…", as control API paths take it."""
    return resource_name.rpartition("/")[2]


def by_fn(result: PullResult) -> dict[str, RemoteItem]:
    return {vobject.readOne(i.ical).fn.value: i for i in result.items}


def test_address_books_are_contact_groups(gc: ContactsHarness) -> None:
    books = gc.provider.list_address_books()
    assert books[0].remote_id == MY_CONTACTS
    assert all(b.remote_id.startswith("contactGroups/") for b in books)


def test_full_pull_per_label_with_two_label_contact_in_both(gc: ContactsHarness) -> None:
    everyone = gc.provider.pull_contacts(MY_CONTACTS, None)
    clients = gc.provider.pull_contacts(gc.book("Clients"), None)
    family = gc.provider.pull_contacts(gc.book("Family"), None)
    assert everyone.reset and clients.reset and family.reset
    assert len(everyone.items) == 60
    assert everyone.removed == () and everyone.requests >= 1
    c, f = by_fn(clients), by_fn(family)
    assert "Max Mustermann" in c and "Max Mustermann" not in f
    erika_c, erika_f = c["Erika Musterfrau"], f["Erika Musterfrau"]
    assert erika_c.uid == erika_f.uid and erika_c.remote_id == erika_f.remote_id
    assert erika_c.ical == erika_f.ical
    max_card = vobject.readOne(c["Max Mustermann"].ical)
    assert max_card.photo.value.startswith(b"\xff\xd8")  # the label's photo bytes
    assert vobject.readOne(erika_c.ical).bday.value == "--08-03"
    # Deterministic: the same provider state gives the same bytes.
    again = gc.provider.pull_contacts(gc.book("Clients"), None)
    assert [i.ical for i in again.items] == [i.ical for i in clients.items]


def test_incremental_pull_reports_changes_deletions_and_label_removals(
    gc: ContactsHarness,
) -> None:
    clients_id = gc.book("Clients")
    full = gc.provider.pull_contacts(clients_id, None)
    items = by_fn(full)
    quiet = gc.provider.pull_contacts(clients_id, full.cursor)
    assert (quiet.items, quiet.removed, quiet.reset, quiet.requests) == ((), (), False, 1)
    max_id = items["Max Mustermann"].remote_id
    erika_id = items["Erika Musterfrau"].remote_id
    gone_id = items["Dr. Hans Josef Huber"].remote_id
    gc.control.call(
        "PATCH",
        f"/people/{pid(max_id)}",
        {"phoneNumbers": [{"value": "+49 30 999999", "type": "work"}]},
    )
    gc.control.call("DELETE", f"/people/{pid(gone_id)}")
    gc.control.call("POST", f"/people-groups/{pid(clients_id)}/members", {"remove": [erika_id]})
    new = gc.control.call(
        "POST",
        "/people",
        {
            "names": [{"givenName": "Neu", "familyName": "Kunde"}],
            "memberships": [{"contactGroupMembership": {"contactGroupResourceName": clients_id}}],
        },
    )
    delta = gc.provider.pull_contacts(clients_id, quiet.cursor)
    assert not delta.reset
    assert {i.remote_id for i in delta.items} == {max_id, new["resourceName"]}
    assert {gone_id, erika_id} <= set(delta.removed)
    assert "+49 30 999999" in by_fn(delta)["Max Mustermann"].ical
    # Erika is still in Family and My Contacts.
    family = gc.provider.pull_contacts(gc.book("Family"), None)
    assert erika_id in {i.remote_id for i in family.items}


def test_expired_sync_token_of_a_label_is_recognised_not_retried(gc: ContactsHarness) -> None:
    clients_id = gc.book("Clients")
    full = gc.provider.pull_contacts(clients_id, None)
    gc.control.call("POST", "/people-sync/expire")
    again = gc.provider.pull_contacts(clients_id, full.cursor)
    assert again.reset
    assert [i.ical for i in again.items] == [i.ical for i in full.items]
    assert gc.sleeps == []  # no retry loop: the expiry is recognised, not backed off


NEW_CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:client-uid-0001\r\nFN:Lisa Lang\r\n"
    "N:Lang;Lisa;;;\r\nTEL;TYPE=CELL:+49 171 5550101\r\nEMAIL;TYPE=WORK:lisa@lang.example\r\n"
    "ORG:Lang AG;Einkauf\r\nEND:VCARD\r\n"
)


def test_create_lands_in_the_books_label_and_keeps_the_client_uid(gc: ContactsHarness) -> None:
    clients_id = gc.book("Clients")
    first = gc.provider.create_contact(clients_id, NEW_CARD, "key-1")
    assert first.uid == "client-uid-0001"
    assert len(gc.control.call("GET", "/people")) == 61
    assert first.remote_id in gc.group_members("Clients")
    assert first.remote_id in gc.group_members("myContacts")
    stored = gc.person(first.remote_id)
    assert stored["phoneNumbers"][0]["value"] == "+49 171 5550101"
    assert stored["phoneNumbers"][0]["type"] == "mobile"
    assert stored["organizations"][0] == {
        **stored["organizations"][0],
        "name": "Lang AG",
        "department": "Einkauf",
    }
    pulled = by_fn(gc.provider.pull_contacts(clients_id, None))["Lisa Lang"]
    assert pulled.uid == "client-uid-0001" and pulled.ical == first.ical


def _add_line(ical: str, line: str) -> str:
    return ical.replace("END:VCARD", f"{line}\r\nEND:VCARD")


def test_update_adding_a_phone_patches_only_the_phone_numbers(gc: ContactsHarness) -> None:
    clients_id = gc.book("Clients")
    item = by_fn(gc.provider.pull_contacts(clients_id, None))["Max Mustermann"]
    before = gc.person(item.remote_id)
    gc.control.call("POST", "/requests/reset")
    updated = gc.provider.update_contact(
        clients_id, item.remote_id, item.version, _add_line(item.ical, "TEL;TYPE=HOME:030 111222")
    )
    after = gc.person(item.remote_id)
    assert updated.version == after["etag"]
    assert [p["type"] for p in after["phoneNumbers"]] == ["work", "mobile", "home"]
    for kept in ("names", "addresses", "organizations", "photos"):
        assert after[kept] == before[kept], kept
    log = gc.control.call("GET", "/requests?prefix=/v1/people/")
    writes = [r for r in log if r["method"] == "PATCH"]
    assert len(writes) == 1 and "updatePersonFields=phoneNumbers&" in writes[0]["query"] + "&"
    assert "030 111222" in updated.ical


def test_delete_from_a_label_keeps_the_contact_and_from_my_contacts_deletes(
    gc: ContactsHarness,
) -> None:
    clients_id = gc.book("Clients")
    full = gc.provider.pull_contacts(clients_id, None)
    everyone = gc.provider.pull_contacts(MY_CONTACTS, None)
    item = by_fn(full)["Max Mustermann"]
    gc.provider.delete_contact(clients_id, item.remote_id, item.version)
    assert item.remote_id not in gc.group_members("Clients")
    assert gc.person(item.remote_id)["resourceName"] == item.remote_id
    delta = gc.provider.pull_contacts(clients_id, full.cursor)
    assert item.remote_id in delta.removed
    current = gc.provider.fetch_contact(MY_CONTACTS, item.remote_id)
    assert current is not None and gc.provider.fetch_contact(clients_id, item.remote_id) is None
    gc.provider.delete_contact(MY_CONTACTS, item.remote_id, current.version)
    assert gc.provider.fetch_contact(MY_CONTACTS, item.remote_id) is None
    gc.provider.delete_contact(MY_CONTACTS, item.remote_id, None)  # already gone: no error
    delta = gc.provider.pull_contacts(MY_CONTACTS, everyone.cursor)
    assert item.remote_id in delta.removed


def test_photo_is_read_written_and_removed(gc: ContactsHarness) -> None:
    clients_id = gc.book("Clients")
    item = by_fn(gc.provider.pull_contacts(clients_id, None))["Max Mustermann"]
    card = vobject.readOne(item.ical)
    assert card.photo.params["TYPE"] == ["JPEG"]
    new_photo = b"\x89PNG\r\n\x1a\n" + b"davbridge" * 10
    text = "\r\n".join(
        line
        for line in item.ical.replace("\r\n ", "").split("\r\n")
        if not line.startswith("PHOTO")
    )
    encoded = base64.b64encode(new_photo).decode()
    updated = gc.provider.update_contact(
        clients_id,
        item.remote_id,
        item.version,
        _add_line(text, f"PHOTO;ENCODING=b;TYPE=PNG:{encoded}"),
    )
    assert vobject.readOne(updated.ical).photo.value == new_photo
    assert "PHOTO;ENCODING=b;TYPE=PNG:" in updated.ical
    removed = gc.provider.update_contact(clients_id, item.remote_id, updated.version, text)
    assert "PHOTO" not in removed.ical
    assert gc.person(item.remote_id)["photos"][0]["default"] is True


def test_read_only_consent_cannot_write(
    google_sandbox: GoogleSandboxInfo, google_control: Control
) -> None:
    provider = make_provider(google_sandbox, ("openid", "email", CONTACTS_READONLY), [])
    assert len(provider.pull_contacts(MY_CONTACTS, None).items) == 60
    with pytest.raises(ReadOnly):
        provider.create_contact(MY_CONTACTS, NEW_CARD, "key-ro")


def test_throttled_listing_is_retried_after_the_hinted_wait(gc: ContactsHarness) -> None:
    gc.control.fault(match=r"^GET /v1/people/me/connections", status=429, retry_after=2, times=1)
    result = gc.provider.pull_contacts(MY_CONTACTS, None)
    assert len(result.items) == 60 and result.reset
    assert gc.sleeps == [2.0]
