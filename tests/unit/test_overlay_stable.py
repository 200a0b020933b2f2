"""The stored overlay survives re-serialisation and lossy clients (bridge.ical.overlay_stable,
issue 10): `for_write` hands back the stored text itself — so the provider's extension field is
not written — when a client saves the item unchanged in another spelling or without its X-
properties; a real change, or an X- property a client removed among others it kept, gives a new
overlay."""

from __future__ import annotations

from bridge.ical import overlay
from bridge.ical.overlay_stable import norm_line

CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:card-1\r\nFN:Ann Example\r\nN:Example;Ann;;;\r\n"
    "EMAIL;type=INTERNET;type=WORK;type=pref:ann@example.com\r\n"
    "item1.TEL:+41 44 000 00 00\r\nitem1.X-ABLabel:_$!<Other>!$_\r\n"
    "X-PHONETIC-FIRST-NAME:An\r\nX-SIP;TYPE=WORK:sip:ann@example.com\r\n"
    "URL:http\\://example.com\r\nEND:VCARD\r\n"
)
# what a provider renders of it (no phonetic names, no SIP, its own EMAIL types)
RAW = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:provider-id\r\nFN:Ann Example\r\nN:Example;Ann;;;\r\n"
    "EMAIL;TYPE=INTERNET,OTHER:ann@example.com\r\nTEL;TYPE=VOICE:+41 44 000 00 00\r\n"
    "URL:http://example.com\r\nEND:VCARD\r\n"
)


def _served(stored: str) -> str:
    return overlay.apply(RAW, stored)[0].replace("UID:provider-id", "UID:card-1")


def test_spellings_are_one_line() -> None:
    assert norm_line("EMAIL;type=INTERNET;type=WORK:a@b") == norm_line(
        "email;TYPE=work,INTERNET:a@b"
    )
    assert norm_line('X-A;X-T="George St":v') == norm_line("X-A;X-T=George St:v")
    assert norm_line("URL:http\\://x") == norm_line("URL:http\\\\://x") == norm_line("URL:http://x")
    assert norm_line("ORG:Firma;") == norm_line("ORG:Firma")
    assert norm_line("EMAIL;TYPE=WORK:a@b") != norm_line("EMAIL;TYPE=HOME:a@b")


def test_an_unchanged_save_in_another_spelling_keeps_the_stored_overlay() -> None:
    stored = overlay.for_write(CARD, RAW)
    assert stored
    respelled = (
        _served(stored)
        .replace("type=INTERNET;type=WORK;type=pref", "TYPE=INTERNET,WORK,pref")
        .replace("X-ABLabel", "X-ABLABEL")
        .replace("http\\://", "http\\\\://")
    )
    assert respelled != _served(stored)
    assert overlay.for_write(respelled, RAW, stored=stored) == stored


def test_a_client_without_x_properties_keeps_those_another_client_stored() -> None:
    stored = overlay.for_write(CARD, RAW)
    served = _served(stored)
    no_x = "".join(x for x in served.splitlines(True) if not x.startswith("X-"))
    assert overlay.for_write(no_x, RAW, stored=stored) == stored
    merged = overlay.apply(RAW, overlay.for_write(no_x, RAW, stored=stored))[0]
    assert "X-PHONETIC-FIRST-NAME:An" in merged and "X-SIP;TYPE=WORK:sip:ann@example.com" in merged


def test_an_x_property_removed_among_others_kept_is_removed() -> None:
    stored = overlay.for_write(CARD, RAW)
    edited = "".join(x for x in _served(stored).splitlines(True) if not x.startswith("X-SIP"))
    new = overlay.for_write(edited, RAW, stored=stored)
    merged = overlay.apply(RAW, new)[0]
    assert "X-SIP" not in merged and "X-PHONETIC-FIRST-NAME:An" in merged


def test_a_label_goes_with_its_group() -> None:
    stored = overlay.for_write(CARD, RAW)
    served = _served(stored)
    no_label = served.replace("item1.X-ABLabel:_$!<Other>!$_\r\n", "")
    kept = overlay.apply(RAW, overlay.for_write(no_label, RAW, stored=stored))[0]
    assert (
        "item1.X-ABLabel" in kept
    )  # the number is still there: its label was dropped, not removed
    # the number itself deleted (label with it): the label does not come back alone
    no_number = no_label.replace("item1.TEL:+41 44 000 00 00\r\n", "")
    gone = overlay.apply(RAW, overlay.for_write(no_number, RAW, stored=stored))[0]
    assert "X-ABLabel" not in gone


def test_a_real_change_gives_a_new_overlay() -> None:
    stored = overlay.for_write(CARD, RAW)
    changed = _served(stored).replace("X-PHONETIC-FIRST-NAME:An", "X-PHONETIC-FIRST-NAME:Anne")
    new = overlay.for_write(changed, RAW, stored=stored)
    assert new != stored and "X-PHONETIC-FIRST-NAME:Anne" in overlay.apply(RAW, new)[0]
