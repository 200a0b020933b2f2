"""Where a PUT may go: into a calendar or an address book of the user, one level below the
principal (`/<user>/<collection>/<item>`). Anything else is refused here with the status WebDAV
defines and a message saying where items go, before Radicale sees it — Radicale would treat a
PUT on a collection, or one directly below the principal, as the upload of a whole collection
and answer 400 after a failed attempt to create one:

- PUT on the principal, or on one of its calendars / address books (`/demo/work/`): 405 with
  an `Allow` header (RFC 9110 §15.5.6): items are PUT one by one into the collection;
- PUT of a resource directly below the principal (`/demo/x.ics`): 403, the principal holds
  collections, not items;
- PUT into a collection that does not exist (`/demo/nope/x.ics`) or below an item: 409 (RFC
  4918 §9.7.1: no appropriately scoped parent collection).

Paths of other users are left to Radicale's rights (403). Pure: decides from the path and
whether a collection exists; imports only the standard library and radicale_plugins.
"""

from __future__ import annotations

from collections.abc import Callable
from http import client

from radicale_plugins.refusals import Refusal

#: What a calendar or address book answers (RFC 9110 §15.5.6: a 405 lists them).
COLLECTION_METHODS = "OPTIONS, GET, HEAD, PROPFIND, PROPPATCH, REPORT, DELETE"


def put_place_refusal(path: str, user: str, exists: Callable[[str], bool]) -> Refusal | None:
    """None when `path` names an item inside an existing collection of `user` (or another
    user's path, which Radicale's rights refuse); `exists(name)` says whether the user has a
    calendar or address book with that path segment."""
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] != user:
        return None
    if len(parts) == 1:
        return Refusal(
            client.METHOD_NOT_ALLOWED,
            f"/{user}/ is your principal: PUT items into one of your calendars or address "
            "books (found with PROPFIND).",
            headers={"Allow": "OPTIONS, GET, HEAD, PROPFIND, PROPPATCH, REPORT"},
        )
    if len(parts) == 2:
        if path.endswith("/") or exists(parts[1]):
            return Refusal(
                client.METHOD_NOT_ALLOWED,
                f"/{user}/{parts[1]}/ is a collection: PUT each item into it "
                f"(/{user}/{parts[1]}/<name>.ics or .vcf); a whole calendar or address book "
                "cannot be uploaded in one request.",
                headers={"Allow": COLLECTION_METHODS},
            )
        return Refusal(
            client.FORBIDDEN,
            f"/{user}/ holds calendars and address books, not items: PUT {parts[1]!r} into "
            "one of them.",
        )
    if not exists(parts[1]):
        return Refusal(
            client.CONFLICT,
            f"There is no calendar or address book /{user}/{parts[1]}/; create it first "
            "(MKCALENDAR, or MKCOL for an address book).",
        )
    if len(parts) > 3:
        return Refusal(
            client.CONFLICT,
            f"/{user}/{parts[1]}/ holds items only, no collections below it: PUT "
            f"/{user}/{parts[1]}/{parts[-1]} instead.",
        )
    return None
