"""The lossless overlay codec (bridge.ical.overlay): compute what the provider lost, merge it
back, guarded so that later provider-side changes win; encoding bound and chunking."""

from __future__ import annotations

import pytest

from bridge.errors import OverlayTooLarge
from bridge.ical import overlay
from bridge.ical.contentlines import fold, parse, unfold

# An Apple Calendar-style event: X-APPLE-STRUCTURED-LOCATION with its parameters (shape as in
# python icalendar issue #116, github.com/collective/icalendar/issues/116), SEQUENCE,
# RELATED-TO, CATEGORIES, DURATION and a cancelled override.
CLIENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//macOS 14.0//EN\r\n"
    "BEGIN:VEVENT\r\nUID:client-uid-1\r\nDTSTAMP:20240101T000000Z\r\n"
    "DTSTART:20240108T090000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=5\r\n"
    "SUMMARY:Standup\r\nSEQUENCE:3\r\nRELATED-TO;RELTYPE=PARENT:parent-uid\r\n"
    "CATEGORIES:Work,Daily\r\n"
    'ATTENDEE;CN="Ann";RSVP=TRUE;X-NUM-GUESTS=0:mailto:ann@example.com\r\n'
    "X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-ADDRESS=367 George Street Sydney;"
    "X-APPLE-RADIUS=72;X-TITLE=367 George Street:geo:-33.868900,151.207000\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:client-uid-1\r\nDTSTAMP:20240101T000000Z\r\n"
    "RECURRENCE-ID:20240110T090000Z\r\nDTSTART:20240110T090000Z\r\nDURATION:PT1H\r\n"
    "SUMMARY:Standup\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
PROVIDER = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davbridge//graph//EN\r\n"
    "BEGIN:VEVENT\r\nUID:040000008200E00074C5B7101A82E008\r\nDTSTAMP:20240102T000000Z\r\n"
    "DTSTART:20240108T090000Z\r\nDTEND:20240108T100000Z\r\nRRULE:FREQ=DAILY;COUNT=5\r\n"
    "EXDATE:20240110T090000Z\r\nSUMMARY:Standup\r\n"
    "ATTENDEE;CN=Ann;PARTSTAT=NEEDS-ACTION:mailto:ann@example.com\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _lines(text: str) -> set[str]:
    return set(unfold(text))


def test_everything_the_provider_lost_comes_back() -> None:
    found = overlay.compute(CLIENT, PROVIDER)
    merged = overlay.merge(PROVIDER, overlay.decode(overlay.encode(found)))
    lines = _lines(merged)
    for line in unfold(CLIENT):
        if line.startswith(("DTSTAMP", "PRODID", "EXDATE")):
            continue
        assert line in lines, line
    assert "DTEND:20240108T100000Z" not in lines  # the client's DURATION, not both
    assert not any(x.startswith("EXDATE") for x in lines)  # the cancelled VEVENT instead
    assert sum(1 for x in unfold(merged) if x == "BEGIN:VEVENT") == 2


def test_a_change_at_the_provider_wins_over_the_overlay() -> None:
    stored = overlay.encode(overlay.compute(CLIENT, PROVIDER))
    moved = PROVIDER.replace("DTEND:20240108T100000Z", "DTEND:20240108T113000Z").replace(
        "PARTSTAT=NEEDS-ACTION", "PARTSTAT=ACCEPTED"
    )
    merged, uid = overlay.apply(moved, stored)
    master = parse(merged)[0].blocks()[0]
    lines = {line.text for line in master.lines()}
    assert uid == "client-uid-1"
    assert "DTEND:20240108T113000Z" in lines and "DURATION:PT1H" not in lines
    assert "ATTENDEE;CN=Ann;PARTSTAT=ACCEPTED:mailto:ann@example.com" in lines
    assert "SEQUENCE:3" in lines  # the provider has no field for it: still kept


def test_an_occurrence_restored_at_the_provider_is_not_shown_cancelled() -> None:
    stored = overlay.encode(overlay.compute(CLIENT, PROVIDER))
    restored = PROVIDER.replace("EXDATE:20240110T090000Z\r\n", "")
    merged, _ = overlay.apply(restored, stored)
    assert "STATUS:CANCELLED" not in merged


