"""The per-user "Not a Zoom meeting" line (issue 10 point 6): on by default, switched on the
profile page, applied to every event of that user at once (served bytes and ETags change),
and never written back to the provider (the write path removes it like the join block)."""

from __future__ import annotations

from bridge.model import CollectionKind
from tests.portal.conftest import Running, signed_in


def _events(running: Running) -> dict[tuple[int, str], tuple[str, str]]:
    bridge = running.bridge
    found: dict[tuple[int, str], tuple[str, str]] = {}
    for coll in bridge.collections_for("demo"):
        if coll.kind is CollectionKind.CALENDAR:
            for item in bridge.items(coll):
                found[(coll.id, item.href)] = (item.etag, item.text or "")
    return found


def test_not_a_zoom_line_is_a_profile_switch_that_rerenders_events(running: Running) -> None:
    browser = signed_in(running, "demo", password=running.info.portal_password)
    page = browser.get("/").text
    assert "Not a Zoom meeting · Host: …" in page and "Switch this line off" in page
    before = _events(running)
    marked = {k for k, (_, text) in before.items() if "Not a Zoom meeting" in text}
    assert marked  # default on: the demo's plain events carry the line with their host
    assert any("Not a Zoom meeting · Host: " in before[k][1] for k in marked)

    off = browser.post("/settings/not-zoom-line", {"on": "0"})
    assert off.status_code == 200 and "Switch this line on" in off.text
    after = _events(running)
    assert not any("DESCRIPTION:Not a Zoom meeting" in t for _, t in after.values())
    assert all(after[k][0] != before[k][0] for k in marked)  # new bytes, new ETags
    zoom_only = [k for k in before if k not in marked]
    assert all(after[k] == before[k] for k in zoom_only)  # Zoom meetings are untouched

    on = browser.post("/settings/not-zoom-line", {"on": "1"})
    assert on.status_code == 200 and "Switch this line off" in on.text
    assert _events(running) == before  # deterministic: the same bytes as before
    assert browser.post("/settings/not-zoom-line", {"on": "maybe"}).status_code == 400
