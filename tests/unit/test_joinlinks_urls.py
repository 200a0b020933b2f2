"""URL recognition: Zoom URL forms and look-alikes, other services, Safe Links / Google redirects,
start-link redaction and the text patterns of Zoom invitations."""

from __future__ import annotations

import pytest

from bridge.joinlinks import zoom
from bridge.joinlinks.services import classify
from bridge.joinlinks.urls import find_urls, unwrap

SAFELINK = (
    "https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fus02web.zoom.us%2Fj%2F"
    "85512345678%3Fpwd%3DaBcDeF.1&data=05%7C02%7Calex%40contoso.example%7C&sdata=abc%3D&reserved=0"
)


@pytest.mark.parametrize(
    ("url", "kind", "meeting_id", "join_url"),
    [
        (
            "https://us02web.zoom.us/j/85512345678?pwd=aBcDeF.1",
            "join",
            "85512345678",
            "https://us02web.zoom.us/j/85512345678?pwd=aBcDeF.1",
        ),
        ("https://zoom.us/j/123456789", "join", "123456789", "https://zoom.us/j/123456789"),
        (
            "https://Contoso.Zoom.US/j/9876543210?from=addon&pwd=x1",
            "join",
            "9876543210",
            "https://contoso.zoom.us/j/9876543210?pwd=x1",
        ),
        ("https://zoom.com/j/85512345678", "join", "85512345678", "https://zoom.com/j/85512345678"),
        (
            "https://agency.zoomgov.com/j/1612345678?pwd=g",
            "join",
            "1612345678",
            "https://agency.zoomgov.com/j/1612345678?pwd=g",
        ),
        (
            "https://us06web.zoom.us/w/81234567890?tk=reg.token&uuid=x",
            "webinar",
            "81234567890",
            "https://us06web.zoom.us/w/81234567890?tk=reg.token",
        ),
        (
            "https://contoso.zoom.us/my/alex.wilber",
            "personal",
            None,
            "https://contoso.zoom.us/my/alex.wilber",
        ),
        (
            "https://zoom.us/wc/join/85512345678",
            "join",
            "85512345678",
            "https://zoom.us/j/85512345678",
        ),
        (
            "https://zoom.us/wc/85512345678/join?pwd=p",
            "join",
            "85512345678",
            "https://zoom.us/j/85512345678?pwd=p",
        ),
        (
            "zoommtg://zoom.us/join?action=join&confno=85512345678&pwd=abc",
            "join",
            "85512345678",
            "https://zoom.us/j/85512345678?pwd=abc",
        ),
        (
            "zoomus://us02web.zoom.us/join?confno=85512345678",
            "join",
            "85512345678",
            "https://us02web.zoom.us/j/85512345678",
        ),
        ("https://us02web.zoom.us/s/85512345678?zak=SECRET", "start", "85512345678", None),
        (SAFELINK, "join", "85512345678", "https://us02web.zoom.us/j/85512345678?pwd=aBcDeF.1"),
    ],
)
def test_zoom_url_forms(url: str, kind: str, meeting_id: str | None, join_url: str | None) -> None:
    link = zoom.parse_zoom_url(url)
    assert link is not None
    assert (link.kind, link.meeting_id, link.join_url) == (kind, meeting_id, join_url)


@pytest.mark.parametrize(
    "url",
    [
        "https://zoom.us.evil.com/j/85512345678",
        "https://notzoom.us/j/85512345678",
        "https://zoom.usx/j/85512345678",
        "https://zoom.us@evil.example/j/85512345678",
        "https://evil.example/zoom.us/j/85512345678",
        "https://zoom.us/j/12345",  # too short for a meeting ID
        "https://zoom.us/j/123456789012",  # too long
        "https://zoom.us/pricing",
        "zoommtg://evil.example/join?confno=85512345678",
    ],
)
def test_zoom_look_alikes_are_rejected(url: str) -> None:
    assert zoom.parse_zoom_url(url) is None