def test_vcard_types_and_pref_and_unknown_properties() -> None:
    client = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:card-1\r\nFN:Ann Lee\r\nN:Lee;Ann;;;\r\n"
        "EMAIL;TYPE=WORK;TYPE=pref:ann@example.com\r\nTEL;TYPE=WORK,FAX:+1 555 0100\r\n"
        "TEL;TYPE=CELL:+1 555 0101\r\nX-JABBER;TYPE=WORK:ann@jabber.example\r\n"
        "item1.X-ABLabel:_$!<Other>!$_\r\nEND:VCARD\r\n"
    )
    provider = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:AAMkAD\r\nFN:Ann Lee\r\nN:Lee;Ann;;;\r\n"
        "EMAIL;TYPE=INTERNET,OTHER:ann@example.com\r\nTEL;TYPE=CELL:+1 555 0101\r\n"
        "END:VCARD\r\n"
    )
    stored = overlay.encode(overlay.compute(client, provider))
    merged, uid = overlay.apply(provider, stored)
    assert uid == "card-1"
    assert _lines(merged) >= set(unfold(client)) - {"UID:card-1"} | {"UID:card-1"}
    assert "EMAIL;TYPE=INTERNET,OTHER:ann@example.com" not in _lines(merged)


def test_nothing_lost_means_nothing_stored() -> None:
    assert overlay.encode(overlay.compute(PROVIDER, PROVIDER)) == ""
    assert overlay.apply(PROVIDER, "") == (PROVIDER, None)


def test_bridge_enrichment_is_never_stored() -> None:
    client = PROVIDER.replace(
        "SUMMARY:Standup\r\n",
        "SUMMARY:Standup\r\nX-ZOOM-MEETING:FALSE\r\nX-DAVBRIDGE-FILLED:URL\r\n"
        "CONFERENCE;VALUE=URI:https://zoom.us/j/123456789\r\n",
    )
    assert overlay.compute(client, PROVIDER).empty()


def test_past_the_bound_is_refused_with_the_bound_named() -> None:
    import secrets

    noise = "".join(f"X-NOISE-{i}:{secrets.token_hex(40)}\r\n" for i in range(400))
    client = PROVIDER.replace("SUMMARY:Standup\r\n", "SUMMARY:Standup\r\n" + noise)
    with pytest.raises(OverlayTooLarge) as caught:
        overlay.encode(overlay.compute(client, PROVIDER))
    assert caught.value.http_status == 400
    assert str(overlay.OVERLAY_MAX_BYTES) in caught.value.message


def test_chunks_fit_google_values_and_join_back() -> None:
    text = "a" * 2500
    keyed = overlay.keyed_chunks(text, "davbridge.o", old_count=5)
    assert all(v is None or len(v) <= 1024 for v in keyed.values())
    assert keyed["davbridge.o3"] is None and keyed["davbridge.o4"] is None
    assert overlay.from_keyed(keyed, "davbridge.o") == text


def test_garbage_stored_text_is_ignored() -> None:
    assert overlay.decode("not base64 !!") is None
    assert overlay.apply(PROVIDER, "eJwLSS0u") == (PROVIDER, None)


def test_folding_keeps_utf8_sequences_whole() -> None:
    line = "SUMMARY:" + "ü" * 100
    folded = fold(line)
    assert all(len(p.encode()) <= 75 for p in folded.split("\r\n"))
    assert unfold(folded) == [line]
    assert parse("BEGIN:VCARD\r\n" + folded + "\r\nEND:VCARD\r\n")[0].lines()[0].text == line


def test_an_event_sent_without_an_end_is_served_without_one_until_moved_at_the_provider() -> None:
    # python-caldav's anniversary fixture: an all-day yearly event with no DTEND (RFC 5545
    # §3.6.1: it lasts the day); providers store an explicit end
    client = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a1\r\n"
        "DTSTAMP:19970901T130000Z\r\nDTSTART;VALUE=DATE:19971102\r\nSUMMARY:Anniversary\r\n"
        "RRULE:FREQ=YEARLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    provider = client.replace("SUMMARY:", "DTEND;VALUE=DATE:19971103\r\nSUMMARY:").replace(
        "PRODID:x", "PRODID:-//davbridge//graph//EN"
    )
    stored = overlay.decode(overlay.encode(overlay.compute(client, provider)))
    assert not any(x.startswith("DTEND") for x in unfold(overlay.merge(provider, stored)))
    moved = provider.replace("DTEND;VALUE=DATE:19971103", "DTEND;VALUE=DATE:19971105")
    assert "DTEND;VALUE=DATE:19971105" in unfold(overlay.merge(moved, stored))
