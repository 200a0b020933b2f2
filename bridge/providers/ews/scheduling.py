"""RFC 6638 through Exchange Web Services (issue 16): free/busy from the availability service
and an attendee's reply through Exchange's meeting responses, so Exchange sends the messages.

- `free_busy`: GetUserAvailability (exchangelib `protocol.get_free_busy_info`, "Detailed"
  view, UTC); CalendarEvent BusyType Busy → BUSY, Tentative → BUSY-TENTATIVE, OOF →
  BUSY-UNAVAILABLE (Free, WorkingElsewhere and NoData are not busy); a mailbox the server
  answers with an error (ErrorMailRecipientNotFound, ...) is "3.7;Invalid calendar user".
- `reply`: CreateItem with AcceptItem / DeclineItem / TentativelyAcceptItem referring to the
  meeting (or, for one occurrence, the occurrence found by its original start) and
  MessageDisposition SendAndSaveCopy ("AcceptItem", "DeclineItem", "TentativelyAcceptItem";
  exchangelib `CalendarItem.accept`, `decline`, `tentatively_accept`).
- `cancels(item)`: whether deleting `item` is the organizer cancelling a meeting (then
  DeleteItem goes with SendMeetingCancellations=SendToAllAndSaveCopy, "DeleteItem operation").
What it must not do: touch the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from exchangelib import EWSDateTime, EWSTimeZone
from exchangelib.items import SEND_AND_SAVE_COPY
from exchangelib.properties import (
    DaylightTime,
    FreeBusyViewOptions,
    MailboxData,
    StandardTime,
    TimeWindow,
    TimeZone,
)
from exchangelib.services import GetUserAvailability

from bridge.errors import BadInput, RemoteNotFound
from bridge.ical.itip import Availability, BusyPeriod, Reply, mailto
from bridge.providers.common.retry import PULL_POLICY, WRITE_POLICY, RetryPolicy

T = TypeVar("T")
FBTYPE = {"Busy": "BUSY", "Tentative": "BUSY-TENTATIVE", "OOF": "BUSY-UNAVAILABLE"}
_UTC = EWSTimeZone("UTC")
# The request's TimeZone for UTC as exchangelib writes it for a zone without daylight saving
# (properties.TimeZoneDefinition.get_std_and_dst): bias 0 and placeholder transitions; asked
# directly so that no GetServerTimeZones round trip precedes GetUserAvailability.
UTC_TIMEZONE = TimeZone(
    bias=0,
    standard_time=StandardTime(bias=0, time=dt.time(0), occurrence=1, iso_month=1, weekday=1),
    daylight_time=DaylightTime(bias=0, time=dt.time(0), occurrence=5, iso_month=12, weekday=7),
)


def _ews(value: dt.datetime) -> EWSDateTime:
    utc = value.astimezone(dt.UTC)
    return EWSDateTime(utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, tzinfo=_UTC)


def cancels(item: Any, account_email: str) -> bool:
    meeting = bool(
        getattr(item, "required_attendees", None) or getattr(item, "optional_attendees", None)
    )
    organizer = getattr(getattr(item, "organizer", None), "email_address", None) or ""
    return meeting and (not organizer or organizer.lower() == account_email.lower())


class EwsScheduling:
    """Mixed into EwsCalendarProvider (implements bridge.providers.base.Scheduling)."""

    if TYPE_CHECKING:

        @property
        def account(self) -> Any: ...

        def _call(self, operation: Callable[[], T], policy: RetryPolicy) -> T: ...

        def _folder(self, calendar_id: str) -> Any: ...

        def _one(self, item_id: str, folder: Any) -> Any: ...

        def _occurrence(
            self,
            folder: Any,
            master: Any,
            original: dt.datetime,
            key_of: Callable[[dt.datetime], dt.datetime],
        ) -> str | None: ...

    def free_busy(
        self, addresses: Sequence[str], start: dt.datetime, end: dt.datetime
    ) -> list[Availability]:
        plain = [mailto(a).removeprefix("mailto:") for a in addresses]
        asked = [(a, "Required", False) for a in plain]
        options = FreeBusyViewOptions(
            time_window=TimeWindow(start=_ews(start), end=_ews(end)),
            merged_free_busy_interval=30,
            requested_view="Detailed",
        )
        mailboxes = [
            MailboxData(email=a, attendee_type=k, exclude_conflicts=x) for a, k, x in asked
        ]
        views = self._call(
            lambda: list(
                GetUserAvailability(self.account.protocol).call(
                    tzinfo=_UTC,
                    mailbox_data=mailboxes,
                    timezone=UTC_TIMEZONE,
                    free_busy_view_options=options,
                )
            ),
            PULL_POLICY,
        )
        result = []
        for address, view in zip(plain, views, strict=False):
            if isinstance(view, Exception):
                result.append(Availability(mailto(address), "3.7;Invalid calendar user"))
                continue
            periods = []
            for event in view.calendar_events or []:
                kind = FBTYPE.get(str(event.busy_type))
                if kind is not None and event.start is not None and event.end is not None:
                    periods.append(BusyPeriod(_utc(event.start), _utc(event.end), kind))
            result.append(Availability(mailto(address), "2.0;Success", tuple(periods)))
        for address in plain[len(views) :]:
            result.append(Availability(mailto(address), "5.1;Service unavailable"))
        return result

    def reply(self, calendar_id: str, remote_id: str, reply: Reply) -> None:
        folder = self._folder(calendar_id)
        item = self._one(remote_id, folder)
        if reply.recurrence_id is not None:
            original = reply.recurrence_id
            if not isinstance(original, dt.datetime):
                original = dt.datetime(original.year, original.month, original.day, tzinfo=dt.UTC)
            # exchangelib takes zoneinfo (not datetime.timezone) for EWSDateTime.from_datetime
            at = original.astimezone(ZoneInfo("UTC"))
            occurrence = self._occurrence(folder, item, at, _utc)
            if occurrence is None:
                raise RemoteNotFound("ews", f"no occurrence of {remote_id} at {original}")
            item = self._one(occurrence, folder)
        answer = {
            "ACCEPTED": item.accept,
            "DECLINED": item.decline,
            "TENTATIVE": item.tentatively_accept,
        }.get(reply.partstat)
        if answer is None:
            raise BadInput(f"PARTSTAT={reply.partstat} is not an answer Exchange can send")
        self._call(lambda: answer(message_disposition=SEND_AND_SAVE_COPY), WRITE_POLICY)


def _utc(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        # a plain datetime first: EWSDateTime.astimezone accepts EWSTimeZone only
        plain = dt.datetime(
            value.year, value.month, value.day, value.hour, value.minute, value.second
        )
        offset = value.utcoffset() if value.tzinfo else None
        return (plain - offset if offset else plain).replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
