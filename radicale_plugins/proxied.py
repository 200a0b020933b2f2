"""Another user's calendar home as a calendar-proxy member sees it (SPEC C7, issue 15 point 4).

CalendarServer's caldav-proxy draft (github.com/apple/ccs-calendarserver,
doc/Extensions/caldav-proxy.xml, "Proxy Principal Resource"): a member of OWNER's
calendar-proxy-read group may read, a member of calendar-proxy-write may also write, OWNER's
calendars. Apple Calendar, once "Show" is ticked in the Delegation pane, opens OWNER's principal
and calendar home /OWNER/ and works there. davbridge serves a delegate (a bridge-level grant)
exactly the calendars of the grant there: the delegate's own copies of OWNER's calendars
(bridge.api.Bridge.proxied_calendars), which are redacted mirrors unless the grant includes
private access, read-only unless it allows writing; writes go through to OWNER's calendar at
the provider as they do at /DELEGATE/<copy>/. Nothing else under /OWNER/ — address books,
other collections, the proxy groups — is readable by the delegate (rights: none).

The login of the request is known to the WSGI app, not to Radicale's storage API (`discover`
receives only a path), so the app sets it for the request (`as_viewer`).
Imports only radicale and bridge.api; decides nothing about grants itself.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from bridge import api

_viewer: contextvars.ContextVar[str] = contextvars.ContextVar("davbridge_viewer", default="")
# the granted calendars per (viewer, owner), read once per request: Radicale asks the rights
# once per item of a listing
_granted: contextvars.ContextVar[dict[tuple[str, str], list[api.CollectionRecord]] | None] = (
    contextvars.ContextVar("davbridge_granted", default=None)
)


@contextlib.contextmanager
def as_viewer(user: str) -> Iterator[None]:
    """The scope of one request made by `user` (the signed-in DAV login)."""
    token = _viewer.set(user)
    memo = _granted.set({})
    try:
        yield
    finally:
        _granted.reset(memo)
        _viewer.reset(token)


def _calendars_of(user: str, owner: str) -> list[api.CollectionRecord]:
    memo = _granted.get()
    if memo is None:  # outside a request: no memo
        return api.current().proxied_calendars(user, owner)
    key = (user, owner)
    if key not in memo:
        memo[key] = api.current().proxied_calendars(user, owner)
    return memo[key]


def _calendar_of(user: str, owner: str, name: str) -> api.CollectionRecord | None:
    return next((c for c in _calendars_of(user, owner) if c.name == name), None)


def viewer() -> str:
    """Who makes the current request ("" outside a request)."""
    return _viewer.get()


def foreign(parts: list[str]) -> bool:
    """Whether the path (split) lies in another user's home than the viewer's."""
    who = viewer()
    return bool(who and parts and parts[0] != who)


def rights(user: str, parts: list[str]) -> str:
    """Radicale's rights letters of `user` on a path in another user's home `parts[0]`:
    "R" on the principal when `user` holds a grant there, "r"/"rw" on a granted calendar (and
    its items), nothing otherwise."""
    owner = parts[0]
    if len(parts) == 1:
        return "R" if _calendars_of(user, owner) else ""
    coll = _calendar_of(user, owner, parts[1])
    if coll is None:
        return ""
    return "r" if coll.read_only else "rw"


def calendars(owner: str) -> list[api.CollectionRecord]:
    """The viewer's granted calendars in `owner`'s home."""
    return _calendars_of(viewer(), owner)


def calendar(owner: str, name: str) -> api.CollectionRecord | None:
    """The viewer's granted calendar `name` in `owner`'s home (None: not granted)."""
    return _calendar_of(viewer(), owner, name)


def collection_at(user: str, parts: list[str]) -> api.CollectionRecord | None:
    """The collection `parts[1]` of the home `parts[0]` as `user` may reach it: their own, or
    a calendar granted to them in another user's home."""
    if len(parts) < 2 or not user:
        return None
    if parts[0] == user:
        return api.current().collection(user, parts[1])
    return _calendar_of(user, parts[0], parts[1])
