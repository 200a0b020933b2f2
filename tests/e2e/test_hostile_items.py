"""Hostile provider items through `davbridge demo` (issue 9): an invitation with a description
past `[limits] description_chars` and a contact with more TELs than `tels_per_contact` are put
at the Microsoft 365 sandbox; the bridge pulls them, mirrors and serves them shortened (the
event marked X-DAVBRIDGE-LIMITED, the card whole with its first numbers indexed), and another
client's requests are answered all along."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from typing import Any

import caldav
import pytest
import requests

from tests.e2e.conftest import (
    GraphAdmin,
    RunningDemo,
    graph_calendars,
    start_demo,
    stop_demo,
    wait_for,
)
from tests.e2e.test_caldav_client import cal_path, http, soon

DESCRIPTION_CHARS = 1_000_000  # the default [limits] description_chars
TELS_PER_CONTACT = 200  # the default [limits] tels_per_contact


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A demo of its own: these tests put huge items at the provider."""
    running = start_demo(tmp_path_factory.mktemp("hostile"), 0)
    yield running
    assert stop_demo(running) == 0, running.log.read_text()


class Prober:
    """Another client: PROPFIND on a calendar and /health, over and over, in a thread."""

    def __init__(self, demo: RunningDemo, path: str) -> None:
        self.demo, self.path = demo, path
        self.answers: list[tuple[int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        body = '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'
        while not self._stop.is_set():
            began = time.monotonic()
            r = http(self.demo, "PROPFIND", self.path, body, Depth="1")
            health = requests.get(self.demo.url + "health", timeout=60)
            took = time.monotonic() - began
            self.answers.append((r.status_code if health.status_code == 200 else 0, took))
            time.sleep(0.1)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=120)


def test_huge_items_are_mirrored_and_served_shortened_while_others_are_answered(
    demo: RunningDemo,
) -> None:
    graph = GraphAdmin(demo.info)
    client = caldav.DAVClient(url=demo.url, username=demo.auth[0], password=demo.auth[1])
    calendars = graph_calendars(client)
    other = next(c for name, c in calendars.items() if name != "Calendar")
    subject = f"Huge invitation {uuid.uuid4().hex[:8]}"
    start = soon(days=2)
    blob = "Join https://zoom.us/j/85512345678 " + "x" * (DESCRIPTION_CHARS + 500_000)
    phones = [f"+49 30 {i:07d}" for i in range(TELS_PER_CONTACT + 100)]

    with Prober(demo, cal_path(other)) as prober:
        graph.json(
            "POST",
            f"/calendars/{graph.calendar_id('Calendar')}/events",
            json={
                "subject": subject,
                "body": {"contentType": "text", "content": blob},
                "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                "end": {
                    "dateTime": start.replace(hour=start.hour + 1).strftime("%Y-%m-%dT%H:%M:%S"),
                    "timeZone": "UTC",
                },
            },
        )
        graph.json(
            "POST",
            "/contacts",
            json={"givenName": "Many", "surname": "Numbers", "businessPhones": phones},
        )

        def served() -> str | None:
            window = {"start": start - dt.timedelta(hours=1), "end": start + dt.timedelta(hours=2)}
            for event in calendars["Calendar"].search(event=True, **window):
                text = event.data
                if subject in text:
                    return str(text)
            return None

        text = wait_for(served, timeout=120, interval=1.0)

        def indexed() -> bool:
            r = requests.get(
                demo.url + "lookup", params={"number": phones[10]}, auth=demo.auth, timeout=60
            )
            return r.status_code == 200

        wait_for(indexed, timeout=120, interval=1.0)

    assert "X-DAVBRIDGE-LIMITED:description_chars=1000000" in text
    assert "shortened by davbridge" in text
    assert "X-ZOOM-MEETING:TRUE" in text  # still enriched from the part kept
    assert len(text) < DESCRIPTION_CHARS + 200_000
    past = requests.get(
        demo.url + "lookup", params={"number": phones[-1]}, auth=demo.auth, timeout=60
    )
    assert past.status_code == 404  # numbers past the bound are not indexed

    assert prober.answers, "the other client got no answer at all"
    assert all(status == 207 for status, _ in prober.answers), prober.answers
    slowest = max(took for _, took in prober.answers)
    assert slowest < 10, f"another client waited {slowest:.1f} s"  # the freeze was 30 s +
