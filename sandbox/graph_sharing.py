"""Shared and delegated Outlook calendars in the Graph sandbox (issue 15).

Behaviour reproduced (Microsoft Graph docs):
- "Share or delegate a calendar in Outlook" (learn.microsoft.com/graph/outlook-share-or-delegate-
  calendar): an owner shares a calendar with, or delegates the primary calendar to, another user
  of the organisation; the recipient then lists it among their own calendars
  (`GET /me/calendars`) with the owner in `owner`, and reads and writes its events through it.
- calendarPermission (learn.microsoft.com/graph/api/resources/calendarpermission): `role` is one
  of none, freeBusyRead, limitedRead, read, write, delegateWithoutPrivateEventAccess,
  delegateWithPrivateEventAccess, custom. read/limitedRead: no writes; write and the delegate
  roles: writes; only delegateWithPrivateEventAccess may view the owner's private events. Listing
  the permissions is done on behalf of the owner only; "Getting the calendar permissions of a
  calendar on behalf of a share recipient or delegate returns an empty calendar permissions
  collection."
- calendar resource (resources/calendar.md): `canEdit`, `canShare`, `canViewPrivateItems` as the
  recipient's role allows.
The sandbox answers private events with their details as application permissions do: the
bridge must hide them itself (issue 15 point 2). Every user of the tenant is a mailbox in the
same `Mailboxes` store, so one calendar is read by its owner and its recipients alike.
This module must not define routes.
"""

from __future__ import annotations

from typing import Any

from sandbox.gerrors import GraphError
from sandbox.mailbox import Calendar, Mailboxes
from sandbox.render import render_calendar
from sandbox.state import SandboxState

ROLES = (
    "none",
    "freeBusyRead",
    "limitedRead",
    "read",
    "write",
    "delegateWithoutPrivateEventAccess",
    "delegateWithPrivateEventAccess",
    "custom",
)
OPENED = frozenset(ROLES[2:])  # a recipient who can see more than free/busy lists the calendar
WRITERS = frozenset(
    {"write", "delegateWithoutPrivateEventAccess", "delegateWithPrivateEventAccess"}
)


def role_of(mb: Mailboxes, cal: Calendar, user_id: str) -> str | None:
    """The user's role on another user's calendar, when it lets them open it."""
    user = mb.users.get(user_id)
    if user is None:
        return None
    for perm in cal.permissions:
        address = str((perm.get("emailAddress") or {}).get("address") or "")
        if address.lower() == user.upn.lower() and perm.get("role") in OPENED:
            return str(perm["role"])
    return None


def can_write(mb: Mailboxes, cal: Calendar, user_id: str) -> bool:
    return role_of(mb, cal, user_id) in WRITERS


def render_for(mb: Mailboxes, cal: Calendar, user_id: str) -> dict[str, Any]:
    """The calendar resource as `user_id` sees it (owner: as it is; recipient: by role)."""
    row = render_calendar(cal)
    if cal.owner_user_id == user_id:
        return row
    role = role_of(mb, cal, user_id)
    row.update(
        {
            "canEdit": role in WRITERS and cal.can_edit,
            "canShare": False,
            "canViewPrivateItems": role == "delegateWithPrivateEventAccess",
            "isDefaultCalendar": False,
            "isRemovable": True,
        }
    )
    return row


def shared_rows(mb: Mailboxes, user_id: str) -> list[dict[str, Any]]:
    """Other users' calendars shared with or delegated to `user_id`."""
    return [
        render_for(mb, cal, user_id)
        for cal in mb.calendars.values()
        if cal.owner_user_id != user_id and role_of(mb, cal, user_id) is not None
    ]


def share(mb: Mailboxes, cal: Calendar, upn: str, role: str) -> dict[str, Any]:
    """Add (or change) a recipient of `cal` (what the owner does in Outlook)."""
    if role not in ROLES:
        raise GraphError(400, "ErrorInvalidRequest", f"Invalid role '{role}'.")
    recipient = mb.find_user(upn)
    cal.permissions = [
        p
        for p in cal.permissions
        if str((p.get("emailAddress") or {}).get("address") or "").lower() != upn.lower()
    ]
    perm = {
        "id": f"RcptPerm{len(cal.permissions) + 1}_{recipient.id[:8]}",
        "emailAddress": {"name": recipient.display_name, "address": recipient.upn},
        "isRemovable": True,
        "isInsideOrganization": True,
        "role": role,
        "allowedRoles": list(ROLES[1:7]) if cal.is_default else list(ROLES[1:5]),
    }
    cal.permissions.append(perm)
    return perm


def permissions_json(st: SandboxState, cal: Calendar, user_id: str, method: str) -> dict[str, Any]:
    """GET /calendars/{id}/calendarPermissions: the owner's view, empty for a recipient."""
    if method != "GET":
        raise GraphError(405, "ErrorInvalidRequest", "Method not allowed.")
    rows = list(cal.permissions) if cal.owner_user_id == user_id else []
    return {"@odata.context": f"{st.base_url}/v1.0/$metadata#calendarPermissions", "value": rows}
