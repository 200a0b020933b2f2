"""A contact as a desk-phone directory lists it: display name, given/family name, company
and its numbers (kind, as written, E.164). Read from the mirrored vCard text.

Pure: no I/O, no XML; the phonebook renderers live in the DAV adapter.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.contacts.lines import components, first_text, parse_lines
from bridge.contacts.phones import phone_entries


@dataclass(frozen=True)
class DirectoryNumber:
    kind: str  # cell, work, home, fax, pager, main, other
    raw: str  # as written in the card
    e164: str  # E.164, or the digits as written when not a phone number


@dataclass(frozen=True)
class DirectoryCard:
    uid: str
    name: str  # FN
    given: str
    family: str
    org: str
    numbers: tuple[DirectoryNumber, ...]


def directory_card(vcard_text: str, region: str) -> DirectoryCard:
    """The directory view of one vCard (numbers in card order, one per TEL)."""
    lines = parse_lines(vcard_text)
    n = next((components(line.value) for line in lines if line.name == "N"), [])
    family = n[0].strip() if n else ""
    given = n[1].strip() if len(n) > 1 else ""
    numbers: list[DirectoryNumber] = []
    seen: set[str] = set()
    for entry in phone_entries(vcard_text, region):
        if entry.raw in seen:  # a DIN 5008 extension is indexed twice; listed once
            continue
        seen.add(entry.raw)
        numbers.append(DirectoryNumber(entry.kind, entry.raw, entry.e164))
    org = next((components(line.value)[0].strip() for line in lines if line.name == "ORG"), "")
    name = first_text(lines, "FN") or " ".join(p for p in (given, family) if p) or org
    return DirectoryCard(first_text(lines, "UID"), name, given, family, org, tuple(numbers))
