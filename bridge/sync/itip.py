"""RFC 6638 scheduling for the facade (issue 16): the user's calendar-user addresses, the
default calendar for invitations, free/busy lookups answered by the providers' availability
APIs within a bounded wait, and an attendee's replies sent through the provider.

- `addresses(user_id)`: mailto: of every connected account whose calendars are on (RFC 6638
  §2.4.1 calendar-user-address-set), in connection order, no duplicates.
- `free_busy(user_id, request)`: every connection whose provider implements `Scheduling`
  is asked at once (those whose domain matches an attendee's first); the first "2.0" answer
  per attendee wins; an attendee none of them knows is "3.7;Invalid calendar user"; when a
  provider failed or did not answer within `timeout_s` and no other knew the attendee, it is
  "5.1;Service unavailable"; without any provider that can look up availability,
  "5.3;No scheduling support for user" (RFC 5546 §3.6 request-status codes).
- `replies(...)`: the account's PARTSTAT changes a client's PUT makes on an invitation, sent
  with `Scheduling.reply` (the provider sends the REPLY).
Must not import radicale or a concrete provider.
"""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from bridge.errors import BridgeError, Forbidden
from bridge.ical import itip
from bridge.ical.itip import Availability, FreeBusyRequest
from bridge.model import CollectionKind, CollectionRecord, RemoteItem, SyncWindow
from bridge.providers.base import CalendarProvider, Scheduling
from bridge.store.rows import ConnectionState
from bridge.sync.engine import SyncEngine
from bridge.sync.inbox import InboxScanner
from bridge.sync.inbox_beyond import BeyondWindow
from bridge.sync.virtual import is_view

log = logging.getLogger("davbridge.sync")

UNAVAILABLE = "5.1;Service unavailable"
UNKNOWN_USER = "3.7;Invalid calendar user"
NO_SUPPORT = "5.3;No scheduling support for user"


@dataclass(frozen=True)
class ScheduleResponse:
    """One CALDAV:response of a schedule-response (RFC 6638 §10.2): the recipient, its
    request-status and, on success, the VFREEBUSY reply."""

    recipient: str
    status: str
    calendar_data: str


@dataclass(frozen=True)
class _Asked:
    connection_id: int
    account: str


