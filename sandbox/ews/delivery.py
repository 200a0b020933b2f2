"""Meeting messages between mailboxes of the emulated Exchange organisation: what the
Exchange transport does with the invitations, replies and cancellations ops_scheduling.py
records, when the recipient is another mailbox of this sandbox.

Behaviour reproduced ("Calendars and EWS in Exchange", "Create appointments and meetings by
using EWS", "Accept, tentatively accept, or decline meeting requests by using EWS", "Cancel a
meeting by using EWS"): a meeting request puts the meeting in the attendee's Calendar (same
UID, the organizer as Organizer, the attendee's own response Unknown until they answer) and an
update changes it there keeping their response; a cancellation marks their copy IsCancelled
with the subject "Canceled: …"; an attendee's response updates that attendee's ResponseType
on the organizer's meeting. Series are copied with their pattern; modified occurrences are
not (a limit of this sandbox).

Each delivery runs after the sending mailbox's request finished and released its lock, under
the receiving mailbox's lock (two mailboxes answering each other never wait on each other).
This module must not render XML nor know HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.ews import edits

if TYPE_CHECKING:
    from sandbox.ews.service import EwsService

Directory = Callable[[str], "EwsService | None"]
PEOPLE = ("RequiredAttendees", "OptionalAttendees", "Resources")
_NOT_COPIED = ("Extended", "MyResponseType")


def directory_of(svc: EwsService) -> Directory | None:
    found: Directory | None = getattr(svc, "directory", None)
    return found


def queue(svc: EwsService, work: Callable[[], None]) -> None:
    pending: list[Callable[[], None]] = getattr(svc, "pending_deliveries", None) or []
    pending.append(work)
    svc.pending_deliveries = pending  # type: ignore[attr-defined]


def run_queued(svc: EwsService) -> None:
    """Called by the service after the request released its lock."""
    pending: list[Callable[[], None]] = getattr(svc, "pending_deliveries", None) or []
    svc.pending_deliveries = []  # type: ignore[attr-defined]
    for work in pending:
        work()


def _uid_item(target: EwsService, uid: str) -> Any:
    item_id = target.store.by_uid.get(uid)
    item = target.store.get(item_id) if item_id else None
    return item if item is not None and item.alive else None


def request(sender: EwsService, address: str, data: dict[str, Any]) -> None:
    """A meeting request or update from `sender` for the mailbox `address`."""
    directory = directory_of(sender)
    target = directory(address) if directory else None
    if target is None:
        return
    copy = {k: v for k, v in data.items() if k not in _NOT_COPIED}
    copy["Organizer"] = (sender.owner_name, sender.owner_email)
    uid = str(data.get("UID") or "")

    def work() -> None:
        with target.lock:
            existing = _uid_item(target, uid)
            if existing is None:
                calendar = target.store.distinguished("calendar")
                if calendar is not None:
                    edits.create(target.store, calendar.id, copy, target.now())
                return
            mine = address.lower()
            kept = {
                key: [
                    (
                        p[0],
                        p[1],
                        _response_of(existing.data, mine) if str(p[1]).lower() == mine else p[2],
                    )
                    for p in copy.get(key) or []
                ]
                for key in PEOPLE
                if key in copy
            }
            edits.update(target.store, existing, None, {**copy, **kept}, target.now())

    queue(sender, work)


def cancel(sender: EwsService, address: str, data: dict[str, Any]) -> None:
    directory = directory_of(sender)
    target = directory(address) if directory else None
    if target is None:
        return
    uid = str(data.get("UID") or "")

    def work() -> None:
        with target.lock:
            existing = _uid_item(target, uid)
            if existing is None or existing.data.get("IsCancelled"):
                return
            subject = str(existing.data.get("Subject") or "")
            changes = {"IsCancelled": True, "Subject": f"Canceled: {subject}"}
            edits.update(target.store, existing, None, changes, target.now())

    queue(sender, work)


def reply(sender: EwsService, organizer: str, uid: str, response: str) -> None:
    """The attendee `sender` answered: the organizer's meeting records the response."""
    directory = directory_of(sender)
    target = directory(organizer) if directory else None
    if target is None:
        return
    me = sender.owner_email.lower()

    def work() -> None:
        with target.lock:
            meeting = _uid_item(target, uid)
            if meeting is None:
                return
            changes = {
                key: [(p[0], p[1], response if str(p[1]).lower() == me else p[2]) for p in people]
                for key in PEOPLE
                if (people := meeting.data.get(key))
            }
            if changes:
                edits.update(target.store, meeting, None, changes, target.now())

    queue(sender, work)


def _response_of(data: dict[str, Any], address: str) -> str:
    for key in PEOPLE:
        for p in data.get(key) or []:
            if str(p[1]).lower() == address:
                return str(p[2])
    return "Unknown"
