"""RFC 6638 through Microsoft Graph (issue 16): free/busy from the availability API and an
attendee's reply through the event's own actions, so Exchange sends the messages.

- `free_busy`: POST {mailbox}/calendar/getSchedule (calendar-getschedule.md) with the
  addresses, the window in UTC and a 5-minute availabilityViewInterval; scheduleItems
  statuses map to FBTYPE (busy → BUSY, tentative → BUSY-TENTATIVE, oof → BUSY-UNAVAILABLE;
  free and workingElsewhere are not busy); a scheduleInformation with an `error`
  (freebusyerror.md) is "3.7;Invalid calendar user".
- `reply`: POST events/{id}/accept | decline | tentativelyAccept {sendResponse: true}
  (event-accept.md, event-decline.md, event-tentativelyaccept.md); for one occurrence the
  instance with that original start (event-list-instances.md) is answered instead.
What it must not do: touch the store, or send anything for an organizer (Graph sends the
invitations of a created or updated meeting itself, user-post-events.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bridge.errors import BadInput, RemoteNotFound
from bridge.ical.itip import Availability, BusyPeriod, Reply, mailto
from bridge.providers.common.outlook_time import parse_utc
from bridge.providers.common.retry import PULL_POLICY, WRITE_POLICY
from bridge.providers.graph.http import GraphHttp

FBTYPE = {"busy": "BUSY", "tentative": "BUSY-TENTATIVE", "oof": "BUSY-UNAVAILABLE"}
ACTION = {"ACCEPTED": "accept", "DECLINED": "decline", "TENTATIVE": "tentativelyAccept"}


def _utc(value: dt.datetime) -> dict[str, str]:
    return {"dateTime": value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


class GraphScheduling:
    """Mixed into GraphCalendarProvider (implements bridge.providers.base.Scheduling)."""

    _http: GraphHttp

    if TYPE_CHECKING:  # GraphMailbox's and GraphCalendarProvider's

        def _p(self, *segments: str) -> str: ...

        def _instances(
            self, master_id: str, start: dt.datetime, end: dt.datetime, policy: Any = ...
        ) -> list[dict[str, Any]]: ...

    def free_busy(
        self, addresses: Sequence[str], start: dt.datetime, end: dt.datetime
    ) -> list[Availability]:
        plain = [mailto(a).removeprefix("mailto:") for a in addresses]
        body = {
            "schedules": plain,
            "startTime": _utc(start),
            "endTime": _utc(end),
            "availabilityViewInterval": 5,
        }
        answer = (
            self._http.post(self._p("calendar", "getSchedule"), json=body, policy=PULL_POLICY) or {}
        )
        found = {
            str(info.get("scheduleId") or "").lower(): info for info in answer.get("value") or []
        }
        return [_availability(address, found.get(address)) for address in plain]

    def reply(self, calendar_id: str, remote_id: str, reply: Reply) -> None:
        action = ACTION.get(reply.partstat)
        if action is None:
            raise BadInput(f"PARTSTAT={reply.partstat} is not an answer Microsoft 365 can send")
        target = remote_id
        if reply.recurrence_id is not None:
            target = self._occurrence_id(remote_id, reply.recurrence_id)
        self._http.post(
            self._p("events", target, action), json={"sendResponse": True}, policy=WRITE_POLICY
        )

    def _occurrence_id(self, master_id: str, original: dt.datetime | dt.date) -> str:
        if not isinstance(original, dt.datetime):
            original = dt.datetime(original.year, original.month, original.day, tzinfo=dt.UTC)
        elif original.tzinfo is None:
            original = original.replace(tzinfo=dt.UTC)
        day = dt.timedelta(days=1)
        for inst in self._instances(master_id, original - day, original + day, WRITE_POLICY):
            start = inst.get("originalStart")
            if start and parse_utc(str(start)) == original.astimezone(dt.UTC):
                return str(inst["id"])
        raise RemoteNotFound("graph", f"no occurrence of {master_id} at {original.isoformat()}")


def _availability(address: str, info: dict[str, Any] | None) -> Availability:
    if info is None or info.get("error"):
        return Availability(mailto(address), "3.7;Invalid calendar user")
    periods = []
    for item in info.get("scheduleItems") or []:
        kind = FBTYPE.get(str(item.get("status") or ""))
        if kind is None:
            continue
        start = _parse(item.get("start"))
        end = _parse(item.get("end"))
        if start is not None and end is not None:
            periods.append(BusyPeriod(start, end, kind))
    return Availability(mailto(address), "2.0;Success", tuple(periods))


def _parse(value: Any) -> dt.datetime | None:
    if not isinstance(value, dict) or not value.get("dateTime"):
        return None
    if str(value.get("timeZone") or "UTC").upper() not in ("UTC", "ETC/UTC"):
        return None  # asked in UTC above; another zone would be Graph ignoring the request
    return parse_utc(str(value["dateTime"]))


RESPONSE_PARTSTAT = {
    "accepted": "ACCEPTED",
    "declined": "DECLINED",
    "tentativelyAccepted": "TENTATIVE",
    "notResponded": "NEEDS-ACTION",
}


def own_answers(
    event: Mapping[str, Any], instances: Sequence[Mapping[str, Any]]
) -> dict[dt.datetime | None, str]:
    """The account's own answers to an invitation (event resource type: `responseStatus` of an
    event the account does not organize; the `attendees` list is the organizer's view), for
    the series (key None) and each exception by its original start."""
    if event.get("isOrganizer") is not False:
        return {}
    answers: dict[dt.datetime | None, str] = {}
    own = RESPONSE_PARTSTAT.get(str((event.get("responseStatus") or {}).get("response") or ""))
    if own:
        answers[None] = own
    for inst in instances:
        if inst.get("type") != "exception":
            continue
        mine = RESPONSE_PARTSTAT.get(str((inst.get("responseStatus") or {}).get("response") or ""))
        original = parse_utc(inst.get("originalStart"))
        if mine and original is not None:
            answers[original] = mine
    return answers
