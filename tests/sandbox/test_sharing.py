"""Shared and delegated calendars in the Graph sandbox (issue 15), as Microsoft documents them
("Share or delegate a calendar in Outlook", calendarPermission): the demo user lists the other
users' calendars with their owner and the role's canEdit / canViewPrivateItems, reads their
events (details included, as with application permissions), writes only where the role allows,
and sees an empty calendarPermissions collection on a calendar they do not own."""

from __future__ import annotations

from sandbox.server import Sandbox
from tests.sandbox.conftest import Control, Graph, event_body


def test_shared_calendars_by_role(sandbox: Sandbox, control: Control, graph: Graph) -> None:
    control.call("POST", "/reset", {"seed": True})
    rows = graph.get("/me/calendars").json()["value"]
    shared = {
        r["owner"]["name"]: r
        for r in rows
        if r["owner"]["address"] != sandbox.info.user and r["name"] == "Calendar"
    }
    megan, nestor, adele = (shared[n] for n in ("Megan Bowen", "Nestor Wilke", "Adele Vance"))
    assert megan["canEdit"] and megan["canViewPrivateItems"]
    assert nestor["canEdit"] and not nestor["canViewPrivateItems"]
    assert not adele["canEdit"] and not adele["canViewPrivateItems"]
    events = graph.get(f"/me/calendars/{nestor['id']}/events").json()["value"]
    assert {e["sensitivity"] for e in events} == {"normal", "private", "confidential"}
    created = graph.call(
        "POST",
        f"/me/calendars/{nestor['id']}/events",
        json=event_body("By the delegate", "2027-01-04T10:00:00", "2027-01-04T11:00:00"),
    )
    assert created.status_code == 201, created.text
    refused = graph.call(
        "POST",
        f"/me/calendars/{adele['id']}/events",
        json=event_body("By a reader", "2027-01-04T10:00:00", "2027-01-04T11:00:00"),
    )
    assert refused.status_code == 403
    perms = graph.get(f"/me/calendars/{nestor['id']}/calendarPermissions").json()["value"]
    assert perms == []  # "returns an empty calendar permissions collection" for a delegate
    assert graph.call("DELETE", f"/me/calendars/{nestor['id']}").status_code == 403
