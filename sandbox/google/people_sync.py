"""people.connections.list: paging, sort orders and sync tokens.

Per the people.connections.list reference and the contacts guide ("List the user's contacts
that have changed"):
- `personFields` is required; `pageSize` 1..1000 (default 100); `nextPageToken` on every page
  but the last; `nextSyncToken` on the last page when `requestSyncToken=true`.
- With `syncToken`: only contacts changed since the token, deleted ones as a person with
  `metadata.deleted: true`. Tokens expire 7 days after they were issued (and when the control
  API expires them): 400 FAILED_PRECONDITION, ErrorInfo reason EXPIRED_SYNC_TOKEN.
- Page tokens must be used with the same parameters as the first call.
Tokens are opaque strings carrying the change-sequence position, the store epoch and the issue
time. This module must not write to the store.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sandbox.google.people_errors import expired_sync_token, invalid
from sandbox.google.people_model import TOKEN_LIFETIME, Contact, PeopleStore
from sandbox.google.people_render import parse_fields, render_person

MAX_PAGE, DEFAULT_PAGE = 1000, 100
SORT_ORDERS = (
    "LAST_MODIFIED_ASCENDING",
    "LAST_MODIFIED_DESCENDING",
    "FIRST_NAME_ASCENDING",
    "LAST_NAME_ASCENDING",
)


def _encode(prefix: str, payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return prefix + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(prefix: str, token: str) -> dict[str, Any] | None:
    if not token.startswith(prefix):
        return None
    body = token[len(prefix) :]
    try:
        out = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    return out if isinstance(out, dict) else None


def _name_key(contact: Contact, part: str) -> tuple[str, int]:
    names = contact.data.get("names") or [{}]
    return (str(names[0].get(part) or "~").lower(), contact.number)


def _ordered(contacts: list[Contact], order: str) -> list[Contact]:
    if order == "LAST_MODIFIED_DESCENDING":
        return sorted(contacts, key=lambda c: -c.seq)
    if order == "FIRST_NAME_ASCENDING":
        return sorted(contacts, key=lambda c: _name_key(c, "givenName"))
    if order == "LAST_NAME_ASCENDING":
        return sorted(contacts, key=lambda c: _name_key(c, "familyName"))
    return sorted(contacts, key=lambda c: c.seq)


def list_connections(
    store: PeopleStore, params: Mapping[str, str], base_url: str
) -> dict[str, Any]:
    fields = parse_fields(params.get("personFields") or params.get("requestMask.includeField"))
    try:
        size = int(params.get("pageSize") or 0) or DEFAULT_PAGE
    except ValueError as exc:
        raise invalid("Invalid value at 'page_size' (TYPE_INT32).") from exc
    if size < 1 or size > MAX_PAGE:
        raise invalid("Page size must be between 1 and 1000.")
    order = params.get("sortOrder") or SORT_ORDERS[0]
    if order not in SORT_ORDERS:
        raise invalid(f"Invalid value at 'sort_order': \"{order}\".")
    want_token = params.get("requestSyncToken", "false").lower() == "true"
    fingerprint = hashlib.sha256(
        f"{','.join(sorted(fields))}|{order}|{want_token}|{params.get('syncToken', '')}".encode()
    ).hexdigest()[:12]
    since: int | None = None
    if params.get("syncToken"):
        since = _check_sync_token(store, params["syncToken"])
    offset, snapshot = 0, store.seq
    if params.get("pageToken"):
        page = _decode("CP", params["pageToken"])
        if not page or page.get("f") != fingerprint or page.get("e") != store.epoch:
            raise invalid(
                "Parameters provided to people.connections.list must match the first call "
                "that provided the page token."
            )
        offset, snapshot = int(page["o"]), int(page["s"])
    if since is None:
        rows = _ordered([c for c in store.live() if c.seq <= snapshot], order)
    else:
        rows = sorted(
            (c for c in store.contacts.values() if since < c.seq <= snapshot), key=lambda c: c.seq
        )
    chunk = rows[offset : offset + size]
    out: dict[str, Any] = {}
    if chunk:
        out["connections"] = [render_person(store, c, fields, base_url) for c in chunk]
    if offset + size < len(rows):
        out["nextPageToken"] = _encode(
            "CP", {"o": offset + size, "s": snapshot, "f": fingerprint, "e": store.epoch}
        )
    elif want_token or since is not None:
        out["nextSyncToken"] = issue_sync_token(store, snapshot)
    if since is None:
        out["totalPeople"] = out["totalItems"] = len(rows)
    return out


def issue_sync_token(store: PeopleStore, position: int) -> str:
    issued = int(store.clock().timestamp())
    return _encode("^", {"s": position, "e": store.epoch, "t": issued})


def _check_sync_token(store: PeopleStore, token: str) -> int:
    data = _decode("^", token)
    if not data or not isinstance(data.get("s"), int):
        raise invalid("Sync token is invalid.")
    issued = dt.datetime.fromtimestamp(int(data.get("t", 0)), dt.UTC)
    if data.get("e") != store.epoch or store.clock() - issued > TOKEN_LIFETIME:
        raise expired_sync_token()
    return int(data["s"])
