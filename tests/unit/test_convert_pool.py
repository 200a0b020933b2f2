"""A large listing's conversion shared with a worker process (bridge/sync/convert_pool.py,
bridge/offload.py), and the Graph and Google single events' mapping likewise:
the drafts are the same, in the same order, as converted in this process alone — the worker
really takes part — and a worker that raises or dies costs nothing but time: the chunk is
converted here again (an item's real error then raises here), and the next listing has a
worker again."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bridge import offload
from bridge.ical.limits import ItemLimits
from bridge.joinlinks.enrich import EnrichOptions
from bridge.model import RemoteItem, SyncWindow
from bridge.providers.base import PullPage
from bridge.providers.google import item as google_item
from bridge.providers.graph import item as graph_item
from bridge.store import ItemDraft
from bridge.sync.convert_pool import Offload, converted
from bridge.sync.items import CalendarConversion

ME = "alex@contoso.example"


def _event(n: int) -> RemoteItem:
    body = (
        f"Join Zoom Meeting\\nhttps://contoso.zoom.us/j/9{n:09d}?pwd=abc{n}\\n"
        f"Meeting ID: 9{n:09d}\\nPasscode: {n:06d}"
        if n % 3 == 0
        else f"Agenda item {n}"
    )
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:event-{n}\r\nDTSTAMP:20270101T000000Z\r\n"
        f"DTSTART:20270102T{n % 24:02}0000Z\r\nDTEND:20270102T{n % 24:02}3000Z\r\n"
        f"SUMMARY:Event {n}\r\nORGANIZER;CN=Alex:mailto:{ME}\r\n"
        f"DESCRIPTION:{body}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return RemoteItem(f"rid-{n}", f"v{n}", f"event-{n}", text, span=(0, 1))


def _pages(items: Sequence[RemoteItem], size: int) -> list[PullPage]:
    return [
        PullPage(tuple(items[i : i + size]), (), True, 1, None) for i in range(0, len(items), size)
    ]


CONVERSION = CalendarConversion((ME,), {}, ItemLimits(), EnrichOptions(), False)


def _no_aliases(items: Sequence[RemoteItem]) -> dict[str, str]:
    return {}


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Chunks of 5 sent from the 10th item on; yields what each chunk's send answered."""
    monkeypatch.setattr(offload, "THRESHOLD", 10)
    monkeypatch.setattr(offload, "CHUNK", 5)
    # no idle exit during the test (a worker left idle by an earlier test could otherwise be
    # shut down between here and the test's first chunk: nothing would reach a worker)
    monkeypatch.setattr(offload, "IDLE_S", 3600.0)
    pool = offload.shared_pool()
    assert pool is not None
    pool.ready.result(timeout=120)  # started: chunks go to it from the first page on
    deadline = time.monotonic() + 120
    while pool.busy and time.monotonic() < deadline:  # a former test's chunks still running
        time.sleep(0.01)
    sent: list[bool] = []
    send = offload.Sharing._send

    def counting(self: offload.Sharing[Any, Any], chunk: offload.Chunk[Any, Any]) -> bool:
        answer = send(self, chunk)
        sent.append(answer)
        return answer

    monkeypatch.setattr(offload.Sharing, "_send", counting)
    yield sent


def _flatten(pairs: Iterator[tuple[PullPage, list[ItemDraft]]]) -> list[ItemDraft]:
    out: list[ItemDraft] = []
    for page, drafts in pairs:
        assert [d.remote_id for d in drafts] == [i.remote_id for i in page.items]
        out.extend(drafts)
    return out


def test_the_worker_converts_a_share_and_the_drafts_are_the_same(
    small_chunks: list[bool],
) -> None:
    items = [_event(n) for n in range(120)]
    here = [CONVERSION(item) for item in items]
    shared = _flatten(converted(_pages(items, 10), CONVERSION, Offload(CONVERSION, _no_aliases)))
    assert shared == here
    assert any(small_chunks), "no chunk went to the worker"
    assert any("X-ZOOM-JOIN-URL" in d.text for d in shared)


