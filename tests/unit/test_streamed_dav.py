"""The streamed bulk answers (radicale_plugins.fastpath + multistatus) against Radicale's own
rendering of the same requests, through the real WSGI app (make_wsgi) on a temp data dir:
PROPFIND Depth 1, calendar-/addressbook-multiget and sync-collection are byte for byte what
Radicale writes (multiget responses compared one by one: Radicale's order is a set's), and
they are produced while the mirror is read in bounded batches, never held whole."""

from __future__ import annotations

import gzip
import re
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge import api
from bridge.model import CollectionKind
from bridge.settings import Settings
from bridge.store.sqlite import ItemDraft
from radicale_plugins import app as dav_app
from radicale_plugins import fastpath
from tests.unit.test_lookup_http import Env

EVENTS = 450  # more than two batches
D = 'xmlns:d="DAV:"'
C = 'xmlns:c="urn:ietf:params:xml:ns:caldav"'
CR = 'xmlns:cr="urn:ietf:params:xml:ns:carddav"'


def event(i: int) -> str:
    # "<&>" in one event (its batch of a bulk answer is escaped item by item), "&" alone in
    # most (escaped a batch at a time), nothing to escape in every seventh
    marks = "<&>" if i == 0 else "" if i % 7 == 0 else "&"
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:ev-{i}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260701T{i % 24:02d}0000Z\r\n"
        f'DURATION:PT1H\r\nSUMMARY:Meeting {i} {marks} "planning"\r\nEND:VEVENT\r\n'
        "END:VCALENDAR\r\n"
    )


def hours(i: int) -> tuple[int, int]:
    """The event's time range as the mirror keeps it (2026-07-01, hour i % 24)."""
    start = 1782864000 + (i % 24) * 3600
    return start, start + 3600


def card(i: int) -> str:
    return (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:card-{i}\r\nFN:Person {i} <&>\r\n"
        f"N:P{i};X;;;\r\nTEL;TYPE=CELL:+4930123{i:04d}\r\nEND:VCARD\r\n"
    )


#: names clients give (PUT) or provider UIDs make, each needing URL quoting or not
ODD_NAMES = ["-plain.ics", "-uid@example.org.ics", "-a+b.ics", " a b.ics", "-ä-x.ics", "-&;=,.ics"]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    data: Path = tmp_path_factory.mktemp("streamed")
    bridge = api.Bridge(
        Settings().replace("store", data_dir=str(data)).replace("sync", background=False)
    )
    api.install(bridge)
    user = bridge.ensure_user("alice")
    password = bridge.new_app_password(user, "test")
    conn = bridge.store.create_connection(user.id, "graph", "alice@example.org", "{}", None)
    cal = bridge.store.upsert_collection(
        user.id, conn.id, CollectionKind.CALENDAR, "Work", "Work", None, False, None
    )
    drafts = [
        ItemDraft(f"ev-{i}", f"r{i}", "1", event(i), "VEVENT", *hours(i)) for i in range(EVENTS)
    ]
    bridge.store.apply_pull(cal.id, drafts, (), "c1", True, time.time())
    book = bridge.store.upsert_collection(
        user.id, conn.id, CollectionKind.ADDRESSBOOK, "Contacts", "Contacts", None, False, None
    )
    cards = [ItemDraft(f"card-{i}", f"c{i}", "1", card(i), "VCARD", 0, 0) for i in range(12)]
    bridge.store.apply_pull(book.id, cards, (), "c1", True, time.time(), suffix=".vcf")
    odd = bridge.store.upsert_collection(
        user.id, conn.id, CollectionKind.CALENDAR, "Odd", "Odd", None, False, None
    )
    bridge.store.apply_pull(odd.id, [], (), "c1", True, time.time())
    for i, name in enumerate(ODD_NAMES * 12):
        href = f"{i}{name}"
        bridge.store.put_item(
            odd.id, href, ItemDraft(f"odd-{i}", href, "1", event(i), "VEVENT", 0, 0)
        )
    yield Env(dav_app.make_wsgi(10_000_000), {"alice": password})
    api.install(None)
    bridge.close()


def paths(env: Env) -> tuple[str, str, list[str], list[str]]:
    bridge = api.current()
    cal = bridge.collection("alice", "work")
    book = bridge.collection("alice", "contacts")
    assert cal is not None and book is not None
    return (
        "/alice/work/",
        "/alice/contacts/",
        [it.href for it in bridge.items(cal)],
        [it.href for it in bridge.items(book)],
    )


