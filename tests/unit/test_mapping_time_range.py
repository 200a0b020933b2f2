"""The time range a mapping hands over with each item (issue 14, point 1) is the one the
mirror would compute by parsing the item's text: a CalDAV time-range query (RFC 4791 §9.9)
finds exactly the same events, on every golden case of every provider (series, overrides,
all-day, floating and foreign-zone events), while the first sync parses nothing twice."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from bridge.errors import IncompleteItem
from bridge.ical.rendering import serialise
from bridge.ical.timerange import enclosing_range
from bridge.ical.timezones import vtimezone
from bridge.providers.ews.mapping_read import ews_rendering
from bridge.providers.google.mapping_read import google_rendering
from bridge.providers.graph.mapping_read import graph_rendering
from tests.unit import test_ews_mapping as ews_cases
from tests.unit import test_google_mapping as google_cases
from tests.unit import test_graph_mapping as graph_cases


def _check(render: Any) -> None:
    try:
        rendering = render()
    except IncompleteItem:
        return  # skipped by the provider: no resource, no range
    assert rendering.span == enclosing_range(rendering.text)


@pytest.mark.parametrize("name", graph_cases.CASES)
def test_graph_range_is_the_texts(name: str) -> None:
    event, instances, window = graph_cases._load(name)
    _check(lambda: graph_rendering(event, instances, window))


@pytest.mark.parametrize("name", google_cases.CASES)
def test_google_range_is_the_texts(name: str) -> None:
    event, exceptions, window = google_cases._load(name)
    _check(lambda: google_rendering(event, exceptions, window))


@pytest.mark.parametrize("name", ews_cases.CASES)
def test_ews_range_is_the_texts(name: str) -> None:
    for master, *exceptions in ews_cases._resources(name):
        _check(lambda master=master, exceptions=exceptions: ews_rendering(master, exceptions))


@pytest.mark.parametrize(
    "summary",
    ["short", "x" * 73, "x" * 74, "x" * 75, "y" * 200, "é" * 40, "a\\,b" * 30, "ü" + "z" * 73],
)
def test_serialise_is_icalendars_own_bytes(summary: str) -> None:
    cal = Calendar()
    cal.add("PRODID", "-//t//t//EN")
    cal.add("VERSION", "2.0")
    event = Event()
    event.add("UID", "u1")
    event.add("SUMMARY", summary)
    event.add("DESCRIPTION", summary + "\n" + summary)
    event.add("DTSTART", dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC))
    cal.add_component(event)
    assert serialise(cal) == cal.to_ical().decode("utf-8")


def test_serialise_with_shared_time_zones_is_icalendars_own_bytes() -> None:
    zone = vtimezone("Europe/Berlin", 2026, 2027)  # cached: the same object every time
    for n in range(3):
        cal = Calendar()
        cal.add("PRODID", "-//t//t//EN")
        cal.add("VERSION", "2.0")
        cal.add_component(zone)
        event = Event()
        event.add("UID", f"u{n}")
        event.add("DTSTART", dt.datetime(2026, 7, 5, 10 + n, tzinfo=ZoneInfo("Europe/Berlin")))
        cal.add_component(event)
        assert serialise(cal) == cal.to_ical().decode("utf-8")
    assert vtimezone("Europe/Berlin", 2026, 2027) is zone
