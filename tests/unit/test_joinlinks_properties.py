"""Property-based checks of the guarantees the sync engine relies on: enrich() is idempotent and
stable through strip(), strip() gives back the provider's text, no zak token ever leaves enrich(),
and the output is always valid iCalendar."""

from __future__ import annotations

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.joinlinks import enrich, strip
from bridge.joinlinks.content import escape_text, serialize, unfold

ZAK = "eyJzZWNyZXQiOiJ6YWsifQ.Zak-Token_9"
LINKS = [
    "https://us02web.zoom.us/j/85512345678?pwd=aBcD.1",
    "https://contoso.zoom.us/my/alex.wilber",
    "https://zoom.us/w/91234567890?tk=Tok",
    "zoommtg://zoom.us/join?confno=123456789&pwd=x",
    "https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fzoom.us%2Fj%2F1234567890&data=1",
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_Q%40thread.v2/0?context=%7b%7d",
    "https://meet.google.com/abc-defg-hij",
    "https://contoso.webex.com/meet/alex",
    "https://global.gotomeeting.com/join/123456789",
    "https://zoom.us.evil.example/j/85512345678",
    "https://example.com/agenda",
]
SECRETS = [
    f"https://us02web.zoom.us/s/85512345678?zak={ZAK}",
    f"https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fzoom.us%2Fs%2F123456789%3Fzak%3D{ZAK}&data=1",
]
PHRASES = [
    "Meeting ID: 855 1234 5678",
    "Passcode: 123456",
    "Password: Xy9z",
    "One tap mobile\n+16465588656,,85512345678#,,,,*123456# US (New York)",
    "+13017158592,,1234567890# US",
    "Agenda; bring notes, please",
    "C:\\path\\to\\file",
    "Café — résumé 😀",
    "Microsoft Teams Meeting",
    "Zoom",
    "",
    "\n",
]
words = st.text(alphabet="abcXYZ 019,;:\\\"'<>\n\t.é", max_size=20)
fragment = st.one_of(st.sampled_from(LINKS), st.sampled_from(PHRASES), words)
MARKERS = [
    "-- Zoom meeting (added by davbridge) --",
    "-- end of Zoom meeting details (davbridge) --",
]
secret_fragment = st.one_of(fragment, st.sampled_from(SECRETS), st.sampled_from(MARKERS))


def _event(description: str | None, location: str | None, url: str | None, uid: str) -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20250101T000000Z",
        "DTSTART:20250110T150000Z",
        "SUMMARY:Sync, weekly",
    ]
    lines.append('ORGANIZER;CN="Wilber, Alex":mailto:alex@contoso.example')
    if location is not None:
        lines.append(f"LOCATION:{escape_text(location)}")
    if url is not None:
        lines.append(f"URL:{url}")
    if description is not None:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    lines.append("END:VEVENT")
    return "\r\n".join(lines)


@st.composite
def calendars(draw: st.DrawFn, pieces: st.SearchStrategy[str]) -> str:
    events = []
    for n in range(draw(st.integers(1, 3))):
        parts = draw(st.lists(pieces, max_size=6))
        description = draw(st.sampled_from([None, "\n".join(parts), " ".join(parts)]))
        location = draw(st.one_of(st.none(), st.just(""), pieces))
        url = draw(st.one_of(st.none(), st.sampled_from(LINKS)))
        events.append(_event(description, location, url, f"uid-{n}"))
    body = "\r\n".join(events)
    return serialize(
        unfold(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}\r\nEND:VCALENDAR")
    )


ACCOUNTS = ["alex@contoso.example"]


@settings(max_examples=150, deadline=None, database=None)
@given(calendars(fragment))
def test_strip_gives_back_the_provider_text(ical: str) -> None:
    enriched = enrich(ical, ACCOUNTS)
    assert strip(enriched) == ical
    assert enrich(ical, ACCOUNTS) == enriched


@settings(max_examples=150, deadline=None, database=None)
@given(calendars(secret_fragment))
def test_enrich_is_idempotent_and_never_leaks_zak(ical: str) -> None:
    enriched = enrich(ical, ACCOUNTS)
    assert enrich(enriched, ACCOUNTS) == enriched
    assert enrich(strip(enriched), ACCOUNTS) == enriched
    assert ZAK not in enriched
    assert ZAK not in strip(enriched)
    events = icalendar.Calendar.from_ical(enriched).walk("VEVENT")
    assert all(str(e["X-ZOOM-MEETING"]) in ("TRUE", "FALSE") for e in events)
