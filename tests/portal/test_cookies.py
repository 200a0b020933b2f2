"""The session cookie is `Secure` whenever browsers reach the portal over https (its public URL
is the https URL of a TLS proxy), and not on plain-http loopback, where clients such as Python's
requests would otherwise never send it back and every form would be refused."""

from __future__ import annotations

import requests

from bridge.portal.server import PortalServer
from tests.portal.conftest import PASSWORD, Running, new_user


def set_cookie(r: requests.Response) -> str:
    (header,) = r.raw.headers.getlist("Set-Cookie")
    return str(header)


def test_behind_an_https_proxy_the_cookie_is_secure_and_host_bound(running: Running) -> None:
    behind_proxy = PortalServer(
        running.bridge, "127.0.0.1", 0, public_url="https://portal.example.test/"
    ).start()
    try:
        # what the TLS proxy forwards: plain http on the inside, the public host name
        page = requests.get(
            f"http://127.0.0.1:{behind_proxy.port}/signin",
            headers={"Host": "portal.example.test", "X-Forwarded-Proto": "https"},
            timeout=30,
        )
    finally:
        behind_proxy.stop()
    cookie = set_cookie(page)
    assert cookie.startswith("__Host-davbridge_session=")
    assert "; secure" in cookie.lower() and "httponly" in cookie.lower()


def test_plain_http_loopback_cookie_round_trips_with_requests(running: Running) -> None:
    """The symptom of the issue: a scripted client signs in over http and posts a form."""
    name = new_user(running)
    http = requests.Session()
    http.trust_env = False
    page = http.get(running.url + "signin", timeout=30)
    assert "secure" not in set_cookie(page).lower()
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    r = http.post(
        running.url + "signin",
        data={"csrf": csrf, "name": name, "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 303, r.text[:500]
    assert http.get(running.url, timeout=30).url == running.url  # signed in, not sent back
