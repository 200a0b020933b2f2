"""Meeting-invitation texts as conferencing tools write them into Outlook event bodies.

Reproduces the layout of the Zoom for Outlook add-in invitation, the Microsoft Teams meeting
block, and Google Meet / Webex / GoTo invitations pasted into a body, with fictional IDs.
Links inside HTML attributes and text are HTML-escaped (`&` -> `&amp;`) as Outlook stores them.
This module must not decide which events exist, must not use randomness and must not do I/O.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote

ZOOM_ONE_TAP = (
    ("+16465588656", "US (New York)"),
    ("+16469313860", "US"),
    ("+16699006833", "US (San Jose)"),
)
ZOOMGOV_ONE_TAP = (("+16692545252", "US (San Jose)"), ("+16468287666", "US (New York)"))


def zoom_id(meeting_id: str) -> str:
    """Zoom's spaced display of a 9-, 10- or 11-digit meeting ID (855 1234 5678)."""
    if len(meeting_id) == 11:
        return f"{meeting_id[:3]} {meeting_id[3:7]} {meeting_id[7:]}"
    if len(meeting_id) == 10:
        return f"{meeting_id[:3]} {meeting_id[3:6]} {meeting_id[6:]}"
    return f"{meeting_id[:3]} {meeting_id[3:6]} {meeting_id[6:]}"


def zoom_url(host: str, meeting_id: str, pwd: str) -> str:
    return f"https://{host}/j/{meeting_id}?pwd={pwd}"


def _a(url: str) -> str:
    u = escape(url, quote=True)
    return f'<a href="{u}">{u}</a>'


def one_tap_lines(meeting_id: str, passcode: str, gov: bool = False) -> list[str]:
    """Zoom "One tap mobile" dial strings: number,,ID#,,,,*passcode# place."""
    return [
        f"{num},,{meeting_id}#,,,,*{passcode}# {place}"
        for num, place in (ZOOMGOV_ONE_TAP if gov else ZOOM_ONE_TAP)
    ]


def zoom_html(
    host_name: str,
    join_url: str,
    meeting_id: str,
    passcode: str,
    *,
    domain: str = "us02web.zoom.us",
    start_url: str | None = None,
    shown_url: str | None = None,
) -> str:
    """The Zoom for Outlook add-in invitation. `shown_url` replaces the link as written (e.g. an
    Outlook SafeLinks wrapper); `start_url` is a host start link someone pasted in carelessly."""
    gov = domain.endswith("zoomgov.com")
    link = shown_url or join_url
    spaced = zoom_id(meeting_id)
    dial = "<br>".join(
        f"&bull; {n[:2]} {n[2:5]} {n[5:8]} {n[8:]} {p}"
        for n, p in (ZOOMGOV_ONE_TAP if gov else ZOOM_ONE_TAP)
    )
    start = ""
    if start_url:
        start = f"<p>Host: start the meeting with {_a(start_url)}</p>"
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        "</head><body><div>"
        "<p>Hi there,</p>"
        f"<p>{escape(host_name)} is inviting you to a scheduled Zoom meeting.</p>"
        f"<p><b>Join Zoom Meeting</b><br>{_a(link)}</p>"
        f"{start}"
        f"<p>Meeting ID: {spaced}<br>Passcode: {passcode}</p>"
        "<p>---</p>"
        "<p><b>One tap mobile</b><br>"
        + "<br>".join(one_tap_lines(meeting_id, passcode, gov))
        + "</p>"
        "<p>---</p>"
        f"<p><b>Dial by your location</b><br>{dial}</p>"
        f"<p>Meeting ID: {spaced}<br>Passcode: {passcode}</p>"
        f"<p>Find your local number: {_a(f'https://{domain}/u/kbQ7xPz')}</p>"
        f"<p>Join by SIP<br>&bull; {meeting_id}@zoomcrc.com</p>"
        "</div></body></html>"
    )


