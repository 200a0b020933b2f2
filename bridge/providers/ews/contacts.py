"""`ContactsProvider` for Exchange over EWS with exchangelib (K1 address books, K2, K3).

Wire calls only; vCard conversion lives in contacts_mapping.py.
- list_address_books: the distinguished Contacts folder (is_default) and every contacts folder
  below it (FindFolder Deep), named by path below Contacts ("Clients / Europe").
- pull_contacts: SyncFolderItems (IdOnly) rounds until IncludesLastItemInRange, then GetItem for
  the created/updated ids ("Synchronize items by using EWS in Exchange"); nothing is returned
  before the last round arrived. Cursor: JSON {"state": SyncState}. ErrorInvalidSyncStateData
  ("Handling synchronization-related errors in EWS in Exchange") -> a full round, reset=True.
- create_contact: EWS has no idempotency key, so the key is stored on the contact as a named
  extended property (PublicStrings "davbridge-idempotency-key", page "ExtendedFieldURI") and
  a create first looks for it (FindItem with an IsEqualTo restriction); a retry returns the
  contact made by the first attempt.
- update_contact: the given version (the ChangeKey) is compared with the contact's current
  ChangeKey before anything is written (stale -> PreconditionFailed); only the changed writable
  fields are saved (UpdateItem, ConflictResolution NeverOverwrite with the ChangeKey, so a race
  still ends in ErrorIrresolvableConflict -> PreconditionFailed). A replaced email/phone/address
  list is sent by exchangelib as SetItemField for the used keys and DeleteItemField for the
  others ("UpdateItem operation", "SetItemField", "DeleteItemField", "IndexedFieldURI").
- delete_contact: version check, then DeleteItem; an already deleted contact is fine.
- Lossless overlay (C10): what Exchange could not hold of the client's vCard (its UID, X-
  properties, TYPE parameters …) is kept in a named extended property (overlay_field.py),
  written after a write when it changed (UpdateItem) and read with every GetItem.
RemoteItem: remote_id = ItemId, version = ChangeKey, uid = the client's UID (overlay) or ItemId.
This module must not touch the store or the sync engine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from exchangelib import Account, Contact
from exchangelib.extended_properties import ExtendedProperty
from exchangelib.items import NEVER_OVERWRITE

from bridge.errors import BridgeError, PreconditionFailed, RemoteNotFound
from bridge.ical import overlay
from bridge.model import AddressBookInfo, ProviderKind, PullResult, RemoteItem
from bridge.providers.ews import contacts_mapping as mapping
from bridge.providers.ews import overlay_field
from bridge.providers.ews.account import EwsConfig
from bridge.providers.ews.collections import EwsContactFolders, hierarchy_lock
from bridge.providers.ews.directory import EwsDirectory  # K5 (branch views)
from bridge.providers.ews.errors import PULL_POLICY, WRITE_POLICY
from bridge.providers.ews.mailbox import MAX_CHANGES, EwsMailbox
from bridge.providers.ews.sync import CURSORS

log = logging.getLogger(__name__)
T = TypeVar("T")
KEY_FIELD = "davbridge_key"


class IdempotencyKey(ExtendedProperty):  # type: ignore[misc]  # exchangelib ships no type information
    """The bridge's create key on a contact (a named string property in PS_PUBLIC_STRINGS)."""

    distinguished_property_set_id = "PublicStrings"
    property_name = "davbridge-idempotency-key"
    property_type = "String"


def _register() -> None:
    if KEY_FIELD not in {f.name for f in Contact.FIELDS}:
        Contact.register(KEY_FIELD, IdempotencyKey)


