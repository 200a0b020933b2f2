"""The light components (bridge/ical/light.py, issue 14 point 1) write exactly the bytes — and
hand over exactly the time range — that icalendar writes for the same mapping: for every
golden case of Microsoft 365, Google and Exchange, and for the values the mappings meet
(escapes, long and non-ASCII lines, zones, parameters that need quotes). What they do not
cover falls back to icalendar, so a served event never depends on which path built it."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Event, vCalAddress, vGeo, vText
from icalendar.parser.string import _foldline

from bridge.errors import IncompleteItem
from bridge.ical.light import LightComponent, Unsupported, escape_text, fold, light_event
from bridge.ical.rendering import Rendering
from bridge.providers.common.zones import ICAL, LIGHT, Kit
from bridge.providers.ews import mapping_read as ews
from bridge.providers.google import mapping_read as google
from bridge.providers.graph import mapping_read as graph
from tests.unit import test_ews_mapping as ews_cases
from tests.unit import test_google_mapping as google_cases
from tests.unit import test_graph_mapping as graph_cases

covered: dict[str, int] = {}


def _same(provider: str, build: Callable[[Kit], Rendering]) -> None:
    try:
        want = build(ICAL)
    except IncompleteItem:
        with pytest.raises(IncompleteItem):
            build(LIGHT)
        return
    try:
        got = build(LIGHT)
    except Unsupported:
        return  # the provider's rendering falls back to icalendar: `want` is served
    covered[provider] = covered.get(provider, 0) + 1
    assert got.text == want.text
    assert got.span == want.span


@pytest.mark.parametrize("name", graph_cases.CASES)
def test_graph_light_text_is_icalendars(name: str) -> None:
    event, instances, window = graph_cases._load(name)
    _same("graph", lambda kit: graph._rendering(event, instances, window, kit))


@pytest.mark.parametrize("name", google_cases.CASES)
def test_google_light_text_is_icalendars(name: str) -> None:
    event, exceptions, window = google_cases._load(name)
    _same("google", lambda kit: google._rendering(event, exceptions, window, kit))


@pytest.mark.parametrize("name", ews_cases.CASES)
def test_ews_light_text_is_icalendars(name: str) -> None:
    for master, *exceptions in ews_cases._resources(name):
        _same("ews", lambda kit, m=master, x=exceptions: ews._rendering(m, x, kit))


def test_most_golden_cases_take_the_light_path() -> None:
    """Not a fallback for everything: single events and most series are written light."""
    for name in graph_cases.CASES:
        test_graph_light_text_is_icalendars(name)
    for name in google_cases.CASES:
        test_google_light_text_is_icalendars(name)
    assert covered.get("graph", 0) >= len(graph_cases.CASES) // 2
    assert covered.get("google", 0) >= len(google_cases.CASES) // 2


_SAMPLES = [
    "",
    "plain",
    "a,b;c\\d\ne\r\nf",
    "\\N and \\n",
    "x" * 73,
    "x" * 74,
    "x" * 75,
    "y" * 300,
    "é" * 40,
    "ü" + "z" * 73,
    "Zoom: https://zoom.us/j/1?pwd=a;b,c",
    "O'Brien, Jo",
    'quote " inside',
    "tab\there",
    "日本語のテキスト" * 12,
]


def _random_text(rng: random.Random) -> str:
    alphabet = "ab ,;:\\^\n\"'é€\U0001f600xyz0123456789"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 230)))


def _both(name: str, value: Any, parameters: dict[str, Any] | None = None) -> tuple[str, str]:
    event = Event()
    try:
        event.add(name, value, parameters=dict(parameters) if parameters else None)
        want = event.to_ical().decode("utf-8")
    except (AssertionError, ValueError):  # icalendar refuses a verbatim value with a line break
        with pytest.raises(Unsupported):
            light_event().add(name, value, parameters=parameters)
        return "", ""
    light = light_event()
    light.add(name, value, parameters=parameters)
    got = "".join(fold(line) + "\r\n" for line in light.lines())
    return got, want


@pytest.mark.parametrize("text", _SAMPLES + [_random_text(random.Random(s)) for s in range(40)])
def test_text_properties_are_written_as_icalendar_does(text: str) -> None:
    for name in ("SUMMARY", "DESCRIPTION", "LOCATION", "X-MICROSOFT-SENSITIVITY", "URL"):
        got, want = _both(name, text)
        assert got == want
    got, want = _both("X-CONFERENCE-ID", vText(text))
    assert got == want
    if text and "\n" not in text and '"' not in text:
        address = vCalAddress("mailto:a@example.org")
        address.params["CN"] = text
        address.params["PARTSTAT"] = "ACCEPTED"
        got, want = _both("ATTENDEE", address)
        assert got == want
        params = {"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": text}
        got, want = _both("CONFERENCE", "https://x.example/j/1", params)
        assert got == want


@pytest.mark.parametrize("text", _SAMPLES + [_random_text(random.Random(s)) for s in range(40)])
def test_folding_is_icalendars(text: str) -> None:
    line = "DESCRIPTION:" + escape_text(text)
    assert fold(line) == _foldline(line)


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 3, 1, 10, 0, 7, 999, tzinfo=ZoneInfo("Europe/Berlin")),
        dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC),
        dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 7, 1, 23, 30, tzinfo=ZoneInfo("America/Los_Angeles")),
        dt.datetime(2026, 7, 1, 23, 30, tzinfo=ZoneInfo("UTC")),
        dt.date(2026, 12, 31),
    ],
)
def test_dates_are_written_as_icalendar_does(value: dt.date) -> None:
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "DTSTAMP", "CREATED", "LAST-MODIFIED"):
        got, want = _both(name, value)
        assert got == want


def test_other_values_are_icalendars_own() -> None:
    for name, value in (
        ("PRIORITY", 1),
        ("TRIGGER", -dt.timedelta(minutes=15)),
        ("TRIGGER", -dt.timedelta(days=1, minutes=90)),
        ("CATEGORIES", ["x,y", "z"]),
        ("GEO", vGeo((47.5, -122.25))),
        ("EXDATE", [dt.datetime(2026, 3, 1, 10, tzinfo=ZoneInfo("Europe/Berlin"))]),
    ):
        got, want = _both(name, value)
        assert got == want


def test_property_order_and_subcomponents_are_icalendars() -> None:
    icalendar_event, light = Event(), light_event()
    for name, value in (
        ("X-B", "2"),
        ("UID", "u"),
        ("ATTENDEE", "mailto:b@example.org"),
        ("SUMMARY", "s"),
        ("ATTENDEE", "mailto:a@example.org"),
        ("DTSTART", dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)),
        ("CLASS", "PUBLIC"),
    ):
        icalendar_event.add(name, value)
        light.add(name, value)
    from icalendar import Alarm

    from bridge.ical.light import light_alarm

    alarm, light_a = Alarm(), light_alarm()
    for target in (alarm, light_a):
        target.add("TRIGGER", -dt.timedelta(minutes=5))
        target.add("ACTION", "DISPLAY")
    icalendar_event.add_component(alarm)
    light.add_component(light_a)
    want = icalendar_event.to_ical().decode("utf-8")
    assert "".join(fold(line) + "\r\n" for line in light.lines()) == want


def test_what_is_not_covered_says_so() -> None:
    light = LightComponent("VEVENT")
    with pytest.raises(Unsupported):
        light.add("DTSTART", dt.datetime(2026, 1, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    light.add("DTSTART", dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC))
    with pytest.raises(Unsupported):
        del light["DTSTART"]
    with pytest.raises(Unsupported):
        light.add("ATTENDEE", ["mailto:a@example.org", "mailto:b@example.org"])
