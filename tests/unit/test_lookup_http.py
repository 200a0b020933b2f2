"""Caller lookup over HTTP, driven through the real WSGI app (make_wsgi) on a temp data dir:
CardDAV addressbook-query on TEL from the phone index (compared with Radicale's own scan),
/lookup, XML phonebooks and vCard 4.0 on request. No provider: contacts enter the mirror
through the Store API, indexed by phone_entries as the sync engine does."""

from __future__ import annotations

import base64
import io
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import defusedxml.ElementTree as SafeET
import pytest

from bridge import api
from bridge.contacts.phones import phone_entries
from bridge.model import CollectionKind
from bridge.settings import Settings
from bridge.store.sqlite import ItemDraft
from radicale_plugins import app as dav_app
from radicale_plugins import cardquery

TOKEN = "org-lookup-token-123"  # noqa: S105 - a test value
HEALTH_TOKEN = "monitoring-token-456"  # noqa: S105 - a test value
D, CR = "{DAV:}", "{urn:ietf:params:xml:ns:carddav}"


def vcard(uid: str, fn: str, *tels: str, n: str = "", org: str = "") -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{fn}"]
    lines += [f"N:{n}"] if n else []
    lines += [f"ORG:{org}"] if org else []
    return "\r\n".join([*lines, *tels, "END:VCARD", ""])


ALICE_CONTACTS = [
    vcard(
        "max",
        "Max Mustermann",
        "TEL;TYPE=WORK:+49 30 1234567",
        "TEL;TYPE=CELL:+49 151 23456789",
        n="Mustermann;Max;;;",
        org="Contoso GmbH",
    ),
    vcard("erika", "Erika Musterfrau", "TEL;TYPE=HOME:030 7654321", n="Musterfrau;Erika;;;"),
    vcard("john", "John Doe", "TEL;TYPE=WORK:+1 (646) 555-0100", n="Doe;John;;;"),
    vcard("desk", "Reception <&> Co", "TEL;TYPE=MAIN:+49 40 5555555-12", "TEL:2345"),
    vcard("nophone", "No Phone", "EMAIL:x@example.org"),
]
TEAM_CONTACTS = [
    ALICE_CONTACTS[0],  # the same contact in a second address book
    vcard("zoe", "Zoe Zed", "TEL;TYPE=CELL:0049 89 1234 5678", n="Zed;Zoe;;;"),
]
# written as digits, so that Radicale's text comparison and the E.164 index agree
DIGIT_CONTACTS = [
    vcard(f"d{i}", f"Digits {i}", f"TEL;TYPE=CELL:{tel}")
    for i, tel in enumerate(
        [
            "+49301234567",
            "+49307654321",
            "+4915123456789",
            "+16465550100",
            "+442079460958",
            "+498912345678",
            "+4930123456789",
        ]
    )
]
BOB_CONTACTS = [vcard("secret", "Bob's Secret", "TEL;TYPE=WORK:+49 30 1234567")]


@dataclass
class Env:
    wsgi: Any
    passwords: dict[str, str]

    def call(
        self,
        method: str,
        path: str,
        *,
        user: str | None = "alice",
        password: str | None = None,
        body: str = "",
        headers: dict[str, str] | None = None,
        ip: str = "10.0.0.1",
    ) -> tuple[int, dict[str, str], bytes]:
        path, _, query = path.partition("?")
        data = body.encode()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "wsgi.input": io.BytesIO(data),
            "CONTENT_LENGTH": str(len(data)),
            "REMOTE_ADDR": ip,
        }
        if body:
            environ["CONTENT_TYPE"] = "application/xml; charset=utf-8"
        setup_testing_defaults(environ)
        if user is not None:
            secret = password if password is not None else self.passwords[user]
            token = base64.b64encode(f"{user}:{secret}".encode()).decode()
            environ["HTTP_AUTHORIZATION"] = f"Basic {token}"
        for key, value in (headers or {}).items():
            environ["HTTP_" + key.upper().replace("-", "_")] = value
        seen: dict[str, Any] = {}

        def start_response(status: str, hdrs: list[tuple[str, str]], *_: Any) -> None:
            seen["status"], seen["headers"] = int(status.split()[0]), dict(hdrs)

        chunks = b"".join(self.wsgi(environ, start_response))
        return seen["status"], seen["headers"], chunks


