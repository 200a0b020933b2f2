"""enrich()/strip()/detect() on realistic provider events: Zoom invitations as the Outlook add-in
and Google's Zoom add-on write them, Teams/Meet/Webex/GoTo, start-link secrets, plain events,
recurring series, and the round-trip guarantees the sync engine relies on."""

from __future__ import annotations

import icalendar
import pytest

from bridge.joinlinks import START_LINK_PLACEHOLDER, EnrichOptions, detect, enrich, strip
from bridge.joinlinks.content import escape_text, serialize, unfold

ME = ["alex@contoso.example"]
NO_NOTE = EnrichOptions(not_zoom_line=False)
JOIN = "https://us02web.zoom.us/j/85512345678?pwd=aBcDeFgHiJkLmNoPqRsTuVwXyZ.1"
SAFE = (
    "https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fus02web.zoom.us%2Fj%2F"
    "85512345678%3Fpwd%3DaBcDeFgHiJkLmNoPqRsTuVwXyZ.1&data=05%7C02%7Calex%40contoso.example"
    "%7C5d7e%7C0%7C638%7CUnknown&sdata=k3Jd%2Bq%3D&reserved=0"
)
ZAK = "eyJ0eXAiOiJKV1QiLCJzdiI6IjAwMDAwMSJ9.SeCrEtZaK_value-42"

# The plain-text body of the Zoom for Outlook add-in's invitation.
ZOOM_BODY = (
    "Alex Wilber is inviting you to a scheduled Zoom meeting.\n\n"
    f"Join Zoom Meeting\n{JOIN}\n\n"
    "Meeting ID: 855 1234 5678\nPasscode: 123456\n\n---\n\n"
    "One tap mobile\n"
    "+16465588656,,85512345678#,,,,*123456# US (New York)\n"
    "+13017158592,,85512345678#,,,,*123456# US (Washington DC)\n\n---\n\n"
    "Dial by your location\n• +1 646 558 8656 US (New York)\n"
    "• +1 301 715 8592 US (Washington DC)\n\n"
    "Meeting ID: 855 1234 5678\nPasscode: 123456\n\n"
    "Find your local number: https://us02web.zoom.us/u/kb1Xyz\n"
)
ZOOM_HTML = (
    "<html><body><p>Alex Wilber is inviting you to a scheduled Zoom meeting.</p>"
    f'<p>Join Zoom Meeting<br><a href="{SAFE.replace("&", "&amp;")}">{JOIN}</a></p>'
    "<p>Meeting ID: 855 1234 5678<br>Passcode: 123456</p></body></html>"
)


def vevent(*props: str, uid: str = "evt-1@contoso.example") -> str:
    return "\r\n".join(
        [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20250101T000000Z",
            "DTSTART;TZID=America/New_York:20250110T100000",
            "DTEND;TZID=America/New_York:20250110T110000",
            "SUMMARY:Weekly sync",
            *props,
            "END:VEVENT",
        ]
    )


def calendar(*events: str) -> str:
    """A VCALENDAR folded the way the provider mappings (icalendar's to_ical) fold it."""
    body = "\r\n".join(events)
    return serialize(
        unfold(
            f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davbridge//test//EN\r\n{body}\r\nEND:VCALENDAR"
        )
    )


def text(value: str) -> str:
    return escape_text(value)


def props_of(ical: str, name: str) -> list[str]:
    """Values (raw, unfolded) of every property `name` in `ical`, parameters included."""
    out = []
    for line in unfold(ical):
        head, _, _ = line.partition(":")
        if head.split(";")[0].upper() == name:
            out.append(line[len(name) :])
    return out


def event_of(ical: str, index: int = 0) -> icalendar.Event:
    event = icalendar.Calendar.from_ical(ical).walk("VEVENT")[index]
    assert isinstance(event, icalendar.Event)
    return event


