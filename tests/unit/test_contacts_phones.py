"""Contacts' numbers in E.164 for caller lookup, and what a search for a number becomes."""

from __future__ import annotations

import pytest

from bridge.contacts.directory import directory_card
from bridge.contacts.phones import PhoneQuery, e164_of, phone_entries, plan_query


def card(*tels: str, fn: str = "Max Mustermann", org: str = "ORG:Contoso GmbH;Sales") -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", "UID:max-1", f"FN:{fn}", "N:Mustermann;Max;;;"]
    lines += [org] if org else []
    lines += list(tels) + ["END:VCARD", ""]
    return "\r\n".join(lines)


@pytest.mark.parametrize(
    "written", ["+49 30 1234567", "030 1234567", "0049301234567", "(030) 123-4567", "+49301234567"]
)
def test_every_spelling_of_a_number_indexes_the_same_e164(written: str) -> None:
    (entry,) = phone_entries(card(f"TEL;TYPE=WORK:{written}"), "DE")
    assert (entry.e164, entry.national, entry.raw) == ("+49301234567", "301234567", written)
    assert (entry.kind, entry.name, entry.org) == ("work", "Max Mustermann", "Contoso GmbH")


def test_numbers_without_country_code_are_read_in_the_default_region() -> None:
    text = card("TEL;TYPE=CELL:646-555-0199", "TEL;TYPE=HOME:+44 20 7946 0958")
    us = phone_entries(text, "US")
    assert [e.e164 for e in us] == ["+16465550199", "+442079460958"]
    assert [e.kind for e in us] == ["cell", "home"]


@pytest.mark.parametrize(
    ("param", "kind"),
    [
        ("TYPE=CELL", "cell"),
        ("TYPE=WORK,FAX", "fax"),
        ("TYPE=FAX;TYPE=HOME", "fax"),
        ("TYPE=PAGER", "pager"),
        ("TYPE=MAIN", "main"),
        ("TYPE=HOME,VOICE", "home"),
        ('TYPE="work,voice"', "work"),
        ("CELL", "cell"),  # vCard 2.1 bare parameter
        ("TYPE=VOICE", "other"),
    ],
)
def test_kind_comes_from_the_type_parameters(param: str, kind: str) -> None:
    (entry,) = phone_entries(card(f"TEL;{param}:+49 30 1234567"), "DE")
    assert entry.kind == kind


def test_extensions_stay_out_of_e164_but_in_raw() -> None:
    entries = phone_entries(card("TEL;TYPE=WORK:+1 646 555 0100 ext. 12"), "US")
    assert [(e.e164, e.raw) for e in entries] == [("+16465550100", "+1 646 555 0100 ext. 12")]


def test_din_5008_extension_indexes_the_main_and_the_direct_dial_number() -> None:
    entries = phone_entries(card("TEL;TYPE=WORK:+49 30 1234567-89"), "US")
    assert [e.e164 for e in entries] == ["+49301234567", "+4930123456789"]
    assert {e.raw for e in entries} == {"+49 30 1234567-89"}
    listed = directory_card(card("TEL;TYPE=WORK:+49 30 1234567-89"), "US").numbers
    assert [n.raw for n in listed] == ["+49 30 1234567-89"]  # a phonebook lists it once


def test_short_and_unparseable_numbers_keep_their_digits() -> None:
    entries = phone_entries(card("TEL:112", "TEL;TYPE=WORK:Durchwahl 2345", "TEL:n/a"), "DE")
    assert [(e.e164, e.national) for e in entries] == [("112", "112"), ("2345", "2345")]


def test_vcard4_tel_uri_and_folded_lines_are_read() -> None:
    text = card("TEL;VALUE=uri;TYPE=cell:tel:+49-151-2345\r\n 6789", org="")
    (entry,) = phone_entries(text, "DE")
    assert (entry.e164, entry.kind, entry.org) == ("+4915123456789", "cell", "")


def test_name_falls_back_to_n_and_org_is_the_first_component() -> None:
    text = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Musterfrau;Erika;;;\r\nORG:ACME\\; Inc;Dept\r\n"
    text += "TEL:030 7654321\r\nEND:VCARD\r\n"
    (entry,) = phone_entries(text, "DE")
    assert (entry.name, entry.org, entry.e164) == ("Erika Musterfrau", "ACME; Inc", "+49307654321")


def test_a_card_without_numbers_has_no_entries() -> None:
    assert phone_entries(card("EMAIL:max@contoso.de"), "DE") == ()


@pytest.mark.parametrize(
    "text", ["+49 30 1234567", "030 1234567", "0049301234567", "(030) 123-4567", "030/1234567"]
)
def test_equals_finds_one_e164_however_the_search_is_written(text: str) -> None:
    assert plan_query(text, "equals", "DE") == PhoneQuery(("+49301234567",), None, None)


def test_equals_on_a_short_number_searches_its_digits() -> None:
    assert plan_query("2345", "equals", "DE") == PhoneQuery(("2345",), None, None)


@pytest.mark.parametrize(
    ("text", "region", "prefix"),
    [
        ("0301", "DE", "+49301"),
        ("+4930", "DE", "+4930"),
        ("004930", "DE", "+4930"),
        ("030 12", "DE", "+493012"),
        ("646555", "US", "+1646555"),
        ("1 646", "US", "+1646"),
        ("011 44 20", "US", "+4420"),
    ],
)
def test_starts_with_turns_what_was_typed_into_an_e164_prefix(
    text: str, region: str, prefix: str
) -> None:
    assert plan_query(text, "starts-with", region) == PhoneQuery((), prefix, None)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("1234567", "1234567"),
        ("030 123", "30123"),  # the trunk 0 is not part of any stored form
        ("+49 30", "4930"),
        ("0049 30", "4930"),
        ("+49 30 1234567", "301234567"),  # a whole number: its national number
        ("555-01", "55501"),
    ],
)
def test_contains_searches_digits_found_in_stored_numbers(text: str, digits: str) -> None:
    assert plan_query(text, "contains", "DE") == PhoneQuery((), None, digits)


@pytest.mark.parametrize(
    ("text", "match"),
    [("12", "contains"), ("abc", "equals"), ("", "starts-with"), ("Max", "contains")],
)
def test_too_few_or_no_digits_plan_nothing(text: str, match: str) -> None:
    assert plan_query(text, match, "DE") == PhoneQuery((), None, None)


def test_unknown_match_type_is_refused() -> None:
    with pytest.raises(ValueError, match="ends-with"):
        plan_query("123", "ends-with", "DE")


def test_e164_of_whole_numbers_only() -> None:
    assert e164_of("030 1234567", "DE") == "+49301234567"
    assert e164_of("030 1234567", "US") is None
    assert e164_of("112", "DE") is None
