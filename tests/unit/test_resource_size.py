"""A PUT larger than the collection's max-resource-size is refused the way RFC 4791 §5.3.2.1
and RFC 6352 §6.3.2.1 define (issue 11): 403 with CALDAV:max-resource-size or
CARDDAV:max-resource-size and a message naming `[limits] resource_bytes`, nothing stored; the
value refused against is the one both kinds of collection advertise. A body over
`[server] max_content_length` is still refused before it is read (413, plain text)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge import api
from bridge.model import CollectionKind, RemoteItem
from bridge.settings import Settings
from radicale_plugins import app as dav_app
from tests.unit.fake_connection import connect_fake
from tests.unit.test_limit_refusals import CR, DAILY, Dav, _props, precondition
from tests.unit.test_limits_and_waits import Provider

C = "urn:ietf:params:xml:ns:caldav"
LIMIT = 100_000
BODY_LIMIT = 200_000


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[tuple[Dav, str, str]]:
    settings = (
        Settings()
        .replace("store", data_dir=str(tmp_path / "data"))
        .replace("server", max_content_length=BODY_LIMIT)
        .replace("limits", resource_bytes=LIMIT)
        .replace("sync", background=False, refresh_interval_s=3600)
    )
    bridge = api.Bridge(settings)
    api.install(bridge)
    user = bridge.ensure_user("alex")
    password = bridge.new_app_password(user, "test")
    fake = Provider()
    fake.events = {"daily": RemoteItem("daily", "v1", "daily", DAILY)}
    connect_fake(bridge, user, fake)
    cal = next(c for c in bridge.collections_for("alex") if c.kind is CollectionKind.CALENDAR)
    book = next(c for c in bridge.collections_for("alex") if c.kind is CollectionKind.ADDRESSBOOK)
    wsgi = dav_app.make_wsgi(BODY_LIMIT, max_resource_size=settings.max_resource_size)
    yield Dav(wsgi, password), f"/alex/{cal.name}/", f"/alex/{book.name}/"
    api.install(None)
    bridge.close()


def _event(uid: str, filler: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20261210T100000Z\r\n"
        f"DTEND:20261210T110000Z\r\nSUMMARY:Big\r\n{filler}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def _card(uid: str, filler: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Big Card\r\n{filler}END:VCARD\r\n"


def _lines(count: int, newline: str = "\r\n") -> str:
    return "".join(f"X-FILL-{i}:{'z' * 40}{newline}" for i in range(count))


def test_both_kinds_of_collection_advertise_the_limit(env: tuple[Dav, str, str]) -> None:
    dav, cal, book = env
    assert _props(dav, cal, f'xmlns:C="{C}"><D:prop><C:max-resource-size/></D:prop>') == {
        f"{{{C}}}max-resource-size": str(LIMIT)
    }
    assert _props(dav, book, f'xmlns:CR="{CR}"><D:prop><CR:max-resource-size/></D:prop>') == {
        f"{{{CR}}}max-resource-size": str(LIMIT)
    }


@pytest.mark.parametrize("kind", ["calendar", "address book"])
def test_a_resource_over_the_limit_is_403_with_the_precondition(
    env: tuple[Dav, str, str], kind: str
) -> None:
    dav, cal, book = env
    if kind == "calendar":
        path, text, ctype, element = (
            cal + "big.ics",
            _event("big", _lines(3000)),
            "text/calendar",
            f"{{{C}}}max-resource-size",
        )
    else:
        path, text, ctype, element = book + "big.vcf", _card("big", _lines(3000)), "text/vcard", f"{{{CR}}}max-resource-size"  # fmt: skip
    assert LIMIT < len(text.encode()) < BODY_LIMIT
    tag, message = precondition(*dav.call("PUT", path, text, ctype))
    assert tag == element
    assert f"{len(text.encode())} bytes" in message and "[limits] resource_bytes" in message
    assert dav.call("GET", path)[0] == 404  # nothing stored
    if kind == "address book":
        return  # the fake provider here holds events only
    # under the limit it is stored
    smaller = text.replace(_lines(3000), _lines(1000))
    assert dav.call("PUT", path, smaller, ctype)[0] == 201


def test_an_item_radicale_reserialises_past_the_limit_gets_the_same_403(
    env: tuple[Dav, str, str],
) -> None:
    """A body within the limit whose bare-LF lines Radicale stores as CRLF, past the limit:
    the precondition, not the bare 412 Radicale answers with (RFC 9110 §15.5.13 keeps 412
    for If-Match and If-None-Match)."""
    dav, cal, _ = env
    grows = (
        _event("grows", _lines(n, newline="\n")).replace("\r\n", "\n") for n in range(1800, 2000)
    )
    text = next(t for t in grows if len(t.encode()) <= LIMIT < len(t.replace("\n", "\r\n")))
    tag, message = precondition(*dav.call("PUT", cal + "grows.ics", text, "text/calendar"))
    assert tag == f"{{{C}}}max-resource-size" and "[limits] resource_bytes" in message
    assert dav.call("GET", cal + "grows.ics")[0] == 404


def test_a_body_over_max_content_length_is_still_413(env: tuple[Dav, str, str]) -> None:
    dav, cal, _ = env
    text = _event("huge", _lines(5000))
    assert len(text.encode()) > BODY_LIMIT
    status, headers, answer = dav.call("PUT", cal + "huge.ics", text, "text/calendar")
    assert status == 413 and headers["Content-Type"].startswith("text/plain"), answer
    assert "max_content_length" in answer
