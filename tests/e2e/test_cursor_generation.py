"""Cursor safety (issue 14, point 7): a provider cursor belongs to the folder generation it
came from. When the Exchange mailbox is reset under a running bridge (a new mailbox whose
SyncStates, ids and change numbers may repeat the old ones), the old SyncState is refused
(ErrorInvalidSyncStateData) and the bridge resyncs the calendar in full: every event of the
new mailbox is served, none twice, none of the old ones left.

It was seen failing the other way: the old SyncState was accepted by the new mailbox, and
the bridge served 1,893 of 2,000 events (only those created after the old state's change
number)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
import requests

from bridge.demo import Demo, DemoInfo
from bridge.model import CollectionKind, ProviderKind
from tests.e2e.conftest import free_port

PROPFIND = (
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'
)
EVENTS = 600  # more changes than the demo mailbox had: the old change number is in range


@pytest.fixture
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, DemoInfo]]:
    demo = Demo(
        tmp_path_factory.mktemp("generation"),
        port=free_port(),
        refresh_interval_s=3600.0,
        background=False,
        providers=(ProviderKind.EWS,),
    )
    info = demo.start()
    yield demo, info
    demo.stop()


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


def test_a_reset_mailbox_is_resynced_in_full(running: tuple[Demo, DemoInfo]) -> None:
    demo, info = running
    assert demo.bridge is not None
    bridge = demo.bridge
    calendar = next(
        c
        for c in bridge.store.collections()
        if c.kind is CollectionKind.CALENDAR and c.remote_id and "Calendar" in c.display_name
    )
    before = {i.uid for i in bridge.store.items(calendar.id)}
    assert before and bridge.store.collection(calendar.id).cursor
    r = requests.post(
        info.sandboxes.ews.control_url + "/reset",
        json={"seed": False, "bulk_events": EVENTS},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    listed = requests.get(  # the sandbox runs in its own process: its control API
        info.sandboxes.ews.control_url + "/items", params={"folder": "calendar"}, timeout=60
    )
    expected = {str(item["uid"]) for item in listed.json()}
    assert len(expected) == EVENTS
    outcome = bridge.engine.refresh(calendar.id)
    assert outcome is not None and outcome.reset, "the old SyncState was trusted"
    uids = Counter(i.uid for i in bridge.store.items(calendar.id))
    assert set(uids) == expected  # every event of the new mailbox, none of the old ones
    assert max(uids.values()) == 1  # none twice
    assert len(served_hrefs(info, calendar.name)) == EVENTS
