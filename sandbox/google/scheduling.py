"""The messages Google Calendar sends for meetings, recorded in the sandbox's message log
(sandbox/messages.py; never delivered anywhere).

Behaviour reproduced (Calendar API v3 reference, Events: insert / patch / update / delete,
parameter `sendUpdates`): "all" — notifications go to all guests; "externalOnly" — only to
non-Google-Calendar guests (here: guests outside the calendar owner's domain); "none" or
absent — none. The organizer's insert/update sends an invitation or update to each guest, a
guest removed by an update and every guest of a deleted (or cancelled) event get a
cancellation; a guest changing their own `responseStatus` (their `self` entry) sends a reply
to the organizer. This module must not change events; calendar_routes.py calls it around the
store's writes.
"""

from __future__ import annotations

from typing import Any

from sandbox.messages import Message, MessageLog

RESPONSES = ("accepted", "declined", "tentative")


def _email(entry: Any) -> str:
    return str((entry or {}).get("email") or "").strip().lower()


def _guests(event: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {_email(a): a for a in (event or {}).get("attendees") or [] if _email(a)}


def notify(
    log: MessageLog,
    owner: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    send: str,
) -> None:
    """Record what `send` (the request's sendUpdates) makes Google send for a write that turned
    `before` into `after` (None: created / deleted)."""
    if send not in ("all", "externalOnly"):
        return
    event = after or before or {}
    organizer = _email(event.get("organizer"))
    owner = owner.lower()
    domain = owner.rpartition("@")[2]

    def wanted(address: str) -> bool:
        return send == "all" or address.rpartition("@")[2] != domain

    uid = str(event.get("iCalUID") or event.get("id") or "")
    subject = str(event.get("summary") or "")
    if organizer and organizer != owner:  # the owner is a guest: only their reply
        old = str(_guests(before).get(owner, {}).get("responseStatus") or "")
        new = str(_guests(after).get(owner, {}).get("responseStatus") or "")
        if after is not None and new != old and new in RESPONSES and wanted(organizer):
            log.append(Message("google", "REPLY", owner, organizer, uid, subject, partstat=new))
        return
    cancelled = after is None or after.get("status") == "cancelled"
    now = {} if cancelled else _guests(after)
    for address in now:
        if address != owner and wanted(address):
            log.append(Message("google", "REQUEST", owner, address, uid, subject))
    for address in _guests(before):
        if address not in now and address != owner and wanted(address):
            log.append(Message("google", "CANCEL", owner, address, uid, subject))