def both(
    env: Env, monkeypatch: pytest.MonkeyPatch, method: str, path: str, body: str, depth: str
) -> tuple[bytes, bytes]:
    """(streamed answer, Radicale's answer) to the same request."""
    status, headers, ours = env.call(method, path, body=body, headers={"Depth": depth})
    assert status == 207 and "Content-Length" not in headers  # streamed
    with monkeypatch.context() as m:
        m.setattr(fastpath, "answer", lambda *a, **k: None)
        status, headers, theirs = env.call(method, path, body=body, headers={"Depth": depth})
    assert status == 207 and "Content-Length" in headers  # Radicale's whole answer
    return ours, theirs


def propfind(props: str) -> str:
    return f'<?xml version="1.0"?><d:propfind {D} {C} {CR}><d:prop>{props}</d:prop></d:propfind>'


@pytest.mark.parametrize(
    "props",
    [
        "<d:getetag/><d:getcontenttype/>",
        "<d:resourcetype/><d:getetag/>",
        "<d:getcontenttype/><d:resourcetype/><d:getetag/>",
    ],
)
@pytest.mark.parametrize("which", ["calendar", "addressbook"])
def test_propfind_is_radicales_answer_byte_for_byte(
    env: Env, monkeypatch: pytest.MonkeyPatch, props: str, which: str
) -> None:
    cal, book, _, _ = paths(env)
    ours, theirs = both(
        env, monkeypatch, "PROPFIND", cal if which == "calendar" else book, propfind(props), "1"
    )
    assert ours == theirs
    assert ours.count(b"<response>") == (EVENTS if which == "calendar" else 12) + 1


