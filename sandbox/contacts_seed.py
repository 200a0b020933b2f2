"""Seed contacts of the Graph sandbox demo mailbox (K1/K2/K4 test data).

Folders: the default "Contacts", "Clients" with the child "Europe", and "Family". About sixty
contacts, the same on every run (fixed random seed): the named contacts every vendor's seed has
("Max Mustermann", "Erika Musterfrau"), phone numbers in the spellings the caller-lookup tests
need ("+49 30 1234567", "030 7654321", "0049 89 1234 5678", "+1 (646) 555-0100",
"646-555-0199", "+44 20 7946 0958", "+49 30 1234567-89"), birthdays (one without a year: Graph
needs a year, year 1604 stands for "none"), notes, several e-mails and addresses, fields a vCard
cannot carry (spouseName, manager, imAddresses) and tiny generated JPEG photos.
Everything goes through ContactStore.create/set_photo, as a Graph client would create it.
This module must not do I/O or read the clock.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field
from typing import Any

from sandbox.contacts_model import ContactFolder, ContactStore

RANDOM_SEED = 20_250_404
DEFAULT, CLIENTS, EUROPE, FAMILY = "contacts", "clients", "europe", "family"
FOLDERS = ((CLIENTS, "Clients", DEFAULT), (EUROPE, "Europe", CLIENTS), (FAMILY, "Family", DEFAULT))


def tiny_jpeg(gray: int) -> bytes:
    """A valid 8x8 grayscale baseline JPEG of one flat grey level (0..255).

    One 8x8 block whose only non-zero coefficient is DC = 8 * (gray - 128) with a quantisation
    table of ones; both Huffman tables hold a single 1-bit code (DC category, AC end-of-block).
    """
    dc = 8 * (max(0, min(255, gray)) - 128)
    cat = abs(dc).bit_length()
    bits = "0"
    if cat:
        bits += format(dc if dc > 0 else dc + (1 << cat) - 1, f"0{cat}b")
    bits += "0"
    bits += "1" * (-len(bits) % 8)
    scan = bytearray()
    for i in range(0, len(bits), 8):
        byte = int(bits[i : i + 8], 2)
        scan += bytes([byte, 0]) if byte == 0xFF else bytes([byte])

    def seg(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    one_code = bytes([1] + [0] * 15)
    return (
        b"\xff\xd8"
        + seg(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + seg(0xDB, b"\x00" + b"\x01" * 64)
        + seg(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00")
        + seg(0xC4, b"\x00" + one_code + bytes([cat]))
        + seg(0xC4, b"\x10" + one_code + b"\x00")
        + seg(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + bytes(scan)
        + b"\xff\xd9"
    )


@dataclass(frozen=True)
class SeedContact:
    key: str
    folder: str
    body: dict[str, Any]
    photo_gray: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


NAMED = (
    SeedContact(
        "max",
        DEFAULT,
        {
            "givenName": "Max",
            "surname": "Mustermann",
            "displayName": "Max Mustermann",
            "companyName": "Contoso GmbH",
            "department": "Vertrieb",
            "jobTitle": "Key Account Manager",
            "businessPhones": ["+49 30 1234567"],
            "mobilePhone": "+49 151 23456789",
            "emailAddresses": [{"name": "Max Mustermann", "address": "max@contoso.de"}],
            "businessAddress": {
                "street": "Friedrichstraße 100",
                "city": "Berlin",
                "postalCode": "10117",
                "countryOrRegion": "Germany",
            },
            "birthday": "1975-04-12T11:59:00Z",
            "personalNotes": "Prefers calls before noon.",
            "spouseName": "Maria Mustermann",
            "manager": "Dr. Anna Schmidt",
            "assistantName": "Jonas Weber",
            "imAddresses": ["sip:max@contoso.de"],
            "categories": ["Customer"],
        },
        photo_gray=90,
    ),
    SeedContact(
        "erika",
        DEFAULT,
        {
            "givenName": "Erika",
            "surname": "Musterfrau",
            "displayName": "Erika Musterfrau",
            "homePhones": ["030 7654321"],
            "emailAddresses": [{"name": "Erika Musterfrau", "address": "erika@example.de"}],
            "homeAddress": {
                "street": "Heidestraße 17",
                "city": "Köln",
                "postalCode": "51147",
                "countryOrRegion": "Germany",
            },
            "birthday": "1604-08-12T11:59:00Z",
        },
    ),
    SeedContact(
        "olivia",
        CLIENTS,
        {
            "givenName": "Olivia",
            "surname": "Chen",
            "companyName": "Fabrikam Inc.",
            "jobTitle": "CTO",
            "businessPhones": ["+1 (646) 555-0100", "646-555-0199"],
            "emailAddresses": [
                {"name": "Olivia Chen", "address": "olivia.chen@fabrikam.com"},
                {"name": "Olivia Chen", "address": "olivia@chen.example"},
            ],
            "businessAddress": {
                "street": "350 Fifth Avenue",
                "city": "New York",
                "state": "NY",
                "postalCode": "10118",
                "countryOrRegion": "United States",
            },
            "homeAddress": {
                "street": "12 Orchard Street",
                "city": "Brooklyn",
                "state": "NY",
                "postalCode": "11201",
                "countryOrRegion": "United States",
            },
            "businessHomePage": "https://fabrikam.example.com",
        },
        photo_gray=160,
    ),
    SeedContact(
        "oliver",
        EUROPE,
        {
            "givenName": "Oliver",
            "surname": "Wright",
            "title": "Mr.",
            "companyName": "Northwind Traders Ltd",
            "businessPhones": ["+44 20 7946 0958"],
            "emailAddresses": [{"name": "Oliver Wright", "address": "o.wright@northwind.example"}],
        },
    ),
    SeedContact(
        "klaus",
        EUROPE,
        {
            "givenName": "Klaus",
            "surname": "Becker",
            "companyName": "Contoso GmbH",
            "department": "Einkauf",
            "businessPhones": ["0049 89 1234 5678", "+49 30 1234567-89"],
            "emailAddresses": [{"name": "Klaus Becker", "address": "k.becker@contoso.de"}],
        },
        photo_gray=200,
    ),
)

_GIVEN = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elena",
    "Felix",
    "Greta",
    "Hugo",
    "Ida",
    "Jan",
    "Lena",
    "Moritz",
    "Nora",
    "Paul",
    "Rosa",
    "Simon",
    "Tara",
    "Uwe",
    "Vera",
    "Wim",
    "Zoe",
    "Liam",
    "Emma",
    "Noah",
    "Mia",
    "Lucas",
    "Sofia",
    "Elias",
    "Hannah",
    "Leon",
]
_FAMILY_NAMES = [
    "Schneider",
    "Fischer",
    "Meyer",
    "Wagner",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
    "Braun",
    "Dubois",
    "Rossi",
    "García",
    "Jansen",
    "Novak",
    "Nielsen",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Kowalski",
    "Silva",
]
_COMPANIES = (
    "Contoso GmbH",
    "Fabrikam Inc.",
    "Northwind Traders Ltd",
    "Adventure Works",
    "Tailspin Toys",
    "Wingtip Toys",
    "Litware SA",
    "Proseware BV",
)
_CITIES = (
    ("Berlin", "10115", "Germany", "+49 30 {a}{b}"),
    ("München", "80331", "Germany", "089 {a}{b}"),
    ("Hamburg", "20095", "Germany", "0049 40 {a} {b}"),
    ("London", "EC1A 1BB", "United Kingdom", "+44 20 7946 {b}"),
    ("Paris", "75001", "France", "+33 1 42 {a2} {b2}"),
    ("New York", "10001", "United States", "+1 (212) 555-{b}"),
    ("Wien", "1010", "Austria", "+43 1 {a}{b}"),
)
_PLAN = ((DEFAULT, 18), (CLIENTS, 14), (EUROPE, 11), (FAMILY, 12))


def _generated(rng: random.Random) -> list[SeedContact]:
    out: list[SeedContact] = []
    n = 0
    for folder, count in _PLAN:
        for _ in range(count):
            n += 1
            given, family = rng.choice(_GIVEN), rng.choice(_FAMILY_NAMES)
            city, postal, country, pattern = rng.choice(_CITIES)
            a, b = f"{rng.randrange(100, 999)}", f"{rng.randrange(1000, 9999)}"
            phone = pattern.format(a=a, b=b, a2=a[:2], b2=b[:2])
            mail_name = f"{given}.{family}".lower().replace("í", "i")
            body: dict[str, Any] = {"givenName": given, "surname": family}
            if folder == FAMILY:
                body["homePhones"] = [phone]
                body["emailAddresses"] = [{"name": given, "address": f"{mail_name}@example.org"}]
                body["homeAddress"] = {
                    "street": f"{rng.choice(_FAMILY_NAMES)}weg {n}",
                    "city": city,
                    "postalCode": postal,
                    "countryOrRegion": country,
                }
                if n % 3 == 0:
                    body["spouseName"] = rng.choice(_GIVEN) + " " + family
                    body["children"] = [rng.choice(_GIVEN)]
            else:
                company = rng.choice(_COMPANIES)
                domain = company.split()[0].lower()
                body["companyName"] = company
                body["jobTitle"] = rng.choice(("Engineer", "Sales", "Director", "Consultant"))
                body["businessPhones"] = [phone]
                body["emailAddresses"] = [
                    {"name": f"{given} {family}", "address": f"{mail_name}@{domain}.example"}
                ]
                if n % 4 == 0:
                    body["emailAddresses"].append(
                        {"name": f"{given} {family}", "address": f"{mail_name}@example.net"}
                    )
                if n % 5 == 0:
                    body["mobilePhone"] = f"+49 17{n % 10} {rng.randrange(1000000, 9999999)}"
                    body["manager"] = rng.choice(_GIVEN) + " " + rng.choice(_FAMILY_NAMES)
            if n % 6 == 0:
                body["birthday"] = f"{1950 + n % 50}-{1 + n % 12:02d}-{1 + n % 28:02d}T11:59:00Z"
            if n % 7 == 0:
                body["personalNotes"] = f"Met at the {city} trade fair.\nFollow up in spring."
            gray = 30 + (n * 37) % 200 if n % 4 == 1 else None
            out.append(SeedContact(f"c{n:02d}", folder, body, gray))
    return out


def seed_contacts() -> list[SeedContact]:
    return list(NAMED) + _generated(random.Random(RANDOM_SEED))


def apply_contacts_seed(store: ContactStore, user_id: str) -> dict[str, str]:
    """Create the seed folders and contacts in `user_id`'s mailbox; returns key -> id."""
    folders: dict[str, ContactFolder] = {DEFAULT: store.default_folder(user_id)}
    for key, name, parent in FOLDERS:
        folders[key] = store.add_folder(folders[parent], name)
    ids = {key: folder.id for key, folder in folders.items()}
    for item in seed_contacts():
        contact = store.create(folders[item.folder], item.body)
        if item.photo_gray is not None:
            store.set_photo(contact, tiny_jpeg(item.photo_gray))
        ids[item.key] = contact.id
    return ids
