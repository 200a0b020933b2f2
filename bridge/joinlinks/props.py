"""Names of the properties enrich() adds, and the DESCRIPTION block it prepends: build and remove.

Shared by enrich.py (which writes them) and strip.py (which removes them), so both always agree on
what "ours" means. The block sits between two marker lines that no invitation text contains:

    -- Zoom meeting (added by davbridge) --
    Join Zoom Meeting: https://us02web.zoom.us/j/85512345678?pwd=…
    Meeting ID: 855 1234 5678
    Passcode: 123456
    One tap mobile: +16465588656,,85512345678#,,,,*123456#
    -- end of Zoom meeting details (davbridge) --

followed by one blank line and the provider's description (no separator when the provider had none).

This module must not detect anything and must not do I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bridge.joinlinks.content import escape_text, unescape_text
from bridge.joinlinks.zoom import group_meeting_id

ZOOM_MEETING = "X-ZOOM-MEETING"
ZOOM_JOIN_URL = "X-ZOOM-JOIN-URL"
ZOOM_MEETING_ID = "X-ZOOM-MEETING-ID"
ZOOM_PASSCODE = "X-ZOOM-PASSCODE"
ZOOM_HOST = "X-ZOOM-HOST"
ZOOM_HOSTED_BY_ME = "X-ZOOM-HOSTED-BY-ME"
ZOOM_DIAL = "X-ZOOM-DIAL"
ZOOM_PROPERTIES = frozenset(
    {
        ZOOM_MEETING,
        ZOOM_JOIN_URL,
        ZOOM_MEETING_ID,
        ZOOM_PASSCODE,
        ZOOM_HOST,
        ZOOM_HOSTED_BY_ME,
        ZOOM_DIAL,
    }
)
OUR_PREFIX = "X-DAVBRIDGE-"  # every X-DAVBRIDGE-* property is ours
DAVBRIDGE_CONFERENCE = "X-DAVBRIDGE-CONFERENCE"  # machine-readable service key, one per service
DAVBRIDGE_JOIN_URL = "X-DAVBRIDGE-JOIN-URL"  # primary join URL (any service)
DAVBRIDGE_ADDED_CONFERENCE = "X-DAVBRIDGE-ADDED-CONFERENCE"  # URI of a CONFERENCE enrich() added
DAVBRIDGE_FILLED = "X-DAVBRIDGE-FILLED"  # NONE, or URL / LOCATION / URL-EMPTY / LOCATION-EMPTY
# what visible.py added: NOTE, LEAD-<n> (one per block appended), DESCRIPTION (created),
# LOCATION-PLACEHOLDER and the vendor property names
DAVBRIDGE_VISIBLE = "X-DAVBRIDGE-VISIBLE"
DAVBRIDGE_LOCATION = "X-DAVBRIDGE-LOCATION"  # the placeholder LOCATION the join URL replaced

BEGIN_MARK = "-- Zoom meeting (added by davbridge) --"
END_MARK = "-- end of Zoom meeting details (davbridge) --"

# On the wire (escaped TEXT): BEGIN … END, then "\n\n" if the provider had a description.
_NL = r"(?:\\r)?\\[nN]"
_RAW_BLOCK = re.compile(
    re.escape(escape_text(BEGIN_MARK))
    + r".*?"
    + re.escape(escape_text(END_MARK))
    + f"((?:{_NL}){{0,2}})",
    re.DOTALL,
)
_TEXT_BLOCK = re.compile(
    re.escape(BEGIN_MARK) + r".*?" + re.escape(END_MARK) + r"((?:\r?\n){0,2})", re.DOTALL
)


def block_text(
    join_url: str | None,
    meeting_id: str | None,
    passcode: str | None,
    dial: Sequence[str],
    location: str | None = None,
) -> str | None:
    """The Zoom block for DESCRIPTION (plain text, LF newlines), or None if nothing to say.
    `location`: the provider's placeholder LOCATION that the join URL replaced, kept visible."""
    body: list[str] = []
    if join_url:
        body.append(f"Join Zoom Meeting: {join_url}")
    if meeting_id:
        body.append(f"Meeting ID: {group_meeting_id(meeting_id)}")
    if passcode:
        body.append(f"Passcode: {passcode}")
    taps = [d[4:] for d in dial if d.lower().startswith("tel:") and ",," in d]
    if taps:
        body.append(f"One tap mobile: {taps[0]}")
    if body and location:
        body.append(f"Location: {location}")
    if not body:
        return None
    return "\n".join([BEGIN_MARK, *body, END_MARK])


def prepend_block(raw_description: str | None, block: str) -> str:
    """The raw DESCRIPTION value with `block` on top; the provider's raw text kept byte-for-byte."""
    if raw_description is None:
        return escape_text(block)
    return escape_text(block) + "\\n\\n" + raw_description


def remove_block(raw_description: str) -> tuple[str, bool, bool]:
    """(raw value without our blocks, whether a block was found, whether the value was ours alone).

    The second flag of the result is True when the description consisted of nothing but a block
    written without separator, i.e. enrich() created the DESCRIPTION property itself.
    """
    match = _RAW_BLOCK.search(raw_description)
    if match is not None:
        only_ours = (
            match.start() == 0 and match.end() == len(raw_description) and not match.group(1)
        )
        return _RAW_BLOCK.sub("", raw_description), True, only_ours
    # A client re-escaped the text differently: fall back to the unescaped value.
    text = unescape_text(raw_description)
    tmatch = _TEXT_BLOCK.search(text)
    if tmatch is None:
        return raw_description, False, False
    only_ours = tmatch.start() == 0 and tmatch.end() == len(text) and not tmatch.group(1)
    return escape_text(_TEXT_BLOCK.sub("", text)), True, only_ours
