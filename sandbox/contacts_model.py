"""The in-memory contacts model of the Graph sandbox: contact folders, contacts, photos.

Behaviour reproduced (microsoft-graph-docs-contrib, v1.0):
- every mailbox has a default "Contacts" folder (`/me/contacts`, user-post-contacts.md "root
  Contacts folder"); `/me/contactFolders` lists the folders in it (user-list-contactfolders.md),
  `childFolders` nest further (contactfolder-list-childfolders.md); the default folder is also
  reachable by its well-known name `contacts` (`/me/contactFolders/contacts`);
- every write changes `changeKey` and `lastModifiedDateTime` (resources/contact.md changeKey:
  "Every time the contact is changed, ChangeKey changes as well"), setting a photo included;
- contacts have no `transactionId` (unlike events): a retried POST makes a second contact;
- a sibling folder with the same name is refused with 409 `ErrorFolderExists`;
- photos (profilephoto-get.md / profilephoto-update.md) are JPEG bytes beside the contact.
Property validation and rendering are in contacts_props.py; delta in contacts_delta.py.
No HTTP and no I/O here.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.contacts_delta import ContactDelta
from sandbox.contacts_props import compose_display_name, render, validate
from sandbox.gerrors import GraphError, not_found
from sandbox.mailbox import new_change_key, new_id

WELL_KNOWN_DEFAULT = "contacts"


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


@dataclass
class ContactFolder:
    id: str
    user_id: str
    parent_id: str  # the default folder's parent is the mailbox root (an id never listed)
    display_name: str
    is_default: bool = False

    def render(self) -> dict[str, Any]:
        # resources/contactfolder.md: id, displayName, parentFolderId
        return {"id": self.id, "displayName": self.display_name, "parentFolderId": self.parent_id}


@dataclass
class Contact:
    id: str
    folder_id: str
    props: dict[str, Any]
    ext: dict[str, str] = field(default_factory=dict)  # singleValueExtendedProperties
    photo: bytes | None = None
    change_key: str = field(default_factory=new_change_key)
    created: float = field(default_factory=time.time)
    modified: float = field(default_factory=time.time)

    def touch(self) -> None:
        self.change_key = new_change_key()
        self.modified = max(time.time(), self.modified + 1e-6)

    def render(self) -> dict[str, Any]:
        return render(
            self.props,
            contact_id=self.id,
            change_key=self.change_key,
            created=_iso(self.created),
            modified=_iso(self.modified),
            folder_id=self.folder_id,
        )

    def to_json(self) -> dict[str, Any]:
        data = dict(vars(self))
        data["photo"] = base64.b64encode(self.photo).decode() if self.photo else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Contact:
        data = dict(data)
        data["photo"] = base64.b64decode(data["photo"]) if data.get("photo") else None
        return cls(**data)


@dataclass
class ContactStore:
    """All contact folders and contacts of the tenant's mailboxes (event loop thread only)."""

    folders: dict[str, ContactFolder] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    delta: ContactDelta = field(default_factory=ContactDelta)

    def clear(self) -> None:
        self.folders.clear()
        self.contacts.clear()
        self.delta = ContactDelta()

    # ---- folders -----------------------------------------------------------------------
    def default_folder(self, user_id: str) -> ContactFolder:
        for folder in self.folders.values():
            if folder.user_id == user_id and folder.is_default:
                return folder
        folder = ContactFolder(new_id("AAMkAGF"), user_id, new_id("AAMkAGR"), "Contacts", True)
        self.folders[folder.id] = folder
        return folder

    def folder(self, user_id: str, ref: str) -> ContactFolder:
        if ref.lower() == WELL_KNOWN_DEFAULT:
            return self.default_folder(user_id)
        folder = self.folders.get(ref)
        if folder is None or folder.user_id != user_id:
            raise not_found()
        return folder

    def children(self, parent: ContactFolder) -> list[ContactFolder]:
        return [f for f in self.folders.values() if f.parent_id == parent.id]

    def add_folder(self, parent: ContactFolder, name: str) -> ContactFolder:
        name = name.strip()
        if not name:
            raise GraphError(400, "ErrorInvalidRequest", "The property 'displayName' is required.")
        if any(f.display_name.lower() == name.lower() for f in self.children(parent)):
            raise GraphError(
                409, "ErrorFolderExists", "A folder with the specified name already exists."
            )
        folder = ContactFolder(new_id("AAMkAGF"), parent.user_id, parent.id, name)
        self.folders[folder.id] = folder
        return folder

    def rename_folder(self, folder: ContactFolder, name: str) -> ContactFolder:
        """contactfolder-update.md: displayName (a distinguished folder keeps its name)."""
        name = name.strip()
        if not name:
            raise GraphError(400, "ErrorInvalidRequest", "The property 'displayName' is required.")
        if folder.is_default:
            raise GraphError(403, "ErrorAccessDenied", "Access is denied.")
        parent = self.folders.get(folder.parent_id)
        siblings = self.children(parent) if parent is not None else []
        if any(f is not folder and f.display_name.lower() == name.lower() for f in siblings):
            raise GraphError(
                409, "ErrorFolderExists", "A folder with the specified name already exists."
            )
        folder.display_name = name
        return folder

    def delete_folder(self, folder: ContactFolder) -> None:
        if folder.is_default:
            raise GraphError(
                403, "ErrorDeleteDistinguishedFolder", "Distinguished folders cannot be deleted."
            )
        for child in self.children(folder):
            self.delete_folder(child)
        for contact in self.contacts_in(folder):
            del self.contacts[contact.id]
        del self.folders[folder.id]

    # ---- contacts ----------------------------------------------------------------------
    def contacts_in(self, folder: ContactFolder) -> list[Contact]:
        return sorted(
            (c for c in self.contacts.values() if c.folder_id == folder.id),
            key=lambda c: (c.created, c.id),
        )

    def contact(self, user_id: str, contact_id: str) -> Contact:
        contact = self.contacts.get(contact_id)
        if contact is None or self.folders[contact.folder_id].user_id != user_id:
            raise not_found()
        return contact

    def create(self, folder: ContactFolder, body: dict[str, Any]) -> Contact:
        props, ext = validate(body)
        if not props.get("displayName"):
            props["displayName"] = compose_display_name(props)
        now = time.time()
        contact = Contact(new_id("AAMkADC"), folder.id, props, ext, created=now, modified=now)
        self.contacts[contact.id] = contact
        return contact

    def update(self, contact: Contact, body: dict[str, Any]) -> Contact:
        props, ext = validate(body)
        contact.props.update(props)
        contact.ext.update(ext)
        contact.touch()
        return contact

    def delete(self, contact: Contact) -> None:
        del self.contacts[contact.id]

    def set_photo(self, contact: Contact, data: bytes | None) -> None:
        contact.photo = data or None
        contact.touch()

    def snapshot(self, folder: ContactFolder) -> dict[str, str]:
        return {c.id: c.change_key for c in self.contacts_in(folder)}

    def find_by_extended(self, folder: ContactFolder, prop_id: str, value: str) -> list[Contact]:
        key = prop_id.lower()
        return [
            c
            for c in self.contacts_in(folder)
            if any(k.lower() == key and v == value for k, v in c.ext.items())
        ]

    # ---- persistence -------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "folders": [vars(f) for f in self.folders.values()],
            "contacts": [c.to_json() for c in self.contacts.values()],
            "delta": self.delta.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContactStore:
        store = cls()
        for f in data.get("folders", []):
            store.folders[f["id"]] = ContactFolder(**f)
        for c in data.get("contacts", []):
            store.contacts[c["id"]] = Contact.from_json(c)
        store.delta = ContactDelta.from_json(data.get("delta", {}))
        return store
