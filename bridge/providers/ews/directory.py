"""The organisation directory (K5) of an Exchange mailbox: the Global Address List through
ResolveNames (exchangelib `Protocol.resolve_names`).

- EWS has no operation that lists or syncs the whole GAL for a mailbox user (FindPeople needs
  the GAL's address-list id and Exchange 2013+; ResolveNames works from 2007 on), so a pull
  sweeps it with ResolveNames (Exchange web-service reference "ResolveNames operation"):
  `SearchScope="ActiveDirectory"`, `ReturnFullContactData="true"` (names, email addresses,
  phone numbers, department, job title), one prefix per call: "a" … "z", "0" … "9"; a prefix
  that hits the documented cap of 100 candidates is refined one letter deeper ("aa" … "az"),
  so every entry is found once its prefix is specific enough. People are keyed by their SMTP
  address. Every pull is a full listing (reset=True); its cost is reported in `requests`.
- No scope to ask: the GAL is readable by every mailbox user.
This module must not touch the store or the sync engine.
"""

from __future__ import annotations

import string
from typing import Any

from bridge.model import PullResult, RemoteItem
from bridge.providers.common.directory import DirectoryPerson, directory_item
from bridge.providers.common.retry import PULL_POLICY, RetryPolicy

CAP = 100  # ResolveNames returns at most 100 candidates ("Remarks")
MAX_DEPTH = 4
_ALPHABET = string.ascii_lowercase + string.digits
_PHONE_KINDS = {
    "BusinessPhone": "work",
    "BusinessPhone2": "work",
    "CompanyMainPhone": "work",
    "MobilePhone": "mobile",
    "HomePhone": "home",
    "BusinessFax": "fax",
}


def person_of(mailbox: Any, contact: Any) -> DirectoryPerson | None:
    email = str(getattr(mailbox, "email_address", "") or "")
    if not email:
        return None
    emails = [email]
    phones: list[tuple[str, str]] = []
    if contact is not None:
        for entry in contact.email_addresses or []:
            value = str(entry.email or "").removeprefix("SMTP:").removeprefix("smtp:")
            if value and value.lower() not in (e.lower() for e in emails):
                emails.append(value)
        for entry in contact.phone_numbers or []:
            if entry.phone_number:
                phones.append((_PHONE_KINDS.get(str(entry.label), "work"), str(entry.phone_number)))
    return DirectoryPerson(
        remote_id=email.lower(),
        display_name=str(getattr(contact, "display_name", None) or mailbox.name or ""),
        given=str(getattr(contact, "given_name", None) or ""),
        family=str(getattr(contact, "surname", None) or ""),
        emails=tuple(emails),
        phones=tuple(phones),
        title=str(getattr(contact, "job_title", None) or ""),
        department=str(getattr(contact, "department", None) or ""),
        company=str(getattr(contact, "company_name", None) or ""),
    )


class EwsDirectory:
    """Mixed into the EWS contacts provider (it owns `account` and `_call`)."""

    account: Any
    _call: Any

    def _resolve(self, prefix: str, policy: RetryPolicy) -> list[tuple[Any, Any]]:
        def run() -> list[tuple[Any, Any]]:
            found = self.account.protocol.resolve_names(
                [prefix], return_full_contact_data=True, search_scope="ActiveDirectory"
            )
            return [r for r in found if isinstance(r, tuple)]

        result: list[tuple[Any, Any]] = self._call(run, policy)
        return result

    def pull_directory(self, cursor: str | None) -> PullResult:
        people: dict[str, DirectoryPerson] = {}
        requests = 0
        todo = list(_ALPHABET)
        while todo:
            prefix = todo.pop(0)
            found = self._resolve(prefix, PULL_POLICY)
            requests += 1
            for mailbox, contact in found:
                person = person_of(mailbox, contact)
                if person is not None:
                    people[person.remote_id] = person
            if len(found) >= CAP and len(prefix) < MAX_DEPTH:
                todo.extend(prefix + c for c in _ALPHABET)
        items: list[RemoteItem] = [directory_item(p) for p in people.values()]
        return PullResult(tuple(items), (), "gal", reset=True, requests=requests)
