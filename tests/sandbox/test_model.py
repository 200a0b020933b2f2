"""The mailbox model and recurrence expansion, without HTTP; and seeding through the model."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from sandbox.gerrors import GraphError
from sandbox.mailbox import Mailboxes
from sandbox.seeding import apply_seed
from sandbox.server import Sandbox
from tests.sandbox.conftest import Graph, event_body, sign_in

UTC = dt.UTC
LO, HI = dt.datetime(2030, 1, 1, tzinfo=UTC), dt.datetime(2031, 1, 1, tzinfo=UTC)


def _series(
    mb: Mailboxes,
    pattern: dict[str, Any],
    rng: dict[str, Any],
    start: str = "2030-01-01T09:00:00",
    tz: str = "UTC",
) -> list[str]:
    user = mb.add_user("u@contoso.example", "U Ser", "pw")
    cal = mb.add_calendar(user.id, "Calendar", is_default=True)
    ev, _ = mb.create_event(
        cal,
        event_body(
            "s", start, start[:11] + "10:00:00", tz, recurrence={"pattern": pattern, "range": rng}
        ),
    )
    return [i.start.astimezone(UTC).strftime("%Y-%m-%d %H:%M") for i in mb.expand(ev, LO, HI)]


def test_relative_monthly_last_friday() -> None:
    got = _series(
        Mailboxes(),
        {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["friday"], "index": "last"},
        {"type": "numbered", "startDate": "2030-01-01", "numberOfOccurrences": 3},
    )
    assert got == ["2030-01-25 09:00", "2030-02-22 09:00", "2030-03-29 09:00"]


def test_absolute_yearly_and_end_date_range() -> None:
    got = _series(
        Mailboxes(),
        {"type": "absoluteYearly", "interval": 1, "month": 3, "dayOfMonth": 15},
        {"type": "endDate", "startDate": "2030-01-01", "endDate": "2030-12-31"},
    )
    assert got == ["2030-03-15 09:00"]


def test_weekly_keeps_wall_time_across_dst() -> None:
    got = _series(
        Mailboxes(),
        {"type": "weekly", "interval": 2, "daysOfWeek": ["tuesday"]},
        {"type": "numbered", "startDate": "2030-03-05", "numberOfOccurrences": 3},
        start="2030-03-05T09:00:00",
        tz="Pacific Standard Time",
    )
    # US DST starts 2030-03-10: 09:00 PST = 17:00Z, 09:00 PDT = 16:00Z
    assert got == ["2030-03-05 17:00", "2030-03-19 16:00", "2030-04-02 16:00"]


def test_invalid_recurrence_and_time_zone_are_bad_requests() -> None:
    mb = Mailboxes()
    user = mb.add_user("u@contoso.example", "U Ser", "pw")
    cal = mb.add_calendar(user.id, "Calendar", is_default=True)
    with pytest.raises(GraphError) as err:
        mb.create_event(
            cal,
            event_body(
                "s",
                "2030-01-01T09:00:00",
                "2030-01-01T10:00:00",
                recurrence={"pattern": {"type": "hourly"}, "range": {"type": "noEnd"}},
            ),
        )
    assert err.value.status == 400
    with pytest.raises(GraphError):
        mb.create_event(
            cal, event_body("s", "2030-01-01T09:00:00", "2030-01-01T10:00:00", "Mars Standard Time")
        )


@dataclass(frozen=True)
class _Cal:
    key: str
    name: str
    hex_color: str
    can_edit: bool
    owner_name: str
    owner_address: str
    is_default: bool


@dataclass(frozen=True)
class _Event:
    calendar_key: str
    key: str
    body: dict[str, Any]


@dataclass(frozen=True)
class _Edit:
    event_key: str
    occurrence_index: int
    patch: dict[str, Any]


@dataclass(frozen=True)
class _Cancel:
    event_key: str
    occurrence_index: int


@dataclass(frozen=True)
class _Seed:
    user_upn: str
    user_name: str
    calendars: tuple[_Cal, ...]
    events: tuple[Any, ...] = field(default=())


def test_apply_seed_makes_exceptions_and_cancellations() -> None:
    mb = Mailboxes()
    user = mb.add_user("x@contoso.example", "X", "pw")
    seed = _Seed(
        "alex@contoso.example",
        "Alex Wilber",
        (
            _Cal("main", "Calendar", "#0078D4", True, "Alex Wilber", "alex@contoso.example", True),
            _Cal("hol", "Holidays", "#107C10", False, "Megan", "megan@contoso.example", False),
        ),
        (
            _Event(
                "main",
                "daily",
                event_body(
                    "Daily",
                    "2030-01-01T09:00:00",
                    "2030-01-01T09:15:00",
                    recurrence={
                        "pattern": {"type": "daily", "interval": 1},
                        "range": {
                            "type": "numbered",
                            "startDate": "2030-01-01",
                            "numberOfOccurrences": 4,
                        },
                    },
                ),
            ),
            _Edit("daily", 1, {"subject": "Daily (moved)"}),
            _Cancel("daily", 2),
        ),
    )
    ids = apply_seed(mb, user.id, seed)
    assert mb.users[user.id].upn == "alex@contoso.example"
    assert not mb.calendars[ids["hol"]].can_edit
    rows = mb.view(mb.calendars[ids["main"]], LO, HI)
    assert [(r.kind, r.start.day) for r in rows] == [
        ("occurrence", 1),
        ("exception", 2),
        ("occurrence", 4),
    ]


def test_demo_seed_sandbox_serves_read_only_shared_calendar() -> None:
    sb = Sandbox(None, seed=True)
    info = sb.start()
    try:
        _, result = sign_in(info)
        graph = Graph(info, result["access_token"])
        cals = graph.get("/me/calendars").json()["value"]
        assert any(c["isDefaultCalendar"] for c in cals)
        read_only = [c for c in cals if not c["canEdit"]]
        assert read_only
        resp = graph.call(
            "POST",
            f"/me/calendars/{read_only[0]['id']}/events",
            json=event_body("x", "2030-01-01T09:00:00", "2030-01-01T10:00:00"),
        )
        assert resp.status_code == 403
    finally:
        sb.stop()
