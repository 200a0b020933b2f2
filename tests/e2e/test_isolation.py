"""One bridge user can never reach another's data (issue 5 point 7), on one running
`davbridge demo`: user A is the demo user (Microsoft 365, Google and Exchange connected), user B
is added by the operator, signs in to the portal, connects their own Microsoft 365 account (a
new mailbox of the Graph sandbox, so nothing of A's is theirs by right — the Google and EWS
sandboxes serve one mailbox to every account) and makes an app password. With B's app password:

- DAV: A's principal and each of A's collections (a calendar per provider and an address book)
  answer 403/404 to PROPFIND (Radicale's path and the fast path), REPORT (query, multiget,
  sync-collection), GET/HEAD, and nothing of A's leaks in the body; PUT, DELETE, PROPPATCH,
  MKCALENDAR and MOVE into A's namespace are refused and change nothing (checked through A's
  own view); path tricks (dot segments, percent-encoding, case, double slashes) do not help;
  B's password does not log in as A.
- Lookup and phonebooks: B's app password with `&user=<A>` gets 403; B's own lookup of A's
  number finds nothing; A's address book by name is 404 for B.
- Portal: with a session that has connections of its own, B gets 404 for every one of A's
  connections (page, delete page, toggle, permissions, re-authorize — also Exchange's, which
  takes a password — and delete) and for revoking A's app password; A's pages show nothing
  changed. (tests/portal/test_security.py covers the same rules in-process for a user without
  connections; this adds the attacker with connections, Exchange and the subprocess demo.)

Login failures here stay under the throttle's five per client address.
"""

from __future__ import annotations

import base64
import http.client
import re
import urllib.parse
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RunningDemo, start_demo, stop_demo, wait_for
from tests.e2e.portal_client import (
    Collection,
    PortalUser,
    add_bridge_user,
    add_provider_account,
    collections,
    connect_oauth,
    dav,
    new_app_password,
    sign_in,
)

A = "demo"
DENIED = (400, 403, 404)  # 400: dot segments and the like are refused outright
ITEMS = (
    '<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop>'
    "<d:getetag/><d:getcontenttype/><d:resourcetype/></d:prop></d:propfind>"
)  # the shape radicale_plugins/fastpath.py answers itself
ALLPROP = '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:allprop/></d:propfind>'


@dataclass
class Two:
    demo: RunningDemo
    a_auth: tuple[str, str]
    b: str
    b_auth: tuple[str, str]
    b_portal: PortalUser
    a_portal: PortalUser
    a_colls: list[Collection]
    b_colls: list[Collection]


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Two]:
    demo = start_demo(tmp_path_factory.mktemp("isolation"), 0, refresh=5.0)
    try:
        b = f"bee{uuid.uuid4().hex[:6]}"
        portal_password = f"portal-{uuid.uuid4().hex}"
        add_bridge_user(demo, b, f"{b}@contoso.example", portal_password)
        b_portal = sign_in(demo, b, portal_password)
        b_auth = (b, new_app_password(b_portal, "Phone"))
        account, password = f"{b}@contoso.example", f"Pw-{uuid.uuid4().hex}"
        add_provider_account(demo, "microsoft365", account, password)
        connect_oauth(b_portal, demo, "microsoft365", account, password)
        a_portal = sign_in(demo, A, demo.info["portal_password"])
        yield Two(
            demo,
            demo.auth,
            b,
            b_auth,
            b_portal,
            a_portal,
            collections(demo, A, demo.auth),
            wait_for(lambda: collections(demo, b, b_auth)),
        )
    finally:
        assert stop_demo(demo) == 0, demo.log.read_text()[-3000:]


def items(two: Two, coll: Collection) -> dict[str, str]:
    """href -> etag of a collection of A's, as A sees it."""
    r = dav(two.demo, "PROPFIND", coll.path, two.a_auth, ITEMS, {"Depth": "1"})
    assert r.status_code == 207, r.text[:1000]
    pairs = re.findall(
        r"<(?:\w+:)?href>([^<]+)</(?:\w+:)?href>.*?<(?:\w+:)?getetag>([^<]+)<",
        r.text,
        re.S,
    )
    return {urllib.parse.unquote(h): e for h, e in pairs if not h.endswith("/")}


