"""XML phonebooks for desk phones (K4), from the user's mirrored address books.

URLs (same credentials as /lookup: user + app password, or lookup token with &user=):
  /phonebook/{format}.xml              all the user's address books merged (a contact in
                                       several books is listed once)
  /phonebook/{address-book}/{format}.xml   one address book (its path name, as in DAV URLs)
Formats, with the vendor documentation each follows:
  yealink      Yealink "XML Browser Developer's Guide" / Remote Phone Book:
               <YealinkIPPhoneDirectory><DirectoryEntry><Name/><Telephone/>…(one Telephone per
               number)</DirectoryEntry></YealinkIPPhoneDirectory>
  snom         Snom "XML Minibrowser" (docs.snom.io/xml_minibrowser), SnomIPPhoneDirectory:
               <SnomIPPhoneDirectory><Title/><DirectoryEntry><Name/><Telephone/></DirectoryEntry>
               — one Telephone per entry, so a contact with several numbers is listed once per
               number as "Name (Mobile)".
  tbook        Snom wiki "<tbook>, <phone-book> tag" (settings-file directory):
               <tbook complete="true"><item context="active" type="none" fav="false"
               mod="true" index="0"><name/><number/></item>…</tbook>
  grandstream  Grandstream "XML Based Downloadable Phonebook Guide" (GXP16xx/17xx/21xx,
               GVC3200): <AddressBook><Contact><LastName/><FirstName/><Phone type="Work|Home|
               Mobile|Fax|Other"><phonenumber/><accountindex>0</accountindex></Phone>…
               (accountindex 0 = the phone's first account, per the guide's 0–5 range).
Numbers are listed in E.164 ("+49301234567") when they are phone numbers, else as written
(short internal numbers). Entries are sorted by name; the XML is UTF-8 and escaped.
Imports only bridge.api, the pure helpers of bridge.contacts and the stdlib.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax import saxutils

from bridge import api
from bridge.contacts.directory import directory_card
from radicale_plugins.lookup import Reply, authenticate, query_of, text_reply

FORMATS = ("yealink", "snom", "tbook", "grandstream")
_PATH = re.compile(r"^/phonebook/(?:(?P<book>[^/]+)/)?(?P<format>[a-z]+)\.xml$")
_LABELS = {
    "cell": "Mobile",
    "work": "Work",
    "home": "Home",
    "fax": "Fax",
    "main": "Main",
    "pager": "Pager",
    "other": "Other",
}
_GRANDSTREAM_TYPES = {"cell": "Mobile", "work": "Work", "home": "Home", "fax": "Fax"}
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escape(text: str) -> str:
    """XML character data: escaped, without the control characters XML 1.0 forbids."""
    return saxutils.escape(_NOT_XML.sub("", text))


def quoteattr(text: str) -> str:
    return saxutils.quoteattr(_NOT_XML.sub("", text))


def _number(n: Any) -> str:
    return str(n.e164 if n.e164.startswith("+") else n.raw)


def _cards(user: str, book: str | None) -> list[Any] | Reply:
    bridge = api.current()
    books = [c for c in bridge.collections_for(user) if c.kind.value == "addressbook"]
    # the user's own contacts first (they win a duplicate), the directory after them (K5)
    books.sort(key=bridge.is_directory)
    directory = {c.id for c in books if bridge.is_directory(c)}
    if book is not None:
        books = [c for c in books if c.name == book]
        if not books:
            return text_reply(404, f"No address book {book!r}.")
    region = bridge.region_of(user)
    cards: list[tuple[bool, Any]] = []
    seen: set[object] = set()
    for coll in books:
        for item in bridge.items(coll):
            card = directory_card(item.text, region)
            if not card.numbers:
                continue
            same = (card.name.casefold(), frozenset(_number(n) for n in card.numbers))
            if (card.uid and card.uid in seen) or same in seen:
                continue
            seen.update({same, card.uid} if card.uid else {same})
            cards.append((coll.id in directory, card))
    cards.sort(key=lambda c: (c[0], c[1].name.casefold(), c[1].uid))
    return [card for _, card in cards]


def _yealink(cards: list[Any]) -> str:
    out = [_HEAD, "<YealinkIPPhoneDirectory>\n"]
    for card in cards:
        out.append(f"<DirectoryEntry><Name>{escape(card.name)}</Name>")
        out += [f"<Telephone>{escape(_number(n))}</Telephone>" for n in card.numbers]
        out.append("</DirectoryEntry>\n")
    out.append("</YealinkIPPhoneDirectory>\n")
    return "".join(out)


def _per_number(cards: list[Any]) -> list[tuple[str, str]]:
    rows = []
    for card in cards:
        for n in card.numbers:
            label = f"{card.name} ({_LABELS[n.kind]})" if len(card.numbers) > 1 else card.name
            rows.append((label, _number(n)))
    return rows


def _snom(cards: list[Any], title: str) -> str:
    out = [_HEAD, "<SnomIPPhoneDirectory>\n", f"<Title>{escape(title)}</Title>\n"]
    for name, number in _per_number(cards):
        out.append(
            f"<DirectoryEntry><Name>{escape(name)}</Name>"
            f"<Telephone>{escape(number)}</Telephone></DirectoryEntry>\n"
        )
    out.append("</SnomIPPhoneDirectory>\n")
    return "".join(out)


def _tbook(cards: list[Any]) -> str:
    out = [_HEAD, '<tbook complete="true">\n']
    for index, (name, number) in enumerate(_per_number(cards)):
        out.append(
            f'<item context="active" type="none" fav="false" mod="true" index="{index}">'
            f"<name>{escape(name)}</name><number>{escape(number)}</number></item>\n"
        )
    out.append("</tbook>\n")
    return "".join(out)


def _grandstream(cards: list[Any]) -> str:
    out = [_HEAD, "<AddressBook>\n"]
    for card in cards:
        family, given = card.family, card.given
        if not family and not given:
            family = card.name  # the guide wants at least one of the two
        out.append(
            f"<Contact><LastName>{escape(family)}</LastName><FirstName>{escape(given)}</FirstName>"
        )
        for n in card.numbers:
            kind = quoteattr(_GRANDSTREAM_TYPES.get(n.kind, "Other"))
            out.append(
                f"<Phone type={kind}><phonenumber>{escape(_number(n))}</phonenumber>"
                "<accountindex>0</accountindex></Phone>"
            )
        out.append("</Contact>\n")
    out.append("</AddressBook>\n")
    return "".join(out)


def is_phonebook_path(path: str) -> bool:
    return path.startswith("/phonebook/")


def phonebook(environ: dict[str, Any]) -> Reply:
    """`GET /phonebook/[{address-book}/]{format}.xml`."""
    m = _PATH.match(str(environ.get("PATH_INFO", "")))
    if m is None or m["format"] not in FORMATS:
        return text_reply(
            404,
            "Phonebooks: /phonebook/{format}.xml or /phonebook/{address-book}/{format}.xml "
            f"with format one of {', '.join(FORMATS)}.",
        )
    query = query_of(environ)
    user = authenticate(environ, query)
    if isinstance(user, Reply):
        return user
    cards = _cards(user, m["book"])
    if isinstance(cards, Reply):
        return cards
    fmt = m["format"]
    if fmt == "yealink":
        xml = _yealink(cards)
    elif fmt == "snom":
        xml = _snom(cards, "Contacts")
    elif fmt == "tbook":
        xml = _tbook(cards)
    else:
        xml = _grandstream(cards)
    return Reply(200, {"Content-Type": "text/xml; charset=utf-8"}, xml.encode("utf-8"))
