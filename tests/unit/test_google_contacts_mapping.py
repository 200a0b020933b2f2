"""Google Person ⇄ vCard 3.0: goldens (byte for byte), client vCard parsing, minimal updates."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from bridge.errors import BadInput
from bridge.providers.google.contacts_mapping import (
    IDEMPOTENCY_KEY,
    UID_KEY,
    create_body,
    person_to_card,
    photo_url,
    update_body,
)
from bridge.providers.google.contacts_vcard import Card, parse, render

GOLDEN = Path(__file__).parents[1] / "golden" / "google_contacts"
NAMES = sorted(p.stem for p in GOLDEN.glob("*.json"))


def load(name: str) -> tuple[dict[str, Any], bytes | None]:
    data = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    photo = base64.b64decode(data["photo_b64"]) if data.get("photo_b64") else None
    return data["person"], photo


@pytest.mark.parametrize("name", NAMES)
def test_golden(name: str) -> None:
    person, photo = load(name)
    text = render(person_to_card(person, photo))
    target = GOLDEN / f"{name}.vcf"
    if os.environ.get("DAVBRIDGE_REGEN_GOLDEN") == "1":
        target.write_bytes(text.encode("utf-8"))
        pytest.fail(f"regenerated {target.name}; rerun without DAVBRIDGE_REGEN_GOLDEN")
    assert text.encode("utf-8") == target.read_bytes()
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_goldens_cover_the_documentation_examples() -> None:
    assert {"docs_create_contact_john_doe", "docs_update_contact_email"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_a_card_sent_back_unchanged_writes_nothing(name: str) -> None:
    person, photo = load(name)
    old = person_to_card(person, photo)
    again = parse(render(old))
    assert again.photo == photo
    assert update_body(person, old, again) == ({}, [])


def test_what_a_vcard_cannot_carry_stays_out() -> None:
    person, photo = load("synthetic_full_fields_photo")
    text = render(person_to_card(person, photo))
    assert "Erika" not in text and "K-1001" not in text and "2010" not in text
    assert "TEL;TYPE=WORK:+49 30 1234567\r\n" in text  # value, never canonicalForm
    assert "+49301234567" not in text
    assert "REV:2024-05-01T08:03:00Z\r\n" in text
    assert photo_url(person) == person["photos"][0]["url"]
    assert photo_url(load("docs_create_contact_john_doe")[0]) is None  # default avatar


def test_adding_a_phone_updates_only_phone_numbers_and_keeps_entries() -> None:
    person, photo = load("synthetic_no_name_custom_types")
    old = person_to_card(person, photo)
    text = render(old).replace("END:VCARD", "TEL;TYPE=cell,voice:+49 171 1234567\r\nEND:VCARD")
    body, mask = update_body(person, old, parse(text))
    assert mask == ["phoneNumbers"]
    assert body["phoneNumbers"] == [
        {"value": "646-555-0199", "type": "Assistant"},  # custom type kept, metadata dropped
        {"value": "030 7654322", "type": "homeFax"},
        {"value": "+49 171 1234567", "type": "mobile"},
    ]


def test_changing_the_name_keeps_phonetic_and_other_organisations() -> None:
    person, photo = load("synthetic_full_fields_photo")
    person["names"][0]["phoneticGivenName"] = "Maks"
    old = person_to_card(person, photo)
    text = (
        render(old)
        .replace("N:Mustermann;Max;", "N:Musterfrau;Max;")
        .replace("TITLE:Vertriebsleiter", "TITLE:Geschäftsführer")
    )
    text = text.replace(
        "FN:Dr. Max Ludwig Mustermann\\, Jr.", "FN:Dr. Max Ludwig Musterfrau\\, Jr."
    )
    body, mask = update_body(person, old, parse(text))
    assert mask == ["names", "organizations"]
    assert body["names"] == [
        {
            "phoneticGivenName": "Maks",
            "familyName": "Musterfrau",
            "givenName": "Max",
            "middleName": "Ludwig",
            "honorificPrefix": "Dr.",
            "honorificSuffix": "Jr.",
        }
    ]
    assert body["organizations"][0]["title"] == "Geschäftsführer"
    assert body["organizations"][1] == {"name": "Fabrikam Inc.", "current": False}


def test_removing_the_last_email_clears_the_field() -> None:
    person, _ = load("docs_update_contact_email")
    old = person_to_card(person, None)
    text = "".join(
        line + "\r\n" for line in render(old).split("\r\n") if line and "EMAIL" not in line
    )
    body, mask = update_body(person, old, parse(text))
    assert mask == ["emailAddresses"] and "emailAddresses" not in body


VCARD4 = (
    "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\r\n"
    'FN:Jane Doe\r\nN:Doe;Jane;;;\r\nTEL;VALUE=uri;TYPE="cell,voice":tel:+1-555-555-5555;ext=55\r\n'
    "TEL;TYPE=fax,work:+1 555 555 0000\r\nEMAIL;TYPE=work:jane@example.com\r\n"
    "BDAY:--0412\r\nPHOTO:data:image/png;base64,iVBORw0KGgo=\r\n"
    "ADR;TYPE=home:;;123 Main St;Any Town;CA;91921;USA\r\nEND:VCARD\r\n"
)


def test_vcard_4_input_is_accepted() -> None:
    card = parse(VCARD4)
    assert card.uid == "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1"
    assert card.tels == (("+1-555-555-5555 ext. 55", "CELL"), ("+1 555 555 0000", "FAX,WORK"))
    assert card.emails == (("jane@example.com", "WORK"),)
    assert card.bday == (None, 4, 12)
    assert card.photo == base64.b64decode("iVBORw0KGgo=")
    assert card.adrs == (("HOME", "", "", "123 Main St", "Any Town", "CA", "91921", "USA"),)
    body = create_body(card, "contactGroups/abc", "key-9")
    assert body["phoneNumbers"][0] == {"value": "+1-555-555-5555 ext. 55", "type": "mobile"}
    assert body["birthdays"] == [{"date": {"month": 4, "day": 12}}]
    assert body["clientData"] == [
        {"key": UID_KEY, "value": card.uid},
        {"key": IDEMPOTENCY_KEY, "value": "key-9"},
    ]
    assert body["memberships"] == [
        {"contactGroupMembership": {"contactGroupResourceName": "contactGroups/abc"}}
    ]


def test_a_card_with_only_fn_becomes_an_unstructured_name() -> None:
    card = parse("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Reception\r\nEND:VCARD\r\n")
    assert create_body(card, "contactGroups/myContacts", "k")["names"] == [
        {"unstructuredName": "Reception"}
    ]


@pytest.mark.parametrize(
    "text",
    [
        "not a vcard at all",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL:a@b.example\r\nEND:VCARD\r\n",
    ],
)
def test_unusable_cards_are_bad_input(text: str) -> None:
    with pytest.raises(BadInput):
        parse(text)


def test_fold_never_splits_utf8_and_unfolds_back() -> None:
    text = render(Card(uid="u", fn="X", note="äöü€" * 40))
    assert all(len(part.encode()) <= 75 for part in text.split("\r\n"))
    assert "\r\nNOTE:" + "äöü€" * 40 + "\r\n" in text.replace("\r\n ", "")


def test_render_is_deterministic_and_escapes() -> None:
    card = Card(uid="u;1", fn="A, B", note="x\\y;z\nw", rev="2024-01-01T00:00:00Z")
    text = render(card)
    assert render(card) == text
    assert "UID:u\\;1\r\n" in text and "FN:A\\, B\r\n" in text
    assert "NOTE:x\\\\y\\;z\\nw\r\n" in text
    assert parse(text).note == "x\\y;z\nw"