def test_a_listing_below_the_threshold_never_uses_the_worker(
    small_chunks: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(offload, "THRESHOLD", 1000)
    items = [_event(n) for n in range(40)]
    shared = _flatten(converted(_pages(items, 10), CONVERSION, Offload(CONVERSION, _no_aliases)))
    assert shared == [CONVERSION(item) for item in items]
    assert not any(small_chunks)


def test_meeting_aliases_found_here_reach_the_worker(small_chunks: list[bool]) -> None:
    items = [_event(n) for n in range(60)]

    def found(chunk: Sequence[RemoteItem]) -> dict[str, str]:
        return {i.remote_id: "organizer-" + i.uid for i in chunk if i.remote_id.endswith("7")}

    def here(item: RemoteItem) -> ItemDraft:  # as the engine converts one item
        return CONVERSION(item, found((item,)))

    shared = _flatten(converted(_pages(items, 10), here, Offload(CONVERSION, found)))
    assert any(small_chunks)
    for item, draft in zip(items, shared, strict=True):
        wanted = "organizer-" + item.uid if item.remote_id.endswith("7") else item.uid
        assert draft.uid == wanted and f"UID:{wanted}\r\n" in draft.text


@dataclasses.dataclass(frozen=True)
class _DiesInWorker(CalendarConversion):
    parent: int = 0

    def __call__(self, item: RemoteItem, found: object = None) -> ItemDraft:
        if os.getpid() != self.parent:
            os._exit(3)  # the worker process dies mid-chunk
        return super().__call__(item)


def test_a_worker_that_dies_costs_only_time(small_chunks: list[bool]) -> None:
    items = [_event(n) for n in range(60)]
    dying = _DiesInWorker(**vars(CONVERSION), parent=os.getpid())
    shared = _flatten(converted(_pages(items, 10), dying, Offload(dying, _no_aliases)))
    assert shared == [CONVERSION(item) for item in items]
    assert any(small_chunks)
    # the next listing has a worker again
    pool = offload.shared_pool()
    assert pool is not None
    pool.ready.result(timeout=120)
    small_chunks.clear()
    again = _flatten(converted(_pages(items, 10), CONVERSION, Offload(CONVERSION, _no_aliases)))
    assert again == shared and any(small_chunks)


def test_an_item_that_cannot_be_converted_raises_here_as_without_the_worker(
    small_chunks: list[bool],
) -> None:
    items = [_event(n) for n in range(60)]
    broken = dataclasses.replace(items[35], ical=None)  # type: ignore[arg-type]
    items[35] = broken
    with pytest.raises((TypeError, AttributeError)):
        CONVERSION(broken)
    with pytest.raises((TypeError, AttributeError)):
        _flatten(converted(_pages(items, 10), CONVERSION, Offload(CONVERSION, _no_aliases)))
    assert any(small_chunks)


def test_what_the_worker_logs_is_logged_by_the_bridge(
    small_chunks: list[bool], caplog: pytest.LogCaptureFixture
) -> None:
    short = dataclasses.replace(CONVERSION, limits=ItemLimits(description_chars=8))
    items = [dataclasses.replace(_event(n), version=f"logged-{n}") for n in range(60)]
    with caplog.at_level(logging.WARNING, logger="davbridge"):
        shared = _flatten(converted(_pages(items, 10), short, Offload(short, _no_aliases)))
    assert any(small_chunks)
    assert len(shared) == 60
    warned = [r.getMessage() for r in caplog.records if "past a limit" in r.getMessage()]
    # each item once, whichever process converted it
    assert sorted(m.split(" is past")[0] for m in warned) == sorted(
        f"provider item {i.uid}" for i in items
    )
    assert all("description_chars = 8" in m for m in warned)


GOLDEN = Path(__file__).resolve().parents[1] / "golden"
WIDE = SyncWindow(dt.datetime(2010, 1, 1, tzinfo=dt.UTC), dt.datetime(2040, 1, 1, tzinfo=dt.UTC))


def _golden_singles(provider: str) -> list[dict[str, Any]]:
    events = []
    for path in sorted((GOLDEN / provider).glob("*.json")):
        event = json.loads(path.read_text(encoding="utf-8"))["event"]
        if not event.get("recurrence") and not event.get("recurringEventId"):
            events.append(event)
    return events


def test_the_worker_maps_graph_single_events_as_the_provider_does(
    small_chunks: list[bool],
) -> None:
    pairs = [(event, "") for event in _golden_singles("graph")] * 4
    mapping = functools.partial(graph_item.single_or_skip, window=WIDE, account_email=ME)
    sharing = offload.Sharing(mapping, lambda _chunk: mapping)
    shared = sharing.map(pairs[:10]) + sharing.map(pairs[10:])
    assert shared == [mapping(pair) for pair in pairs]
    assert any(small_chunks) and any(item is not None for item in shared)


def test_the_worker_maps_google_single_events_as_the_provider_does(
    small_chunks: list[bool],
) -> None:
    events = _golden_singles("google") * 4
    mapping = functools.partial(google_item.single_or_skip, window=WIDE)
    sharing = offload.Sharing(mapping, lambda _chunk: mapping)
    shared = sharing.map(events[:10]) + sharing.map(events[10:])
    assert shared == [mapping(event) for event in events]
    assert any(small_chunks) and any(item is not None for item in shared)


def test_an_idle_worker_exits_and_the_next_listing_starts_another(
    small_chunks: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [_event(n) for n in range(40)]
    pool = offload.shared_pool()
    assert pool is not None
    first = _flatten(converted(_pages(items, 10), CONVERSION, Offload(CONVERSION, _no_aliases)))
    assert any(small_chunks)
    monkeypatch.setattr(offload, "IDLE_S", 0.2)  # from now on: idle after the listing
    deadline = time.monotonic() + 30
    while offload._pool is pool and time.monotonic() < deadline:
        time.sleep(0.05)
    assert offload._pool is not pool, "the idle worker was not shut down"
    assert pool.executor._processes is None or not any(  # its process is gone
        p.is_alive() for p in pool.executor._processes.values()
    )
    monkeypatch.setattr(offload, "IDLE_S", 3600.0)
    again = offload.shared_pool()
    assert again is not None and again is not pool
    again.ready.result(timeout=120)
    small_chunks.clear()
    second = _flatten(converted(_pages(items, 10), CONVERSION, Offload(CONVERSION, _no_aliases)))
    assert second == first and any(small_chunks)
