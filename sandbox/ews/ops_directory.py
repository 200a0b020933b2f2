"""ResolveNames against the Global Address List (K5), replacing the attendee-only resolver of
ops_misc for the same operation (registered after it).

Exchange web-service reference "ResolveNames operation": the UnresolvedEntry is resolved by
ambiguous name resolution — a prefix of the display name, of a word of it, of the email
address (an "SMTP:" prefix is dropped); `SearchScope` ActiveDirectory | ActiveDirectoryContacts
| Contacts | ContactsActiveDirectory (default) — the mailbox's own contacts are not emulated
here, so every scope searches the directory; at most 100 candidates come back ("Remarks"),
with the ResolutionSet's IncludesLastItemInRange "false" when there were more. One match ->
Success, several -> Warning ErrorNameResolutionMultipleResults, none -> Error
ErrorNameResolutionNoResults. With ReturnFullContactData="true" each Resolution carries a
t:Contact (reference "Contact" / "PhoneNumbers" / "EmailAddresses": DisplayName, GivenName,
CompanyName, EmailAddresses, PhoneNumbers with keys BusinessPhone / MobilePhone,
ContactSource ActiveDirectory, Department, JobTitle, Surname, in schema order).

The GAL is the organisation's (sandbox.directory_people, seed "ews"), the same for every
mailbox of the sandbox, plus the people the attendee resolver knew. Must not change the store.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from sandbox.directory_people import Directory, Person
from sandbox.ews.ops_misc import _directory as attendee_directory
from sandbox.ews.soap import EwsError, Request, error, m, sub, success

if TYPE_CHECKING:
    from sandbox.ews.service import EwsService

CANDIDATES = 100
_GALS: dict[str, Directory] = {}
_GUARD = threading.Lock()


def gal(domain: str = "contoso.example") -> Directory:
    """The organisation's GAL (generated once per process; deterministic)."""
    with _GUARD:
        found = _GALS.get(domain)
        if found is None:
            found = _GALS[domain] = Directory.seeded("ews", domain)
        return found


def _candidates(svc: EwsService, query: str) -> list[Person]:
    people = gal().search(query)
    known = {p.email.lower() for p in people}
    q = query.lower()
    for name, email in attendee_directory(svc):
        if email.lower() in known:
            continue
        words = [name.lower(), *name.lower().split(), email.lower()]
        if any(w.startswith(q) for w in words):
            given, _, family = name.partition(" ")
            people.append(Person(email.lower(), given, family, email, "", "", "", ""))
    return sorted(people, key=lambda p: (p.display_name.lower(), p.email.lower()))


def resolve_names(svc: EwsService, req: Request) -> ET.Element:
    env, msgs = svc.envelope(req)
    query = (req.body.findtext(m("UnresolvedEntry")) or "").strip()
    if query.lower().startswith("smtp:"):
        query = query[5:]
    hits = _candidates(svc, query) if query else []
    if not hits:
        error(
            msgs, "ResolveNames", EwsError("ErrorNameResolutionNoResults", "No results were found.")
        )
        return env
    if len(hits) == 1:
        msg = success(msgs, "ResolveNames")
    else:
        msg = sub(msgs, "m:ResolveNamesResponseMessage", ResponseClass="Warning")
        sub(msg, "m:MessageText", "Multiple results were found.")
        sub(msg, "m:ResponseCode", "ErrorNameResolutionMultipleResults")
        sub(msg, "m:DescriptiveLinkKey", "0")
    full = req.body.get("ReturnFullContactData", "false").lower() in ("1", "true")
    shown = hits[:CANDIDATES]
    rs = sub(
        msg,
        "m:ResolutionSet",
        TotalItemsInView=str(len(shown)),
        IncludesLastItemInRange="true" if len(hits) <= CANDIDATES else "false",
    )
    for p in shown:
        res = sub(rs, "t:Resolution")
        mb = sub(res, "t:Mailbox")
        sub(mb, "t:Name", p.display_name)
        sub(mb, "t:EmailAddress", p.email)
        sub(mb, "t:RoutingType", "SMTP")
        sub(mb, "t:MailboxType", "Mailbox")
        if full:
            _contact(res, p)
    return env


def _contact(res: ET.Element, p: Person) -> None:
    contact = sub(res, "t:Contact")
    sub(contact, "t:DisplayName", p.display_name)
    sub(contact, "t:GivenName", p.given)
    sub(contact, "t:CompanyName", "Contoso")
    addrs = sub(contact, "t:EmailAddresses")
    sub(addrs, "t:Entry", f"SMTP:{p.email}", Key="EmailAddress1")
    if p.office or p.mobile:
        phones = sub(contact, "t:PhoneNumbers")
        if p.office:
            sub(phones, "t:Entry", p.office, Key="BusinessPhone")
        if p.mobile:
            sub(phones, "t:Entry", p.mobile, Key="MobilePhone")
    sub(contact, "t:ContactSource", "ActiveDirectory")
    if p.department:
        sub(contact, "t:Department", p.department)
    if p.title:
        sub(contact, "t:JobTitle", p.title)
    sub(contact, "t:Surname", p.family)


HANDLERS = {"ResolveNames": resolve_names}
