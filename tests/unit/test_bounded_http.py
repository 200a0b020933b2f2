"""Bounds and waits as a DAV client sees them, through the real WSGI app (make_wsgi) over a
Bridge with an in-memory provider (issue 9): a write to a collection held by another writer
gets 503 with Retry-After and a message instead of hanging, a write past a [limits] bound gets
403 naming it, and a CalDAV expand past instances_per_expansion is refused instead of
producing an unbounded answer."""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from bridge import api
from bridge.model import CollectionKind, RemoteItem
from bridge.settings import Settings
from radicale_plugins import app as dav_app
from tests.unit.fake_connection import connect_fake
from tests.unit.test_limits_and_waits import Provider, event

DAILY = event("daily", "RRULE:FREQ=DAILY\r\n")


class Client:
    def __init__(self, wsgi: Any, password: str) -> None:
        self.wsgi, self.password = wsgi, password

    def call(
        self, method: str, path: str, body: str = "", **headers: str
    ) -> tuple[int, dict[str, str], str]:
        data = body.encode()
        token = base64.b64encode(f"alex:{self.password}".encode()).decode()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "wsgi.input": io.BytesIO(data),
            "CONTENT_LENGTH": str(len(data)),
            "CONTENT_TYPE": "text/calendar" if method == "PUT" else "application/xml",
            "HTTP_AUTHORIZATION": f"Basic {token}",
            **{"HTTP_" + k.upper(): v for k, v in headers.items()},
        }
        setup_testing_defaults(environ)
        seen: dict[str, Any] = {}

        def start_response(status: str, hdrs: list[tuple[str, str]], *_: Any) -> None:
            seen["status"], seen["headers"] = int(status.split()[0]), dict(hdrs)

        answer = b"".join(self.wsgi(environ, start_response)).decode()
        return seen["status"], seen["headers"], answer


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[tuple[api.Bridge, Client, str]]:
    settings = (
        Settings()
        .replace("store", data_dir=str(tmp_path / "data"))
        .replace("server", lock_timeout_seconds=0.3)
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
    yield (
        bridge,
        Client(dav_app.make_wsgi(10_000_000, max_occurrences=100), password),
        (f"/alex/{cal.name}/"),
    )
    api.install(None)
    bridge.close()


def test_a_held_collection_answers_503_with_retry_after(
    env: tuple[api.Bridge, Client, str],
) -> None:
    bridge, client, path = env
    cal = next(c for c in bridge.collections_for("alex") if c.kind is CollectionKind.CALENDAR)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with bridge.engine.locked(cal.id):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:
        status, headers, body = client.call("PUT", path + "new.ics", event("new"))
    finally:
        release.set()
        holder.join()
    assert status == 503, body
    assert int(headers["Retry-After"]) >= 1
    assert "busy" in body
    status, _, _ = client.call("PUT", path + "new.ics", event("new"))  # the retry
    assert status == 201


def test_a_write_past_a_limit_is_403_naming_it(env: tuple[api.Bridge, Client, str]) -> None:
    _, client, path = env
    status, _, body = client.call("PUT", path + "old.ics", event("old", year=1500))
    assert status == 403
    assert "[limits] min_year = 1601" in body


def test_expand_past_instances_per_expansion_is_refused(
    env: tuple[api.Bridge, Client, str],
) -> None:
    _, client, path = env

    def expand(start: str, end: str) -> tuple[int, dict[str, str], str]:
        body = (
            '<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data>'
            f'<C:expand start="{start}" end="{end}"/></C:calendar-data></D:prop>'
            '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
            f'<C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter>'
            "</C:filter></C:calendar-query>"
        )
        return client.call("REPORT", path, body, DEPTH="1")

    status, _, answer = expand("20261201T000000Z", "20261211T000000Z")
    assert status == 207 and answer.count("RECURRENCE-ID") == 10
    # 182 occurrences: within Radicale's default (10,000), past the configured 100
    status, _, _ = expand("20261201T000000Z", "20270601T000000Z")
    assert 400 <= status < 500
