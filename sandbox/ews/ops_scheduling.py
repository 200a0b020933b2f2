"""Meetings and availability in the emulated Exchange mailbox (EWS), and the messages Exchange
would send for them (recorded in the service's message log, never delivered anywhere).

Per web-service-reference:
- "CreateItem operation (meeting request)" / "AcceptItem", "DeclineItem",
  "TentativelyAcceptItem": a CreateItem whose item is one of those, with a ReferenceItemId to
  the meeting in the mailbox, sets the mailbox owner's response on it; MessageDisposition
  SendOnly / SendAndSaveCopy sends the reply to the organizer (SaveOnly sends nothing). The
  organizer cannot respond to their own meeting (ErrorInvalidOperation-like refusal).
- "CreateItem operation (calendar item)" SendMeetingInvitations, "UpdateItem"
  SendMeetingInvitationsOrCancellations and "DeleteItem" SendMeetingCancellations
  (SendToNone | SendOnlyToAll | SendToAllAndSaveCopy | SendOnlyToChanged |
  SendToChangedAndSaveCopy): `sent_for_write` records the invitations, updates and
  cancellations the owner's meeting then gets.
- Between mailboxes of this sandbox the messages are delivered (delivery.py).
- "GetUserAvailability operation": MailboxDataArray/MailboxData/Email/Address and
  FreeBusyViewOptions/TimeWindow; one FreeBusyResponse per mailbox with a FreeBusyView whose
  CalendarEventArray lists StartTime, EndTime and BusyType (Free, Tentative, Busy, OOF,
  WorkingElsewhere) in the request's TimeZone (its Bias); an address that is not this
  mailbox's gets ResponseClass Error, ErrorMailRecipientNotFound.
This module must not render whole items (itemxml does) nor know HTTP.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from sandbox.ews import delivery, edits
from sandbox.ews import recurrence as erec
from sandbox.ews.itemxml import view_of
from sandbox.ews.soap import EwsError, Request, m, response_envelope, sub, t
from sandbox.messages import Message, MessageLog, as_json

if TYPE_CHECKING:
    from sandbox.ews.service import EwsService

REPLIES = {"AcceptItem": "Accept", "DeclineItem": "Decline", "TentativelyAcceptItem": "Tentative"}
PEOPLE = ("RequiredAttendees", "OptionalAttendees", "Resources")
SENDING = ("SendOnlyToAll", "SendToAllAndSaveCopy", "SendOnlyToChanged", "SendToChangedAndSaveCopy")


def log_of(svc: EwsService) -> MessageLog:
    log = getattr(svc, "messages", None)
    if log is None:
        log = MessageLog()
        svc.messages = log  # type: ignore[attr-defined]
    return log


def _addresses(data: dict[str, Any]) -> list[str]:
    return [str(p[1]).lower() for key in PEOPLE for p in data.get(key) or [] if p[1]]


def sent_for_write(
    svc: EwsService,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    send: str,
) -> None:
    """The messages of the owner's meeting written from `before` to `after` (None: created or
    deleted) with the request's Send* attribute `send`."""
    if send not in SENDING:
        return
    event = after or before or {}
    owner = svc.owner_email.lower()
    organizer = str((event.get("Organizer") or ("", owner))[1] or owner).lower()
    if organizer != owner:
        return
    uid, subject = str(event.get("UID") or ""), str(event.get("Subject") or "")
    now = [] if after is None or after.get("IsCancelled") else _addresses(after)
    old = _addresses(before) if before else []
    changed_only = send in ("SendOnlyToChanged", "SendToChangedAndSaveCopy")
    for address in now:
        if address != owner and (not changed_only or address not in old or before != after):
            log_of(svc).append(Message("ews", "REQUEST", owner, address, uid, subject))
            assert after is not None
            delivery.request(svc, address, after)
    for address in old:
        if address not in now and address != owner:
            log_of(svc).append(Message("ews", "CANCEL", owner, address, uid, subject))
            delivery.cancel(svc, address, event)


def respond(svc: EwsService, elem: ET.Element, disposition: str) -> None:
    """AcceptItem / DeclineItem / TentativelyAcceptItem on the referenced meeting."""
    response = REPLIES[elem.tag.rsplit("}", 1)[-1]]
    ref = elem.find(t("ReferenceItemId"))
    if ref is None:
        raise EwsError("ErrorInvalidRequest", "A meeting response needs a ReferenceItemId.")
    item, index = svc.item_of_id(ref.get("Id", ""))
    view = view_of(item, index)
    assert view is not None
    data = view.data
    owner = svc.owner_email.lower()
    organizer = str((data.get("Organizer") or ("", owner))[1] or owner).lower()
    if organizer == owner:
        raise EwsError("ErrorInvalidOperation", "You can't respond to a meeting you organized.")
    changes: dict[str, Any] = {}
    for key in PEOPLE:
        people = data.get(key) or []
        if any(str(p[1]).lower() == owner for p in people):
            changes[key] = [
                (p[0], p[1], response if str(p[1]).lower() == owner else p[2]) for p in people
            ]
    if not changes:
        raise EwsError("ErrorInvalidOperation", "You aren't an attendee of this meeting.")
    if index is None:  # an occurrence's own answer lives in its attendee list
        changes["MyResponseType"] = response
    edits.update(svc.store, item, index, changes, svc.now())
    if disposition in ("SendOnly", "SendAndSaveCopy"):
        partstat = {"Accept": "accepted", "Decline": "declined", "Tentative": "tentativelyAccepted"}
        original = data.get("OriginalStart") if index is not None else None
        occurrence = original.strftime("%Y%m%dT%H%M%SZ") if original is not None else ""
        if index is None:
            delivery.reply(svc, organizer, str(data.get("UID") or ""), response)
        log_of(svc).append(
            Message(
                "ews",
                "REPLY",
                owner,
                organizer,
                str(data.get("UID") or ""),
                str(data.get("Subject") or ""),
                partstat=partstat[response],
                occurrence=occurrence,
            )
        )