ORGANIZER = "ORGANIZER;CN=Alex Wilber:mailto:alex@contoso.example"
OUTLOOK_ZOOM = calendar(
    vevent(
        ORGANIZER,
        "ATTENDEE;CN=Megan Bowen;PARTSTAT=NEEDS-ACTION:mailto:megan@contoso.example",
        f"LOCATION:{JOIN}",
        f"DESCRIPTION:{text(ZOOM_BODY)}",
        f"X-ALT-DESC;FMTTYPE=text/html:{text(ZOOM_HTML)}",
    )
)


def test_outlook_zoom_invitation() -> None:
    out = enrich(OUTLOOK_ZOOM, ME)
    assert props_of(out, "X-ZOOM-MEETING") == [":TRUE"]
    assert props_of(out, "X-ZOOM-JOIN-URL") == [f":{JOIN}"]
    assert props_of(out, "X-ZOOM-MEETING-ID") == [":85512345678"]
    assert props_of(out, "X-ZOOM-PASSCODE") == [":123456"]
    assert props_of(out, "X-ZOOM-HOST") == [";CN=Alex Wilber:mailto:alex@contoso.example"]
    assert props_of(out, "X-ZOOM-HOSTED-BY-ME") == [":TRUE"]
    assert props_of(out, "X-ZOOM-DIAL") == [
        ";VALUE=URI:tel:+16465588656,,85512345678#,,,,*123456#",
        ";VALUE=URI:tel:+13017158592,,85512345678#,,,,*123456#",
    ]
    assert props_of(out, "CONFERENCE") == [
        f";VALUE=URI;FEATURE=VIDEO;LABEL=Zoom:{JOIN}",
        ";VALUE=URI;FEATURE=PHONE;LABEL=Zoom:tel:+16465588656,,85512345678#,,,,*123456#",
        ";VALUE=URI;FEATURE=PHONE;LABEL=Zoom:tel:+13017158592,,85512345678#,,,,*123456#",
    ]
    assert props_of(out, "LOCATION") == [f":{JOIN}"]  # the add-in's location is kept as it was
    assert props_of(out, "URL") == [f":{JOIN}"]  # URL was empty: filled
    assert props_of(out, "SUMMARY") == [":Weekly sync"]

    event = event_of(out)  # the output is valid iCalendar
    description = str(event["DESCRIPTION"])
    assert description == (
        "-- Zoom meeting (added by davbridge) --\n"
        f"Join Zoom Meeting: {JOIN}\n"
        "Meeting ID: 855 1234 5678\n"
        "Passcode: 123456\n"
        "One tap mobile: +16465588656,,85512345678#,,,,*123456#\n"
        "-- end of Zoom meeting details (davbridge) --\n\n" + ZOOM_BODY
    )
    assert all(len(line.encode()) <= 75 for line in out.split("\r\n"))


def test_strip_restores_provider_text_byte_for_byte() -> None:
    stripped = strip(enrich(OUTLOOK_ZOOM, ME))
    assert stripped == OUTLOOK_ZOOM  # already canonically folded, so the whole text is equal


def test_hosted_by_me_false_for_other_organizer() -> None:
    out = enrich(OUTLOOK_ZOOM, ["megan@contoso.example", "megan@contoso.onmicrosoft.com"])
    assert props_of(out, "X-ZOOM-HOSTED-BY-ME") == [":FALSE"]
    assert props_of(out, "X-ZOOM-HOST") == [";CN=Alex Wilber:mailto:alex@contoso.example"]


def test_hosted_by_me_is_case_insensitive_and_false_without_organizer() -> None:
    upper = OUTLOOK_ZOOM.replace("mailto:alex@contoso.example", "mailto:Alex@CONTOSO.example")
    assert props_of(enrich(upper, ME), "X-ZOOM-HOSTED-BY-ME") == [":TRUE"]
    no_org = OUTLOOK_ZOOM.replace(ORGANIZER + "\r\n", "")
    out = enrich(no_org, ME)
    assert props_of(out, "X-ZOOM-HOSTED-BY-ME") == [":FALSE"]
    assert props_of(out, "X-ZOOM-HOST") == []


