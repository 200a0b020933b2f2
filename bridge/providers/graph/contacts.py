"""`ContactsProvider` for Microsoft 365 over Graph v1.0 (K1 address books, K2 pulls, K3 writes).

- Address books: the default folder (`GET /me/contactFolders/contacts`, well-known name) plus
  every folder under it, walked recursively (user-list-contactfolders.md,
  contactfolder-list-childfolders.md); nested folders are named by path: "Clients / Europe".
- Pulls: `GET /me/contactFolders/{id}/contacts/delta` (contact-delta.md), all pages (`Prefer:
  odata.maxpagesize`), cursor `{"delta": deltaLink}`; an expired token (410 / syncStateNotFound,
  delta-query-overview.md) gives a full round with reset=True. Graph contact JSON does not say
  whether a contact has a photo, so every contact a pull returns costs one more request,
  `GET /contacts/{id}/photo/$value` (404 ImageNotFound: none, profilephoto-get.md); delta only
  returns changed contacts, so that cost is per change, not per contact and pull.
- Writes: contacts have no transactionId, so a create is made idempotent here: the
  idempotency key is stored in a single-value extended property (resources/
  singlevaluelegacyextendedproperty.md, `String {GUID} Name davbridge-idempotency-key`) and a
  create first looks for a contact carrying it (`$filter=singleValueExtendedProperties/Any(…)`,
  singlevaluelegacyextendedproperty-get.md): one extra GET per create. Updates PATCH only the
  vCard-expressible fields that changed, with `If-Match: W/"changeKey"` (contact-update.md);
  a changed photo is PUT to `/photo/$value` (profilephoto-update.md). A photo removed by the
  client is not removed at Graph, and TEL;TYPE=FAX/PAGER cannot be stored (no such property
  in v1.0): both are logged, never an error — the fax/pager number itself is kept in the
  overlay below, so the client gets it back.
- Lossless overlay (C10): what Graph could not hold of the client's vCard (its UID, X-
  properties, TYPE/PREF parameters, fax numbers …) is kept in a single-value extended property
  (overlay_props.py), written by one PATCH after a write when it changed, expanded on GET, and
  for delta rounds (no `$expand` there) read by one filtered listing of the folder.
This module must not touch the store or the sync engine.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from bridge.errors import CursorExpired, PreconditionFailed, RemoteNotFound
from bridge.ical import overlay
from bridge.model import AddressBookInfo, ProviderKind, PullResult, RemoteItem
from bridge.providers.base import PullPage
from bridge.providers.common.cursor import CursorCodec, resume
from bridge.providers.common.retry import PULL_POLICY, WRITE_POLICY, RetryPolicy
from bridge.providers.graph import overlay_props
from bridge.providers.graph.collections import GraphContactFolders
from bridge.providers.graph.contacts_mapping import (
    WantedContact,
    contact_patch,
    graph_to_vcard,
    vcard_to_graph,
)
from bridge.providers.graph.directory import GraphDirectory  # K5 (branch views)
from bridge.providers.graph.mailbox import GraphMailbox

log = logging.getLogger(__name__)
_CURSORS = CursorCodec("delta")

# A fixed property set GUID of davbridge's own (named property in the public-strings style).
KEY_PROPERTY = "String {7b8e0c55-3f43-4a8e-9f3e-2a6d1b0c4e11} Name davbridge-idempotency-key"


def change_key(contact: Mapping[str, Any]) -> str:
    if contact.get("changeKey"):
        return str(contact["changeKey"])
    return str(contact.get("@odata.etag") or "").removeprefix("W/").strip('"')


def _if_match(key: str | None) -> dict[str, str]:
    return {"If-Match": f'W/"{key}"'} if key else {}


def _odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class GraphContactsProvider(GraphMailbox, GraphContactFolders, GraphDirectory):
    """Contact folders of one Graph mailbox (implements bridge.providers.base.ContactsProvider)."""

    kind = ProviderKind.GRAPH

    # --- K1 ----------------------------------------------------------------------------------
    def list_address_books(self) -> list[AddressBookInfo]:
        default = self._http.get(self._p("contactFolders", "contacts"), policy=PULL_POLICY) or {}
        books: list[AddressBookInfo] = []
        top = self._http.get_all(self._p("contactFolders"), policy=PULL_POLICY)
        self._walk(top, "", books)
        books.sort(key=lambda b: b.display_name.lower())
        first = AddressBookInfo(
            str(default["id"]), str(default.get("displayName") or "Contacts"), is_default=True
        )
        return [first, *books]

    def _walk(self, folders: list[dict[str, Any]], prefix: str, out: list[AddressBookInfo]) -> None:
        for folder in folders:
            name = prefix + str(folder.get("displayName") or folder["id"])
            try:
                children = self._http.get_all(
                    self._p("contactFolders", str(folder["id"]), "childFolders"),
                    policy=PULL_POLICY,
                )
            except RemoteNotFound:  # deleted since the listing above (a client deleting
                continue  # several address books at once): it is not listed (issue 11)
            out.append(AddressBookInfo(str(folder["id"]), name))
            self._walk(children, name + " / ", out)

    # --- K2 ----------------------------------------------------------------------------------
    def pull_contacts(self, book_id: str, cursor: str | None) -> PullResult:
        before = self._http.request_count
        start = self._p("contactFolders", book_id, "contacts", "delta")
        done = resume(
            _CURSORS.decode(cursor),
            None,
            lambda link: self._round(link, book_id),
            lambda: self._round(start, book_id),
            f"graph contacts {book_id}",
        )
        items, removed, delta_link = done.value
        requests = self._http.request_count - before
        removed = [] if done.reset else removed
        return _CURSORS.result(items, removed, delta_link, reset=done.reset, requests=requests)

    def pull_contact_pages(self, book_id: str, cursor: str | None) -> Iterator[PullPage]:
        """`pull_contacts` page by page for the sync engine (base.PagedContacts): each delta
        page's contacts (with their photos) handed on before the next page is asked for — a
        full round, and an incremental one too (a bulk import of 100,000 contacts is one
        increment). An expired token (410, delta-query-overview.md) starts a full round."""
        start = self._p("contactFolders", book_id, "contacts", "delta")
        state = _CURSORS.decode(cursor)
        count = self._http.request_count
        reset = state is None
        try:
            body = self._http.get(
                start if state is None else state.token, headers=self._prefer, policy=PULL_POLICY
            )
        except CursorExpired:
            log.info("graph contacts %s: the change token expired, full round", book_id)
            reset = True
            body = self._http.get(start, headers=self._prefer, policy=PULL_POLICY)
        kept: dict[str, str] | None = None
        while True:
            body = body or {}
            upserts: dict[str, dict[str, Any]] = {}
            removed: dict[str, None] = {}
            for entry in body.get("value", []):
                cid = str(entry.get("id") or "")
                if cid and "@removed" in entry:
                    upserts.pop(cid, None)
                    removed[cid] = None
                elif cid:
                    removed.pop(cid, None)
                    upserts[cid] = entry
            if upserts and kept is None:
                kept = self._overlays(book_id)
            items = [
                self._item(c, self._photo(cid, PULL_POLICY), (kept or {}).get(cid, ""))
                for cid, c in upserts.items()
            ]
            next_url = body.get("@odata.nextLink")
            delta = body.get("@odata.deltaLink")
            last = _CURSORS.encode(str(delta or "")) if delta or not next_url else None
            used, count = self._http.request_count - count, self._http.request_count
            yield PullPage(tuple(items), tuple(removed), reset, used, last)
            if last is not None:
                return
            body = self._http.get(str(next_url), headers=self._prefer, policy=PULL_POLICY)

    def _round(self, url: str, book_id: str) -> tuple[list[RemoteItem], list[str], str]:
        """All pages of one delta round (all-or-nothing): upserts, removed ids, deltaLink."""
        upserts: dict[str, dict[str, Any]] = {}
        removed: dict[str, None] = {}
        next_url: str | None = url
        delta_link = ""
        while next_url:
            body = self._http.get(next_url, headers=self._prefer, policy=PULL_POLICY) or {}
            for entry in body.get("value", []):
                cid = str(entry.get("id") or "")
                if not cid:
                    continue
                if "@removed" in entry:
                    upserts.pop(cid, None)
                    removed[cid] = None
                else:
                    removed.pop(cid, None)
                    upserts[cid] = entry
            next_url = body.get("@odata.nextLink")
            delta_link = str(body.get("@odata.deltaLink") or delta_link)
        kept = self._overlays(book_id) if upserts else {}
        items = [
            self._item(c, self._photo(cid, PULL_POLICY), kept.get(cid, ""))
            for cid, c in upserts.items()
        ]
        return items, list(removed), delta_link

    def _overlays(self, book_id: str) -> dict[str, str]:
        """{contact id: stored overlay} of the folder's contacts that carry one."""
        found = self._http.get_all(
            self._p("contactFolders", book_id, "contacts"),
            params=overlay_props.WITH_OVERLAY,
            headers=self._prefer,
            policy=PULL_POLICY,
        )
        return {str(c["id"]): overlay_props.stored(c) or "" for c in found if c.get("id")}

    def _item(
        self, contact: Mapping[str, Any], photo: bytes | None, kept: str | None = None
    ) -> RemoteItem:
        cid = str(contact["id"])
        stored = kept if kept is not None else overlay_props.stored(contact)
        text, client_uid = overlay.apply(graph_to_vcard(contact, photo), stored)
        return RemoteItem(cid, change_key(contact), client_uid or cid, text)

    def _keep_overlay(self, cid: str, photo: bytes | None, vcard: str) -> RemoteItem:
        """After a write: Graph's copy, with what it could not hold of `vcard` written to the
        contact's overlay property (one PATCH, only when it changed)."""
        contact = self._get(cid, WRITE_POLICY)
        if contact is None:
            raise RemoteNotFound("graph", f"contact {cid} vanished right after the write")
        wanted = overlay.for_write(
            vcard, graph_to_vcard(contact, photo), stored=overlay_props.stored(contact)
        )
        if wanted != (overlay_props.stored(contact) or ""):
            path = self._p("contacts", cid)
            patched = self._http.patch(path, json=overlay_props.written(wanted)) or contact
            contact = {
                **patched,
                "singleValueExtendedProperties": [
                    {"id": overlay_props.OVERLAY_ID, "value": wanted}
                ],
            }
        return self._item(contact, photo)

    def fetch_contact(self, book_id: str, remote_id: str) -> RemoteItem | None:
        contact = self._get(remote_id, PULL_POLICY)
        if contact is None or contact.get("parentFolderId") not in (None, book_id):
            return None
        return self._item(contact, self._photo(remote_id, PULL_POLICY))

    def _get(self, remote_id: str, policy: RetryPolicy) -> dict[str, Any] | None:
        """One contact with its overlay property expanded (overlay_props.py)."""
        try:
            return (
                self._http.get(
                    self._p("contacts", remote_id),
                    params=overlay_props.EXPAND_OVERLAY,
                    policy=policy,
                )
                or {}
            )
        except RemoteNotFound:
            return None

    # --- K3 ----------------------------------------------------------------------------------
    def create_contact(self, book_id: str, vcard: str, idempotency_key: str) -> RemoteItem:
        wanted = vcard_to_graph(vcard)
        _log_unstored(wanted)
        contacts = self._p("contactFolders", book_id, "contacts")
        flt = (
            "singleValueExtendedProperties/Any(ep: ep/id eq "
            f"{_odata_string(KEY_PROPERTY)} and ep/value eq {_odata_string(idempotency_key)})"
        )
        found = self._http.get_all(contacts, params={"$filter": flt}, policy=WRITE_POLICY)
        photo: bytes | None = None
        if found:  # a retry of a create that reached Graph: answer with what it made
            contact = found[0]
            photo = self._photo(str(contact["id"]), WRITE_POLICY)
        else:
            body = contact_patch({}, wanted)
            body["singleValueExtendedProperties"] = [{"id": KEY_PROPERTY, "value": idempotency_key}]
            contact = self._http.post(contacts, json=body, policy=WRITE_POLICY) or {}
        cid = str(contact["id"])
        if wanted.photo and photo != wanted.photo:
            self._put_photo(cid, wanted.photo, None)
            photo = wanted.photo
        return self._keep_overlay(cid, photo, vcard)

    def update_contact(
        self, book_id: str, remote_id: str, version: str | None, vcard: str
    ) -> RemoteItem:
        wanted = vcard_to_graph(vcard)
        _log_unstored(wanted)
        current = self._get(remote_id, WRITE_POLICY)
        if current is None:
            raise RemoteNotFound("graph", f"contact {remote_id} no longer exists")
        key = change_key(current)
        if version is not None and version != key:
            # nothing is written for a stale version (contact-update.md If-Match semantics)
            raise PreconditionFailed(
                "graph", f"contact {remote_id} changed at Microsoft 365", None, 412
            )
        photo = self._photo(remote_id, WRITE_POLICY)
        patch = contact_patch(current, wanted)
        new_photo = wanted.photo if wanted.photo and wanted.photo != photo else None
        if not patch and new_photo is None:
            return self._keep_overlay(remote_id, photo, vcard)
        if wanted.photo is None and photo is not None:
            log.info("graph contact %s: the client dropped the photo; kept at Graph", remote_id)
        if patch:
            path = self._p("contacts", remote_id)
            current = self._http.patch(path, json=patch, headers=_if_match(key)) or {}
            key = change_key(current)
        if new_photo is not None:
            self._put_photo(remote_id, new_photo, key)
            photo = new_photo
        return self._keep_overlay(remote_id, photo, vcard)

    def delete_contact(self, book_id: str, remote_id: str, version: str | None) -> None:
        try:
            self._http.delete(
                self._p("contacts", remote_id), headers=_if_match(version), policy=WRITE_POLICY
            )
        except RemoteNotFound:
            return  # already gone: the client's intent holds

    # --- photos: raw bytes, outside GraphHttp's JSON calls -------------------------------------
    def _photo(self, remote_id: str, policy: RetryPolicy) -> bytes | None:
        try:
            return (
                self._http.request_bytes("GET", self._photo_path(remote_id), policy=policy) or None
            )
        except RemoteNotFound:
            return None

    def _put_photo(self, remote_id: str, data: bytes, key: str | None) -> None:
        headers = {"Content-Type": "image/jpeg", **_if_match(key)}
        self._http.request_bytes(
            "PUT", self._photo_path(remote_id), data=data, headers=headers, policy=WRITE_POLICY
        )

    def _photo_path(self, remote_id: str) -> str:
        return self._p("contacts", remote_id, "photo") + "/$value"


def _log_unstored(wanted: WantedContact) -> None:
    for what in wanted.unstored:
        log.info("graph contacts cannot store %s (no such property in Graph v1.0)", what)
