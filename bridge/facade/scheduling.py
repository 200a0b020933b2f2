"""The facade's RFC 6638 methods (issue 16), for the Radicale plugins: the principal's
calendar-user addresses and default calendar, the Schedule-Tag of a scheduling object, and
the answers to a free/busy request POSTed to the schedule outbox.

Delegates only: everything is bridge.sync.itip's.
Must not import radicale.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bridge.model import CollectionRecord, ItemRecord
from bridge.store import Store
from bridge.store.rows import UserRow
from bridge.sync.itip import ScheduleResponse, SchedulingService, schedule_tag_of

__all__ = ["ScheduleResponse", "SchedulingFacade"]

#: Inbox messages the user deleted (RFC 6638 §4.1), by "<user id>:<name>" → the ETag deleted;
#: kept in the shared state, so every bridge process hides them (issue 17)
DISMISSED = "inbox-dismissed"
DISMISSED_TTL_S = 400 * 86400.0  # past any invitation still pending in the sync window


class SchedulingFacade:
    scheduling: SchedulingService
    store: Store

    if TYPE_CHECKING:

        def _user(self, username: str) -> UserRow: ...

        def collections_for(self, username: str) -> list[CollectionRecord]: ...

        def item_records(self, coll: CollectionRecord) -> Iterator[ItemRecord]: ...

    def scheduling_addresses(self, username: str) -> list[str]:
        """RFC 6638 §2.4.1 calendar-user-address-set: mailto: of each connected account."""
        return self.scheduling.addresses(self._user(username).id)

    def schedule_default_calendar(self, username: str) -> CollectionRecord | None:
        return self.scheduling.default_calendar(self.collections_for(username))

    @staticmethod
    def schedule_tag(text: str) -> str | None:
        """RFC 6638 §3.2.10: the tag of a scheduling object resource (one with an ORGANIZER),
        None for any other calendar object."""
        return schedule_tag_of(text)

    def schedule_inbox(self, username: str) -> list[tuple[str, str, str]]:
        """RFC 6638 §4.1: the user's incoming scheduling messages as the inbox lists them:
        (name, ETag, text) of each pending invitation (the event as METHOD:REQUEST) and of each
        attendee's answer to a meeting the user organizes that has not ended (METHOD:REPLY).
        Read from the mirror as it is, so the inbox and the calendars always agree: a listing
        neither asks the provider about each collection nor waits for one never synced (the
        background loop and the reads of the calendars themselves refresh them; clients poll
        the inbox often, a first listing waited for every never-synced collection in turn)."""
        calendars = self.collections_for(username)
        self.scheduling.beyond.adopt(calendars)  # invitations dated after the sync window
        pending = self.scheduling.inbox.messages(calendars, self.item_records, time.time())
        user_id = self._user(username).id
        return [
            (name, etag, text)
            for name, etag, text in pending
            if self.store.get_shared(DISMISSED, f"{user_id}:{name}") != etag
        ]

    def dismiss_inbox_message(self, username: str, name: str) -> bool:
        """RFC 6638 §4.1: DELETE of an inbox message. It leaves the inbox; the event stays in the
        calendar, unanswered (answering is a PUT of the event, deleting the event declines).
        An invitation changed afterwards (new ETag) arrives as a new message. False when the
        inbox has no such message."""
        for item_name, etag, _text in self.schedule_inbox(username):
            if item_name == name:
                key = f"{self._user(username).id}:{name}"
                self.store.put_shared(DISMISSED, key, etag, DISMISSED_TTL_S)
                return True
        return False

    def free_busy(self, username: str, text: str) -> list[ScheduleResponse]:
        """RFC 6638 §5: the VFREEBUSY request's answers per attendee. BadInput for a malformed
        request; Forbidden when its ORGANIZER is not one of the user's addresses (RFC 6638
        §5.1 CALDAV:organizer-allowed)."""
        return self.scheduling.answer_free_busy(self._user(username).id, text)
