"""The providers' one vCard 3.0 writer (bridge.providers.common.vcard): what a CardDAV client
reads back from any provider's card."""

from __future__ import annotations

import vobject

from bridge.providers.common.vcard import ORDER, VCardWriter


def _card(reverse: bool) -> str:
    steps = [
        lambda w: w.raw("REV", "2024-01-02T03:04:05Z"),
        lambda w: w.text("NOTE", "line one\nline two; with, punctuation \\ and more"),
        lambda w: w.text("EMAIL", "a@example.org", ("INTERNET", "WORK")),
        lambda w: w.text("EMAIL", "b@example.org", ("INTERNET", "HOME")),
        lambda w: w.name("Müller", "Anna", "", "Dr.", ""),
        lambda w: w.text("FN", "Dr. Anna Müller"),
        lambda w: w.org("Contoso; Ltd", "R&D"),
        lambda w: w.address("WORK", ("Main St 1, Floor 2", "Berlin", "", "10115", "Germany")),
        lambda w: w.listed("CATEGORIES", ["VIP, Tier 1", "Customer"]),
        lambda w: w.raw("URL", "https://example.org/a,b"),
        lambda w: w.photo(b"\x89PNG" + bytes(range(200)), "PNG"),
    ]
    writer = VCardWriter("uid;1")
    # the same properties added in another order: the card must not change, except that
    # properties of one name keep the order they were added in (the two e-mails here)
    emails = steps[2:4]
    rest = [s for s in steps if s not in emails]
    for step in (list(reversed(rest)) + emails) if reverse else steps:
        step(writer)
    return writer.render()


def test_the_property_order_is_fixed_whatever_the_mapping_adds_first() -> None:
    text = _card(reverse=False)
    assert _card(reverse=True) == text
    names = [line.split(":")[0].split(";")[0] for line in text.split("\r\n") if line[:1] != " "]
    names = [n for n in names if n]
    assert names[0] == "BEGIN" and names[-1] == "END"
    ranks = [ORDER.index(n) for n in names[1:-1]]
    assert ranks == sorted(ranks)
    assert text.index("a@example.org") < text.index("b@example.org")


def test_values_are_escaped_and_read_back_exactly() -> None:
    text = _card(reverse=False)
    assert "UID:uid\\;1\r\n" in text
    assert "ORG:Contoso\\; Ltd;R&D\r\n" in text
    assert "CATEGORIES:VIP\\, Tier 1,Customer\r\n" in text
    assert "URL:https://example.org/a,b\r\n" in text  # a URI, not TEXT: written as it is
    card = vobject.readOne(text)
    assert card.note.value == "line one\nline two; with, punctuation \\ and more"
    assert card.n.value.family == "Müller" and card.n.value.prefix == "Dr."
    assert card.adr.value.street == "Main St 1, Floor 2" and card.adr.value.code == "10115"
    assert card.adr.params["TYPE"] == ["WORK"]
    assert card.photo.value == b"\x89PNG" + bytes(range(200))
    assert card.email.params["TYPE"] == ["INTERNET", "WORK"]


def test_lines_are_folded_at_75_octets_without_splitting_a_character() -> None:
    writer = VCardWriter("u")
    writer.text("FN", "X")
    writer.text("NOTE", "ü" * 70)  # fewer than 75 characters, but 145 octets
    writer.text("TITLE", "t" * 200)
    text = writer.render()
    assert text.endswith("END:VCARD\r\n") and "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "\r\nNOTE:" + "ü" * 70 + "\r\n" in unfolded
    assert "\r\nTITLE:" + "t" * 200 + "\r\n" in unfolded
