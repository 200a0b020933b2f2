"""The organisation directory (K5) as the providers hand it to the sync engine: one person of
the directory -> one read-only vCard 3.0 resource, the same way for Graph users, Google
Workspace domain profiles and the Exchange GAL.

What it does: `DirectoryPerson` holds what directories have (names, addresses, numbers with
their kind, title, department, company); `directory_item` writes its card with the shared
`VCardWriter` (deterministic bytes for the same person) and uses a digest of the card as the
item's version. The UID is "<provider id>@directory" so that a directory entry never collides
with a contact of the user's own address books.
What it must not do: call a provider, or decide who may see the directory (the sync engine and
the organisation's policy do).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bridge.model import RemoteItem
from bridge.providers.common.vcard import VCardWriter

# TEL TYPE values per number kind (RFC 2426 §3.3.1)
_TEL_TYPES = {
    "work": ("WORK", "VOICE"),
    "mobile": ("CELL", "VOICE"),
    "cell": ("CELL", "VOICE"),
    "home": ("HOME", "VOICE"),
    "fax": ("WORK", "FAX"),
}


@dataclass(frozen=True)
class DirectoryPerson:
    remote_id: str  # the provider's id of the person (Graph user id, people/…, GAL address)
    display_name: str
    given: str = ""
    family: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[tuple[str, str], ...] = ()  # (kind: work | mobile | home | fax, as written)
    title: str = ""
    department: str = ""
    company: str = ""


def directory_card(person: DirectoryPerson) -> str:
    card = VCardWriter(f"{person.remote_id}@directory")
    name = person.display_name or " ".join(p for p in (person.given, person.family) if p)
    card.text("FN", name or (person.emails[0] if person.emails else person.remote_id))
    card.name(person.family, person.given, "", "", "")
    if person.company or person.department:
        card.org(person.company, person.department)
    if person.title:
        card.text("TITLE", person.title)
    for email in person.emails:
        card.text("EMAIL", email, ("INTERNET", "WORK"))
    for kind, number in person.phones:
        if number.strip():
            card.text("TEL", number.strip(), _TEL_TYPES.get(kind, ("VOICE",)))
    card.listed("CATEGORIES", ["Directory"])
    return card.render()


def directory_item(person: DirectoryPerson) -> RemoteItem:
    text = directory_card(person)
    version = hashlib.sha256(text.encode()).hexdigest()[:16]
    return RemoteItem(person.remote_id, version, f"{person.remote_id}@directory", text)
