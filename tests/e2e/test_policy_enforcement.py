"""The organisation's policy seen by a DAV client (P1, P5): switched after the user connected,
writes are refused with a readable 403, address books disappear, and with the integration off
no collection is served. An in-process demo (Microsoft 365) so the policy can be set directly
while real DAV requests are made."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bridge.api import Bridge, Policy
from bridge.entry.demo import Demo, DemoInfo
from bridge.model import ProviderKind
from bridge.organisation.administration import OPERATOR
from tests.e2e.test_caldav_client import event_ics

CALDAV, CARDDAV = "urn:ietf:params:xml:ns:caldav", "urn:ietf:params:xml:ns:carddav"
PROPFIND = (
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:displayname/>'
    "<d:resourcetype/></d:prop></d:propfind>"
)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bridge, DemoInfo]]:
    demo = Demo(
        tmp_path_factory.mktemp("policy"),
        port=0,
        refresh_interval_s=60.0,
        background=False,
        providers=(ProviderKind.GRAPH,),
    )
    info = demo.start()
    assert demo.bridge is not None
    yield demo.bridge, info
    demo.stop()


@pytest.fixture()
def org(running: tuple[Bridge, DemoInfo]) -> Iterator[Bridge]:
    bridge = running[0]
    yield bridge
    bridge.admin.set_org_policy(OPERATOR, Policy())


def dav(info: DemoInfo, method: str, path: str, **kw: Any) -> requests.Response:
    return requests.request(
        method,
        info.dav_url.rstrip("/") + path,
        auth=(info.username, info.password),
        timeout=60,
        **kw,
    )


def listed(info: DemoInfo) -> dict[str, str]:
    """Collection path -> "calendar" | "addressbook", from a Depth 1 PROPFIND of the home, by
    the resource types RFC 4791 §4.2 / RFC 6352 §5.2 name (the calendar-proxy group principals
    beside the collections, CS:calendar-proxy-read|write, are not collections)."""
    r = dav(info, "PROPFIND", "/demo/", data=PROPFIND, headers={"Depth": "1"})
    assert r.status_code == 207, r.text
    kinds = {f"{{{CALDAV}}}calendar": "calendar", f"{{{CARDDAV}}}addressbook": "addressbook"}
    found = {}
    for resp in ET.fromstring(r.content).iter("{DAV:}response"):
        href = resp.findtext("{DAV:}href") or ""
        for rtype in resp.iter("{DAV:}resourcetype"):
            for child in rtype:
                if child.tag in kinds:
                    found[href] = kinds[child.tag]
    return found


def test_read_only_policy_refuses_writes_and_hides_address_books(
    org: Bridge, running: tuple[Bridge, DemoInfo]
) -> None:
    info = running[1]
    before = listed(info)
    calendar = next(p for p, kind in before.items() if kind == "calendar")
    assert "addressbook" in before.values()
    org.admin.set_org_policy(OPERATOR, Policy(allow_write_calendars=False, allow_contacts=False))
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=2)
    body = event_ics("policy-test-1", "Not allowed", start).encode()
    r = dav(info, "PUT", calendar + "policy-test-1.ics", data=body)
    assert r.status_code == 403
    assert "Your administrator allows calendars to be read only" in r.text
    assert dav(info, "GET", calendar + "policy-test-1.ics").status_code == 404
    now = listed(info)
    assert "addressbook" not in now.values() and calendar in now
    org.admin.set_org_policy(OPERATOR, Policy())
    assert dav(info, "PUT", calendar + "policy-test-1.ics", data=body).status_code == 201
    assert "addressbook" in listed(info).values()


def test_integration_switched_off_serves_nothing(
    org: Bridge, running: tuple[Bridge, DemoInfo]
) -> None:
    info = running[1]
    calendar = next(p for p, kind in listed(info).items() if kind == "calendar")
    org.admin.set_org_policy(OPERATOR, Policy(enabled=False))
    assert listed(info) == {}
    r = dav(info, "PROPFIND", calendar, data=PROPFIND, headers={"Depth": "0"})
    assert r.status_code == 404
    org.admin.set_org_policy(OPERATOR, Policy())
    assert calendar in listed(info)
