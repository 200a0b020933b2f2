"""The organisation's policy (P1, P5) applied to one connection: what the bridge may serve,
pull and write for it, whatever the user granted.

`clamp` narrows a connection's own permissions (A1) by the user's effective policy; `check_write`
refuses a client's write with the reason in plain words. Both are pure. The policy object is
seen only through `OrgLimits` (bridge.organisation.policy.Policy satisfies it), so the sync layer does not
depend on the administration code. Must not do I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from bridge.errors import PolicyRefused
from bridge.model import CollectionKind
from bridge.store.rows import ConnectionPolicy

READ_ONLY_MESSAGE = (
    "Your administrator allows calendars to be read only; changes from your devices are not "
    "sent to the provider"
)
NO_CONTACTS_MESSAGE = "Your administrator does not allow contacts to be synced"
SWITCHED_OFF_MESSAGE = "The calendar and contacts integration is switched off by your administrator"


class OrgLimits(Protocol):
    """The parts of a user's effective policy (bridge.organisation.policy.Policy) that bound connections."""

    @property
    def enabled(self) -> bool: ...  # P1

    @property
    def allow_write_calendars(self) -> bool: ...  # P5

    @property
    def allow_contacts(self) -> bool: ...  # P5


PolicyFor = Callable[[int], OrgLimits]  # user id -> the user's effective policy (P6)


def clamp(limits: OrgLimits | None, conn: ConnectionPolicy) -> ConnectionPolicy:
    """What the connection may do under the policy: P1 off leaves nothing (no collection is
    served or pulled), P5 removes writing calendars and/or contacts. The user's on/off toggles
    (A4) are kept as they are. `None` means no policy applies (tests, the CLI)."""
    if limits is None:
        return conn
    if not limits.enabled:
        return replace(conn, read_calendars=False, write_calendars=False, sync_contacts=False)
    return replace(
        conn,
        write_calendars=conn.write_calendars and limits.allow_write_calendars,
        sync_contacts=conn.sync_contacts and limits.allow_contacts,
    )


def check_write(limits: OrgLimits | None, kind: CollectionKind) -> None:
    """Refuse a client's PUT/DELETE the policy forbids (PolicyRefused, 403, plain words)."""
    if limits is None:
        return
    if not limits.enabled:
        raise PolicyRefused("enabled", SWITCHED_OFF_MESSAGE)
    if kind is CollectionKind.CALENDAR and not limits.allow_write_calendars:
        raise PolicyRefused("allow_write_calendars", READ_ONLY_MESSAGE)
    if kind is CollectionKind.ADDRESSBOOK and not limits.allow_contacts:
        raise PolicyRefused("allow_contacts", NO_CONTACTS_MESSAGE)
