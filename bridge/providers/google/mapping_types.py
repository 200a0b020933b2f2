"""Google's special event types and open end times, as iCalendar properties (read side).

What it does, per the Calendar v3 "Events" resource and the "Event types" guide
(developers.google.com/calendar/api/guides/event-types, guides/calendar-status):
- `eventType` other than "default" ("outOfOffice", "focusTime", "workingLocation",
  "birthday", "fromGmail") is kept as `X-GOOGLE-EVENT-TYPE`, so a client or script can tell a
  status event from a meeting (the type cannot change after creation, so nothing is written);
- the status types carry the free/busy meaning clients already read from Microsoft's
  `X-MICROSOFT-CDO-BUSYSTATUS` (as the Graph and EWS mappings write it for `showAs` /
  `LegacyFreeBusyStatus`): outOfOffice → OOF, workingLocation → WORKINGELSEWHERE,
  focusTime → BUSY. TRANSP still comes from `transparency`;
- `endTimeUnspecified: true` ("An end time is still provided for compatibility reasons, even if
  this attribute is set to True") keeps that compatibility end as DTEND — clients need one, and
  serving it unchanged means a client's save writes no new end to Google — and says so with
  `X-GOOGLE-END-TIME-UNSPECIFIED:TRUE`.
What it must not do: I/O, write anything, or change the times and fields the rest of the
mapping derives (a working location is not copied into LOCATION: a client's save would write it
to Google's own location field).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from icalendar import Event

DEFAULT = "default"
BUSY_STATUS = {"outOfOffice": "OOF", "workingLocation": "WORKINGELSEWHERE", "focusTime": "BUSY"}


def add_event_type(vevent: Event, event: Mapping[str, Any]) -> None:
    kind = str(event.get("eventType") or DEFAULT)
    if kind != DEFAULT:
        vevent.add("X-GOOGLE-EVENT-TYPE", kind)
    if kind in BUSY_STATUS:
        vevent.add("X-MICROSOFT-CDO-BUSYSTATUS", BUSY_STATUS[kind])
    if event.get("endTimeUnspecified") is True:
        vevent.add("X-GOOGLE-END-TIME-UNSPECIFIED", "TRUE")
