"""Other mailboxes of the organisation whose Calendar folder the EWS user opens as a delegate
(issue 15), from the provider-neutral people and events of sandbox.seed_delegation.

Behaviour reproduced (Exchange web-service reference):
- "DistinguishedFolderId": with a child `Mailbox` it names that folder of another mailbox; the
  caller needs delegate access (sandbox.ews.service.folder_of answers ErrorNonExistentMailbox for
  a mailbox the user cannot open, as for an unknown one).
- "DelegateUser" / "DelegatePermissions": the owner gives the delegate a CalendarFolderPermission-
  Level (Editor: read and write, Reviewer: read) and `ViewPrivateItems` ("whether a delegate has
  permission to view private calendar items in the principal's mailbox").
- "ViewPrivateItems" is also a child of "EffectiveRights": the folder's EffectiveRights tell
  the delegate whether they may see private items (ops_folders.py renders it).
The demo user is Megan Bowen's delegate (Editor, ViewPrivateItems true), Nestor Wilke's (Editor,
ViewPrivateItems false) and a Reviewer of Adele Vance's calendar. Items are stored as their
owners wrote them: the bridge must hide private details itself.
Not emulated: the GetDelegate / AddDelegate operations (the relation is seeded).
"""

from __future__ import annotations

import datetime as dt

from sandbox.ews import edits, itemparse
from sandbox.ews.seed import graph_to_fields
from sandbox.ews.store import Store
from sandbox.seed_delegation import MAILBOXES, events_of, graph_body

#: (CalendarFolderPermissionLevel, ViewPrivateItems) the demo user holds per owner
DELEGATION = {
    "Megan Bowen": ("Editor", True),
    "Nestor Wilke": ("Editor", False),
    "Adele Vance": ("Reviewer", False),
}


def apply_delegates(store: Store, now: dt.datetime) -> None:
    day0 = now.astimezone(dt.UTC).date()
    for box in MAILBOXES:
        if store.distinguished("calendar", box.address) is not None:
            continue
        level, private = DELEGATION[box.name]
        folder = store.add_folder("Calendar", None, "IPF.Appointment", "calendar")
        folder.mailbox, folder.view_private = box.address, private
        for ev in events_of(box):
            data = graph_to_fields(graph_body(ev, day0))
            data["Organizer"] = (box.name, box.address)
            itemparse.validate(data)
            edits.create(store, folder.id, data, now)
        folder.can_write = level == "Editor"
