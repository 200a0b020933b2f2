"""vCard 3.0 → 4.0 for clients that ask for 4.0 (RFC 6350)."""

from __future__ import annotations

import vobject

from bridge.contacts.vcard4 import to_vcard4

PHOTO = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4n"
MAX3 = "\r\n".join(
    [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "PRODID:-//davbridge//davbridge//EN",
        "UID:max-1",
        "FN:Max Mustermann",
        "N:Mustermann;Max;;;",
        "NICKNAME:Maxi",
        "ORG:Contoso GmbH;Sales",
        "TEL;TYPE=WORK:+49 30 1234567",
        "TEL;TYPE=CELL,PREF:+49 151 23456789",
        "TEL;TYPE=WORK;TYPE=FAX:+49 30 1234567-89",
        "EMAIL;TYPE=INTERNET,WORK:max@contoso.de",
        "ADR;TYPE=WORK,POSTAL:;;Hauptstr. 1;Berlin;;10115;Germany",
        "LABEL;TYPE=WORK:Hauptstr. 1\\n10115 Berlin",
        "BDAY:1980-05-01",
        "REV:2024-01-02T03:04:05Z",
        "NOTE;CHARSET=UTF-8:Grüße\\, Max",
        "GEO:52.52;13.40",
        "CLASS:PUBLIC",
        "item1.URL:https://contoso.de",
        "X-CUSTOM;X-PARAM=1:kept",
        f"PHOTO;ENCODING=b;TYPE=JPEG:{PHOTO}{PHOTO}",
        "END:VCARD",
        "",
    ]
)


def lines(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_version_and_type_parameters_follow_rfc_6350() -> None:
    out = lines(to_vcard4(MAX3))
    assert out[:2] == ["BEGIN:VCARD", "VERSION:4.0"]
    assert out.count("VERSION:4.0") == 1 and "VERSION:3.0" not in out
    assert "TEL;TYPE=work:+49 30 1234567" in out
    assert "TEL;TYPE=cell;PREF=1:+49 151 23456789" in out
    assert "TEL;TYPE=fax,work:+49 30 1234567-89" in out
    assert "EMAIL;TYPE=work:max@contoso.de" in out  # INTERNET is gone in 4.0
    assert "ADR;TYPE=work:;;Hauptstr. 1;Berlin;;10115;Germany" in out


def test_inline_photo_becomes_a_data_uri() -> None:
    out = lines(to_vcard4(MAX3))
    assert f"PHOTO:data:image/jpeg;base64,{PHOTO}{PHOTO}" in out


def test_dates_and_removed_properties() -> None:
    out = lines(to_vcard4(MAX3))
    assert "BDAY:19800501" in out
    assert "REV:20240102T030405Z" in out
    assert "GEO:geo:52.52,13.40" in out
    assert "NOTE:Grüße\\, Max" in out  # CHARSET is gone; escapes are kept
    assert not [x for x in out if x.startswith(("LABEL", "CLASS"))]
    assert "item1.URL:https://contoso.de" in out and "X-CUSTOM;X-PARAM=1:kept" in out


def test_birthday_without_year() -> None:
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nBDAY;X-APPLE-OMIT-YEAR=1604:1604-05-01\r\n"
    assert "BDAY:--0501" in lines(to_vcard4(card + "END:VCARD\r\n"))
    assert "BDAY:--0501" in lines(to_vcard4(card.replace("1604-05-01", "--05-01")))


def test_lines_are_folded_at_75_octets_with_crlf() -> None:
    text = to_vcard4(MAX3)
    assert text.endswith("END:VCARD\r\n")
    assert all(len(raw.encode()) <= 75 for raw in text.split("\r\n"))
    assert "\n" not in text.replace("\r\n", "")


def test_the_result_parses_as_vcard_4() -> None:
    parsed = vobject.readOne(to_vcard4(MAX3))
    assert parsed.version.value == "4.0"
    assert parsed.fn.value == "Max Mustermann"
    assert [t.value for t in parsed.tel_list][0] == "+49 30 1234567"


def test_a_card_already_in_4_0_is_kept() -> None:
    card4 = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\r\nTEL;TYPE=cell:1\r\nEND:VCARD\r\n"
    assert to_vcard4(card4) == card4
