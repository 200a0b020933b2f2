"""People API v1 directory methods (K5), as in the bundled discovery document:

  GET /v1/people:listDirectoryPeople     developers.google.com/people/api/rest/v1/people/
                                         listDirectoryPeople: `readMask` and `sources`
                                         (DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE and/or
                                         DIRECTORY_SOURCE_TYPE_DOMAIN_CONTACT) required;
                                         `pageSize` 1-1000 (default 100), `pageToken`;
                                         `requestSyncToken` makes the last page carry
                                         `nextSyncToken`; `syncToken` returns only people
                                         changed since, people gone with metadata.deleted
                                         true; an unknown or expired token -> 400
                                         FAILED_PRECONDITION reason EXPIRED_SYNC_TOKEN.
  GET /v1/people:searchDirectoryPeople   .../searchDirectoryPeople: `query` (prefix of a name
                                         or email), `readMask`, `sources` required; paged.

Scope (both methods' discovery `scopes`): https://www.googleapis.com/auth/directory.readonly,
else 403 PERMISSION_DENIED "Request had insufficient authentication scopes.". Domain profiles
carry names, emailAddresses, phoneNumbers and organizations. This module holds no state; the
directory is the app's (sandbox.directory_control).
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from sandbox.directory_control import DIRECTORY_KEY
from sandbox.directory_people import Directory, Person
from sandbox.google.errors import auth_error
from sandbox.google.people_errors import (
    PeopleError,
    expired_sync_token,
    insufficient_scope,
    invalid,
)
from sandbox.google.state import STATE_KEY

DIRECTORY_READONLY = "https://www.googleapis.com/auth/directory.readonly"
SOURCES = {"DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE", "DIRECTORY_SOURCE_TYPE_DOMAIN_CONTACT"}
FIELDS = {"names", "emailAddresses", "phoneNumbers", "organizations", "metadata"}


def _authorize(request: web.Request) -> None:
    st = request.app[STATE_KEY]
    header = request.headers.get("Authorization", "")
    value = header[7:].strip() if header.lower().startswith("bearer ") else ""
    tok = st.tokens.valid_access(value or request.query.get("access_token", ""))
    if tok is None:
        raise auth_error()
    if DIRECTORY_READONLY not in tok.scopes:
        raise insufficient_scope()


def _mask(request: web.Request) -> set[str]:
    raw = request.query.get("readMask", "")
    fields = {f.strip() for f in raw.split(",") if f.strip()}
    if not fields:
        raise invalid("readMask is required. Please specify one or more valid paths.")
    bad = sorted(fields - FIELDS)
    if bad:
        raise invalid(f'Invalid readMask path "{bad[0]}".')
    sources = set(request.query.getall("sources", []))
    if not sources:
        raise invalid("sources is required.")
    if sources - SOURCES:
        raise invalid(f"Invalid value at 'sources' ({sorted(sources - SOURCES)[0]})")
    return fields


def _page_size(request: web.Request) -> int:
    raw = request.query.get("pageSize", "100")
    if not raw.isdigit() or not 0 <= int(raw) <= 1000:
        raise invalid("Page size must be between 0 and 1000.")
    return int(raw) or 100


def person_json(p: Person, fields: set[str], deleted: bool = False) -> dict[str, Any]:
    etag = "%" + hashlib.sha1(f"{p.id}:{p.version}".encode()).hexdigest()[:20]  # noqa: S324
    meta: dict[str, Any] = {
        "sources": [{"type": "DOMAIN_PROFILE", "id": p.id, "etag": etag}],
        "objectType": "PERSON",
    }
    out: dict[str, Any] = {"resourceName": f"people/{p.id}", "etag": etag}
    if deleted:
        out["metadata"] = {**meta, "deleted": True}
        return out
    source = {"primary": True, "source": {"type": "DOMAIN_PROFILE", "id": p.id}}
    if "metadata" in fields:
        out["metadata"] = meta
    if "names" in fields:
        out["names"] = [
            {
                "metadata": source,
                "displayName": p.display_name,
                "givenName": p.given,
                "familyName": p.family,
            }
        ]
    if "emailAddresses" in fields:
        out["emailAddresses"] = [{"metadata": source, "value": p.email, "type": "work"}]
    if "phoneNumbers" in fields:
        phones = [("work", p.office), ("mobile", p.mobile)]
        out["phoneNumbers"] = [
            {"metadata": source, "value": v, "type": t, "formattedType": t.title()}
            for t, v in phones
            if v
        ]
    if "organizations" in fields and (p.title or p.department):
        out["organizations"] = [
            {"metadata": source, "title": p.title, "department": p.department, "type": "work"}
        ]
    return out


def _paged(rows: list[dict[str, Any]], request: web.Request) -> tuple[list[dict[str, Any]], str]:
    size = _page_size(request)
    token = request.query.get("pageToken", "")
    start = int(token) if token.isdigit() else 0
    if token and not token.isdigit():
        raise invalid("Invalid page token.")
    more = start + size < len(rows)
    return rows[start : start + size], str(start + size) if more else ""


async def list_directory_people(request: web.Request) -> web.Response:
    _authorize(request)
    fields = _mask(request)
    d: Directory = request.app[DIRECTORY_KEY]
    sync = request.query.get("syncToken", "")
    version = d.version
    if sync:
        since, _, at = sync.partition(".")
        if not since.isdigit() or int(since) > d.version:
            raise expired_sync_token()
        version = int(at) if at.isdigit() else version  # later pages of one sync round
        changed, gone = d.changed_since(int(since))
        rows = [person_json(p, fields) for p in changed]
        rows += [person_json(Person(pid, "", "", "", "", "", "", ""), fields, True) for pid in gone]
    else:
        rows = [person_json(p, fields) for p in d.listing()]
    page, next_token = _paged(rows, request)
    body: dict[str, Any] = {"people": page}
    if next_token:
        body["nextPageToken"] = next_token
    elif request.query.get("requestSyncToken", "").lower() == "true" or sync:
        body["nextSyncToken"] = str(version)
    return web.json_response(body)


async def search_directory_people(request: web.Request) -> web.Response:
    _authorize(request)
    fields = _mask(request)
    query = request.query.get("query", "")
    if not query.strip():
        raise invalid("query is required.")
    d: Directory = request.app[DIRECTORY_KEY]
    rows = [person_json(p, fields) for p in d.search(query)]
    page, next_token = _paged(rows, request)
    body: dict[str, Any] = {"people": page, "totalSize": len(rows)}
    if next_token:
        body["nextPageToken"] = next_token
    return web.json_response(body)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/people:listDirectoryPeople", list_directory_people)
    app.router.add_get("/v1/people:searchDirectoryPeople", search_directory_people)


__all__ = ["DIRECTORY_READONLY", "PeopleError", "add_routes"]
