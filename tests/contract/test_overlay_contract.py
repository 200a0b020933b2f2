# ruff: noqa: F811  (sandbox fixtures are imported so that `contract` can request them)
"""The lossless overlay at every provider (SPEC C10): what a client sends that the provider has
no field for is kept in the provider's own extension mechanism, so a second install (a fresh
provider object and a full listing, as a rebuilt mirror does) serves it back.

Run once per provider (Graph singleValueExtendedProperties, Google extendedProperties.private,
EWS ExtendedProperty) against its sandbox.
"""

from __future__ import annotations

import datetime as dt
import json

from bridge.ical.contentlines import parse, unfold
from bridge.model import RemoteItem
from tests.contract.ews_harness import ews_sandbox  # noqa: F401
from tests.contract.google_harness import (  # noqa: F401
    gh_fixture,
    google_control_fixture,
    google_sandbox_fixture,
)
from tests.contract.harness import ProviderHarness, contract  # noqa: F401
from tests.contract.test_calendar_contract import calendar

UTC = dt.UTC


def _z(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _series(start: dt.datetime) -> str:
    """An Apple Calendar-style series: X-APPLE-STRUCTURED-LOCATION with its parameters,
    SEQUENCE, RELATED-TO, CATEGORIES, DURATION, an X- parameter on an attendee and a
    STATUS:CANCELLED override (shapes: RFC 5545 §3.8.4.5 RELATED-TO, §3.8.2.5 DURATION,
    §3.8.1.11 STATUS; X-APPLE-STRUCTURED-LOCATION as in github.com/collective/icalendar
    issue #116)."""
    third = start + dt.timedelta(days=2)
    return (
        "\r\n".join(
            [
                "BEGIN:VCALENDAR",
                "VERSION:2.0",
                "PRODID:-//Apple Inc.//macOS 14.5//EN",
                "BEGIN:VEVENT",
                "UID:6B2E8A51-0D4C-4C6B-9E0A-OVERLAY-1",
                "DTSTAMP:20250101T000000Z",
                f"DTSTART:{_z(start)}",
                "DURATION:PT45M",
                "RRULE:FREQ=DAILY;COUNT=4",
                "SUMMARY:Overlay standup",
                "SEQUENCE:2",
                "RELATED-TO;RELTYPE=PARENT:parent-of-overlay-1",
                "CATEGORIES:Work",
                "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC",
                "X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-ADDRESS=367 George Street Sydney;"
                "X-APPLE-RADIUS=72;X-TITLE=367 George Street:geo:-33.868900,151.207000",
                "END:VEVENT",
                "BEGIN:VEVENT",
                "UID:6B2E8A51-0D4C-4C6B-9E0A-OVERLAY-1",
                "DTSTAMP:20250101T000000Z",
                f"RECURRENCE-ID:{_z(third)}",
                f"DTSTART:{_z(third)}",
                "DURATION:PT45M",
                "SUMMARY:Overlay standup",
                "STATUS:CANCELLED",
                "END:VEVENT",
                "END:VCALENDAR",
            ]
        )
        + "\r\n"
    )


KEPT = (
    "UID:6B2E8A51-0D4C-4C6B-9E0A-OVERLAY-1",
    "DURATION:PT45M",
    "SEQUENCE:2",
    "RELATED-TO;RELTYPE=PARENT:parent-of-overlay-1",
    "CATEGORIES:Work",
    "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC",
    "X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-ADDRESS=367 George Street Sydney;"
    "X-APPLE-RADIUS=72;X-TITLE=367 George Street:geo:-33.868900,151.207000",
    "STATUS:CANCELLED",
)


def _assert_kept(item: RemoteItem) -> None:
    lines = set(unfold(item.ical))
    missing = [line for line in KEPT if line not in lines]
    assert not missing, item.ical
    assert item.uid == "6B2E8A51-0D4C-4C6B-9E0A-OVERLAY-1"
    master = next(b for b in parse(item.ical)[0].blocks() if b.name == "VEVENT")
    assert master.first("DTEND") is None  # the client's DURATION, not both
    assert master.first("EXDATE") is None  # the cancelled override, as the client sent it


def test_client_only_properties_survive_a_second_install(contract: ProviderHarness) -> None:
    h = contract
    provider = h.provider()
    cal = calendar(provider, "Projects")
    start = dt.datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    start += dt.timedelta(days=3)
    created = provider.create(cal, _series(start), "key-overlay-1", h.window)
    _assert_kept(created)
    stored = json.dumps(h.snapshot(cal))
    assert "X-APPLE-STRUCTURED-LOCATION" not in stored  # compressed in the extension field
    assert h.overlay_field in stored  # … which the provider holds

    second = h.provider().pull(cal, None, h.window)  # a fresh install lists everything
    again = next(i for i in second.items if i.remote_id == created.remote_id)
    assert again.ical == created.ical
    _assert_kept(again)

    # An unchanged PUT of what the client got writes no new overlay and keeps it all.
    updated = provider.update(cal, created.remote_id, created.version, created.ical, h.window)
    _assert_kept(updated)


def test_a_provider_side_change_wins_over_the_client_spelling(contract: ProviderHarness) -> None:
    h = contract
    provider = h.provider()
    cal = calendar(provider, "Projects")
    start = dt.datetime.now(UTC).replace(hour=14, minute=0, second=0, microsecond=0)
    start += dt.timedelta(days=4)
    single = _series(start).replace("RRULE:FREQ=DAILY;COUNT=4\r\n", "")
    single = (
        single[: single.index("BEGIN:VEVENT", single.index("END:VEVENT"))] + "END:VCALENDAR\r\n"
    )
    created = provider.create(cal, single, "key-overlay-2", h.window)
    assert "DURATION:PT45M" in unfold(created.ical)
    h.rename(cal, created.remote_id, "Renamed at the provider")
    fresh = h.provider().fetch(cal, created.remote_id, h.window)
    assert fresh is not None
    lines = set(unfold(fresh.ical))
    assert "SUMMARY:Renamed at the provider" in lines
    assert "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC" in lines
    assert fresh.uid == "6B2E8A51-0D4C-4C6B-9E0A-OVERLAY-1"