def a_snapshot(two: Two) -> dict[str, Any]:
    """Everything of A's a client could notice: the collections and every item's etag."""
    colls = collections(two.demo, A, two.a_auth)
    return {c.path: (c.display_name, items(two, c)) for c in colls}


def targets(two: Two) -> list[Collection]:
    """One of A's collections per provider (a writable calendar where there is one) and an
    address book."""
    chosen: list[Collection] = []
    for suffix in ("Microsoft 365", "Google", "Exchange"):
        mine = [c for c in two.a_colls if c.kind == "calendar" and c.display_name.endswith(suffix)]
        assert mine, (suffix, two.a_colls)
        chosen.append(next((c for c in mine if c.writable), mine[0]))
    books = [c for c in two.a_colls if c.kind == "addressbook"]
    assert books, two.a_colls
    return [*chosen, books[0]]


def markers(two: Two, coll: Collection) -> list[str]:
    """Strings that would show A's data leaked: the collection path and its items' names."""
    names = [h.rsplit("/", 1)[-1] for h in items(two, coll)]
    assert names, f"{coll.path} is empty: nothing to prove"
    return [coll.path, *names[:20]]


Request = tuple[str, str, str, dict[str, str]]  # method, path, body, headers


def many(two: Two, auth: tuple[str, str], batch: list[Request]) -> list[requests.Response]:
    """The requests at once: Radicale holds every 403 for its auth delay (about a second,
    [auth] delay), so one after another they would take minutes."""
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(dav, two.demo, m, p, auth, b or None, h) for m, p, b, h in batch]
        return [f.result() for f in futures]


def assert_refused(r: requests.Response, leaked: list[str], what: str) -> None:
    assert r.status_code in DENIED, (what, r.status_code, r.text[:500])
    found = [m for m in leaked if m in urllib.parse.unquote(r.text)]
    assert not found, (what, found)


def test_b_reaches_its_own_data_but_not_a_principal(two: Two) -> None:
    assert two.b_colls and all(c.path.startswith(f"/{two.b}/") for c in two.b_colls)
    assert any(c.display_name.endswith("Microsoft 365") for c in two.b_colls)
    a_paths = [c.path for c in two.a_colls]
    root = dav(two.demo, "PROPFIND", "/", two.b_auth, ALLPROP, {"Depth": "1"})
    assert root.status_code == 207 and f"/{A}/" not in root.text
    for depth in ("0", "1"):
        r = dav(two.demo, "PROPFIND", f"/{A}/", two.b_auth, ALLPROP, {"Depth": depth})
        assert_refused(r, a_paths, f"PROPFIND /{A}/ depth {depth}")
    assert_refused(dav(two.demo, "GET", f"/{A}/", two.b_auth), a_paths, "GET principal")
    report = (
        '<?xml version="1.0"?><d:principal-property-search xmlns:d="DAV:">'
        "<d:property-search><d:prop><d:displayname/></d:prop><d:match>a</d:match>"
        "</d:property-search><d:prop><d:displayname/></d:prop></d:principal-property-search>"
    )
    r = dav(two.demo, "REPORT", f"/{A}/", two.b_auth, report, {"Depth": "0"})
    assert_refused(r, a_paths, "REPORT principal")


