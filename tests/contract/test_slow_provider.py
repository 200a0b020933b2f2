# ruff: noqa: F811  (sandbox fixtures are imported so that `harness` can request them)
"""A provider slower than the bridge's own read timeout (issue 9 point 7; Graph's is 60 s, cut to
1 s here so the test runs fast): the Graph sandbox holds its answers back (a control-API
`delay_ms` rule: the request takes effect, the answer comes late), and

- a pull gives up in bounded time with a plain reason on the connection, while clients keep
  reading the mirror's last copy (stale, not lost);
- a write whose answer comes too late is retried with the same idempotency key (Graph's
  `transactionId`), so the provider holds the event once;
- a write the provider keeps answering too late gets 503 with Retry-After and a message saying
  the retry is safe — the provider may already hold it — and the client's retry of it creates
  nothing twice.

Through the Bridge facade with the real Graph provider against the Graph sandbox.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.api import Bridge
from bridge.errors import Busy
from bridge.model import CollectionKind, CollectionRecord
from bridge.providers.graph import http as graph_http
from bridge.settings import Settings
from tests.contract.conftest import Harness

READ_TIMEOUT_S = 1.0
HELD_MS = 3000  # each held answer comes well after the read timeout


class NoContacts:
    """The connection's contacts side: no address books (this test is about calendars)."""

    def list_address_books(self) -> list[Any]:
        return []


@pytest.fixture()
def bridge(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Bridge, Harness, CollectionRecord]]:
    monkeypatch.setattr(graph_http, "_TIMEOUT", (5.0, READ_TIMEOUT_S))
    settings = (
        Settings()
        .replace("store", data_dir=str(tmp_path / "data"))
        .replace("server", write_budget_seconds=6, lock_timeout_seconds=6)
        .replace("sync", background=False, refresh_interval_s=3600)
    )
    b = Bridge(settings)
    user = b.ensure_user("alex")
    secret = b.box.encrypt(json.dumps({"token": "t"}))
    conn = b.store.create_connection(user.id, "graph", harness.info.user, "{}", secret)
    b.connections._providers[conn.id] = (harness.provider(), NoContacts())  # type: ignore[assignment]
    b.sync_connection(conn.id)
    cal = next(
        c
        for c in b.collections_for("alex")
        if c.kind is CollectionKind.CALENDAR and c.display_name.startswith("Calendar")
    )
    try:
        yield b, harness, cal
    finally:
        b.close()


def event(uid: str, day: str = "20261120") -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{day}T100000Z\r\n"
        f"DTEND:{day}T110000Z\r\nSUMMARY:Held {uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def _at_provider(h: Harness, cal: CollectionRecord, summary: str) -> list[dict[str, Any]]:
    return [e for e in h.control.events(cal.remote_id) if e.get("subject") == summary]


def _in_thread(work: Any) -> dict[str, Any]:
    """Run `work` on a thread; a hang fails the test instead of stalling it."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = work()
        except Exception as exc:
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the bridge waited on the provider without a bound"
    return out


def test_a_pull_past_the_read_timeout_gives_up_and_the_mirror_keeps_serving(
    bridge: tuple[Bridge, Harness, CollectionRecord],
) -> None:
    b, h, cal = bridge
    before = {it.href: it.etag for it in b.items(cal)}
    assert before
    h.control.fault(match=r"^GET .*", delay_ms=HELD_MS, times=20)
    done = _in_thread(lambda: b.engine.refresh(cal.id))
    reader = b.items(cal)  # a client's read meanwhile: the mirror, not the provider
    assert {it.href: it.etag for it in reader} == before
    h.control.call("DELETE", "/faults")
    assert "error" not in done, done  # the pull's failure is recorded, not raised at a client
    # a temporary condition, in plain words on the connection (the portal shows it)
    status = b.store.connection(cal.connection_id)
    assert "no answer in time" in (status.error or ""), status
    assert {it.href: it.etag for it in b.items(cal)} == before  # nothing lost
    b.engine.refresh(cal.id)  # the provider answers again: the pull works and changes nothing
    assert {it.href: it.etag for it in b.items(cal)} == before


def test_a_create_answered_too_late_is_retried_without_a_duplicate(
    bridge: tuple[Bridge, Harness, CollectionRecord],
) -> None:
    b, h, cal = bridge
    h.control.fault(match=r"^POST .*/events", delay_ms=HELD_MS, times=1)
    done = _in_thread(lambda: b.put(cal, "late.ics", event("late-1"), conditional=False))
    assert "error" not in done, done
    assert len(_at_provider(h, cal, "Held late-1")) == 1
    assert [it.uid for it in b.items(cal)].count("late-1") == 1


def test_a_write_answered_too_late_every_time_is_503_and_its_retry_creates_nothing_twice(
    bridge: tuple[Bridge, Harness, CollectionRecord],
) -> None:
    b, h, cal = bridge
    # every attempt held: each one takes effect at Graph, no answer comes in time
    h.control.fault(match=r"^POST .*/events", delay_ms=HELD_MS, times=4)
    done = _in_thread(lambda: b.put(cal, "slow.ics", event("slow-1"), conditional=False))
    error = done.get("error")
    assert isinstance(error, Busy), done
    assert error.http_status == 503 and error.retry_after > 0
    assert "sending it again is safe" in error.message
    h.control.call("DELETE", "/faults")
    again = _in_thread(lambda: b.put(cal, "slow.ics", event("slow-1"), conditional=False))
    assert "error" not in again, again
    assert len(_at_provider(h, cal, "Held slow-1")) == 1
    assert [it.uid for it in b.items(cal)].count("slow-1") == 1
