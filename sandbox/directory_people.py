"""The organisation directory each sandbox tenant serves (K5): at least 500 people, generated
deterministically from the tenant's seed (the same seed always gives the same people, ids and
numbers), with the tenant's real users first, plus a change log so that the emulated delta /
sync-token endpoints can answer "what changed since".

Phone numbers are written the varied ways real directories hold them ("+1 425 555 0142",
"(206) 555-0187", "425.555.0199", "+44 20 7946 0321", "+49 (0)30 2345 6789", "0049 89
1234567", "+1-646-555-0110 x23"), so the bridge's E.164 index is exercised on directory data.

Used by the Graph (`/users`, `/users/delta`), Google (People API directory methods) and EWS
(ResolveNames against the GAL) emulators. This module must not define HTTP routes.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

DEFAULT_COUNT = 520

_GIVEN = [
    "Adele",
    "Alan",
    "Allan",
    "Amara",
    "Ana",
    "Ben",
    "Bianca",
    "Carla",
    "Chen",
    "Dana",
    "Diego",
    "Elena",
    "Emil",
    "Erin",
    "Fatima",
    "Felix",
    "Grace",
    "Hana",
    "Hugo",
    "Ines",
    "Isaac",
    "Jana",
    "Johanna",
    "Jonas",
    "Julia",
    "Kai",
    "Karim",
    "Lara",
    "Leon",
    "Lina",
    "Lukas",
    "Maja",
    "Marco",
    "Maria",
    "Mateo",
    "Mia",
    "Nadia",
    "Nina",
    "Noah",
    "Olga",
    "Omar",
    "Paula",
    "Pedro",
    "Priya",
    "Rafael",
    "Rosa",
    "Sami",
    "Sara",
    "Sofia",
    "Tariq",
    "Theo",
    "Uma",
    "Vera",
    "Viktor",
    "Wen",
    "Yara",
    "Yusuf",
    "Zoe",
]
_FAMILY = [
    "Abbott",
    "Bauer",
    "Becker",
    "Brandt",
    "Castillo",
    "Chowdhury",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hartmann",
    "Hoffmann",
    "Ibrahim",
    "Jansen",
    "Kaur",
    "Keller",
    "Kowalski",
    "Lang",
    "Larsen",
    "Lehmann",
    "Lopez",
    "Meier",
    "Moreau",
    "Nakamura",
    "Novak",
    "Okafor",
    "Olsen",
    "Petrov",
    "Quinn",
    "Richter",
    "Rossi",
    "Santos",
    "Schmidt",
    "Schulz",
    "Silva",
    "Tanaka",
    "Torres",
    "Vogel",
    "Wagner",
    "Weber",
    "Wolf",
    "Yilmaz",
    "Young",
    "Zimmermann",
]
_DEPARTMENTS = ("Sales", "Engineering", "Finance", "Support", "Marketing", "Legal", "Operations")
_TITLES = ("Manager", "Engineer", "Analyst", "Specialist", "Consultant", "Director", "Assistant")


@dataclass
class Person:
    id: str
    given: str
    family: str
    email: str
    title: str
    department: str
    office: str  # business phone as the directory holds it ("" when none)
    mobile: str  # mobile phone as the directory holds it ("" when none)
    version: int = 0  # the directory version that last changed this person

    @property
    def display_name(self) -> str:
        return f"{self.given} {self.family}".strip()


def _office(rng: random.Random, n: int) -> str:
    """A business number in one of the formats seen in real directories; unique by `n`."""
    tail = f"{n % 10000:04d}"
    area = ("425", "206", "646", "312")[n % 4]
    forms = (
        f"+1 {area} 555 {tail}",
        f"({area}) 555-{tail}",
        f"{area}.555.{tail}",
        f"+44 20 7946 {tail}",
        f"+49 (0)30 {2000 + n % 8000:04d} {tail[:2]}{rng.randint(10, 99)}",
        f"0049 89 {1000000 + n * 7 % 9000000}",
        f"+1-{area}-555-{tail} x{rng.randint(10, 99)}",
    )
    return forms[rng.randrange(len(forms))]


def _mobile(rng: random.Random, n: int) -> str:
    tail = f"{(n * 37) % 10000:04d}"
    forms = (f"+1 {('917', '415')[n % 2]} 555 {tail}", f"+49 151 {10000000 + n * 13:08d}")
    return forms[rng.randrange(len(forms))] if rng.random() < 0.6 else ""


def _person_id(seed: str, n: int) -> str:
    digest = hashlib.sha256(f"{seed}:{n}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def generate(
    seed: str,
    domain: str,
    count: int = DEFAULT_COUNT,
    real_users: Sequence[tuple[str, str]] = (),
) -> list[Person]:
    """`real_users` (name, email) first, then generated people up to `count` in all."""
    rng = random.Random(seed)  # noqa: S311 - deterministic test data, not security
    people: list[Person] = []
    emails: set[str] = set()
    for n, (name, email) in enumerate(real_users):
        given, _, family = name.partition(" ")
        people.append(
            Person(
                _person_id(seed, -1 - n), given, family, email, "", "", _office(rng, 9000 + n), ""
            )
        )
        emails.add(email.lower())
    n = 0
    while len(people) < count:
        given = _GIVEN[n % len(_GIVEN)]
        family = _FAMILY[(n // len(_GIVEN) + n * 7) % len(_FAMILY)]
        email = f"{given}.{family}@{domain}".lower()
        k = 2
        while email in emails:
            email = f"{given}.{family}{k}@{domain}".lower()
            k += 1
        emails.add(email)
        people.append(
            Person(
                _person_id(seed, n),
                given,
                family,
                email,
                _TITLES[n % len(_TITLES)],
                _DEPARTMENTS[(n // 3) % len(_DEPARTMENTS)],
                _office(rng, n),
                _mobile(rng, n),
            )
        )
        n += 1
    return people


@dataclass
class Directory:
    """The tenant's directory with a version counter: every change bumps it, so a sync token
    is simply the version it was handed out at."""

    people: dict[str, Person] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)  # id -> version it was removed at
    version: int = 1

    @staticmethod
    def seeded(
        seed: str,
        domain: str,
        count: int = DEFAULT_COUNT,
        real_users: Iterable[tuple[str, str]] = (),
    ) -> Directory:
        found = generate(seed, domain, count, tuple(real_users))
        return Directory({p.id: p for p in found})

    def listing(self) -> list[Person]:
        """Everyone, in a stable order (by display name, then id)."""
        return sorted(self.people.values(), key=lambda p: (p.display_name.lower(), p.id))

    def changed_since(self, version: int) -> tuple[list[Person], list[str]]:
        changed = [p for p in self.listing() if p.version > version]
        gone = sorted(pid for pid, at in self.removed.items() if at > version)
        return changed, gone

    def change(self, person_id: str, **values: str) -> Person:
        person = self.people[person_id]
        for key, value in values.items():
            if key not in ("given", "family", "email", "title", "department", "office", "mobile"):
                raise KeyError(key)
            setattr(person, key, value)
        self.version += 1
        person.version = self.version
        return person

    def add(self, person: Person) -> Person:
        self.version += 1
        person.version = self.version
        self.people[person.id] = person
        self.removed.pop(person.id, None)
        return person

    def remove(self, person_id: str) -> None:
        self.people.pop(person_id)
        self.version += 1
        self.removed[person_id] = self.version

    def search(self, query: str) -> list[Person]:
        """People whose display name, a word of it, or email starts with `query`
        (case-insensitive), as address-book searches match."""
        q = query.strip().lower()
        if not q:
            return []
        return [
            p
            for p in self.listing()
            if p.email.lower().startswith(q)
            or p.display_name.lower().startswith(q)
            or any(w.lower().startswith(q) for w in p.display_name.split())
        ]
