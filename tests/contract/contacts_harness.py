"""One view of the three sandboxes' contacts for the shared ContactsProvider contract suite.

`ContactsHarness` is what test_contacts_contract.py sees: a consented contacts provider plus
provider-side actions (contacts made or edited "in Outlook/Google Contacts", expired cursors, the
write log) in a provider-neutral vocabulary. The adapters translate to each sandbox's control API
and wrap the existing per-vendor fixtures and builders (test_graph_contacts.py,
test_google_contacts.py, ews_harness.py/test_ews_contacts.py); this module must not start
sandboxes or consent by itself, and holds no test assertions.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol
from urllib.parse import quote

import pytest

from bridge.providers.base import ContactsProvider
from bridge.providers.graph.contacts import GraphContactsProvider
from tests.contract import ews_harness as ews
from tests.contract import test_ews_contacts as ews_contacts
from tests.contract import test_google_contacts as google_contacts
from tests.contract.conftest import Control as GraphControl
from tests.contract.harness import PROVIDERS

Record = dict[str, Any]


class ContactsHarness(Protocol):
    name: str
    layout: str  # "folders": books are folders named by path; "labels": one book per label
    account_email: str  # the signed-in mailbox/account

    def provider(self) -> ContactsProvider: ...
    def provider_books(self) -> set[str]:
        """The address books the provider's own structure implies (folder paths or labels)."""
        ...

    def ids_in(self, book: str) -> set[str]:
        """The contacts the provider stores in `book`."""
        ...

    def record(self, remote_id: str) -> Record:
        """The contact as the provider stores it (equal before/after: nothing was written)."""
        ...

    def phones(self, remote_id: str) -> list[str]: ...
    def vcard_cannot_carry(self, remote_id: str) -> Record:
        """The contact's provider fields that no vCard property expresses."""
        ...

    def add_contact(self, book: str, given: str, family: str) -> str: ...
    def add_mobile(self, remote_id: str, number: str) -> None: ...
    def edit_elsewhere(self, remote_id: str) -> None:
        """Some edit made at the provider (another client), changing the contact's version."""
        ...

    def delete(self, remote_id: str) -> None: ...
    def expire_cursors(self) -> None: ...
    def write_mark(self) -> Any: ...
    def writes_since(self, mark: Any) -> int: ...


class GraphContacts:
    """Microsoft Graph: contact folders (nested ones named "Parent / Child")."""

    name = "graph"
    layout = "folders"
    UNCARRIED = ("spouseName", "manager", "assistantName", "imAddresses")

    def __init__(self, provider: GraphContactsProvider, control: GraphControl) -> None:
        self._provider: ContactsProvider = provider  # mypy: implements the protocol
        self.control = control
        self.account_email = control.info.user

    def provider(self) -> ContactsProvider:
        return self._provider

    def provider_books(self) -> set[str]:
        return {str(f["path"]) for f in self.control.call("GET", "/contacts/folders")}

    def ids_in(self, book: str) -> set[str]:
        return {c["id"] for c in self.control.call("GET", f"/contacts/folders/{book}/contacts")}

    def record(self, remote_id: str) -> Record:
        return dict(self.control.call("GET", f"/contacts/{remote_id}"))

    def phones(self, remote_id: str) -> list[str]:
        c = self.record(remote_id)
        mobile = [c["mobilePhone"]] if c.get("mobilePhone") else []
        return [*c.get("businessPhones", []), *c.get("homePhones", []), *mobile]

    def vcard_cannot_carry(self, remote_id: str) -> Record:
        c = self.record(remote_id)
        return {k: c.get(k) for k in self.UNCARRIED}

    def add_contact(self, book: str, given: str, family: str) -> str:
        body = {"givenName": given, "surname": family, "displayName": f"{given} {family}"}
        return str(self.control.call("POST", f"/contacts/folders/{book}/contacts", body)["id"])

    def add_mobile(self, remote_id: str, number: str) -> None:
        self.control.call("PATCH", f"/contacts/{remote_id}", {"mobilePhone": number})

    def edit_elsewhere(self, remote_id: str) -> None:
        self.control.call("PATCH", f"/contacts/{remote_id}", {"jobTitle": "Editor"})

    def delete(self, remote_id: str) -> None:
        self.control.call("DELETE", f"/contacts/{remote_id}")

    def expire_cursors(self) -> None:
        self.control.call("POST", "/delta/expire")

    def write_mark(self) -> Any:
        return self.control.call("GET", "/requests")[-1]["ts"]

    def writes_since(self, mark: Any) -> int:
        log = self.control.call("GET", f"/requests?since={mark}&prefix=/v1.0")
        return sum(r["method"] != "GET" and r["status"] < 300 for r in log)


