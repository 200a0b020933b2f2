"""The facade's delegation methods (SPEC C7, issue 15): bridge-level grants for the portal and
the CLI, and who is whose calendar proxy for the DAV principals (CalendarServer's caldav-proxy).

Delegates only: grants are bridge.sync.delegation's, rows the store's. Must not import radicale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bridge.errors import Forbidden, NotFound
from bridge.model import CollectionKind, CollectionRecord
from bridge.store import Store
from bridge.store.delegation import GrantRow, split_grant_remote_id
from bridge.store.rows import UserRow
from bridge.sync.delegation import GrantCopies
from bridge.sync.engine import SyncEngine


@dataclass(frozen=True)
class ProxyRights:
    """Calendar-proxy relations of one user, as bridge user names.

    `read` / `write`: who may read (read and write) this user's calendars — the members of the
    user's calendar-proxy-read / -write groups; `read_for` / `write_for`: whose calendars this
    user may read (read and write)."""

    read: tuple[str, ...]
    write: tuple[str, ...]
    read_for: tuple[str, ...]
    write_for: tuple[str, ...]


class DelegationFacade:
    store: Store
    engine: SyncEngine
    grant_copies: GrantCopies

    if TYPE_CHECKING:

        def _user(self, username: str) -> UserRow: ...

    # -- grants (admin: portal and CLI) ----------------------------------------------------
    def add_grant(self, owner: str, grantee: str, write: bool, private: bool, by: str) -> GrantRow:
        """`grantee` may read (`write`: and change) `owner`'s calendars, `private`: with the
        details of private events; an existing grant between them is changed. The calendars
        appear in the grantee's clients at once."""
        return self.grant_copies.add(owner, grantee, write, private, by)

    def grants(self) -> list[GrantRow]:
        return self.store.grants()

    def revoke_grant(self, grant_id: int, by: str) -> GrantRow:
        """Remove a grant; the grantee's copies disappear at once."""
        return self.grant_copies.revoke(grant_id, by)

    # -- a user's own view (profile page) ----------------------------------------------------
    def grants_given(self, username: str) -> list[GrantRow]:
        """Who may see `username`'s calendars through a bridge-level grant."""
        return self.store.grants(owner_id=self._user(username).id)

    def grants_received(self, username: str) -> list[GrantRow]:
        return self.store.grants(grantee_id=self._user(username).id)

    def revoke_own_grant(self, username: str, grant_id: int) -> GrantRow:
        """The owner takes back a grant on their calendars (their profile page)."""
        try:
            grant = self.store.grant(grant_id)
        except NotFound:
            raise NotFound(f"no grant {grant_id}") from None
        if grant.owner_id != self._user(username).id:
            raise Forbidden("only the owner of the calendars (or an admin) can revoke this grant")
        return self.grant_copies.revoke(grant_id, username)

    # -- calendar-proxy (Apple clients) --------------------------------------------------------
    def proxied_calendars(self, viewer: str, owner: str) -> list[CollectionRecord]:
        """What `viewer` sees in `owner`'s calendar home (/OWNER/) as a member of OWNER's
        calendar-proxy groups: exactly `viewer`'s copies of OWNER's calendars made for a
        bridge-level grant (redacted mirrors unless the grant has private access; read-only
        unless it allows writing). Empty when there is no grant: then the home stays closed."""
        viewer_row = self.store.user_by_name(viewer)
        owner_row = self.store.user_by_name(owner)
        if viewer_row is None or owner_row is None or viewer_row.id == owner_row.id:
            return []
        found: list[CollectionRecord] = []
        for grant in self.store.grants(owner_id=owner_row.id, grantee_id=viewer_row.id):
            found += [
                c
                for c in self.store.grant_copies(grant.id)
                if self.engine.wanted(c) and self.grant_copies.valid(c)
            ]
        return found

    def proxy_rights(self, username: str) -> ProxyRights:
        """Bridge-level grants, and calendars delegated at the provider whose owner is a user
        of this bridge (by email), as calendar-proxy relations."""
        user = self._user(username)
        read: set[str] = set()
        write: set[str] = set()
        for g in self.store.grants(owner_id=user.id):
            (write if g.write else read).add(g.grantee_name)
        read_for: set[str] = set()
        write_for: set[str] = set()
        for g in self.store.grants(grantee_id=user.id):
            (write_for if g.write else read_for).add(g.owner_name)
        accounts = {c.id: c.account.lower() for c in self.store.connections(user.id)}
        for coll in self.store.collections(user_id=user.id):
            if (
                coll.kind is not CollectionKind.CALENDAR
                or coll.connection_id not in accounts
                or split_grant_remote_id(coll.remote_id)[0] is not None
                or not coll.owner
                or coll.owner.lower() == accounts[coll.connection_id]
            ):
                continue
            owner = self.store.user_by_email(coll.owner)
            if owner is not None and owner.id != user.id:
                (read_for if coll.read_only else write_for).add(owner.name)
        if user.email:  # the reverse of the provider-level relations
            for coll in self.store.calendars_shown_as_owned_by(user.email, user.id):
                other = self.store.user(coll.user_id)
                (read if coll.read_only else write).add(other.name)
        return ProxyRights(
            tuple(sorted(read - write)),
            tuple(sorted(write)),
            tuple(sorted(read_for - write_for)),
            tuple(sorted(write_for)),
        )