@pytest.mark.parametrize(
    ("url", "service", "normalised"),
    [
        (
            "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NzQ%40thread.v2/0?context=%7b%22Tid%22%3a%22x%22%7d",
            "teams",
            "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NzQ%40thread.v2/0?context=%7b%22Tid%22%3a%22x%22%7d",
        ),
        (
            "https://teams.microsoft.com/meet/2345678901234?p=AbCdEf",
            "teams",
            "https://teams.microsoft.com/meet/2345678901234?p=AbCdEf",
        ),
        (
            "https://meet.google.com/abc-defg-hij?hs=122&authuser=0",
            "google-meet",
            "https://meet.google.com/abc-defg-hij",
        ),
        (
            "https://contoso.webex.com/contoso/j.php?MTID=m0123456789abcdef",
            "webex",
            "https://contoso.webex.com/contoso/j.php?MTID=m0123456789abcdef",
        ),
        ("https://contoso.webex.com/meet/alex", "webex", "https://contoso.webex.com/meet/alex"),
        (
            "https://global.gotomeeting.com/join/123456789",
            "goto-meeting",
            "https://global.gotomeeting.com/join/123456789",
        ),
        ("https://meet.goto.com/123456789", "goto-meeting", "https://meet.goto.com/123456789"),
        (
            "https://meet.lync.com/contoso/alex/AB12CD34",
            "skype-for-business",
            "https://meet.lync.com/contoso/alex/AB12CD34",
        ),
        ("https://bluejeans.com/123456789", "bluejeans", "https://bluejeans.com/123456789"),
        ("https://meet.jit.si/TeamStandup", "jitsi", "https://meet.jit.si/TeamStandup"),
        ("https://whereby.com/team-room", "whereby", "https://whereby.com/team-room"),
        ("https://chime.aws/1234567890", "amazon-chime", "https://chime.aws/1234567890"),
    ],
)
def test_other_services(url: str, service: str, normalised: str) -> None:
    result = classify(url)
    assert result is not None
    assert (result[0].key, result[1]) == (service, normalised)


@pytest.mark.parametrize(
    "url",
    [
        "https://teams.microsoft.com.evil.example/l/meetup-join/19%3a",
        "https://teams.microsoft.com/",
        "https://meet.google.com/",
        "https://www.webex.com/pricing/index.html",
        "https://whereby.com/pricing",
        "https://example.com/meet/abc-defg-hij",
    ],
)
def test_non_meeting_pages_are_not_services(url: str) -> None:
    assert classify(url) is None


def test_safelinks_nested_and_double_encoded() -> None:
    inner = "https%253A%252F%252Fmeet.google.com%252Fabc-defg-hij"
    wrapped_twice = (
        "https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.google.com%2Furl%3Fq%3D"
        + "https%253A%252F%252Fus02web.zoom.us%252Fj%252F85512345678&data=x"
    )
    assert unwrap(wrapped_twice) == "https://us02web.zoom.us/j/85512345678"
    assert unwrap(f"https://eur01.safelinks.protection.outlook.com/?url={inner}&data=1") == (
        "https://meet.google.com/abc-defg-hij"
    )
    assert (
        unwrap("https://www.google.com/url?q=https://meet.google.com/abc-defg-hij&sa=D&ust=1&usg=A")
        == "https://meet.google.com/abc-defg-hij"
    )


def test_find_urls_trims_punctuation_and_angle_brackets() -> None:
    text = "Join the meeting now<https://teams.microsoft.com/l/meetup-join/x/0> or (https://zoom.us/j/123456789)."
    assert find_urls(text) == [
        "https://teams.microsoft.com/l/meetup-join/x/0",
        "https://zoom.us/j/123456789",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Start: https://us02web.zoom.us/s/85512345678?zak=eyJTOKEN.secret end",
        "Start: https://us02web.zoom.us/s/85512345678 end",
        "zoommtg://zoom.us/start?confno=85512345678&zak=eyJTOKEN.secret",
        "https://contoso.example/redirect?next=1&zak=eyJTOKEN.secret",
        "schemeless us02web.zoom.us/s/85512345678?zak=eyJTOKEN.secret",
        "https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fus02web.zoom.us%2Fs%2F85512345678%3Fzak%3DeyJTOKEN.secret&data=1",
    ],
)
def test_start_links_are_redacted(text: str) -> None:
    redacted = zoom.redact(text)
    assert "eyJTOKEN" not in redacted
    assert "/s/85512345678" not in redacted
    assert zoom.START_LINK_PLACEHOLDER in redacted
    assert zoom.redact(redacted) == redacted


def test_invitation_text_patterns() -> None:
    text = (
        "Meeting ID: 855 1234 5678\nPasscode: 7Hq2Zx\n\nOne tap mobile\n"
        "+16465588656,,85512345678#,,,,*123456# US (New York)\n"
        "+13017158592,,85512345678#,,,,*123456# US (Washington DC)\n"
        "+16465588656,,99999999999# other meeting\n"
    )
    assert zoom.meeting_id_from_text(text) == "85512345678"
    assert zoom.passcode_from_text(text) == "7Hq2Zx"
    assert zoom.passcode_from_text("Meeting password: s3cr3t") == "s3cr3t"
    assert zoom.one_taps(text, "85512345678") == [
        "tel:+16465588656,,85512345678#,,,,*123456#",
        "tel:+13017158592,,85512345678#,,,,*123456#",
    ]
    assert zoom.group_meeting_id("85512345678") == "855 1234 5678"
    assert zoom.group_meeting_id("1234567890") == "123 456 7890"
    assert zoom.group_meeting_id("123456789") == "123 456 789"
