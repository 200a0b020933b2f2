"""What enrichment adds for people and clients to *see* (issue 10, SPEC C3): build and remove.

- LOCATION: a provider location that only names the service ("Microsoft Teams Meeting", "Zoom",
  "Google Meet", …) is replaced by the bare join URL — GNOME Calendar offers "Join" only for a
  bare-URL LOCATION — and the original text is kept in DESCRIPTION ("Location: …").
- Vendor properties: X-MICROSOFT-SKYPETEAMSMEETINGURL (Teams) and X-GOOGLE-CONFERENCE (Meet),
  which Outlook/Evolution-style consumers and scripts read for those services.
- DESCRIPTION, on top: the "Not a Zoom meeting · Host: <organizer>" line (per-user setting,
  default on) for events without Zoom — one paragraph, then a blank line, then the provider text.
- DESCRIPTION, at the end: for Teams and Meet, the delimited blocks GNOME Calendar's detector
  reads (gnome-calendar src/utils/gcal-utils.c, gcal_utils_extract_google_section and
  gcal_utils_extract_teams_section): a meet.google.com URL between two Google delimiters, or a
  teams.microsoft.com URL (running to the end of its line) between two lines of 80 underscores.
  GNOME shows only the text before the first delimiter as the description, so the blocks go last,
  and it searches the Meet URL within (bytes before the block - 87) bytes after the delimiter
  (unbounded when negative), so text of a length in between is padded with newlines, which GNOME
  strips before display. A block is not added when the provider's text already has one.

Removal (for strip(), which must undo enrich() from the served text alone) recognises exactly
these shapes, on the raw (escaped) DESCRIPTION value.
This module must not detect anything and must not do I/O.
"""

from __future__ import annotations

from bridge.joinlinks.content import escape_text

TEAMS_URL_PROPERTY = "X-MICROSOFT-SKYPETEAMSMEETINGURL"
MEET_URL_PROPERTY = "X-GOOGLE-CONFERENCE"
VENDOR_PROPERTIES = (TEAMS_URL_PROPERTY, MEET_URL_PROPERTY)

#: Compared case-insensitively after trimming.
LOCATION_PLACEHOLDERS = frozenset(
    {
        "microsoft teams meeting",
        "microsoft teams",
        "teams meeting",
        "microsoft teams-besprechung",
        "réunion microsoft teams",
        "zoom",
        "zoom meeting",
        "zoom video conference",
        "google meet",
        "webex",
        "webex meeting",
        "skype meeting",
        "online meeting",
        "goto meeting",
        "gotomeeting",
    }
)

NOT_ZOOM = "Not a Zoom meeting"
LOCATION_LINE = "Location: "
GOOGLE_DELIMITER = "-::~:~::~" + ":~" * 35 + "::~:~::-"  # 87 characters, as in GNOME's source
TEAMS_DELIMITER = "_" * 80
TEAMS_TITLE = "Microsoft Teams meeting"
TEAMS_JOIN = "Join: "
MEET_JOIN = "Join with Google Meet: "
_NL = "\\n"  # an escaped newline in a raw TEXT value


def is_placeholder(location_text: str) -> bool:
    return location_text.strip().casefold() in LOCATION_PLACEHOLDERS


def note(host: str | None, placeholder: str | None, with_marker: bool) -> str | None:
    """The paragraph on top of a non-Zoom event's DESCRIPTION (no trailing blank line)."""
    lines: list[str] = []
    if with_marker:
        lines.append(f"{NOT_ZOOM} · Host: {host}" if host else NOT_ZOOM)
    if placeholder:
        lines.append(LOCATION_LINE + placeholder)
    return "\n".join(lines) if lines else None


def teams_block(url: str) -> str:
    return "\n".join([TEAMS_DELIMITER, TEAMS_TITLE, TEAMS_JOIN + url, TEAMS_DELIMITER])


def meet_block(url: str) -> str:
    return "\n".join([GOOGLE_DELIMITER, MEET_JOIN + url, GOOGLE_DELIMITER])


def lead(before: str, meet: bool) -> str:
    """Newlines between the text before a block and the block (see the module docstring)."""
    sep = "\n\n" if before.strip() else ""
    if not meet:
        return sep
    size = len((before + sep).encode("utf-8"))
    low = len(GOOGLE_DELIMITER)
    need = low + 1 + len(MEET_JOIN) + len("https://meet.google.com")
    return sep + ("\n" * (need - size) if low <= size < need else "")


def suffix_for(
    before: str, teams_url: str | None, meet_url: str | None
) -> tuple[str, tuple[int, ...]]:
    """The blocks appended to a DESCRIPTION whose text (so far) is `before`, and the number of
    newlines put before each (strip() needs them: padding and the provider's own trailing
    newlines look alike)."""
    suffix = ""
    leads: list[int] = []
    for url, delimiter, meet in (
        (meet_url, GOOGLE_DELIMITER, True),
        (teams_url, TEAMS_DELIMITER, False),
    ):
        if url and delimiter not in before:
            gap = lead(before, meet)
            part = gap + (meet_block(url) if meet else teams_block(url))
            suffix, before = suffix + part, before + part
            leads.append(len(gap))
    return suffix, tuple(leads)


# -- removal on the raw (escaped) value -----------------------------------------------------------
def remove_note(raw: str) -> tuple[str, bool]:
    """The raw DESCRIPTION value without the note paragraph on top (and its blank line)."""
    if not raw.startswith(escape_text(NOT_ZOOM)) and not raw.startswith(escape_text(LOCATION_LINE)):
        return raw, False
    end = raw.find(_NL + _NL)
    paragraph = raw if end < 0 else raw[:end]
    lines = paragraph.split(_NL)
    if len(lines) > 2 or not all(
        line.startswith((escape_text(NOT_ZOOM), escape_text(LOCATION_LINE))) for line in lines
    ):
        return raw, False
    return ("" if end < 0 else raw[end + 2 * len(_NL) :]), True


def _block_at_end(raw: str) -> tuple[int, bool] | None:
    """(start of our block, is Meet) when the raw value ends with one of our blocks."""
    for delimiter, meet in ((TEAMS_DELIMITER, False), (GOOGLE_DELIMITER, True)):
        if not raw.endswith(delimiter):
            continue
        start = raw.rfind(delimiter, 0, len(raw) - len(delimiter))
        if start < 0:
            continue
        inner = raw[start + len(delimiter) : len(raw) - len(delimiter)].split(_NL)
        ours = (
            len(inner) == 3 and inner[0] == "" and inner[1].startswith(escape_text(MEET_JOIN))
            if meet
            else len(inner) == 4
            and inner[0] == ""
            and inner[1] == TEAMS_TITLE
            and inner[2].startswith(escape_text(TEAMS_JOIN))
        )
        if ours and inner[-1] == "":
            return start, meet
    return None


def remove_blocks(raw: str, leads: list[int]) -> tuple[str, bool]:
    """The raw DESCRIPTION value without the blocks suffix_for() appended, given the newline
    counts it reported (last block first)."""
    found = False
    pending = list(leads)
    while pending and (hit := _block_at_end(raw)) is not None:
        start, _meet = hit
        gap = _NL * pending.pop()
        if not raw[:start].endswith(gap):
            break
        raw, found = raw[: start - len(gap)], True
    return raw, found