class SchedulingService:
    def __init__(self, engine: SyncEngine, timeout_s: float = 10.0, workers: int = 4) -> None:
        self.engine = engine
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="freebusy")
        self.inbox = InboxScanner(engine.store)
        self.beyond = BeyondWindow(engine)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.beyond.close()

    def _connections(self, user_id: int) -> list[_Asked]:
        return [
            _Asked(c.id, c.account)
            for c in self.engine.store.connections(user_id)
            if c.policy.calendars_enabled
            and c.policy.read_calendars
            and c.status is not ConnectionState.REAUTH
        ]

    def addresses(self, user_id: int) -> list[str]:
        found: list[str] = []
        for asked in self._connections(user_id):
            if "@" in asked.account and itip.mailto(asked.account) not in found:
                found.append(itip.mailto(asked.account))
        return found

    @staticmethod
    def default_calendar(collections: list[CollectionRecord]) -> CollectionRecord | None:
        """RFC 6638 §9.2 schedule-default-calendar-URL: the user's first writable calendar of
        their own (not a delegate's or a virtual one)."""
        collections = [c for c in collections if not c.holds_tasks]  # events only
        for coll in collections:
            mine = not coll.virtual and not is_view(coll) and not coll.owner
            if coll.kind is CollectionKind.CALENDAR and not coll.read_only and mine:
                return coll
        return next(
            (c for c in collections if c.kind is CollectionKind.CALENDAR and not c.read_only),
            None,
        )

    def free_busy(self, user_id: int, request: FreeBusyRequest) -> list[Availability]:
        asked = self._connections(user_id)
        domains = {a.split("@")[-1] for a in request.attendees}
        asked.sort(key=lambda a: a.account.split("@")[-1].lower() not in domains)
        futures = {}
        for one in asked:
            try:
                provider = self.engine.providers(one.connection_id)
            except BridgeError as exc:
                log.info("free/busy: connection %s unavailable: %s", one.connection_id, exc)
                continue
            if isinstance(provider, Scheduling):
                futures[one] = self._pool.submit(
                    provider.free_busy, list(request.attendees), request.start, request.end
                )
        if not futures:
            return [Availability(a, NO_SUPPORT) for a in request.attendees]
        wait(list(futures.values()), timeout=self.timeout_s)
        answers: list[list[Availability] | None] = []
        for one, future in futures.items():
            if not future.done():
                log.info("free/busy: connection %s did not answer in time", one.connection_id)
                answers.append(None)
                continue
            try:
                answers.append(future.result())
            except BridgeError as exc:
                log.info("free/busy: connection %s failed: %s", one.connection_id, exc)
                answers.append(None)
        return [self._merged(i, address, answers) for i, address in enumerate(request.attendees)]

    def answer_free_busy(self, user_id: int, text: str) -> list[ScheduleResponse]:
        request = itip.freebusy_request(text)
        if request.organizer not in self.addresses(user_id):
            raise Forbidden(
                f"The ORGANIZER {request.organizer} is not one of your calendar-user addresses."
            )
        stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
        return [
            ScheduleResponse(
                a.address,
                a.status,
                itip.freebusy_reply(request, a, stamp) if a.status.startswith("2.") else "",
            )
            for a in self.free_busy(user_id, request)
        ]

    @staticmethod
    def _merged(index: int, address: str, answers: list[list[Availability] | None]) -> Availability:
        failed = False
        for answer in answers:
            if answer is None or index >= len(answer):
                failed = True
                continue
            if answer[index].status.startswith("2."):
                return Availability(address, answer[index].status, answer[index].periods)
        return Availability(address, UNAVAILABLE if failed else UNKNOWN_USER)


def send_replies(
    provider: CalendarProvider,
    calendar_id: str,
    remote_id: str,
    provider_text: str,
    client_text: str,
    window: SyncWindow,
) -> RemoteItem | None:
    """RFC 6638 §3.2.2.1: the client changed its user's PARTSTAT on an invitation: each
    change is sent through the provider (which sends the REPLY), and the provider's copy after
    them is returned. None: no reply to send (not an invitation, no PARTSTAT change,
    SCHEDULE-AGENT=CLIENT on the user's ATTENDEE, or a provider without `Scheduling`)."""
    if not isinstance(provider, Scheduling):
        return None
    own = [provider.account_email]
    if itip.role(provider_text, own) != "attendee" or not itip.server_scheduled(client_text, own):
        return None
    replies = itip.own_replies(provider_text, client_text, own)
    if not replies:
        return None
    for reply in replies:
        provider.reply(calendar_id, remote_id, reply)
    log.info("sent %d reply(ies) through the provider for %s", len(replies), remote_id)
    return provider.fetch(calendar_id, remote_id, window)


def decline_removed(
    provider: CalendarProvider, calendar_id: str, remote_id: str, text: str | None
) -> None:
    """RFC 6638 §3.2.2.3: an attendee deleting an invitation they have not declined sends a
    DECLINED reply (through the provider) before the copy is removed."""
    if not text or not isinstance(provider, Scheduling):
        return
    own = [provider.account_email]
    if itip.role(text, own) != "attendee" or not itip.server_scheduled(text, own):
        return
    if itip.own_partstat(text, own) == "DECLINED":
        return
    provider.reply(calendar_id, remote_id, itip.Reply("DECLINED"))


def schedule_tag_of(text: str) -> str | None:
    """RFC 6638 §3.2.10: the Schedule-Tag of a scheduling object resource (one with an
    ORGANIZER), None for any other calendar object or an unreadable text."""
    if "ORGANIZER" not in text.upper():
        return None
    try:
        return itip.schedule_tag(text)
    except BridgeError:
        return None
