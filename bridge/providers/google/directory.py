"""The organisation directory (K5) of a Google Workspace domain through the People API.

- Pull: `people.listDirectoryPeople` (developers.google.com/people/api/rest/v1/people/
  listDirectoryPeople) with `readMask=names,emailAddresses,phoneNumbers,organizations`,
  `sources=DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE`, `pageSize=1000`, every page
  (`nextPageToken`), `requestSyncToken=true`; the last page's `nextSyncToken` is the cursor
  (`{"directory": token}`). The next pull passes it as `syncToken` and gets only people changed
  since, those gone with `metadata.deleted`. An expired token (400 FAILED_PRECONDITION,
  EXPIRED_SYNC_TOKEN) gives a full round with reset=True.
- `search(query)`: `people.searchDirectoryPeople` (…/searchDirectoryPeople), for operators'
  checks; the bridge answers client searches from its own index.
- Scope: https://www.googleapis.com/auth/directory.readonly — the only one these methods take
  (their discovery `scopes`), read-only.
This module must not touch the store or the sync engine.
"""

from __future__ import annotations

from typing import Any

from bridge.errors import ProviderRefused, ReadOnly
from bridge.model import PullResult, RemoteItem
from bridge.providers.common.cursor import CursorCodec, resume
from bridge.providers.common.directory import DirectoryPerson, directory_item
from bridge.providers.common.retry import PULL_POLICY
from bridge.providers.google.contacts_client import PeopleClient

DIRECTORY_SCOPE = "https://www.googleapis.com/auth/directory.readonly"
READ_MASK = "names,emailAddresses,phoneNumbers,organizations"
SOURCES = ["DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE"]
_CURSORS = CursorCodec("directory")


def person_of(person: dict[str, Any]) -> DirectoryPerson:
    names = (person.get("names") or [{}])[0]
    emails = tuple(str(e["value"]) for e in person.get("emailAddresses") or [] if e.get("value"))
    phones = tuple(
        (str(p.get("type") or "work").lower(), str(p["value"]))
        for p in person.get("phoneNumbers") or []
        if p.get("value")
    )
    org = (person.get("organizations") or [{}])[0]
    return DirectoryPerson(
        remote_id=str(person["resourceName"]),
        display_name=str(names.get("displayName") or ""),
        given=str(names.get("givenName") or ""),
        family=str(names.get("familyName") or ""),
        emails=emails,
        phones=phones,
        title=str(org.get("title") or ""),
        department=str(org.get("department") or ""),
        company=str(org.get("name") or ""),
    )


class GoogleDirectory:
    """Mixed into the Google contacts provider (it owns `_client`)."""

    _client: PeopleClient

    def pull_directory(self, cursor: str | None) -> PullResult:
        before = self._client.request_count
        try:
            done = resume(
                _CURSORS.decode(cursor),
                None,
                self._directory_round,
                lambda: self._directory_round(None),
                "google directory",
            )
        except ReadOnly as exc:
            raise ProviderRefused(
                "google",
                "The organisation directory cannot be read with this consent: Google needs "
                f"the {DIRECTORY_SCOPE} scope (re-authorize the connection).",
                exc.code,
                exc.status,
            ) from exc
        (items, removed, token), reset = done.value, done.reset
        requests = self._client.request_count - before
        return _CURSORS.result(
            items, [] if reset else removed, token, reset=reset, requests=requests
        )

    def _directory_round(self, sync: str | None) -> tuple[list[RemoteItem], list[str], str]:
        items: list[RemoteItem] = []
        removed: list[str] = []
        page: str | None = None
        token = ""
        while True:
            body = self._client.call(_list_call(sync, page), PULL_POLICY) or {}
            for person in body.get("people") or []:
                if not person.get("resourceName"):
                    continue
                if (person.get("metadata") or {}).get("deleted"):
                    removed.append(str(person["resourceName"]))
                else:
                    items.append(directory_item(person_of(person)))
            page = body.get("nextPageToken")
            token = str(body.get("nextSyncToken") or token)
            if not page:
                return items, removed, token

    def search_directory(self, query: str) -> list[DirectoryPerson]:
        body = self._client.call(
            lambda s: s.people().searchDirectoryPeople(
                query=query, readMask=READ_MASK, sources=SOURCES, pageSize=50
            ),
            PULL_POLICY,
        )
        return [person_of(p) for p in (body or {}).get("people") or []]


def _list_call(sync: str | None, page: str | None) -> Any:
    def make(service: Any) -> Any:
        args: dict[str, Any] = {
            "readMask": READ_MASK,
            "sources": SOURCES,
            "pageSize": 1000,
            "requestSyncToken": True,
        }
        if sync:
            args["syncToken"] = sync
        if page:
            args["pageToken"] = page
        return service.people().listDirectoryPeople(**args)

    return make
