"""The organisation directory (K5) over Graph v1.0: the tenant's users as one address book.

- Pull: `GET /users/delta?$select=…` ("user: delta", learn.microsoft.com/graph/api/
  user-delta), every page (`@odata.nextLink`) up to the `@odata.deltaLink`, which is the
  cursor (`{"users": deltaLink}`); the next pull follows it and gets only changed users,
  users gone as `@removed`. An expired token (410 syncStateNotFound) gives a full round with
  reset=True (bridge.providers.common.cursor.resume).
- Where delta is not allowed (the service answers 400 / 501 for it, e.g. in clouds without
  user delta) the listing `GET /users?$select=…&$top=999` ("List users") is used, a full
  round each time.
- Permission: the least one that includes phone numbers is User.Read.All (delegated, admin
  consent); User.ReadBasic.All returns only the basic profile — display name, given name,
  surname, mail, user principal name — without businessPhones / mobilePhone (Microsoft Graph
  permissions reference), which caller lookup needs. A 403 is reported in plain words.
This module must not touch the store or the sync engine.
"""

from __future__ import annotations

from typing import Any

from bridge.errors import ProviderRefused, ReadOnly
from bridge.model import PullResult, RemoteItem
from bridge.providers.common.cursor import CursorCodec, resume
from bridge.providers.common.directory import DirectoryPerson, directory_item
from bridge.providers.common.retry import PULL_POLICY
from bridge.providers.graph.http import GraphHttp

_CURSORS = CursorCodec("users")
SELECT = "id,displayName,givenName,surname,mail,userPrincipalName,jobTitle,department,businessPhones,mobilePhone"
DIRECTORY_SCOPE = "User.Read.All"
_PREFER = {"Prefer": "odata.maxpagesize=999"}


def person_of(user: dict[str, Any]) -> DirectoryPerson:
    mail = str(user.get("mail") or user.get("userPrincipalName") or "")
    phones = [("work", str(p)) for p in user.get("businessPhones") or [] if p]
    if user.get("mobilePhone"):
        phones.append(("mobile", str(user["mobilePhone"])))
    return DirectoryPerson(
        remote_id=str(user["id"]),
        display_name=str(user.get("displayName") or ""),
        given=str(user.get("givenName") or ""),
        family=str(user.get("surname") or ""),
        emails=(mail,) if mail else (),
        phones=tuple(phones),
        title=str(user.get("jobTitle") or ""),
        department=str(user.get("department") or ""),
    )


class GraphDirectory:
    """Mixed into the Graph contacts provider (it owns `_http`)."""

    _http: GraphHttp

    def pull_directory(self, cursor: str | None) -> PullResult:
        before = self._http.request_count
        try:
            done = resume(
                _CURSORS.decode(cursor),
                None,
                self._directory_round,
                lambda: self._directory_round("/users/delta?$select=" + SELECT),
                "graph directory",
            )
            items, removed, link = done.value
            reset = done.reset
        except ReadOnly as exc:
            raise ProviderRefused(
                "graph",
                "The organisation directory cannot be read with this consent: Microsoft 365 "
                f"needs the {DIRECTORY_SCOPE} permission (re-authorize the connection; an "
                "administrator may have to consent for the organisation).",
                exc.code,
                exc.status,
            ) from exc
        except ProviderRefused:  # delta not offered: the plain listing, a full round
            users = self._http.get_all(
                "/users", params={"$select": SELECT, "$top": "999"}, policy=PULL_POLICY
            )
            items, removed, link, reset = (
                [directory_item(person_of(u)) for u in users],
                [],
                "",
                True,
            )
        requests = self._http.request_count - before
        return _CURSORS.result(
            items, [] if reset else removed, link or "list", reset=reset, requests=requests
        )

    def _directory_round(self, url: str) -> tuple[list[RemoteItem], list[str], str]:
        if url == "list":  # the cursor of a listing without delta: list again
            raise ProviderRefused("graph", "no delta for users", None, 400)
        upserts: dict[str, dict[str, Any]] = {}
        removed: dict[str, None] = {}
        next_url: str | None = url
        link = ""
        while next_url:
            body = self._http.get(next_url, headers=_PREFER, policy=PULL_POLICY) or {}
            for entry in body.get("value", []):
                uid = str(entry.get("id") or "")
                if not uid:
                    continue
                if "@removed" in entry:
                    upserts.pop(uid, None)
                    removed[uid] = None
                else:
                    removed.pop(uid, None)
                    upserts[uid] = entry
            next_url = body.get("@odata.nextLink")
            link = str(body.get("@odata.deltaLink") or link)
        return [directory_item(person_of(u)) for u in upserts.values()], list(removed), link
