"""Mail-security link rewriters unwrapped before detection (issue 10 point 4), and two Zoom
meetings in one event each keeping their own details."""

from __future__ import annotations

import base64
import resource
from urllib.parse import quote, urlsplit

import icalendar
import pytest

from bridge.joinlinks import detect, enrich
from bridge.joinlinks.content import escape_text
from bridge.joinlinks.rewriters import proofpoint_v3, wrapped_domain
from bridge.joinlinks.urls import unwrap

JOIN = "https://us02web.zoom.us/j/85512345678?pwd=aBcD.1"


def proofpoint_v2(url: str) -> str:
    """URL Defense v2 encoding, as Proofpoint's decoder reverses it: '%' -> '-', '/' -> '_'."""
    encoded = quote(url, safe="").replace("%", "-").replace("/", "_")
    return f"https://urldefense.proofpoint.com/v2/url?u={encoded}&d=DwMFaQ&c=abc&r=x&m=y&s=z&e="


def proofpoint_v3_wrap(url: str, replaced: str = "?=") -> str:
    """URL Defense v3: the characters in `replaced` become '*', their bytes go in base64."""
    body, taken = [], []
    for char in url:
        if char in replaced:
            body.append("*")
            taken.append(char)
        else:
            body.append(char)
    b64 = base64.urlsafe_b64encode("".join(taken).encode()).decode().rstrip("=")
    return f"https://urldefense.com/v3/__{''.join(body)}__;{b64}!!ABCDEF!xyz-signature$"


@pytest.mark.parametrize(
    "wrapped",
    [
        proofpoint_v2(JOIN),
        proofpoint_v3_wrap(JOIN),
        f"https://urldefense.proofpoint.com/v1/url?u={quote(JOIN, safe='')}&k=abc%3D%0A",
        f"https://linkprotect.cudasvc.com/url?a={quote(JOIN, safe='')}&c=E,1,abc&typo=1",
        f"https://secure-web.cisco.com/1AbCdEfGh_token/{quote(JOIN, safe='')}",
        "https://eu-central-1.protection.sophos.com?d=zoom.us&u="
        + quote(base64.b64encode(JOIN.encode()).decode(), safe="")
        + "&i=abc&t=def&h=ghi&s=1",
        # nested: Safe Links around Proofpoint v2
        "https://nam12.safelinks.protection.outlook.com/?url="
        + quote(proofpoint_v2(JOIN), safe="")
        + "&data=05&reserved=0",
    ],
)
def test_rewritten_zoom_links_are_unwrapped_and_detected(wrapped: str) -> None:
    assert unwrap(wrapped) == JOIN
    event = icalendar.Event()
    event.add("UID", "u1")
    event.add("DESCRIPTION", f"Join Zoom Meeting\n{wrapped}\nPasscode: 123456")
    found = detect(event)
    assert found.zoom is not None
    assert found.zoom.join_url == JOIN and found.zoom.meeting_id == "85512345678"


def test_proofpoint_v3_runs_of_replaced_characters() -> None:
    """'**' plus a letter stands for a run of 2..65 replaced characters (A = 2, B = 3, …)."""
    target = "https://zoom.us/j/123456789?pwd=x%%y"
    taken = base64.urlsafe_b64encode(b"?%%").decode().rstrip("=")
    wrapped = f"https://urldefense.com/v3/__https://zoom.us/j/123456789*pwd=x**Ay__;{taken}!!T!s$"
    assert proofpoint_v3(wrapped) == target
    assert proofpoint_v3("https://urldefense.com/v3/__https://x.example/__;!!T!s$") == (
        "https://x.example/"
    )
    # more markers than characters: not a well-formed link, left alone
    assert proofpoint_v3("https://urldefense.com/v3/__https://x.example/*__;!!T!s$") is None


MIMECAST = (
    # since February 2024 (Mimecast, "Targeted Threat Protection - Domain Update")
    "https://url.uk.m.mimecastprotect.com/s/F6rYCAW0hl6wn3CQg3QZ?domain=us02web.zoom.us",
    "https://protect-eu.mimecast.com/s/AbCdEfGhIjKlMn?domain=us02web.zoom.us",
    "https://protect-us.mimecast.com/s253462825?domain=us02web.zoom.us",
)


@pytest.mark.parametrize("link", MIMECAST)
def test_mimecast_links_keep_their_target_to_themselves(link: str) -> None:
    """Mimecast URL Protect links carry no target, only its domain: nothing is invented."""
    assert unwrap(link) == link
    assert wrapped_domain(urlsplit(link)) == "us02web.zoom.us"