_BUSY = {"Free": "Free", "Tentative": "Tentative", "Busy": "Busy", "OOF": "OOF"}


def get_user_availability(svc: EwsService, req: Request) -> ET.Element:
    # the request element is GetUserAvailabilityRequest, the answer GetUserAvailabilityResponse
    env, msgs = response_envelope("GetUserAvailability", svc.version, req.requested_version)
    body = env.find(f".//{m('GetUserAvailabilityResponse')}")
    assert body is not None
    body.remove(msgs)
    array = sub(body, "m:FreeBusyResponseArray")
    bias = int(req.body.findtext(f"{t('TimeZone')}/{t('Bias')}") or "0")
    offset = dt.timedelta(minutes=-bias)
    window = req.body.find(f"{t('FreeBusyViewOptions')}/{t('TimeWindow')}")
    if window is None:
        raise EwsError("ErrorInvalidRequest", "FreeBusyViewOptions/TimeWindow is required.")
    lo = _local(window.findtext(t("StartTime")) or "", offset)
    hi = _local(window.findtext(t("EndTime")) or "", offset)
    for data in req.body.iterfind(f"{m('MailboxDataArray')}/{t('MailboxData')}"):
        address = (data.findtext(f"{t('Email')}/{t('Address')}") or "").strip().lower()
        answer = sub(array, "m:FreeBusyResponse")
        if address != svc.owner_email.lower():
            message = sub(answer, "m:ResponseMessage", ResponseClass="Error")
            sub(message, "m:MessageText", f"No mailbox with such guid or address {address}.")
            sub(message, "m:ResponseCode", "ErrorMailRecipientNotFound")
            sub(message, "m:DescriptiveLinkKey", "0")
            continue
        message = sub(answer, "m:ResponseMessage", ResponseClass="Success")
        sub(message, "m:ResponseCode", "NoError")
        view = sub(answer, "m:FreeBusyView")
        sub(view, "t:FreeBusyViewType", "Detailed")
        events = sub(view, "t:CalendarEventArray")
        for start, end, busy in _busy_times(svc, lo, hi):
            event = sub(events, "t:CalendarEvent")
            sub(event, "t:StartTime", (start + offset).strftime("%Y-%m-%dT%H:%M:%S"))
            sub(event, "t:EndTime", (end + offset).strftime("%Y-%m-%dT%H:%M:%S"))
            sub(event, "t:BusyType", busy)
    return env


def _local(text: str, offset: dt.timedelta) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise EwsError("ErrorInvalidRequest", f"Invalid TimeWindow value {text!r}") from exc
    if value.tzinfo is None:
        return (value - offset).replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _busy_times(
    svc: EwsService, lo: dt.datetime, hi: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime, str]]:
    calendar = svc.store.distinguished("calendar")
    found: list[tuple[dt.datetime, dt.datetime, str]] = []
    if calendar is None:
        return found
    for item in svc.store.items_in(calendar.id):
        if "Start" not in item.data:
            continue
        if item.data.get("Recurrence"):
            views = [view_of(item, index) for index, _start in erec.expand(item, lo, hi)]
        else:
            views = [view_of(item, None)]
        for view in views:
            if view is None or not (view.data["Start"] < hi and view.data["End"] > lo):
                continue
            status = str(view.data.get("LegacyFreeBusyStatus") or "Busy")
            if status == "Free" or view.data.get("IsCancelled"):
                continue
            found.append((view.data["Start"], view.data["End"], _BUSY.get(status, "Busy")))
    return sorted(found)


HANDLERS = {"GetUserAvailabilityRequest": get_user_availability}


def control(svc: EwsService, method: str, query: dict[str, str]) -> tuple[int, Any]:
    """/_control/messages of the EWS sandbox (as sandbox/messages.py serves Graph's)."""
    log = log_of(svc)
    if method in ("DELETE", "POST"):  # POST /_control/messages/clear
        log.sent.clear()
        return 200, {}
    rows = [as_json(one) for one in log.sent]
    wanted = {k: v.lower() for k, v in query.items() if k in ("to", "from", "uid", "method")}
    return 200, [r for r in rows if all(str(r[k]).lower() == v for k, v in wanted.items())]
