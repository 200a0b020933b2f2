"""Raw SOAP/HTTP behaviour of the EWS sandbox, and the sync-state model, without exchangelib."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import requests

from sandbox.ews.ops_sync import plan
from sandbox.ews.seed import build_folders
from sandbox.ews.server import EwsSandbox
from sandbox.ews.store import Store

M = "{http://schemas.microsoft.com/exchange/services/2006/messages}"
T = "{http://schemas.microsoft.com/exchange/services/2006/types}"
ENV = (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
    'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" '
    'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Header>'
    '<t:RequestServerVersion Version="Exchange2016"/></soap:Header><soap:Body>{}</soap:Body>'
    "</soap:Envelope>"
)


def post(sb: EwsSandbox, body: str, auth: tuple[str, str] | None = None) -> requests.Response:
    return requests.post(
        sb.info.ews_url,
        data=ENV.format(body).encode(),
        headers={"Content-Type": "text/xml; charset=utf-8"},
        auth=auth or (sb.info.upn, sb.info.password),
        timeout=10,
    )


def test_unauthenticated_request_gets_every_challenge(sandbox: EwsSandbox) -> None:
    resp = requests.post(sandbox.info.ews_url, data=b"<x/>", timeout=10)
    assert resp.status_code == 401
    offered = resp.raw.headers.getlist("WWW-Authenticate")
    assert offered[:2] == ["Negotiate", "NTLM"] and offered[2].startswith("Basic realm=")


def test_get_folder_batch_answers_in_order_with_per_item_errors(sandbox: EwsSandbox) -> None:
    ids = "".join(
        f'<t:DistinguishedFolderId Id="{name}"/>'
        for name in ("calendar", "archiveroot", "inbox", "msgfolderroot")
    )
    body = (
        "<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape>"
        f"<m:FolderIds>{ids}</m:FolderIds></m:GetFolder>"
    )
    resp = post(sandbox, body)
    assert resp.status_code == 200
    root = ET.fromstring(resp.content)
    assert root.find(f".//{T}ServerVersionInfo").get("MajorVersion") == "15"  # type: ignore[union-attr]
    msgs = root.findall(f".//{M}GetFolderResponseMessage")
    assert [m.findtext(f"{M}ResponseCode") for m in msgs] == [
        "NoError",
        "ErrorFolderNotFound",
        "NoError",
        "NoError",
    ]
    cal = msgs[0].find(f".//{T}CalendarFolder")
    assert cal is not None and cal.findtext(f"{T}FolderClass") == "IPF.Appointment"
    assert cal.findtext(f"{T}DisplayName") == "Calendar"


def test_unknown_operation_is_a_soap_fault(sandbox: EwsSandbox) -> None:
    resp = post(sandbox, "<m:GetRooms/>")
    assert resp.status_code == 500
    assert b"ErrorInvalidRequest" in resp.content and b"ServerVersionInfo" in resp.content


def test_max_changes_returned_is_limited_to_512(sandbox: EwsSandbox) -> None:
    body = (
        "<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>"
        '<m:SyncFolderId><t:DistinguishedFolderId Id="calendar"/></m:SyncFolderId>'
        "<m:MaxChangesReturned>513</m:MaxChangesReturned></m:SyncFolderItems>"
    )
    resp = post(sandbox, body)
    assert resp.status_code == 500 and b"ErrorSchemaValidation" in resp.content


def test_sync_plan_pages_and_collapses_changes_made_mid_round() -> None:
    store = Store(b"k" * 32)
    cal = build_folders(store, "Alex")["calendar"]
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    items = [
        store.create(
            cal, {"Subject": f"e{i}", "Start": now, "End": now + dt.timedelta(hours=1)}, now
        )
        for i in range(10)
    ]
    sent, base, over, done = plan(store, cal, 0, {}, 4)
    assert len(sent) == 4 and not done
    store.touch(items[0], now)  # already sent: must come again as an update
    store.touch(items[9], now)  # not sent yet: must come once, as a create
    store.delete(items[8], now)  # never sent: must not appear at all
    seen: list[tuple[str, int]] = [(i.id, has) for i, has in sent]
    while not done:
        sent, base, over, done = plan(store, cal, base, over, 4)
        seen += [(i.id, has) for i, has in sent]
    ids = [i for i, _ in seen]
    assert ids.count(items[0].id) == 2 and ids.count(items[9].id) == 1
    assert items[8].id not in ids
    assert len(set(ids)) == 9
    assert plan(store, cal, base, over, 4)[0] == []


def test_unsupported_request_server_version_is_refused(sandbox: EwsSandbox) -> None:
    body = ENV.replace("Exchange2016", "Exchange2019").format("<m:GetFolder/>")
    resp = requests.post(
        sandbox.info.ews_url,
        data=body.encode(),
        auth=(sandbox.info.upn, sandbox.info.password),
        timeout=10,
    )
    assert resp.status_code == 500 and b"ErrorInvalidServerVersion" in resp.content


def test_bulk_seed_fills_the_calendar_folder() -> None:
    sb = EwsSandbox(None, bulk_events=60)
    cal = sb.service.store.distinguished("calendar")
    assert cal is not None
    items = sb.service.store.items_in(cal.id)
    assert len(items) == 60
    assert sum("zoom.us" in str(i.data.get("Location")) for i in items) == 20