@pytest.mark.parametrize("which", ["plain", "odd"])
def test_names_needing_quoting_are_radicales_answer(
    env: Env, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    """Batches of items whose names need URL quoting (every one, or one among plain ones)
    in PROPFIND, initial sync-collection and multiget: Radicale's answer byte for byte."""
    bridge = api.current()
    coll = bridge.collection("alice", "odd")
    assert coll is not None
    names = [it.href for it in bridge.items(coll)]
    if which == "plain":  # a batch of plain names with a single odd one
        names = [n for n in names if n.endswith("-plain.ics")] + [n for n in names if "@" in n][:1]
    path = "/alice/odd/"
    ours, theirs = both(env, monkeypatch, "PROPFIND", path, propfind("<d:getetag/>"), "1")
    assert ours == theirs and b"%40example.org" in ours and b"%C3%A4" in ours
    ours, theirs = both(env, monkeypatch, "REPORT", path, sync("", "<d:getetag/>"), "0")
    assert ours == theirs and b"%20a%20b.ics" in ours
    refs = [path + urllib.parse.quote(n) for n in names]
    body = multiget("c:calendar-multiget", C, "", refs, "<d:getetag/><c:calendar-data/>")
    ours, theirs = both(env, monkeypatch, "REPORT", path, body, "1")
    (our_head, our_parts), (their_head, their_parts) = responses(ours), responses(theirs)
    assert our_head == their_head and sorted(our_parts) == sorted(their_parts)
    assert len(our_parts) == len(names) and b"404 Not Found" not in ours


def sync(token: str, props: str) -> str:
    return (
        f'<?xml version="1.0"?><d:sync-collection {D} {C} {CR}><d:sync-token>{token}'
        f"</d:sync-token><d:sync-level>1</d:sync-level><d:prop>{props}</d:prop>"
        "</d:sync-collection>"
    )


@pytest.mark.parametrize(
    "props", ["<d:getetag/>", "<d:getetag/><c:calendar-data/>", "<c:calendar-data/>"]
)
def test_initial_sync_is_radicales_answer(
    env: Env, monkeypatch: pytest.MonkeyPatch, props: str
) -> None:
    cal, _, _, _ = paths(env)
    ours, theirs = both(env, monkeypatch, "REPORT", cal, sync("", props), "0")
    assert ours == theirs and ours.count(b"<response>") == EVENTS


def test_address_book_sync_in_vcard4(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    _, book, _, _ = paths(env)
    props = '<d:getetag/><cr:address-data content-type="text/vcard" version="4.0"/>'
    ours, theirs = both(env, monkeypatch, "REPORT", book, sync("", props), "0")
    assert ours == theirs and b"VERSION:4.0" in ours


def test_sync_with_changes_and_deletions_then_none(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    cal, _, _, _ = paths(env)
    bridge = api.current()
    coll = bridge.collection("alice", "work")
    assert coll is not None
    token = bridge.sync_token(coll)
    changed = ItemDraft("ev-3", "r3", "2", event(3).replace("planning", "moved"), "VEVENT", 1, 2)
    bridge.store.apply_pull(coll.id, [changed], ["r5", "r7"], "c2", False, time.time())
    body = sync(f"http://davbridge.org/ns/sync/{token}", "<d:getetag/><c:calendar-data/>")
    ours, theirs = both(env, monkeypatch, "REPORT", cal, body, "0")
    assert ours == theirs
    assert ours.count(b"404 Not Found") == 2 and b"moved" in ours
    etags = sync(f"http://davbridge.org/ns/sync/{token}", "<d:getetag/>")  # no text read
    ours, theirs = both(env, monkeypatch, "REPORT", cal, etags, "0")
    assert ours == theirs and ours.count(b"404 Not Found") == 2 and b"<getetag>" in ours
    now = bridge.sync_token(coll)
    ours, theirs = both(
        env,
        monkeypatch,
        "REPORT",
        cal,
        sync(f"http://davbridge.org/ns/sync/{now}", "<d:getetag/>"),
        "0",
    )
    # the most frequent request of all: nothing changed
    assert ours == theirs and b"<response>" not in ours


def test_a_bad_sync_token_is_still_refused(env: Env) -> None:
    cal, _, _, _ = paths(env)
    body = sync("http://davbridge.org/ns/sync/nope-1", "<d:getetag/>")
    status, _, answer = env.call("REPORT", cal, body=body, headers={"Depth": "0"})
    assert status == 403 and b"valid-sync-token" in answer


def responses(answer: bytes) -> tuple[bytes, list[bytes]]:
    """(everything before the first response, the responses in order)."""
    first = answer.find(b"<response>")
    parts = re.findall(rb"<response>.*?</response>", answer, re.S)
    return answer[:first], parts


def multiget(tag: str, ns: str, path: str, names: list[str], props: str) -> str:
    refs = "".join(f"<d:href>{path}{n}</d:href>" for n in names)
    return f'<?xml version="1.0"?><{tag} {D} {ns}><d:prop>{props}</d:prop>{refs}</{tag}>'


@pytest.mark.parametrize("vcard4", [False, True])
def test_addressbook_multiget_is_radicales_answer(
    env: Env, monkeypatch: pytest.MonkeyPatch, vcard4: bool
) -> None:
    _, book, _, names = paths(env)
    data = '<cr:address-data version="4.0"/>' if vcard4 else "<cr:address-data/>"
    body = multiget(
        "cr:addressbook-multiget", CR, book, [*names, "gone.vcf"], "<d:getetag/>" + data
    )
    ours, theirs = both(env, monkeypatch, "REPORT", book, body, "1")
    (our_head, our_parts), (their_head, their_parts) = responses(ours), responses(theirs)
    assert our_head == their_head and sorted(our_parts) == sorted(their_parts)
    assert len(our_parts) == len(names) + 1 and ours.endswith(b"</multistatus>")
    assert (b"VERSION:4.0" in ours) is vcard4


def test_calendar_multiget_is_radicales_answer_in_request_order(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    cal, _, names, _ = paths(env)
    wanted = [*reversed(names), "gone.ics"]
    body = multiget("c:calendar-multiget", C, cal, wanted, "<d:getetag/><c:calendar-data/>")
    ours, theirs = both(env, monkeypatch, "REPORT", cal, body, "1")
    (our_head, our_parts), (their_head, their_parts) = responses(ours), responses(theirs)
    assert our_head == their_head and sorted(our_parts) == sorted(their_parts)
    hrefs = [re.search(rb"<href>(.*?)</href>", p).group(1).decode() for p in our_parts]  # type: ignore[union-attr]
    assert hrefs == [cal + n for n in wanted]  # the client's order


def test_multiget_hrefs_spelled_otherwise_are_radicales_answer(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hrefs percent-encoded or as absolute URIs among plain ones: the answer is still
    Radicale's (plain paths are checked all at once, these one by one)."""
    cal, _, names, _ = paths(env)
    encoded = "".join(f"%{b:02X}" for b in names[1].encode())
    refs = [cal + names[0], cal + encoded, f"http://127.0.0.1{cal}{names[2]}", *names[3:40]]
    body = (
        f'<?xml version="1.0"?><c:calendar-multiget {D} {C}><d:prop><d:getetag/>'
        "<c:calendar-data/></d:prop>"
        + "".join(f"<d:href>{r if r.startswith(('/', 'http')) else cal + r}</d:href>" for r in refs)
        + "</c:calendar-multiget>"
    )
    ours, theirs = both(env, monkeypatch, "REPORT", cal, body, "1")
    (our_head, our_parts), (their_head, their_parts) = responses(ours), responses(theirs)
    assert our_head == their_head and sorted(our_parts) == sorted(their_parts)
    assert len(our_parts) == 40 and b"404 Not Found" not in ours


@pytest.mark.parametrize("elsewhere", ["/alice/contacts/card-0.vcf", "/alice/workshop.ics"])
def test_a_multiget_naming_another_collection_is_left_to_radicale(env: Env, elsewhere: str) -> None:
    cal, _, names, _ = paths(env)
    body = multiget(
        "c:calendar-multiget", C, cal, names[:30], "<d:getetag/><c:calendar-data/>"
    ).replace("</d:prop>", f"</d:prop><d:href>{elsewhere}</d:href>")
    status, headers, answer = env.call("REPORT", cal, body=body, headers={"Depth": "1"})
    assert status == 207 and "Content-Length" in headers  # Radicale's whole answer
    assert answer.count(b"BEGIN:VCALENDAR") == 30


def test_gzip_is_the_same_answer_compressed(env: Env) -> None:
    cal, _, names, _ = paths(env)
    body = multiget("c:calendar-multiget", C, cal, names, "<d:getetag/><c:calendar-data/>")
    _, _, plain = env.call("REPORT", cal, body=body, headers={"Depth": "1"})
    status, headers, packed = env.call(
        "REPORT", cal, body=body, headers={"Depth": "1", "Accept-Encoding": "gzip, deflate"}
    )
    assert status == 207 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed) == plain and len(packed) < len(plain) // 3


def test_the_multiget_answer_is_produced_while_it_is_sent(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The WSGI body is an iterator; its first piece leaves before most items are read, and
    the mirror is never asked for more than one batch at a time."""
    cal, _, names, _ = paths(env)
    bridge = api.current()
    real = bridge.blobs_by_href
    asked: list[int] = []

    def spy(coll: Any, hrefs: Any) -> Any:
        asked.append(len(hrefs))
        return real(coll, hrefs)

    monkeypatch.setattr(bridge, "blobs_by_href", spy)
    body = multiget("c:calendar-multiget", C, cal, names, "<d:getetag/><c:calendar-data/>")
    answer = env.wsgi(env_for(env, "REPORT", cal, body), lambda *a: None)
    assert not isinstance(answer, list | bytes)
    first = next(iter(answer))
    assert first.startswith(b"<?xml") and sum(asked) < len(names) // 2
    rest = b"".join(answer)
    assert sum(asked) == len(names) and max(asked) <= fastpath.BATCH
    assert (first + rest).count(b"<response>") == len(names)


def env_for(env: Env, method: str, path: str, body: str) -> dict[str, Any]:
    """The environ Env.call would build (the test keeps the WSGI iterable itself)."""
    import base64
    import io
    from wsgiref.util import setup_testing_defaults

    data = body.encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "wsgi.input": io.BytesIO(data),
        "CONTENT_LENGTH": str(len(data)),
        "CONTENT_TYPE": "application/xml; charset=utf-8",
        "HTTP_DEPTH": "1",
        "REMOTE_ADDR": "10.0.0.1",
    }
    setup_testing_defaults(environ)
    token = base64.b64encode(f"alice:{env.passwords['alice']}".encode()).decode()
    environ["HTTP_AUTHORIZATION"] = f"Basic {token}"
    return environ


VEVENT = '<c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">{}</c:comp-filter></c:comp-filter>'


@pytest.mark.parametrize(
    "inner",
    [
        "",
        '<c:time-range start="20260701T030000Z" end="20260701T053000Z"/>',
        '<c:prop-filter name="SUMMARY"><c:text-match>Meeting 12 </c:text-match></c:prop-filter>',
        '<c:time-range start="20300101T000000Z" end="20300102T000000Z"/>',  # nothing
    ],
)
@pytest.mark.parametrize(
    "props", ["<d:getetag/>", "<d:getetag/><c:calendar-data/>", "<d:getcontenttype/>"]
)
def test_calendar_query_is_radicales_answer(
    env: Env, monkeypatch: pytest.MonkeyPatch, inner: str, props: str
) -> None:
    cal, _, _, _ = paths(env)
    body = (
        f'<?xml version="1.0"?><c:calendar-query {D} {C}><d:prop>{props}</d:prop>'
        f"<c:filter>{VEVENT.format(inner)}</c:filter></c:calendar-query>"
    )
    ours, theirs = both(env, monkeypatch, "REPORT", cal, body, "1")
    assert ours == theirs
    assert (b"<response>" in ours) is ("2030" not in inner)


@pytest.mark.parametrize("version", ["", ' version="4.0"'])
def test_addressbook_query_by_name_is_radicales_answer(
    env: Env, monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    _, book, _, _ = paths(env)
    body = (
        f'<?xml version="1.0"?><cr:addressbook-query {D} {CR}><d:prop><d:getetag/>'
        f"<cr:address-data{version}/></d:prop><cr:filter>"
        '<cr:prop-filter name="FN"><cr:text-match match-type="starts-with">Person 1'
        "</cr:text-match></cr:prop-filter></cr:filter></cr:addressbook-query>"
    )
    ours, theirs = both(env, monkeypatch, "REPORT", book, body, "1")
    assert ours == theirs and ours.count(b"<response>") == 3  # Person 1, 10, 11


def test_a_filter_radicale_refuses_is_still_refused(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    cal, _, _, _ = paths(env)
    body = (
        f'<?xml version="1.0"?><c:calendar-query {D} {C}><d:prop><d:getetag/></d:prop>'
        '<c:filter><c:comp-filter name="VCALENDAR"/><c:comp-filter name="VCALENDAR"/>'
        "</c:filter></c:calendar-query>"  # two top-level comp-filters: Radicale's 400
    )
    ours = env.call("REPORT", cal, body=body, headers={"Depth": "1"})
    with monkeypatch.context() as m:
        m.setattr(fastpath, "answer", lambda *a, **k: None)
        theirs = env.call("REPORT", cal, body=body, headers={"Depth": "1"})
    assert ours[0] == theirs[0] == 400 and ours[2] == theirs[2]


# -- what is added to the answers Radicale still renders (radicale_plugins.amend) -------------
def test_vcard4_is_advertised_as_radicale_does_with_a_newer_vobject(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    import radicale.utils

    _, book, _, _ = paths(env)
    body = propfind("<d:resourcetype/><cr:supported-address-data/><d:displayname/>")
    ours = env.call("PROPFIND", book, body=body, headers={"Depth": "0"})[2]
    monkeypatch.setattr(radicale.utils, "vobject_supports_vcard4", lambda: True)
    radicales = env.call("PROPFIND", book, body=body, headers={"Depth": "0"})[2]
    assert ours == radicales and ours.count(b"address-data-type") == 2


def test_amending_keeps_radicales_bytes(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from radicale_plugins import amend

    cal, _, names, _ = paths(env)
    body = multiget(
        "c:calendar-multiget",
        C,
        cal,
        names[:30],
        "<d:getetag/><c:calendar-data/><d:getcontenttype/>",
    )
    status, _, answer = env.call("REPORT", cal, body=body, headers={"Depth": "1"})
    assert status == 207 and b"\r\n" in answer  # Radicale renders this shape itself
    assert amend.amended(answer, lambda root: True) == answer


def test_dropped_hrefs_get_404s_in_answers_radicale_renders(env: Env) -> None:
    cal, _, names, _ = paths(env)
    props = "<d:getetag/><c:calendar-data/><d:getcontenttype/>"
    clean = multiget("c:calendar-multiget", C, cal, names[:5], props)
    hostile = clean.replace("</d:prop>", "</d:prop><d:href>http://elsewhere.example/x.ics</d:href>")
    status, _, plain = env.call("REPORT", cal, body=clean, headers={"Depth": "1"})
    status2, _, answer = env.call(
        "REPORT", cal, body=hostile, headers={"Depth": "1", "Host": "localhost"}
    )
    assert status == status2 == 207
    _, plain_parts = responses(plain)
    _, parts = responses(answer)
    assert sorted(parts) == sorted(
        [
            *plain_parts,
            b"<response><href>http://elsewhere.example/x.ics</href>"
            b"<status>HTTP/1.1 404 Not Found</status></response>",
        ]
    )


def test_vcard4_data_in_answers_radicale_renders(env: Env) -> None:
    _, book, _, names = paths(env)
    props = '<d:getetag/><d:getcontenttype/><cr:address-data version="4.0"/>'
    body = multiget("cr:addressbook-multiget", CR, book, names[:3], props)
    status, headers, answer = env.call("REPORT", book, body=body, headers={"Depth": "1"})
    assert status == 207 and "Content-Length" in headers  # Radicale's answer, amended
    assert answer.count(b"VERSION:4.0\r\n") == 3 and b"VERSION:3.0" not in answer
