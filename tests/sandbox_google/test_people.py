"""People API v1 behaviour of the Google sandbox through googleapiclient (static discovery,
api_endpoint = the sandbox root), plus the model's token lifetime and persistence."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import httplib2
import pytest
import requests
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from sandbox.google.people_model import PeopleStore
from sandbox.google.people_seed import seed_people
from sandbox.google.people_sync import list_connections
from sandbox.google.server import GoogleSandbox, GoogleSandboxInfo
from tests.sandbox_google.conftest import Control, sign_in

CONTACTS = "https://www.googleapis.com/auth/contacts"
CONTACTS_READONLY = "https://www.googleapis.com/auth/contacts.readonly"
FIELDS = "names,phoneNumbers,emailAddresses,memberships,metadata,photos,relations,userDefined"


def people(info: GoogleSandboxInfo, creds: Credentials) -> Any:
    http = AuthorizedHttp(creds, http=httplib2.Http(ca_certs=info.ca_file))
    return build(
        "people",
        "v1",
        http=http,
        static_discovery=True,
        client_options={"api_endpoint": info.people_api_base},
    )


@pytest.fixture
def api(sandbox: GoogleSandbox) -> Any:
    return people(sandbox.info, sign_in(sandbox.info, [CONTACTS]))


def error(err: HttpError) -> dict[str, Any]:
    return dict(json.loads(err.content)["error"])


def list_all(api: Any, **params: Any) -> tuple[list[dict[str, Any]], dict[str, Any], int]:
    rows: list[dict[str, Any]] = []
    token, pages = None, 0
    while True:
        page = (
            api.people()
            .connections()
            .list(resourceName="people/me", pageToken=token, **params)
            .execute()
        )
        pages += 1
        rows += page.get("connections", [])
        token = page.get("nextPageToken")
        if not token:
            return rows, page, pages
        assert "nextSyncToken" not in page


def named(rows: list[dict[str, Any]], display: str) -> dict[str, Any]:
    return next(r for r in rows if r.get("names", [{}])[0].get("displayName") == display)


def test_connections_need_person_fields_and_page_with_a_sync_token_at_the_end(api: Any) -> None:
    with pytest.raises(HttpError) as exc:
        api.people().connections().list(resourceName="people/me").execute()
    assert exc.value.resp.status == 400 and "personFields" in error(exc.value)["message"]
    rows, last, pages = list_all(api, personFields=FIELDS, pageSize=25, requestSyncToken=True)
    assert pages == 3 and len(rows) == 60 and last["totalItems"] == 60
    assert last["nextSyncToken"]
    _, no_token, _ = list_all(api, personFields="names", pageSize=1000)
    assert "nextSyncToken" not in no_token
    max_ = named(rows, "Max Mustermann")
    assert max_["resourceName"].startswith("people/c") and max_["etag"]
    source = max_["metadata"]["sources"][0]
    assert source["type"] == "CONTACT" and source["etag"] and source["updateTime"].endswith("Z")
    phones = {p["value"]: p for p in max_["phoneNumbers"]}
    assert phones["+49 30 1234567"]["canonicalForm"] == "+49301234567"
    assert phones["+49 30 1234567"]["formattedType"] == "Work"
    erika = named(rows, "Erika Musterfrau")
    assert "canonicalForm" not in erika["phoneNumbers"][0]  # national German number, US account
    assert max_["relations"][0]["person"] == "Erika Musterfrau"
    assert max_["userDefined"] == [
        {**max_["userDefined"][0], "key": "Kundennummer", "value": "K-1001"}
    ]
    groups = {m["contactGroupMembership"]["contactGroupResourceName"] for m in erika["memberships"]}
    assert len(groups) == 3 and "contactGroups/myContacts" in groups
    spellings = {p["value"] for r in rows for p in r.get("phoneNumbers", [])}
    assert {
        "+1 (646) 555-0100",
        "646-555-0199",
        "0049 89 1234 5678",
        "+49 30 1234567-89",
    } <= spellings


def test_sync_token_reports_changes_and_deletions(api: Any) -> None:
    _, last, _ = list_all(api, personFields=FIELDS, requestSyncToken=True)
    token = last["nextSyncToken"]
    created = (
        api.people()
        .createContact(personFields="names", body={"names": [{"givenName": "Ada"}]})
        .execute()
    )
    victim = named(list_all(api, personFields="names")[0], "Oliver Smith")
    api.people().deleteContact(resourceName=victim["resourceName"]).execute()
    rows, last, _ = list_all(api, personFields="names", syncToken=token, requestSyncToken=True)
    by_name = {r["resourceName"]: r for r in rows}
    assert set(by_name) == {created["resourceName"], victim["resourceName"]}
    assert by_name[victim["resourceName"]]["metadata"]["deleted"] is True
    assert "names" not in by_name[victim["resourceName"]]
    with pytest.raises(HttpError) as exc:
        api.people().get(resourceName=victim["resourceName"], personFields="names").execute()
    assert exc.value.resp.status == 404
    quiet, _, _ = list_all(
        api, personFields="names", syncToken=last["nextSyncToken"], requestSyncToken=True
    )
    assert quiet == []


def test_expired_sync_token_is_400_failed_precondition(
    api: Any, control: Control, sandbox: GoogleSandbox
) -> None:
    _, last, _ = list_all(api, personFields="names", requestSyncToken=True)
    control.call("POST", "/people-sync/expire")
    with pytest.raises(HttpError) as exc:
        list_all(api, personFields="names", syncToken=last["nextSyncToken"])
    body = error(exc.value)
    assert exc.value.resp.status == 400 and body["status"] == "FAILED_PRECONDITION"
    assert body["message"] == (
        "Sync token is expired. Clear local cache and retry call without the sync token."
    )
    assert body["details"][0]["reason"] == "EXPIRED_SYNC_TOKEN"


def test_sync_tokens_expire_after_seven_days() -> None:
    store = PeopleStore("alex@contoso.example")
    seed_people(store)
    now = [dt.datetime(2025, 1, 1, tzinfo=dt.UTC)]
    store.clock = lambda: now[0]
    token = list_connections(store, {"personFields": "names", "requestSyncToken": "true"}, "")
    sync = token["nextSyncToken"]
    now[0] += dt.timedelta(days=6, hours=23)
    assert "connections" not in list_connections(
        store, {"personFields": "names", "syncToken": sync}, ""
    )
    now[0] += dt.timedelta(hours=2)
    with pytest.raises(Exception, match="Sync token is expired"):
        list_connections(store, {"personFields": "names", "syncToken": sync}, "")


def test_update_contact_needs_mask_and_current_etag(api: Any) -> None:
    max_ = named(list_all(api, personFields=FIELDS)[0], "Max Mustermann")
    rn = max_["resourceName"]
    update = api.people().updateContact
    with pytest.raises(HttpError) as exc:
        update(resourceName=rn, body={"etag": max_["etag"]}).execute()
    assert exc.value.resp.status == 400
    with pytest.raises(HttpError) as exc:
        update(resourceName=rn, updatePersonFields="nicknames", body={"nicknames": []}).execute()
    assert "etag" in error(exc.value)["message"]
    body = {
        "etag": max_["etag"],
        "phoneNumbers": [*max_["phoneNumbers"], {"value": "+1 212 555 0142"}],
    }
    done = update(
        resourceName=rn, updatePersonFields="phoneNumbers", personFields=FIELDS, body=body
    ).execute()
    assert done["etag"] != max_["etag"]
    assert [p["value"] for p in done["phoneNumbers"]][-1] == "+1 212 555 0142"
    assert done["relations"] == max_["relations"] and done["names"] == max_["names"]
    with pytest.raises(HttpError) as exc:
        update(resourceName=rn, updatePersonFields="phoneNumbers", body=body).execute()
    stale = error(exc.value)
    assert exc.value.resp.status == 400 and stale["status"] == "FAILED_PRECONDITION"
    assert stale["errors"][0]["reason"] == "failedPrecondition"
    assert stale["message"].startswith("Request person.etag is different")
    two_names = {"etag": done["etag"], "names": [{"givenName": "A"}, {"givenName": "B"}]}
    with pytest.raises(HttpError) as exc:
        update(resourceName=rn, updatePersonFields="names", body=two_names).execute()
    assert exc.value.resp.status == 400


def test_read_only_scope_reads_but_cannot_write(sandbox: GoogleSandbox) -> None:
    api = people(sandbox.info, sign_in(sandbox.info, [CONTACTS_READONLY]))
    assert list_all(api, personFields="names")[0]
    with pytest.raises(HttpError) as exc:
        api.people().createContact(body={"names": [{"givenName": "X"}]}).execute()
    assert exc.value.resp.status == 403 and error(exc.value)["status"] == "PERMISSION_DENIED"
    calendar_only = people(sandbox.info, sign_in(sandbox.info))
    with pytest.raises(HttpError) as exc:
        calendar_only.people().connections().list(
            resourceName="people/me", personFields="names"
        ).execute()
    assert exc.value.resp.status == 403


def test_contact_groups_and_membership(api: Any) -> None:
    groups = api.contactGroups().list().execute()["contactGroups"]
    kinds = {g["name"]: g["groupType"] for g in groups}
    assert kinds["myContacts"] == "SYSTEM_CONTACT_GROUP"
    assert kinds["Clients"] == kinds["Family"] == "USER_CONTACT_GROUP"
    clients = next(g for g in groups if g["name"] == "Clients")
    full = api.contactGroups().get(resourceName=clients["resourceName"], maxMembers=1000).execute()
    assert len(full["memberResourceNames"]) == full["memberCount"] == clients["memberCount"]
    ada = (
        api.people()
        .createContact(personFields="memberships", body={"names": [{"givenName": "Ada"}]})
        .execute()
    )
    assert [m["contactGroupMembership"]["contactGroupId"] for m in ada["memberships"]] == [
        "myContacts"
    ]
    modify = api.contactGroups().members().modify
    modify(
        resourceName=clients["resourceName"], body={"resourceNamesToAdd": [ada["resourceName"]]}
    ).execute()
    again = api.contactGroups().get(resourceName=clients["resourceName"], maxMembers=1000).execute()
    assert ada["resourceName"] in again["memberResourceNames"]
    out = modify(
        resourceName="contactGroups/myContacts",
        body={"resourceNamesToRemove": [ada["resourceName"], "people/c1"]},
    ).execute()
    assert out == {"notFoundResourceNames": ["people/c1"]}
    last = modify(
        resourceName=clients["resourceName"], body={"resourceNamesToRemove": [ada["resourceName"]]}
    ).execute()
    assert last == {"canNotRemoveLastContactGroupResourceNames": [ada["resourceName"]]}
    made = api.contactGroups().create(body={"contactGroup": {"name": "Vendors"}}).execute()
    assert made["groupType"] == "USER_CONTACT_GROUP" and made["name"] == "Vendors"


def test_photos_are_served_and_replaced(api: Any, sandbox: GoogleSandbox) -> None:
    rows = list_all(api, personFields="names,photos")[0]
    max_ = named(rows, "Max Mustermann")
    url = max_["photos"][0]["url"]
    assert "default" not in max_["photos"][0]
    got = requests.get(url, verify=sandbox.info.ca_file, timeout=10)
    assert got.status_code == 200 and got.content.startswith(b"\xff\xd8")
    plain = named(rows, "Oliver Smith")["photos"][0]
    assert plain["default"] is True
    png = b"\x89PNG\r\n\x1a\nsandbox"
    resp = (
        api.people()
        .updateContactPhoto(
            resourceName=max_["resourceName"],
            body={"photoBytes": base64.b64encode(png).decode(), "personFields": "photos"},
        )
        .execute()
    )
    new_url = resp["person"]["photos"][0]["url"]
    assert new_url != url
    assert requests.get(new_url, verify=sandbox.info.ca_file, timeout=10).content == png
    gone = (
        api.people()
        .deleteContactPhoto(resourceName=max_["resourceName"], personFields="photos")
        .execute()
    )
    assert gone["person"]["photos"][0]["default"] is True


def test_seed_is_deterministic_and_state_persists(tmp_path: Path) -> None:
    a, b = PeopleStore("alex@contoso.example"), PeopleStore("alex@contoso.example")
    ids_a, ids_b = seed_people(a), seed_people(b)
    assert ids_a == ids_b and len(a.live()) == 60
    assert a.to_json() == b.to_json()
    sb = GoogleSandbox(tmp_path)
    info = sb.start()
    ctl = Control(info)
    created = ctl.call("POST", "/people", {"names": [{"givenName": "Persisted"}]})
    sb.stop()
    sb2 = GoogleSandbox(tmp_path)
    info2 = sb2.start()
    try:
        again = Control(info2).call("GET", f"/people/{created['resourceName'].split('/')[1]}")
        assert again["etag"] == created["etag"] and again["names"][0]["givenName"] == "Persisted"
    finally:
        sb2.stop()
