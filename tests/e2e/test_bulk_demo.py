"""`davbridge demo --bulk-events N` (issue 14, point 4): each provider sandbox gets a calendar
of N generated events beside its demo data, which clients see as "Bulk — <service>"; starting
the demo again on the same data directory keeps that calendar (no second one, no new events)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.cli import parser
from bridge.demo import Demo
from bridge.model import CollectionKind
from tests.e2e.conftest import free_port

EVENTS = 40
SERVICES = ("Microsoft 365", "Google", "Exchange")


def bulk_calendars(demo: Demo) -> dict[str, int]:
    assert demo.bridge is not None
    store = demo.bridge.store
    return {
        c.display_name: len(store.items(c.id))
        for c in store.collections()
        if c.kind is CollectionKind.CALENDAR and c.display_name.startswith("Bulk")
    }


def test_bulk_calendars_beside_the_demo_data(tmp_path: Path) -> None:
    demo = Demo(tmp_path, port=free_port(), background=False, bulk_calendar=EVENTS)
    demo.start()
    try:
        assert bulk_calendars(demo) == {f"Bulk — {s}": EVENTS for s in SERVICES}
        assert demo.bridge is not None
        names = {c.display_name for c in demo.bridge.store.collections()}
        assert {"Calendar — Microsoft 365", "Calendar — Google", "Calendar — Exchange"} <= names
    finally:
        demo.stop()
    again = Demo(tmp_path, port=free_port(), background=False, bulk_calendar=EVENTS)
    again.start()
    try:
        assert bulk_calendars(again) == {f"Bulk — {s}": EVENTS for s in SERVICES}
    finally:
        again.stop()


@pytest.mark.parametrize("value", ["-1", "many"])
def test_bulk_events_must_be_a_whole_number(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args(["demo", "--bulk-events", value])
    assert exit_.value.code == 2
    assert "--bulk-events" in capsys.readouterr().err
