"""The Graph sandbox's contacts surface, seen as a Graph client sees it (raw HTTP)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.contacts_routes import jpeg_size
from sandbox.contacts_seed import NAMED, seed_contacts, tiny_jpeg
from sandbox.server import Sandbox
from sandbox.state import SandboxState
from tests.sandbox import conftest as sbconf
from tests.sandbox.conftest import Control, Graph, sign_in


@pytest.fixture
def seeded() -> Iterator[Sandbox]:
    sb = Sandbox(None, seed=True)
    sb.start()
    yield sb
    sb.stop()


def _graph(sb: Sandbox, monkeypatch: pytest.MonkeyPatch, scopes: list[str]) -> Graph:
    monkeypatch.setattr(sbconf, "SCOPES", scopes)
    _, result = sign_in(sb.info)
    return Graph(sb.info, result["access_token"])


@pytest.fixture
def graph_rw(seeded: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Graph:
    return _graph(seeded, monkeypatch, ["Contacts.ReadWrite"])


@pytest.fixture
def ctl(seeded: Sandbox) -> Control:
    return Control(seeded.info)


def _folders(ctl: Control) -> dict[str, dict[str, Any]]:
    return {f["path"]: f for f in ctl.call("GET", "/contacts/folders")}


def _all(graph: Graph, path: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    url: str | None = path
    while url:
        resp = graph.call("GET", url, headers=headers)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        rows += body["value"]
        url = body.get("@odata.nextLink")
    return rows


def test_seed_is_deterministic_and_has_the_named_contacts_and_spellings() -> None:
    first, second = seed_contacts(), seed_contacts()
    assert first == second and 55 <= len(first) <= 65
    text = repr([c.body for c in first])
    for spelling in (
        "+49 30 1234567",
        "030 7654321",
        "0049 89 1234 5678",
        "+1 (646) 555-0100",
        "646-555-0199",
        "+44 20 7946 0958",
        "+49 30 1234567-89",
    ):
        assert spelling in text
    names = {c.body.get("displayName") for c in NAMED}
    assert {"Max Mustermann", "Erika Musterfrau"} <= names
    assert sum(1 for c in first if c.photo_gray is not None) >= 10
    assert jpeg_size(tiny_jpeg(42)) == (8, 8)


def test_folders_nest_and_the_default_has_a_well_known_name(graph_rw: Graph, ctl: Control) -> None:
    top = _all(graph_rw, "/me/contactFolders")
    assert sorted(f["displayName"] for f in top) == ["Clients", "Family"]
    default = graph_rw.get("/me/contactFolders/contacts").json()
    assert default["displayName"] == "Contacts"
    assert {f["parentFolderId"] for f in top} == {default["id"]}
    clients = next(f for f in top if f["displayName"] == "Clients")
    children = _all(graph_rw, f"/me/contactFolders/{clients['id']}/childFolders")
    assert [c["displayName"] for c in children] == ["Europe"]
    # a contact through the nested path, and the default folder through /me/contacts
    europe = children[0]["id"]
    nested = _all(graph_rw, f"/me/contactFolders/{clients['id']}/childFolders/{europe}/contacts")
    assert {c["displayName"] for c in nested} >= {"Oliver Wright", "Klaus Becker"}
    one = graph_rw.get(
        f"/me/contactFolders/{clients['id']}/childFolders/{europe}/contacts/{nested[0]['id']}"
    )
    assert one.status_code == 200 and one.json()["parentFolderId"] == europe
    mine = {c["displayName"] for c in _all(graph_rw, "/me/contacts")}
    assert {"Max Mustermann", "Erika Musterfrau"} <= mine
    dup = graph_rw.call("POST", "/me/contactFolders", json={"displayName": "clients"})
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "ErrorFolderExists"


def test_contact_json_has_the_v1_shape(graph_rw: Graph) -> None:
    max_ = next(c for c in _all(graph_rw, "/me/contacts") if c["surname"] == "Mustermann")
    assert max_["@odata.etag"] == f'W/"{max_["changeKey"]}"'
    assert max_["businessPhones"] == ["+49 30 1234567"]
    assert max_["mobilePhone"] == "+49 151 23456789"
    assert max_["emailAddresses"] == [{"name": "Max Mustermann", "address": "max@contoso.de"}]
    assert max_["spouseName"] == "Maria Mustermann" and max_["birthday"].endswith("Z")
    assert max_["otherAddress"] == {} and max_["fileAs"] == ""


def test_create_update_delete_and_if_match(graph_rw: Graph) -> None:
    body = {"givenName": "Pavel", "surname": "Bansky", "businessPhones": ["+1 732 555 0102"]}
    made = graph_rw.call("POST", "/me/contacts", json=body)
    assert made.status_code == 201
    first = made.json()
    assert first["displayName"] == "Pavel Bansky"  # user-post-contacts.md response
    # no transactionId for contacts: the same POST again makes a second contact
    again = graph_rw.call("POST", "/me/contacts", json=body).json()
    assert again["id"] != first["id"]
    path = f"/me/contacts/{first['id']}"
    patched = graph_rw.call(
        "PATCH", path, json={"mobilePhone": "+1 555 1"}, headers={"If-Match": first["@odata.etag"]}
    )
    assert patched.status_code == 200
    second = patched.json()
    assert second["changeKey"] != first["changeKey"] and second["mobilePhone"] == "+1 555 1"
    assert second["lastModifiedDateTime"] >= first["lastModifiedDateTime"]
    stale = graph_rw.call(
        "PATCH", path, json={"surname": "X"}, headers={"If-Match": first["@odata.etag"]}
    )
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "ErrorIrresolvableConflict"
    assert graph_rw.get(path).json()["surname"] == "Bansky"
    bad = graph_rw.call("PATCH", path, json={"faxNumber": "1"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "RequestBodyRead"
    gone = graph_rw.call("DELETE", path, headers={"If-Match": first["@odata.etag"]})
    assert gone.status_code == 412
    assert (
        graph_rw.call("DELETE", path, headers={"If-Match": second["@odata.etag"]}).status_code
        == 204
    )
    missing = graph_rw.get(path)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ErrorItemNotFound"


def test_paging_gives_absolute_next_links(graph_rw: Graph) -> None:
    first = graph_rw.get("/me/contacts?$top=5").json()
    assert len(first["value"]) == 5
    assert first["@odata.nextLink"].startswith(graph_rw.info.graph_base_url + "/me/contacts")
    everything = _all(graph_rw, "/me/contacts?$top=5")
    assert len({c["id"] for c in everything}) == len(_all(graph_rw, "/me/contacts?$top=100"))


def test_delta_first_round_then_changes_then_expiry(
    graph_rw: Graph, ctl: Control, seeded: Sandbox
) -> None:
    folder = _folders(ctl)["Family"]["id"]
    start = f"/me/contactFolders/{folder}/contacts/delta"
    prefer = {"Prefer": "odata.maxpagesize=4"}
    pages, url, rows = 0, start, []
    while True:
        body = graph_rw.call("GET", url, headers=prefer).json()
        pages += 1
        rows += body["value"]
        if "@odata.nextLink" in body:
            url = body["@odata.nextLink"]
            assert url.startswith("https://")
            continue
        delta_link = body["@odata.deltaLink"]
        break
    stored = ctl.call("GET", f"/contacts/folders/{folder}/contacts")
    assert pages > 1 and {r["id"] for r in rows} == {c["id"] for c in stored}
    # provider-side edits: one update, one delete, one new
    ctl.call("PATCH", f"/contacts/{stored[0]['id']}", {"jobTitle": "Pilot"})
    ctl.call("DELETE", f"/contacts/{stored[1]['id']}")
    new = ctl.call("POST", f"/contacts/folders/{folder}/contacts", {"givenName": "Neo"})
    body = graph_rw.call("GET", delta_link).json()
    upserts = {r["id"] for r in body["value"] if "@removed" not in r}
    removed = [r for r in body["value"] if "@removed" in r]
    assert upserts == {stored[0]["id"], new["id"]}
    assert removed == [
        {
            "@odata.type": "#microsoft.graph.contact",
            "id": stored[1]["id"],
            "@removed": {"reason": "deleted"},
        }
    ]
    quiet = graph_rw.call("GET", body["@odata.deltaLink"]).json()
    assert quiet["value"] == []
    ctl.call("POST", "/delta/expire")
    expired = graph_rw.call("GET", quiet["@odata.deltaLink"])
    assert expired.status_code == 410
    assert expired.json()["error"]["code"] == "syncStateNotFound"
    assert expired.headers["Location"].endswith(start)


def test_default_folder_delta_via_me_contacts(graph_rw: Graph) -> None:
    rows = _all(graph_rw, "/me/contacts/delta")
    assert {"Max Mustermann", "Erika Musterfrau"} <= {r["displayName"] for r in rows}


def test_photo_get_put_and_missing(graph_rw: Graph) -> None:
    made = graph_rw.call("POST", "/me/contacts", json={"givenName": "Pic"}).json()
    photo = f"/me/contacts/{made['id']}/photo/$value"
    missing = graph_rw.get(photo)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ImageNotFound"
    jpeg = tiny_jpeg(77)
    put = graph_rw.call("PUT", photo, data=jpeg, headers={"Content-Type": "image/jpeg"})
    assert put.status_code == 200
    got = graph_rw.get(photo)
    assert got.content == jpeg and got.headers["Content-Type"] == "image/jpeg"
    meta = graph_rw.get(f"/me/contacts/{made['id']}/photo").json()
    assert meta["width"] == 8 and meta["@odata.mediaContentType"] == "image/jpeg"
    after = graph_rw.get(f"/me/contacts/{made['id']}").json()
    assert after["changeKey"] != made["changeKey"]
    not_jpeg = graph_rw.call("PUT", photo, data=b"GIF89a", headers={"Content-Type": "image/gif"})
    assert not_jpeg.status_code == 400


def test_extended_property_filter_and_expand(graph_rw: Graph) -> None:
    prop = "String {7b8e0c55-3f43-4a8e-9f3e-2a6d1b0c4e11} Name marker"
    body = {"givenName": "Marked", "singleValueExtendedProperties": [{"id": prop, "value": "k'1"}]}
    made = graph_rw.call("POST", "/me/contacts", json=body).json()
    flt = f"singleValueExtendedProperties/Any(ep: ep/id eq '{prop}' and ep/value eq 'k''1')"
    found = graph_rw.get("/me/contacts", params={"$filter": flt}).json()["value"]
    assert [c["id"] for c in found] == [made["id"]]
    expand = f"singleValueExtendedProperties($filter=id eq '{prop}')"
    one = graph_rw.get(f"/me/contacts/{made['id']}", params={"$expand": expand}).json()
    assert one["singleValueExtendedProperties"] == [{"id": prop, "value": "k'1"}]
    other = graph_rw.get("/me/contacts", params={"$filter": "displayName eq 'x'"})
    assert other.status_code == 400


def test_scopes_are_enforced(seeded: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    calendars_only = _graph(seeded, monkeypatch, ["Calendars.ReadWrite"])
    denied = calendars_only.get("/me/contacts")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "ErrorAccessDenied"
    read_only = _graph(seeded, monkeypatch, ["Contacts.Read"])
    assert read_only.get("/me/contactFolders").status_code == 200
    assert read_only.call("POST", "/me/contacts", json={"givenName": "X"}).status_code == 403


def test_control_photo_and_state_persistence(seeded: Sandbox, ctl: Control) -> None:
    folder = _folders(ctl)["Contacts"]["id"]
    made = ctl.call("POST", f"/contacts/folders/{folder}/contacts", {"givenName": "Saved"})
    jpeg = tiny_jpeg(5)
    after = ctl.call(
        "PUT", f"/contacts/{made['id']}/photo", {"jpeg_base64": base64.b64encode(jpeg).decode()}
    )
    assert after["hasPhoto"] and after["changeKey"] != made["changeKey"]
    assert seeded.state is not None
    copy = SandboxState.from_json(seeded.state.to_json())
    assert copy.contacts.contacts[made["id"]].photo == jpeg
    assert len(copy.contacts.folders) == len(seeded.state.contacts.folders)
    reset = ctl.call("POST", "/reset", {"seed": True})
    assert reset is not None
    assert made["id"] not in {
        c["id"]
        for c in ctl.call("GET", f"/contacts/folders/{_folders(ctl)['Contacts']['id']}/contacts")
    }