def reads(coll: Collection, hrefs: list[str]) -> list[Request]:
    """(method, path, body, headers) of every read a client could try on a collection."""
    cal = coll.kind == "calendar"
    ns = "urn:ietf:params:xml:ns:caldav" if cal else "urn:ietf:params:xml:ns:carddav"
    data = "calendar-data" if cal else "address-data"
    multiget = "calendar-multiget" if cal else "addressbook-multiget"
    query = (
        f'<c:calendar-query xmlns:d="DAV:" xmlns:c="{ns}"><d:prop><d:getetag/><c:{data}/>'
        '</d:prop><c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>'
        if cal
        else f'<c:addressbook-query xmlns:d="DAV:" xmlns:c="{ns}"><d:prop><d:getetag/>'
        f"<c:{data}/></d:prop></c:addressbook-query>"
    )
    refs = "".join(f"<d:href>{urllib.parse.quote(h)}</d:href>" for h in hrefs[:5])
    many = (
        f'<c:{multiget} xmlns:d="DAV:" xmlns:c="{ns}"><d:prop><d:getetag/><c:{data}/>'
        f"</d:prop>{refs}</c:{multiget}>"
    )
    sync = (
        '<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level>'
        "<d:prop><d:getetag/></d:prop></d:sync-collection>"
    )
    xml = {"Content-Type": "application/xml; charset=utf-8"}
    return [
        ("PROPFIND", coll.path, ITEMS, {**xml, "Depth": "1"}),
        ("PROPFIND", coll.path, ALLPROP, {**xml, "Depth": "1"}),
        ("PROPFIND", coll.path, ALLPROP, {**xml, "Depth": "0"}),
        ("REPORT", coll.path, query, {**xml, "Depth": "1"}),
        ("REPORT", coll.path, many, {**xml, "Depth": "1"}),
        ("REPORT", coll.path, sync, {**xml, "Depth": "1"}),
        ("GET", coll.path, "", {}),
        ("GET", hrefs[0], "", {}),
        ("HEAD", hrefs[0], "", {}),
        ("PROPFIND", hrefs[0], ALLPROP, {**xml, "Depth": "0"}),
    ]


def test_b_cannot_read_any_of_a_collections(two: Two) -> None:
    for coll in targets(two):
        hrefs = sorted(items(two, coll))
        leaked = markers(two, coll)
        batch = reads(coll, hrefs)
        for (method, path, _, _), r in zip(batch, many(two, two.b_auth, batch), strict=True):
            assert_refused(r, leaked, f"{method} {path}")
        # A's own multiget of the same hrefs answers: the refusals are about B
        method, path, body, headers = reads(coll, hrefs)[4]
        ok = dav(two.demo, method, path, two.a_auth, body, headers)
        assert ok.status_code == 207 and leaked[1] in urllib.parse.unquote(ok.text)