def test_safelinks_only_in_description_fills_location_and_url() -> None:
    body = f"Join Zoom Meeting\n{SAFE}\n\nMeeting ID: 855 1234 5678\n"
    src = calendar(vevent(ORGANIZER, f"DESCRIPTION:{text(body)}"))
    out = enrich(src, ME)
    assert props_of(out, "X-ZOOM-JOIN-URL") == [f":{JOIN}"]
    assert props_of(out, "LOCATION") == [f":{JOIN}"]
    assert props_of(out, "URL") == [f":{JOIN}"]
    assert props_of(out, "X-ZOOM-PASSCODE") == []  # only the encrypted pwd=: nothing invented
    assert props_of(out, "X-DAVBRIDGE-FILLED") == [":URL,LOCATION"]
    assert strip(out) == src


def test_empty_location_is_filled_and_restored_empty() -> None:
    src = calendar(vevent("LOCATION;LANGUAGE=en-US:", f"DESCRIPTION:{text('Join: ' + JOIN)}"))
    out = enrich(src, ME)
    assert props_of(out, "LOCATION") == [f";LANGUAGE=en-US:{JOIN}"]
    assert strip(out) == src


def test_vanity_personal_link() -> None:
    src = calendar(
        vevent("LOCATION:Zoom", "DESCRIPTION:Join me: https://contoso.zoom.us/my/alex.wilber")
    )
    out = enrich(src, ME)
    assert props_of(out, "X-ZOOM-MEETING") == [":TRUE"]
    assert props_of(out, "X-ZOOM-JOIN-URL") == [":https://contoso.zoom.us/my/alex.wilber"]
    assert props_of(out, "X-ZOOM-MEETING-ID") == []
    # "Zoom" only names the service: the bare join URL replaces it (GNOME Calendar's Join
    # button needs a bare-URL LOCATION) and the original text stays visible in the block
    assert props_of(out, "LOCATION") == [":https://contoso.zoom.us/my/alex.wilber"]
    assert "Location: Zoom" in props_of(out, "DESCRIPTION")[0]
    assert strip(out) == src
    with_id = src.replace("alex.wilber", "alex.wilber\\nMeeting ID: 123 456 7890")
    assert props_of(enrich(with_id, ME), "X-ZOOM-MEETING-ID") == [":1234567890"]


def test_zoommtg_link_becomes_https() -> None:
    src = calendar(
        vevent(
            "DESCRIPTION:Open in app: zoommtg://zoom.us/join?action=join&confno=85512345678&pwd=xyz"
        )
    )
    out = enrich(src, ME)
    assert props_of(out, "X-ZOOM-JOIN-URL") == [":https://zoom.us/j/85512345678?pwd=xyz"]
    assert props_of(out, "X-ZOOM-MEETING-ID") == [":85512345678"]


def test_start_link_is_never_published() -> None:
    start = f"https://us02web.zoom.us/s/85512345678?zak={ZAK}"
    body = f"Host only — start the meeting: {start}\nAttendees join: {JOIN}\n"
    html = f'<a href="{start}">Start</a> <a href="{JOIN}">Join</a>'
    src = calendar(
        vevent(
            ORGANIZER,
            f"URL:{start}",
            f"DESCRIPTION:{text(body)}",
            f"X-ALT-DESC;FMTTYPE=text/html:{text(html)}",
            f"X-MS-OLK-ORIGINALSTART:{start}",
        )
    )
    out = enrich(src, ME)
    for secret in (ZAK, "zak=", "/s/85512345678"):
        assert secret not in out
        assert secret not in strip(out)
    assert START_LINK_PLACEHOLDER in str(event_of(out)["DESCRIPTION"])
    assert props_of(out, "URL") == [f":{START_LINK_PLACEHOLDER}"]
    assert props_of(out, "X-ZOOM-JOIN-URL") == [f":{JOIN}"]  # the start link is never the join URL
    assert props_of(out, "X-ZOOM-MEETING-ID") == [":85512345678"]


