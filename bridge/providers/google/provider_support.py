"""Small pieces of the Google provider: client-chosen event ids and request factories.

What it does: derives event ids from idempotency keys and builds the request
factories the provider hands to `CalendarClient`.
What it must not do: I/O.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from bridge.model import SyncWindow
from bridge.providers.common.reach import series_reach
from bridge.providers.google.mapping_common import as_utc, event_zone, parse_edt

PAGE_SIZE = 2500  # maxResults upper bound (events.list)
WRITERS = ("owner", "writer")


# Keys of the lossless overlay's chunks in an event's extendedProperties.private (C10):
# "davbridge.o0", "davbridge.o1", … — well inside Google's 44-character key limit.
OVERLAY_PREFIX = "davbridge.o"


def event_id_for(idempotency_key: str) -> str:
    """A client-chosen event id: base32hex (lowercase a-v, 0-9), 5-1024 characters ("Events"
    resource, `id`), so a retried insert answers 409 duplicate instead of creating twice."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).digest()
    return "db" + base64.b32hexencode(digest).decode("ascii").rstrip("=").lower()


def owner_email(calendar_id: str, owned: bool) -> str | None:
    """A calendar someone else owns: its id is the owner's address when it is a person's
    (group, holiday and resource calendars have ids under calendar.google.com)."""
    if owned or "@" not in calendar_id or calendar_id.endswith("calendar.google.com"):
        return None
    return calendar_id


# Events: insert/patch/update/delete `sendUpdates`: "all" makes Google send its invitation,
# update or cancellation to the guests (RFC 6638 through the provider, issue 16); the
# bridge's own bookkeeping (the overlay's extended properties) is patched with "none".
SEND_UPDATES = "all"


def patch_call(
    calendar_id: str, event_id: str, body: dict[str, Any], notify: bool = True
) -> Callable[[Any], Any]:
    return lambda s: s.events().patch(
        calendarId=calendar_id,
        eventId=event_id,
        body=body,
        conferenceDataVersion=1,
        sendUpdates=SEND_UPDATES if notify else "none",
    )


def delete_call(calendar_id: str, event_id: str) -> Callable[[Any], Any]:
    return lambda s: s.events().delete(
        calendarId=calendar_id, eventId=event_id, sendUpdates=SEND_UPDATES
    )


def overlaps(event: Mapping[str, Any], window: SyncWindow) -> bool:
    zone = event_zone(event)
    start = parse_edt(event.get("start"), zone)
    end = parse_edt(event.get("end"), zone) or start
    if start is None or end is None:
        return True
    return as_utc(start) < window.end and as_utc(end) > window.start


def reaches_back(master: Mapping[str, Any], window: SyncWindow) -> bool:
    """Whether a series is read beyond the window (it began before it: common/reach.py), so a
    windowed listing does not hold all the exceptions it is served with."""
    return series_reach(window, parse_edt(master.get("start"), event_zone(master))) != window