def event(uid: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//isolation//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260106T100000Z\r\n"
        "DTEND:20260106T110000Z\r\nSUMMARY:Planted by another user\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )


def card(uid: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Planted Contact\r\nEND:VCARD\r\n"


def test_b_cannot_change_anything_of_a(two: Two) -> None:
    before = a_snapshot(two)
    b_cal = next(c for c in two.b_colls if c.kind == "calendar" and c.writable)
    batch: list[Request] = []
    for coll in targets(two):
        hrefs = sorted(items(two, coll))
        uid = f"planted-{uuid.uuid4().hex[:8]}"
        body, ctype = (
            (event(uid), "text/calendar") if coll.kind == "calendar" else (card(uid), "text/vcard")
        )
        etag = items(two, coll)[hrefs[0]]
        proppatch = (
            '<?xml version="1.0"?><d:propertyupdate xmlns:d="DAV:"><d:set><d:prop>'
            "<d:displayname>pwned</d:displayname></d:prop></d:set></d:propertyupdate>"
        )
        attempts: list[Request] = [
            ("PUT", f"{coll.path}{uid}.ics", body, {"Content-Type": ctype, "If-None-Match": "*"}),
            ("PUT", hrefs[0], body, {"Content-Type": ctype, "If-Match": etag}),
            ("PUT", hrefs[0], body, {"Content-Type": ctype}),
            ("DELETE", hrefs[0], "", {}),
            ("DELETE", hrefs[0], "", {"If-Match": etag}),
            ("DELETE", coll.path, "", {}),
            ("PROPPATCH", coll.path, proppatch, {"Content-Type": "application/xml"}),
        ]
        batch += attempts
    batch += [(m, f"/{A}/planted-{m.lower()}/", "", {}) for m in ("MKCALENDAR", "MKCOL")]
    for (method, path, _, _), r in zip(batch, many(two, two.b_auth, batch), strict=True):
        assert r.status_code in DENIED, (method, path, r.status_code, r.text[:300])
    # MOVE one of B's own new events into A's calendar
    uid = f"moved-{uuid.uuid4().hex[:8]}"
    own = f"{b_cal.path}{uid}.ics"
    put = dav(two.demo, "PUT", own, two.b_auth, event(uid), {"Content-Type": "text/calendar"})
    assert put.status_code in (201, 204), put.text[:300]
    dest = two.demo.url.rstrip("/") + f"{targets(two)[0].path}{uid}.ics"
    r = dav(two.demo, "MOVE", own, two.b_auth, headers={"Destination": dest})
    assert r.status_code in DENIED, (r.status_code, r.text[:300])
    assert dav(two.demo, "GET", own, two.b_auth).status_code == 200  # B's event stayed
    assert a_snapshot(two) == before


RAW_PATHS = (
    "/{b}/../{a}/{c}/",
    "/{b}/%2e%2e/{a}/{c}/",
    "/{b}/..%2f{a}/{c}/",
    "//{a}/{c}/",
    "/%64emo/{c}/",
    "/{A}/{c}/",
    "/{a}/./{c}/",
    "/{a}/{c}/../{c}/",
    "/{a}%2f{c}/",
)


def raw(two: Two, method: str, path: str, body: str) -> tuple[int, str]:
    """B's request with the path exactly as written (requests would normalise dot segments)."""
    url = urllib.parse.urlsplit(two.demo.url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
    token = base64.b64encode(f"{two.b_auth[0]}:{two.b_auth[1]}".encode()).decode()
    headers = {"Authorization": "Basic " + token, "Depth": "1"}
    try:
        conn.request(method, path, body=body.encode() or None, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def test_path_tricks_do_not_reach_a(two: Two) -> None:
    calendar, book = targets(two)[0], targets(two)[-1]
    batch: list[tuple[str, str, list[str]]] = []
    for coll in (calendar, book):
        name = coll.path.strip("/").split("/")[1]
        leaked = markers(two, coll)[1:]  # the items' names; the path itself is in the request
        for pattern in RAW_PATHS:
            path = pattern.format(a=A, A=A.upper(), b=two.b, c=name)
            batch += [("PROPFIND", path, leaked), ("GET", path, leaked)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(lambda x: raw(two, x[0], x[1], ITEMS if x[0] != "GET" else ""), batch)
        )
    for (method, path, leaked), (status, text) in zip(batch, answers, strict=True):
        found = [m for m in leaked if m in urllib.parse.unquote(text)]
        assert status in DENIED and not found, (method, path, status, found)


def test_b_password_does_not_log_in_as_a(two: Two) -> None:
    """Two login failures (the throttle allows five per client address)."""
    own = two.b_auth[1]
    assert dav(two.demo, "PROPFIND", f"/{A}/", (A, own), headers={"Depth": "0"}).status_code == 401
    r = requests.get(
        two.demo.url + "lookup", params={"number": "+49301234567"}, auth=(A, own), timeout=30
    )
    assert r.status_code == 401


def a_phone(two: Two) -> tuple[str, str]:
    """(number, name) of one of A's contacts, from A's own phonebook."""
    r = requests.get(two.demo.url + "phonebook/yealink.xml", auth=two.a_auth, timeout=30)
    assert r.status_code == 200, r.text[:300]
    entry = re.search(r"<Name>([^<]+)</Name><Telephone>(\+\d+)</Telephone>", r.text)
    assert entry, r.text[:1000]
    return entry.group(2), entry.group(1)


def test_lookup_and_phonebooks_of_a_are_closed_to_b(two: Two) -> None:
    number, name = a_phone(two)
    url = two.demo.url
    mine = requests.get(url + "lookup", params={"number": number}, auth=two.a_auth, timeout=30)
    assert mine.status_code == 200 and name in mine.text  # A finds their contact
    r = requests.get(url + "lookup", params={"number": number}, auth=two.b_auth, timeout=30)
    assert r.status_code == 404 and name not in r.text  # B's own contacts: not A's
    for params in ({"number": number, "user": A}, {"number": number, "user": A, "format": "text"}):
        r = requests.get(url + "lookup", params=params, auth=two.b_auth, timeout=30)
        assert r.status_code == 403 and name not in r.text, params
    b_names = {c.path.strip("/").split("/")[1] for c in two.b_colls}
    a_books = [c.path.strip("/").split("/")[1] for c in two.a_colls if c.kind == "addressbook"]
    book = next(b for b in a_books if b not in b_names)
    for fmt in ("yealink", "snom", "tbook", "grandstream"):
        r = requests.get(f"{url}phonebook/{fmt}.xml", auth=two.b_auth, timeout=30)
        assert r.status_code == 200 and name not in r.text, fmt  # B's own (empty) phonebook
        r = requests.get(
            f"{url}phonebook/{fmt}.xml", params={"user": A}, auth=two.b_auth, timeout=30
        )
        assert r.status_code == 403 and name not in r.text, fmt
        r = requests.get(f"{url}phonebook/{book}/{fmt}.xml", auth=two.b_auth, timeout=30)
        assert r.status_code == 404 and name not in r.text, fmt


def stable(page: str) -> list[str]:
    """A connection page without the sync times (status, permissions, switches remain)."""
    lines = [line.strip() for line in page.splitlines()]
    kept = [x for x in lines if x and "sync</dt>" not in x and 'name="csrf"' not in x]
    assert any("status-" in x for x in kept) and any("<strong>" in x for x in kept)
    return kept


CONN = re.compile(r'href="/connections/(\d+)"')
REVOKE = re.compile(r'action="/app-passwords/(\d+)/revoke"')


def test_portal_keeps_a_connections_and_app_passwords_from_b(two: Two) -> None:
    a_profile = two.a_portal.get("/").text
    a_ids = sorted(set(CONN.findall(a_profile)))
    b_ids = sorted(set(CONN.findall(two.b_portal.get("/").text)))
    assert len(a_ids) == 3 and len(b_ids) == 1 and not set(a_ids) & set(b_ids)
    assert two.b_portal.get(f"/connections/{b_ids[0]}").status_code == 200  # B's own: fine
    a_pages = {i: stable(two.a_portal.get(f"/connections/{i}").text) for i in a_ids}
    a_passwords = sorted(REVOKE.findall(two.a_portal.get("/app-passwords").text))
    assert a_passwords
    b = two.b_portal
    for i in a_ids:
        for path in (f"/connections/{i}", f"/connections/{i}/delete"):
            assert b.get(path).status_code == 404, path
        b.get(f"/connections/{b_ids[0]}")  # a fresh CSRF token of B's own session
        for action, form in (
            ("toggle", {"kind": "calendars", "on": "0"}),
            ("toggle", {"kind": "contacts", "on": "0"}),
            ("permissions", {"read_calendars": "1"}),
            ("reauthorize", {"password": "attacker-chosen-password"}),
            ("delete", {}),
        ):
            r = b.post(f"/connections/{i}/{action}", form, follow=False)
            assert r.status_code == 404, (i, action, r.status_code)
    for pw_id in a_passwords:
        assert b.post(f"/app-passwords/{pw_id}/revoke", follow=False).status_code == 404
    # and the other way round: A (an administrator, even) gets 404 for B's connection
    assert two.a_portal.get(f"/connections/{b_ids[0]}").status_code == 404
    # nothing of A's changed
    assert sorted(set(CONN.findall(two.a_portal.get("/").text))) == a_ids
    for i in a_ids:
        assert stable(two.a_portal.get(f"/connections/{i}").text) == a_pages[i], i
    assert sorted(REVOKE.findall(two.a_portal.get("/app-passwords").text)) == a_passwords
    assert collections(two.demo, A, two.a_auth)  # A's app password and Exchange still work