def _book(bridge: api.Bridge, user_id: int, conn: int, name: str, cards: list[str]) -> None:
    coll = bridge.store.upsert_collection(
        user_id, conn, CollectionKind.ADDRESSBOOK, name, name, None, False, None
    )
    region = bridge.region_of(bridge.store.user(user_id).name)
    drafts = [
        ItemDraft(
            uid=text.split("UID:")[1].split("\r\n")[0],
            remote_id=text.split("UID:")[1].split("\r\n")[0],
            version="1",
            text=text,
            component="VCARD",
            start=0,
            end=0,
            phones=phone_entries(text, region),
        )
        for text in cards
    ]
    bridge.store.apply_pull(coll.id, drafts, (), "c1", True, time.time(), suffix=".vcf")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    data: Path = tmp_path_factory.mktemp("lookup")
    settings = (
        Settings()
        .replace("store", data_dir=str(data))
        .replace("sync", background=False)
        .replace("contacts", lookup_token=TOKEN)
        .replace("server", health_token=HEALTH_TOKEN)
    )
    bridge = api.Bridge(settings)
    api.install(bridge)
    passwords = {}
    for name, books in {
        "alice": {"Contacts": ALICE_CONTACTS, "Team": TEAM_CONTACTS},
        "bob": {"Contacts": BOB_CONTACTS},
        "carol": {"Digits": DIGIT_CONTACTS},
    }.items():
        user = bridge.ensure_user(name)
        bridge.store.set_user_region(user.id, "DE")
        passwords[name] = bridge.new_app_password(user, "test")
        conn = bridge.store.create_connection(user.id, "graph", f"{name}@example.org", "{}", None)
        for book, cards in books.items():
            _book(bridge, user.id, conn.id, book, cards)
    yield Env(dav_app.make_wsgi(10_000_000), passwords)
    api.install(None)
    bridge.close()


# -- CardDAV addressbook-query on TEL ---------------------------------------------------------
def query_body(*matches: tuple[str, str], limit: int | None = None, data: str = "") -> str:
    tm = "".join(
        f'<C:text-match collation="i;unicode-casemap" match-type="{m}">{t}</C:text-match>'
        for t, m in matches
    )
    lim = f"<C:limit><C:nresults>{limit}</C:nresults></C:limit>" if limit else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
        f"<D:prop><D:getetag/><C:address-data{data}/></D:prop>"
        f'<C:filter test="anyof"><C:prop-filter name="TEL">{tm}</C:prop-filter></C:filter>'
        f"{lim}</C:addressbook-query>"
    )


def multistatus(body: bytes) -> dict[str, tuple[str, str, str]]:
    """href -> (status, etag, address data)"""
    found = {}
    for resp in SafeET.fromstring(body).findall(f"{D}response"):
        href = resp.findtext(f"{D}href") or ""
        status = resp.findtext(f"{D}status") or resp.findtext(f"{D}propstat/{D}status") or ""
        etag = resp.findtext(f"{D}propstat/{D}prop/{D}getetag") or ""
        card = resp.findtext(f"{D}propstat/{D}prop/{CR}address-data") or ""
        found[href] = (status, etag, card)
    return found


def radicale_answer(
    env: Env, monkeypatch: pytest.MonkeyPatch, path: str, body: str
) -> dict[str, tuple[str, str, str]]:
    with monkeypatch.context() as m:
        m.setattr(cardquery, "addressbook_query", lambda *a, **k: None)
        user = path.strip("/").split("/")[0]
        status, _, answer = env.call("REPORT", path, user=user, body=body, headers={"Depth": "1"})
    assert status == 207
    return multistatus(answer)


@pytest.mark.parametrize(
    "search",
    [
        ("1234567", "contains"),
        ("4930", "contains"),
        ("555", "contains"),
        ("+4930", "starts-with"),
        ("+44", "starts-with"),
        ("+49301234567", "equals"),
        ("+15551234567", "equals"),
    ],
)
def test_tel_query_answers_what_radicale_answers(
    env: Env, monkeypatch: pytest.MonkeyPatch, search: tuple[str, str]
) -> None:
    body = query_body(search)
    calls: list[tuple[Any, ...]] = []
    bridge = api.current()
    real = bridge.find_by_phone

    def spy(*args: Any, **kw: Any) -> Any:
        calls.append(args)
        return real(*args, **kw)

    monkeypatch.setattr(bridge, "find_by_phone", spy)
    status, headers, answer = env.call("REPORT", "/carol/digits/", user="carol", body=body)
    assert status == 207 and headers["Content-Type"].startswith("text/xml")
    assert calls and calls[0][:3] == ("carol", *search)  # answered from the phone index
    assert multistatus(answer) == radicale_answer(env, monkeypatch, "/carol/digits/", body)