def test_start_link_only_still_a_zoom_meeting_without_join_url() -> None:
    src = calendar(vevent(f"DESCRIPTION:Start: https://zoom.us/s/85512345678?zak={ZAK}"))
    out = enrich(src, ME)
    assert ZAK not in out
    assert props_of(out, "X-ZOOM-MEETING") == [":TRUE"]
    assert props_of(out, "X-ZOOM-JOIN-URL") == []
    assert enrich(strip(out), ME) == out


@pytest.mark.parametrize("newline", ["\\n", "\\N"])
def test_start_link_right_before_an_escaped_line_break_is_never_published(newline: str) -> None:
    # In the escaped value "…/s/85512345678\\nThanks" the link runs on into the escape; the
    # text a user sees ends it at the line break: it is found there (it was served as is).
    start = "https://us02web.zoom.us/s/85512345678"
    out = enrich(calendar(vevent(f"DESCRIPTION:Start: {start}{newline}Thanks")), ME)
    assert "/s/85512345678" not in "".join(unfold(out))
    assert START_LINK_PLACEHOLDER in str(event_of(out)["DESCRIPTION"])
    assert enrich(strip(out), ME) == out


@pytest.mark.parametrize(
    ("link", "key", "label"),
    [
        (
            "https://teams.microsoft.com/l/meetup-join/19%3ameeting_ZjE2NzQ%40thread.v2/0?context=%7b%22Tid%22%3a%2272f9%22%7d",
            "teams",
            "Microsoft Teams",
        ),
        ("https://meet.google.com/abc-defg-hij", "google-meet", "Google Meet"),
        (
            "https://contoso.webex.com/contoso/j.php?MTID=m9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            "webex",
            "Webex",
        ),
        ("https://global.gotomeeting.com/join/123456789", "goto-meeting", "GoTo Meeting"),
        ("https://meet.jit.si/ContosoStandup", "jitsi", "Jitsi Meet"),
    ],
)
def test_other_services_from_text(link: str, key: str, label: str) -> None:
    src = calendar(vevent(ORGANIZER, "LOCATION:Room 4", f"DESCRIPTION:{text('Join: ' + link)}"))
    out = enrich(src, ME)
    assert props_of(out, "X-ZOOM-MEETING") == [":FALSE"]
    assert props_of(out, "X-ZOOM-JOIN-URL") == []
    assert props_of(out, "CONFERENCE") == [f";VALUE=URI;FEATURE=VIDEO;LABEL={label}:{link}"]
    assert props_of(out, "X-DAVBRIDGE-CONFERENCE") == [f":{key}"]
    assert props_of(out, "URL") == [f":{link}"]
    assert props_of(out, "LOCATION") == [":Room 4"]
    assert "Zoom meeting (added by davbridge)" not in out  # no block for non-Zoom meetings
    assert strip(out) == src


def test_teams_from_provider_mapping_is_not_duplicated() -> None:
    join = (
        "https://teams.microsoft.com/l/meetup-join/19%3ameeting_ZjE2%40thread.v2/0?context=%7b%7d"
    )
    body = (
        "________________________________________________________________________________\n"
        f"Microsoft Teams meeting\nJoin on your computer, mobile app or room device\n"
        f"Click here to join the meeting<{join}>\nMeeting ID: 293 456 789 012\nPasscode: Zs7Dx3\n"
    )
    src = calendar(
        vevent(
            ORGANIZER,
            "LOCATION:Microsoft Teams Meeting",
            f"CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=Microsoft Teams:{join}",
            "CONFERENCE;VALUE=URI;FEATURE=PHONE:tel:+1-323-555-0100,,123456789#",
            "X-CONFERENCE-ID:123456789",
            f"DESCRIPTION:{text(body)}",
        )
    )
    out = enrich(src, ME)
    assert props_of(out, "X-ZOOM-MEETING") == [":FALSE"]
    assert len(props_of(out, "CONFERENCE")) == 2  # the mapping's two, nothing added
    assert props_of(out, "X-DAVBRIDGE-CONFERENCE") == [":teams"]
    assert props_of(out, "URL") == [f":{join}"]
    assert strip(out) == src