class GoogleContacts:
    """Google People API: "My Contacts" plus one address book per contact label."""

    name = "google"
    layout = "labels"
    UNCARRIED = ("relations", "userDefined", "events")

    def __init__(self, gc: google_contacts.ContactsHarness) -> None:
        self.gc = gc
        self.control = gc.control
        self.account_email = gc.info.user

    def provider(self) -> ContactsProvider:
        return self.gc.provider

    def provider_books(self) -> set[str]:
        groups = self.control.call("GET", "/people-groups")
        labels = {g["name"] for g in groups if g.get("groupType") == "USER_CONTACT_GROUP"}
        return {"My Contacts", *labels}

    def ids_in(self, book: str) -> set[str]:
        groups = self.control.call("GET", "/people-groups")
        group = next(g for g in groups if g["resourceName"] == book)
        return set(group.get("memberResourceNames") or [])

    def record(self, remote_id: str) -> Record:
        return self.gc.person(remote_id)

    def phones(self, remote_id: str) -> list[str]:
        return [p["value"] for p in self.record(remote_id).get("phoneNumbers", [])]

    def vcard_cannot_carry(self, remote_id: str) -> Record:
        person = self.record(remote_id)
        return {k: person.get(k) for k in self.UNCARRIED}

    def _person(self, remote_id: str) -> str:
        return f"/people/{google_contacts.pid(remote_id)}"

    def add_contact(self, book: str, given: str, family: str) -> str:
        body = {
            "names": [{"givenName": given, "familyName": family}],
            "memberships": [{"contactGroupMembership": {"contactGroupResourceName": book}}],
        }
        return str(self.control.call("POST", "/people", body)["resourceName"])

    def add_mobile(self, remote_id: str, number: str) -> None:
        phones = self.record(remote_id).get("phoneNumbers", [])
        body = {"phoneNumbers": [*phones, {"value": number, "type": "mobile"}]}
        self.control.call("PATCH", self._person(remote_id), body)

    def edit_elsewhere(self, remote_id: str) -> None:
        self.control.call("PATCH", self._person(remote_id), {"nicknames": [{"value": "Ed"}]})

    def delete(self, remote_id: str) -> None:
        self.control.call("DELETE", self._person(remote_id))

    def expire_cursors(self) -> None:
        self.control.call("POST", "/people-sync/expire")

    def write_mark(self) -> Any:
        return self.control.call("GET", "/requests")[-1]["ts"]

    def writes_since(self, mark: Any) -> int:
        log = self.control.call("GET", f"/requests?since={mark}&prefix=/v1/")
        return sum(r["method"] not in ("GET", "HEAD") and r["status"] < 300 for r in log)


class EwsContacts:
    """Exchange Web Services: contact folders below Contacts, named by path."""

    name = "ews"
    layout = "folders"
    UNCARRIED = ("SpouseName", "Manager", "AssistantName", "Children")
    WRITES = ("CreateItem", "UpdateItem", "DeleteItem")

    def __init__(self, h: ews.EwsHarness) -> None:
        self.h = h
        self.control = h.control
        self.account_email = h.info.upn

    def provider(self) -> ContactsProvider:
        return ews_contacts._provider(self.h)

    def provider_books(self) -> set[str]:
        folders = {f["id"]: f for f in self.control.call("GET", "/folders")}

        def path(folder: Record) -> str:
            parent = folders.get(folder["parent_id"])
            if folder["distinguished"] == "contacts" or parent is None:
                return str(folder["name"])
            if parent["distinguished"] == "contacts":
                return str(folder["name"])
            return f"{path(parent)} / {folder['name']}"

        return {path(f) for f in folders.values() if f["folder_class"] == "IPF.Contact"}

    def ids_in(self, book: str) -> set[str]:
        return {
            c["id"] for c in self.control.call("GET", f"/contacts?folder={quote(book, safe='')}")
        }

    def record(self, remote_id: str) -> Record:
        return dict(self.control.call("GET", f"/contacts/item?id={quote(remote_id, safe='')}"))

    def phones(self, remote_id: str) -> list[str]:
        return list(self.record(remote_id)["fields"].get("PhoneNumbers", {}).values())

    def vcard_cannot_carry(self, remote_id: str) -> Record:
        fields = self.record(remote_id)["fields"]
        return {k: fields.get(k) for k in self.UNCARRIED}

    def add_contact(self, book: str, given: str, family: str) -> str:
        fields = {"GivenName": given, "Surname": family, "DisplayName": f"{given} {family}"}
        made = self.control.call("POST", "/contacts/create", {"folder": book, "fields": fields})
        return str(made["id"])

    def _update(self, remote_id: str, fields: Record) -> None:
        self.control.call("POST", "/contacts/update", {"id": remote_id, "fields": fields})

    def add_mobile(self, remote_id: str, number: str) -> None:
        self._update(remote_id, {"PhoneNumbers": {"MobilePhone": number}})

    def edit_elsewhere(self, remote_id: str) -> None:
        self._update(remote_id, {"JobTitle": "Editor"})

    def delete(self, remote_id: str) -> None:
        self.control.call("POST", "/contacts/delete", {"id": remote_id})

    def expire_cursors(self) -> None:
        self.control.call("POST", "/invalidate-sync-states")

    def write_mark(self) -> Any:
        return self.control.counts()

    def writes_since(self, mark: Any) -> int:
        now = self.control.counts()
        return sum(now.get(op, 0) - mark.get(op, 0) for op in self.WRITES)


@pytest.fixture(params=PROVIDERS)
def contacts_contract(request: pytest.FixtureRequest) -> Iterator[ContactsHarness]:
    """The same contacts scenario once per provider, on a freshly reset, seeded sandbox."""
    if request.param == "graph":
        control: GraphControl = request.getfixturevalue("control")
        yield GraphContacts(request.getfixturevalue("contacts"), control)
    elif request.param == "google":
        yield GoogleContacts(request.getfixturevalue("gc"))
    else:
        _, info = request.getfixturevalue("ews_sandbox")
        with ews.fresh_harness(info, "NTLM") as h:
            yield EwsContacts(h)