class EwsContactsProvider(EwsMailbox, EwsContactFolders, EwsDirectory):
    """Contact folders of one EWS mailbox (implements bridge.providers.base.ContactsProvider)."""

    kind = ProviderKind.EWS
    FOLDER_WORD = "contacts folder"
    ITEM_TYPE = Contact
    ITEM_FIELDS = (*mapping.FIELDS, overlay_field.FIELD)

    def __init__(
        self,
        config: EwsConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        account: Account | None = None,
        max_changes: int = MAX_CHANGES,
    ) -> None:
        _register()
        super().__init__(config, sleep=sleep, account=account, max_changes=max_changes)

    def _list_folders(self) -> None:
        self.list_address_books()

    # --- K1 ------------------------------------------------------------------------------------
    def list_address_books(self) -> list[AddressBookInfo]:
        with hierarchy_lock(self.account):
            self._call(
                lambda: self.account.root.clear_cache(), PULL_POLICY
            )  # folders made in Outlook appear without a restart
            root = self._call(lambda: self.account.contacts, PULL_POLICY)
            below = self._call(lambda: list(root.walk()), PULL_POLICY)
            folders = [f for f in below if getattr(f, "folder_class", "") == "IPF.Contact"]
            names = {str(root.id): ""}
            by_id = {str(f.id): f for f in folders}

            def path(folder: Any) -> str:
                key = str(folder.id)
                if key not in names:
                    parent = folder.parent_folder_id.id if folder.parent_folder_id else None
                    above = path(by_id[parent]) if parent in by_id else ""
                    names[key] = f"{above} / {folder.name}" if above else str(folder.name)
                return names[key]

            books = [AddressBookInfo(str(root.id), str(root.name or "Contacts"), is_default=True)]
            self._folders = {str(root.id): root}
            for folder in sorted(folders, key=path):
                self._folders[str(folder.id)] = folder
                rights = getattr(folder, "effective_rights", None)
                read_only = rights is not None and not (rights.create_contents or rights.modify)
                books.append(
                    AddressBookInfo(str(folder.id), path(folder), read_only=bool(read_only))
                )
            return books

    @staticmethod
    def _remote(item: Any) -> RemoteItem:
        text, client_uid = overlay.apply(mapping.contact_to_vcard(item), overlay_field.stored(item))
        return RemoteItem(
            remote_id=str(item.id),
            version=str(item.changekey),
            uid=client_uid or str(item.id),
            ical=text,
        )

    def _keep_overlay(self, book_id: str, item_id: str, vcard: str) -> RemoteItem:
        """After a write: Exchange's copy, with what it could not hold of `vcard` written to
        the contact's overlay property (one UpdateItem, only when it changed)."""
        item = self._one(book_id, item_id)
        wanted = overlay.for_write(
            vcard, mapping.contact_to_vcard(item), stored=overlay_field.stored(item)
        )
        if wanted != overlay_field.stored(item):
            setattr(item, overlay_field.FIELD, wanted or None)
            self._call(
                lambda: item.save(
                    update_fields=[overlay_field.FIELD], conflict_resolution=NEVER_OVERWRITE
                ),
                WRITE_POLICY,
            )
            # Exchange stamped a new LastModifiedTime (REV): hand back the copy a pull serves.
            item = self._one(book_id, item_id)
        return self._remote(item)

    def pull_contacts(self, book_id: str, cursor: str | None) -> PullResult:
        first = self.request_count
        folder = self._folder(book_id)
        # every item of a contact folder is handled by the mapping (item_type=object)
        done = self._changes(folder, CURSORS.decode(cursor), None, object)
        upserts, deleted, sync_state = done.value
        fetched = self._get(upserts, folder, PULL_POLICY)
        found = {str(i.id) for i in fetched}
        removed = [*deleted, *(i for i in upserts if i not in found)]
        items = [self._remote(i) for i in fetched]
        requests = self.request_count - first
        return CURSORS.result(items, removed, sync_state, reset=done.reset, requests=requests)

    def fetch_contact(self, book_id: str, remote_id: str) -> RemoteItem | None:
        items = self._get([remote_id], self._folder(book_id), PULL_POLICY)
        return self._remote(items[0]) if items else None

    # --- K3: writes ----------------------------------------------------------------------------
    def _one(self, book_id: str, remote_id: str) -> Any:
        items = self._get([remote_id], self._folder(book_id), WRITE_POLICY)
        if not items:
            raise RemoteNotFound("ews", f"contact {remote_id} no longer exists", None, 404)
        return items[0]

    def _find_key(self, folder: Any, key: str) -> str | None:
        """The id of a contact made with this idempotency key (a retried create), if any."""
        query = folder.filter(**{KEY_FIELD: key}).only("display_name")
        try:
            found = self._call(lambda: list(query), WRITE_POLICY)
        except BridgeError as error:  # a server without restrictions: list every key
            log.info("ews: restricted FindItem refused (%s); listing the folder", error)
            found = self._call(lambda: list(folder.all().only(KEY_FIELD)), WRITE_POLICY)
            found = [i for i in found if getattr(i, KEY_FIELD, None) == key]
        ids = [str(i.id) for i in found if not isinstance(i, Exception)]
        return ids[0] if ids else None

    def create_contact(self, book_id: str, vcard: str, idempotency_key: str) -> RemoteItem:
        fields = mapping.vcard_to_fields(vcard)
        folder = self._folder(book_id)
        existing = self._find_key(folder, idempotency_key)
        if existing is not None:
            log.info("ews: contact for key %s already exists as %s", idempotency_key, existing)
            return self._remote(self._one(book_id, existing))
        values = {k: v for k, v in fields.items() if v not in (None, [])}
        item = Contact(account=self.account, folder=folder, **values)
        setattr(item, KEY_FIELD, idempotency_key)
        self._call(lambda: item.save(), WRITE_POLICY)
        return self._keep_overlay(book_id, str(item.id), vcard)

    def _check(self, current: Any, version: str | None) -> None:
        if version is not None and version != str(current.changekey):
            raise PreconditionFailed(
                "ews",
                f"contact {current.id} changed in Exchange since it was read",
                "ErrorIrresolvableConflict",
                412,
            )

    def update_contact(
        self, book_id: str, remote_id: str, version: str | None, vcard: str
    ) -> RemoteItem:
        wanted = mapping.vcard_to_fields(vcard)
        current = self._one(book_id, remote_id)
        self._check(current, version)
        changed = mapping.changed_fields(current, wanted)
        if changed:
            for name in changed:
                setattr(current, name, wanted[name])
            self._call(
                lambda: current.save(update_fields=changed, conflict_resolution=NEVER_OVERWRITE),
                WRITE_POLICY,
            )
        return self._keep_overlay(book_id, remote_id, vcard)

    def delete_contact(self, book_id: str, remote_id: str, version: str | None) -> None:
        try:
            current = self._one(book_id, remote_id)
        except RemoteNotFound:
            return  # already gone: the client's intent holds
        self._check(current, version)
        try:
            self._call(lambda: current.delete(), WRITE_POLICY)
        except RemoteNotFound:
            return
