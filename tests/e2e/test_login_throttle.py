"""The login throttle on a real server (issue 9 point 8): one client behind an address keeps
failing while another with the right app password works beside it — the right one never
gets 429, the failing one is locked. (The five-minute version runs on a simulated clock in
tests/unit/test_dav_logins.py.)

The clients connect from 127.0.0.2 (any 127/8 address reaches the loopback listener), so the
lock on that address touches no other test; the failing device uses a user name of its own
for the same reason."""

from __future__ import annotations

import base64
import http.client
import threading
import time

from tests.e2e.conftest import RunningDemo

SOURCE = ("127.0.0.2", 0)
ETAG = b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'


def propfind(demo: RunningDemo, user: str, password: str) -> int:
    host, port = demo.url.split("//")[1].rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30, source_address=SOURCE)
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    try:
        conn.request(
            "PROPFIND",
            "/demo/",
            ETAG,
            {"Authorization": f"Basic {token}", "Depth": "0", "Content-Type": "text/xml"},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_a_failing_client_never_locks_out_a_correct_one(demo: RunningDemo) -> None:
    user, password = demo.auth
    stop = time.monotonic() + 12
    correct: list[int] = []
    failing: list[int] = []

    def guesser() -> None:
        n = 0
        while time.monotonic() < stop:
            failing.append(propfind(demo, "old-phone", f"guess-{n}"))
            n += 1
            time.sleep(0.5)

    thread = threading.Thread(target=guesser)
    thread.start()
    while time.monotonic() < stop:
        correct.append(propfind(demo, user, password))
        time.sleep(0.2)
    thread.join()
    assert len(correct) > 20 and set(correct) == {207}, correct
    assert failing[:4] == [401] * 4 and 429 in failing, failing
    # a stale password repeated from the same locked address is still just "wrong or locked"
    assert propfind(demo, user, "stale-password") in (401, 429)
    assert propfind(demo, user, password) == 207
