"""Seed contacts of the EWS sandbox: folders Contacts, Contacts/Clients, Contacts/Clients/Europe,
Contacts/Family and ~40 contacts with the phone spellings the caller-lookup tests need.

Named contacts every vendor's seed has: "Max Mustermann" (Contoso GmbH, work +49 30 1234567,
mobile +49 151 23456789, max@contoso.de — also SpouseName/Manager/AssistantName/Children, fields a
vCard cannot carry) and "Erika Musterfrau" (home 030 7654321). Deterministic: the same contacts
in the same order for any `now` (only the timestamps follow `now`). This module must not do I/O.
"""

from __future__ import annotations

import datetime as dt

from sandbox.ews import contacts_edit
from sandbox.ews.store import Fields, Store

FOLDERS = (
    ("clients", "Clients", None),
    ("europe", "Europe", "clients"),
    ("family", "Family", None),
)


def _bday(year: int, month: int, day: int) -> dt.datetime:
    # exchangelib sends a date as that day 11:59 UTC (DateTimeBackedDateField default_time)
    return dt.datetime(year, month, day, 11, 59, tzinfo=dt.UTC)


NAMED: tuple[tuple[str, str, Fields], ...] = (
    (
        "max",
        "contacts",
        {
            "GivenName": "Max",
            "Surname": "Mustermann",
            "DisplayName": "Max Mustermann",
            "CompanyName": "Contoso GmbH",
            "Department": "Einkauf",
            "JobTitle": "Einkaufsleiter",
            "EmailAddresses": {"EmailAddress1": "max@contoso.de"},
            "PhoneNumbers": {"BusinessPhone": "+49 30 1234567", "MobilePhone": "+49 151 23456789"},
            "PhysicalAddresses": {
                "Business": {
                    "Street": "Friedrichstraße 123",
                    "City": "Berlin",
                    "PostalCode": "10117",
                    "CountryOrRegion": "Germany",
                }
            },
            "Birthday": _bday(1975, 4, 12),
            "SpouseName": "Maria Mustermann",
            "Manager": "Dr. Anna Schmidt",
            "AssistantName": "Lena Vogel",
            "Children": ["Paul", "Emma"],
            "Categories": ["Kunden"],
            "Body": "Prefers calls before noon.",
            "BodyType": "Text",
        },
    ),
    (
        "erika",
        "contacts",
        {
            "GivenName": "Erika",
            "Surname": "Musterfrau",
            "DisplayName": "Erika Musterfrau",
            "EmailAddresses": {"EmailAddress1": "erika.musterfrau@example.de"},
            "PhoneNumbers": {"HomePhone": "030 7654321"},
            "PhysicalAddresses": {
                "Home": {"Street": "Heidestraße 17", "City": "Köln", "PostalCode": "51147"}
            },
        },
    ),
    (
        "klaus",
        "contacts",
        {
            "GivenName": "Klaus",
            "Surname": "Becker",
            "CompanyName": "Contoso GmbH",
            "PhoneNumbers": {"BusinessPhone": "+49 30 1234567-89", "BusinessFax": "+49 30 1234568"},
        },
    ),
    (
        "jane",
        "clients",
        {
            "GivenName": "Jane",
            "Surname": "Doe",
            "CompanyName": "Fabrikam Inc.",
            "JobTitle": "CFO",
            "EmailAddresses": {
                "EmailAddress1": "jane.doe@fabrikam.example",
                "EmailAddress2": "jane@doe-family.example",
            },
            "PhoneNumbers": {"BusinessPhone": "+1 (646) 555-0100", "MobilePhone": "646-555-0199"},
            "BusinessHomePage": "https://fabrikam.example",
        },
    ),
    (
        "oliver",
        "europe",
        {
            "GivenName": "Oliver",
            "Surname": "Smith",
            "CompanyName": "Northwind Traders Ltd",
            "EmailAddresses": {"EmailAddress1": "oliver.smith@northwind.example"},
            "PhoneNumbers": {"BusinessPhone": "+44 20 7946 0958"},
            "PhysicalAddresses": {
                "Business": {"Street": "1 King's Road", "City": "London", "CountryOrRegion": "UK"}
            },
        },
    ),
    (
        "hans",
        "europe",
        {
            "GivenName": "Hans",
            "Surname": "Meier",
            "CompanyName": "Alpina AG",
            "PhoneNumbers": {"BusinessPhone": "0049 89 1234 5678", "Pager": "+49 89 999"},
        },
    ),
    (
        "helga",
        "family",
        {
            "GivenName": "Helga",
            "Surname": "Musterfrau",
            "Nickname": "Oma",
            "PhoneNumbers": {"HomePhone": "030 1112233"},
            "Birthday": _bday(1604, 9, 3),  # Outlook's year for a birthday without a year
        },
    ),
)
_GIVEN = ("Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Henrik")
_SURNAMES = ("Albrecht", "Brandt", "Conrad", "Dietrich")
_BOOKS = ("contacts", "contacts", "clients", "europe", "family")
_PHONES = ("+49 30 {n:07d}", "030 {n:07d}", "0049 89 {n:04d} {n:04d}", "+1 (212) 555-{n:04d}")


def generated() -> list[tuple[str, str, Fields]]:
    out: list[tuple[str, str, Fields]] = []
    for i in range(33):
        given, surname = _GIVEN[i % len(_GIVEN)], _SURNAMES[i // len(_GIVEN) % len(_SURNAMES)]
        n = 1000 + 37 * i
        phone = _PHONES[i % len(_PHONES)].format(n=n)
        fields: Fields = {
            "GivenName": given,
            "Surname": f"{surname}-{i:02d}",
            "EmailAddresses": {
                "EmailAddress1": f"{given.lower()}.{surname.lower()}{i}@example.org"
            },
            "PhoneNumbers": {("MobilePhone" if i % 3 == 0 else "BusinessPhone"): phone},
        }
        if i % 4 == 0:
            fields["CompanyName"] = f"Firma {surname} KG"
        out.append((f"gen{i:02d}", _BOOKS[i % len(_BOOKS)], fields))
    return out


def apply(store: Store, ids: dict[str, str], now: dt.datetime) -> dict[str, str]:
    """Create the contact subfolders and contacts; returns key -> id (folders 'book:<key>')."""
    books = {"contacts": ids["contacts"]}
    for key, name, parent in FOLDERS:
        books[key] = store.add_folder(name, books[parent or "contacts"], "IPF.Contact").id
    out = {f"book:{k}": v for k, v in books.items()}
    for key, book, fields in (*NAMED, *generated()):
        out[f"contact:{key}"] = contacts_edit.create(store, books[book], fields, now).id
    return out
