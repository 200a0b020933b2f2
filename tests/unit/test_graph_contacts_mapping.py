"""Graph contact JSON <-> vCard 3.0 (K2, K3): goldens, client cards, the PATCH diff.

Golden pairs live in tests/golden/graph_contacts/<name>.json (`contact`, optional
`photo_base64`, `_source` citing where it comes from) and <name>.vcf (expected bytes). Set
DAVBRIDGE_REGEN_GOLDEN=1 to rewrite the .vcf files; the regenerating run still fails.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
import vobject

from bridge.errors import BadInput
from bridge.providers.graph.contacts_mapping import (
    birthday_date,
    contact_patch,
    graph_to_vcard,
    vcard_to_graph,
)
from sandbox.contacts_seed import tiny_jpeg

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "graph_contacts"
REGEN = os.environ.get("DAVBRIDGE_REGEN_GOLDEN") == "1"
CASES = sorted(p.stem for p in GOLDEN.glob("*.json"))


def _load(name: str) -> tuple[dict[str, Any], bytes | None]:
    data = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    photo = base64.b64decode(data["photo_base64"]) if data.get("photo_base64") else None
    return data["contact"], photo


def card(*lines: str, version: str = "3.0") -> str:
    return "\r\n".join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD"]) + "\r\n"


def test_golden_cases_exist_and_cite_sources() -> None:
    assert len(CASES) >= 6
    for name in CASES:
        data = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
        assert data.get("_source"), f"{name}.json must say where it comes from"
    docs = {n for n in CASES if n.startswith("docs_")}
    assert {"docs_contact_get", "docs_user_post_contacts", "docs_contact_delta"} <= docs


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    contact, photo = _load(name)
    produced = graph_to_vcard(contact, photo).encode("utf-8")
    expected_path = GOLDEN / f"{name}.vcf"
    if REGEN:
        expected_path.write_bytes(produced)
        pytest.fail(f"regenerated {expected_path.name}; review and rerun without the variable")
    assert expected_path.exists(), f"no {expected_path.name}: run with DAVBRIDGE_REGEN_GOLDEN=1"
    assert produced == expected_path.read_bytes()


@pytest.mark.parametrize("name", CASES)
def test_output_is_folded_parsable_and_round_trips_without_changes(name: str) -> None:
    contact, photo = _load(name)
    text = graph_to_vcard(contact, photo)
    assert text == graph_to_vcard(json.loads(json.dumps(contact)), photo)
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    parsed = vobject.readOne(text)
    assert parsed.version.value == "3.0" and parsed.fn.value
    # reading our own card back changes nothing at the provider
    wanted = vcard_to_graph(text)
    assert contact_patch(contact, wanted) == {}
    assert wanted.photo == photo


def test_full_contact_maps_every_field() -> None:
    contact, photo = _load("synthetic_full")
    parsed = vobject.readOne(graph_to_vcard(contact, photo))
    tels = {(tuple(t.params["TYPE"]), t.value) for t in parsed.contents["tel"]}
    assert tels == {
        (("CELL",), "+49 151 23456789"),
        (("WORK",), "+49 30 1234567"),
        (("WORK",), "+49 30 1234567-89"),
        (("HOME",), "030 7654321"),
    }
    assert parsed.org.value == ["Contoso GmbH", "Vertrieb; Nord"]
    assert parsed.n.value.family == "Mustermann" and parsed.n.value.prefix == "Dr."
    assert parsed.bday.value == "1975-04-12"
    assert parsed.categories.value == ["Customer", "VIP, Tier 1"]
    assert parsed.photo.value == photo
    assert {a.params["TYPE"][0] for a in parsed.contents["adr"]} == {"WORK", "HOME", "OTHER"}
    text = graph_to_vcard(contact, photo)
    for absent in ("Maria", "Anna Schmidt", "Lena", "B2.14"):
        assert absent not in text
    assert [i.value for i in parsed.contents["impp"]] == ["sip:max@contoso.de"]


def test_im_addresses_and_impp_both_ways() -> None:
    contact = {"id": "c1", "displayName": "Max", "imAddresses": ["sip:max@contoso.de", "max@im"]}
    text = graph_to_vcard(contact)
    assert "IMPP:sip:max@contoso.de\r\n" in text and "IMPP:im:max@im\r\n" in text
    wanted = vcard_to_graph(text)
    assert wanted.fields["imAddresses"] == ["sip:max@contoso.de", "max@im"]
    assert "imAddresses" not in contact_patch(contact, wanted)
    added = vcard_to_graph(text.replace("END:VCARD", "IMPP:xmpp:max@jabber.example\r\nEND:VCARD"))
    assert contact_patch(contact, added) == {
        "imAddresses": ["sip:max@contoso.de", "max@im", "xmpp:max@jabber.example"]
    }


def test_birthday_rounds_to_the_nearest_day() -> None:
    assert birthday_date("1980-06-14T23:00:00Z") == dt.date(1980, 6, 15)  # midnight at UTC+1
    assert birthday_date("1980-06-15T05:00:00Z") == dt.date(1980, 6, 15)  # midnight at UTC-5
    assert birthday_date("1980-06-15T11:59:00Z") == dt.date(1980, 6, 15)
    assert birthday_date(None) is None and birthday_date("garbage") is None


def test_vcard4_input_is_accepted() -> None:
    jpeg = tiny_jpeg(10)
    wanted = vcard_to_graph(
        card(
            "FN:Jane Doe",
            "N:Doe;Jane;;;",
            'TEL;TYPE="work,voice";VALUE=uri:tel:+1-646-555-0100',
            "TEL;TYPE=cell:+49 170 2",
            "EMAIL;TYPE=work:jane@example.com",
            "BDAY:--0412",
            "PHOTO:data:image/jpeg;base64," + base64.b64encode(jpeg).decode(),
            version="4.0",
        )
    )
    assert wanted.fields["businessPhones"] == ["+1-646-555-0100"]
    assert wanted.fields["mobilePhone"] == "+49 170 2"
    assert wanted.fields["birthday"] == "1604-04-12T11:59:00Z"
    assert wanted.photo == jpeg


def test_fax_and_pager_are_reported_unstored() -> None:
    wanted = vcard_to_graph(
        card("FN:A B", "TEL;TYPE=FAX,WORK:+49 30 1", "TEL;TYPE=PAGER:123", "TEL:+49 30 2")
    )
    assert wanted.fields["businessPhones"] == ["+49 30 2"]
    assert len(wanted.unstored) == 2 and "+49 30 1" in wanted.unstored[0]


@pytest.mark.parametrize(
    "text",
    ["not a vcard", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", card("NOTE:nobody")],
)
def test_unusable_cards_are_bad_input(text: str) -> None:
    with pytest.raises(BadInput):
        vcard_to_graph(text)


def test_fn_falls_back_to_name_org_and_email() -> None:
    assert vcard_to_graph(card("N:Doe;Jane;;;")).fields["displayName"] == "Jane Doe"
    assert vcard_to_graph(card("ORG:Contoso")).fields["displayName"] == "Contoso"
    assert vcard_to_graph(card("EMAIL:x@example.com")).fields["displayName"] == "x@example.com"


def test_patch_adds_a_phone_and_touches_nothing_else() -> None:
    contact, photo = _load("synthetic_full")
    text = graph_to_vcard(contact, photo).replace(
        "END:VCARD", "TEL;TYPE=WORK:+49 30 5550000\r\nEND:VCARD"
    )
    patch = contact_patch(contact, vcard_to_graph(text))
    assert patch == {"businessPhones": ["+49 30 1234567", "+49 30 1234567-89", "+49 30 5550000"]}


def test_patch_clears_removed_fields_and_keeps_email_names() -> None:
    contact, _ = _load("synthetic_full")
    wanted = vcard_to_graph(
        card(
            "FN:Dr. Max Mustermann",
            "N:Mustermann;Max;Jürgen;Dr.;Jr.",
            "EMAIL:MAX@contoso.de",
            "EMAIL:new@example.com",
        )
    )
    patch = contact_patch(contact, wanted)
    assert patch["emailAddresses"] == [
        {"address": "MAX@contoso.de", "name": "Max Mustermann"},
        {"address": "new@example.com", "name": "Dr. Max Mustermann"},
    ]
    assert patch["personalNotes"] == "" and patch["mobilePhone"] is None
    assert patch["homeAddress"] == {k: "" for k in patch["homeAddress"]}
    assert patch["birthday"] is None
    assert patch["imAddresses"] == []  # the card has no IMPP any more (issue 10 point 3)
    for untouched in ("spouseName", "manager", "children", "displayName"):
        assert untouched not in patch


def test_create_body_holds_only_what_the_card_sets() -> None:
    wanted = vcard_to_graph(card("FN:New Person", "N:Person;New;;;", "TEL;TYPE=CELL:+49 170 1"))
    assert contact_patch({}, wanted) == {
        "displayName": "New Person",
        "givenName": "New",
        "surname": "Person",
        "mobilePhone": "+49 170 1",
    }
