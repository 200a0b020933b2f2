"""Single-value extended properties on Graph events in the sandbox, as the Graph docs describe
them (extended-properties-overview.md, singlevaluelegacyextendedproperty-post-
singlevalueextendedproperties.md, singlevaluelegacyextendedproperty-get.md, event-delta.md)."""

from __future__ import annotations

from tests.sandbox.conftest import Graph, event_body

PROP = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name Color"
OTHER = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name Size"
EXPAND = f"$expand=singleValueExtendedProperties($filter=id eq '{PROP}')"


def test_written_on_create_patched_alone_and_only_returned_when_expanded(graph: Graph) -> None:
    body = event_body("Tagged", "2030-01-07T09:00:00", "2030-01-07T10:00:00")
    body["singleValueExtendedProperties"] = [
        {"id": PROP, "value": "Green"},
        {"id": OTHER, "value": "L"},
    ]
    made = graph.call("POST", "/me/events", json=body).json()
    assert "singleValueExtendedProperties" not in made  # not without $expand
    got = graph.get(f"/me/events/{made['id']}?{EXPAND}").json()
    assert got["singleValueExtendedProperties"] == [{"id": PROP, "value": "Green"}]
    patch = {"singleValueExtendedProperties": [{"id": PROP, "value": "Blue"}]}
    assert graph.call("PATCH", f"/me/events/{made['id']}", json=patch).status_code == 200
    every = graph.get(f"/me/events/{made['id']}?$expand=singleValueExtendedProperties").json()
    values = {p["id"]: p["value"] for p in every["singleValueExtendedProperties"]}
    assert values == {PROP: "Blue", OTHER: "L"}  # a PATCH leaves the others alone


def test_filtered_listing_finds_items_by_property_value(graph: Graph) -> None:
    cal = next(c for c in graph.get("/me/calendars").json()["value"] if c["isDefaultCalendar"])
    for name, color in (("A", "Red"), ("B", "Teal")):
        body = event_body(name, "2030-01-08T09:00:00", "2030-01-08T10:00:00")
        body["singleValueExtendedProperties"] = [{"id": PROP, "value": color}]
        graph.call("POST", f"/me/calendars/{cal['id']}/events", json=body)
    flt = f"singleValueExtendedProperties/Any(ep: ep/id eq '{PROP}' and ep/value eq 'Teal')"
    found = graph.get(f"/me/calendars/{cal['id']}/events?$filter={flt}&{EXPAND}").json()
    assert [e["subject"] for e in found["value"]] == ["B"]
    assert found["value"][0]["singleValueExtendedProperties"][0]["value"] == "Teal"


def test_delta_refuses_expand(graph: Graph) -> None:
    window = "startDateTime=2030-01-01T00:00:00Z&endDateTime=2030-03-01T00:00:00Z"
    resp = graph.get(f"/me/calendarView/delta?{window}&{EXPAND}")
    assert resp.status_code == 400
