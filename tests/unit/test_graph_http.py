"""HTTP plumbing of the Graph client: retries, Retry-After, 401 refresh, error mapping, and the
per-mailbox concurrency limit, against a tiny scripted local HTTP server (provider behaviour is
tested against the sandbox in tests/contract)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bridge.errors import (
    AuthExpired,
    CursorExpired,
    PreconditionFailed,
    ProviderBusy,
    ProviderError,
    ProviderRefused,
    ReadOnly,
    RemoteNotFound,
)
from bridge.providers.graph.auth import GraphAppConfig
from bridge.providers.graph.http import (
    PULL_POLICY,
    WRITE_POLICY,
    GraphHttp,
    RetryPolicy,
    parse_retry_after,
)

Reply = tuple[int, dict[str, str], Any]


class Script:
    """Replies queued per path; every request is recorded."""

    def __init__(self) -> None:
        self.replies: dict[str, list[Reply]] = {}
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay = 0.0

    def queue(self, path: str, *replies: Reply) -> None:
        self.replies.setdefault(path, []).extend(replies)


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with script.lock:
                script.in_flight += 1
                script.max_in_flight = max(script.max_in_flight, script.in_flight)
                script.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(body) if body else None,
                    }
                )
                path = self.path.split("?")[0]
                queue = script.replies.get(path) or []
                reply: Reply = (
                    queue.pop(0)
                    if len(queue) > 1
                    else (
                        queue[0]
                        if queue
                        else (404, {}, {"error": {"code": "ErrorItemNotFound", "message": "nope"}})
                    )
                )
            if script.delay:
                time.sleep(script.delay)
            status, headers, payload = reply
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            with script.lock:
                script.in_flight -= 1

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

    return Handler


class FakeAuth:
    def __init__(self) -> None:
        self.generation = 1
        self.invalidations = 0

    def access_token(self) -> str:
        return f"token-{self.generation}"

    def invalidate(self) -> None:
        self.invalidations += 1
        self.generation += 1


@pytest.fixture()
def server() -> Iterator[tuple[Script, str]]:
    script = Script()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield script, f"http://127.0.0.1:{httpd.server_address[1]}/v1.0"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _client(base: str, mailbox: str = "me") -> tuple[GraphHttp, FakeAuth, list[float]]:
    auth = FakeAuth()
    sleeps: list[float] = []
    config = GraphAppConfig(
        authority="https://login.example/t", client_id="c", client_secret="s", graph_base_url=base
    )
    return GraphHttp(config, auth, mailbox=mailbox, sleep=sleeps.append), auth, sleeps


def _err(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "innerError": {"request-id": "x"}}}


def test_throttled_read_waits_retry_after_then_succeeds(server: tuple[Script, str]) -> None:
    script, base = server
    script.queue(
        "/v1.0/me",
        (429, {"Retry-After": "2"}, _err("ApplicationThrottled", "slow")),
        (200, {}, {"mail": "a@b.c"}),
    )
    http, _, sleeps = _client(base)
    assert http.get("/me", policy=PULL_POLICY) == {"mail": "a@b.c"}
    assert sleeps == [2.0]
    assert http.request_count == 2


def test_throttled_write_with_long_retry_after_fails_fast(server: tuple[Script, str]) -> None:
    script, base = server
    script.queue(
        "/v1.0/me/events", (429, {"Retry-After": "30"}, _err("ApplicationThrottled", "slow down"))
    )
    http, _, sleeps = _client(base)
    with pytest.raises(ProviderBusy) as info:
        http.post("/me/events", json={"subject": "x"}, policy=WRITE_POLICY)
    assert info.value.retry_after == 30.0
    assert info.value.status == 429 and info.value.code == "ApplicationThrottled"
    assert sleeps == [] and http.request_count == 1


def test_persistent_503_gives_up_after_max_attempts(server: tuple[Script, str]) -> None:
    script, base = server
    script.queue("/v1.0/me", (503, {"Retry-After": "1"}, _err("ServiceUnavailable", "down")))
    http, _, sleeps = _client(base)
    with pytest.raises(ProviderBusy):
        http.get("/me", policy=RetryPolicy(max_attempts=3, max_total_wait_s=60))
    assert http.request_count == 3 and sleeps == [1.0, 1.0]


def test_401_refreshes_token_once_and_retries(server: tuple[Script, str]) -> None:
    script, base = server
    script.queue(
        "/v1.0/me",
        (401, {}, _err("InvalidAuthenticationToken", "expired")),
        (200, {}, {"mail": "a@b.c"}),
    )
    http, auth, _ = _client(base)
    assert http.get("/me") == {"mail": "a@b.c"}
    assert auth.invalidations == 1
    assert [r["headers"]["Authorization"] for r in script.requests] == [
        "Bearer token-1",
        "Bearer token-2",
    ]


def test_second_401_is_auth_expired(server: tuple[Script, str]) -> None:
    script, base = server
    script.queue("/v1.0/me", (401, {}, _err("InvalidAuthenticationToken", "revoked")))
    http, auth, _ = _client(base)
    with pytest.raises(AuthExpired):
        http.get("/me")
    assert auth.invalidations == 1 and http.request_count == 2


@pytest.mark.parametrize(
    ("status", "code", "exc"),
    [
        (412, "ErrorIrresolvableConflict", PreconditionFailed),
        (403, "ErrorAccessDenied", ReadOnly),
        (404, "ErrorItemNotFound", RemoteNotFound),
        (400, "ErrorInvalidRequest", ProviderRefused),
        (410, "SyncStateNotFound", CursorExpired),
        (400, "syncStateNotFound", CursorExpired),
    ],
)
def test_error_envelope_mapping(
    server: tuple[Script, str], status: int, code: str, exc: type[ProviderError]
) -> None:
    script, base = server
    script.queue("/v1.0/me/events/1", (status, {}, _err(code, "Graph says no")))
    http, _, _ = _client(base)
    with pytest.raises(exc) as info:
        http.patch("/me/events/1", json={"subject": "y"}, headers={"If-Match": 'W/"k"'})
    assert info.value.code == code and info.value.status == status
    assert "Graph says no" in info.value.message
    assert script.requests[0]["headers"]["If-Match"] == 'W/"k"'
    assert script.requests[0]["body"] == {"subject": "y"}


def test_no_content_returns_none(server: tuple[Script, str]) -> None:
    script, base = server
    script.queue("/v1.0/me/events/1", (204, {}, None))
    http, _, _ = _client(base)
    assert http.delete("/me/events/1") is None


def test_paging_follows_next_link_and_refuses_foreign_links(server: tuple[Script, str]) -> None:
    script, base = server
    script.queue(
        "/v1.0/me/calendars",
        (200, {}, {"value": [{"id": "1"}], "@odata.nextLink": base + "/me/cals2"}),
    )
    script.queue("/v1.0/me/cals2", (200, {}, {"value": [{"id": "2"}]}))
    http, _, _ = _client(base)
    assert [c["id"] for c in http.get_all("/me/calendars")] == ["1", "2"]
    with pytest.raises(ProviderError):
        http.get("https://evil.example/v1.0/me")


def test_users_prefix_for_other_mailboxes(server: tuple[Script, str]) -> None:
    _, base = server
    assert _client(base)[0].prefix == "/me"
    assert _client(base, "ann@contoso.com")[0].prefix == "/users/ann@contoso.com"


def test_at_most_four_concurrent_requests_per_mailbox(server: tuple[Script, str]) -> None:
    script, base = server
    script.delay = 0.15
    script.queue("/v1.0/users/box@x.y", (200, {}, {"ok": True}))
    http, _, _ = _client(base, "box@x.y")
    threads = [threading.Thread(target=http.get, args=("/users/box@x.y",)) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert http.request_count == 10
    assert script.max_in_flight == 4


def test_retry_after_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480.0) == pytest.approx(
        30.0
    )
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
