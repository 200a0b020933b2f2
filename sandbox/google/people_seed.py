"""Seed of the Google contacts: about 60 contacts, the labels "Clients" and "Family", photos.

Deterministic: a fixed random stream names the contacts and groups and a fixed clock stamps
them, so every seed of a fresh store yields the same resource names, etags and bytes. Phone
numbers mix the spellings the caller-lookup tests need ("+49 30 1234567", "030 7654321",
"0049 89 1234 5678", "+1 (646) 555-0100", "646-555-0199", "+44 20 7946 0958", an extension).
"Max Mustermann" and "Erika Musterfrau" exist on every vendor's sandbox; Erika carries both
labels. Some contacts carry fields a vCard cannot express (relations, userDefined, events).
This module must not do HTTP or I/O.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sandbox.google.people_model import PeopleStore

SEED_RANDOM = 20_240_501
SEED_CLOCK = dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.UTC)
Body = dict[str, Any]

GIVEN = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elena",
    "Felix",
    "Greta",
    "Hannah",
    "Ivan",
    "Julia",
    "Karl",
    "Lena",
    "Mia",
    "Noah",
    "Olivia",
    "Paul",
    "Quentin",
    "Rosa",
    "Samuel",
    "Tara",
    "Uwe",
    "Vera",
    "William",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Aiko",
    "Bruno",
    "Chiara",
    "Dmitri",
    "Emma",
    "Farid",
    "Giulia",
    "Hugo",
    "Ines",
    "Jonas",
    "Kemal",
    "Laura",
    "Marco",
    "Nora",
    "Oskar",
    "Priya",
    "Rafael",
    "Sofia",
    "Tobias",
]
FAMILY = [
    "Schmidt",
    "Becker",
    "Rossi",
    "Dubois",
    "Novak",
    "Tanaka",
    "Fischer",
    "Keller",
    "Garcia",
    "Jensen",
    "Kowalski",
    "Moreau",
    "Brown",
    "Nguyen",
    "Silva",
    "Weber",
    "Hoffmann",
    "Larsen",
    "Costa",
    "Yilmaz",
    "Petrov",
    "Murphy",
    "Sato",
    "Wagner",
]
COMPANIES = (
    ("Contoso GmbH", "Sales"),
    ("Fabrikam Inc.", "Engineering"),
    ("Northwind Traders", "Purchasing"),
    ("Tailspin Toys", "Marketing"),
    ("Litware Ltd", "Support"),
)
SPELLINGS = (
    "+49 30 1234567",
    "030 7654321",
    "0049 89 1234 5678",
    "+1 (646) 555-0100",
    "646-555-0199",
    "+44 20 7946 0958",
    "+49 30 1234567-89",
)


def jpeg_bytes(label: str) -> bytes:
    """A small structurally valid JPEG (SOI, JFIF APP0, comment, EOI) distinct per label."""
    comment = label.encode("utf-8")[:200]
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    com = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return b"\xff\xd8" + app0 + com + b"\xff\xd9"


def _name(given: str, family: str, **extra: str) -> list[Body]:
    return [{"givenName": given, "familyName": family, **extra}]


def named_contacts() -> list[tuple[Body, tuple[str, ...], str | None]]:
    """(person body, labels, photo label) of the hand-written contacts."""
    return [
        (
            {
                "names": _name("Max", "Mustermann"),
                "organizations": [
                    {"name": "Contoso GmbH", "title": "Vertriebsleiter", "type": "work"}
                ],
                "phoneNumbers": [
                    {"value": "+49 30 1234567", "type": "work"},
                    {"value": "+49 151 23456789", "type": "mobile"},
                ],
                "emailAddresses": [{"value": "max@contoso.de", "type": "work"}],
                "addresses": [
                    {
                        "streetAddress": "Friedrichstraße 123",
                        "city": "Berlin",
                        "postalCode": "10117",
                        "country": "Germany",
                        "countryCode": "DE",
                        "type": "work",
                    }
                ],
                "birthdays": [{"date": {"year": 1980, "month": 4, "day": 12}}],
                "relations": [{"person": "Erika Musterfrau", "type": "spouse"}],
                "userDefined": [{"key": "Kundennummer", "value": "K-1001"}],
                "events": [{"date": {"year": 2010, "month": 6, "day": 18}, "type": "anniversary"}],
            },
            ("Clients",),
            "max",
        ),
        (
            {
                "names": _name("Erika", "Musterfrau"),
                "phoneNumbers": [{"value": "030 7654321", "type": "home"}],
                "emailAddresses": [{"value": "erika@example.de", "type": "home"}],
                "birthdays": [{"date": {"month": 8, "day": 3}}],
                "biographies": [
                    {
                        "value": "Met at the Berlin fair.\nPrefers calls after 5pm.",
                        "contentType": "TEXT_PLAIN",
                    }
                ],
            },
            ("Clients", "Family"),
            "erika",
        ),
        (
            {
                "names": _name("Hans", "Huber", honorificPrefix="Dr.", middleName="Josef"),
                "nicknames": [{"value": "Hansi"}],
                "phoneNumbers": [
                    {"value": "0049 89 1234 5678", "type": "work"},
                    {"value": "+49 89 1234 5679", "type": "workFax"},
                ],
                "organizations": [
                    {"name": "Fabrikam Inc.", "department": "Legal", "title": "Counsel"}
                ],
                "urls": [{"value": "https://fabrikam.example/huber", "type": "work"}],
            },
            ("Clients",),
            None,
        ),
        (
            {
                "names": _name("Jennifer", "Walsh", honorificSuffix="Jr."),
                "phoneNumbers": [
                    {"value": "+1 (646) 555-0100", "type": "mobile"},
                    {"value": "646-555-0199", "type": "Assistant"},
                ],
                "emailAddresses": [
                    {"value": "jen.walsh@northwind.example", "type": "work"},
                    {"value": "jen@walsh.example", "type": "other"},
                ],
                "addresses": [
                    {
                        "streetAddress": "350 Fifth Avenue",
                        "city": "New York",
                        "region": "NY",
                        "postalCode": "10118",
                        "countryCode": "US",
                        "type": "home",
                    }
                ],
            },
            ("Clients",),
            "jennifer",
        ),
        (
            {
                "names": _name("Oliver", "Smith"),
                "phoneNumbers": [
                    {"value": "+44 20 7946 0958", "type": "work"},
                    {"value": "+49 30 1234567-89", "type": "main"},
                    {"value": "+44 20 7946 0000", "type": "pager"},
                ],
                "imClients": [{"username": "osmith", "protocol": "skype"}],
            },
            ("Family",),
            None,
        ),
        (
            {
                "organizations": [{"name": "Litware Ltd", "department": "Reception"}],
                "phoneNumbers": [{"value": "+44 20 7946 0100", "type": "main"}],
            },
            (),
            None,
        ),
        (
            {"emailAddresses": [{"value": "newsletter@tailspin.example"}]},
            (),
            None,
        ),
    ]


def generated(rng: random.Random, n: int) -> list[tuple[Body, tuple[str, ...], str | None]]:
    out: list[tuple[Body, tuple[str, ...], str | None]] = []
    for i in range(n):
        given, family = GIVEN[i % len(GIVEN)], FAMILY[(i * 7) % len(FAMILY)]
        company, dept = COMPANIES[i % len(COMPANIES)]
        spelling = SPELLINGS[i % len(SPELLINGS)]
        digits = f"{rng.randrange(1000000, 9999999)}"
        body: Body = {
            "names": _name(given, family),
            "emailAddresses": [
                {
                    "value": f"{given}.{family}@{company.split()[0].lower()}.example".lower(),
                    "type": "work",
                }
            ],
            "phoneNumbers": [
                {"value": spelling[:-4] + digits[-4:] if i >= 7 else spelling, "type": "work"},
                {"value": f"+49 170 {digits}", "type": "mobile"},
            ],
            "organizations": [{"name": company, "department": dept, "title": "Manager"}],
        }
        if i % 4 == 0:
            body["birthdays"] = [
                {"date": {"year": 1970 + i % 30, "month": 1 + i % 12, "day": 1 + i % 28}}
            ]
        labels: tuple[str, ...] = (
            ("Clients",) if i % 3 == 0 else (("Family",) if i % 11 == 5 else ())
        )
        out.append((body, labels, f"gen-{i}" if i % 6 == 1 else None))
    return out


def seed_people(store: PeopleStore, count: int = 60) -> dict[str, str]:
    """Reset `store` and seed it; returns display name -> resource name (and label -> group)."""
    saved_clock, saved_rng = store.clock, store.rng
    store.rng = random.Random(SEED_RANDOM)
    store.reset()
    ticks = iter(range(10**6))
    store.clock = lambda: SEED_CLOCK + dt.timedelta(minutes=next(ticks))
    ids: dict[str, str] = {}
    try:
        for label in ("Clients", "Family"):
            ids[label] = store.add_group(label).resource_name
        rows = named_contacts()
        rows += generated(random.Random(SEED_RANDOM), max(0, count - len(rows)))
        for body, labels, photo in rows:
            memberships = [
                {"contactGroupMembership": {"contactGroupResourceName": ids[lab]}} for lab in labels
            ]
            contact = store.create({**body, "memberships": memberships}, None)
            if photo:
                store.set_photo(contact, jpeg_bytes(photo))
            names = body.get("names") or [{}]
            key = " ".join(
                str(names[0].get(k)) for k in ("givenName", "familyName") if names[0].get(k)
            )
            ids.setdefault(key or contact.resource_name, contact.resource_name)
    finally:
        store.clock, store.rng = saved_clock, saved_rng
    return ids
