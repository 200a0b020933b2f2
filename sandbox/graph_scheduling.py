"""Meetings between mailboxes of the emulated Microsoft 365 tenant, as Exchange Online handles
them behind Microsoft Graph, and the availability API.

Behaviour reproduced (Microsoft Graph v1.0 docs, microsoft-graph-docs-contrib):
- user-post-events.md / event-update.md: an event with `attendees` is a meeting; creating or
  updating it sends the invitation/update to the attendees. Here: an attendee who is a
  mailbox of this tenant gets a copy in their default calendar (same `iCalUId`, the
  organizer's `organizer`, `responseStatus` notResponded, `isOrganizer` false); attendees
  outside the tenant only get the message (recorded, never delivered anywhere).
- An attendee removed by an update gets a cancellation: their copy is marked `isCancelled`
  with the subject prefixed "Canceled: " (as Outlook shows it until the attendee removes it).
- event-delete.md: deleting a meeting on the organizer's calendar sends a cancellation to the
  attendees; event-cancel.md: POST .../cancel {comment} (organizer only, else 400
  ErrorAccessDenied-like) does the same and removes the organizer's event.
- event-accept.md, event-decline.md, event-tentativelyaccept.md: POST .../accept|decline|
  tentativelyAccept {comment, sendResponse}: sets the attendee's `responseStatus`; with
  sendResponse (default true) the organizer's copy shows the attendee's new `status.response`.
  A declined meeting stays in the attendee's calendar with that response (the docs name no
  removal; the attendee deletes it if they want). On an occurrence it applies to that
  occurrence only. The organizer cannot respond
  to their own meeting (400 ErrorInvalidRequest, as Exchange words it).
- calendar-getschedule.md (resources/scheduleinformation.md, scheduleitem.md,
  freebusyerror.md): POST .../calendar/getSchedule {schedules, startTime, endTime,
  availabilityViewInterval} → one scheduleInformation per address: scheduleItems with status
  free|tentative|busy|oof|workingElsewhere, availabilityView digits (0 free, 1 tentative,
  2 busy, 3 oof), or an `error` {message, responseCode} for an address not in the tenant.

Every message the service would send is appended to the application's message log
(`sandbox.messages`), which the control API serves to tests. This module holds no state of its
own beyond that log and does not parse HTTP paths; graph_routes.py calls it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox import gtime
from sandbox.eventprops import EXTENDED_KEY
from sandbox.gerrors import bad_request
from sandbox.mailbox import Event, Instance, Mailboxes, User
from sandbox.messages import Message, MessageLog

RESPONSES = {
    "accept": "accepted",
    "decline": "declined",
    "tentativelyaccept": "tentativelyAccepted",
}
_COPIED = ("transactionId", EXTENDED_KEY, "responseStatus", "isCancelled")


def _addr(entry: dict[str, Any] | None) -> str:
    return str(((entry or {}).get("emailAddress") or {}).get("address") or "").strip().lower()


def attendee_addresses(props: dict[str, Any]) -> list[str]:
    return [a for a in (_addr(x) for x in props.get("attendees") or []) if a]


def _tenant_user(mb: Mailboxes, address: str) -> User | None:
    return next((u for u in mb.users.values() if u.upn.lower() == address), None)


def _copy_of(mb: Mailboxes, user: User, ical_uid: str) -> Event | None:
    owned = {c.id for c in mb.calendars_of(user.id)}
    return next(
        (e for e in mb.events.values() if e.ical_uid == ical_uid and e.calendar_id in owned),
        None,
    )


def _organizer_event(mb: Mailboxes, ev: Event) -> Event | None:
    organizer = _tenant_user(mb, _addr(ev.props.get("organizer")))
    return _copy_of(mb, organizer, ev.ical_uid) if organizer else None


# what an attendee's copy shows: a change to any of these is a meeting update Outlook sends
MEETING_FIELDS = (
    "subject",
    "body",
    "start",
    "end",
    "isAllDay",
    "location",
    "locations",
    "attendees",
    "recurrence",
    "isOnlineMeeting",
    "onlineMeeting",
    "sensitivity",
)


def snapshot(ev: Event) -> dict[str, Any]:
    """What the attendees were last sent of `ev` (for `updated`)."""
    return {
        "props": {k: ev.props.get(k) for k in MEETING_FIELDS},
        "exceptions": {k: dict(v["props"]) for k, v in ev.exceptions.items()},
        "cancelled": set(ev.cancelled),
    }


def updated(log: MessageLog, mb: Mailboxes, ev: Event, before: dict[str, Any]) -> None:
    """After a PATCH of the organizer's event: an update goes out only when something the
    attendees see changed (a PATCH of extended properties alone sends nothing)."""
    if snapshot(ev) == before:
        return
    sent(log, mb, ev, attendee_addresses(before["props"]))


def sent(log: MessageLog, mb: Mailboxes, organizer_event: Event, before: list[str] | None) -> None:
    """After the organizer created (`before` None) or updated an event: invitations or updates
    to its attendees, cancellations to the ones removed. An attendee's edit of their own copy
    sends nothing."""
    ev = organizer_event
    if not _organized_by_owner(mb, ev, bool(before)):
        return
    sender = _addr(ev.props.get("organizer"))
    now = attendee_addresses(ev.props) if not ev.props.get("isCancelled") else []
    for address in now:
        if address == sender:
            continue
        log.append(Message("graph", "REQUEST", sender, address, ev.ical_uid, _subject(ev)))
        user = _tenant_user(mb, address)
        if user is not None:
            _deliver(mb, user, ev)
    for address in [a for a in before or [] if a not in now and a != sender]:
        _cancel_for(log, mb, ev, sender, address)


def deleted(log: MessageLog, mb: Mailboxes, inst: Instance) -> None:
    """event-delete.md: the organizer deleted the meeting (or one occurrence of it): the
    attendees get a cancellation; their copies are marked cancelled (the occurrence removed)."""
    ev = inst.event
    if not _organized_by_owner(mb, ev):
        return
    sender = _addr(ev.props.get("organizer"))
    for address in attendee_addresses(ev.props):
        if address == sender:
            continue
        if inst.key is None:
            _cancel_for(log, mb, ev, sender, address)
            continue
        log.append(
            Message(
                "graph", "CANCEL", sender, address, ev.ical_uid, _subject(ev), occurrence=inst.key
            )
        )
        user = _tenant_user(mb, address)
        copy = _copy_of(mb, user, ev.ical_uid) if user else None
        if copy is not None:
            copy.exceptions.pop(inst.key, None)
            copy.cancelled[inst.key] = ev.cancelled.get(inst.key, 0.0)
            copy.touch(series=False)


def cancel(log: MessageLog, mb: Mailboxes, inst: Instance, body: dict[str, Any]) -> None:
    """event-cancel.md: only the organizer cancels; the event leaves their calendar and the
    attendees get the cancellation with the comment."""
    if not _organized_by_owner(mb, inst.event):
        raise bad_request(
            "Your request can't be completed. Only the meeting organizer can cancel a meeting.",
            "ErrorInvalidRequest",
        )
    mb.delete(inst)
    deleted(log, mb, inst)


def _organized_by_owner(mb: Mailboxes, ev: Event, had_attendees: bool = False) -> bool:
    owner = mb.users[mb.calendars[ev.calendar_id].owner_user_id]
    organizer = _addr(ev.props.get("organizer"))
    meeting = had_attendees or bool(ev.props.get("attendees"))
    return meeting and organizer == owner.upn.lower()


def _cancel_for(log: MessageLog, mb: Mailboxes, ev: Event, sender: str, address: str) -> None:
    log.append(Message("graph", "CANCEL", sender, address, ev.ical_uid, _subject(ev)))
    user = _tenant_user(mb, address)
    copy = _copy_of(mb, user, ev.ical_uid) if user else None
    if copy is not None and not copy.props.get("isCancelled"):
        subject = str(copy.props.get("subject") or "")
        copy.props["isCancelled"] = True
        copy.props["subject"] = (
            subject if subject.startswith("Canceled: ") else f"Canceled: {subject}"
        )
        copy.touch()


def _subject(ev: Event) -> str:
    return str(ev.props.get("subject") or "")


def _deliver(mb: Mailboxes, user: User, ev: Event) -> None:
    props = {k: v for k, v in ev.props.items() if k not in _COPIED}
    copy = _copy_of(mb, user, ev.ical_uid)
    if copy is None:
        cal = mb.default_calendar(user.id)
        copy, _ = mb.create_event(cal, props)
        copy.ical_uid = ev.ical_uid
        copy.props["responseStatus"] = {"response": "notResponded", "time": _never()}
    else:
        kept = copy.props.get("responseStatus") or {"response": "notResponded"}
        copy.props = {**props, "responseStatus": kept}
        copy.touch()
    # the occurrences the organizer changed or cancelled are changed or cancelled in the copy
    for key, exc in ev.exceptions.items():
        own = copy.exceptions.get(key)
        response = (own or {}).get("props", {}).get("responseStatus")
        copy.exceptions[key] = {
            **exc,
            "props": {
                **{k: v for k, v in exc["props"].items() if k not in _COPIED},
                **({"responseStatus": response} if response else {}),
            },
            "change_key": exc["change_key"],
        }
    copy.cancelled = dict(ev.cancelled)


def _never() -> str:
    return "0001-01-01T00:00:00Z"


def respond(
    log: MessageLog, mb: Mailboxes, inst: Instance, action: str, body: dict[str, Any]
) -> None:
    """event-accept.md / event-decline.md / event-tentativelyaccept.md on `inst`."""
    response = RESPONSES[action]
    ev = inst.event
    owner = mb.users[mb.calendars[ev.calendar_id].owner_user_id]
    organizer_address = _addr(ev.props.get("organizer"))
    if organizer_address in ("", owner.upn.lower()):
        raise bad_request(
            "Your request can't be completed. You can't respond to this meeting because you're "
            "the meeting organizer.",
            "ErrorInvalidRequest",
        )
    send = body.get("sendResponse", True)
    if not isinstance(send, bool):
        raise bad_request("Invalid value for 'sendResponse'.", "ErrorInvalidRequest")
    status = {"response": response, "time": gtime.format_utc_z(dt.datetime.now(dt.UTC))}
    if inst.kind in ("occurrence", "exception"):
        mb.update(inst, {"responseStatus": status})
    else:
        ev.props["responseStatus"] = status
        for exc in ev.exceptions.values():
            exc["props"].pop("responseStatus", None)
        ev.touch()
    if send:
        log.append(
            Message(
                "graph",
                "REPLY",
                owner.upn.lower(),
                organizer_address,
                ev.ical_uid,
                _subject(ev),
                partstat=response,
                occurrence=inst.key or "",
                comment=str(body.get("comment") or ""),
            )
        )
        _update_organizer(mb, ev, owner.upn.lower(), status, inst.key)


def _update_organizer(
    mb: Mailboxes, ev: Event, attendee: str, status: dict[str, str], key: str | None
) -> None:
    original = _organizer_event(mb, ev)
    if original is None:
        return
    organizer_id = mb.calendars[original.calendar_id].owner_user_id

    def marked(attendees: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**a, "status": status} if _addr(a) == attendee else a for a in attendees]

    if key is None:
        original.props["attendees"] = marked(list(original.props.get("attendees") or []))
        original.touch()
        return
    inst = mb.instance_for_key(original, key)
    if inst is None:
        return
    base = original.exceptions.get(key, {}).get("props", {}).get("attendees")
    mb.update(
        mb.resolve(organizer_id, inst.id),
        {"attendees": marked(list(base or original.props.get("attendees") or []))},
    )


# ---- availability ----------------------------------------------------------------------
_STATUS_DIGIT = {"free": "0", "workingElsewhere": "0", "tentative": "1", "busy": "2", "oof": "3"}


def get_schedule(mb: Mailboxes, body: dict[str, Any]) -> list[dict[str, Any]]:
    """calendar-getschedule.md: scheduleInformation per requested SMTP address."""
    schedules = body.get("schedules")
    if not isinstance(schedules, list) or not schedules:
        raise bad_request("Schedules must be specified.", "ErrorInvalidRequest")
    try:
        lo = _when(body.get("startTime"))
        hi = _when(body.get("endTime"))
    except (KeyError, TypeError, ValueError, gtime.BadTimeZone) as exc:
        raise bad_request(f"Invalid startTime or endTime: {exc}", "ErrorInvalidRequest") from exc
    if hi <= lo:
        raise bad_request("The end time must be after the start time.", "ErrorInvalidRequest")
    interval = int(body.get("availabilityViewInterval") or 30)
    if not 5 <= interval <= 1440:
        raise bad_request(
            "availabilityViewInterval must be between 5 and 1440.", "ErrorInvalidRequest"
        )
    zone = str((body.get("startTime") or {}).get("timeZone") or "UTC")
    return [_information(mb, str(s), lo, hi, interval, zone) for s in schedules]


def _when(value: Any) -> dt.datetime:
    return gtime.to_aware(gtime.parse_local(value["dateTime"]), value.get("timeZone") or "UTC")


def _information(
    mb: Mailboxes, address: str, lo: dt.datetime, hi: dt.datetime, interval: int, zone: str
) -> dict[str, Any]:
    user = _tenant_user(mb, address.strip().lower())
    if user is None:
        return {
            "scheduleId": address,
            "availabilityView": "",
            "scheduleItems": [],
            "error": {
                "message": f"The requested user '{address}' is invalid.",
                "responseCode": "ErrorInvalidUser",
            },
        }
    items: list[tuple[Instance, dict[str, Any]]] = []
    for cal in mb.calendars_of(user.id):
        if cal.owner_address and cal.owner_address.lower() != user.upn.lower():
            continue  # another mailbox's calendar shared into this one
        for inst in mb.view(cal, lo, hi):
            props = _props_of(inst)
            status = str(props.get("showAs") or "busy")
            if status == "free" or props.get("isCancelled"):
                continue
            items.append((inst, props))
    slots = max(1, int((hi - lo).total_seconds() // (interval * 60)))
    view = ["0"] * slots
    rendered = []
    for inst, props in sorted(items, key=lambda p: p[0].start):
        status = str(props.get("showAs") or "busy")
        private = props.get("sensitivity") in ("private", "confidential")
        rendered.append(
            {
                "isPrivate": private,
                "status": status if status in _STATUS_DIGIT else "busy",
                "subject": "" if private else str(props.get("subject") or ""),
                "location": ""
                if private
                else str((props.get("location") or {}).get("displayName") or ""),
                "start": gtime.render(inst.start, zone),
                "end": gtime.render(inst.end, zone),
            }
        )
        for i in range(slots):
            s = lo + dt.timedelta(minutes=interval * i)
            if inst.start < s + dt.timedelta(minutes=interval) and inst.end > s:
                view[i] = max(view[i], _STATUS_DIGIT.get(status, "2"))
    return {
        "scheduleId": address,
        "availabilityView": "".join(view),
        "scheduleItems": rendered,
        "workingHours": {
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"name": "UTC"},
        },
    }


def _props_of(inst: Instance) -> dict[str, Any]:
    props = dict(inst.event.props)
    if inst.kind == "exception" and inst.key is not None:
        props.update(inst.event.exceptions[inst.key]["props"])
    return props
