"""Meetings between users of the emulated Workspace domain: what Google Calendar does to the
guests' and the organizer's calendars when one of them writes a meeting (the messages it would
send are scheduling.py's job).

Behaviour reproduced (Google Calendar API v3 reference, "Events" resource and
events.insert / patch / update / delete; guide "Invite users to an event"):
- An event with `attendees` written on the organizer's calendar appears in each guest's
  calendar: a copy in the guest's primary calendar with the same `id` and `iCalUID`
  ("iCalUID: Event unique identifier as defined in RFC5545 ... shared by all copies of the
  event"), the organizer's `organizer` and `creator`, and in `attendees` the guest's own entry
  marked `self: true` ("Whether this entry represents the calendar on which this copy of the
  event appears") with the guest's own `responseStatus` (`needsAction` until they answer).
  This happens whatever `sendUpdates` says: that parameter only chooses who gets notification
  mail ("Guests who should receive notifications"); Google users get the event in their
  calendar either way. Guests outside the domain only get the message (scheduling.py).
- `extendedProperties.private` stays on the copy it was written to ("Properties that are private
  to the copy of the event that appears on this calendar"); `shared` ones are copied ("shared
  between copies of the event on other attendees' calendars").
- An update reaches every copy, keeping each guest's own answer; a guest removed by an update,
  and every guest of an event the organizer deleted or set to `status: "cancelled"`, find
  their copy cancelled (`status: "cancelled"`, as a deleted event is kept and listed,
  guides/sync).
- A guest changing their own `responseStatus` on their copy ("attendees[].responseStatus ...
  the attendee's response status") updates their entry on the organizer's event and on the
  other guests' copies; for one occurrence of a series (an instance id) only that occurrence.
Only users of this sandbox (accounts that can sign in) have calendars here. This module writes
through the per-user stores (store.py) and never renders HTTP nor records messages.
"""

from __future__ import annotations

import copy
from typing import Any

from sandbox.google.errors import ApiError
from sandbox.google.eventbody import WRITABLE
from sandbox.google.state import GoogleState
from sandbox.google.store import Calendar, Store


def _email(entry: Any) -> str:
    return str((entry or {}).get("email") or "").strip().lower()


def _guests(event: dict[str, Any] | None) -> list[str]:
    return [a for a in (_email(x) for x in (event or {}).get("attendees") or []) if a]


def _response(event: dict[str, Any] | None, address: str) -> str:
    for entry in (event or {}).get("attendees") or []:
        if _email(entry) == address:
            return str(entry.get("responseStatus") or "needsAction")
    return ""


def _shared(data: dict[str, Any]) -> dict[str, Any]:
    """What every copy of the event shows: the writable fields but private properties."""
    out = {k: copy.deepcopy(data[k]) for k in WRITABLE if k in data}
    props = dict(out.pop("extendedProperties", None) or {})
    if props.get("shared"):
        out["extendedProperties"] = {"shared": props["shared"]}
    return out


def _without_self(entry: Any) -> dict[str, Any]:
    return {k: v for k, v in dict(entry or {}).items() if k != "self"}


def written(
    st: GoogleState,
    store: Store,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    """After `store`'s user wrote `after` (a cancelled event for a delete)."""
    if (after.get("organizer") or {}).get("self"):
        _to_guests(st, store.user.lower(), before, after, skip=())
    else:
        _answered(st, store.user.lower(), before, after)


def _to_guests(
    st: GoogleState,
    organizer: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    skip: tuple[str, ...],
) -> None:
    cancelled = after.get("status") == "cancelled"
    if before is not None and not cancelled and _shared(before) == _shared(after):
        return  # nothing the guests see changed (e.g. only private properties)
    now = [] if cancelled else _guests(after)
    for address in dict.fromkeys([*_guests(before), *_guests(after)]):
        if address in (organizer, *skip):
            continue
        target = st.account_store(address)
        primary = target.calendars.get(target.user) if target is not None else None
        if target is None or primary is None:
            continue  # not a user of this domain: only the message goes out
        if address in now:
            _put_copy(target, primary, after)
        else:
            _cancel_copy(target, primary, str(after["id"]))


def _put_copy(target: Store, cal: Calendar, data: dict[str, Any]) -> None:
    body = _shared(data)
    event_id = str(data["id"])
    existing = target.events[cal.id].get(event_id)
    if existing is None and not data.get("recurringEventId"):
        body.update(
            id=event_id,
            iCalUID=data.get("iCalUID"),
            organizer=_without_self(data.get("organizer")),
            creator=_without_self(data.get("creator")),
        )
        target.insert(cal, body, use_conference=True, provider_side=True)
        return
    if existing is not None:
        mine = _response(existing.data, target.user.lower())
        private = (existing.data.get("extendedProperties") or {}).get("private")
        if private:
            body["extendedProperties"] = {**body.get("extendedProperties", {}), "private": private}
    else:
        mine = ""
    if mine:
        body["attendees"] = [
            {**a, "responseStatus": mine} if _email(a) == target.user.lower() else a
            for a in body.get("attendees") or []
        ]
    try:
        target.modify(cal, event_id, body, replace=True, use_conference=True, provider_side=True)
    except ApiError:
        return  # an occurrence of a series the guest has no copy of


def _cancel_copy(target: Store, cal: Calendar, event_id: str) -> None:
    try:
        _, data = target.resolve(cal, event_id)
    except ApiError:
        return  # the guest never had a copy
    if data.get("status") != "cancelled":
        target.delete(cal, event_id, provider_side=True)


def _answered(
    st: GoogleState, guest: str, before: dict[str, Any] | None, after: dict[str, Any]
) -> None:
    """A guest's write on their copy: their new answer goes to the organizer's event."""
    new = _response(after, guest)
    if after.get("status") == "cancelled" or not new or new == _response(before, guest):
        return
    organizer = _email(after.get("organizer"))
    home = st.account_store(organizer)
    found = _organizer_event(home, str(after["id"])) if home is not None else None
    if home is None or found is None:
        return  # an organizer outside the domain: the reply message only (scheduling.py)
    cal, current = found
    attendees = [
        {**_without_self(a), "responseStatus": new} if _email(a) == guest else _without_self(a)
        for a in current.get("attendees") or []
    ]
    old = copy.deepcopy(current)
    updated = home.modify(
        cal,
        str(after["id"]),
        {"attendees": attendees},
        replace=False,
        use_conference=False,
        provider_side=True,
    )
    _to_guests(st, organizer, old, updated, skip=(guest,))


def _organizer_event(home: Store, event_id: str) -> tuple[Calendar, dict[str, Any]] | None:
    """The organizer's own event `event_id` (a stored event or an occurrence of a series)."""
    for cal in home.calendars.values():
        try:
            _, data = home.resolve(cal, event_id)
        except ApiError:
            continue
        if (data.get("organizer") or {}).get("self") and data.get("status") != "cancelled":
            return cal, data
    return None