def test_several_text_matches_are_a_union(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    body = query_body(("+44", "starts-with"), ("0100", "contains"), ("9999999", "contains"))
    ours = multistatus(env.call("REPORT", "/carol/digits/", user="carol", body=body)[2])
    assert ours == radicale_answer(env, monkeypatch, "/carol/digits/", body)
    assert len(ours) == 2


def test_limit_truncates_with_507_for_the_request_uri(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = query_body(("493", "contains"), limit=2)
    ours = multistatus(env.call("REPORT", "/carol/digits/", user="carol", body=body)[2])
    everything = radicale_answer(env, monkeypatch, "/carol/digits/", body)
    assert len(everything) == 3  # Radicale itself ignores the limit
    assert ours.pop("/carol/digits/")[0] == "HTTP/1.1 507 Insufficient Storage"
    assert len(ours) == 2 and all(everything[h] == v for h, v in ours.items())
    exact = multistatus(
        env.call(
            "REPORT",
            "/carol/digits/",
            user="carol",
            body=query_body(("+44", "starts-with"), limit=1),
        )[2]
    )
    assert len(exact) == 1 and "/carol/digits/" not in exact  # exactly at the limit: no 507


def test_linphone_style_search_matches_numbers_however_written(env: Env) -> None:
    # as Linphone's CardDAV search sends it: TEL contains, casemap collation, a limit, 4.0
    body = query_body(
        ("030 123", "contains"), limit=10, data=' content-type="text/vcard" version="4.0"'
    )
    found = multistatus(env.call("REPORT", "/alice/contacts/", body=body)[2])
    assert list(found) == ["/alice/contacts/max.vcf"]  # "+49 30 1234567": Radicale's scan misses it
    status, etag, card = found["/alice/contacts/max.vcf"]
    assert status == "HTTP/1.1 200 OK" and etag.startswith('"')
    assert "VERSION:4.0" in card and "TEL;TYPE=cell:+49 151 23456789" in card


def test_two_digit_contains_is_left_to_radicale(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    body = query_body(("49", "contains"))
    ours = multistatus(env.call("REPORT", "/carol/digits/", user="carol", body=body)[2])
    assert len(ours) == 5 and ours == radicale_answer(env, monkeypatch, "/carol/digits/", body)


def test_other_filters_are_left_to_radicale(env: Env) -> None:
    body = query_body(("1234567", "contains")).replace('name="TEL"', 'name="FN"')
    body = body.replace("1234567", "erika")
    found = multistatus(env.call("REPORT", "/alice/contacts/", body=body)[2])
    assert list(found) == ["/alice/contacts/erika.vcf"]


def test_a_user_cannot_query_another_users_address_book(env: Env) -> None:
    status, _, answer = env.call(
        "REPORT", "/bob/contacts/", body=query_body(("1234567", "contains"))
    )
    assert status in (403, 404) and b"Secret" not in answer


# -- vCard 4.0 on request ------------------------------------------------------------------------
def test_supported_address_data_lists_3_and_4(env: Env) -> None:
    body = (
        '<propfind xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
        "<prop><C:supported-address-data/></prop></propfind>"
    )
    status, _, answer = env.call("PROPFIND", "/alice/contacts/", body=body, headers={"Depth": "0"})
    versions = {e.get("version") for e in SafeET.fromstring(answer).iter(f"{CR}address-data-type")}
    assert status == 207 and versions == {"3.0", "4.0"}


def test_get_serves_4_0_when_accepted_and_3_0_by_default(env: Env) -> None:
    _, _, default = env.call("GET", "/alice/contacts/max.vcf")
    assert b"VERSION:3.0" in default
    status, headers, v4 = env.call(
        "GET", "/alice/contacts/max.vcf", headers={"Accept": "text/vcard; version=4.0"}
    )
    assert status == 200 and b"VERSION:4.0" in v4 and b"TEL;TYPE=work:+49 30 1234567" in v4
    assert headers["Content-Length"] == str(len(v4))


def test_multiget_serves_4_0_when_asked(env: Env) -> None:
    body = (
        '<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
        '<D:prop><D:getetag/><C:address-data content-type="text/vcard" version="4.0"/></D:prop>'
        "<D:href>/alice/contacts/erika.vcf</D:href></C:addressbook-multiget>"
    )
    found = multistatus(env.call("REPORT", "/alice/contacts/", body=body)[2])
    assert "VERSION:4.0" in found["/alice/contacts/erika.vcf"][2]


# -- /lookup ------------------------------------------------------------------------------------
def lookup(env: Env, query: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
    status, headers, body = env.call("GET", f"/lookup?{query}", **kw)
    is_json = headers["Content-Type"].startswith("application/json")
    return status, headers, json.loads(body) if is_json else body.decode()


@pytest.mark.parametrize(
    "number", ["030 1234567", "+49301234567", "0049 30 123 4567", "tel:+49-30-1234567"]
)
def test_lookup_finds_the_contact_however_the_number_is_written(env: Env, number: str) -> None:
    status, _, data = lookup(env, f"number={number.replace('+', '%2B')}")
    assert status == 200 and data["e164"] == "+49301234567"
    assert data["matches"] == [
        {
            "name": "Max Mustermann",
            "organization": "Contoso GmbH",
            "type": "work",
            "number": "+49 30 1234567",
            "address_book": "Contacts",
            "uid": "max",
        },
        {**data["matches"][0], "address_book": "Team"},
    ]


def test_lookup_extensions_and_short_numbers(env: Env) -> None:
    for number in ("%2B49 40 5555555", "%2B4940555555512", "2345"):
        status, _, data = lookup(env, f"number={number}")
        assert [m["name"] for m in data["matches"]] == ["Reception <&> Co"], number


def test_lookup_as_plain_text_for_caller_id(env: Env) -> None:
    assert lookup(env, "number=0151 23456789&format=text")[::2] == (200, "Max Mustermann")
    status, headers, text = lookup(env, "number=0151 23456789", headers={"Accept": "text/plain"})
    assert (status, text) == (200, "Max Mustermann")
    assert headers["Content-Type"].startswith("text/plain")
    assert lookup(env, "number=0170 0000000&format=text")[::2] == (404, "unknown")


def test_lookup_unknown_and_unusable_numbers(env: Env) -> None:
    status, _, data = lookup(env, "number=0170 0000000")
    assert status == 404 and data["matches"] == [] and data["e164"] == "+491700000000"
    assert lookup(env, "number=abc")[0] == 400
    assert lookup(env, "")[0] == 400


def test_lookup_needs_credentials(env: Env) -> None:
    status, headers, _ = lookup(env, "number=030 1234567", user=None)
    assert status == 401 and headers["WWW-Authenticate"].startswith("Basic realm=")
    assert lookup(env, "number=030 1234567", password="wrong", ip="10.0.0.2")[0] == 401
    assert lookup(env, "number=030 1234567&user=bob")[0] == 403


def test_guessing_is_throttled_but_a_correct_password_still_works(env: Env) -> None:
    answers = [
        lookup(env, "number=1234", user="carol", password=f"wrong-{n}", ip="10.9.9.9")
        for n in range(5)
    ]
    assert [a[0] for a in answers] == [401, 401, 401, 401, 429]  # the 5th locks
    status, headers, _ = lookup(env, "number=1", user="carol", password="wrong-5", ip="10.9.9.9")
    assert status == 429 and int(headers["Retry-After"]) >= 1
    assert lookup(env, "number=030 1234567", user="carol", ip="10.9.9.9")[0] in (200, 404)
    assert lookup(env, "number=030 1234567", ip="10.9.9.10")[0] == 200  # others unaffected


def test_a_stale_password_repeated_does_not_lock_anyone(env: Env) -> None:
    for _ in range(12):
        assert lookup(env, "number=1234", password="stale", ip="10.9.9.11")[0] == 401
    assert lookup(env, "number=1234", password="another", ip="10.9.9.11")[0] == 401


def test_malformed_basic_credentials_are_401_with_the_reason(env: Env) -> None:
    for raw in (b"alice", "alïce:pässword".encode("latin-1"), "ä".encode()):
        header = {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        status, _, body = env.call("GET", "/lookup?number=1234", user=None, headers=header)
        assert status == 401, body
    status, _, body = env.call(
        "GET", "/lookup?number=1", user=None, headers={"Authorization": "Basic ä"}
    )
    assert status == 401 and b"not base64" in body


def test_lookup_token_names_the_user(env: Env) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    status, _, data = lookup(env, "number=030 1234567&user=bob", user=None, headers=bearer)
    assert status == 200 and [m["name"] for m in data["matches"]] == ["Bob's Secret"]
    status, _, data = lookup(env, f"number=030 1234567&user=alice&token={TOKEN}", user=None)
    assert status == 200 and "Bob's Secret" not in {m["name"] for m in data["matches"]}
    assert lookup(env, "number=030 1234567", user=None, headers=bearer)[0] == 400
    wrong = {"Authorization": "Bearer nope"}
    assert lookup(env, "number=1&user=bob", user=None, headers=wrong, ip="10.0.0.3")[0] == 401


def test_users_never_see_each_others_contacts(env: Env) -> None:
    _, _, data = lookup(env, "number=030 1234567", user="bob")
    assert [m["name"] for m in data["matches"]] == ["Bob's Secret"]
    _, _, data = lookup(env, "number=030 1234567")
    assert "Bob's Secret" not in {m["name"] for m in data["matches"]}


# -- XML phonebooks ---------------------------------------------------------------------------
def phonebook(env: Env, path: str, **kw: Any) -> ET.Element:
    status, headers, body = env.call("GET", path, **kw)
    assert status == 200, body
    assert headers["Content-Type"] == "text/xml; charset=utf-8"
    return SafeET.fromstring(body)


def test_yealink_phonebook_merges_books_sorted_by_name(env: Env) -> None:
    root = phonebook(env, "/phonebook/yealink.xml")
    assert root.tag == "YealinkIPPhoneDirectory"
    entries = [(e.findtext("Name"), [t.text for t in e.findall("Telephone")]) for e in root]
    names = [n or "" for n, _ in entries]
    assert names == sorted(names, key=str.casefold) and names.count("Max Mustermann") == 1
    assert ("Max Mustermann", ["+49301234567", "+4915123456789"]) in entries
    assert ("Reception <&> Co", ["+49405555555", "2345"]) in entries  # escaped, read back
    assert "No Phone" not in names and "Bob's Secret" not in names


def test_snom_and_tbook_list_one_number_per_entry(env: Env) -> None:
    root = phonebook(env, "/phonebook/team/snom.xml")
    assert root.tag == "SnomIPPhoneDirectory"
    rows = [(e.findtext("Name"), e.findtext("Telephone")) for e in root.findall("DirectoryEntry")]
    assert rows == [
        ("Max Mustermann (Work)", "+49301234567"),
        ("Max Mustermann (Mobile)", "+4915123456789"),
        ("Zoe Zed", "+498912345678"),
    ]
    items = phonebook(env, "/phonebook/team/tbook.xml").findall("item")
    assert [i.get("index") for i in items] == ["0", "1", "2"]
    assert items[2].findtext("name") == "Zoe Zed" and items[2].get("context") == "active"


def test_grandstream_phonebook(env: Env) -> None:
    root = phonebook(env, "/phonebook/contacts/grandstream.xml")
    assert root.tag == "AddressBook"
    max_ = next(c for c in root if c.findtext("LastName") == "Mustermann")
    assert max_.findtext("FirstName") == "Max"
    phones = [
        (p.get("type"), p.findtext("phonenumber"), p.findtext("accountindex"))
        for p in max_.findall("Phone")
    ]
    assert phones == [("Work", "+49301234567", "0"), ("Mobile", "+4915123456789", "0")]


def test_phonebooks_need_credentials_and_stay_per_user(env: Env) -> None:
    assert env.call("GET", "/phonebook/yealink.xml", user=None)[0] == 401
    root = phonebook(env, f"/phonebook/yealink.xml?token={TOKEN}&user=bob", user=None)
    assert [e.findtext("Name") for e in root] == ["Bob's Secret"]
    assert env.call("GET", "/phonebook/nope/yealink.xml")[0] == 404
    assert env.call("GET", "/phonebook/cisco.xml")[0] == 404


# -- /health ------------------------------------------------------------------------------------
def test_health_tells_strangers_only_ok_or_degraded(env: Env) -> None:
    status, headers, body = env.call("GET", "/health", user=None)
    assert status == 200 and json.loads(body) == {"status": "ok"}
    status, headers, body = env.call("HEAD", "/health", user=None)
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


def test_health_details_need_the_monitoring_token_or_an_admin(env: Env) -> None:
    bearer = {"Authorization": f"Bearer {HEALTH_TOKEN}"}
    status, _, body = env.call("GET", "/health", user=None, headers=bearer)
    assert status == 200 and len(json.loads(body)["connections"]) == 3
    status, _, body = env.call("GET", "/health", user=None, headers={"Authorization": "Bearer x"})
    assert status == 401 and b"monitoring token" in body
    status, _, body = env.call("GET", "/health")  # alice is not an administrator
    assert status == 403 and b"administrators" in body
