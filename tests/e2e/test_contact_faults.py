"""Faults on the contacts APIs in the middle of a pull — Graph `contactFolders/{id}/contacts/delta`,
People `people/me/connections`, EWS `SyncFolderItems` on a contacts folder — seen from a CardDAV
client: while the provider fails, the address book is served as it was; once it recovers, every
provider-side change arrives exactly once (nothing lost, nothing duplicated).

Faults follow the vendors: Graph 503 + Retry-After (concepts/throttling.md), Google 503
backendError ("Handle API errors"), EWS ErrorServerBusy with BackOffMilliseconds ("EWS throttling
in Exchange"); `skip` lets the first request of a pull through so the failure lands mid-pull.
"""

from __future__ import annotations

import collections
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RunningDemo, start_demo, stop_demo, wait_for

QUERY = (
    '<?xml version="1.0" encoding="utf-8"?><C:addressbook-query xmlns:D="DAV:" '
    'xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/></D:prop>'
    "<C:filter/></C:addressbook-query>"
)


BOOKS = {
    "m365": "/demo/contacts-m365/",
    "google": "/demo/my-contacts-google/",
    "exchange": "/demo/contacts-exchange/",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    """A demo of its own: these tests break the providers' contacts APIs on purpose."""
    running = start_demo(tmp_path_factory.mktemp("contact-faults"), 0)
    yield running
    assert stop_demo(running) == 0, running.log.read_text()


def names(demo: RunningDemo, book: str) -> collections.Counter[str]:
    """FN of every card in the address book, counted (a duplicate shows as 2)."""
    r = requests.request(
        "REPORT",
        demo.url.rstrip("/") + book,
        data=QUERY,
        headers={"Depth": "1", "Content-Type": "application/xml"},
        auth=demo.auth,
        timeout=60,
    )
    assert r.status_code == 207, r.text[:300]
    found: collections.Counter[str] = collections.Counter()
    for data in ET.fromstring(r.content).iter("{urn:ietf:params:xml:ns:carddav}address-data"):
        for line in (data.text or "").splitlines():
            if line.startswith("FN:") or line.startswith("FN;"):
                found[line.split(":", 1)[1].strip()] += 1
    return found


class ContactsSide:
    """One provider's contacts, written and broken through its sandbox control API."""

    def __init__(self, demo: RunningDemo, provider: str) -> None:
        self.provider = provider
        self.info = demo.info
        self.session = requests.Session()
        self.session.trust_env = False

    def _call(self, method: str, url: str, **kw: Any) -> Any:
        r = self.session.request(method, url, timeout=30, **kw)
        assert r.status_code < 300, (url, r.status_code, r.text[:300])
        return r.json() if r.content else None

    def _graph(self, method: str, path: str, **kw: Any) -> Any:
        g = self.info["sandbox"]
        return self._call(method, g["control_url"] + path, verify=g["ca_file"], **kw)

    def _google(self, method: str, path: str, **kw: Any) -> Any:
        o = self.info["google"]
        return self._call(method, o["control_url"] + path, verify=o["ca_file"], **kw)

    def _ews(self, method: str, path: str, **kw: Any) -> Any:
        return self._call(method, self.info["ews"]["control_url"] + path, **kw)

    def break_pulls(self) -> None:
        if self.provider == "m365":
            self._graph(
                "POST",
                "/faults",
                json={
                    "match": r"^GET /v1\.0/me/contactFolders/.*/contacts/delta",
                    "status": 503,
                    "retry_after": 1,
                    "skip": 1,
                    "times": 4,
                },
            )
        elif self.provider == "google":
            self._google(
                "POST",
                "/faults",
                json={
                    "match": r"^GET /v1/people/me/connections",
                    "status": 503,
                    "retry_after": 1,
                    "skip": 1,
                    "times": 4,
                },
            )
        else:
            self._ews(
                "POST",
                "/fault",
                json={
                    "operation": "SyncFolderItems",
                    "code": "ErrorServerBusy",
                    "back_off_ms": 500,
                    "skip": 1,
                    "times": 4,
                },
            )

    def faults_spent(self) -> bool:
        if self.provider == "m365":
            return all(r["times"] == 0 for r in self._graph("GET", "/faults"))
        if self.provider == "google":
            return all(r["times"] == 0 for r in self._google("GET", "/faults"))
        return True  # EWS: the log shows the ErrorServerBusy answers (checked by the caller)

    def ews_busy_answers(self) -> int:
        log = self._ews("GET", "/log")["requests"]
        return sum(1 for r in log if r.get("code") == "ErrorServerBusy")

    def create(self, name: str) -> None:
        given, family = name.split(" ", 1)
        if self.provider == "m365":
            self._graph(
                "POST",
                "/contacts/folders/contacts/contacts",
                json={"givenName": given, "surname": family, "displayName": name},
            )
        elif self.provider == "google":
            self._google(
                "POST", "/people", json={"names": [{"givenName": given, "familyName": family}]}
            )
        else:
            self._ews(
                "POST",
                "/contacts/create",
                json={
                    "folder": "contacts",
                    "fields": {"GivenName": given, "Surname": family, "DisplayName": name},
                },
            )

    def delete_one(self, name: str) -> None:
        if self.provider == "m365":
            found = self._graph("GET", "/contacts/folders/contacts/contacts")
            victim = next(c for c in found if c.get("displayName") == name)
            self._graph("DELETE", f"/contacts/{victim['id']}")
        elif self.provider == "google":
            found = self._google("GET", "/people")
            victim = next(
                p for p in found if any(n.get("displayName") == name for n in p.get("names", []))
            )
            self._google("DELETE", f"/people/{victim['resourceName'].split('/')[-1]}")
        else:
            found = self._ews("GET", "/contacts?folder=contacts")
            victim = next(c for c in found if c["display_name"] == name)
            self._ews("POST", "/contacts/delete", json={"id": victim["id"]})

    def clear(self) -> None:
        if self.provider == "m365":
            self._graph("DELETE", "/faults")
        elif self.provider == "google":
            self._google("DELETE", "/faults")
        else:
            self._ews("POST", "/clear-faults")


@pytest.mark.parametrize("provider", ["m365", "google", "exchange"])
def test_contacts_api_failing_mid_pull_loses_and_duplicates_nothing(
    demo: RunningDemo, provider: str
) -> None:
    book = BOOKS[provider]
    side = ContactsSide(demo, provider)
    before = names(demo, book)
    assert before
    gone = sorted(n for n, count in before.items() if count == 1)[0]
    tag = uuid.uuid4().hex[:6]
    added = [f"Fault{n} Person-{tag}" for n in range(3)]
    busy_before = side.ews_busy_answers() if provider == "exchange" else 0
    side.break_pulls()
    try:
        for name in added:
            side.create(name)
        side.delete_one(gone)
        # the failing pulls serve the address book as it was, never half a change set
        wait_for(side.faults_spent, timeout=60)
        if provider == "exchange":
            wait_for(lambda: side.ews_busy_answers() > busy_before, timeout=60)
        expected = before + collections.Counter(added)
        del expected[gone]
        during = names(demo, book)
        assert all(count <= max(before[n], expected[n]) for n, count in during.items()), during
        wait_for(lambda: names(demo, book) == expected, timeout=60)
    finally:
        side.clear()