def test_google_zoom_add_on_structured_data() -> None:
    src = calendar(
        vevent(
            "ORGANIZER;CN=Megan Bowen:mailto:megan@contoso.example",
            "CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=Zoom Meeting;X-PASSCODE=kq7Z:https://contoso.zoom.us/my/megan",
            "CONFERENCE;VALUE=URI;FEATURE=PHONE;LABEL=Zoom Meeting:tel:+1-646-558-8656",
            "X-CONFERENCE-ID:9876543210",
        )
    )
    out = enrich(src, ME)
    assert props_of(out, "X-ZOOM-JOIN-URL") == [":https://contoso.zoom.us/my/megan"]
    assert props_of(out, "X-ZOOM-MEETING-ID") == [":9876543210"]
    assert props_of(out, "X-ZOOM-PASSCODE") == [":kq7Z"]
    assert props_of(out, "X-ZOOM-DIAL") == [";VALUE=URI:tel:+1-646-558-8656"]
    assert props_of(out, "X-ZOOM-HOSTED-BY-ME") == [":FALSE"]
    assert len(props_of(out, "CONFERENCE")) == 2  # structured entries are not duplicated
    assert props_of(out, "LOCATION") == [":https://contoso.zoom.us/my/megan"]
    assert strip(out) == src


@pytest.mark.parametrize(
    "link",
    [
        "https://zoom.us.evil.example/j/85512345678",
        "https://notzoom.us/j/85512345678",
        "https://zoom.usx/j/85512345678",
        "https://teams.microsoft.com.evil.example/l/meetup-join/19%3a",
    ],
)
def test_look_alikes_give_a_plain_event(link: str) -> None:
    src = calendar(vevent(f"DESCRIPTION:{text('Join: ' + link)}"))
    out = enrich(src, ME, NO_NOTE)
    assert out == src.replace("END:VEVENT", "X-ZOOM-MEETING:FALSE\r\nEND:VEVENT")


def test_plain_event_gets_only_the_not_zoom_marker() -> None:
    src = calendar(
        vevent(
            "LOCATION:Conference room 4\\, building 2",
            "DESCRIPTION:Quarterly planning. Agenda: https://contoso.sharepoint.com/agenda",
            "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nTRIGGER:-PT15M\r\nEND:VALARM",
        )
    )
    out = enrich(src, ME, NO_NOTE)
    assert out == src.replace("BEGIN:VALARM", "X-ZOOM-MEETING:FALSE\r\nBEGIN:VALARM")
    assert strip(out) == src


def test_not_a_zoom_meeting_is_visible_with_the_host_by_default() -> None:
    src = calendar(
        vevent('ORGANIZER;CN="Wilber, Alex":mailto:alex@contoso.example', "DESCRIPTION:Agenda")
    )
    out = enrich(src, ME)
    assert props_of(out, "DESCRIPTION") == [
        ":Not a Zoom meeting · Host: Wilber\\, Alex\\n\\nAgenda"
    ]
    assert strip(out) == src
    bare = calendar(vevent())
    assert props_of(enrich(bare, ME), "DESCRIPTION") == [":Not a Zoom meeting"]
    assert strip(enrich(bare, ME)) == bare