def zoom_text(host_name: str, join_url: str, meeting_id: str, passcode: str) -> str:
    """The same invitation as plain text (what "Copy invitation" pastes into a text body)."""
    spaced = zoom_id(meeting_id)
    taps = "\n".join(one_tap_lines(meeting_id, passcode))
    return (
        f"{host_name} is inviting you to a scheduled Zoom meeting.\n\n"
        f"Join Zoom Meeting\n{join_url}\n\nMeeting ID: {spaced}\nPasscode: {passcode}\n\n"
        f"---\n\nOne tap mobile\n{taps}\n"
    )


def safelinks(url: str, recipient: str) -> str:
    """An Outlook SafeLinks (Defender for Office 365) wrapper around `url`."""
    data = quote(
        f"05|02|{recipient}|5b1f0c2e7a6d4f3c9e8a1b2c3d4e5f60|"
        "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f|0|0|638512345678901234|Unknown",
        safe="",
    )
    return (
        f"https://nam12.safelinks.protection.outlook.com/?url={quote(url, safe='')}"
        f"&data={data}&sdata=Zm9vYmFyYmF6cXV4c2lnbmF0dXJlMDEyMzQ1Njc4OQ%3D&reserved=0"
    )


def teams_join_url(thread: str, tenant: str, organizer_oid: str) -> str:
    """A Teams meetup-join link as Graph returns in onlineMeeting.joinUrl."""
    raw = quote(f'{{"Tid":"{tenant}","Oid":"{organizer_oid}"}}', safe="")
    context = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), raw)  # Teams writes %7b
    return (
        f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{thread}%40thread.v2/0"
        f"?context={context}"
    )


def teams_html(
    join_url: str, meeting_id: str, passcode: str, toll: str, conference_id: str, intro: str = ""
) -> str:
    """The block Outlook appends to a Teams meeting's body."""
    line = "_" * 80
    conf = f"{conference_id[:3]} {conference_id[3:6]} {conference_id[6:]}"
    toll_digits = toll.replace(" ", "").replace("-", "")
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f"</head><body><div>{escape(intro)}</div>"
        f"<div>{line}</div><div><b>Microsoft Teams meeting</b></div>"
        "<div>Join on your computer, mobile app or room device</div>"
        f'<div><a href="{escape(join_url, quote=True)}">Click here to join the meeting</a></div>'
        f"<div>Meeting ID: {meeting_id}<br>Passcode: {passcode}</div>"
        "<div>Or call in (audio only)</div>"
        f'<div><a href="tel:{toll_digits},,{conference_id}#">{toll},,{conference_id}#</a>'
        " United States, Los Angeles</div>"
        f"<div>Phone Conference ID: {conf}#</div>"
        f"<div>{line}</div></body></html>"
    )


def meet_html(code: str, pin: str) -> str:
    url = f"https://meet.google.com/{code}"
    return (
        f"<html><body><p>Join with Google Meet: {_a(url)}</p>"
        f"<p>Join by phone: (US) +1 505-555-0142 PIN: {pin}#</p>"
        f"<p>More phone numbers: {_a(f'https://tel.meet/{code}?pin={pin}')}</p>"
        "</body></html>"
    )


def webex_html(site: str, mtid: str, number: str, password: str) -> str:
    url = f"https://{site}.webex.com/{site}/j.php?MTID={mtid}"
    return (
        f"<html><body><p>Join Webex meeting: {_a(url)}</p>"
        f"<p>Meeting number (access code): {number}<br>Meeting password: {password}</p>"
        "<p>Join by phone: +1-415-555-0199 United States Toll</p></body></html>"
    )


def goto_html(meeting_id: str) -> str:
    url = f"https://meet.goto.com/{meeting_id}"
    spaced = f"{meeting_id[:3]}-{meeting_id[3:6]}-{meeting_id[6:]}"
    return (
        f"<html><body><p>Please join my meeting from your computer, tablet or smartphone."
        f"<br>{_a(url)}</p><p>You can also dial in using your phone.<br>"
        f"United States: +1 (571) 555-0117<br>Access Code: {spaced}</p></body></html>"
    )
