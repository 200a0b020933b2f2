"""Raw pagers: the provider requests of a first sync of one calendar, made by the plainest
client and with nothing done with the answers but decoding them — the pace of the provider
(and of the wire) that a first sync is compared with (issue 14, point 1).

* Graph: `calendarView/delta` over the same window with the same `Prefer: odata.maxpagesize`,
  following `@odata.nextLink` to the `@odata.deltaLink` (delta-query-events.md); JSON decoded.
* Google: `events.list` over the same window, `singleEvents=false`, `maxResults` as the
  provider pages, following `nextPageToken` to `nextSyncToken` (guides/sync); JSON decoded.
* EWS: `SyncFolderItems` (IdOnly) rounds to `IncludesLastItemInRange`, then `GetItem` of the
  same fields in exchangelib's batches — the EWS provider's own wire calls through exchangelib
  (how-to-synchronize-items-by-using-ews-in-exchange.md), no mapping.

Bench code: may import the bridge (for its constants and the EWS connection helper).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msal
import requests

from bridge.model import SyncWindow


def _iso_z(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _session(ca_file: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify=
    session.verify = ca_file
    return session


class GraphPager:
    def __init__(self, info: Any, calendar_id: str, window: SyncWindow) -> None:
        from bridge.providers.graph.mailbox import PAGE_SIZE

        self.session = _session(info.ca_file)
        app = msal.ConfidentialClientApplication(
            info.admin_client_id,
            client_credential=info.admin_client_secret,
            authority=info.authority,
            http_client=self.session,
            instance_discovery=False,
            validate_authority=False,
        )
        token = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
        self.headers = {
            "Authorization": "Bearer " + str(token["access_token"]),
            "Prefer": f"odata.maxpagesize={PAGE_SIZE}",
        }
        self.url = (
            f"{info.graph_base_url}/users/{info.user}/calendars/{calendar_id}/calendarView/delta"
        )
        self.params = {"startDateTime": _iso_z(window.start), "endDateTime": _iso_z(window.end)}

    def run(self) -> tuple[int, int]:
        """(events, requests) of one whole round."""
        url: str | None = self.url
        params: dict[str, str] | None = self.params
        events = requests_made = 0
        while url:
            r = self.session.get(url, params=params, headers=self.headers, timeout=120)
            r.raise_for_status()
            page = r.json()
            requests_made += 1
            events += len(page.get("value", []))
            url, params = page.get("@odata.nextLink"), None
        return events, requests_made


class GooglePager:
    def __init__(self, info: Any, calendar_id: str, window: SyncWindow) -> None:
        from urllib.parse import quote

        from bridge.providers.google.provider_support import PAGE_SIZE

        self.session = _session(info.ca_file)
        r = self.session.post(
            info.token_uri,
            data={
                "grant_type": "refresh_token",
                "refresh_token": info.inspect_refresh_token,
                "client_id": info.client_id,
                "client_secret": info.client_secret,
            },
            timeout=30,
        )
        r.raise_for_status()
        self.headers = {"Authorization": "Bearer " + str(r.json()["access_token"])}
        base = info.calendar_api_base.rstrip("/")
        self.url = f"{base}/calendars/{quote(calendar_id, safe='')}/events"
        self.params = {
            "singleEvents": "false",
            "maxResults": str(PAGE_SIZE),
            "timeMin": _iso_z(window.start),
            "timeMax": _iso_z(window.end),
            "showDeleted": "false",
        }

    def run(self) -> tuple[int, int]:
        token = ""
        events = requests_made = 0
        while True:
            params = dict(self.params, pageToken=token) if token else self.params
            r = self.session.get(self.url, params=params, headers=self.headers, timeout=120)
            r.raise_for_status()
            page = r.json()
            requests_made += 1
            events += len(page.get("items", []))
            token = page.get("nextPageToken") or ""
            if not token:
                return events, requests_made


class EwsPager:
    def __init__(self, info: Any, calendar_id: str, window: SyncWindow) -> None:
        from bridge.providers.ews.account import EwsConfig, connect

        config = EwsConfig(info.ews_url, info.username, info.password, info.upn, info.version)
        self.account = connect(config)
        self.folder = next(
            f for f in self.account.root.walk() if str(getattr(f, "id", "")) == calendar_id
        )

    def run(self) -> tuple[int, int]:
        from exchangelib.services import GetItem

        from bridge.providers.ews.mailbox import MAX_CHANGES
        from bridge.providers.ews.provider import FIELDS
        from bridge.providers.ews.sync import sync_changes

        rounds = [0]

        def run_call(op: Any) -> Any:
            rounds[0] += 1
            return op()

        ids, _deleted, _state = sync_changes(
            self.account, self.folder, None, MAX_CHANGES, run_call, lambda exc: exc
        )
        wanted = [(i, None) for i in ids]
        items = list(self.account.fetch(ids=wanted, folder=self.folder, only_fields=FIELDS))
        batches = -(-len(ids) // GetItem.CHUNK_SIZE) if ids else 0
        return len(items), rounds[0] + batches


PAGERS = {"graph": GraphPager, "google": GooglePager, "ews": EwsPager}
