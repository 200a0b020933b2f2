"""EWS Contact <-> vCard 3.0 (SPEC K2/K3): goldens, write mapping, slots, update diff, errors.

Golden pairs live in tests/golden/ews_contacts/<name>.xml (an EWS GetItem response) and
<name>.vcf (expected bytes). The t:Contact is parsed with exchangelib's own Contact.from_xml, so
the input is exactly what the provider gets. Set DAVBRIDGE_REGEN_GOLDEN=1 to rewrite the .vcf
files; the regenerating run still fails.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import vobject
from exchangelib.ewsdatetime import EWSDate
from exchangelib.indexed_properties import EmailAddress, PhoneNumber
from exchangelib.items import Contact
from exchangelib.util import to_xml

from bridge.errors import BadInput
from bridge.providers.ews.contacts_mapping import (
    changed_fields,
    contact_to_vcard,
    vcard_to_fields,
)
from bridge.providers.ews.contacts_vcard import Card, render

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "ews_contacts"
REGEN = os.environ.get("DAVBRIDGE_REGEN_GOLDEN") == "1"
CASES = sorted(p.stem for p in GOLDEN.glob("*.xml"))
TYPES = "{http://schemas.microsoft.com/exchange/services/2006/types}"


def _contact(name: str) -> Any:
    root = to_xml((GOLDEN / f"{name}.xml").read_bytes()).getroot()
    (elem,) = list(root.iter(f"{TYPES}Contact"))
    return Contact.from_xml(elem, account=None)


def _card(text: str) -> Any:
    return vobject.readOne(text)


def test_golden_cases_exist_and_cite_sources() -> None:
    readme = (GOLDEN / "README.md").read_text(encoding="utf-8")
    assert len(CASES) >= 3
    for name in CASES:
        assert name in readme, f"{name} is not described in README.md"
        assert (GOLDEN / f"{name}.vcf").exists() or REGEN


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    text = contact_to_vcard(_contact(name))
    path = GOLDEN / f"{name}.vcf"
    if REGEN:
        path.write_bytes(text.encode("utf-8"))
        pytest.fail(f"regenerated {path.name}; rerun without DAVBRIDGE_REGEN_GOLDEN")
    assert text.encode("utf-8") == path.read_bytes()


@pytest.mark.parametrize("name", CASES)
def test_golden_output_is_a_valid_vcard_3(name: str) -> None:
    text = contact_to_vcard(_contact(name))
    card = _card(text)
    assert card.version.value == "3.0"
    assert card.fn.value
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert text == contact_to_vcard(_contact(name))  # deterministic


def test_docs_contact_reads_like_outlook_shows_it() -> None:
    card = _card(contact_to_vcard(_contact("docs_getitem_contact_all_properties")))
    assert card.fn.value == "Tanja Plate"
    assert card.org.value == ["Northwind Traders"]
    assert [t.value for t in card.contents["tel"]] == ["5625550199"]
    assert card.tel.params["TYPE"] == ["WORK"]
    assert card.title.value == "Project Manager"


def test_all_phone_slots_html_note_and_year_less_birthday() -> None:
    text = contact_to_vcard(_contact("synthetic_all_slots_html_body_no_year"))
    card = _card(text)
    tels = {t.value: ",".join(t.params["TYPE"]) for t in card.contents["tel"]}
    assert len(tels) == 18  # BusinessPhone and PrimaryPhone share one number
    assert tels["+49 171 1234567"] == "CELL"
    assert tels["+49 2351 100-99"] == "FAX,WORK"
    assert tels["02352 44 45"] == "FAX,HOME"
    assert tels["0168 1"] == "PAGER"
    assert "BDAY:--02-29" in text
    assert card.note.value.startswith("Met at CeBIT; prefers German")
    assert "<p>" not in card.note.value
    assert card.n.value.prefix == "Dr." and card.n.value.suffix == "Jr."
    assert "Petra" not in text and "Herr Schulz" not in text  # not vCard fields


def test_read_then_write_back_changes_nothing() -> None:
    for name in CASES:
        item = _contact(name)
        wanted = vcard_to_fields(contact_to_vcard(item))
        assert changed_fields(item, wanted) == [], name


def test_added_phone_changes_only_the_phone_list() -> None:
    item = _contact("docs_createitem_contact_delegate")
    text = contact_to_vcard(item).replace("END:VCARD", "TEL;TYPE=CELL:+49 151 1\r\nEND:VCARD")
    wanted = vcard_to_fields(text)
    assert changed_fields(item, wanted) == ["phone_numbers"]
    phones = {p.label: p.phone_number for p in wanted["phone_numbers"]}
    assert phones == {
        "BusinessPhone": "425-555-0110",
        "HomePhone": "425-555-0120",
        "CarPhone": "425-555-0130",
        "MobilePhone": "+49 151 1",
    }


def _vcard(*lines: str, version: str = "3.0") -> str:
    body = "".join(f"{line}\r\n" for line in lines)
    return f"BEGIN:VCARD\r\nVERSION:{version}\r\n{body}END:VCARD\r\n"


def test_write_maps_types_to_exchange_slots() -> None:
    fields = vcard_to_fields(
        _vcard(
            "FN:Ada Lovelace",
            "N:Lovelace;Ada;;Lady;",
            "ORG:Analytical Engines;Research",
            "EMAIL;TYPE=INTERNET,HOME:ada@home.example",
            "EMAIL;TYPE=INTERNET:ada@work.example",
            "TEL;TYPE=WORK,VOICE:+44 1",
            "TEL;TYPE=WORK:+44 2",
            "TEL;TYPE=WORK:+44 3",
            "TEL;TYPE=FAX,WORK:+44 4",
            "TEL;TYPE=MAIN:+44 5",
            "ADR;TYPE=HOME:;;1 Street;London;;N1;UK",
            "BDAY:--12-10",
        )
    )
    assert fields["display_name"] == "Ada Lovelace"
    assert (fields["company_name"], fields["department"]) == ("Analytical Engines", "Research")
    assert {e.label: e.email for e in fields["email_addresses"]} == {
        "EmailAddress1": "ada@work.example",
        "EmailAddress2": "ada@home.example",
    }
    assert {p.label: p.phone_number for p in fields["phone_numbers"]} == {
        "BusinessPhone": "+44 1",
        "BusinessPhone2": "+44 2",
        "OtherTelephone": "+44 3",
        "BusinessFax": "+44 4",
        "PrimaryPhone": "+44 5",
    }
    (adr,) = fields["physical_addresses"]
    assert (adr.label, adr.street, adr.city, adr.zipcode, adr.country) == (
        "Home",
        "1 Street",
        "London",
        "N1",
        "UK",
    )
    assert fields["birthday"] == EWSDate(1604, 12, 10)


def test_vcard_4_input_is_accepted() -> None:
    fields = vcard_to_fields(
        _vcard(
            "FN:Neu",
            "EMAIL;TYPE=work:neu@example.org",
            'TEL;VALUE=uri;TYPE="cell,voice":tel:+49-170-1234',
            "BDAY:19800102",
            version="4.0",
        )
    )
    assert [(p.label, p.phone_number) for p in fields["phone_numbers"]] == [
        ("MobilePhone", "+49-170-1234")
    ]
    assert fields["birthday"] == EWSDate(1980, 1, 2)


def test_fourth_email_is_refused_with_the_limit() -> None:
    emails = [f"EMAIL:a{i}@example.org" for i in range(4)]
    with pytest.raises(BadInput, match="at most 3 email addresses"):
        vcard_to_fields(_vcard("FN:Many", *emails))


@pytest.mark.parametrize(
    "text",
    ["not a vcard", _vcard("NOTE:nameless"), _vcard("FN:x", "BDAY:someday")],
)
def test_unusable_cards_are_bad_input(text: str) -> None:
    with pytest.raises(BadInput):
        vcard_to_fields(text)


def test_fields_a_vcard_cannot_carry_are_never_in_the_diff() -> None:
    item = _contact("synthetic_all_slots_html_body_no_year")
    wanted = vcard_to_fields(_vcard("FN:Someone Else", "N:Else;Someone;;;"))
    changed = set(changed_fields(item, wanted))
    assert {"display_name", "phone_numbers", "email_addresses", "body"} <= changed
    assert not changed & {"spouse_name", "manager", "assistant_name", "children", "office"}


def test_removed_email_is_a_change_to_an_empty_list() -> None:
    item = Contact(
        display_name="X",
        email_addresses=[EmailAddress(label="EmailAddress1", email="x@example.org")],
        phone_numbers=[PhoneNumber(label="MobilePhone", phone_number="1")],
    )
    wanted = vcard_to_fields(_vcard("FN:X", "TEL;TYPE=CELL:1"))
    assert changed_fields(item, wanted) == ["email_addresses"]
    assert wanted["email_addresses"] == []


def test_fold_never_splits_a_utf8_character() -> None:
    text = render(Card(uid="u", fn="X", note="ü" * 80))
    assert all(len(part.encode()) <= 75 for part in text.split("\r\n"))
    assert "\r\nNOTE:" + "ü" * 80 + "\r\n" in text.replace("\r\n ", "")
