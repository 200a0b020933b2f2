"""Cursor safety for the cloud providers (issue 14, point 7; the Exchange case is in
test_cursor_generation.py): a Graph deltaLink and a Google syncToken belong to the calendar
generation they came from. The sandbox's mailbox / calendar store is reset under a running
bridge (every event replaced by a new generation of bulk events), then the bridge's own
refresh runs: every event of the new generation is served, none twice, none of the old ones.

* Google keeps the primary calendar's id (the account's address) across the reset; the old
  syncToken is refused with 410 Gone ("Sync token is no longer valid, a full sync is
  required", https://developers.google.com/calendar/api/guides/sync#full_sync_required_by_server)
  and the bridge resyncs that collection in full.
* Microsoft Graph gives a recreated calendar a new id (ids are unique per item and never
  reused: https://learn.microsoft.com/en-us/graph/api/resources/calendar); the old calendar's
  delta answers 404, discovery drops the old collection and mirrors the new calendar from an
  empty cursor, so no old deltaLink is ever sent for the new calendar.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bridge.entry.demo import Demo, DemoInfo
from bridge.model import CollectionKind, CollectionRecord, ProviderKind
from tests.e2e.conftest import free_port

PROPFIND = (
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'
)
EVENTS = 300


def _demo(tmp_path_factory: pytest.TempPathFactory, kind: ProviderKind) -> Iterator[Any]:
    demo = Demo(
        tmp_path_factory.mktemp(f"generation-{kind.value}"),
        port=free_port(),
        refresh_interval_s=3600.0,
        background=False,
        providers=(kind,),
    )
    info = demo.start()
    yield demo, info
    demo.stop()


@pytest.fixture
def google(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, DemoInfo]]:
    yield from _demo(tmp_path_factory, ProviderKind.GOOGLE)


@pytest.fixture
def graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, DemoInfo]]:
    yield from _demo(tmp_path_factory, ProviderKind.GRAPH)


def control(sandbox: Any, method: str, path: str, **kw: Any) -> Any:
    """The sandbox runs in its own process: its control API over HTTPS."""
    r = requests.request(
        method, sandbox.control_url + path, verify=sandbox.ca_file, timeout=60, **kw
    )
    assert r.status_code == 200, r.text
    return r.json()


def served_hrefs(info: DemoInfo, name: str) -> list[str]:
    r = requests.request(
        "PROPFIND",
        f"{info.dav_url}{info.username}/{name}/",
        data=PROPFIND,
        headers={"Depth": "1", "Content-Type": "application/xml"},
        auth=(info.username, info.password),
        timeout=60,
    )
    assert r.status_code == 207, r.text
    hrefs = re.findall(r"<(?:\w+:)?href>([^<]+)</(?:\w+:)?href>", r.text)
    return [h for h in hrefs if not h.rstrip("/").endswith(name)]


def calendars(demo: Demo) -> list[CollectionRecord]:
    assert demo.bridge is not None
    return [
        c
        for c in demo.bridge.store.collections()
        if c.kind is CollectionKind.CALENDAR and c.remote_id and not c.holds_tasks
    ]  # event calendars (a reset mailbox also gets a new default task list, not looked at here)


def test_a_reset_google_calendar_is_resynced_in_full(google: tuple[Demo, DemoInfo]) -> None:
    demo, info = google
    assert demo.bridge is not None
    store, engine = demo.bridge.store, demo.bridge.engine
    assert info.sandboxes.google is not None
    primary = next(c for c in calendars(demo) if c.remote_id == info.sandboxes.google.user)
    old = {i.uid for i in store.items(primary.id)}
    assert old and store.collection(primary.id).cursor
    control(info.sandboxes.google, "POST", "/reset", json={"seed": False, "bulk_events": EVENTS})
    listed = control(info.sandboxes.google, "GET", f"/calendars/{primary.remote_id}/events")
    expected = {str(e["iCalUID"]) for e in listed}
    assert len(expected) == EVENTS and expected != old  # some UIDs recur: a restored calendar
    outcome = engine.refresh(primary.id)
    assert outcome is not None and outcome.reset, "the old syncToken was trusted"
    uids = Counter(i.uid for i in store.items(primary.id))
    assert set(uids) == expected  # every event of the new generation, none of the old ones
    assert max(uids.values()) == 1  # none twice
    assert len(served_hrefs(info, primary.name)) == EVENTS


def test_a_reset_graph_mailbox_is_mirrored_afresh(graph: tuple[Demo, DemoInfo]) -> None:
    demo, info = graph
    assert demo.bridge is not None
    store, engine = demo.bridge.store, demo.bridge.engine
    before = calendars(demo)
    assert before and all(store.collection(c.id).cursor for c in before)
    old_uids = {i.uid for c in before for i in store.items(c.id)}
    control(info.sandboxes.graph, "POST", "/reset", json={"seed": False, "bulk_events": EVENTS})
    (new_cal,) = control(info.sandboxes.graph, "GET", "/calendars")
    listed = control(info.sandboxes.graph, "GET", f"/calendars/{new_cal['id']}/events")
    expected = {str(e["iCalUId"]) for e in listed}
    assert len(expected) == EVENTS and expected != old_uids
    for coll in before:  # the running bridge's refresh of its old calendars: nothing served twice
        engine.refresh(coll.id)
    engine.discover_calendars(before[0].connection_id)
    after = calendars(demo)
    assert [c.remote_id for c in after] == [new_cal["id"]]  # the old calendars are gone
    (coll,) = after
    outcome = engine.refresh(coll.id)
    assert outcome is not None and outcome.changed == EVENTS
    uids = Counter(i.uid for i in store.items(coll.id))
    assert set(uids) == expected
    assert max(uids.values()) == 1
    assert len(served_hrefs(info, coll.name)) == EVENTS
    root = requests.request(  # the old calendars are no longer offered to clients
        "PROPFIND",
        f"{info.dav_url}{info.username}/",
        data=PROPFIND,
        headers={"Depth": "1", "Content-Type": "application/xml"},
        auth=(info.username, info.password),
        timeout=60,
    )
    assert all(f"/{c.name}/" not in root.text for c in before if c.name != coll.name)
