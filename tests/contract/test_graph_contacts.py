"""Graph-specific ContactsProvider behaviour through the sandbox (K1, K2, K3).

The scenarios every provider shares (address books, full and incremental pulls, expired cursors,
idempotent create, phone added without erasing spouseName/manager, stale versions, delete) run
for Graph in test_contacts_contract.py, which uses the `contacts` fixture below. This file keeps
what only Graph has: photos, birthdays and nested folders read over several delta pages, the
write mapping's Graph slots (no fax), and the read-only Contacts.Read consent.
Provider-side changes go through the sandbox's control API only; the provider talks to the
emulated Graph with a token consented for Contacts.ReadWrite, as it would to Microsoft.
Fixtures `sandbox` and `control` come from conftest.py (one seeded sandbox, reset per test).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import vobject

from bridge.errors import ReadOnly
from bridge.model import PullResult
from bridge.providers.graph.contacts import GraphContactsProvider
from bridge.providers.graph.http import GraphHttp
from sandbox.contacts_seed import tiny_jpeg
from sandbox.server import SandboxInfo
from tests.contract.conftest import Control, consent

SCOPES = ("User.Read", "Contacts.ReadWrite")


@pytest.fixture()
def contacts(
    sandbox: SandboxInfo, control: Control, monkeypatch: pytest.MonkeyPatch
) -> GraphContactsProvider:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")  # the configured CA wins
    connection = consent(sandbox, SCOPES)
    return GraphContactsProvider(GraphHttp(connection.config, connection.auth()), page_size=7)


def _books(provider: GraphContactsProvider) -> dict[str, str]:
    return {b.display_name: b.remote_id for b in provider.list_address_books()}


def _stored(control: Control, folder_id: str) -> dict[str, dict[str, Any]]:
    rows = control.call("GET", f"/contacts/folders/{folder_id}/contacts")
    return {c["id"]: c for c in rows}


def _card(item_text: str) -> Any:
    return vobject.readOne(item_text)


def _by_fn(result: PullResult, fn: str) -> Any:
    for item in result.items:
        if _card(item.ical).fn.value == fn:
            return item
    raise AssertionError(f"no {fn} in the pull")


NEW_CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:client-uid-1\r\nFN:Nora Neu\r\nN:Neu;Nora;;;\r\n"
    "ORG:Litware SA\r\nEMAIL;TYPE=INTERNET,WORK:nora@litware.example\r\n"
    "TEL;TYPE=WORK:+49 30 2223333\r\nTEL;TYPE=FAX:+49 30 2223334\r\nBDAY:1990-01-31\r\n"
    "END:VCARD\r\n"
)


def test_full_pull_reads_photos_birthdays_and_nested_folders_in_pages(
    contacts: GraphContactsProvider,
) -> None:
    books = _books(contacts)
    result = contacts.pull_contacts(books["Contacts"], None)
    card = _card(_by_fn(result, "Max Mustermann").ical)
    assert card.org.value == ["Contoso GmbH", "Vertrieb"]
    assert card.photo.value.startswith(b"\xff\xd8") and card.bday.value == "1975-04-12"
    erika = _card(_by_fn(result, "Erika Musterfrau").ical)
    assert erika.bday.value == "--08-12"
    nested = contacts.pull_contacts(books["Clients / Europe"], None)
    assert {_card(i.ical).fn.value for i in nested.items} >= {"Oliver Wright", "Klaus Becker"}
    # seven per page: several delta pages, one photo request per contact
    assert result.requests > len(result.items) + 1


def test_create_stores_graphs_slots_and_keeps_the_fax_in_the_overlay(
    contacts: GraphContactsProvider, control: Control
) -> None:
    clients = _books(contacts)["Clients"]
    made = contacts.create_contact(clients, NEW_CARD, "key-1")
    contact = _stored(control, clients)[made.remote_id]
    assert contact["businessPhones"] == ["+49 30 2223333"]
    assert contact["birthday"].startswith("1990-01-31")
    assert contact["emailAddresses"][0]["address"] == "nora@litware.example"
    # Graph v1.0 has no fax field: the number is in no Graph field, but the lossless overlay
    # (an extended property) keeps it, so the client gets its card back whole (SPEC C10)
    assert "+49 30 2223334" not in json.dumps({k: v for k, v in contact.items() if k != "extended"})
    card = _card(made.ical)
    assert card.fn.value == "Nora Neu" and "+49 30 2223334" in made.ical


def test_photo_round_trip(contacts: GraphContactsProvider, control: Control) -> None:
    europe = _books(contacts)["Clients / Europe"]
    jpeg = tiny_jpeg(123)
    photo_line = "PHOTO;ENCODING=b;TYPE=JPEG:" + base64.b64encode(jpeg).decode()
    text = NEW_CARD.replace("END:VCARD", photo_line + "\r\nEND:VCARD")
    made = contacts.create_contact(europe, text, "photo-key")
    assert control.call("GET", f"/contacts/{made.remote_id}")["hasPhoto"]
    fetched = contacts.fetch_contact(europe, made.remote_id)
    assert fetched is not None and _card(fetched.ical).photo.value == jpeg
    assert fetched.version == made.version
    newer = tiny_jpeg(201)
    text2 = text.replace(base64.b64encode(jpeg).decode(), base64.b64encode(newer).decode())
    updated = contacts.update_contact(europe, made.remote_id, fetched.version, text2)
    assert _card(updated.ical).photo.value == newer
    again = contacts.fetch_contact(europe, made.remote_id)
    assert again is not None and _card(again.ical).photo.value == newer
    assert again.version == updated.version


def test_read_only_consent_cannot_write(sandbox: SandboxInfo, control: Control) -> None:
    connection = consent(sandbox, ("User.Read", "Contacts.Read"))
    provider = GraphContactsProvider(GraphHttp(connection.config, connection.auth()))
    default = provider.list_address_books()[0].remote_id
    assert provider.pull_contacts(default, None).items
    with pytest.raises(ReadOnly):
        provider.create_contact(default, NEW_CARD, "ro-key")