@pytest.mark.parametrize("link", MIMECAST)
def test_a_zoom_meeting_behind_mimecast_is_found_through_its_other_traces(link: str) -> None:
    body = (
        f"Join Zoom Meeting\n{link}\n\nMeeting ID: 855 1234 5678\nPasscode: 314159\n"
        "One tap mobile\n+16465588656,,85512345678#,,,,*314159# US (New York)\n"
    )
    text = _calendar("DESCRIPTION:" + escape_text(body))
    out = icalendar.Calendar.from_ical(enrich(text, [])).walk("VEVENT")[0]
    assert str(out["X-ZOOM-MEETING"]) == "TRUE"
    assert str(out["X-ZOOM-MEETING-ID"]) == "85512345678"
    assert str(out["X-ZOOM-PASSCODE"]) == "314159"
    # Zoom's documented join form for the host Mimecast names, with the ID from the text
    assert str(out["URL"]) == "https://us02web.zoom.us/j/85512345678"


def test_behind_mimecast_without_an_id_no_join_link_is_made_up() -> None:
    body = f"Join Zoom Meeting\n{MIMECAST[0]}\n"
    text = _calendar("DESCRIPTION:" + escape_text(body))
    out = icalendar.Calendar.from_ical(enrich(text, [])).walk("VEVENT")[0]
    assert str(out["X-ZOOM-MEETING"]) == "TRUE"
    assert "URL" not in out and "X-ZOOM-MEETING-ID" not in out
    # a Mimecast link to another domain is no Zoom trace
    other = _calendar("DESCRIPTION:" + MIMECAST[0].replace("us02web.zoom.us", "example.com"))
    plain = icalendar.Calendar.from_ical(enrich(other, [])).walk("VEVENT")[0]
    assert str(plain["X-ZOOM-MEETING"]) == "FALSE"


def test_unwrapping_is_linear_on_hostile_links() -> None:
    def cpu(text: str) -> float:
        best = 1e9
        for _ in range(3):
            start = resource.getrusage(resource.RUSAGE_SELF).ru_utime
            unwrap(text)
            best = min(best, resource.getrusage(resource.RUSAGE_SELF).ru_utime - start)
        return best

    small = "https://urldefense.com/v3/__" + "*" * 20_000 + "__;" + "A" * 20_000 + "!!x"
    large = "https://urldefense.com/v3/__" + "*" * 200_000 + "__;" + "A" * 200_000 + "!!x"
    assert cpu(large) <= cpu(small) * 30 + 0.05


def _calendar(*lines: str) -> str:
    body = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//t//EN",
            "BEGIN:VEVENT",
            "UID:two",
            "DTSTAMP:20250101T000000Z",
            "DTSTART:20250110T150000Z",
            "SUMMARY:Two meetings",
            *lines,
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    return body


def test_location_and_body_meetings_keep_their_own_details() -> None:
    body = (
        "Join Zoom Meeting\nhttps://zoom.us/j/22233344455?pwd=Body.1\n\n"
        "Meeting ID: 222 3334 4455\nPasscode: 999999\n"
        "One tap mobile\n+16465588656,,22233344455#,,,,*999999# US (New York)\n"
    )
    text = _calendar("LOCATION:https://zoom.us/j/11122233344", "DESCRIPTION:" + escape_text(body))
    out = icalendar.Calendar.from_ical(enrich(text, ["me@example.com"])).walk("VEVENT")[0]
    assert str(out["X-ZOOM-MEETING-ID"]) == "11122233344"
    assert "X-ZOOM-PASSCODE" not in out  # the body's passcode is not the LOCATION meeting's
    assert "X-ZOOM-DIAL" not in out
    confs = out.get("CONFERENCE")
    confs = confs if isinstance(confs, list) else [confs]
    second = [c for c in confs if "22233344455?pwd" in str(c)]
    assert len(second) == 1 and second[0].params["X-PASSCODE"] == "999999"
    assert any(str(c).startswith("tel:+16465588656,,22233344455#") for c in confs)
    # one meeting only: its passcode anywhere in the text is still found
    single = _calendar("DESCRIPTION:" + escape_text(body))
    one = icalendar.Calendar.from_ical(enrich(single, [])).walk("VEVENT")[0]
    assert str(one["X-ZOOM-PASSCODE"]) == "999999"
