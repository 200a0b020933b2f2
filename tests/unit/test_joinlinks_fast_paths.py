"""The fast paths of enrichment (issue 14, point 1) change no byte and miss no secret:

* zoom.may_hold_secret, the one look at a text that lets redact() skip its URL patterns: every
  host start link is still removed wherever it stands — DESCRIPTION, LOCATION, URL, X-
  properties, parameters, folded lines, HTML bodies, behind redirect wrappers that encode the
  Zoom host, in upper case, in client schemes;
* the VCALENDAR head (properties and VTIMEZONEs before the first VEVENT), redacted and folded
  once per distinct head: the same text as line by line, secrets in it removed too.
"""

from __future__ import annotations

import importlib
from urllib.parse import quote

import pytest

from bridge.joinlinks import START_LINK_PLACEHOLDER, enrich, zoom
from bridge.joinlinks.content import serialize, split_vevents, unfold
from bridge.joinlinks.strip import strip_lines

# `bridge.joinlinks.enrich` the name is the function the package exports; the module:
enrich_module = importlib.import_module("bridge.joinlinks.enrich")

ME = ["alex@contoso.example"]
START = "https://us02web.zoom.us/s/85512345678"
ZAK_URL = "https://example.com/launch?confno=85512345678&zak=eyJhbGciOi.SeCrEt-42"
SECRET = "85512345678"  # the start link's meeting number: nothing of the link may stay


WRAPPED_STARTS = [
    # Safe Links, the target percent-encoded once and twice (no "zoom.us/s/" as written)
    "https://nam12.safelinks.protection.outlook.com/?url="
    + quote(START, safe="").replace("zoom", "%7Aoom")
    + "&data=05%7C02&reserved=0",
    "https://nam12.safelinks.protection.outlook.com/?url="
    + quote(quote(START, safe=""), safe="")
    + "&data=05%7C02&reserved=0",
    # Google redirect
    "https://www.google.com/url?q=" + quote(START, safe="") + "&sa=D&source=calendar",
    # Proofpoint v2 (letters as written, "/" as "_")
    "https://urldefense.proofpoint.com/v2/url?u=https-3A__us02web.zoom.us_s_85512345678&d=DwMF",
]
STARTS = [
    START,
    START.replace("us02web.zoom.us", "US02WEB.ZOOM.US"),  # the host in capitals
    "zoommtg://zoom.us/start?confno=85512345678&stype=100",
    "zoomus://zoom.us/join?confno=85512345678&zak=SeCrEt",
    ZAK_URL,
    *WRAPPED_STARTS,
]


def _calendar(*props: str, head: tuple[str, ...] = ()) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//test//EN",
        *head,
        "BEGIN:VEVENT",
        "UID:evt-1@contoso.example",
        "DTSTAMP:20250101T000000Z",
        "DTSTART:20250110T150000Z",
        "DTEND:20250110T160000Z",
        "SUMMARY:Planning",
        *props,
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    # folded as the mappings fold (75 octets): long links are split over physical lines
    return serialize(lines)


def _line_by_line(ical: str) -> str:
    """What enrich() gave before the head fast path: every line through the same steps."""
    out: list[str] = []
    for segment in split_vevents(strip_lines(unfold(ical))):
        if isinstance(segment, list):
            lines = [enrich_module.redact_line(line) for line in segment]
            out.extend(
                enrich_module.enrich_vevent_recorded(lines, ME, enrich_module.DEFAULT_OPTIONS)[0]
            )
        else:
            out.append(enrich_module.redact_line(segment))
    return serialize(out)


@pytest.mark.parametrize("link", STARTS)
@pytest.mark.parametrize(
    "where",
    [
        "DESCRIPTION:Host only: {link}\\nThanks",
        "DESCRIPTION:Start the meeting ({link}) five minutes early",
        "LOCATION:{link}",
        "URL:{link}",
        "X-MICROSOFT-SKYPETEAMSMEETINGURL:{link}",
        'X-ALT-DESC;FMTTYPE=text/html:<html><body><a href="{link}">Start</a></body></html>',
        'ATTACH;ALTREP="{link}":https://example.com/agenda.pdf',
        "COMMENT:{link}",
    ],
)
def test_no_start_link_survives_enrichment(link: str, where: str) -> None:
    served = enrich(_calendar(where.format(link=link)), ME)
    unfolded = "".join(unfold(served))
    assert SECRET not in unfolded.replace("confno=85512345678", "")  # client-scheme IDs aside
    assert "SeCrEt" not in unfolded
    assert START_LINK_PLACEHOLDER in unfolded


@pytest.mark.parametrize("link", STARTS)
def test_the_pre_check_lets_every_secret_through_to_redaction(link: str) -> None:
    text = f"Start: {link} (host only)"
    assert zoom.may_hold_secret(text)
    assert zoom.has_secret(text)
    assert START_LINK_PLACEHOLDER in zoom.redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "Agenda: https://contoso.sharepoint.com/sites/x and https://teams.microsoft.com/l/meetup-join/1",
        "https://outlook.office365.com/owa/?itemid=AAMkAD&exvsurl=1&path=/calendar/item",
        "Dial tel:+16465588656 or see https://example.com/s/123456789",
    ],
)
def test_text_without_zoom_zak_or_wrapper_is_left_alone_without_the_patterns(text: str) -> None:
    assert not zoom.may_hold_secret(text)
    assert zoom.redact(text) == text


def test_a_head_secret_is_removed_and_the_head_serves_as_line_by_line() -> None:
    head = (
        f"X-WR-CALDESC:Host link {START}",
        "BEGIN:VTIMEZONE",
        "TZID:America/New_York",
        "BEGIN:STANDARD",
        "DTSTART:20241103T020000",
        "TZOFFSETFROM:-0400",
        "TZOFFSETTO:-0500",
        "TZNAME:EST",
        "END:STANDARD",
        "END:VTIMEZONE",
    )
    ical = _calendar(f"DESCRIPTION:Join {START}", head=head)
    served = enrich(ical, ME)
    assert SECRET not in "".join(unfold(served))
    assert served == _line_by_line(ical)
    assert enrich(ical, ME) == served  # the cached head again


@pytest.mark.parametrize(
    "ical",
    [
        # a VEVENT spelled in lower case first: no head split
        "begin:vcalendar\r\nbegin:vevent\r\nuid:a\r\nsummary:x\r\nend:vevent\r\n"
        "BEGIN:VEVENT\r\nUID:b\r\nEND:VEVENT\r\nend:vcalendar\r\n",
        # LF line endings, blank lines and a continuation right before the VEVENT
        "BEGIN:VCALENDAR\nVERSION:2.0\n\nX-WR-CALNAME:Team\n  calendar\nBEGIN:VEVENT\nUID:c\n"
        "DESCRIPTION:see https://zoom.us/j/85512345678\nEND:VEVENT\nEND:VCALENDAR\n",
        # no VEVENT at all
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:d\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
        # a folded head line split right before "BEGIN:VEVENT"-like text
        "BEGIN:VCALENDAR\r\nX-NOTE:text that goes on\r\n BEGIN:VEVENT in a value\r\n"
        "BEGIN:VEVENT\r\nUID:e\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    ],
)
def test_odd_texts_serve_as_line_by_line(ical: str) -> None:
    assert enrich(ical, ME) == _line_by_line(ical)
