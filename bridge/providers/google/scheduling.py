"""RFC 6638 through Google Calendar (issue 16): free/busy from the availability API and an
attendee's reply through their own attendee entry, so Google sends the messages.

- `free_busy`: POST freeBusy (Freebusy: query) with one item per address; each calendar's
  `busy` periods are BUSY (Google has no tentative or out-of-office type in free/busy); a
  calendar with `errors` (notFound, ...) is "3.7;Invalid calendar user".
- `reply`: Events: patch of `attendees` with the account's entry (`self`, or its address)
  given the new `responseStatus` (accepted, declined, tentative) and `sendUpdates=all`, on the
  event or, for one occurrence, its instance `<eventId>_<RECURRENCE-ID in UTC>` (the
  recurring events guide). The whole attendee list is sent back: a patch replaces arrays.
What it must not do: touch the store; an organizer's invitations go with the event's own
insert/patch (`sendUpdates`, provider_support.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bridge.errors import BadInput, RemoteNotFound
from bridge.ical.itip import Availability, BusyPeriod, Reply, mailto
from bridge.providers.common.retry import PULL_POLICY, WRITE_POLICY
from bridge.providers.google.client import CalendarClient
from bridge.providers.google.provider_support import SEND_UPDATES

RESPONSE = {"ACCEPTED": "accepted", "DECLINED": "declined", "TENTATIVE": "tentative"}


def _z(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class GoogleScheduling:
    """Mixed into GoogleCalendarProvider (implements bridge.providers.base.Scheduling)."""

    _client: CalendarClient

    if TYPE_CHECKING:

        @property
        def account_email(self) -> str: ...

    def free_busy(
        self, addresses: Sequence[str], start: dt.datetime, end: dt.datetime
    ) -> list[Availability]:
        plain = [mailto(a).removeprefix("mailto:") for a in addresses]
        body = {"timeMin": _z(start), "timeMax": _z(end), "items": [{"id": a} for a in plain]}
        answer = self._client.execute(lambda s: s.freebusy().query(body=body), PULL_POLICY) or {}
        calendars = {str(k).lower(): v for k, v in (answer.get("calendars") or {}).items()}
        result = []
        for address in plain:
            entry = calendars.get(address)
            if not entry or entry.get("errors"):
                result.append(Availability(mailto(address), "3.7;Invalid calendar user"))
                continue
            periods = []
            for busy in entry.get("busy") or []:
                lo, hi = _parse(busy.get("start")), _parse(busy.get("end"))
                if lo is not None and hi is not None:
                    periods.append(BusyPeriod(lo, hi, "BUSY"))
            result.append(Availability(mailto(address), "2.0;Success", tuple(periods)))
        return result

    def reply(self, calendar_id: str, remote_id: str, reply: Reply) -> None:
        response = RESPONSE.get(reply.partstat)
        if response is None:
            raise BadInput(f"PARTSTAT={reply.partstat} is not an answer Google can send")
        target = remote_id
        if reply.recurrence_id is not None:
            target = f"{remote_id}_{_instance_key(reply.recurrence_id)}"
        event = self._client.execute(
            lambda s: s.events().get(calendarId=calendar_id, eventId=target), WRITE_POLICY
        )
        me = self.account_email.lower()
        attendees = [dict(a) for a in (event or {}).get("attendees") or []]
        mine = [a for a in attendees if a.get("self") or str(a.get("email", "")).lower() == me]
        if not mine:
            raise RemoteNotFound("google", f"{me} is not a guest of event {target}")
        for entry in mine:
            entry["responseStatus"] = response
        body = {"attendees": attendees}
        self._client.execute(
            lambda s: s.events().patch(
                calendarId=calendar_id, eventId=target, body=body, sendUpdates=SEND_UPDATES
            ),
            WRITE_POLICY,
        )


def _instance_key(original: dt.datetime | dt.date) -> str:
    if isinstance(original, dt.datetime):
        aware = original if original.tzinfo else original.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return original.strftime("%Y%m%d")
