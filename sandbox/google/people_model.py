"""The in-memory People API v1 model: contacts, contact groups, photos and the change sequence.

Behaviour reproduced from the People API reference (developers.google.com/people/api/rest/v1):
- Contacts are `people/c<number>`; every write gives a new person etag and source etag and a
  new change sequence number (sync tokens are positions in it, people_sync.py).
- `people.updateContact`: `updatePersonFields` fields are replaced; the person `etag` (or
  `metadata.sources[].etag`) must equal the current one, else 400 FAILED_PRECONDITION
  "failedPrecondition"; names/biographies/birthdays/genders are singletons (400 on two).
- `people.deleteContact` leaves a tombstone that sync requests report as `metadata.deleted`.
- Contacts always land in `contactGroups/myContacts` when created; `contactGroups.members.modify`
  cannot remove a contact from its last group (`canNotRemoveLastContactGroupResourceNames`).
- Fields the API accepts but this model does not interpret (relations, userDefined, events,
  clientData, imClients …) are stored and returned unchanged.
Pure: no HTTP, no I/O; the clock and the id generator are injectable (seeding is deterministic).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import random
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.google.people_errors import PeopleError, invalid, not_found

CONTACTS = "https://www.googleapis.com/auth/contacts"
CONTACTS_READONLY = "https://www.googleapis.com/auth/contacts.readonly"
PEOPLE_SCOPES = frozenset({CONTACTS, CONTACTS_READONLY})

# Person fields a contact write may carry (updateContact `updatePersonFields` valid values).
WRITABLE = (
    "addresses",
    "biographies",
    "birthdays",
    "calendarUrls",
    "clientData",
    "emailAddresses",
    "events",
    "externalIds",
    "genders",
    "imClients",
    "interests",
    "locales",
    "locations",
    "memberships",
    "miscKeywords",
    "names",
    "nicknames",
    "occupations",
    "organizations",
    "phoneNumbers",
    "relations",
    "sipAddresses",
    "urls",
    "userDefined",
)
OUTPUT_ONLY = ("ageRanges", "coverPhotos", "metadata", "photos", "skills")
READABLE = frozenset(WRITABLE + OUTPUT_ONLY)
IGNORED_ON_WRITE = frozenset({"resourceName", "etag", *OUTPUT_ONLY})
SINGLETONS = ("names", "biographies", "birthdays", "genders")
# Read-only members of field entries, dropped when a client sends them back.
ENTRY_OUTPUT_ONLY = frozenset(
    {"metadata", "formattedType", "canonicalForm", "displayName", "displayNameLastFirst"}
)
# contactGroups.list of a fresh account: the system groups (formattedName in English).
SYSTEM_GROUPS = (
    ("myContacts", "My Contacts"),
    ("starred", "Starred"),
    ("friends", "Friends"),
    ("family", "Family"),
    ("coworkers", "Coworkers"),
    ("chatBuddies", "Chat contacts"),
    ("all", "All Contacts"),
    ("blocked", "Blocked"),
)
SYSTEM_NAMES = dict(SYSTEM_GROUPS)
ADDABLE_SYSTEM = ("myContacts", "starred")  # members:modify reference
TOKEN_LIFETIME = dt.timedelta(days=7)  # connections.list: "Sync tokens expire 7 days after"


def fmt_time(when: dt.datetime) -> str:
    # RFC 3339 with milliseconds, as updateTime values of the People API read.
    utc = when.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass
class Group:
    id: str
    name: str
    group_type: str  # USER_CONTACT_GROUP | SYSTEM_CONTACT_GROUP
    etag: str
    update_time: str
    deleted: bool = False

    @property
    def resource_name(self) -> str:
        return f"contactGroups/{self.id}"


@dataclass
class Contact:
    number: int  # people/c<number>
    data: dict[str, Any]  # writable person fields as stored (memberships excluded)
    groups: list[str]  # contact group ids
    seq: int = 0
    update_time: str = ""
    photo: str | None = None  # key into PeopleStore.photos
    deleted: bool = False

    @property
    def resource_name(self) -> str:
        return f"people/c{self.number}"

    @property
    def source_id(self) -> str:
        return f"{self.number:x}"

    @property
    def etag(self) -> str:
        raw = f"{self.number}:{self.seq}".encode()
        return "%Eg" + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @property
    def source_etag(self) -> str:
        return "#" + base64.urlsafe_b64encode(f"{self.seq}".encode()).decode().rstrip("=")


@dataclass
class PeopleStore:
    user: str
    region: str = "US"  # the account's region: how canonicalForm reads national numbers
    contacts: dict[int, Contact] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    photos: dict[str, str] = field(default_factory=dict)  # key -> base64 bytes
    seq: int = 0
    epoch: int = 1  # sync tokens of an older epoch are expired
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC), repr=False)
    rng: random.Random = field(default_factory=lambda: random.Random(secrets.randbits(64)))

    # ---- ids, clock ---------------------------------------------------------------------
    def _bump(self, contact: Contact) -> None:
        self.seq += 1
        contact.seq = self.seq
        contact.update_time = fmt_time(self.clock())

    def new_hex(self, n: int = 16) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def reset(self) -> None:
        self.contacts.clear()
        self.groups.clear()
        self.photos.clear()
        self.epoch += 1
        for gid, _ in SYSTEM_GROUPS:
            # System groups are named by their id; formattedName is the translated name.
            self.groups[gid] = Group(gid, gid, "SYSTEM_CONTACT_GROUP", self._group_etag(), "")

    def _group_etag(self) -> str:
        return base64.b64encode(self.rng.randbytes(9)).decode()

    # ---- reading --------------------------------------------------------------------------
    def contact(self, resource_name: str, include_deleted: bool = False) -> Contact:
        prefix = "people/c"
        if not resource_name.startswith(prefix) or not resource_name[len(prefix) :].isdigit():
            raise invalid(f"Resource name is not a valid contact person resource: {resource_name}")
        found = self.contacts.get(int(resource_name[len(prefix) :]))
        if found is None or (found.deleted and not include_deleted):
            raise not_found()
        return found

    def group(self, resource_name: str) -> Group:
        gid = resource_name.removeprefix("contactGroups/")
        grp = self.groups.get(gid)
        if grp is None or grp.deleted:
            raise not_found()
        return grp

    def live(self) -> list[Contact]:
        return [c for c in self.contacts.values() if not c.deleted]

    def member_count(self, grp: Group) -> int:
        if grp.id == "all":
            return len(self.live())
        return sum(1 for c in self.live() if grp.id in c.groups)

    # ---- writing --------------------------------------------------------------------------
    def create(self, body: dict[str, Any], photo: bytes | None = None) -> Contact:
        fields = clean_person(body, WRITABLE)
        groups = self._membership_ids(fields.pop("memberships", None))
        if "myContacts" not in groups:
            groups.insert(0, "myContacts")
        number = self._new_number()
        contact = Contact(number, fields, groups)
        self._bump(contact)
        self.contacts[number] = contact
        if photo is not None:
            self.set_photo(contact, photo)
        return contact

    def _new_number(self) -> int:
        while True:
            number = self.rng.randrange(10**18, 10**19)
            if number not in self.contacts:
                return number

    def update(
        self,
        contact: Contact,
        body: dict[str, Any],
        mask: list[str],
        check_etag: bool = True,
    ) -> Contact:
        if not mask:
            raise invalid(
                "updatePersonFields mask is required. Please specify one or more valid paths."
            )
        bad = [m for m in mask if m not in WRITABLE]
        if bad:
            raise invalid(f'Invalid updatePersonFields mask path: "{bad[0]}".')
        if check_etag:
            self._check_etag(contact, body)
        fields = clean_person(body, tuple(mask))
        new_groups = contact.groups
        if "memberships" in mask:
            new_groups = self._membership_ids(fields.pop("memberships", None))
            if not new_groups:
                raise invalid("Person must have at least one contact group membership.")
        for name in mask:
            if name == "memberships":
                continue
            if name in fields:
                contact.data[name] = fields[name]
            else:
                contact.data.pop(name, None)
        contact.groups = new_groups
        self._bump(contact)
        return contact

    def _check_etag(self, contact: Contact, body: dict[str, Any]) -> None:
        sources = (body.get("metadata") or {}).get("sources") or []
        source_etags = [
            str(s.get("etag")) for s in sources if isinstance(s, dict) and s.get("etag")
        ]
        person_etag = body.get("etag")
        if not person_etag and not source_etags:
            raise invalid(
                "Request must set person.etag or person.metadata.sources.etag for the source "
                "that is being updated."
            )
        if person_etag and person_etag != contact.etag:
            raise PeopleError(
                400,
                "failedPrecondition",
                "Request person.etag is different than the current person.etag. Clear local "
                "cache and get the latest person.",
            )
        if source_etags and contact.source_etag not in source_etags:
            raise PeopleError(
                400,
                "failedPrecondition",
                "Request person.metadata.sources.etag is different than the current "
                "person.metadata.sources.etag. Clear local cache and get the latest person.",
            )

    def delete(self, contact: Contact) -> None:
        contact.deleted = True
        if contact.photo:
            self.photos.pop(contact.photo, None)
            contact.photo = None
        self._bump(contact)

    def set_photo(self, contact: Contact, data: bytes | None) -> None:
        if contact.photo:
            self.photos.pop(contact.photo, None)
            contact.photo = None
        if data:
            key = "AHa" + base64.urlsafe_b64encode(self.rng.randbytes(24)).decode()
            self.photos[key] = base64.b64encode(data).decode()
            contact.photo = key
        self._bump(contact)

    def _membership_ids(self, memberships: Any) -> list[str]:
        out: list[str] = []
        for m in memberships or []:
            cgm = m.get("contactGroupMembership") if isinstance(m, dict) else None
            rn = str((cgm or {}).get("contactGroupResourceName") or "")
            if not rn:
                continue
            grp = self.group(rn)
            if grp.id not in out:
                out.append(grp.id)
        return out

    def add_group(self, name: str) -> Group:
        name = name.strip()
        if not name:
            raise invalid("Contact group name must not be empty.")
        if any(
            g.name == name and not g.deleted and g.group_type == "USER_CONTACT_GROUP"
            for g in self.groups.values()
        ):
            raise PeopleError(409, "alreadyExists", "Contact group name already exists.")
        grp = Group(self.new_hex(16), name, "USER_CONTACT_GROUP", self._group_etag(), "")
        grp.update_time = fmt_time(self.clock())
        self.groups[grp.id] = grp
        return grp

    def rename_group(self, grp: Group, name: str, etag: str) -> Group:
        """contactGroups.update of a user group's name (a stale etag: FAILED_PRECONDITION)."""
        if etag and etag != grp.etag:
            raise PeopleError(400, "failedPrecondition", "Request etag does not match the group's.")
        name = name.strip()
        if not name:
            raise invalid("Contact group name must not be empty.")
        if any(
            g.name == name
            and g is not grp
            and not g.deleted
            and g.group_type == "USER_CONTACT_GROUP"
            for g in self.groups.values()
        ):
            raise PeopleError(409, "alreadyExists", "Contact group name already exists.")
        grp.name = name
        grp.etag = self._group_etag()
        grp.update_time = fmt_time(self.clock())
        return grp

    def delete_group(self, grp: Group, delete_contacts: bool) -> None:
        """contactGroups.delete: members lose the label (or are deleted with deleteContacts)."""
        for contact in self.live():
            if grp.id not in contact.groups:
                continue
            if delete_contacts:
                self.delete(contact)
                continue
            contact.groups.remove(grp.id)
            if not contact.groups:
                contact.groups.append("myContacts")
            self._bump(contact)
        grp.deleted = True

    def modify_members(
        self, grp: Group, add: list[str], remove: list[str]
    ) -> tuple[list[str], list[str]]:
        """(notFound, canNotRemoveLast) resource names, as members:modify answers them."""
        if grp.group_type == "SYSTEM_CONTACT_GROUP" and add and grp.id not in ADDABLE_SYSTEM:
            raise invalid(f"Cannot add contacts to system contact group {grp.resource_name}.")
        missing: list[str] = []
        last: list[str] = []
        for rn in add:
            contact = self._find(rn)
            if contact is None:
                missing.append(rn)
            elif grp.id not in contact.groups:
                contact.groups.append(grp.id)
                self._bump(contact)
        for rn in remove:
            contact = self._find(rn)
            if contact is None:
                missing.append(rn)
            elif grp.id in contact.groups:
                if len(contact.groups) == 1:
                    last.append(rn)
                    continue
                contact.groups.remove(grp.id)
                self._bump(contact)
        return missing, last

    def _find(self, resource_name: str) -> Contact | None:
        try:
            return self.contact(resource_name)
        except PeopleError:
            return None

    # ---- persistence ------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "region": self.region,
            "seq": self.seq,
            "epoch": self.epoch,
            "contacts": [asdict(c) for c in self.contacts.values()],
            "groups": [asdict(g) for g in self.groups.values()],
            "photos": self.photos,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PeopleStore:
        store = cls(str(data["user"]), str(data.get("region") or "US"))
        store.seq, store.epoch = int(data["seq"]), int(data["epoch"])
        for c in data["contacts"]:
            store.contacts[int(c["number"])] = Contact(**c)
        for g in data["groups"]:
            store.groups[g["id"]] = Group(**g)
        store.photos = dict(data.get("photos") or {})
        return store


def clean_person(body: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    """The writable fields of a request body, output-only members removed, singletons checked.
    Unknown field names answer 400 as Google's JSON parser does."""
    out: dict[str, Any] = {}
    for name, value in body.items():
        if name in IGNORED_ON_WRITE:
            continue
        if name not in READABLE:
            raise invalid(
                f"Invalid JSON payload received. Unknown name \"{name}\" at 'person': "
                "Cannot find field."
            )
        if name not in allowed or value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise invalid(f"Invalid value at 'person.{name}': expected a list of objects.")
        if name in SINGLETONS and len(value) > 1:
            raise invalid(f"Only one field is allowed for person.{name} on contact sources.")
        entries = [
            {k: copy.deepcopy(v) for k, v in e.items() if k not in ENTRY_OUTPUT_ONLY} for e in value
        ]
        out[name] = entries
    return out
