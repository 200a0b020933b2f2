"""The enrichment record (issue 10 point 1): what enrich() added is removed exactly from what a
client sends back, whatever the client did to the bookkeeping — kept it, re-serialised it as
Radicale's vobject parse does (a comma-separated X- property cut to its first value), or dropped
every X- property as SyncEvolution does — and a user's own edit survives."""

from __future__ import annotations

from collections.abc import Callable

import icalendar
import vobject
from hypothesis import given, settings

from bridge.joinlinks import Enrichment, EnrichOptions, enrich_with_record, remove_enrichment
from bridge.joinlinks.content import escape_text, serialize, unfold
from tests.unit.test_joinlinks_properties import ACCOUNTS, calendars, fragment


def radicale(text: str) -> str:
    """What Radicale 3.9 hands the storage plugin: a vobject parse and serialisation."""
    return str(vobject.readOne(text).serialize())


def syncevolution(text: str) -> str:
    """SyncEvolution drops every X- property."""
    return serialize(line for line in unfold(text) if not line.upper().startswith("X-"))


def fields(text: str) -> list[list[tuple[str, str]]]:
    """Per VEVENT, the properties a provider keeps (no X-), as decoded values, in order."""
    out: list[list[tuple[str, str]]] = []
    for event in icalendar.Calendar.from_ical(text).walk("VEVENT"):
        props = []
        for name, value in event.property_items(recursive=False):
            if name.startswith("X-") or name in ("BEGIN", "END"):
                continue
            decoded = value.to_ical()
            props.append((name, decoded.decode() if isinstance(decoded, bytes) else str(decoded)))
        out.append(sorted(props))
    return out


VARIANTS: dict[str, Callable[[str], str]] = {
    "raw": lambda t: t,
    "radicale": radicale,
    "syncevolution": syncevolution,
}


@settings(max_examples=120, deadline=None, database=None)
@given(calendars(fragment))
def test_unchanged_put_gives_back_the_provider_fields_in_every_variant(ical: str) -> None:
    for options in (EnrichOptions(), EnrichOptions(not_zoom_line=False)):
        served = enrich_with_record(ical, ACCOUNTS, options)
        record = Enrichment.from_json(served.record.to_json())
        for name, variant in VARIANTS.items():
            back = remove_enrichment(variant(served.text), record)
            # as if the bridge had added nothing (the generated text is not always valid TEXT)
            assert fields(back) == fields(variant(ical)), name


def _event(*lines: str) -> str:
    body = "\r\n".join(
        [
            "BEGIN:VEVENT",
            "UID:u1",
            "DTSTAMP:20250101T000000Z",
            "DTSTART:20250110T150000Z",
            "SUMMARY:Planning",
            'ORGANIZER;CN="Wilber, Alex":mailto:alex@contoso.example',
            *lines,
            "END:VEVENT",
        ]
    )
    return serialize(
        unfold(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}\r\nEND:VCALENDAR")
    )


ZOOM = "https://us02web.zoom.us/j/85512345678?pwd=aBc.1"


def test_filled_url_and_location_never_reach_the_provider_after_vobject() -> None:
    """The bug issue 10 reports: X-DAVBRIDGE-FILLED:URL,LOCATION cut to URL by vobject."""
    src = _event("DESCRIPTION:" + escape_text(f"Join: {ZOOM}"))
    served = enrich_with_record(src, ACCOUNTS)
    assert "X-DAVBRIDGE-FILLED:URL,LOCATION" in served.text
    for variant in VARIANTS.values():
        back = remove_enrichment(variant(served.text), served.record)
        event = icalendar.Calendar.from_ical(back).walk("VEVENT")[0]
        assert "LOCATION" not in event and "URL" not in event
        assert str(event["DESCRIPTION"]) == f"Join: {ZOOM}"


def test_placeholder_location_comes_back_and_user_edits_are_kept() -> None:
    src = _event("LOCATION:Microsoft Teams Meeting", "DESCRIPTION:" + escape_text(f"Agenda {ZOOM}"))
    served = enrich_with_record(src, ACCOUNTS)
    event = icalendar.Calendar.from_ical(served.text).walk("VEVENT")[0]
    assert str(event["LOCATION"]) == ZOOM
    back = remove_enrichment(radicale(served.text), served.record)
    assert str(icalendar.Calendar.from_ical(back).walk("VEVENT")[0]["LOCATION"]) == (
        "Microsoft Teams Meeting"
    )
    # the user edits the title, the location and the provider part of the description
    edited = (
        served.text.replace("SUMMARY:Planning", "SUMMARY:Planning (moved)")
        .replace(f"LOCATION:{ZOOM}", "LOCATION:Room 4")
        .replace("Agenda", "New agenda")
    )
    back = icalendar.Calendar.from_ical(remove_enrichment(syncevolution(edited), served.record))
    event = back.walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Planning (moved)"
    assert str(event["LOCATION"]) == "Room 4"
    assert str(event["DESCRIPTION"]) == f"New agenda {ZOOM}"


def test_not_a_zoom_note_is_removed_even_when_the_user_edits_below_it() -> None:
    src = _event("DESCRIPTION:Quarterly plan")
    served = enrich_with_record(src, ACCOUNTS)
    event = icalendar.Calendar.from_ical(served.text).walk("VEVENT")[0]
    assert str(event["DESCRIPTION"]).startswith("Not a Zoom meeting · Host: Wilber, Alex\n\n")
    edited = served.text.replace("Quarterly plan", "Quarterly plan\\, v2")
    back = icalendar.Calendar.from_ical(remove_enrichment(radicale(edited), served.record))
    assert str(back.walk("VEVENT")[0]["DESCRIPTION"]) == "Quarterly plan, v2"
