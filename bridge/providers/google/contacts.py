"""`ContactsProvider` for Google contacts (People API v1): K1 address books, K2 pulls, K3 writes.

Address books are "My Contacts" (`contactGroups/myContacts`, the default) and one per user
label (`USER_CONTACT_GROUP`, contactGroups.list); a contact with two labels is in both books
with the same UID. A pull is `people.connections.list` with `requestSyncToken` (contacts guide,
"List the user's contacts that have changed"), filtered by the book's group membership; each
book keeps its own sync token (cursor `{"sync": token}`). With a token, deleted contacts come
with `metadata.deleted` and contacts that left the group are reported removed; an expired token
(400 EXPIRED_SYNC_TOKEN, tokens live 7 days) means a full listing with reset=True.
Writes: createContact carries the client's UID and the idempotency key in `clientData` (private
to this OAuth client) and the book's group membership; before creating, the contacts are listed
(clientData only) to find an earlier create with the same key, so a retry never duplicates.
updateContact sends only the changed vCard-expressible fields (`updatePersonFields`) with the
current etag; a stale version -> PreconditionFailed before anything is written. Deleting from a
label's book removes the label (the contact stays in My Contacts); deleting from My Contacts
deletes the contact. This module must not touch the store or the sync engine.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from typing import Any

from bridge.errors import PreconditionFailed, RemoteNotFound
from bridge.ical import overlay
from bridge.model import AddressBookInfo, ProviderKind, PullResult, RemoteItem
from bridge.providers.common.cursor import CursorCodec, resume
from bridge.providers.common.retry import PULL_POLICY, WRITE_POLICY
from bridge.providers.google.auth import GoogleAppConfig, GoogleAuth
from bridge.providers.google.collections import GoogleContactGroups
from bridge.providers.google.contacts_client import PeopleClient
from bridge.providers.google.contacts_mapping import (
    IDEMPOTENCY_KEY,
    client_data_with,
    client_value,
    create_body,
    groups_of,
    is_deleted,
    person_to_card,
    photo_url,
    stored_overlay,
    update_body,
)
from bridge.providers.google.contacts_vcard import parse, render
from bridge.providers.google.directory import GoogleDirectory  # K5 (branch views)

log = logging.getLogger(__name__)
_CURSORS = CursorCodec("sync")
MY_CONTACTS = "contactGroups/myContacts"
PERSON_FIELDS = (
    "names,nicknames,organizations,emailAddresses,phoneNumbers,addresses,birthdays,"
    "biographies,urls,photos,memberships,metadata,clientData"
)
PAGE_SIZE = 1000  # connections.list pageSize upper bound
PHOTO_CACHE = 256


class GoogleContactsProvider(GoogleContactGroups, GoogleDirectory):
    """Contacts of one Google account (implements bridge.providers.base.ContactsProvider)."""

    kind = ProviderKind.GOOGLE

    def __init__(
        self,
        auth: GoogleAuth,
        config: GoogleAppConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._client = PeopleClient(auth, config, sleep=sleep)
        self._page_size = page_size
        self._email: str | None = auth.account
        self._photos: dict[str, bytes] = {}  # photo URL -> bytes (a new photo has a new URL)

    @property
    def account_email(self) -> str:
        if not self._email:
            me = self._client.call(
                lambda s: s.people().get(resourceName="people/me", personFields="emailAddresses"),
                PULL_POLICY,
            )
            emails = (me or {}).get("emailAddresses") or [{}]
            self._email = str(emails[0].get("value") or "")
        return self._email

    # --- K1 -------------------------------------------------------------------------------------
    def list_address_books(self) -> list[AddressBookInfo]:
        books = [AddressBookInfo(MY_CONTACTS, "My Contacts", is_default=True)]
        token: str | None = None
        labels: list[AddressBookInfo] = []
        while True:
            page = self._client.call(_groups_call(token), PULL_POLICY) or {}
            for grp in page.get("contactGroups") or []:
                if grp.get("groupType") == "USER_CONTACT_GROUP":
                    name = str(grp.get("formattedName") or grp.get("name") or "")
                    labels.append(AddressBookInfo(str(grp["resourceName"]), name))
            token = page.get("nextPageToken")
            if not token:
                break
        return books + sorted(labels, key=lambda b: (b.display_name.lower(), b.remote_id))

    # --- K2 -------------------------------------------------------------------------------------
    def pull_contacts(self, book_id: str, cursor: str | None) -> PullResult:
        first = self._client.request_count
        done = resume(
            _CURSORS.decode(cursor),
            None,
            self._listing,
            lambda: self._listing(None),
            "google contacts",
        )
        (people, token), reset = done.value, done.reset
        items: list[RemoteItem] = []
        removed: list[str] = []
        for person in people:
            rn = str(person.get("resourceName") or "")
            if is_deleted(person) or book_id not in groups_of(person):
                if not reset:
                    removed.append(rn)
                continue
            items.append(self._item(person))
        requests = self._client.request_count - first
        return _CURSORS.result(items, removed, token, reset=reset, requests=requests)

    def _listing(self, sync: str | None) -> tuple[list[dict[str, Any]], str]:
        """Every page of one connections.list round; nothing returned before the last page."""
        people: list[dict[str, Any]] = []
        page_token: str | None = None
        while True:
            page = self._client.call(
                _connections_call(PERSON_FIELDS, self._page_size, sync, page_token), PULL_POLICY
            )
            page = page or {}
            people.extend(p for p in page.get("connections") or [] if isinstance(p, dict))
            page_token = page.get("nextPageToken")
            if not page_token:
                return people, str(page.get("nextSyncToken") or "")

    def fetch_contact(self, book_id: str, remote_id: str) -> RemoteItem | None:
        person = self._get(remote_id, PULL_POLICY)
        if person is None or book_id not in groups_of(person):
            return None
        return self._item(person)

    def _get(self, remote_id: str, policy: Any) -> dict[str, Any] | None:
        try:
            person = self._client.call(
                lambda s: s.people().get(resourceName=remote_id, personFields=PERSON_FIELDS),
                policy,
            )
        except RemoteNotFound:
            return None
        return dict(person) if person else None

    def _photo(self, person: dict[str, Any]) -> bytes | None:
        url = photo_url(person)
        if not url:
            return None
        if url not in self._photos:
            try:
                data = self._client.download(url)
            except RemoteNotFound:
                return None
            if len(self._photos) >= PHOTO_CACHE:
                self._photos.pop(next(iter(self._photos)))
            self._photos[url] = data
        return self._photos[url]

    def _item(self, person: dict[str, Any]) -> RemoteItem:
        card = person_to_card(person, self._photo(person))
        text, _ = overlay.apply(render(card), stored_overlay(person))
        return RemoteItem(
            remote_id=str(person["resourceName"]),
            version=str(person.get("etag") or ""),
            uid=card.uid,
            ical=text,
        )

    def _keep_overlay(self, person: dict[str, Any], vcard: str) -> dict[str, Any]:
        """After a write: what Google could not hold of `vcard` goes into the person's
        clientData (one updateContact, only when it changed; C10). People API reference,
        Person.clientData: "arbitrary client data that is populated by clients"."""
        raw = render(person_to_card(person, self._photo(person)))
        wanted = overlay.for_write(vcard, raw, stored=stored_overlay(person))
        if wanted == stored_overlay(person):
            return person
        remote_id = str(person["resourceName"])
        body = {
            "resourceName": remote_id,
            "etag": person.get("etag"),
            "clientData": client_data_with(person, wanted),
        }
        return dict(
            self._client.call(
                lambda s: s.people().updateContact(
                    resourceName=remote_id,
                    updatePersonFields="clientData",
                    personFields=PERSON_FIELDS,
                    body=body,
                ),
                WRITE_POLICY,
            )
        )

    # --- K3 -------------------------------------------------------------------------------------
    def create_contact(self, book_id: str, vcard: str, idempotency_key: str) -> RemoteItem:
        card = parse(vcard)
        earlier = self._find_created(idempotency_key)
        if earlier is not None:
            if book_id not in groups_of(earlier):
                self._modify(book_id, add=[str(earlier["resourceName"])])
                earlier = self._get(str(earlier["resourceName"]), WRITE_POLICY) or earlier
            return self._item(earlier)
        body = create_body(card, book_id, idempotency_key)
        person = self._client.call(
            lambda s: s.people().createContact(body=body, personFields=PERSON_FIELDS),
            WRITE_POLICY,
        )
        person = dict(person)
        if card.photo:
            person = self._set_photo(str(person["resourceName"]), card.photo) or person
        return self._item(self._keep_overlay(person, vcard))

    def _find_created(self, key: str) -> dict[str, Any] | None:
        """The contact an earlier create with `key` made (clientData is private to this app)."""
        page_token: str | None = None
        while True:
            page = self._client.call(
                _connections_call(
                    PERSON_FIELDS, self._page_size, None, page_token, sync_token=False
                ),
                WRITE_POLICY,
            )
            for person in (page or {}).get("connections") or []:
                if client_value(person, IDEMPOTENCY_KEY) == key:
                    return dict(person)
            page_token = (page or {}).get("nextPageToken")
            if not page_token:
                return None

    def update_contact(
        self, book_id: str, remote_id: str, version: str | None, vcard: str
    ) -> RemoteItem:
        new = parse(vcard)
        person = self._get(remote_id, WRITE_POLICY)
        if person is None:
            raise RemoteNotFound("google", f"contact {remote_id} does not exist")
        if version and version != person.get("etag"):
            raise PreconditionFailed("google", "the contact changed at Google", "etag")
        old = person_to_card(person, self._photo(person))
        body, mask = update_body(person, old, new)
        if mask:
            body = {**body, "resourceName": remote_id, "etag": person.get("etag")}
            person = dict(
                self._client.call(
                    lambda s: s.people().updateContact(
                        resourceName=remote_id,
                        updatePersonFields=",".join(mask),
                        personFields=PERSON_FIELDS,
                        body=body,
                    ),
                    WRITE_POLICY,
                )
            )
        if not new.photo_kept and new.photo != old.photo:
            if new.photo:
                person = self._set_photo(remote_id, new.photo) or person
            else:
                person = dict(
                    self._client.call(
                        lambda s: s.people().deleteContactPhoto(
                            resourceName=remote_id, personFields=PERSON_FIELDS
                        ),
                        WRITE_POLICY,
                    ).get("person")
                    or person
                )
        return self._item(self._keep_overlay(person, vcard))

    def _set_photo(self, remote_id: str, data: bytes) -> dict[str, Any] | None:
        body = {"photoBytes": base64.b64encode(data).decode(), "personFields": PERSON_FIELDS}
        resp = self._client.call(
            lambda s: s.people().updateContactPhoto(resourceName=remote_id, body=body),
            WRITE_POLICY,
        )
        person = (resp or {}).get("person")
        return dict(person) if person else None

    def delete_contact(self, book_id: str, remote_id: str, version: str | None) -> None:
        person = self._get(remote_id, WRITE_POLICY)
        if person is None:
            return  # already gone: the client's intent holds
        if version and version != person.get("etag"):
            raise PreconditionFailed("google", "the contact changed at Google", "etag")
        if book_id != MY_CONTACTS and len(groups_of(person)) > 1:
            self._modify(book_id, remove=[remote_id])
            return
        try:
            self._client.call(
                lambda s: s.people().deleteContact(resourceName=remote_id), WRITE_POLICY
            )
        except RemoteNotFound:
            return

    def _modify(
        self, group: str, add: list[str] | None = None, remove: list[str] | None = None
    ) -> None:
        body = {"resourceNamesToAdd": add or [], "resourceNamesToRemove": remove or []}
        resp = self._client.call(
            lambda s: s.contactGroups().members().modify(resourceName=group, body=body),
            WRITE_POLICY,
        )
        if (resp or {}).get("notFoundResourceNames"):
            missing = resp["notFoundResourceNames"]
            raise RemoteNotFound("google", f"contact not found: {missing}", "notFound", 200)


def _groups_call(token: str | None) -> Callable[[Any], Any]:
    return lambda s: s.contactGroups().list(pageSize=1000, pageToken=token)


def _connections_call(
    fields: str, size: int, sync: str | None, page_token: str | None, sync_token: bool = True
) -> Callable[[Any], Any]:
    params: dict[str, Any] = {
        "resourceName": "people/me",
        "personFields": fields,
        "pageSize": size,
    }
    if sync_token:
        params["requestSyncToken"] = True
    if sync:
        params["syncToken"] = sync
    if page_token:
        params["pageToken"] = page_token
    return lambda s: s.people().connections().list(**params)
