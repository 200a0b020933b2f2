"""Other mailboxes' calendars opened with delegate access over EWS (SPEC C7, issue 15).

For each address in the connection's `shared_mailboxes` the owner's Calendar folder is read
with GetFolder and a DistinguishedFolderId carrying that Mailbox (web-service reference
"DistinguishedFolderId": "Mailbox ... identifies the mailbox that contains the folder"), through
an exchangelib Account for that address with DELEGATE access — without touching the owner's
root folder, which a calendar delegate may not read. The folder's EffectiveRights say whether
the user may write (CreateContents, Modify) and see private items (ViewPrivateItems: "whether a
delegate user or client application has permission to view private items in the principal's
mailbox"). A mailbox that cannot be opened is left out and logged (the rest still list).
Must not touch the store or the sync engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from exchangelib import DELEGATE, Account
from exchangelib.errors import EWSError
from exchangelib.folders import Calendar, Root
from exchangelib.properties import DistinguishedFolderId, Mailbox

from bridge.errors import BridgeError
from bridge.model import CalendarInfo

log = logging.getLogger(__name__)


def delegate_calendar(account: Account, address: str) -> Any:
    """The Calendar folder of `address`'s mailbox as `account`'s user may open it."""
    other = Account(
        primary_smtp_address=address,
        config=account.protocol.config,
        autodiscover=False,
        access_type=DELEGATE,
        default_timezone=account.default_timezone,
    )
    root = Root(
        account=other,
        _distinguished_id=DistinguishedFolderId(id="root", mailbox=Mailbox(email_address=address)),
    )
    # exchangelib would GetFolder the owner's root whenever it needs a root (e.g. to validate
    # GetItem); a calendar delegate may not read it, so the account's cached root is this
    # unfetched reference instead (exchangelib caches Account.root in the instance dict)
    other.__dict__["root"] = root
    return Calendar.get_distinguished(root=root)


def shared_calendars(
    account: Account, addresses: tuple[str, ...], call: Callable[[Callable[[], Any]], Any]
) -> list[tuple[Any, CalendarInfo]]:
    """(folder, CalendarInfo) of each openable shared calendar; `call` wraps a wire call with
    the provider's retry and error mapping."""
    found: list[tuple[Any, CalendarInfo]] = []
    for address in addresses:

        def opened(a: str = address) -> Any:
            return delegate_calendar(account, a)

        try:
            folder = call(opened)
        except (BridgeError, EWSError) as exc:
            log.warning("the calendar of %s could not be opened as a delegate: %s", address, exc)
            continue
        rights = getattr(folder, "effective_rights", None)
        writable = rights is not None and bool(rights.create_contents and rights.modify)
        private = rights is not None and bool(rights.view_private_items)
        found.append(
            (
                folder,
                CalendarInfo(
                    remote_id=str(folder.id),
                    display_name=str(folder.name or "Calendar"),
                    read_only=not writable,
                    owner_email=address,
                    is_default=False,
                    can_view_private=private,
                ),
            )
        )
    return found