def test_recurring_series_with_overrides_each_enriched() -> None:
    master = vevent(ORGANIZER, "RRULE:FREQ=WEEKLY;COUNT=10", f"DESCRIPTION:{text(ZOOM_BODY)}")
    moved = vevent(
        ORGANIZER,
        "RECURRENCE-ID;TZID=America/New_York:20250117T100000",
        f"DESCRIPTION:{text(ZOOM_BODY)}",
    )
    teams = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_X%40thread.v2/0"
    switched = vevent(
        ORGANIZER,
        "RECURRENCE-ID;TZID=America/New_York:20250124T100000",
        f"DESCRIPTION:This week on Teams: {teams}",
    )
    src = calendar(master, moved, switched)
    out = enrich(src, ME)
    assert props_of(out, "X-ZOOM-MEETING") == [":TRUE", ":TRUE", ":FALSE"]
    assert props_of(out, "X-ZOOM-MEETING-ID") == [":85512345678", ":85512345678"]
    assert props_of(out, "X-DAVBRIDGE-CONFERENCE") == [":teams"]
    assert strip(out) == src
    events = icalendar.Calendar.from_ical(out).walk("VEVENT")
    assert [detect(e).is_zoom for e in events if isinstance(e, icalendar.Event)] == [
        True,
        True,
        False,
    ]


def test_determinism_and_idempotence() -> None:
    for src in (OUTLOOK_ZOOM, calendar(vevent(f"DESCRIPTION:{text(SAFE)}"))):
        once = enrich(src, ME)
        assert enrich(src, ME) == once
        assert enrich(once, ME) == once
        assert enrich(strip(once), ME) == once
        assert strip(strip(once)) == strip(once)


def test_strip_tolerates_dropped_parameters_and_refolding() -> None:
    out = enrich(calendar(vevent(ORGANIZER, f"DESCRIPTION:{text(ZOOM_BODY)}")), ME)
    # A client that drops unknown parameters, writes LF and folds at 40 characters with tabs.
    pieces: list[str] = []
    for line in unfold(out):
        line = line.replace(";VALUE=URI", "").replace(";LABEL=Zoom", "")
        pieces.append("\n\t".join(line[i : i + 40] for i in range(0, len(line), 40)))
    mangled = "\n".join(pieces) + "\n"
    stripped = strip(mangled)
    assert stripped == calendar(vevent(ORGANIZER, f"DESCRIPTION:{text(ZOOM_BODY)}"))


def test_user_edits_survive_strip() -> None:
    out = "\r\n".join(unfold(enrich(calendar(vevent(f"DESCRIPTION:{text('Join: ' + JOIN)}")), ME)))
    edited = out.replace(f"LOCATION:{JOIN}", "LOCATION:Room 5")
    assert props_of(strip(edited), "LOCATION") == [":Room 5"]
    assert props_of(strip(edited), "URL") == []
    end = "-- end of Zoom meeting details (davbridge) --\\n\\n"
    edited = out.replace(end, end + "Bring slides.\\n")
    assert props_of(strip(edited), "DESCRIPTION") == [f":Bring slides.\\nJoin: {JOIN}"]


def test_lost_filled_marker_removes_url_but_keeps_location() -> None:
    src = calendar(vevent(f"DESCRIPTION:{text('Join: ' + JOIN)}"))
    out = enrich(src, ME)
    lost = "".join(
        line + "\r\n" for line in unfold(out) if not line.startswith("X-DAVBRIDGE-FILLED")
    )
    stripped = strip(lost)
    assert props_of(stripped, "URL") == []
    assert props_of(stripped, "LOCATION") == [f":{JOIN}"]
    # A client-created event that was never enriched keeps its URL.
    own = calendar(vevent(f"URL:{JOIN}", f"DESCRIPTION:{text('Join: ' + JOIN)}"))
    assert strip(own) == own


def test_detect_same_on_provider_and_enriched_event() -> None:
    raw = detect(event_of(OUTLOOK_ZOOM))
    enriched = detect(event_of(enrich(OUTLOOK_ZOOM, ME)))
    assert raw == enriched
    assert raw.zoom is not None
    assert (raw.zoom.join_url, raw.zoom.meeting_id, raw.zoom.passcode) == (
        JOIN,
        "85512345678",
        "123456",
    )
    assert raw.services == ("zoom",)
    assert raw.hosted_by(["ALEX@contoso.example"])
    assert raw.primary_join_url == JOIN
