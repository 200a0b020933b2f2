"""Join links where clients look (issue 10 point 5): GNOME Calendar's DESCRIPTION detector
finds the Teams and Meet blocks, a placeholder LOCATION becomes the bare join URL, and the
vendors' own properties carry the link. `gnome_meeting_url` re-implements, byte for byte, what
gnome-calendar's src/utils/gcal-utils.c (gcal_utils_extract_google_section /
_teams_section) does, including its bounded search window for the Meet URL."""

from __future__ import annotations

import icalendar
import pytest

from bridge.joinlinks import enrich, strip
from bridge.joinlinks.content import escape_text, serialize, unfold
from bridge.joinlinks.visible import GOOGLE_DELIMITER, TEAMS_DELIMITER

MEET = "https://meet.google.com/abc-defg-hij"
TEAMS = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=x"


def _find(haystack: bytes, start: int, length: int, needle: bytes) -> int:
    """g_strstr_len: a negative length searches to the end of the string."""
    end = len(haystack) if length < 0 else min(len(haystack), start + length)
    return haystack.find(needle, start, end)


def gnome_meeting_url(description: str) -> tuple[str | None, str]:
    """(meeting URL GNOME offers to join, the description text it shows)."""
    raw = description.encode("utf-8")
    google = GOOGLE_DELIMITER.encode()
    first = raw.find(google)
    if first >= 0 and raw.find(google, first + len(google)) >= 0:
        at = _find(raw, first + len(google), first - len(google), b"https://meet.google.com")
        url = raw[at : at + len(MEET)].decode() if at >= 0 else None
        return url, raw[:first].decode().strip()
    teams = TEAMS_DELIMITER.encode()
    first = raw.find(teams)
    last = raw.find(teams, first + len(teams)) if first >= 0 else -1
    if first >= 0 and last >= 0:
        at = _find(raw, first + len(teams), last - first, b"https://teams.microsoft.com")
        url = None
        if at >= 0:
            end = raw.find(b"\n", at + 1)
            url = raw[at : end if end >= 0 else len(raw)].decode()
        return url, raw[:first].decode().strip()
    return None, description.strip()


def _calendar(*lines: str) -> str:
    """Folded the way the provider mappings fold (icalendar's to_ical)."""
    return serialize(
        unfold(
            "\r\n".join(
                [
                    "BEGIN:VCALENDAR",
                    "VERSION:2.0",
                    "PRODID:-//t//EN",
                    "BEGIN:VEVENT",
                    "UID:v1",
                    "DTSTAMP:20250101T000000Z",
                    "DTSTART:20250110T150000Z",
                    "SUMMARY:Sync",
                    'ORGANIZER;CN="Megan Bowen":mailto:megan@contoso.example',
                    *lines,
                    "END:VEVENT",
                    "END:VCALENDAR",
                    "",
                ]
            )
        )
    )


def _event(text: str) -> icalendar.Event:
    return icalendar.Calendar.from_ical(text).walk("VEVENT")[0]


@pytest.mark.parametrize("length", [0, 10, 40, 86, 87, 88, 100, 120, 134, 135, 300])
def test_gnome_finds_the_meet_link_whatever_the_text_before_it(length: int) -> None:
    body = ("x" * length).strip()
    src = _calendar(f"URL:{MEET}", *([f"DESCRIPTION:{body}"] if body else []))
    out = enrich(src, [])
    description = str(_event(out)["DESCRIPTION"])
    url, shown = gnome_meeting_url(description)
    assert url == MEET
    assert shown.startswith("Not a Zoom meeting · Host: Megan Bowen")
    assert shown.endswith(body)
    assert strip(out) == src


def test_gnome_finds_the_teams_link_and_shows_the_provider_text() -> None:
    src = _calendar(
        "LOCATION:Microsoft Teams Meeting", "DESCRIPTION:" + escape_text(f"Agenda\n{TEAMS}")
    )
    out = enrich(src, [])
    event = _event(out)
    assert str(event["LOCATION"]) == TEAMS  # the placeholder made way for the bare URL
    assert str(event["X-MICROSOFT-SKYPETEAMSMEETINGURL"]) == TEAMS
    url, shown = gnome_meeting_url(str(event["DESCRIPTION"]))
    assert url == TEAMS
    assert "Location: Microsoft Teams Meeting" in shown and "Agenda" in shown
    assert strip(out) == src


def test_meet_gets_its_vendor_property_and_a_provider_block_is_not_doubled() -> None:
    google_block = f"{GOOGLE_DELIMITER}\nJoin with Google Meet: {MEET}\n{GOOGLE_DELIMITER}"
    src = _calendar(f"URL:{MEET}", "DESCRIPTION:" + escape_text(google_block))
    out = enrich(src, [])
    event = _event(out)
    assert str(event["X-GOOGLE-CONFERENCE"]) == MEET
    assert str(event["DESCRIPTION"]).count(GOOGLE_DELIMITER) == 2
    assert gnome_meeting_url(str(event["DESCRIPTION"]))[0] == MEET
    assert strip(out) == src


@pytest.mark.parametrize(
    "placeholder", ["Zoom", "zoom meeting", "Google Meet", " Microsoft Teams "]
)
def test_placeholders_become_the_bare_join_url(placeholder: str) -> None:
    link = "https://us02web.zoom.us/j/85512345678" if "oom" in placeholder else MEET
    if "Teams" in placeholder:
        link = TEAMS
    src = _calendar(f"LOCATION:{placeholder}", "DESCRIPTION:" + escape_text(f"Join: {link}"))
    out = enrich(src, [])
    assert str(_event(out)["LOCATION"]) == link
    assert f"Location: {placeholder.strip()}" in str(_event(out)["DESCRIPTION"])
    assert strip(out) == src


def test_a_real_place_is_kept() -> None:
    src = _calendar("LOCATION:Room 4.01", "DESCRIPTION:" + escape_text(f"Join: {MEET}"))
    assert str(_event(enrich(src, []))["LOCATION"]) == "Room 4.01"
